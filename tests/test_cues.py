"""Stance cues: the numpy-only scores equal the sparse matrix times the weights."""

import numpy as np
import pytest

from classify.cues import cue_entries, cue_matrix, cue_names, cue_scores

ANSWERS = [
    "Nee. Het kabinet is daar geen voorstander van.",
    "Ja, dat deel ik. Het kabinet zal uw Kamer nader informeren.",
    "",
    "Ik wacht het onderzoek af en kan niet vooruitlopen op de uitkomst.",
]


def test_scores_equal_the_matrix_product():
    weights = np.random.default_rng(0).normal(size=(2**12, 4)).astype(np.float32)
    expected = cue_matrix(ANSWERS, 2**12, 0.7) @ weights
    np.testing.assert_allclose(cue_scores(ANSWERS, 2**12, 0.7, weights), expected, rtol=1e-6, atol=1e-6)


def test_entries_scale_each_answer_to_its_cue_count():
    rows, cols, vals = cue_entries(ANSWERS, 2**12, 1.0)
    assert cue_names(ANSWERS[2]) == ["length:short"] and (rows == 2).sum() == 1
    first = vals[rows == 0]
    assert len(first) == len(cue_names(ANSWERS[0]))
    np.testing.assert_allclose(first, 1 / np.sqrt(len(first)))
    assert ((0 <= cols) & (cols < 2**12)).all()


def test_an_agreement_phrase_that_is_negated_is_no_agreement_cue():
    groups = lambda answer: {name for name in cue_names(answer) if name.split(":")[0] in ("agree", "refuse")}  # noqa: E731
    assert groups("Het kabinet deelt deze zorg.") == {"agree:any", "agree:opening"}
    assert groups("Het kabinet deelt deze zorg niet.") == {"refuse:any", "refuse:opening"}
    assert groups("Ik ben het met de leden eens.") == {"agree:any", "agree:opening"}
    assert groups("Ik ben het daar niet mee eens.") == set()
    # a "niet" in the next sentence negates nothing
    assert groups("Ik deel de zorg van deze leden. Niet alle lidstaten doen dat.") == {"agree:any", "agree:opening"}


@pytest.mark.parametrize("informed", ["geïnformeerd", "geinformeerd", "GEÏNFORMEERD"])
def test_a_promise_to_inform_later_is_a_deferral_however_it_is_spelled(informed):
    # "ge?informeerd" never matched the Tweede Kamer's spelling with a diaeresis
    assert "defer:any" in cue_names(f"Uw Kamer wordt hierover voor de zomer {informed}.")


def test_opening_words_count_without_their_accents_where_the_featuriser_strips_them():
    answers = ["Één van de maatregelen is uitgevoerd.", "Een van de maatregelen is uitgevoerd."]
    weights = np.random.default_rng(0).random((2**10, 3), dtype=np.float32)
    stripped = cue_scores(answers, 2**10, 1.0, weights, strip_accents=True)
    np.testing.assert_array_equal(stripped[0], stripped[1])
    kept = cue_scores(answers, 2**10, 1.0, weights)  # format-1 models: as they were trained
    assert not np.array_equal(kept[0], kept[1])


def test_every_cue_pattern_is_tried_only_where_its_leading_words_occur():
    """The cue scan's speed: a pattern that starts with a lookaround or a class is tried at every
    position of every answer (a negative lookbehind in front of "eens" made the scan 1.8x slower)."""
    from classify._fastre import _plan
    from classify.cues import _PATTERNS

    unplanned = [p.pattern for p in _PATTERNS if not _plan(p) or _plan(p)[1] is None]
    assert unplanned == [r"\d"], "write lookarounds after the pattern's first words, e.g. \\beens\\b(?<!niet eens)"
