"""Reliability: bad input never crashes classify, no record is lost, an interrupted run resumes.

Every kind of bad input is tried both ways. Labelling: the bad record comes out with an
``error`` field, every other record is labelled, and the exit code is 1. Training: one
``DataError`` naming file:line, the value and the fix, and exit code 2 from the CLI.
Property-based tests check the core invariant on arbitrary Unicode and record structures: as
many output records as input records, with the same ids, in the same order.
"""

# ruff: noqa: E501, B905  (pinned one-line messages and inline data rows read better unwrapped; zips are of equal-length test data)

from __future__ import annotations

import csv
import hashlib
import itertools
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT, _records, write_jsonl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import classify
from classify.annotations import Fields
from classify.errors import DataError
from classify.io import read_rows
from classify.labelling import PREDICTION_FIELDS, Summary, label_rows
from classify.output import write_rows

TRAINING_LINES = len(_records())  # a bad line appended to the tiny set is line TRAINING_LINES + 1


@pytest.fixture(scope="module")
def runner():
    return CliRunner()


def cli(runner, *args):
    return runner.invoke(app(), [str(a) for a in args])


def app():
    from classify.cli import app as typer_app

    return typer_app


def labelled(model, path, batch_size=3):
    summary = Summary()
    return list(label_rows(model, read_rows(str(path)), batch_size=batch_size, summary=summary)), summary


def assert_labelled(row):
    assert "error" not in row and all(k in row for k in PREDICTION_FIELDS), row


def assert_error(row, message):
    assert row["error"] == message or row["error"].startswith(message), row["error"]
    assert not any(k in row for k in PREDICTION_FIELDS)


def training_file(tmp_path, extra_lines, name="train.jsonl"):
    """The tiny training set as JSONL with raw ``extra_lines`` appended (line 25 on)."""
    path = tmp_path / name
    with open(path, "wb") as handle:
        for r in _records():
            handle.write((json.dumps(r, ensure_ascii=False) + "\n").encode("utf-8"))
        for line in extra_lines:
            handle.write(line if isinstance(line, bytes) else (line + "\n").encode("utf-8"))
    return path


def assert_training_stops(runner, path, message, schema=None):
    """Library and CLI both stop with exactly ``message`` (one line, exit 2, no traceback)."""
    with pytest.raises(DataError) as caught:
        classify.train(str(path), schema=schema and str(schema), cv=0)
    assert str(caught.value) == message
    result = cli(runner, "train", path, "--out", path.parent / "model", "--cv", "0", *(["--schema", schema] if schema else []))
    assert result.exit_code == 2, result.output
    assert result.stderr == f"classify: error: {message}\n"
    assert not (path.parent / "model").exists()


# -- malformed and truncated input ----------------------------------------------------------
BAD_JSON_LINES = [
    ('{"id": "x", "question": ', "not valid JSON (Expecting value at column 24); fix or remove the line."),
    ("[1, 2]", "expected a JSON object (a record), got list."),
    ("[" * 5000, f"nested more than 200 levels deep (starts '{'[' * 40}'); fix or remove the line."),
    # valid JSON that Python 3.13's json parses 5,000 deep (3.12 raised RecursionError): writing it as CSV recursed past the limit
    ('{"id": "x", "question": "V?", "extra": ' + "[" * 300 + "]" * 300 + "}",
     "nested more than 200 levels deep (starts '{\"id\": \"x\", \"question\": \"V?\", \"extra\": ['); fix or remove the line."),
    ('{"id": ' + "1" * 5000 + "}", "not valid JSON (Exceeds the limit (4300 digits) for integer string conversion"),
    ("\x00\x00{bad", "not valid JSON (Expecting property name enclosed in double quotes at column 2); fix or remove the line."),
]


def test_labelling_malformed_jsonl_lines(tiny_model, tmp_path):
    path = write_jsonl(tmp_path / "in.jsonl", [{"id": "a", "question": "Steunt u Oekraïne?"}] + [line for line, _ in BAD_JSON_LINES] + [{"id": "z", "question": "Tankers?"}])
    out, summary = labelled(tiny_model, path)
    assert len(out) == len(BAD_JSON_LINES) + 2 and summary.errors == len(BAD_JSON_LINES)
    assert_labelled(out[0])
    assert_labelled(out[-1])
    for number, (row, (line, message)) in enumerate(zip(out[1:-1], BAD_JSON_LINES), 2):
        assert row["id"] == ("x" if '"extra"' in line else None)  # a record that parses keeps its id
        assert_error(row, f"{path}:{number}: {message}")


@pytest.mark.parametrize("line, message", BAD_JSON_LINES, ids=["truncated", "not-an-object", "deep", "deep-but-valid", "huge-int", "nul"])
def test_training_malformed_jsonl_line(runner, tmp_path, line, message):
    path = training_file(tmp_path, [line])
    with pytest.raises(DataError, match=r"^" + f"{path}:{TRAINING_LINES + 1}: ".replace(".", r"\.")):
        classify.train(str(path), cv=0)
    if not message.startswith("not valid JSON (Exceeds"):
        assert_training_stops(runner, path, f"{path}:{TRAINING_LINES + 1}: {message}")


