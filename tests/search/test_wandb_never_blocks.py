"""W&B never blocks a run: offline (the default) needs no network, and an
online run whose server cannot be reached logs offline within seconds, for
search (leaps.search.run_logger) and training (leaps.models.training._logger).
WANDB_BASE_URL points at a closed local port, an unresolvable name, the
default api.wandb.ai (no network here), or a local socket that accepts
connections but never answers (slow: wandb's own init timeout)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from omegaconf import OmegaConf

from leaps.search.results import IterationReport
from leaps.search.run_logger import make_logger
from leaps.wandb_mode import resolve_mode, server_reachable

CLOSED_PORT = "http://127.0.0.1:9"
UNRESOLVABLE = "https://wandb.invalid"  # the .invalid top-level domain never resolves


@pytest.fixture
def no_server(monkeypatch):
    monkeypatch.setenv("WANDB_BASE_URL", CLOSED_PORT)
    monkeypatch.delenv("WANDB_MODE", raising=False)
    monkeypatch.setenv("WANDB_SILENT", "true")


def report(i: int) -> IterationReport:
    return IterationReport(iteration=i, evaluations=10 * (i + 1), best_return=0.5, mean_return=0.2,
                           iteration_best_return=0.5, best_program="DEF run m( move m)")


def log_a_run(tmp_path: Path, mode: str) -> tuple[float, str]:
    cfg = OmegaConf.create({"kind": "wandb", "mode": mode, "project": "leaps-test", "entity": None, "tags": []})
    start = time.perf_counter()
    logger = make_logger(cfg, tmp_path, group="g", name="n", config={"seed": 0})
    logger.log_iteration(report(0))
    used = logger.run.settings.mode
    logger.close()
    return time.perf_counter() - start, used


def test_default_offline_mode_needs_no_network(no_server, tmp_path):
    assert OmegaConf.load(Path(__file__).resolve().parents[2] / "conf" / "logger" / "wandb.yaml").mode == "offline"
    elapsed, mode = log_a_run(tmp_path, "offline")
    assert mode == "offline" and elapsed < 60
    assert list((tmp_path / "wandb").glob("offline-run-*"))


@pytest.mark.parametrize("url", [CLOSED_PORT, UNRESOLVABLE, None])
def test_unreachable_server_is_detected_within_the_probe_timeout(monkeypatch, url, capsys):
    if url is None:
        monkeypatch.delenv("WANDB_BASE_URL", raising=False)
        if server_reachable(timeout=1.0):
            pytest.skip("this machine reaches api.wandb.ai")
    else:
        monkeypatch.setenv("WANDB_BASE_URL", url)
    start = time.perf_counter()
    assert not server_reachable(timeout=1.0)
    assert resolve_mode("online", timeout=1.0) == "offline"
    assert time.perf_counter() - start < 3.0
    assert "logging offline" in capsys.readouterr().out
    assert resolve_mode("disabled") == "disabled" and resolve_mode(None) == "offline"
    with pytest.raises(ValueError, match="logger.mode"):
        resolve_mode("onlnie")


def test_online_search_logger_falls_back_to_offline_within_seconds(no_server, tmp_path, capsys):
    elapsed, mode = log_a_run(tmp_path, "online")
    assert mode == "offline"
    assert elapsed < 30  # the probe answers at once on a closed port; wandb's own timeout alone took 17 s
    assert "logging offline" in capsys.readouterr().out
    assert list((tmp_path / "wandb").glob("offline-run-*"))


def test_online_training_logger_falls_back_to_offline(no_server, tmp_path):
    from leaps.models.training import _logger

    cfg = OmegaConf.create({"logger": {"kind": "wandb", "mode": "online", "project": "leaps-test", "entity": None,
                                       "tags": []}, "model": {"name": "leaps"}, "seed": 0})
    start = time.perf_counter()
    logger = _logger(cfg, tmp_path)
    assert time.perf_counter() - start < 10
    assert logger._wandb_init["mode"] == "offline"


@pytest.mark.slow
def test_a_server_that_never_answers_still_falls_back(monkeypatch, tmp_path, capsys):
    import socket

    with socket.socket() as server:  # accepts connections (the probe passes) but never speaks HTTP
        server.bind(("127.0.0.1", 0))
        server.listen(16)
        monkeypatch.setenv("WANDB_BASE_URL", f"http://127.0.0.1:{server.getsockname()[1]}")
        monkeypatch.setenv("WANDB_API_KEY", "x" * 40)
        elapsed, mode = log_a_run(tmp_path, "online")
    assert mode == "offline" and elapsed < 45  # wandb's init_timeout (15 s), then offline
    assert "logging offline" in capsys.readouterr().out
