"""Temporary names of writes in progress, and the removal of those a killed run left behind."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from classify import leftovers
from classify.output import AtomicWriter
from classify.persist import load, save

posix_only = pytest.mark.skipif(os.name != "posix", reason="process ids are checked on POSIX systems only")


@pytest.fixture(scope="module")
def dead_pid() -> int:
    """The id of a process that has ended (reused by another within a test's time: practically never)."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def _left(folder, target, pid, *, directory, host=None, suffix=""):
    """What a writer ``pid`` killed while writing ``target`` leaves: a folder with a payload, or a file."""
    host = host or leftovers._host()
    path = folder / f".{target}.{pid}@{host}.k3_x9q{suffix}"
    if directory:
        path.mkdir()
        np.save(path / "topics.weights.npy", np.zeros(3))
    else:
        path.write_text('{"id": "1"}\n', encoding="utf-8")
    return path


def test_prefix_names_the_target_process_and_host(tmp_path):
    name = leftovers.prefix(tmp_path / "model")
    assert name == f".model.{os.getpid()}@{leftovers._host()}."
    assert "/" not in name and "@" not in leftovers._host() and "." not in leftovers._host()


@posix_only
def test_sweep_removes_what_an_ended_process_left(tmp_path, dead_pid):
    folder = _left(tmp_path, "m", dead_pid, directory=True)
    part = _left(tmp_path, "out.jsonl", dead_pid, directory=False, suffix=".part")
    assert leftovers.sweep(tmp_path / "m") == [folder]
    assert leftovers.sweep(tmp_path / "out.jsonl") == [part]
    assert not folder.exists() and not part.exists()


@posix_only
def test_sweep_leaves_everything_else(tmp_path, dead_pid):
    kept = [
        _left(tmp_path, "m", os.getpid(), directory=True),  # a save in progress (this process)
        _left(tmp_path, "m", dead_pid, directory=True, host="otherhost"),  # another machine's, on a shared disk
        _left(tmp_path, "m2", dead_pid, directory=True),  # another target's
        _left(tmp_path, "m", dead_pid, directory=False, suffix=".bak"),  # not a name classify writes
    ]
    (tmp_path / ".m.old").mkdir()  # an interrupted two-rename save: the previous model, to restore (persist.read_manifest)
    (tmp_path / "m").mkdir()
    kept += [tmp_path / ".m.old", tmp_path / "m"]
    assert leftovers.sweep(tmp_path / "m") == []
    assert all(path.exists() for path in kept)


def test_sweep_of_a_missing_folder_is_nothing(tmp_path):
    assert leftovers.sweep(tmp_path / "absent" / "m") == []


@posix_only
def test_save_removes_a_killed_save_s_folder(tiny_model, tmp_path, dead_pid):
    target = save(tiny_model, tmp_path / "m")
    left = _left(tmp_path, "m", dead_pid, directory=True)  # kill -9 after renameat2's exchange: the old model there
    save(tiny_model, target)
    assert not left.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m"]
    assert load(target).predict(["Steun aan Oekraïne"])[0]["topics"] is not None


@posix_only
def test_output_removes_a_killed_run_s_part_file(tmp_path, dead_pid):
    left = _left(tmp_path, "out.jsonl", dead_pid, directory=False, suffix=".part")
    with AtomicWriter(str(tmp_path / "out.jsonl")) as handle:
        handle.write('{"id": "2"}\n')
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.jsonl"]
    assert not left.exists()
