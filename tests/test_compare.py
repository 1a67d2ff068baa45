"""Tests of classify.compare: per-label differences and changed records between two models."""

# ruff: noqa: E501, B905  (pinned one-line messages and inline data rows read better unwrapped; zips are of equal-length test data)

from __future__ import annotations

import json
import warnings

import pytest
from conftest import _records, write_jsonl
from typer.testing import CliRunner

from classify.annotations import from_rows
from classify.cli import app
from classify.compare import compare, format_comparison
from classify.errors import ClassifyWarning, DataError, LabelWarning

# most comparisons here include a record both models were trained on: that warning is tested once
pytestmark = pytest.mark.filterwarnings("ignore:1 of these records were in:classify.errors.ClassifyWarning")

HELD_OUT = [
    {"id": "h1", "question": "Worden tankers van de schaduwvloot gecontroleerd?", "answer": "Ja, de kustwacht controleert ze.", "topics": ["fleet"], "stance": "agree"},
    {"id": "h2", "question": "Levert Nederland meer munitie aan Oekraïne?", "answer": "Nee, de voorraden zijn op.", "topics": ["ukraine"], "stance": "disagree"},
    {"id": "h3", "question": "Wat is de omzet van de defensie-industrie?", "answer": "De omzet was 5 miljard euro.", "topics": ["industry"], "stance": "neutral"},
    {"id": "h4", "question": "Wanneer opent de nieuwe kazerne?", "answer": None, "topics": [], "stance": None},
    {"id": "docA#1", "question": "Bent u bereid meer munitie aan Oekraïne te leveren?", "answer": "Ja, het kabinet levert extra munitie aan Oekraïne.", "topics": ["ukraine"], "stance": "agree"},
]


def data(rows=HELD_OUT):
    return from_rows(((f"r{i}", r) for i, r in enumerate(rows)))


@pytest.fixture(scope="module")
def small_model():
    """A weaker model: trained on 12 of the 24 tiny records, on a subset of ids."""
    import classify

    return classify.train(_records()[::2], cv=0)


def test_a_model_against_itself_changes_nothing(tiny_model):
    report = compare(tiny_model, tiny_model, data())
    assert report["changed"] == [] and report["counts"]["records_changed"] == 0
    for head in ("topics", "stance"):
        for row in report[head]["per_label"].values():
            assert all(row[m]["delta"] == 0 for m in ("precision", "recall", "f1"))


def test_deltas_are_new_minus_old_and_match_evaluate(small_model, tiny_model):
    report = compare(small_model, tiny_model, data())
    old, new = small_model.evaluate(data()), tiny_model.evaluate(data())
    for label, row in report["topics"]["per_label"].items():
        assert row["f1"]["old"] == old["topics"]["per_label"][label]["f1"]
        assert row["f1"]["delta"] == pytest.approx(new["topics"]["per_label"][label]["f1"] - old["topics"]["per_label"][label]["f1"])
    assert report["stance"]["summary"]["macro_f1"]["new"] == new["stance"]["macro_f1"]


def test_changed_records_carry_gold_old_new_and_a_consistent_verdict(small_model, tiny_model):
    report = compare(small_model, tiny_model, data())
    p_old = small_model.predict([r["question"] for r in HELD_OUT], [r["answer"] for r in HELD_OUT])
    p_new = tiny_model.predict([r["question"] for r in HELD_OUT], [r["answer"] for r in HELD_OUT])
    expected = {r["id"] for r, a, b in zip(HELD_OUT, p_old, p_new) if sorted(a["topics"]) != sorted(b["topics"]) or a["stance"] != b["stance"]}
    assert {e["id"] for e in report["changed"]} == expected
    for entry in report["changed"]:
        gold = next(r for r in HELD_OUT if r["id"] == entry["id"])
        if "stance" in entry:
            s = entry["stance"]
            assert s["gold"] == gold["stance"]
            if s["gold"] is not None and s["new"] == s["gold"]:
                assert s["verdict"] == "fixed"
            if s["gold"] is not None and s["old"] == s["gold"]:
                assert s["verdict"] == "broken"
    c = report["counts"]
    assert c["records_changed"] == c["fixed"] + c["broken"] + c["changed_otherwise"] == len(expected)


