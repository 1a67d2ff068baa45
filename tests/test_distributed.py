"""Tests of classify.distributed and ``classify label --jobs/--dask``: same rows, same order, as one process.

The Dask tests skip when Dask is not installed (``pip install -e ".[test]"`` installs it). One
test starts a scheduler and a worker as separate processes on 127.0.0.1, as on a real cluster.
"""

# ruff: noqa: E501  (pinned one-line messages read better unwrapped)

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest
from conftest import ROOT, _records, write_jsonl
from typer.testing import CliRunner

from classify.cli import app
from classify.distributed import label_jsonl_parallel, label_rows_parallel
from classify.io import read_rows
from classify.labelling import Summary, label_rows

BATCH = 5  # small batches: many of them, so that order across workers is really tested
STARTUP = 60  # seconds a scheduler or worker process may take to come up


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    """The tiny records three times, with a malformed line and a record without question inside."""
    rows = [dict(r, id=f"{r['id']}/{k}") for k in range(3) for r in _records()]
    rows.insert(7, "{not json")
    rows.insert(20, {"id": "no-question", "answer": "Ja."})
    return write_jsonl(tmp_path_factory.mktemp("archive") / "archive.jsonl", rows)


def single(model, path):
    return list(label_rows(model, read_rows(str(path)), batch_size=BATCH))


def invoke(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


# -- --jobs: loky processes on this machine ------------------------------------------------------
def test_cli_jobs_output_equals_single_process(archive, tiny_model_dir, tmp_path):
    one = invoke("label", archive, "--model", tiny_model_dir, "--batch-size", BATCH, "--out", tmp_path / "one.jsonl")
    two = invoke("label", archive, "--model", tiny_model_dir, "--batch-size", BATCH, "--out", tmp_path / "two.jsonl", "--jobs", 2)
    assert one.exit_code == two.exit_code == 1  # the two bad rows carry an error; every other row is labelled
    assert (tmp_path / "one.jsonl").read_bytes() == (tmp_path / "two.jsonl").read_bytes()
    assert one.stderr == two.stderr


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])  # workers parse JSONL; a CSV is read here and predicted there
def test_records_the_model_was_trained_on_are_counted_in_every_way_of_labelling(tiny_model_dir, tmp_path, suffix):
    """Labels of a model's own training records mostly repeat their annotations (99.5 % 'right' in a
    helper's shares of a corpus): the run says how many there were, with or without --jobs and --resume."""
    import csv

    rows = ([dict(r, id=f"new/{i}", question=r["question"] + " Graag per onderdeel.") for i, r in enumerate(_records())]  # unseen
            + _records()[:7]  # 7 training ids
            + [dict(r, id=f"export/{i}") for i, r in enumerate(_records()[7:10])])  # 3 training questions under other ids
    path = tmp_path / f"mixed{suffix}"
    if suffix == ".csv":
        with open(path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=["id", "question", "answer"], extrasaction="ignore")
            writer.writeheader()
            writer.writerows(rows)
    else:
        write_jsonl(path, rows)
    warning = "classify: warning: 10 of these records were in the model's training data (by id or text): their labels mostly repeat"
    for extra in ([], ["--jobs", 2], ["--resume"]):
        result = invoke("label", path, "--model", tiny_model_dir, "--batch-size", BATCH, "--out", tmp_path / f"o{len(extra)}.jsonl", *extra)
        assert result.exit_code == 0, result.output
        assert warning in result.stderr, (extra, result.stderr)


def test_a_warning_of_loading_the_model_is_said_once_in_one_line_with_jobs(archive, model_copy, tmp_path):
    """Each loky worker loads the model too: its VersionWarning came out in Python's two-line format
    beside the labelling process's own `classify: warning:` line."""
    manifest = json.loads((model_copy / "manifest.json").read_text(encoding="utf-8"))
    manifest["versions"]["numpy"] = "1.0.0"
    (model_copy / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "classify", "label", str(archive), "--model", str(model_copy), "--jobs", "2",
                             "--batch-size", str(BATCH), "--out", str(tmp_path / "o.jsonl")], capture_output=True, text=True, timeout=300)
    assert result.returncode == 1, result.stderr  # the archive's two bad rows
    said = [line for line in result.stderr.splitlines() if "was saved with numpy 1.0.0" in line]
    assert len(said) == 1 and said[0].startswith("classify: warning: "), result.stderr
    assert "VersionWarning" not in result.stderr


