"""Tests of classify.explain: exact attributions of the linear heads' decisions to words and phrases."""

# ruff: noqa: E501, B905  (pinned one-line messages and inline data rows read better unwrapped; zips are of equal-length test data)

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import write_jsonl
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from classify.cli import app
from classify.errors import ClassifyError, SchemaError
from classify.explain import ExplainError, attribute, explain, format_explanation
from classify.features import TextFeatures

QUESTION = "Gaat u schepen van de schaduwvloot aan de ketting leggen?"
ANSWER = "Nee, daar is geen juridische basis voor."


def total(entry) -> float:
    return sum(row["weight"] for row in entry["for"] + entry["against"])


def test_topic_contributions_add_up_to_the_score(tiny_model):
    result = explain(tiny_model, QUESTION, ANSWER, top=10_000)
    assert [t["label"] for t in result["topics"] if t["predicted"]] == tiny_model.predict([QUESTION])[0]["topics"]
    for t in result["topics"]:
        # exact: the weights are not rounded (121 of 1,436 explanations of long gold records were off by > 0.005)
        assert total(t) + t["intercept"] == pytest.approx(t["score"], abs=1e-5)


def test_stance_margin_adds_up_and_names_the_runner_up(tiny_model):
    result = explain(tiny_model, QUESTION, ANSWER, top=10_000)
    s = result["stance"]
    predicted = tiny_model.predict([QUESTION], [ANSWER])[0]
    assert s["label"] == predicted["stance"]
    ranked = sorted(predicted["stance_scores"].items(), key=lambda kv: -kv[1])
    assert s["versus"] == ranked[1][0]
    assert s["margin"] > 0
    assert total(s) + s["intercept"] == pytest.approx(s["margin"], abs=1e-5)
    fields = {row["field"] for row in s["for"] + s["against"]}
    assert fields <= {"answer", "question"} and "answer" in fields


def test_an_answer_read_without_accents_scores_and_explains_as_its_plain_spelling(tiny_model):
    accented, plain = "Één van de maatregelen is geïnformeerd.", "Een van de maatregelen is geinformeerd."
    _, stance = tiny_model.predict_proba([QUESTION] * 2, [accented, plain])
    np.testing.assert_array_equal(stance[0], stance[1])  # opening-word cues too
    a, b = explain(tiny_model, QUESTION, accented, top=10_000)["stance"], explain(tiny_model, QUESTION, plain, top=10_000)["stance"]
    assert a["margin"] == pytest.approx(b["margin"]) and total(a) + a["intercept"] == pytest.approx(a["margin"], abs=1e-5)


def test_text_as_the_model_reads_it_is_explained(tiny_model):
    """A soft hyphen inside a word, or 'ï' as i + combining diaeresis: label read them (NFC, no
    invisible characters) but explain stopped with 'cannot map 2 word feature(s)'."""
    import unicodedata

    plain = explain(tiny_model, QUESTION, ANSWER)
    for odd in (QUESTION.replace("schaduwvloot", "schaduw\u00advloot"), unicodedata.normalize("NFD", QUESTION + " Oekraïne")):
        result = explain(tiny_model, odd, unicodedata.normalize("NFD", ANSWER))
        assert result["topics"][0]["label"] == plain["topics"][0]["label"] and result["stance"]["label"] == plain["stance"]["label"]


def test_the_topics_line_names_the_predicted_topics_whichever_is_explained(tiny_model):
    """With --topic X for a topic not predicted the line read 'topics: (none)' beside a predicted one."""
    predicted = tiny_model.predict([QUESTION])[0]["topics"]
    other = next(t for t in tiny_model.schema.topics if t not in predicted)
    result = explain(tiny_model, QUESTION, topics=[other])
    assert result["predicted_topics"] == predicted and [t["label"] for t in result["topics"]] == [other]
    assert f"  topics: {', '.join(predicted)}\n" in format_explanation(result)