def test_training_overlap_is_counted(small_model, tiny_model):
    with warnings.catch_warnings():
        warnings.simplefilter("error", ClassifyWarning)  # the library counts; the CLI warns (as for evaluate)
        report = compare(small_model, tiny_model, data())
    # docA#1 is in both training sets; h3 asks what the tiny set's docD#12 asks, word for word, but is answered
    # otherwise: another record (its stance was never annotated), so not counted
    assert report["seen_in_training"] == {"old": 1, "new": 1}
    # stdout kept alone (`> report.txt`) keeps the note with the figures, as evaluate's does
    assert "note: 1 of these records were in OLD's training data; its figures on them are optimistic." in format_comparison(report)


def test_different_label_sets_are_compared_on_the_union(tiny_model):
    import classify

    rows = [{**r, "topics": [t for t in r["topics"] if t != "fleet"]} for r in _records()]
    other = classify.train(rows, cv=0)
    report = compare(other, tiny_model, data([{**r, "topics": r["topics"]} for r in HELD_OUT]))
    assert report["topics"]["per_label"]["fleet"]["f1"]["old"] is None
    assert report["topics"]["per_label"]["fleet"]["f1"]["delta"] is None
    assert "different label sets" in report["note"] and "--unknown-labels miss" in report["note"]


