"""Tests of classify.cli through Typer's CliRunner, plus one real subprocess."""

# ruff: noqa: E501, B905  (pinned one-line messages and inline data rows read better unwrapped; zips are of equal-length test data)

from __future__ import annotations

import csv
import io
import json
import os
import re
import signal
import subprocess
import sys
import time

import pytest
from conftest import LABELS, ROOT, SEED_DOCUMENT, STANCES, TOPICS, write_jsonl
from typer.testing import CliRunner

import classify
from classify.cli import app

PREDICTIONS = ("topics", "topic_scores", "stance", "stance_scores")
COMMANDS = ("label", "train", "evaluate", "info", "hydrate", "parse")


@pytest.fixture(scope="module")
def runner():
    return CliRunner()


def run(runner, *args):
    return runner.invoke(app, [str(a) for a in args])


def lines(text):
    return [json.loads(x) for x in text.splitlines() if x.strip()]


def assert_clean_error(result, code, *needles):
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    assert result.stderr.startswith("classify: error: ")
    assert result.stdout == ""
    for needle in needles:
        assert needle in result.stderr


# -- label ----------------------------------------------------------------------------------
def test_label_jsonl(runner, tiny_model_dir, records_path):
    result = run(runner, "label", records_path, "--model", tiny_model_dir)
    assert result.exit_code == 0, result.output
    out = lines(result.stdout)
    assert len(out) == 24
    assert all(k in row for row in out for k in PREDICTIONS)
    assert out[0]["id"] == "docA#1" and out[0]["question"].startswith("Bent u bereid")
    # the summary names the model that labelled, with its training data's size and fingerprint (as `classify info` shows them)
    fingerprint = classify.load(tiny_model_dir).info["training"]["fingerprint"].removeprefix("sha256:")[:12]
    assert f"labelled 24 records, 0 with errors, by model {tiny_model_dir} (trained on 24 records, fingerprint {fingerprint})" in result.stderr


def test_label_seed_document_with_shipped_model(runner):
    result = run(runner, "label", SEED_DOCUMENT)
    assert result.exit_code == 0, result.output
    out = lines(result.stdout)
    assert len(out) == 15
    for row in out:
        assert all(k in row for k in PREDICTIONS)
        assert set(row["topic_scores"]) == {"ukraine_support", "military_mobility", "defence_industry", "shadow_fleet"}
        assert row["stance"] in ("agree", "disagree", "neutral", "non_committal")
        assert set(row["stance_scores"]) == {"agree", "disagree", "neutral", "non_committal"}
    assert out[0]["id"] == "kst-21501-28-300#1"  # the id the document prints, as in labels/seed.jsonl


def test_label_csv_to_out_file(runner, tiny_model_dir, records_path, tmp_path):
    target = tmp_path / "sub" / "labelled.csv"
    result = run(runner, "label", records_path, "--model", tiny_model_dir, "--format", "csv", "--out", target)
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"))))
    assert len(rows) == 24
    assert {"topics", "stance"} <= set(rows[0])
    # one column of numbers per label, where the JSON cell stood; topics stay a JSON list (it reads back as annotations)
    schema = classify.load(tiny_model_dir).schema
    assert [c for c in rows[0] if "_scores" in c] == [f"topic_scores.{t}" for t in schema.topics] + [f"stance_scores.{s}" for s in schema.stances]
    assert all(0 <= float(row["topic_scores.fleet"]) <= 1 for row in rows)
    assert json.loads(rows[0]["topics"]) is not None


def test_label_parquet_out(runner, tiny_model_dir, records_path, tmp_path):
    import pyarrow.parquet as pq

    target = tmp_path / "labelled.parquet"
    result = run(runner, "label", records_path, "-m", tiny_model_dir, "-f", "parquet", "-o", target)
    assert result.exit_code == 0, result.output
    table = pq.read_table(target)
    assert table.num_rows == 24
    assert str(table.schema.field("topic_scores.ukraine").type) == "double"
    assert "topic_scores" not in table.column_names


def test_table_outputs_keep_fields_first_seen_in_a_later_record(runner, tiny_model_dir, tmp_path):
    """A record that fails after good ones: its error is a column of the CSV and the Parquet file (pyarrow's
    from_pylist took the first row's fields only, and the Parquet file lost the error)."""
    import pyarrow.parquet as pq

    source = tmp_path / "in.jsonl"
    source.write_text('{"id": "1", "question": "Steun aan Oekraïne?"}\n{"id": "2", "question": ""}\n', encoding="utf-8")
    for name in ("o.parquet", "o.csv"):
        result = run(runner, "label", source, "--model", tiny_model_dir, "--out", tmp_path / name)
        assert result.exit_code == 1, result.output
    rows = pq.read_table(tmp_path / "o.parquet").to_pylist()
    assert rows[0]["error"] is None and "field 'question' is empty" in rows[1]["error"]
    assert rows[1]["topic_scores.ukraine"] is None and rows[0]["topic_scores.ukraine"] is not None
    rows = list(csv.DictReader(io.StringIO((tmp_path / "o.csv").read_text(encoding="utf-8"))))
    assert "field 'question' is empty" in rows[1]["error"] and rows[1]["topic_scores.ukraine"] == ""


