"""Tests of classify.metrics on tiny hand-computed cases."""

# ruff: noqa: E501, B905  (pinned one-line messages and inline data rows read better unwrapped; zips are of equal-length test data)

from __future__ import annotations

import pytest

from classify.metrics import format_report, stance_report, topic_report


def test_topic_report_hand_computed():
    # a: tp=2 fp=1 fn=0 -> P 2/3, R 1, F1 0.8 ; b: tp=0 fp=0 fn=1 -> P undefined (never predicted), R 0, F1 0
    Y_true = [[1, 0], [1, 1], [0, 0]]
    Y_pred = [[1, 0], [1, 0], [1, 0]]
    r = topic_report(Y_true, Y_pred, ["a", "b"])
    assert r["n"] == 3
    assert r["per_label"]["a"] == {"precision": pytest.approx(2 / 3), "recall": 1.0, "f1": pytest.approx(0.8), "support": 2, "predicted": 3}
    assert r["per_label"]["b"] == {"precision": None, "recall": 0.0, "f1": 0.0, "support": 1, "predicted": 0}
    # micro: tp=2 fp=1 fn=1 -> P 2/3 R 2/3 F1 2/3 ; macro: (0.8 + 0) / 2
    assert r["micro_f1"] == pytest.approx(2 / 3)
    assert r["macro_f1"] == pytest.approx(0.4)


def test_topic_report_docstring_case():
    r = topic_report([[1, 0], [0, 1]], [[1, 0], [0, 0]], ["a", "b"])
    assert r["per_label"]["a"]["f1"] == 1.0 and r["micro_f1"] == pytest.approx(2 / 3)


def test_topic_report_empty_and_all_negative():
    r = topic_report([[0, 0]], [[0, 0]], ["a", "b"])
    assert r["micro_f1"] is None and r["macro_f1"] is None  # nothing to score: was 0.0, as if every prediction were wrong
    assert "micro F1 -   macro F1 -" in format_report({"topics": r})
    assert r["per_label"]["a"] == {"precision": None, "recall": None, "f1": None, "support": 0, "predicted": 0}


def test_a_label_neither_annotated_nor_predicted_is_left_out_of_the_macro():
    # c: absent on both sides -> unscored; d: predicted once but never annotated -> a real error (F1 0)
    r = topic_report([[1, 0, 0], [0, 0, 0]], [[1, 0, 0], [0, 0, 1]], ["a", "c", "d"])
    assert r["per_label"]["c"] == {"precision": None, "recall": None, "f1": None, "support": 0, "predicted": 0}
    # d: its one prediction is wrong (precision 0), and with nothing annotated there is no recall
    assert r["per_label"]["d"] == {"precision": 0.0, "recall": None, "f1": 0.0, "support": 0, "predicted": 1}
    assert r["macro_f1"] == pytest.approx((1.0 + 0.0) / 2)
    s = stance_report(["yes", "yes", "no"], ["yes", "yes", "maybe"], ["yes", "no", "maybe", "never"])
    assert s["per_label"]["never"]["f1"] is None and s["per_label"]["maybe"]["f1"] == 0.0
    assert s["macro_f1"] == pytest.approx((1.0 + 0.0 + 0.0) / 3)
    text = format_report({"topics": r, "stance": s})
    assert next(x for x in text.splitlines() if x.strip().startswith("c ")).split() == ["c", "-", "-", "-", "0", "0"]
    assert next(x for x in text.splitlines() if x.strip().startswith("d ")).split() == ["d", "0.000", "-", "0.000", "0", "1"]
    assert "(-: c neither annotated nor predicted here; left out of the macro F1)" in text
    assert "(-: undefined for d: no precision without predictions, no recall without annotated examples)" in text
    assert "(-: never neither annotated nor predicted here; left out of the macro F1)" in text


def test_stance_report_hand_computed():
    y_true = ["yes", "yes", "no", "no", "maybe"]
    y_pred = ["yes", "no", "no", "no", "yes"]
    r = stance_report(y_true, y_pred, ["yes", "no", "maybe"])
    assert r["n"] == 5
    assert r["accuracy"] == pytest.approx(3 / 5)
    # yes: tp1 fp1 fn1 -> .5/.5/.5 ; no: tp2 fp1 fn0 -> 2/3, 1, .8 ; maybe: 0
    assert r["per_label"]["yes"] == {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 2, "predicted": 2}
    assert r["per_label"]["no"]["f1"] == pytest.approx(0.8) and r["per_label"]["no"]["support"] == 2
    assert r["per_label"]["maybe"] == {"precision": None, "recall": 0.0, "f1": 0.0, "support": 1, "predicted": 0}
    assert r["macro_f1"] == pytest.approx((0.5 + 0.8 + 0) / 3)
    assert r["confusion_matrix"] == {"labels": ["yes", "no", "maybe"], "matrix": [[1, 1, 0], [0, 2, 0], [1, 0, 0]]}


def test_stance_report_empty():
    r = stance_report([], [], ["yes", "no"])
    assert r["n"] == 0 and r["accuracy"] is None and r["macro_f1"] is None
    assert "macro F1 -   accuracy -" in format_report({"stance": r})
    assert r["per_label"]["yes"] == {"precision": None, "recall": None, "f1": None, "support": 0, "predicted": 0}


def test_stance_report_unpredicted_records_count_as_wrong():
    # cross-validation marks records it could not predict with "" (not a label)
    r = stance_report(["yes", "no"], ["yes", ""], ["yes", "no"])
    assert r["accuracy"] == 0.5 and r["per_label"]["no"]["recall"] == 0.0


def test_format_report_contains_labels_and_numbers():
    report = {
        "topics": topic_report([[1, 0], [0, 1]], [[1, 0], [0, 0]], ["ukraine_support", "shadow_fleet"]),
        "stance": stance_report(["agree", "non_committal"], ["agree", "agree"], ["agree", "non_committal"]),
    }
    text = format_report(report)
    assert text.endswith("\n")
    for needle in ("topics (n=2)", "stance (n=2)", "ukraine_support", "shadow_fleet", "non_committal",
                   "micro F1 0.667", "macro F1 0.500", "accuracy 0.500", "confusion matrix (rows: annotated, columns: predicted)"):
        assert needle in text
    line = next(x for x in text.splitlines() if x.strip().startswith("ukraine_support"))
    assert line.split()[1:] == ["1.000", "1.000", "1.000", "1", "1"]


def test_format_report_skips_missing_heads():
    text = format_report({"stance": stance_report(["a", "b"], ["a", "b"], ["a", "b"])})
    assert "topics" not in text and "stance (n=2)" in text
    assert format_report({}) == "\n"


def test_a_label_set_of_one_topic_is_scored_on_the_records_that_carry_it():
    """sklearn takes an (n, 1) indicator matrix for a binary target and scores class 0, the records
    without the topic: 55 of 80 held-out Belgian records, F1 0.909 where the topic's own is 0.800."""
    Y_true = [[1]] * 25 + [[0]] * 55
    Y_pred = [[1]] * 20 + [[0]] * 5 + [[1]] * 5 + [[0]] * 50
    report = topic_report(Y_true, Y_pred, ["defence"])
    assert report["per_label"]["defence"] == {"precision": 0.8, "recall": 0.8, "f1": 0.8, "support": 25, "predicted": 25}
    assert report["micro_f1"] == report["macro_f1"] == report["per_label"]["defence"]["f1"]
