"""Tests of classify.labelling: one output row per input row, bad rows carry an ``error``."""

# ruff: noqa: E501, B905  (pinned one-line messages and inline data rows read better unwrapped; zips are of equal-length test data)

from __future__ import annotations

import pytest
from conftest import write_jsonl

from classify.errors import DataError
from classify.io import read_rows
from classify.labelling import PREDICTION_FIELDS, Summary, label_rows


def test_one_output_per_input_in_order(tiny_model, tmp_path):
    path = write_jsonl(tmp_path / "in.jsonl", [
        {"id": "a", "question": "Steunt u Oekraïne?", "answer": "Ja.", "extra": 1},
        {"id": "b", "answer": "Nee."},
        '{"id": "c", "question": ',
        {"id": "d", "question": 12},
        {"id": "e", "question": ["lijst"]},
        {"id": "f", "question": "   "},
        {"id": "g", "question": "Schaduwvloot?", "answer": 3},
        {"id": "h", "question": "Schaduwvloot in de Noordzee?"},
    ])
    summary = Summary()
    out = list(label_rows(tiny_model, read_rows(str(path)), batch_size=3, summary=summary))
    assert len(out) == 8
    assert [r["id"] for r in out] == ["a", "b", None, "d", "e", "f", "g", "h"]
    good = {"a", "h"}
    for r in out:
        if r["id"] in good:
            assert "error" not in r and all(k in r for k in PREDICTION_FIELDS)
        else:
            assert "error" in r and not any(k in r for k in PREDICTION_FIELDS)
    assert out[0]["extra"] == 1 and out[0]["stance"] is not None
    assert out[7]["stance"] is None and out[7]["topic_scores"] is not None
    assert out[1]["error"] == f"{path}:2: field 'question' is missing (the record's fields: id, answer); every record needs a question text (name its field: fields={{'question': COLUMN}} in Python, --question-field COLUMN on the command line)."
    assert out[2]["error"].startswith(f"{path}:3: not valid JSON")
    assert out[3]["error"] == f"{path}:4: field 'question' is an int, not text; every record needs a question text."
    assert out[4]["error"] == f"{path}:5: field 'question' is a list, not text; every record needs a question text."
    assert out[5]["error"] == f"{path}:6: field 'question' is empty; every record needs a question text."
    assert out[6]["error"] == f"{path}:7: field 'answer' is an int, not text or null."
    assert summary.records == 8 and summary.errors == 6
    assert len(summary.first_errors) == 5 and summary.first_errors[0].startswith(f"{path}:2: field")


def test_predictions_equal_model_predict(tiny_model):
    rows = [("x:1", {"id": "1", "question": "Steunt u Oekraïne?", "answer": "Ja."}), ("x:2", {"id": "2", "question": "Tankers?"})]
    out = list(label_rows(tiny_model, rows))
    expected = tiny_model.predict(["Steunt u Oekraïne?", "Tankers?"], ["Ja.", None])
    assert [{k: r[k] for k in PREDICTION_FIELDS} for r in out] == expected


def test_ids_generated_when_missing_and_stable(tiny_model):
    rows = [("x:1", {"question": "Vraag?", "answer": "Ja."}), ("x:2", {"id": "", "question": "Vraag?"}), ("x:3", {"id": None, "question": "Vraag?", "answer": "Ja."})]
    out = list(label_rows(tiny_model, rows))
    assert all(r["id"].startswith("sha1:") for r in out)
    assert out[0]["id"] == out[2]["id"] != out[1]["id"]  # derived from the text, not the position


def test_generated_id_matches_annotations():
    # labelled output and annotations of the same text must get the same id
    from classify.annotations import Fields, from_rows
    from classify.labelling import _prepare

    _, _, out = _prepare("x:1", {"question": "Vraag?", "answer": "Ja."}, Fields())
    assert out["id"] == from_rows([("x:1", {"question": "Vraag?", "answer": "Ja.", "topics": []})]).ids[0]


