"""Tests of classify.card: the model card's limits say how uncertain and how biased the figures are."""

from __future__ import annotations

import copy

import pytest
from conftest import ROOT

from classify.card import render
from classify.persist import read_manifest


@pytest.fixture(scope="module")
def manifest() -> dict:
    """The shipped model's manifest as a realistic frame; each test sets the figures it reads."""
    return read_manifest(ROOT / "models" / "default")


def _with(manifest, head, label, **figures):
    edited = copy.deepcopy(manifest)
    edited["metrics"][head]["per_label"][label].update(figures)
    return edited


def test_rare_topics_get_their_counts_with_wilson_intervals(manifest):
    """'uncertain, wide error bars' said nothing of how wide: 1 of 3 is 0.06-0.79."""
    edited = _with(manifest, "topics", "shadow_fleet", support=3, recall=1 / 3, precision=1 / 16, predicted=16)
    card = render(edited)
    assert "`shadow_fleet` recall 1 of 3 (0.06-0.79), precision 1 of 16 (0.01-0.28)" in card
    assert "- Their cross-validated figures with 95 % Wilson intervals: " in card


def test_labels_predicted_far_more_or_less_often_than_annotated_are_named(manifest):
    edited = _with(_with(manifest, "stance", "agree", support=127, predicted=64), "topics", "ukraine_support", support=27, predicted=29)
    for head in ("topics", "stance"):  # every other label exactly as often predicted as annotated
        for label, m in edited["metrics"][head]["per_label"].items():
            if label not in ("agree", "ukraine_support"):
                m["predicted"] = m["support"]
    card = render(edited)
    line = next(x for x in card.splitlines() if x.startswith("- Counting records per label from predictions is biased"))
    assert "`agree` 64 times for 127 annotated" in line and "ukraine_support" not in line  # 29 for 27: within 25 %


def test_a_card_of_metrics_without_predicted_counts_still_renders(manifest):
    edited = _with(manifest, "topics", "shadow_fleet", support=3, recall=1 / 3, precision=1 / 16)
    for head in ("topics", "stance"):
        for m in edited["metrics"][head]["per_label"].values():
            m.pop("predicted", None)  # metrics stored before predictions were counted
    card = render(edited)
    assert "Counting records per label" not in card and "`shadow_fleet` recall 1 of 3 (0.06-0.79)" in card and "precision 1 of" not in card


@pytest.mark.parametrize(("char_weight", "said"), [(1.0, "word 1-2-grams and char 2-5-grams, accents"),
                                                   (2, "word 1-2-grams and char 2-5-grams weighted 2, accents"),
                                                   (0.0, "word 1-2-grams, accents")])
def test_the_method_names_the_char_blocks_weight_where_it_is_not_one(manifest, char_weight, said):
    edited = copy.deepcopy(manifest)
    edited["heads"]["topics"]["features"]["params"]["char_weight"] = char_weight
    assert f"on the question's hashed TF-IDF of {said} stripped" in render(edited)


def test_the_method_names_a_label_weighted_idf(manifest):
    edited = copy.deepcopy(manifest)
    assert "IDF weighted" not in render(edited)  # the shipped model's topics are multi-label: the plain IDF
    edited["heads"]["topics"]["features"]["idf_labels"] = 18
    assert ("on the question's hashed TF-IDF of word 1-2-grams and char 2-5-grams, accents stripped, IDF weighted by concentration "
            "in one of 18 labels (label_idf 10)") in render(edited)


def test_a_topic_only_card_speaks_of_topics_only_and_leaves_out_empty_descriptions(manifest):
    """A model retrained on the user's own themes, without descriptions: its card said it judged
    stances, and ended every label line with a colon and nothing after it."""
    edited = copy.deepcopy(manifest)
    del edited["heads"]["stance"]
    edited["schema"]["stances"] = []
    edited["metrics"].pop("stance", None)
    for entry in edited["schema"]["topics"]:
        entry["description"] = ""
    card = render(edited)
    intended = card.split("## Intended use\n", 1)[1].split("\n", 1)[0]
    assert intended.endswith("which questions concern which topic.")
    assert "stance" not in intended
    assert "- `shadow_fleet` (topic) (threshold " in card
    assert not any(line.startswith("- `") and line.rstrip().endswith(":") for line in card.splitlines())
