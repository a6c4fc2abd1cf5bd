"""The package carries its configs: library code finds them through
leaps.config_dir(), pyproject.toml installs every config group, and a
non-editable install runs ``python -m leaps.search`` from any directory."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from pathlib import Path

import pytest

from leaps import config_dir

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_configs_are_found_in_the_checkout():
    assert config_dir() == ROOT / "conf"


def test_every_config_group_is_installed():
    data_files = PYPROJECT["tool"]["setuptools"]["data-files"]
    conf = ROOT / "conf"
    groups = sorted(str(p.relative_to(conf)) for p in conf.rglob("*") if p.is_dir() and any(p.glob("*.yaml")))
    assert sorted(data_files) == ["share/leaps/conf", *(f"share/leaps/conf/{g}" for g in groups)]
    for target, sources in data_files.items():
        group = target.removeprefix("share/leaps/conf").strip("/")
        assert sources == [f"conf/{group + '/' if group else ''}*.yaml"]


def test_license_is_an_spdx_string():
    assert PYPROJECT["project"]["license"] == "MIT"


def install_wheel(wheel: Path, prefix: Path) -> Path:
    """What an installer does with the wheel: the package into
    ``<prefix>/lib/.../site-packages``, its data files (the configs) under
    ``<prefix>`` (a ``pip install --prefix`` would also uninstall this
    environment's editable install)."""
    site = Path(sysconfig.get_path("purelib", vars={"base": str(prefix), "platbase": str(prefix)}))
    with zipfile.ZipFile(wheel) as archive:
        for member in archive.namelist():
            head, _, rest = member.partition("/")
            if head.endswith(".data") and rest.startswith("data/"):
                target = prefix / rest.removeprefix("data/")
            else:
                target = site / member
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(archive.read(member))
    return site


@pytest.mark.slow
def test_a_non_editable_install_searches_from_any_directory(tmp_path):
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "conf", source / "conf")
    shutil.copytree(ROOT / "leaps", source / "leaps", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w",
                    str(tmp_path / "wheel"), str(source)], check=True, capture_output=True, timeout=600)
    prefix = tmp_path / "prefix"
    site = install_wheel(next((tmp_path / "wheel").glob("leaps-*.whl")), prefix)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"}
    where = subprocess.run([sys.executable, "-c", "import leaps; print(leaps.__file__); print(leaps.config_dir())"],
                           cwd=elsewhere, env=env, capture_output=True, text=True, check=True).stdout.split()
    assert where == [str(site / "leaps" / "__init__.py"), str(prefix / "share" / "leaps" / "conf")]
    proc = subprocess.run([sys.executable, "-m", "leaps.search", "task=maze", "searcher=random", "eval_budget=16",
                           "logger=none", "progress=false", "gif=false", "hydra.run.dir=run"], cwd=elsewhere, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert json.loads((elsewhere / "run" / "results.json").read_text())["evaluations"] == 16