def test_truncated_jsonl(runner, tiny_model, tmp_path):
    # a file cut off mid-record: no final newline, half a JSON object
    path = training_file(tmp_path, [b'{"id": "cut", "question": "Wordt de schaduwvloot bestre'])
    out, summary = labelled(tiny_model, path)
    assert len(out) == TRAINING_LINES + 1 and summary.errors == 1
    assert_error(out[-1], f"{path}:{TRAINING_LINES + 1}: not valid JSON (Unterminated string starting at column 27); fix or remove the line.")
    assert_training_stops(runner, path, f"{path}:{TRAINING_LINES + 1}: not valid JSON (Unterminated string starting at column 27); fix or remove the line.")


def _parquet(path, columns):
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table(columns), path)
    return path


def test_truncated_parquet(runner, tiny_model_dir, tmp_path):
    full = _parquet(tmp_path / "full.parquet", {"id": ["1", "2"], "question": ["Oekraïne?", "Tankers?"], "topics": [["ukraine"], ["fleet"]]})
    cut = tmp_path / "cut.parquet"
    cut.write_bytes(full.read_bytes()[: full.stat().st_size // 2])
    with pytest.raises(DataError, match=rf"^{cut}: not a readable Parquet file \("):
        list(read_rows(str(cut)))
    result = cli(runner, "label", cut, "--model", tiny_model_dir, "--out", tmp_path / "out.jsonl")
    assert result.exit_code == 2 and "not a readable Parquet file" in result.stderr and "Traceback" not in result.output
    assert not (tmp_path / "out.jsonl").exists()
    result = cli(runner, "train", cut, "--out", tmp_path / "model", "--cv", "0")
    assert result.exit_code == 2 and result.stderr.startswith(f"classify: error: {cut}: not a readable Parquet file (")


def test_csv_embedded_newlines_and_odd_quoting(tiny_model, tmp_path):
    path = tmp_path / "odd.csv"
    path.write_bytes(
        b'id,question,answer\r\n'
        b'1,"Eerste regel\nen de tweede, met komma","Hij zei ""ja"", toen"\r\n'
        b'2,Een "losse" aanhalingstekens,\r\n'
        b'3,"Gequote"staart,Ja.\r\n'
        b'4,Kort,"Nee\r\necht niet"\r\n'
        b'5,"Open aanhalingsteken tot het einde\n'
    )
    out, summary = labelled(tiny_model, path)
    assert [r["id"] for r in out] == ["1", "2", "3", "4", "5"] and summary.errors == 0
    assert out[0]["question"] == "Eerste regel\nen de tweede, met komma" and out[0]["answer"] == 'Hij zei "ja", toen'
    assert out[1]["question"] == 'Een "losse" aanhalingstekens'
    assert out[2]["question"] == "Gequotestaart"
    assert out[3]["answer"] == "Nee\r\necht niet"
    assert out[4]["question"] == "Open aanhalingsteken tot het einde\n"  # swallows the rest of the file, as any CSV reader does
    for row in out:
        assert_labelled(row)


def test_training_csv_with_embedded_newlines_and_quotes(runner, tmp_path):
    path = tmp_path / "train.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "question", "answer", "topics", "stance"])
        for r in _records():
            writer.writerow([r["id"], r["question"].replace(" ", "\r\n", 1), r["answer"] and f'"{r["answer"]}", zei hij', json.dumps(r["topics"]), r["stance"] or ""])
    data = classify.annotations.load(path)
    assert len(data) == TRAINING_LINES and data.questions[0].startswith("Bent\r\nu bereid")
    assert data.answers[0] == '"Ja, het kabinet levert extra munitie aan Oekraïne.", zei hij'
    assert classify.train(str(path), cv=0).heads == ["topics", "stance"]
    with open(path, "a", encoding="utf-8") as handle:
        handle.write("x#1,Vraag?,Antwoord,[],neutral,te veel\n")
    assert_training_stops(runner, path, f"{path}:{2 * TRAINING_LINES + 2}: more fields than the header has columns; quote fields that contain commas.")


# -- Parquet with wrong column types --------------------------------------------------------
def test_labelling_parquet_with_wrong_column_types(runner, tiny_model_dir, tmp_path):
    numbers = _parquet(tmp_path / "numbers.parquet", {"id": [1, 2], "question": [10, 20]})
    lists = _parquet(tmp_path / "lists.parquet", {"id": ["a", "b"], "question": ["Oekraïne?", "Tankers?"], "answer": [["Ja."], None]})
    out = tmp_path / "out.jsonl"
    result = cli(runner, "label", numbers, lists, "--model", tiny_model_dir, "--out", out)
    assert result.exit_code == 1 and "labelled 4 records, 3 with errors" in result.stderr
    rows = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == [1, 2, "a", "b"]
    assert rows[0]["error"] == f"{numbers}:row 1: field 'question' is an int, not text; every record needs a question text."
    assert rows[2]["error"] == f"{lists}:row 1: field 'answer' is a list, not text or null."
    assert_labelled(rows[3])


@pytest.mark.parametrize(
    "column, values, message",
    [
        ("question", [7] * TRAINING_LINES, "field 'question' is int 7; expected text. Write it as a quoted string (or null)."),
        ("topics", [3] * TRAINING_LINES, "field 'topics' must be a list of label strings, got 3. Write e.g. [\"label_a\", \"label_b\"], or \"label_a;label_b\" in CSV."),
        ("stance", [True] * TRAINING_LINES, "field 'stance' is bool True; expected text. Write it as a quoted string (or null)."),
        ("id", [1.5] * TRAINING_LINES, "field 'id' is float; expected a string id, got 1.5. Write the id as a string, or leave it out to have one generated."),
    ],
)
def test_training_parquet_with_wrong_column_types(runner, tmp_path, column, values, message):
    rows = _records()
    columns = {k: [r[k] for r in rows] for k in rows[0]}
    columns[column] = values
    path = _parquet(tmp_path / "train.parquet", columns)
    assert_training_stops(runner, path, f"{path}:row 1: {message}")


# -- encodings and odd bytes ----------------------------------------------------------------
def _clean_training_set():
    return classify.annotations.from_rows((f"r:{i}", r) for i, r in enumerate(_records(), 1))


@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp1252", "latin-1"])
@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_bom_crlf_legacy_encodings_and_nul_bytes(runner, tiny_model, tmp_path, encoding, suffix):
    rows = _records()
    if suffix == ".jsonl":
        text = "".join(json.dumps(r, ensure_ascii=False) + "\r\n" for r in rows)
    else:
        buffer = __import__("io").StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(["id", "question", "answer", "topics", "stance"])
        for r in rows:
            writer.writerow([r["id"], r["question"], r["answer"] or "", ";".join(r["topics"]), r["stance"] or ""])
        text = buffer.getvalue()
    raw = text.encode(encoding).replace(b"Oekra", b"Oe\x00kra")  # NUL bytes inside records
    path = tmp_path / f"train{suffix}"
    path.write_bytes(raw)
    data = classify.annotations.load(path)
    clean = _clean_training_set()
    assert data.questions == clean.questions and data.answers == clean.answers and data.topics == clean.topics
    assert data.fingerprint() == clean.fingerprint()
    out, summary = labelled(tiny_model, path)
    assert [r["question"] for r in out] == clean.questions and summary.errors == 0
    result = cli(runner, "train", path, "--out", tmp_path / "model", "--cv", "0")
    assert result.exit_code == 0, result.output


def test_invalid_surrogates_everywhere(runner, tiny_model, tiny_model_dir, tmp_path):
    # JSON can carry lone surrogates as escapes; they must neither crash a writer nor be lost in JSONL
    path = tmp_path / "in.jsonl"
    path.write_text('{"id": "a\\ud800", "question": "Steun \\udc80 aan Oekraïne?", "note": {"k\\udfff": ["\\ud83d"]}}\n{"id": "b", "question": "Tankers?"}\n', encoding="utf-8")
    for fmt in ("jsonl", "csv", "parquet"):
        out = tmp_path / f"out.{fmt}"
        result = cli(runner, "label", path, "--model", tiny_model_dir, "--out", out, "--format", fmt)
        assert result.exit_code == 0, result.output
    rows = [json.loads(x) for x in (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()]
    assert rows[0]["id"] == "a\ud800" and rows[0]["note"] == {"k\udfff": ["\ud83d"]}  # lossless
    assert_labelled(rows[0])
    assert next(csv.DictReader(open(tmp_path / "out.csv", encoding="utf-8")))["id"] == "a?"
    import pyarrow.parquet as pq

    assert pq.read_table(tmp_path / "out.parquet").column("id").to_pylist() == ["a?", "b"]
    result = cli(runner, "label", path, "--model", tiny_model_dir, "--format", "table")
    assert result.exit_code == 0 and "Steun ? aan" in result.stdout
    # training: cleaned like labelling (-> '?'), so the fingerprint and generated ids work
    train = tmp_path / "train.jsonl"
    train.write_text("".join(json.dumps(r) + "\n" for r in [*_records(), {"question": "Vraag \ud800?", "answer": "Ja \udc00.", "topics": ["fleet"], "stance": "agree"}]), encoding="ascii")
    data = classify.annotations.load(train)
    assert data.questions[-1] == "Vraag ??" and data.fingerprint().startswith("sha256:")
    assert classify.train(str(train), cv=0).heads == ["topics", "stance"]


# -- empty, whitespace, huge -----------------------------------------------------------------
def test_empty_question_and_whitespace_only_answer(runner, tiny_model, tmp_path):
    path = write_jsonl(tmp_path / "in.jsonl", [{"id": "1", "question": ""}, {"id": "2", "question": "Tankers?", "answer": " \t\r\n "}, {"id": "3", "question": "\u3000 \n"}])
    out, summary = labelled(tiny_model, path)
    assert_error(out[0], f"{path}:1: field 'question' is empty; every record needs a question text.")
    assert_labelled(out[1])
    assert out[1]["stance"] is None and out[1]["stance_scores"] is None  # nothing to take a stance on
    assert_error(out[2], f"{path}:3: field 'question' is empty")
    empty = training_file(tmp_path, ['{"id": "e", "question": "  ", "topics": []}'])
    assert_training_stops(runner, empty, f"{empty}:25: field 'question' is missing or empty; every annotation needs a question text (or name its column: fields={{'question': COLUMN}} in Python, --question-field COLUMN on the command line).")
    blank_answer = training_file(tmp_path, ['{"id": "w", "question": "Vraag?", "answer": "   ", "topics": [], "stance": "agree"}'], "b.jsonl")
    assert_training_stops(runner, blank_answer, f"{blank_answer}:25: stance 'agree' given but the answer is empty; set stance to null or add the answer.")
    fine = training_file(tmp_path, ['{"id": "w", "question": "Vraag?", "answer": "   ", "topics": [], "stance": null}'], "c.jsonl")
    assert classify.annotations.load(fine).answers[-1] is None


FIVE_MB = 5 * 1024 * 1024


def _huge_text():
    words = [f"woord{i % 5000} schaduwvloot Oekraïne" for i in range(FIVE_MB // 30)]
    return " ".join(words)[:FIVE_MB]


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_five_megabyte_record(runner, tiny_model_dir, tmp_path, suffix):
    huge = _huge_text()
    rows = [{"id": "small", "question": "Oekraïne?", "answer": ""}, {"id": "huge", "question": huge, "answer": "Ja."}]
    path = tmp_path / f"in{suffix}"
    write_rows(rows, str(path), suffix[1:])
    out = tmp_path / "out.jsonl"
    result = cli(runner, "label", path, "--model", tiny_model_dir, "--out", out)
    assert result.exit_code == 0, result.output
    got = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in got] == ["small", "huge"] and got[1]["question"] == huge
    assert_labelled(got[1])


def test_training_with_a_five_megabyte_record(tmp_path):
    path = write_jsonl(tmp_path / "train.jsonl", [*_records(), {"id": "huge", "question": _huge_text(), "answer": "Ja.", "topics": ["fleet"], "stance": "agree"}])
    model = classify.train(str(path), cv=0)
    assert model.predict(["Tankers van de schaduwvloot?"])[0]["topics"] is not None


def test_one_million_tiny_records(tiny_model, tmp_path):
    n = 1_000_000
    path = tmp_path / "million.jsonl"
    with open(path, "w", encoding="utf-8") as handle:
        for i in range(n):
            handle.write(f'{{"id": "{i}", "question": "v{i % 97}?"}}\n' if i % 100_003 else f'{{"id": "{i}", "question": {i}}}\n')
    start, summary, count = time.perf_counter(), Summary(), 0
    for i, row in enumerate(label_rows(tiny_model, read_rows(str(path)), batch_size=20_000, summary=summary)):
        assert row["id"] == str(i)
        count += 1
    assert count == summary.records == n
    assert summary.errors == len(range(0, n, 100_003))  # every 100,003rd record has a number for a question
    assert time.perf_counter() - start < 120  # ~25 s on 2 cores; generous for slow CI machines


# -- wrong types, ids, labels ----------------------------------------------------------------
def test_numbers_or_lists_where_text_is_expected(runner, tiny_model, tmp_path):
    path = write_jsonl(tmp_path / "in.jsonl", [
        {"id": "1", "question": 12}, {"id": "2", "question": ["lijst"]}, {"id": "3", "question": {"nl": "Vraag?"}},
        {"id": "4", "question": "Vraag?", "answer": 3.5}, {"id": "5", "question": "Vraag?", "answer": ["Ja."]}, {"id": "6", "question": True},
        {"id": "7", "question": "Goed?"},
    ])
    out, summary = labelled(tiny_model, path)
    assert [r["id"] for r in out] == list("1234567") and summary.errors == 6
    assert_error(out[0], f"{path}:1: field 'question' is an int, not text; every record needs a question text.")
    assert_error(out[2], f"{path}:3: field 'question' is a dict, not text; every record needs a question text.")
    assert_error(out[3], f"{path}:4: field 'answer' is a float, not text or null.")
    assert_labelled(out[6])
    bad = training_file(tmp_path, ['{"id": "n", "question": "Vraag?", "answer": ["Ja."], "topics": []}'])
    assert_training_stops(runner, bad, f"{bad}:25: field 'answer' is list ['Ja.']; expected text. Write it as a quoted string (or null).")


def test_missing_ids_are_generated_and_stable(runner, tiny_model_dir, tmp_path):
    rows = [{"question": "Steunt u Oekraïne?", "answer": "Ja."}, {"id": "", "question": "Tankers?"}, {"id": None, "question": "Steunt u Oekraïne?", "answer": "Ja."}]
    path = write_jsonl(tmp_path / "in.jsonl", rows)
    runs = []
    for name in ("a.jsonl", "b.jsonl"):
        assert cli(runner, "label", path, "--model", tiny_model_dir, "--out", tmp_path / name).exit_code == 0
        runs.append([json.loads(x)["id"] for x in (tmp_path / name).read_text(encoding="utf-8").splitlines()])
    assert runs[0] == runs[1] and all(i.startswith("sha1:") for i in runs[0])
    assert runs[0][0] == runs[0][2] != runs[0][1]  # derived from the text
    assert classify.annotations.from_rows([("x:1", {**rows[0], "topics": []})]).ids == [runs[0][0]]  # same id when training


def test_duplicate_ids(runner, tiny_model, tmp_path):
    path = write_jsonl(tmp_path / "in.jsonl", [{"id": "dup", "question": "Oekraïne?"}, {"id": "dup", "question": "Tankers?"}])
    out, _ = labelled(tiny_model, path)
    assert [r["id"] for r in out] == ["dup", "dup"] and out[0]["question"] != out[1]["question"]  # labelling keeps both
    bad = training_file(tmp_path, ['{"id": "docA#1", "question": "Nog eens?", "topics": []}'])
    assert_training_stops(runner, bad, f"{bad}:25: duplicate id 'docA#1' (first at {bad}:1); give every record a unique id or remove the duplicate.")


def test_unknown_or_misspelled_labels(runner, tmp_path):
    schema = tmp_path / "schema.toml"
    schema.write_text('topics = ["fleet", "industry", "ukraine"]\nstances = ["agree", "disagree", "neutral"]\n', encoding="utf-8")
    topic = training_file(tmp_path, ['{"id": "t", "question": "Vraag?", "topics": ["ukrain"]}'], "t.jsonl")
    assert_training_stops(runner, topic, f"{topic}:25: unknown topic 'ukrain'. Did you mean 'ukraine'? Known topics: fleet, industry, ukraine. Fix the label, or add it to the schema file.", schema=schema)
    stance = training_file(tmp_path, ['{"id": "s", "question": "Vraag?", "answer": "Ja.", "topics": [], "stance": "agreed"}'], "s.jsonl")
    with pytest.raises(DataError, match=rf"^{stance}:25: unknown stance 'agreed'\. Did you mean 'agree'\?"):
        classify.train(str(stance), schema=str(schema), cv=0)


def test_annotations_whose_schema_does_not_match_the_model(runner, tiny_model_dir, tmp_path):
    path = write_jsonl(tmp_path / "gold.jsonl", [{"id": "1", "question": "Munitie?", "answer": "Ja.", "topics": ["defence_industry"], "stance": "agree"}])
    result = cli(runner, "evaluate", path, "--model", tiny_model_dir)
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert result.stderr == (
        f"classify: error: {path}:1: unknown topic 'defence_industry'. Known topics: fleet, industry, ukraine. "
        "The model was trained with another label schema: fix the label, evaluate a model trained with these labels, or score "
        'labels the model does not know as missed (classify evaluate --unknown-labels miss; unknown_labels="miss" in Python).\n'
    )


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads files whatever their permissions")
def test_unreadable_input_file(runner, tiny_model_dir, tmp_path):
    path = write_jsonl(tmp_path / "secret.jsonl", [{"id": "1", "question": "Vraag?"}])
    path.chmod(0)
    result = cli(runner, "label", path, "--model", tiny_model_dir)
    assert result.exit_code == 2 and f"{path}: cannot be read (Permission denied)" in result.stderr


# -- the invariant, property-based ----------------------------------------------------------
# any code point, lone surrogates included (JSON carries them as \\udXXX escapes)
ANY_TEXT = st.text(st.characters(exclude_categories=()), max_size=30)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | ANY_TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(ANY_TEXT, inner, max_size=3),
    max_leaves=8,
)
RECORDS = st.fixed_dictionaries(
    {},
    optional={
        "id": st.one_of(ANY_TEXT, st.integers(), st.none(), st.just(""), JSON_VALUES),
        "question": st.one_of(ANY_TEXT, st.text("abc ?", min_size=1), JSON_VALUES),
        "answer": st.one_of(ANY_TEXT, st.none(), JSON_VALUES),
    },
).flatmap(lambda core: st.dictionaries(ANY_TEXT, JSON_VALUES, max_size=3).map(lambda extra: {**extra, **core}))
# lines that are no record: prefixed so they are never blank (blank lines are skipped, not records)
MALFORMED = st.one_of(
    st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\n"), max_size=30).map(lambda s: ("~" + s).encode("utf-8")),
    st.binary(max_size=30).map(lambda b: b"~" + b.replace(b"\n", b"")),
    JSON_VALUES.filter(lambda v: not isinstance(v, dict)).map(lambda v: json.dumps(v).encode("ascii")),
)
LINES = st.lists(st.one_of(RECORDS, MALFORMED, st.sampled_from([b"", b"   ", b"\r"])), max_size=12)


def _write_lines(path: Path, lines) -> list:
    """Write the lines; return what each record line must come out as: ('id', value) or ('any', None)."""
    expected = []
    with open(path, "wb") as handle:
        for line in lines:
            if isinstance(line, dict):
                handle.write(json.dumps(line).encode("ascii") + b"\n")  # ASCII escapes carry lone surrogates
                has_id = line.get("id") not in (None, "")
                expected.append(("id", line["id"]) if has_id else ("generated", None))
            elif line.strip():
                handle.write(line + b"\n")
                expected.append(("id", None))
            else:
                handle.write(line + b"\n")  # blank: no record
    return expected


def _check_output(out_rows, expected):
    assert len(out_rows) == len(expected)
    for row, (kind, value) in zip(out_rows, expected):
        if kind == "id":
            assert row.get("id", None) == value
        elif "error" in row:
            assert row.get("id") in (None, "")
        else:
            assert row["id"].startswith("sha1:")


_counter = itertools.count()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(lines=LINES, batch_size=st.integers(1, 5))
def test_one_output_record_per_input_record_same_ids_same_order(tiny_model, tmp_path_factory, lines, batch_size):
    folder = tmp_path_factory.getbasetemp() / "invariant"
    folder.mkdir(exist_ok=True)
    n = next(_counter)
    path, out = folder / f"in{n}.jsonl", folder / f"out{n}.jsonl"
    expected = _write_lines(path, lines)
    summary = Summary()
    written = write_rows(label_rows(tiny_model, read_rows(str(path)), batch_size=batch_size, summary=summary), str(out))
    text = out.read_bytes().decode("utf-8")  # strict: the output is valid UTF-8
    assert text.count("\n") == written == summary.records == len(expected)
    _check_output([json.loads(line) for line in text.splitlines()], expected)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(lines=LINES)
def test_cli_invariant_and_exit_code(tiny_model_dir, tmp_path_factory, lines):
    folder = tmp_path_factory.getbasetemp() / "invariant-cli"
    folder.mkdir(exist_ok=True)
    n = next(_counter)
    path, out = folder / f"in{n}.jsonl", folder / f"out{n}.jsonl"
    expected = _write_lines(path, lines)
    result = CliRunner().invoke(app(), ["label", str(path), "--model", str(tiny_model_dir), "--out", str(out), "--batch-size", "2"])
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    _check_output(rows, expected)
    errors = sum("error" in r for r in rows)
    assert result.exit_code == (1 if errors else 0), result.output
    assert f"labelled {len(rows)} records, {errors} with errors" in result.stderr


CSV_TEXT = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=25)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.fixed_dictionaries({"id": CSV_TEXT, "question": CSV_TEXT, "answer": CSV_TEXT}), max_size=10))
def test_csv_invariant(tiny_model, tmp_path_factory, rows):
    folder = tmp_path_factory.getbasetemp() / "invariant-csv"
    folder.mkdir(exist_ok=True)
    path = folder / f"in{next(_counter)}.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["id", "question", "answer"])
        writer.writeheader()
        writer.writerows(rows)
    out = list(label_rows(tiny_model, read_rows(str(path))))
    assert len(out) == len(rows)
    for row, source in zip(out, rows):
        if source["id"]:
            assert row["id"] == source["id"]
        assert row.get("question") == source["question"]