def test_cli_jobs_on_a_gzip_archive_equals_single_process(archive, tiny_model_dir, tmp_path):
    import gzip

    packed = tmp_path / "archive.jsonl.gz"
    packed.write_bytes(gzip.compress(archive.read_bytes()))
    one = invoke("label", archive, "--model", tiny_model_dir, "--batch-size", BATCH, "--out", tmp_path / "one.jsonl")
    two = invoke("label", packed, "--model", tiny_model_dir, "--batch-size", BATCH, "--out", tmp_path / "two.jsonl.gz", "--jobs", 2)
    assert one.exit_code == two.exit_code == 1
    unpacked = gzip.decompress((tmp_path / "two.jsonl.gz").read_bytes()).decode()
    assert unpacked.replace(f"{packed}:", f"{archive}:") == (tmp_path / "one.jsonl").read_text()  # errors name the file
    assert two.stderr.replace(f"{packed}:", f"{archive}:") == one.stderr
    invoke("label", packed, "--model", tiny_model_dir, "--batch-size", BATCH, "--out", tmp_path / "three.jsonl.gz")
    assert (tmp_path / "three.jsonl.gz").read_bytes() == (tmp_path / "two.jsonl.gz").read_bytes()  # the compressed bytes too


def test_cli_jobs_on_several_files_and_other_formats_equals_single_process(archive, tiny_model_dir, tmp_path):
    # several JSONL files (blank lines, a BOM, a line that is not UTF-8) take the workers-parse path;
    # a CSV input takes the path where this process reads and the workers predict
    odd = tmp_path / "odd.jsonl"
    odd.write_bytes(b'\xef\xbb\xbf{"id": "bom", "question": "Steun aan Oekra\xc3\xafne?"}\n\n  \n'
                    b'{"id": "cp1252", "question": "Caf\xe9 en munitie?", "answer": "Ja."}\n[1, 2]\n')
    csv_file = tmp_path / "records.csv"
    csv_file.write_text("id,question,answer\nc1,Munitie voor Oekraïne?,Ja.\nc2,,Nee.\n", encoding="utf-8")
    for inputs in ([archive, odd, archive], [odd, csv_file]):
        one = invoke("label", *inputs, "--model", tiny_model_dir, "--batch-size", 3, "--out", tmp_path / "one.jsonl")
        two = invoke("label", *inputs, "--model", tiny_model_dir, "--batch-size", 3, "--out", tmp_path / "two.jsonl", "--jobs", 2)
        assert one.exit_code == two.exit_code == 1
        assert (tmp_path / "one.jsonl").read_bytes() == (tmp_path / "two.jsonl").read_bytes()
        assert one.stderr == two.stderr


def test_api_jsonl_in_parallel_equals_single_process(archive, tiny_model, tiny_model_dir, tmp_path):
    invoke("label", archive, "--model", tiny_model_dir, "--out", tmp_path / "one.jsonl")
    summary = Summary()
    text = b"".join(label_jsonl_parallel(tiny_model, [str(archive)], batch_size=BATCH, summary=summary, jobs=2)).decode("utf-8")
    assert text == (tmp_path / "one.jsonl").read_text(encoding="utf-8")
    assert (summary.records, summary.errors, len(summary.first_errors)) == (len(text.splitlines()), 2, 2)


def test_api_jobs_with_a_model_made_in_memory(archive, tiny_model):
    got = list(label_rows_parallel(tiny_model, read_rows(str(archive)), batch_size=BATCH, jobs=2))
    assert got == single(tiny_model, archive)


