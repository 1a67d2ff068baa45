"""Tests of the public API in classify/__init__.py (plus the small record and card modules)."""

# ruff: noqa: E501, B905  (pinned one-line messages and inline data rows read better unwrapped; zips are of equal-length test data)

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import ROOT, SEED_DOCUMENT, write_jsonl

import classify
from classify.annotations import Fields
from classify.record import Record


def test_public_names():
    for name in classify.__all__:
        assert getattr(classify, name) is not None
    assert classify.LabelSchema.__module__ == "classify.schema"
    assert classify.Model.__module__ == "classify.model"
    with pytest.raises(AttributeError, match="module 'classify' has no attribute 'nope'"):
        classify.nope  # noqa: B018


def test_error_hierarchy():
    assert issubclass(classify.DataError, (classify.ClassifyError, ValueError))
    assert issubclass(classify.SchemaError, ValueError) and issubclass(classify.ModelFormatError, ValueError)
    assert issubclass(classify.InputNotFoundError, (classify.ClassifyError, FileNotFoundError))


def test_import_is_light():
    code = "import classify, sys; print(sorted(m for m in ('sklearn', 'numpy', 'scipy', 'datasets', 'pyarrow') if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_default_model_path():
    path = classify.default_model_path()
    assert (path / "manifest.json").is_file()


def test_evaluate_on_dicts_and_paths(tiny_model, records, records_path):
    by_dicts = classify.evaluate(tiny_model, records)
    by_path = classify.evaluate(tiny_model, records_path)
    assert by_dicts == by_path
    assert set(by_dicts) == {"topics", "stance"}
    assert tiny_model.evaluate(records) == tiny_model.evaluate(records_path) == by_dicts  # the Model method takes records too
    renamed = [{"vraag": r["question"], **{k: v for k, v in r.items() if k != "question"}} for r in records]
    assert classify.evaluate(tiny_model, renamed, fields=Fields(question="vraag")) == by_dicts
    with pytest.raises(TypeError, match="feilds"):  # a mistyped keyword is not ignored
        classify.evaluate(tiny_model, records, feilds=None)


def test_evaluate_rejects_labels_outside_the_model_schema(tiny_model, records):
    records[0]["topics"] = ["fleat"]
    with pytest.raises(classify.DataError, match=r"record 1: unknown topic 'fleat'\. Did you mean 'fleet'\?.*--unknown-labels miss"):
        classify.evaluate(tiny_model, records)
    with pytest.warns(classify.errors.LabelWarning, match="topic 'fleat' \\(1 record\\)"):
        report = classify.evaluate(tiny_model, records, unknown_labels="miss")
    assert report["topics"]["not_in_model"] == ["fleat"]


def test_parse_and_hydrate(tmp_path):
    records = classify.parse(SEED_DOCUMENT.read_text(encoding="utf-8"), doc_id="seed")
    assert len(records) == 15 and all(isinstance(r, Record) for r in records)
    corpora = tmp_path / "c"
    corpora.mkdir()
    write_jsonl(corpora / "c.jsonl", [{"id": "1", "question": "V?", "answer": None}])
    assert classify.hydrate(write_jsonl(tmp_path / "ids.jsonl", [{"id": "1"}]), corpora) == ([{"id": "1", "question": "V?", "answer": None}], [])
    records, missing = classify.hydrate(write_jsonl(tmp_path / "zaak.jsonl", [{"zaak": "1"}, {"zaak": "2"}]), corpora, fields={"id": "zaak"})
    assert (records, missing) == ([{"zaak": "1", "question": "V?", "answer": None}], ["2"])  # the id column named as train takes it


def test_record_to_dict():
    record = Record(id="doc#1", question="Vraag?", answer="Ja.", members=["A"])
    assert list(record.to_dict()) == ["id", "question", "answer", "number", "group", "party", "members", "answered_by", "date", "subject", "document"]
    assert record.to_dict()["members"] == ["A"]


def test_model_card_without_metrics(tmp_path, records):
    from classify.card import render

    model = classify.train(records[:12], cv=0)  # ukraine and industry only: 'fleet' is absent
    text = (model.save(tmp_path / "m") / "README.md").read_text(encoding="utf-8")
    assert "Not cross-validated (trained with cv=0 / --cv 0, or too few records)." in text
    assert "Few positive examples for `industry` (6), `ukraine` (6): their recall and precision are uncertain; any figure measured on them has wide error bars." in text
    assert render({**__import__("json").loads((tmp_path / "m" / "manifest.json").read_text()), "metrics": {}}) == text


def test_model_card_states_the_method_from_the_heads(tmp_path, records):
    model = classify.train(records, cv=0)
    text = (model.save(tmp_path / "m") / "README.md").read_text(encoding="utf-8")
    # the toy records have too few examples per topic for ridge (loss "auto"): the SVM for all
    assert "- topics: one linear SVM (squared hinge) per label, C=0.5; on the question's hashed TF-IDF of word 1-2-grams and char 2-5-grams, accents stripped" in text
    assert "- stance: logistic regression (C=3.0) on the answer's hashed TF-IDF" in text and "Dutch cue phrases (weight 1.0)" in text


def test_model_card_limits_fit_the_model_not_the_shipped_one(tmp_path, records):
    """A user's own model: no stance remarks without a stance head, no dates of the shipped corpus."""
    topics_only = [{**r, "stance": None} for r in records]
    text = (classify.train(topics_only, cv=0).save(tmp_path / "m") / "README.md").read_text(encoding="utf-8")
    limits = text.split("## Limits", 1)[1]
    assert "stance" not in limits and "2007" not in limits and "2024" not in limits
    assert "- Bag-of-n-grams model: it sees words, not argument structure." in limits
    assert "Labels parliamentary questions by topic (multi-label).\n" in text