# -- resuming an interrupted run ------------------------------------------------------------
def _big_input(path: Path, n: int) -> list[str]:
    """n records; every 997th has a number for a question (an error row that keeps its id)."""
    ids = []
    with open(path, "w", encoding="utf-8") as handle:
        for i in range(n):
            rid = f"r{i:06d}"
            ids.append(rid)
            question = json.dumps(i) if i % 997 == 5 else json.dumps(f"Vraag {i} over {('Oekraïne', 'tankers', 'orders', 'de kazerne')[i % 4]}?")
            handle.write(f'{{"id": "{rid}", "question": {question}, "answer": "Ja, nummer {i}."}}\n')
    return ids


def _run_label(*args):
    return subprocess.Popen([sys.executable, "-m", "classify", "label", *map(str, args)], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _kill_when(process, ready, timeout=60.0):
    """SIGKILL ``process`` as soon as ``ready()``; fail if it finished first."""
    deadline = time.monotonic() + timeout
    while not ready():
        if process.poll() is not None:
            pytest.fail(f"the run finished (exit {process.returncode}) before it could be killed; make the input larger. {process.stderr.read()!r}")
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail("the run made no progress within the timeout")
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    process.stderr.close()
    assert process.returncode == -signal.SIGKILL


def _size(paths) -> int:
    total = 0
    for path in paths:
        try:
            total += path.stat().st_size
        except FileNotFoundError:  # renamed or removed since it was listed
            pass
    return total


def _progress_records(progress: Path) -> int:
    try:
        return json.loads(progress.read_text(encoding="utf-8"))["records"]
    except (FileNotFoundError, json.JSONDecodeError, KeyError):
        return 0


def test_resume_after_sigkill(tiny_model_dir, tmp_path):
    big, out = tmp_path / "big.jsonl", tmp_path / "out.jsonl"
    partial, progress = tmp_path / "out.jsonl.partial", tmp_path / "out.jsonl.progress.json"
    ids = _big_input(big, 5_000)  # ~100 batches: seconds of work, so the kill lands mid-run
    args = (big, "--model", tiny_model_dir, "--out", out, "--resume", "--batch-size", "50")

    # without --resume an interrupted run leaves no output at all, only its temporary file
    plain = _run_label(big, "--model", tiny_model_dir, "--out", out, "--batch-size", "50")
    _kill_when(plain, lambda: _size(tmp_path.glob(".out.jsonl.*.part")) > 50_000)
    assert not out.exists() and list(tmp_path.glob(".out.jsonl.*.part"))

    first = _run_label(*args)
    _kill_when(first, lambda: _progress_records(progress) >= 500)
    assert not out.exists(), "the output must not exist before the run completes"
    killed_at = _progress_records(progress)
    assert 500 <= killed_at < len(ids) and killed_at % 50 == 0
    assert partial.stat().st_size >= json.loads(progress.read_text(encoding="utf-8"))["bytes"]

    second = _run_label(*args)
    _, stderr = second.communicate(timeout=300)
    assert second.returncode == 1, stderr  # records with errors, in both runs: exit code 1
    assert f"resuming {out}: {killed_at} records already labelled".encode() in stderr
    assert f"labelled {len(ids)} records, {len(range(5, len(ids), 997))} with errors".encode() in stderr
    raw = out.read_bytes()
    assert raw.endswith(b"\n")
    rows = [json.loads(line) for line in raw.decode("utf-8").splitlines()]
    assert [r["id"] for r in rows] == ids  # every id exactly once, in input order
    assert all(("error" in r) == (i % 997 == 5) for i, r in enumerate(rows))
    assert not partial.exists() and not progress.exists()
    assert not list(tmp_path.glob("*.tmp"))
    assert not list(tmp_path.glob(".out.jsonl.*.part")), "the killed run's temporary file is removed once the output is complete"


# in-process: interruptions at chosen points
class Interrupt(BaseException):
    pass


def _rows_until(path, stop_after):
    for i, pair in enumerate(read_rows(str(path))):
        if i == stop_after:
            raise Interrupt
        yield pair


def _resume(model, model_dir, path, out, rows=None, fields=Fields(), batch_size=10):
    from classify.resume import label_resumable

    summary = Summary()
    rows = rows if rows is not None else read_rows(str(path))
    return label_resumable(model, model_dir, [str(path)], rows, str(out), "jsonl", fields, batch_size, summary), summary


def _out_ids(out):
    return [json.loads(line)["id"] for line in Path(out).read_text(encoding="utf-8").splitlines()]


@pytest.mark.parametrize("stop_after", [0, 1, 35, 99])
def test_resume_in_process(tiny_model, tiny_model_dir, tmp_path, stop_after):
    path, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    ids = _big_input(path, 100)
    with pytest.raises(Interrupt):
        _resume(tiny_model, tiny_model_dir, path, out, rows=_rows_until(path, stop_after))
    assert not out.exists()
    count, summary = _resume(tiny_model, tiny_model_dir, path, out)
    assert count == summary.records == 100 and summary.errors == 1  # the error of record 5 counts even if labelled before the interruption
    assert _out_ids(out) == ids
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl", "out.jsonl"]


def test_resume_keeps_the_count_of_training_records_across_the_interruption(tiny_model, tiny_model_dir, tmp_path):
    """Labels of the model's own training records repeat their annotations: the count a resumed
    run reports covers the records labelled before the interruption too, also from a progress
    file of a version that did not count them (then only the records labelled after it)."""
    path, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    write_jsonl(path, _records() * 2)  # 24 training ids, each twice
    with pytest.raises(Interrupt):
        _resume(tiny_model, tiny_model_dir, path, out, rows=_rows_until(path, 30))
    _, summary = _resume(tiny_model, tiny_model_dir, path, out)
    assert summary.records == 48 and summary.trained == 48
    out.unlink()
    with pytest.raises(Interrupt):
        _resume(tiny_model, tiny_model_dir, path, out, rows=_rows_until(path, 30))
    progress = next(tmp_path.glob("*progress*"))
    state = json.loads(progress.read_text(encoding="utf-8"))
    del state["trained"]  # as written before the count existed
    progress.write_text(json.dumps(state), encoding="utf-8")
    _, summary = _resume(tiny_model, tiny_model_dir, path, out)
    assert summary.records == 48 and summary.trained == 48 - 30


def test_a_run_without_resume_says_what_an_interrupted_resume_run_left(tiny_model, tiny_model_dir, tmp_path):
    path, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    _big_input(path, 40)
    with pytest.raises(Interrupt):
        _resume(tiny_model, tiny_model_dir, path, out, rows=_rows_until(path, 25))
    result = CliRunner().invoke(app(), ["label", str(path), "--model", str(tiny_model_dir), "--out", str(out)])
    assert result.exit_code == 1  # record 5's error
    assert f"classify: warning: {out}.partial and {out}.progress.json: left by an interrupted `--resume` run; this run" in result.stderr
    assert (tmp_path / "out.jsonl.partial").exists()  # left as it was: the warning says how to continue or clean up


@pytest.mark.parametrize("stop_after", [0, 5])
def test_resume_stopped_before_its_first_checkpoint_leaves_no_file(tiny_model, tiny_model_dir, tmp_path, stop_after):
    """E.g. a cut-short .gz: it stops the run before any batch is done; nothing could be resumed."""
    path, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    _big_input(path, 30)
    with pytest.raises(Interrupt):
        _resume(tiny_model, tiny_model_dir, path, out, rows=_rows_until(path, stop_after))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl"]


def test_resume_cuts_lines_written_after_the_last_checkpoint(tiny_model, tiny_model_dir, tmp_path):
    path, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    ids = _big_input(path, 60)
    with pytest.raises(Interrupt):
        _resume(tiny_model, tiny_model_dir, path, out, rows=_rows_until(path, 25))
    with open(tmp_path / "out.jsonl.partial", "ab") as handle:  # a batch written, its checkpoint not: plus a torn line
        handle.write(b'{"id": "r000020", "topics": []}\n{"id": "r0000')
    _resume(tiny_model, tiny_model_dir, path, out)
    assert _out_ids(out) == ids


def test_resume_without_progress_record_starts_over(tiny_model, tiny_model_dir, tmp_path):
    path, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    ids = _big_input(path, 30)
    (tmp_path / "out.jsonl.partial").write_text('{"id": "stale"}\n', encoding="utf-8")
    _resume(tiny_model, tiny_model_dir, path, out)
    assert _out_ids(out) == ids


def _interrupted(tiny_model, tiny_model_dir, tmp_path):
    path, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    _big_input(path, 40)
    with pytest.raises(Interrupt):
        _resume(tiny_model, tiny_model_dir, path, out, rows=_rows_until(path, 25))
    return path, out


def test_resume_refuses_changed_inputs(tiny_model, tiny_model_dir, tmp_path):
    path, out = _interrupted(tiny_model, tiny_model_dir, tmp_path)
    with open(path, "a", encoding="utf-8") as handle:
        handle.write('{"id": "new", "question": "Nieuw?"}\n')
    with pytest.raises(DataError, match=rf"^cannot resume {out}: input {path} changed since the interrupted run \(size \d+ -> \d+ bytes\)\. Rerun with the original inputs, model and options, or delete {out}\.progress\.json and {out}\.partial to start over\.$"):
        _resume(tiny_model, tiny_model_dir, path, out)
    other = write_jsonl(tmp_path / "other.jsonl", [{"id": "1", "question": "Vraag?"}])
    from classify.resume import label_resumable

    with pytest.raises(DataError, match=r"cannot resume .*: the inputs were .*in\.jsonl and are now .*other\.jsonl"):
        label_resumable(tiny_model, tiny_model_dir, [str(other)], read_rows(str(other)), str(out), "jsonl", Fields(), 10, Summary())
    assert not out.exists()


def test_resume_refuses_same_size_edits_at_either_end(tiny_model, tiny_model_dir, tmp_path):
    path, out = _interrupted(tiny_model, tiny_model_dir, tmp_path)
    raw = path.read_bytes()
    path.write_bytes(raw.replace(b"r000000", b"x000000", 1))
    with pytest.raises(DataError, match=r"changed since the interrupted run \(content changed\)"):
        _resume(tiny_model, tiny_model_dir, path, out)


def test_resume_refuses_another_model_or_other_fields(tiny_model, tiny_model_dir, model_copy, tmp_path):
    path, out = _interrupted(tiny_model, tiny_model_dir, tmp_path)
    manifest = json.loads((model_copy / "manifest.json").read_text(encoding="utf-8"))
    manifest["thresholds"]["fleet"] = 0.1
    (model_copy / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(DataError, match=r"cannot resume .*: the model is not the one the interrupted run used\."):
        _resume(tiny_model, model_copy, path, out)
    with pytest.raises(DataError, match=r"cannot resume .*: the field options changed \(were .*'question': 'question'.*, now .*'question': 'vraag'"):
        _resume(tiny_model, tiny_model_dir, path, out, fields=Fields(question="vraag"))


def test_resume_refuses_a_damaged_progress_record(tiny_model, tiny_model_dir, tmp_path):
    path, out = _interrupted(tiny_model, tiny_model_dir, tmp_path)
    progress = tmp_path / "out.jsonl.progress.json"
    state = json.loads(progress.read_text(encoding="utf-8"))
    progress.write_text(json.dumps({**state, "records": "20"}), encoding="utf-8")
    with pytest.raises(DataError, match=rf"^{progress}: field 'records' is '20', expected a non-negative int; delete it and {out}\.partial to start over\.$"):
        _resume(tiny_model, tiny_model_dir, path, out)
    progress.write_text("{", encoding="utf-8")
    with pytest.raises(DataError, match=r"not a readable progress record"):
        _resume(tiny_model, tiny_model_dir, path, out)
    progress.write_text(json.dumps({**state, "bytes": 10**9}), encoding="utf-8")
    with pytest.raises(DataError, match=r"out\.jsonl\.partial is missing or shorter than the 1000000000 bytes out\.jsonl\.progress\.json records\. Delete .* to start over\."):
        _resume(tiny_model, tiny_model_dir, path, out)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--format", "csv"], "--resume writes JSONL only, not 'csv': CSV and Parquet files cannot be appended to. Write to a .jsonl file, e.g. --out labelled.jsonl."),
        ([], "--resume needs --out FILE: output written to stdout cannot be continued. Add --out, e.g. --out labelled.jsonl."),
    ],
)
def test_resume_usage_errors(runner, tiny_model_dir, records_path, tmp_path, args, message):
    out = ["--out", tmp_path / "o.csv"] if args else []
    result = cli(runner, "label", records_path, "--model", tiny_model_dir, "--resume", *out, *args)
    assert result.exit_code == 2 and result.stderr == f"classify: error: {message}\n"