def test_relabelling_a_labelled_csv_replaces_its_score_columns(runner, tiny_model_dir, tmp_path):
    """Score columns of an earlier run are input fields the second run must not keep beside its own."""
    source = tmp_path / "in.csv"
    source.write_text("id,question,topic_scores.old_label,topic_scores.ukraine\n1,Steun aan Oekraïne?,0.9,0.1\n", encoding="utf-8")
    result = run(runner, "label", source, "--model", tiny_model_dir, "--out", tmp_path / "o.csv")
    assert result.exit_code == 0, result.output
    row = next(csv.DictReader(io.StringIO((tmp_path / "o.csv").read_text(encoding="utf-8"))))
    assert "topic_scores.old_label" not in row and float(row["topic_scores.ukraine"]) > 0.5


def test_the_output_format_is_the_one_the_out_file_names(runner, tiny_model_dir, records_path, tmp_path):
    import gzip

    for name, first in (("o.csv", b"id,"), ("o.tsv", b"id\t"), ("o.jsonl.gz", b'{"id": '), ("o.txt", b'{"id": ')):
        result = run(runner, "label", records_path, "--model", tiny_model_dir, "--out", tmp_path / name)
        assert result.exit_code == 0, result.output
        data = (tmp_path / name).read_bytes()
        assert (gzip.decompress(data) if name.endswith(".gz") else data).startswith(first)
    result = run(runner, "label", records_path, "--model", tiny_model_dir, "--format", "excel", "--out", tmp_path / "nl.csv")
    assert result.exit_code == 0 and (tmp_path / "nl.csv").read_bytes().startswith(b"\xef\xbb\xbfid;question;")


@pytest.mark.parametrize(("args", "message"), [
    (["--format", "jsonl", "--out", "o.csv"], "--format jsonl would write JSONL into '{dir}/o.csv', a CSV file name: drop --format to "
                                              "write CSV, or name the file for the format (e.g. o.jsonl)."),
    (["--format", "table", "--out", "o.txt"], "--format table is printed on the terminal, not written to '{dir}/o.txt': drop --out, or "
                                              "drop --format to write the file in the format its name gives."),
    (["--resume", "--out", "o.jsonl.gz"], "--resume appends to plain JSONL; --out {dir}/o.jsonl.gz would be gzip. Label into "
                                          "{dir}/o.jsonl and gzip it when done."),
])
def test_an_output_the_format_cannot_go_to_is_refused_before_any_work(runner, tiny_model_dir, records_path, tmp_path, args, message):
    args = [f"{tmp_path}/{a}" if a.startswith("o.") else a for a in args]
    result = run(runner, "label", records_path, "--model", tiny_model_dir, *args)
    assert_clean_error(result, 2, message.format(dir=tmp_path))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full (Linux) to fill stdout")