def test_sigterm_ends_a_parallel_run_as_ctrl_c_does(tiny_model_dir, tmp_path):
    """cron, systemd and `timeout` stop jobs with SIGTERM: its default ended only the main process;
    the loky workers ran on (~400 MB each, the caller's stderr pipe open), and the .part file stayed."""
    import signal

    big = write_jsonl(tmp_path / "big.jsonl", [dict(r, id=f"{r['id']}/{k}") for k in range(4000) for r in _records()])
    out = tmp_path / "out.jsonl"
    labelling = subprocess.Popen([sys.executable, "-m", "classify", "label", str(big), "--model", str(tiny_model_dir), "--out",
                                  str(out), "--jobs", "2", "--batch-size", "200"], stderr=subprocess.PIPE)
    deadline = time.monotonic() + STARTUP
    while not any(p.name.endswith(".part") and os.path.getsize(p) for p in tmp_path.glob(".out.jsonl.*")) and time.monotonic() < deadline:
        time.sleep(0.05)  # until the workers' first results are written
    labelling.send_signal(signal.SIGTERM)
    _, stderr = labelling.communicate(timeout=60)  # returns only once no process holds stderr: the workers ended too
    assert labelling.returncode == 128 + signal.SIGTERM and stderr == b""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.jsonl"]


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="finds the worker processes in /proc (Linux)")
def test_workers_end_when_the_labelling_process_is_killed(tiny_model_dir, tmp_path):
    """A kill -9 of `label --jobs 2` (or the out-of-memory killer) left its loky workers running."""
    import signal

    def children(pid):
        found = []
        for entry in os.listdir("/proc"):
            try:
                with open(f"/proc/{entry}/stat", encoding="utf-8") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if fields[1] == str(pid) and fields[0] != "Z":
                found.append(int(entry))
        return found

    def alive(pid):
        try:
            with open(f"/proc/{pid}/stat", encoding="utf-8") as stat:
                return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
        except OSError:
            return False

    big = write_jsonl(tmp_path / "big.jsonl", [dict(r, id=f"{r['id']}/{k}") for k in range(4000) for r in _records()])
    labelling = subprocess.Popen([sys.executable, "-m", "classify", "label", str(big), "--model", str(tiny_model_dir), "--out",
                                  str(tmp_path / "out.jsonl"), "--jobs", "2", "--batch-size", "200"], stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + STARTUP
    while not any(p.name.endswith(".part") and os.path.getsize(p) for p in tmp_path.glob(".out.jsonl.*")) and time.monotonic() < deadline:
        time.sleep(0.05)  # until the workers' first results are written
    workers = [pid for pid in children(labelling.pid) if _cmdline(pid).find(b"loky") >= 0]
    labelling.send_signal(signal.SIGKILL)
    labelling.wait(timeout=30)
    assert workers
    deadline = time.monotonic() + 20
    while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(alive(pid) for pid in workers)


def _cmdline(pid: int) -> bytes:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return handle.read()
    except OSError:
        return b""


def test_a_killed_worker_is_one_error_line(tiny_model):
    """A worker ended by the out-of-memory killer gave loky's 58-line traceback and exit 1."""
    from classify.distributed import _on_loky
    from classify.errors import ClassifyError

    suicide = "import os, signal; os.kill(os.getpid(), signal.SIGKILL)"  # what the worker runs: exec(model_dir)
    with pytest.raises(ClassifyError, match=r"^a worker process was killed \(SIGKILL\), e\.g\. by the out-of-memory killer; nothing was written\."):
        list(_on_loky(tiny_model, iter([(exec, ())]), 2, suicide))


def test_resume_cannot_run_in_parallel(archive, tiny_model_dir, tmp_path):
    result = invoke("label", archive, "--model", tiny_model_dir, "--out", tmp_path / "o.jsonl", "--resume", "--jobs", 2)
    assert result.exit_code == 2
    assert result.stderr == "classify: error: --resume works in a single process; drop --jobs/--dask, or drop --resume to label in parallel.\n"


def test_without_dask_installed_the_error_says_what_to_install(monkeypatch, archive, tiny_model_dir):
    monkeypatch.setitem(sys.modules, "distributed", None)  # makes `import distributed` fail
    result = invoke("label", archive, "--model", tiny_model_dir, "--dask", "tcp://127.0.0.1:8786")
    assert result.exit_code == 2
    assert result.stderr == "classify: error: labelling on a Dask cluster needs Dask: pip install 'dask[distributed]' (or pip install '.[dask]' in classify's checkout)\n"


# -- Dask ------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def client():
    pytest.importorskip("distributed", reason="Dask is not installed: pip install '.[dask]' in the checkout")
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, Client(cluster) as c:
        yield c


def test_dask_rows_equal_single_process(client, archive, tiny_model):
    got = list(label_rows_parallel(tiny_model, read_rows(str(archive)), batch_size=BATCH, scheduler=client))
    assert got == single(tiny_model, archive)


def test_dask_jsonl_text_equals_single_process(client, archive, tiny_model, tiny_model_dir, tmp_path):
    invoke("label", archive, "--model", tiny_model_dir, "--out", tmp_path / "one.jsonl")
    text = b"".join(label_jsonl_parallel(tiny_model, [str(archive)], batch_size=BATCH, scheduler=client)).decode("utf-8")
    assert text == (tmp_path / "one.jsonl").read_text(encoding="utf-8")


def test_label_bag_keeps_every_record_in_order(client, tiny_model):
    import dask.bag as db

    records = [dict(r, id=f"{r['id']}/{k}") for k in range(4) for r in _records()] + [{"id": "bad", "question": 5}]
    got = __import__("classify").distributed.label_bag(db.from_sequence(records, npartitions=5), tiny_model).compute()
    expected = list(label_rows(tiny_model, ((f"record {i}", r) for i, r in enumerate(records))))
    assert [r["id"] for r in got] == [r["id"] for r in records]
    assert [{k: v for k, v in r.items() if k != "error"} for r in got] == [{k: v for k, v in r.items() if k != "error"} for r in expected]
    assert got[-1]["error"].endswith("field 'question' is an int, not text; every record needs a question text.")


def test_label_dataframe_adds_prediction_columns(client, tiny_model):
    import dask.dataframe as dd
    import pandas as pd

    from classify.distributed import label_dataframe

    frame = pd.DataFrame([{"id": r["id"], "question": r["question"], "answer": r["answer"]} for r in _records()])
    got = label_dataframe(dd.from_pandas(frame, npartitions=3), tiny_model).compute()
    expected = list(label_rows(tiny_model, ((str(i), r) for i, r in enumerate(frame.to_dict("records")))))
    assert list(got.columns) == ["id", "question", "answer", "topics", "topic_scores", "stance", "stance_scores", "error"]
    assert list(got["id"]) == list(frame["id"])
    assert got["topics"].tolist() == [r["topics"] for r in expected]
    assert got["stance"].tolist() == [r["stance"] for r in expected]
    assert got["error"].tolist() == [None] * len(frame)


def _start(args, env, log, cwd):
    return subprocess.Popen([sys.executable, "-m", *args], env=env, stdout=log, stderr=subprocess.STDOUT, cwd=cwd)


def _stop(process):
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=15)