def test_nan_answer_and_lone_surrogates(tiny_model):
    out = list(label_rows(tiny_model, [("x:1", {"id": "1", "question": "Vraag \ud800?", "answer": float("nan")})]))
    assert "error" not in out[0] and out[0]["stance"] is None


def test_custom_fields(tiny_model):
    from classify.annotations import Fields

    out = list(label_rows(tiny_model, [("x:1", {"key": "k", "vraag": "Steunt u Oekraïne?", "antwoord": "Ja."})], Fields(id="key", question="vraag", answer="antwoord")))
    assert out[0]["key"] == "k" and out[0]["stance"] is not None



def test_nested_fields(tiny_model):
    """Texts and ids in a nested object are read by dotted name; the output keeps the record as it was, plus the id."""
    from classify.annotations import Fields

    row = {"doc": {"nr": "k1", "vraag": "Steunt u Oekraïne?", "antwoord": "Ja."}}
    out = list(label_rows(tiny_model, [("x:1", row)], Fields(id="doc.nr", question="doc.vraag", answer="doc.antwoord")))[0]
    assert "error" not in out and out["stance"] is not None and out["doc"] == row["doc"]
    assert out["doc.nr"] == "k1" and "doc.vraag" not in out

def test_only_bad_rows(tiny_model):
    out = list(label_rows(tiny_model, [("x:1", DataError("x:1: broken")), ("x:2", {"question": None})]))
    assert out == [{"id": None, "error": "x:1: broken"}, {"question": None, "error": "x:2: field 'question' is null; every record needs a question text."}]


def test_input_rows_are_not_mutated(tiny_model):
    row = {"id": "1", "question": "Vraag?"}
    list(label_rows(tiny_model, [("x:1", row)]))
    assert row == {"id": "1", "question": "Vraag?"}


@pytest.mark.parametrize("batch_size", [1, 2, 1000])
def test_batch_size_does_not_change_results(tiny_model, batch_size):
    rows = [(f"x:{i}", {"id": str(i), "question": q}) for i, q in enumerate(["Oekraïne?", "Tankers?", "Orders?", "Kazerne?"])]
    out = list(label_rows(tiny_model, rows, batch_size=batch_size))
    assert out == list(label_rows(tiny_model, rows, batch_size=4))


def test_label_jsonl_lines_writes_what_the_row_path_writes(tiny_model, tmp_path):
    from classify.io import read_rows
    from classify.labelling import Summary, label_jsonl_lines, label_rows
    from classify.output import write_rows

    lines = [b'{"id": "1", "question": "Steun aan Oekra\xc3\xafne?", "answer": "Ja."}\n', b"\n", b"{broken\n",
             b'{"id": "2", "answer": "Nee."}\n', b'{"question": "Caf\xe9?"}']
    path = tmp_path / "in.jsonl"
    path.write_bytes(b"".join(lines))
    expected = Summary()
    write_rows(label_rows(tiny_model, read_rows(str(path)), summary=expected), str(tmp_path / "out.jsonl"))
    text, summary = label_jsonl_lines(tiny_model, str(path), 1, lines, batch_size=2)
    assert text == (tmp_path / "out.jsonl").read_bytes()
    assert vars(summary) == vars(expected)
    assert summary.first_errors[0].startswith(f"{path}:3: not valid JSON")


def test_integer_ids_of_training_records_are_counted_as_annotations_keep_them(tiny_model):
    """Annotations keep id 17 as "17" (a pandas id column); label saw the number and counted nothing."""
    import numpy as np

    from classify.model import Model

    model = Model(tiny_model.schema, tiny_model.topics, tiny_model.stance, {"training": {"ids": ["17", "18"]}})
    summary = Summary()
    rows = [("x:1", {"id": 17, "question": "Steun?"}), ("x:2", {"id": np.int64(18), "question": "Tankers?"}),
            ("x:3", {"id": "19", "question": "Orders?"}), ("x:4", {"id": True, "question": "Kazerne?"})]
    list(label_rows(model, rows, summary=summary))
    assert summary.trained == 2