def test_the_topic_word_pushes_its_topic(tiny_model):
    fleet = next(t for t in explain(tiny_model, QUESTION, topics=["fleet"])["topics"])
    assert fleet["for"][0]["text"] in ("schaduwvloot", "de schaduwvloot", "schepen")
    assert all(row["weight"] > 0 for row in fleet["for"]) and all(row["weight"] < 0 for row in fleet["against"])


def test_no_answer_no_stance_and_top_limits_lists(tiny_model):
    result = explain(tiny_model, QUESTION, None, top=2)
    assert result["stance"] is None
    assert all(len(t["for"]) <= 2 and len(t["against"]) <= 2 for t in result["topics"])


def test_what_the_lists_leave_out_is_given_so_the_score_adds_up(tiny_model):
    """With the default top 10 the listed weights summed to +1.472 where the score needed +1.864: the
    unlisted rest is given (and printed), and so is how the score becomes the probability."""
    full = explain(tiny_model, QUESTION, ANSWER, top=10_000)
    short = explain(tiny_model, QUESTION, ANSWER, top=2)
    for t, whole in zip(short["topics"], full["topics"]):
        assert t["rest"]["count"] == len(whole["for"]) + len(whole["against"]) - len(t["for"]) - len(t["against"]) > 0
        assert total(t) + t["rest"]["weight"] + t["intercept"] == pytest.approx(t["score"], abs=1e-5)
        a, b = t["calibration"]
        assert 1 / (1 + np.exp(-(a * t["score"] + b))) == pytest.approx(t["probability"], abs=1e-4)
    s = short["stance"]
    assert total(s) + s["rest"]["weight"] + s["intercept"] == pytest.approx(s["margin"], abs=1e-5)
    assert s["scores"][s["label"]] - s["scores"][s["versus"]] == pytest.approx(s["margin"])
    assert full["stance"]["rest"] == {"count": 0, "weight": 0.0}  # exactly: the unlisted are summed on their own
    assert all(t["rest"] == {"count": 0, "weight": 0.0} for t in full["topics"])
    text = format_explanation(short)
    t = short["topics"][0]
    assert f"{t['rest']['count']} more words and phrases, together" in text and f"{t['rest']['weight']:+.3f}" in text
    assert f"(p = sigmoid({t['calibration'][0]:.3f} x score " in text
    assert "p: each stance's sigmoid(score), divided by their sum)" in text


def test_stance_cues_are_said_in_words(tiny_model):
    s = explain(tiny_model, QUESTION, ANSWER, top=10_000)["stance"]
    cues = {row["text"]: row["meaning"] for row in s["for"] + s["against"] if row["kind"] == "cue"}
    assert cues["open1:nee"] == "the answer opens with 'nee'"
    assert cues["refuse:any"].startswith("a refusal or denial ('nee', 'geen aanleiding'")
    assert "answer cue: open1:nee" in format_explanation({"heads": ["stance"], "stance": s})


def test_one_topic_as_a_string_and_a_numpy_top(tiny_model):
    """topics="ukraine" was read letter by letter ("unknown topic 'u'"); top=np.int64(3) was refused."""
    import numpy as np

    result = explain(tiny_model, QUESTION, None, top=np.int64(2), topics="ukraine")
    assert [t["label"] for t in result["topics"]] == ["ukraine"] and len(result["topics"][0]["for"]) <= 2


def test_the_text_says_why_a_decision_is_missing(tiny_model):
    from classify.model import Model

    assert "  stance: - (no answer)" in format_explanation(explain(tiny_model, QUESTION))
    topics_only = Model(tiny_model.schema, tiny_model.topics, None)
    result = explain(topics_only, QUESTION, ANSWER)
    assert result["heads"] == ["topics"] and result["stance"] is None
    assert format_explanation(result).endswith("  stance: - (the model has no stance head)")
    stance_only = Model(tiny_model.schema, None, tiny_model.stance)
    assert "  topics: - (the model has no topic head)" in format_explanation(explain(stance_only, QUESTION, ANSWER))