def test_miss_scores_both_models_on_the_same_labels(tiny_model):
    import classify

    rows = [{**r, "topics": [t for t in r["topics"] if t != "fleet"]} for r in _records()]
    other = classify.train(rows, cv=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", LabelWarning)  # the report says it; no warning per model
        report = compare(other, tiny_model, data(), unknown_labels="miss")
    fleet = report["topics"]["per_label"]["fleet"]
    assert fleet["recall"]["old"] == 0 and fleet["f1"]["old"] == 0 and fleet["support"] == 1
    assert fleet["f1"]["new"] == tiny_model.evaluate(data())["topics"]["per_label"]["fleet"]["f1"]
    with pytest.warns(LabelWarning, match="topic 'fleet'"):
        missed = other.evaluate(data(), unknown_labels="miss")
    assert report["topics"]["summary"]["macro_f1"]["old"] == missed["topics"]["macro_f1"]
    assert report["topics"]["summary"]["micro_f1"]["old"] < compare(other, tiny_model, data())["topics"]["summary"]["micro_f1"]["old"]
    assert "never predicted" in report["note"]


def test_labels_neither_model_knows_are_listed_not_scored(small_model, tiny_model):
    rows = [*HELD_OUT, {"id": "h9", "question": "Hoe staat het met de marine?", "answer": "Goed.", "topics": ["navy"], "stance": "agre"}]
    for mode in ("drop", "miss"):
        report = compare(small_model, tiny_model, data(rows), unknown_labels=mode)
        assert report["unknown"] == {"topics": {"navy": 1}, "stance": {"agre": 1}}
        assert "navy" not in report["topics"]["per_label"] and "agre" not in report["stance"]["per_label"]
    text = format_comparison(report)
    assert "(gold topics neither model knows, not scored: navy (1))" in text
    assert "(gold stance neither model knows, not scored: agre (1))" in text
    assert "unknown" not in compare(small_model, tiny_model, data())


def test_an_unknown_labels_value_is_refused(small_model, tiny_model):
    with pytest.raises(DataError, match="unknown labels 'skip': use 'drop'.*or 'miss'"):
        compare(small_model, tiny_model, data(), unknown_labels="skip")


def test_text_rendering_lists_labels_and_changes(small_model, tiny_model):
    text = format_comparison(compare(small_model, tiny_model, data()), "v1", "v2", show=1)
    assert "OLD = v1, NEW = v2" in text
    assert "ukraine" in text and "macro f1" in text and "records whose predicted labels changed:" in text


def test_thresholds_and_a_label_moving_to_another_loss_are_shown(tiny_model):
    import classify

    ridge = classify.train(_records(), cv=0, params={"topic_loss": "ridge"})
    report = compare(tiny_model, ridge, data())
    fits = report["topics"]["fits"]
    assert {label: fit["threshold"]["old"] for label, fit in fits.items()} == tiny_model.thresholds
    assert {label: fit["threshold"]["new"] for label, fit in fits.items()} == ridge.thresholds
    assert {fit["loss"]["old"] for fit in fits.values()} == {"squared_hinge"}  # too few examples for ridge
    assert {fit["loss"]["new"] for fit in fits.values()} == {"ridge"}
    text = format_comparison(report)
    assert "fitted by squared_hinge -> ridge" in text and f"{tiny_model.thresholds['ukraine']:6.3f}" in text


# -- CLI --------------------------------------------------------------------------------------
def test_cli_compare_text_and_json(tiny_model_dir, small_model, tmp_path):
    old_dir = small_model.save(tmp_path / "old")
    path = write_jsonl(tmp_path / "held_out.jsonl", HELD_OUT)
    runner = CliRunner()
    result = runner.invoke(app, ["compare", str(old_dir), str(tiny_model_dir), str(path)])
    assert result.exit_code == 0, result.output
    assert "precision" in result.stdout and "records whose predicted labels changed" in result.stdout
    result = runner.invoke(app, ["compare", str(old_dir), str(tiny_model_dir), str(path), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["n"] == 5 and set(report) >= {"topics", "stance", "changed", "counts", "seen_in_training"}
    trained = write_jsonl(tmp_path / "trained_on.jsonl", _records()[:3])  # records both models were trained on
    result = runner.invoke(app, ["compare", str(old_dir), str(tiny_model_dir), str(trained)])
    assert result.exit_code == 0 and "note: 3 of these records were in NEW's training data" in result.stdout
    assert result.stdout.startswith("compared on 3 annotated records")  # the note is a line of the report, not a warning inside it
    assert "classify: warning: 3 of these records were in NEW's training data; its figures on them are optimistic.\n" in result.stderr


def test_cli_compare_missing_model_is_a_clean_error(tiny_model_dir, tmp_path):
    path = write_jsonl(tmp_path / "held_out.jsonl", HELD_OUT)
    result = CliRunner().invoke(app, ["compare", str(tmp_path / "nope"), str(tiny_model_dir), str(path)])
    assert result.exit_code == 2
    assert result.stderr.startswith("classify: error: model directory") and "does not exist" in result.stderr


def test_a_negative_show_is_refused(tiny_model_dir, small_model, tmp_path):
    old_dir = small_model.save(tmp_path / "old")
    path = write_jsonl(tmp_path / "held_out.jsonl", HELD_OUT)
    result = CliRunner().invoke(app, ["compare", str(old_dir), str(tiny_model_dir), str(path), "--show", "-1"])
    assert result.exit_code == 2 and "Invalid value for '--show'" in result.output  # was: 8 of 9 listed, then "10 more"
    with pytest.raises(DataError, match=r"^show must be a whole number >= 0 \(changed records listed\), got -1\.$"):
        format_comparison({"n": 0, "changed": []}, show=-1)


def test_cli_compare_unknown_labels(tiny_model_dir, tmp_path):
    import classify

    rows = [{**r, "topics": [t for t in r["topics"] if t != "fleet"]} for r in _records()]
    old_dir = classify.train(rows, cv=0).save(tmp_path / "old")
    path = write_jsonl(tmp_path / "held_out.jsonl", HELD_OUT)
    runner = CliRunner()
    result = runner.invoke(app, ["compare", str(old_dir), str(tiny_model_dir), str(path), "--unknown-labels", "miss", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["topics"]["per_label"]["fleet"]["recall"]["old"] == 0
    result = runner.invoke(app, ["compare", str(tmp_path / "nope"), str(tiny_model_dir), str(path), "--unknown-labels", "skip"])
    assert result.exit_code == 2 and "unknown labels 'skip': use 'drop'" in result.stderr  # before the models are read