def test_cli_on_scheduler_and_worker_processes(archive, tiny_model_dir, tmp_path):
    pytest.importorskip("distributed", reason="Dask is not installed: pip install '.[dask]' in the checkout")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    scheduler_file = tmp_path / "scheduler.json"
    processes = []
    with open(tmp_path / "scheduler.log", "w") as slog, open(tmp_path / "worker.log", "w") as wlog:
        try:
            processes.append(_start(["distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard", "--scheduler-file", str(scheduler_file)], env, slog, tmp_path))
            deadline = time.monotonic() + STARTUP
            while not scheduler_file.exists() and time.monotonic() < deadline:
                time.sleep(0.2)
            assert scheduler_file.exists(), (tmp_path / "scheduler.log").read_text()
            address = json.loads(scheduler_file.read_text())["address"]
            assert address.startswith("tcp://127.0.0.1:")
            processes.append(_start(["distributed.cli.dask_worker", "--scheduler-file", str(scheduler_file), "--host", "127.0.0.1", "--nthreads", "1", "--nworkers", "1", "--no-dashboard"], env, wlog, tmp_path))
            labelled = subprocess.run(
                [sys.executable, "-m", "classify", "label", str(archive), "--model", str(tiny_model_dir), "--batch-size", str(BATCH), "--dask", address, "--out", str(tmp_path / "dask.jsonl")],
                env=env, capture_output=True, text=True, timeout=120,
            )
        finally:
            for process in reversed(processes):
                _stop(process)
    assert labelled.returncode == 1, labelled.stderr  # exit 1: the two bad rows carry an error field
    one = invoke("label", archive, "--model", tiny_model_dir, "--batch-size", BATCH, "--out", tmp_path / "one.jsonl")
    assert (tmp_path / "dask.jsonl").read_bytes() == (tmp_path / "one.jsonl").read_bytes()
    assert labelled.stderr == one.stderr


def test_unreachable_scheduler_is_a_clean_error(monkeypatch, archive, tiny_model_dir):
    pytest.importorskip("distributed", reason="Dask is not installed: pip install '.[dask]' in the checkout")
    import classify.distributed

    monkeypatch.setattr(classify.distributed, "_CONNECT_TIMEOUT", "1s")
    result = invoke("label", archive, "--model", tiny_model_dir, "--dask", "tcp://127.0.0.1:9")
    assert result.exit_code == 2
    assert result.stderr.startswith("classify: error: cannot reach the Dask scheduler at 'tcp://127.0.0.1:9' (")
    assert result.stderr.endswith("check the address (e.g. tcp://127.0.0.1:8786) and that 'dask scheduler' is running there.\n")


def test_cli_jobs_to_stdout_equals_single_process(archive, tiny_model_dir):
    one = invoke("label", archive, "--model", tiny_model_dir, "--batch-size", BATCH)
    two = invoke("label", archive, "--model", tiny_model_dir, "--batch-size", BATCH, "--jobs", 2)
    assert one.stdout_bytes == two.stdout_bytes and one.stdout_bytes.count(b"\n") == len(archive.read_text(encoding="utf-8").splitlines())
    assert one.stderr == two.stderr
