"""Numba's cache directory is keyed by the package's source
(leaps.numba_cache): a change in any module starts a fresh cache, so a
cached function never runs a stale version of a function it calls."""

from __future__ import annotations

import os
import time

import numba
import pytest

from leaps import numba_cache


@pytest.fixture
def package(tmp_path):
    root = tmp_path / "pkg"
    (root / "sub").mkdir(parents=True)
    (root / "a.py").write_text("x = 1\n")
    (root / "sub" / "b.py").write_text("y = 2\n")
    return root


def test_the_digest_changes_with_any_source_file(package):
    before = numba_cache.source_digest(package)
    assert numba_cache.source_digest(package) == before
    (package / "sub" / "b.py").write_text("y = 3\n")
    edited = numba_cache.source_digest(package)
    (package / "sub" / "c.py").write_text("")
    added = numba_cache.source_digest(package)
    (package / "sub" / "c.py").rename(package / "d.py")
    moved = numba_cache.source_digest(package)
    assert len({before, edited, added, moved}) == 4


@pytest.fixture
def cache_env(tmp_path, monkeypatch):
    monkeypatch.setenv("LEAPS_NUMBA_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    monkeypatch.setattr(numba.config, "CACHE_DIR", numba.config.CACHE_DIR)
    yield tmp_path / "cache"
    os.environ.pop("NUMBA_CACHE_DIR", None)


def test_numba_caches_in_the_source_versions_directory(cache_env):
    directory = numba_cache.configure()
    assert directory == cache_env / numba_cache.source_digest()
    assert directory.is_dir()
    assert os.environ["NUMBA_CACHE_DIR"] == numba.config.CACHE_DIR == str(directory)


def test_a_users_cache_dir_is_kept_and_an_inherited_one_is_redone(cache_env, tmp_path, monkeypatch):
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "mine"))
    assert numba_cache.configure() is None and os.environ["NUMBA_CACHE_DIR"] == str(tmp_path / "mine")
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(cache_env / "0123456789abcdef"))  # another version's, from a parent
    assert numba_cache.configure() == cache_env / numba_cache.source_digest()


def test_only_recent_versions_are_kept(tmp_path):
    week = numba_cache.KEEP_DAYS * 86400
    n = numba_cache.KEEP_VERSIONS + 4
    for i in range(n):  # v0, v1: unused for over a week; v2, v3: older than the KEEP_VERSIONS newest but recent
        (tmp_path / f"v{i}").mkdir()
        used = time.time() - (2 * week if i < 2 else 0) + i
        os.utime(tmp_path / f"v{i}", (used, used))
    numba_cache.prune(tmp_path)
    assert sorted(int(p.name[1:]) for p in tmp_path.iterdir()) == list(range(2, n))


def test_an_unwritable_cache_root_leaves_numba_as_it_was(cache_env, tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("LEAPS_NUMBA_CACHE", str(blocker / "cache"))  # under a file: cannot be made
    assert numba_cache.configure() is None and "NUMBA_CACHE_DIR" not in os.environ