def test_stdout_on_a_full_disk_is_a_clean_error(tiny_model_dir, records_path):
    with open("/dev/full", "w") as full:
        done = subprocess.run([sys.executable, "-m", "classify", "label", str(records_path), "--model", str(tiny_model_dir)],
                              stdout=full, stderr=subprocess.PIPE, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr == ("classify: error: cannot write the output (No space left on device); free some space, or write it "
                           "elsewhere.\n")


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_reader_that_stops_early_ends_the_run_as_a_closed_pipe_does(tiny_model_dir, tmp_path, jobs):
    """`classify label big.jsonl | head -1` exited 1, the README's "some records could not be
    handled", and with --jobs printed joblib's warning about cancelled tasks."""
    big = write_jsonl(tmp_path / "big.jsonl", [{"id": str(i), "question": f"Steunt u Oekraïne met {i} munitie?"} for i in range(20000)])
    labelling = subprocess.Popen([sys.executable, "-m", "classify", "label", str(big), "--model", str(tiny_model_dir), "--jobs", jobs,
                                  "--batch-size", "500"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert json.loads(labelling.stdout.readline())["id"] == "0"
    labelling.stdout.close()  # as `head -1` does
    assert labelling.wait(timeout=120) == 128 + signal.SIGPIPE
    assert labelling.stderr.read() == b""
    labelling.stderr.close()


def test_a_long_label_run_counts_its_records_on_stderr(monkeypatch, capsys):
    """`label` printed nothing until its last line, minutes into a large archive."""
    from classify import cli
    from classify.labelling import Summary

    monkeypatch.setitem(cli.TICK_SECONDS, False, 0.05)  # stderr here is no terminal: the log's line a minute
    summary = Summary(records=1200)
    with cli._ticking(summary, "out.jsonl"):
        time.sleep(0.3)
    lines = capsys.readouterr().err.splitlines()
    assert lines and all(re.fullmatch(r"classify: labelled 1,200 records so far \([\d,]+/s\)", line) for line in lines)
    with cli._ticking(summary, "out.jsonl"):
        pass
    assert capsys.readouterr().err == ""  # a short run: nothing more than before


def test_label_table(runner, tiny_model_dir, records_path):
    result = run(runner, "label", records_path, "--model", tiny_model_dir, "--format", "table")
    assert result.exit_code == 0, result.output
    rows = result.stdout.splitlines()
    assert rows[0].split() == ["id", "topics", "stance", "question"]
    assert len(rows) == 1 + 24
    assert rows[1].startswith("docA#1") and "Bent u bereid" in rows[1]


def test_a_document_without_questions_is_an_error_record_and_the_others_are_labelled(runner, tiny_model_dir, tmp_path):
    """One such file among many stopped the whole run with no output (exit 2); now it is one error
    record, as a document field without questions is (--document-field), and the exit code 1."""
    path = tmp_path / "notes.txt"
    path.write_text("Geen vragen hier.\n", encoding="utf-8")
    result = run(runner, "label", path, SEED_DOCUMENT, "--model", tiny_model_dir, "--out", tmp_path / "o.jsonl")
    assert result.exit_code == 1, result.output
    out = lines((tmp_path / "o.jsonl").read_text(encoding="utf-8"))
    assert len(out) == 16 and out[0]["id"] is None and out[0]["error"].startswith(f"{path}: no questions found")
    assert all("error" not in row for row in out[1:])
    table = run(runner, "label", path, "--model", tiny_model_dir, "--format", "table")
    assert table.exit_code == 1 and "ERROR: " in table.stdout and "no questions found" in table.stdout


def test_label_bad_record_exits_1_and_keeps_going(runner, tiny_model_dir, tmp_path):
    path = write_jsonl(tmp_path / "in.jsonl", [{"id": "1", "question": "Oekraïne?"}, {"id": "2", "question": 5}, "{broken", {"id": "4", "question": "Tankers?"}])
    result = run(runner, "label", path, "--model", tiny_model_dir)
    assert result.exit_code == 1
    out = lines(result.stdout)
    assert [r.get("id") for r in out] == ["1", "2", None, "4"]
    assert "error" not in out[0] and "error" not in out[3]
    assert out[1]["error"] == f"{path}:2: field 'question' is an int, not text; every record needs a question text."
    assert out[2]["error"].startswith(f"{path}:3: not valid JSON")
    assert "labelled 4 records, 2 with errors" in result.stderr
    assert "Traceback" not in result.output


def test_label_missing_input(runner, tiny_model_dir, tmp_path):
    result = run(runner, "label", tmp_path / "nope.jsonl", "--model", tiny_model_dir)
    assert_clean_error(result, 2, "nope.jsonl' does not exist; check the path")


def test_label_missing_model(runner, records_path, tmp_path):
    result = run(runner, "label", records_path, "--model", tmp_path / "nomodel")
    assert_clean_error(result, 2, "nomodel' does not exist; pass a directory written by Model.save or 'classify train --out'")


@pytest.mark.parametrize("resume", [[], ["--resume"]])
def test_label_out_a_directory_is_a_clean_error(runner, tiny_model_dir, records_path, tmp_path, resume):
    result = run(runner, "label", records_path, "--model", tiny_model_dir, "--out", tmp_path, *resume)
    assert_clean_error(result, 2, f"output '{tmp_path}' is a directory; give a file path")
    assert "records" not in result.stderr and list(tmp_path.iterdir()) == []  # stopped before labelling


@pytest.mark.parametrize("command", ["label", "parse", "hydrate"])
def test_out_naming_an_input_is_refused(runner, records_path, tmp_path, command):
    source = SEED_DOCUMENT if command == "parse" else records_path
    copy = tmp_path / source.name
    copy.write_bytes(source.read_bytes())
    extra = ["--corpora", tmp_path] if command == "hydrate" else []
    result = run(runner, command, copy, *extra, "--out", f"{tmp_path}/./{copy.name}")  # another spelling, the same file
    assert_clean_error(result, 2, f"names an input ({copy}); writing would replace it. Choose another output file.")
    assert copy.read_bytes() == source.read_bytes()
    if command == "hydrate":  # a corpus file is an input too
        result = run(runner, command, records_path, "--corpora", tmp_path, "--out", copy)
        assert_clean_error(result, 2, "names an input; writing would replace it.")


def test_label_bad_format_leaves_no_file(runner, tiny_model_dir, records_path, tmp_path):
    result = run(runner, "label", records_path, "--model", tiny_model_dir, "--format", "xlsx", "--out", tmp_path / "o.xlsx")
    assert_clean_error(result, 2, "unknown output format 'xlsx'; use one of jsonl, csv, tsv, excel, parquet, table.")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", ["parse", "hydrate", "suggest"])
def test_a_bad_format_stops_before_any_work(runner, tiny_model_dir, records_path, tmp_path, command):
    args = {"parse": [SEED_DOCUMENT], "hydrate": [records_path, "--corpora", tmp_path],
            "suggest": [records_path, "--model", tiny_model_dir]}[command]
    result = run(runner, command, *args, "--format", "xlsx", "--out", tmp_path / "o.xlsx")
    assert_clean_error(result, 2, "unknown output format 'xlsx'; use one of jsonl, csv, tsv, excel, parquet.")
    assert "classify: " not in result.stderr.replace("classify: error: ", "")  # no progress line: nothing was done


def test_parquet_is_not_written_to_a_terminal(monkeypatch):
    from classify.cli import _check_output
    from classify.errors import DataError

    monkeypatch.setattr("sys.stdout.isatty", lambda: True)
    with pytest.raises(DataError, match=r"^--format parquet is binary and stdout is a terminal: give --out FILE\.parquet"):
        _check_output(None, "parquet", [])
    _check_output(None, "jsonl", [])  # text is fine on a terminal


# -- train, then label and evaluate with the new model --------------------------------------
USER_ROWS = [
    {"id": f"d{i % 3}#{i}", "question": q, "answer": a, "topics": t, "stance": s}
    for i, (q, a, t, s) in enumerate([
        ("Komen er meer sociale huurwoningen?", "Ja, we bouwen er meer.", ["housing"], "yes"),
        ("Gaat de huur omlaag?", "Nee, de huur blijft gelijk.", ["housing"], "no"),
        ("Worden er woningen gebouwd in Utrecht?", "Ja, duizend woningen.", ["housing"], "yes"),
        ("Stijgt de huurtoeslag?", "Nee.", ["housing"], "no"),
        ("Worden de wachtlijsten in de zorg korter?", "Ja, de wachtlijsten worden korter.", ["health"], "yes"),
        ("Komt er meer geld voor ziekenhuizen?", "Nee, daar is geen geld voor.", ["health"], "no"),
        ("Gaat het eigen risico omlaag?", "Ja, het eigen risico daalt.", ["health"], "yes"),
        ("Krijgen huisartsen meer tijd?", "Nee.", ["health"], "no"),
        ("Zijn er zorgwoningen voor ouderen?", "Ja.", ["health", "housing"], "yes"),
    ])
]


@pytest.fixture(scope="module")
def user_model(runner, tmp_path_factory):
    folder = tmp_path_factory.mktemp("user")
    data = write_jsonl(folder / "mine.jsonl", USER_ROWS)
    schema = folder / "mine.toml"
    schema.write_text('name = "mine"\ntopics = ["housing", "health"]\nstances = ["yes", "no"]\n', encoding="utf-8")
    result = run(runner, "train", data, "--out", folder / "model", "--schema", schema, "--cv", "2")
    return folder, data, result


def test_train_with_user_labels(user_model):
    folder, _, result = user_model
    assert result.exit_code == 0, result.output
    assert "model with heads topics, stance written to" in result.stderr
    assert "cross-validation fold 1/2" in result.stderr
    assert "housing" in result.stdout and "macro F1" in result.stdout  # the metrics report
    manifest = json.loads((folder / "model" / "manifest.json").read_text(encoding="utf-8"))
    assert [t["name"] for t in manifest["schema"]["topics"]] == ["housing", "health"]
    assert [s["name"] for s in manifest["schema"]["stances"]] == ["yes", "no"]
    assert manifest["training"]["sources"] == [str(folder / "mine.jsonl")]



def test_train_on_labels_nested_in_a_record(runner, tmp_path):
    """../shared/data's files keep their labels under meta: --topics-field meta.theme reads them as they are."""
    rows = [{"id": r["id"], "question": r["question"], "answer": r["answer"], "meta": {"theme": r["topics"][0], "house": {"stance": r["stance"]}}}
            for r in USER_ROWS]
    data = write_jsonl(tmp_path / "nested.jsonl", rows)
    result = run(runner, "train", data, "--out", tmp_path / "m", "--cv", "0", "--topics-field", "meta.theme", "--stance-field", "meta.house.stance")
    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / "m" / "manifest.json").read_text(encoding="utf-8"))
    assert {t["name"] for t in manifest["schema"]["topics"]} == {"housing", "health"}
    assert {s["name"] for s in manifest["schema"]["stances"]} == {"yes", "no"}
    result = run(runner, "label", data, "--model", tmp_path / "m", "--format", "table")
    assert result.exit_code == 0 and "Worden er woningen gebouwd" in result.stdout

def test_label_with_trained_model(runner, user_model):
    folder, data, _ = user_model
    result = run(runner, "label", data, "--model", folder / "model")
    assert result.exit_code == 0, result.output
    out = lines(result.stdout)
    assert len(out) == len(USER_ROWS)
    assert list(out[0]["topic_scores"]) == ["housing", "health"]
    assert list(out[0]["stance_scores"]) == ["yes", "no"]


def test_evaluate_json(runner, user_model):
    folder, data, _ = user_model
    result = run(runner, "evaluate", data, "--model", folder / "model", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert set(report) == {"topics", "stance"}
    assert list(report["topics"]["per_label"]) == ["housing", "health"]
    assert report["stance"]["n"] == len(USER_ROWS)


def test_evaluate_text(runner, tiny_model_dir, records_path):
    result = run(runner, "evaluate", records_path, "--model", tiny_model_dir)
    assert result.exit_code == 0, result.output
    assert "topics (n=24)" in result.stdout and "stance (n=22)" in result.stdout
    # the model was trained on these very records: said beside the figures, and on stderr (as compare says it)
    assert "note: 24 of these 24 records were in the model's training data; its figures on them are optimistic (the model card's" in result.stdout
    assert "classify: warning: 24 of these records were in the model's training data; its figures on them are optimistic." in result.stderr


def test_evaluate_unknown_labels_miss(runner, tiny_model_dir, records, tmp_path):
    """A rare label only on the test side of a researcher's split: --unknown-labels miss scores it
    as never predicted (the default stops, proposing the option); a value of another name is refused first."""
    records[0]["topics"] = ["airports"]
    path = write_jsonl(tmp_path / "held_out.jsonl", records)
    assert_clean_error(run(runner, "evaluate", path, "--model", tiny_model_dir), 2,
                       f"{path}:1: unknown topic 'airports'", "--unknown-labels miss")
    result = run(runner, "evaluate", path, "--model", tiny_model_dir, "--unknown-labels", "miss")
    assert result.exit_code == 0, result.output
    assert "(not labels of the model, scored as never predicted: airports)" in result.stdout
    assert "classify: warning: scored as missed, not labels of the model: topic 'airports' (1 record); the model never predicts them" in result.stderr
    assert_clean_error(run(runner, "evaluate", path, "--model", tiny_model_dir, "--unknown-labels", "ignore"), 2,
                       "unknown labels 'ignore': use 'error'")


def test_train_unknown_label_with_schema(runner, tmp_path):
    path = write_jsonl(tmp_path / "ann.jsonl", [
        {"id": "1", "question": "Tankers?", "answer": "Ja.", "topics": ["shadow_fleet"], "stance": "agree"},
        {"id": "2", "question": "Schaduwvloot?", "answer": None, "topics": ["shadowfleet"], "stance": None},
    ])
    result = run(runner, "train", path, "--out", tmp_path / "m", "--schema", LABELS / "schema.toml", "--cv", "0")
    assert_clean_error(result, 2, f"{path}:2: unknown topic 'shadowfleet'. Did you mean 'shadow_fleet'?")
    assert not (tmp_path / "m").exists()


def test_train_refuses_an_out_it_would_destroy_before_training(runner, records_path):
    # --out given the annotations' own path: refused at once (no "fitting" progress), the file intact
    before = records_path.read_bytes()
    result = run(runner, "train", records_path, "--out", records_path)
    assert_clean_error(result, 2, "tiny.jsonl' is a file, not a model directory; saving would replace it")
    assert "fitting" not in result.stderr and records_path.read_bytes() == before


def test_train_keeps_the_shipped_model_from_a_model_of_other_labels(runner, records_path, tiny_model_dir, monkeypatch):
    """`train --out models/default` replaced the model every command without --model uses (exit 0)."""
    import classify

    monkeypatch.setattr(classify, "default_model_path", lambda: tiny_model_dir)  # the test's stand-in for the shipped model
    before = {p.name: p.read_bytes() for p in tiny_model_dir.iterdir()}
    result = run(runner, "train", records_path, "--out", tiny_model_dir, "--cv", "0")  # no --schema: labels of its own
    assert_clean_error(result, 2, "is the shipped default model, which every command without --model uses",
                       "Write yours elsewhere (--out models/mine) and pass --model models/mine.")
    assert "fitting" not in result.stderr  # refused before training
    assert {p.name: p.read_bytes() for p in tiny_model_dir.iterdir()} == before


def test_train_missing_schema_file(runner, records_path, tmp_path):
    result = run(runner, "train", records_path, "--out", tmp_path / "m", "--schema", tmp_path / "none.toml")
    assert_clean_error(result, 2, "none.toml' does not exist; pass an existing TOML file (schema= in Python, --schema on the command line)")


def test_train_with_corpora_reports_missing_ids(runner, tmp_path):
    corpora = tmp_path / "corpora"
    corpora.mkdir()
    write_jsonl(corpora / "c.jsonl", [{"id": "c1", "question": "Vraag?", "answer": "Ja."}])
    ids = write_jsonl(tmp_path / "ids.jsonl", [{"id": "c1", "stance": "agree"}, {"id": "gone", "stance": "agree"}])
    result = run(runner, "train", ids, "--out", tmp_path / "m", "--corpora", corpora, "--cv", "0")
    assert_clean_error(result, 2, "1 annotated ids are not in", "(first: 'gone')")


@pytest.mark.parametrize("command", ["train", "evaluate"])
def test_id_only_annotations_are_named_by_their_own_file_and_line(runner, tmp_path, command):
    """With --corpora every error said 'record 3' of no file (or of the first file)."""
    corpora = tmp_path / "corpora"
    corpora.mkdir()
    write_jsonl(corpora / "c.jsonl", [{"id": f"c{i}", "question": f"Vraag {i}?", "answer": "Ja."} for i in range(3)])
    first = write_jsonl(tmp_path / "a.jsonl", [{"id": "c0", "topics": ["shadow_fleet"], "stance": "agree"}])
    second = write_jsonl(tmp_path / "e.jsonl", [{"id": "c1", "topics": []}, {"id": "c2", "topics": ["shadowfleet"]}])
    args = ["--out", tmp_path / "m", "--schema", LABELS / "schema.toml"] if command == "train" else []
    result = run(runner, command, first, second, "--corpora", corpora, "--cv", "0", *args) if command == "train" else \
        run(runner, command, first, second, "--corpora", corpora)
    assert_clean_error(result, 2, f"{second}:2: unknown topic 'shadowfleet'. Did you mean 'shadow_fleet'?")


# -- info, hydrate, parse -------------------------------------------------------------------
def test_info(runner, tiny_model_dir):
    result = run(runner, "info", "--model", tiny_model_dir)
    assert result.exit_code == 0, result.output
    assert "heads      topics, stance" in result.stdout
    assert "fleet (threshold" in result.stdout and "stances    agree, disagree, neutral" in result.stdout
    assert ", squared_hinge)" in result.stdout  # the loss each topic was fitted with (too few examples for ridge)
    assert "\n2-fold cross-validation, folds grouped by source document:\ntopics (n=24)" in result.stdout


def test_train_prints_its_figures_under_what_they_are(runner, records_path, tmp_path):
    """stdout kept on its own (`> metrics.txt`) looked like `evaluate`'s figures on training data."""
    result = run(runner, "train", records_path, "--out", tmp_path / "m", "--cv", "2")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("2-fold cross-validation, folds grouped by source document:\ntopics (n=24)\n")


def test_info_and_card_name_the_label_count_rule(runner, tmp_path):
    """A model trained on one label per record always returns one: said only in the code before."""
    import classify

    records = [{"id": str(i), "question": q, "topics": [t]} for i, (q, t) in enumerate(
        [("Wapens voor Oekraïne?", "a"), ("Wachtlijsten in de zorg?", "b"), ("Munitie voor Oekraïne?", "a"), ("Ziekenhuizen dicht?", "b")])]
    path = classify.train(records, cv=0).save(tmp_path / "one")
    result = run(runner, "info", "--model", path)
    assert "rule       exactly one label per record, as in the training data" in result.stdout
    assert "then exactly one label per record, as in the training data" in (path / "README.md").read_text(encoding="utf-8")
    assert "rule " not in run(runner, "info").stdout  # the shipped model: zero or more


def test_info_names_the_training_parameters_a_model_was_trained_with(runner, records_path, tmp_path):
    """They were in the manifest only: a model trained with --param looked like any other."""
    assert "training   seed 0, cv 5; default parameters\n" in run(runner, "info").stdout  # the shipped model
    result = run(runner, "train", records_path, "--out", tmp_path / "m", "--cv", "0", "--seed", "3", "--param", "char_weight=2",
                 "--param", "topic_class_weight=null")
    assert result.exit_code == 0, result.output
    assert "training   seed 3, cv 0; parameters topic_class_weight=None, char_weight=2 (the rest default)\n" in \
        run(runner, "info", "--model", tmp_path / "m").stdout


def test_info_names_a_missing_head(runner, tiny_model, tmp_path):
    from classify.model import Model

    Model(tiny_model.schema, None, tiny_model.stance, tiny_model.info).save(tmp_path / "stance_only")
    result = run(runner, "info", "--model", tmp_path / "stance_only")
    assert result.exit_code == 0, result.output
    assert "topics     fleet, industry, ukraine  (in the schema; the model has no topic head: never predicted)" in result.stdout
    assert "stances    agree, disagree, neutral\n" in result.stdout


def test_info_json_shipped_model(runner):
    result = run(runner, "info", "--json")
    assert result.exit_code == 0, result.output
    manifest = json.loads(result.stdout)
    assert manifest["format"] == "classify-model" and set(manifest["heads"]) == {"topics", "stance"}


def test_info_damaged_model(runner, model_copy):
    (model_copy / "manifest.json").write_text("[]")
    assert_clean_error(run(runner, "info", "--model", model_copy), 2, "'format' must be 'classify-model'")


@pytest.mark.parametrize("edit, message", [
    (lambda m: m.update(thresholds=[0.5]), "field 'thresholds' must be a dict, got list"),  # was AttributeError, exit 1
    (lambda m: m["heads"].update(topics=None), "head 'topics' must be a dict, got NoneType"),
    (lambda m: m["heads"]["topics"].update(label_count_bounds=[5]), "the manifest does not describe a loadable model"),
    (lambda m: m["metrics"].update(topics=5), "its 'metrics' are damaged"),
])
def test_info_is_a_health_check_with_one_clean_error(runner, model_copy, edit, message):
    manifest = json.loads((model_copy / "manifest.json").read_text(encoding="utf-8"))
    edit(manifest)
    (model_copy / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    result = run(runner, "info", "--model", model_copy)
    assert result.exit_code == 2 and result.stderr.startswith("classify: error: ") and message in result.stderr, result.output


def test_info_refuses_a_tampered_payload_as_load_does(runner, model_copy):
    """info printed a healthy summary (exit 0) of a model that load refuses."""
    payload = model_copy / "topics.intercept.npy"
    payload.write_bytes(payload.read_bytes()[:-8] + b"\0" * 8)
    assert_clean_error(run(runner, "info", "--model", model_copy), 2, "checksum mismatch for 'topics.intercept.npy'")


def test_hydrate(runner, tmp_path):
    corpora = tmp_path / "corpora"
    corpora.mkdir()
    write_jsonl(corpora / "c.jsonl", [{"id": "c1", "question": "Vraag?", "answer": "Ja."}])
    ids = write_jsonl(tmp_path / "ids.jsonl", [{"id": "c1", "stance": "agree"}])
    out = tmp_path / "gold.jsonl"
    result = run(runner, "hydrate", ids, "--corpora", corpora, "--out", out)
    assert result.exit_code == 0, result.output
    assert lines(out.read_text(encoding="utf-8")) == [{"id": "c1", "stance": "agree", "question": "Vraag?", "answer": "Ja."}]
    assert "hydrated 1 records; 0 ids not found" in result.stderr
    zaak = write_jsonl(tmp_path / "zaak.jsonl", [{"zaak": "c1", "stance": "agree"}])  # an id column of another name
    assert_clean_error(run(runner, "hydrate", zaak, "--corpora", corpora), 2, "no 'id' field", "(name its column: fields={'id': COLUMN} in Python, --id-field COLUMN on the command line)")
    result = run(runner, "hydrate", zaak, "--corpora", corpora, "--id-field", "zaak")
    assert result.exit_code == 0 and lines(result.stdout) == [{"zaak": "c1", "stance": "agree", "question": "Vraag?", "answer": "Ja."}]

    write_jsonl(ids, [{"id": "c1"}, {"id": "gone"}, {"id": "c1 "}])
    result = run(runner, "hydrate", ids, "--corpora", corpora)
    assert result.exit_code == 1
    assert len(lines(result.stdout)) == 1
    assert "missing: 'gone'" in result.stderr and "missing: 'c1 '" in result.stderr  # quoted: the stray space shows

    write_jsonl(ids, [{"id": f"gone{i}"} for i in range(25)])
    result = run(runner, "hydrate", ids, "--corpora", corpora)
    assert result.exit_code == 1 and result.stderr.count("missing: 'gone") == 20
    assert result.stderr.endswith("  missing: 'gone19'\nclassify:   ... and 5 more (left out of the output)\n")


def test_parse(runner):
    result = run(runner, "parse", SEED_DOCUMENT)
    assert result.exit_code == 0, result.output
    out = lines(result.stdout)
    assert len(out) == 15
    assert {"id", "question", "answer", "number"} <= set(out[0])
    assert "parsed 15 records" in result.stderr


def test_warnings_are_one_line_each(runner, records_path, tmp_path):
    result = run(runner, "parse", ROOT / "tests" / "fixtures" / "documents" / "gedeeltelijk.txt")
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[0] == (
        "classify: warning: " + str(ROOT / "tests" / "fixtures" / "documents" / "gedeeltelijk.txt")
        + ": skipped 2 of 4 question/answer blocks ('Antwoord 9' without question, 'Vraag 2' without text); kept 2."
    )
    schema = tmp_path / "schema.toml"
    schema.write_text("".join(f'[[{kind}]]\nname = "{name}"\n' for kind, names in (("topics", (*TOPICS, "cables")), ("stances", STANCES)) for name in names))
    result = run(runner, "train", records_path, "--schema", schema, "--out", tmp_path / "m", "--cv", 0)
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith("classify: warning: topic 'cables' has no example among the 24 annotations")
    assert "LabelWarning" not in result.stderr and "warn(" not in result.stderr


def test_another_librarys_warning_is_one_line_too(runner, monkeypatch):
    """scikit-learn's warnings (ConvergenceWarning, a one-stance confusion matrix) printed their
    file, line and source: one `classify: warning:` line each, as README promises, naming the category."""
    import warnings

    from classify import documents

    real = documents.parse

    def noisy(*args, **kwargs):
        warnings.warn("Liblinear failed to converge,\n  increase the number of iterations.", RuntimeWarning, stacklevel=2)
        return real(*args, **kwargs)

    monkeypatch.setattr(documents, "parse", noisy)
    result = run(runner, "parse", SEED_DOCUMENT)
    assert result.exit_code == 0
    assert result.stderr.splitlines()[0] == "classify: warning: Liblinear failed to converge, increase the number of iterations. (RuntimeWarning)"


@pytest.mark.parametrize(("args", "message"), [
    (["label", "x.jsonl", "--jobs", "0"], "Invalid value for '--jobs' / '-j': Input should be greater than or equal to 1 (see classify label --help)"),
    (["lable", "x.jsonl"], "No such command 'lable'. Did you mean 'label'? (see classify --help)"),
    (["explain", "Steun?", "--top", "0"], "Invalid value for '--top': Input should be greater than or equal to 1 (see classify explain --help)"),
])
def test_a_usage_error_is_one_line_too(runner, args, message):
    result = run(runner, *args)
    assert result.exit_code == 2 and result.stderr == f"classify: error: {message}\n"


def test_parse_of_several_documents_goes_past_one_without_questions(runner, tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("Geen vragen hier.\n", encoding="utf-8")
    result = run(runner, "parse", notes, SEED_DOCUMENT)
    assert result.exit_code == 1 and len(lines(result.stdout)) == 15  # it stopped with no output, exit 2
    assert "parsed 15 records; 1 of 2 documents had none" in result.stderr and f"{notes}: no questions found" in result.stderr
    assert_clean_error(run(runner, "parse", notes), 2, "notes.txt: no questions found")  # a lone document: an error


@pytest.mark.parametrize("command", ["parse", "label"])
def test_documents_of_one_name_in_two_folders_get_distinct_ids(runner, tmp_path, command):
    """A folder per year, each with an antwoorden.txt: both documents' records were 'antwoorden#1', ...
    (training on the output then failed on duplicate ids). A text that prints its id keeps it."""
    for year, question in (("2012", "Steunt u Oekraïne?"), ("2013", "Komt er een verbod op de schaduwvloot?")):
        (tmp_path / year).mkdir()
        (tmp_path / year / "antwoorden.txt").write_text(f"Vraag 1\n{question}\nAntwoord\nJa.\n", encoding="utf-8")
    printed = tmp_path / "2013" / "nr300.txt"
    printed.write_text(SEED_DOCUMENT.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "2012" / "nr300.txt").write_text(printed.read_text(encoding="utf-8"), encoding="utf-8")
    paths = sorted(tmp_path.glob("*/*.txt"))
    result = run(runner, command, *paths)
    ids = [row["id"] for row in lines(result.stdout)]
    assert ids[0] == "2012/antwoorden#1" and ids[1] == "kst-21501-28-300#1" and ids[16] == "2013/antwoorden#1"
    assert len(ids) == 32 and len(set(ids)) == 17  # the printed ids of the one document given twice stay its own
    assert ("classify: warning: 2 documents are named 'antwoorden': where a text prints no id of its own, its records' ids name its "
            f"folders too ({paths[0]} -> 2012/antwoorden#, {paths[2]} -> 2013/antwoorden#).") in result.stderr
    alone = run(runner, command, paths[0])
    assert lines(alone.stdout)[0]["id"] == "antwoorden#1" and "warning" not in alone.stderr


def test_parse_csv(runner):
    result = run(runner, "parse", SEED_DOCUMENT, "--format", "csv")
    assert result.exit_code == 0, result.output
    assert len(list(csv.DictReader(io.StringIO(result.stdout)))) == 15


def test_parse_missing_document(runner, tmp_path):
    assert_clean_error(run(runner, "parse", tmp_path / "none.txt"), 2, "none.txt' does not exist")


def test_parse_of_a_folder_names_the_files_to_give(runner, tmp_path):
    assert_clean_error(run(runner, "parse", tmp_path), 2, f"{tmp_path}: a folder, not a file; give the files in it (e.g. {tmp_path}/*.txt)")


# -- help -----------------------------------------------------------------------------------
def test_no_arguments_shows_help(runner):
    result = runner.invoke(app, [])
    assert "label" in result.output and "train" in result.output


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_help_has_an_example(runner, command):
    result = run(runner, command, "--help")
    assert result.exit_code == 0
    assert f"Example: classify {command}" in result.stdout


def test_version(runner):
    import classify

    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.stdout == f"classify {classify.__version__}\n"


def test_python_m_classify_help():
    done = subprocess.run([sys.executable, "-m", "classify", "--help"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    for command in COMMANDS:
        assert command in done.stdout


def test_evaluate_topics_only_annotations(runner, tiny_model_dir, tmp_path):
    path = write_jsonl(tmp_path / "topics.jsonl", [{"id": "1", "question": "Tankers?", "topics": ["fleet"]}, {"id": "2", "question": "Orders?", "topics": []}])
    result = run(runner, "evaluate", path, "--model", tiny_model_dir, "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["topics"]["n"] == 2


def test_label_document_field_in_jsonl(tmp_path):
    from conftest import SEED_DOCUMENT

    path = tmp_path / "docs.jsonl"
    path.write_text(json.dumps({"id": "nr300", "text": SEED_DOCUMENT.read_text(encoding="utf-8")}) + "\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["label", str(path), "--document-field", "text"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 15 and rows[0]["id"] == "nr300#1" and rows[0]["document_id"] == "nr300" and "stance" in rows[0]


def test_train_param_sets_a_training_parameter(runner, records_path, tmp_path):
    result = run(runner, "train", records_path, "--out", tmp_path / "m", "--cv", "0", "--param", "topic_loss=ridge",
                 "--param", "topic_alpha=0.5")
    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / "m" / "manifest.json").read_text(encoding="utf-8"))
    assert (manifest["training"]["params"]["topic_loss"], manifest["training"]["params"]["topic_alpha"]) == ("ridge", 0.5)
    assert "one ridge regression per label, alpha=0.5" in (tmp_path / "m" / "README.md").read_text(encoding="utf-8")


def test_train_unknown_param_fails_before_reading(runner, tmp_path):
    result = run(runner, "train", tmp_path / "missing.jsonl", "--out", tmp_path / "m", "--param", "topic_los=ridge")
    assert_clean_error(result, 2, "unknown training parameter 'topic_los'. Did you mean 'topic_loss'?")


def test_the_readme_command_table_lists_every_option():
    """README's command table is where users look first: an option missing there is not found."""
    import re

    import typer.main

    table = [line for line in (ROOT / "README.md").read_text(encoding="utf-8").splitlines() if line.startswith("| `classify ")]
    group = typer.main.get_command(app)
    fields = {"--question-field", "--answer-field", "--id-field", "--topics-field", "--stance-field"}  # documented once, below the table
    for name, command in group.commands.items():
        rows = [line for line in table if line.startswith(f"| `classify {name} ")]
        assert rows, f"README's command table has no row for 'classify {name}'"
        options = {opt for param in command.params for opt in param.opts if opt.startswith("--")} - fields - {"--help"}
        missing = {opt for opt in options if not any(re.search(rf"{opt}\b", row) for row in rows)}
        assert not missing, f"README's row for 'classify {name}' lacks {sorted(missing)}"


def test_ctrl_c_gives_the_exit_a_deadline(runner):
    """After Ctrl-C, `label --jobs 2` hung in about 1 of 60 interrupts while loky's executor shut down
    (joblib's abort, or a lock taken during the interpreter's exit). The console script's Ctrl-C now
    arms SIGALRM, whose default action ends the process even when no Python code runs any more."""
    import signal

    script = ("import atexit, signal, time, classify.cli as cli\n"
              "cli.INTERRUPT_GRACE_SECONDS = 1\n"
              "cli.app = lambda **kw: signal.raise_signal(signal.SIGINT)  # the command: interrupted at once\n"
              "atexit.register(time.sleep, 60)  # an exit that never ends\n"
              "cli.main()\n")
    # SIGINT at its default in the child, as in a terminal: a suite run as a background job (`.ci/run &`)
    # passes it on ignored, and then the console script rightly arms nothing (nohup's case)
    done = subprocess.run([sys.executable, "-c", script], timeout=30, capture_output=True,
                          preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    assert done.returncode == -signal.SIGALRM
    before = signal.getsignal(signal.SIGINT)
    run(runner, "--version")  # in a caller's process (CliRunner, a notebook): no handler, so no alarm after a Ctrl-C
    assert signal.getsignal(signal.SIGINT) is before