def test_nothing_predicted_explains_the_closest_topic(tiny_model):
    result = explain(tiny_model, "Wat kost de renovatie van de kazerne in Assen?")
    assert len(result["topics"]) == 1
    assert result["topics"][0]["predicted"] is bool(tiny_model.predict(["Wat kost de renovatie van de kazerne in Assen?"])[0]["topics"])
    assert "(not predicted)" in format_explanation(result) or result["topics"][0]["predicted"]


def test_unknown_topic_is_a_clear_error(tiny_model):
    with pytest.raises(SchemaError, match=r"unknown topic 'fleat'\. Did you mean 'fleet'\?"):
        explain(tiny_model, QUESTION, topics=["fleat"])


def test_empty_question_is_an_error(tiny_model):
    with pytest.raises(ClassifyError, match="non-empty question"):
        explain(tiny_model, "   ")


def test_hashing_drift_fails_loudly(tiny_model, monkeypatch):
    import classify.explain as module

    monkeypatch.setattr(module, "_hash_items", lambda f, text: ({}, {}))
    with pytest.raises(ExplainError, match="hashes differently"):
        explain(tiny_model, QUESTION)


def test_collisions_are_shared_and_still_exact():
    # 16 buckets: nearly every n-gram collides with another
    f = TextFeatures(n_features=16).fit(["steun aan Oekraïne", "zorg en wonen", "steun voor de zorg"])
    W = np.random.default_rng(0).normal(size=(16, 2)).astype(np.float32)
    text = "steun steun aan de zorg voor Oekraïne"
    parts = attribute(f, text, W)
    expected = np.asarray(f.transform([text]) @ W).ravel()
    assert sum(parts.values()) == pytest.approx(expected, abs=1e-5)
    assert {k[1] for k in parts} == {"word", "phrase"}


def test_words_read_without_accents_are_listed_as_the_text_spells_them():
    f = TextFeatures(n_features=2**10).fit(["steun aan Oekraïne", "zorg"])
    W = np.random.default_rng(0).normal(size=(2**10, 1)).astype(np.float32)
    parts = attribute(f, "Oekraine of Oekraïne", W)
    assert {k[2] for k in parts if k[1] == "word"} == {"oekraine", "of", "oekraïne"}
    assert parts[("text", "word", "oekraine")] == pytest.approx(parts[("text", "word", "oekraïne")])  # one word, shared
    assert sum(parts.values()) == pytest.approx(np.asarray(f.transform(["Oekraine of Oekraïne"]) @ W).ravel(), abs=1e-5)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(["steun", "Oekraïne", "Oekraine", "de", "zorg", "F-16", "schaduwvloot", "ÉÉN", "a", "1,5"]), max_size=12),
       st.sampled_from([1, 2]), st.sampled_from([(0, 0), (2, 4), (3, 5)]), st.sampled_from([0.0, 0.5, 1.0]), st.booleans())
def test_attribution_is_exact_for_any_text_and_settings(words, word_ngrams, char_range, char_weight, strip_accents):
    f = TextFeatures(n_features=64, word_ngrams=word_ngrams, char_range=char_range, char_weight=char_weight, salt=5,
                     strip_accents=strip_accents)
    f.fit(["steun aan Oekraïne", "zorg F-16"])
    W = np.linspace(-1, 1, 64 * 3, dtype=np.float32).reshape(64, 3)
    text = " ".join(words)
    parts = attribute(f, text, W, scale=0.5)
    got = sum(parts.values()) if parts else np.zeros(3)
    assert got == pytest.approx(0.5 * np.asarray(f.transform([text]) @ W).ravel(), abs=1e-5)