def test_resume_refuses_stdin(runner, tiny_model_dir, tmp_path):
    result = runner.invoke(app(), ["label", "-", "--model", str(tiny_model_dir), "--out", str(tmp_path / "o.jsonl"), "--resume"], input='{"question": "Vraag?"}\n')
    assert result.exit_code == 2 and "standard input ('-') cannot be read again after an interruption. Save it to a file first." in result.stderr


def test_resume_of_a_finished_run_relabels(runner, tiny_model_dir, records_path, tmp_path):
    out = tmp_path / "o.jsonl"
    for _ in range(2):
        result = cli(runner, "label", records_path, "--model", tiny_model_dir, "--out", out, "--resume")
        assert result.exit_code == 0 and "resuming" not in result.stderr
        assert len(_out_ids(out)) == TRAINING_LINES
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o.jsonl"]


# -- determinism ------------------------------------------------------------------------------
_TRAIN_SCRIPT = """
import json, sys
sys.path.insert(0, {root!r}); sys.path.insert(0, {tests!r})
import classify
from conftest import _records
classify.train(_records(), cv=2, seed=3).save(sys.argv[1])
"""


def test_training_twice_gives_byte_identical_model_directories(tmp_path):
    # two processes with different hash seeds (in parallel): nothing may depend on the iteration
    # order of sets or dicts of strings (test_training checks two trainings in one process)
    script = _TRAIN_SCRIPT.format(root=str(ROOT), tests=str(ROOT / "tests"))
    runs = [
        subprocess.Popen([sys.executable, "-c", script, str(tmp_path / name)], cwd=ROOT, env={**os.environ, "PYTHONHASHSEED": seed}, stderr=subprocess.PIPE)
        for name, seed in (("a", "1"), ("b", "2"))
    ]
    for run in runs:
        _, stderr = run.communicate(timeout=180)
        assert run.returncode == 0, stderr

    def digests(path):
        return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(path.iterdir())}

    a = digests(tmp_path / "a")
    assert len(a) > 10 and "manifest.json" in a and "README.md" in a
    assert a == digests(tmp_path / "b")