# -- CLI --------------------------------------------------------------------------------------
def test_cli_text_and_json(tiny_model_dir):
    runner = CliRunner()
    result = runner.invoke(app, ["explain", QUESTION, "--answer", ANSWER, "--model", str(tiny_model_dir), "--top", "3"])
    assert result.exit_code == 0, result.output
    assert "topics:" in result.stdout and "stance:" in result.stdout and " over " in result.stdout
    result = runner.invoke(app, ["explain", QUESTION, "--answer", ANSWER, "--model", str(tiny_model_dir), "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["question"] == QUESTION and payload["stance"]["label"] in ("agree", "disagree", "neutral")


def test_cli_file_of_records_and_plain_text_file(tiny_model_dir, tmp_path):
    runner = CliRunner()
    path = write_jsonl(tmp_path / "r.jsonl", [{"id": "x1", "question": QUESTION, "answer": ANSWER}, {"id": "x2", "question": "Steun voor Oekraïne?"}])
    result = runner.invoke(app, ["explain", str(path), "--model", str(tiny_model_dir), "--json"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(x) for x in result.stdout.splitlines()]
    assert [r["id"] for r in rows] == ["x1", "x2"] and rows[1]["stance"] is None
    text = tmp_path / "vraag.txt"
    text.write_text(QUESTION, encoding="utf-8")
    result = runner.invoke(app, ["explain", str(text), "--model", str(tiny_model_dir)])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("record vraag\n") and result.stderr == ""  # the file's stem, as label names a document's records


def test_cli_a_long_text_file_without_questions_is_explained_with_a_warning(tiny_model_dir, tmp_path):
    """A document whose questions classify cannot find (label and parse refuse it) was explained as one
    question of 24,922 characters without a word."""
    text = tmp_path / "brief.txt"
    text.write_text("Geachte voorzitter, " + "hierbij de reactie op het rapport. " * 40, encoding="utf-8")
    result = CliRunner().invoke(app, ["explain", str(text), "--model", str(tiny_model_dir), "--json"])
    assert result.exit_code == 0 and json.loads(result.stdout)["id"] == "brief"
    assert result.stderr == (f"classify: warning: {text}: no numbered questions found ('Vraag 1 ...', '1. ...?'), so its whole text "
                             "(1,419 characters) is explained as one question; `classify parse` shows what a document's questions are read as.\n")


def test_cli_unknown_topic_is_a_clean_error(tiny_model_dir):
    result = CliRunner().invoke(app, ["explain", QUESTION, "--model", str(tiny_model_dir), "--topic", "nope"])
    assert result.exit_code == 2
    assert result.stderr.startswith("classify: error: unknown topic 'nope'")


def test_cli_a_mistyped_file_name_is_not_explained_as_a_question(tiny_model_dir, tmp_path):
    result = CliRunner().invoke(app, ["explain", str(tmp_path / "vragen.jsonl"), "--model", str(tiny_model_dir)])
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith(f"classify: error: '{tmp_path / 'vragen.jsonl'}' looks like a file name, but there is no such file")
    one_word = CliRunner().invoke(app, ["explain", "Schaduwvloot", "--model", str(tiny_model_dir)])
    assert one_word.exit_code == 0, one_word.output


def test_cli_a_question_piped_in_is_explained(tiny_model_dir):
    """`echo "..." | classify explain -` printed nothing (the line was read as a CSV header)."""
    runner = CliRunner()
    result = runner.invoke(app, ["explain", "-", "--model", str(tiny_model_dir)], input=QUESTION + "\n")
    assert result.exit_code == 0, result.output
    assert result.stdout == runner.invoke(app, ["explain", QUESTION, "--model", str(tiny_model_dir)]).stdout != ""
    records = json.dumps({"id": "x1", "question": QUESTION}) + "\n"
    result = runner.invoke(app, ["explain", "-", "--model", str(tiny_model_dir)], input=records)
    assert result.exit_code == 0 and result.stdout.startswith("record x1")
