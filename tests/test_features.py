"""Tests of classify.features: hashed TF-IDF text features."""

# ruff: noqa: E501, B905  (pinned one-line messages and inline data rows read better unwrapped; zips are of equal-length test data)

from __future__ import annotations

import hashlib
import subprocess
import sys

import numpy as np
import pytest
from conftest import ROOT
from sklearn.base import clone

from classify.errors import DataError
from classify.features import TextFeatures

TEXTS = [
    "Bent u bereid meer munitie aan Oekraïne te leveren?",
    "Ja, het kabinet levert extra munitie.",
    "Is the minister aware of the shadow fleet?",
    "Schaduwvloot 🚢 in de Noordzee!",
    "",
]
N = 2**12


def digest(matrix) -> str:
    m = matrix.tocsr()
    m.sort_indices()
    h = hashlib.sha256()
    for part in (m.indptr.astype(np.int64), m.indices.astype(np.int64), m.data.astype(np.float32)):
        h.update(part.tobytes())
    return h.hexdigest()


def fitted(**params) -> TextFeatures:
    return TextFeatures(n_features=N, **params).fit(TEXTS)


def test_shape_dtype_and_normalisation():
    X = fitted().transform(TEXTS)
    assert X.shape == (len(TEXTS), N)
    assert X.dtype == np.float32
    norms = np.sqrt(np.asarray(X.multiply(X).sum(axis=1))).ravel()
    # the word and char blocks are each L2-normalised and summed with char_weight 1.0
    assert norms[-1] == 0  # empty text: an all-zero row
    assert np.all((norms[:-1] > 1.0) & (norms[:-1] <= 2.0 + 1e-5))


def test_deterministic_across_instances():
    assert digest(fitted().transform(TEXTS)) == digest(fitted().transform(TEXTS))


def test_transform_independent_of_batch_composition():
    f = fitted()
    together = f.transform(TEXTS).toarray()
    alone = np.vstack([f.transform([t]).toarray() for t in TEXTS])
    np.testing.assert_array_equal(together, alone)


def test_deterministic_across_processes():
    # Python's str hash is salted per process; the features must not depend on it
    code = (
        "import sys; sys.path.insert(0, 'tests');"
        "from test_features import fitted, digest, TEXTS;"
        "print(digest(fitted().transform(TEXTS)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True, env={"PYTHONHASHSEED": "12345", "PATH": ""}
    )
    assert out.stdout.strip() == digest(fitted().transform(TEXTS))


@pytest.mark.parametrize("text", ["", "   \n\t ", "🚢🚀", "?!.,"])
def test_texts_without_tokens_give_zero_rows(text):
    X = fitted().transform([text, "munitie"])
    assert X.shape == (2, N)
    assert X[0].nnz == 0 and X[1].nnz > 0


def test_all_empty_batch_and_empty_input():
    f = fitted()
    assert f.transform(["", " "]).shape == (2, N)
    assert f.transform([]).shape == (0, N)
    assert f.transform([None]).nnz == 0  # None counts as empty text


def test_english_and_dutch_share_no_spurious_identity():
    X = fitted().transform(["the shadow fleet", "de schaduwvloot"]).toarray()
    assert not np.array_equal(X[0], X[1])


def test_state_round_trip_gives_identical_transform():
    f = fitted(word_ngrams=1, char_range=(2, 4), char_weight=0.5, salt=7)
    meta, arrays = f.get_state()
    assert set(arrays) == {"idf_index", "idf_value"}
    assert arrays["idf_index"].dtype == np.int32 and arrays["idf_value"].dtype == np.float32
    g = TextFeatures.from_state(meta, arrays)
    assert g.get_params() == f.get_params()
    np.testing.assert_array_equal(g.idf_, f.idf_)
    new = ["Nieuwe tekst over munitie", "Totally unseen words"]
    assert digest(g.transform(TEXTS + new)) == digest(f.transform(TEXTS + new))


def test_clone_and_params():
    f = TextFeatures(n_features=N, word_ngrams=1, char_range=(0, 0), salt=3)
    assert f.get_params() == {"n_features": N, "word_ngrams": 1, "char_range": (0, 0), "char_weight": 1.0, "salt": 3, "strip_accents": True,
                            "label_idf": 10.0}
    g = clone(f)
    assert g.get_params() == f.get_params() and not hasattr(g, "idf_")
    assert f.set_params(salt=4) is f and f.salt == 4


def test_words_are_read_without_their_accents():
    # the Belgian questions spell "Oekraine": 24 of the gold corpus's ~180 mentions of Ukraine lack the diaeresis
    accented, bare = ["Steun aan Oekraïne: ﬁnanciële coördinatie"], ["steun aan OEKRAINE: financiele coordinatie"]
    f = fitted()
    assert digest(f.transform(accented)) == digest(f.transform(bare))
    weights = np.random.default_rng(0).random((N, 2), dtype=np.float32)
    np.testing.assert_array_equal(f.dot(accented, weights), f.dot(bare, weights))
    kept = fitted(strip_accents=False)
    assert digest(kept.transform(accented)) != digest(kept.transform(bare))


def test_a_state_without_strip_accents_is_refused():
    # format 2 records it; persist.load reads a format-1 model as False (tests/test_persist_formats.py)
    meta, arrays = fitted(strip_accents=False).get_state()
    assert meta["params"]["strip_accents"] is False
    del meta["params"]["strip_accents"]
    with pytest.raises(DataError, match="the featuriser's params lack strip_accents, which format 2 records; restore the manifest"):
        TextFeatures.from_state(meta, arrays)


def test_an_object_pickled_before_strip_accents_existed_reads_accents():
    import pickle

    old = fitted(strip_accents=False)
    expected = digest(old.transform(["Oekraïne"]))
    del old.__dict__["strip_accents"]  # as the previous version pickled it
    g = pickle.loads(pickle.dumps(old))
    assert g.strip_accents is False and digest(g.transform(["Oekraïne"])) == expected


def test_salt_changes_the_hashing():
    a = fitted(salt=1).transform(["munitie"])
    b = fitted(salt=2).transform(["munitie"])
    assert set(a.indices) != set(b.indices)


def test_char_ngrams_can_be_disabled():
    words_only = fitted(char_range=(0, 0)).transform(["munitie"])
    assert words_only.nnz == 1  # one unigram, no bigram, no char n-grams


def test_unfitted_transform_raises():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        TextFeatures().transform(["x"])


@pytest.mark.parametrize(
    "params, message",
    [
        ({"n_features": 0}, r"n_features must be a whole number from 1 to 16777216 \(2\*\*24; default 2\*\*20\), got 0"),
        ({"n_features": 2.5}, r"n_features must be a whole number from 1 to 16777216 .*, got 2\.5"),
        ({"n_features": 2**30}, r"n_features must be a whole number from 1 to 16777216 .*, got 1073741824: each label keeps"),
        ({"char_range": (5, 3)}, r"char_range must be \(lo, hi\) with 1 <= lo <= hi, or \(0, 0\); got \(5, 3\)"),
        ({"word_ngrams": 3}, r"word_ngrams must be 1 \(words\) or 2 \(words and word pairs\), got 3"),
        ({"word_ngrams": 0}, r"word_ngrams must be 1 .* got 0"),
        ({"char_weight": -1.0}, r"char_weight must be a number >= 0 \(0 switches the char block off\); got -1\.0"),
        ({"label_idf": -1}, r"label_idf must be a number >= 0 \(how much an n-gram concentrated in one label outweighs one spread over all; 0 keeps the plain IDF\); got -1"),
        ({"strip_accents": "unicode"}, r"strip_accents must be True \(words are read without their accents: 'Oekraïne' and 'Oekraine' are one word\) or False, got 'unicode'"),
    ],
)
def test_invalid_params(params, message):
    with pytest.raises(DataError, match=message):
        TextFeatures(**params).fit(["x"])


# one label per text: "munitie" only in the ammunition questions, "kabinet" in every label's
THEMES = ["Munitie voor het kabinet", "Meer munitie leveren", "Munitie en granaten",
          "Zorg van het kabinet", "Zorg in ziekenhuizen", "Wachtlijsten in de zorg",
          "Het kabinet bouwt woningen", "Woningen voor starters", "Huur van woningen"]
THEME_Y = ["defence"] * 3 + ["care"] * 3 + ["housing"] * 3


def _idf_of(f, word):
    column = TextFeatures(n_features=N, char_range=(0, 0), word_ngrams=1).fit([word]).transform([word]).indices[0]
    return f.idf_[column]


def test_labels_weight_the_idf_of_words_concentrated_in_one_label():
    plain = TextFeatures(n_features=N, char_range=(0, 0), word_ngrams=1).fit(THEMES)
    weighted = TextFeatures(n_features=N, char_range=(0, 0), word_ngrams=1, label_idf=10).fit(THEMES, THEME_Y)
    assert plain.idf_labels_ == 0 and weighted.idf_labels_ == 3
    # "munitie" (3 of 3 defence questions, no other) and "kabinet" (one question of each label) have one document frequency
    assert _idf_of(plain, "munitie") == _idf_of(plain, "kabinet")
    ratio = {w: _idf_of(weighted, w) / _idf_of(plain, w) for w in ("munitie", "kabinet", "zorg", "onbekend")}
    assert ratio["kabinet"] == pytest.approx(1.0, abs=1e-6)  # spread evenly over the labels: the plain IDF
    assert ratio["munitie"] > 5 and ratio["zorg"] > 5  # concentrated in one label
    assert ratio["onbekend"] == 1.0  # never seen: the default IDF, so a saved model stores only the columns seen
    unseen = plain.idf_ == plain.idf_.max()
    assert (weighted.idf_[unseen] == plain.idf_.max()).all() and (weighted.idf_[~unseen] > plain.idf_[~unseen]).any()


def test_label_weighting_takes_labels_or_an_indicator_matrix_and_is_off_without_them():
    kw = {"n_features": N, "char_range": (2, 4)}
    by_label = TextFeatures(**kw).fit(THEMES, THEME_Y)
    labels = sorted(set(THEME_Y))
    by_matrix = TextFeatures(**kw).fit(THEMES, np.array([[int(y == label) for label in labels] for y in THEME_Y]))
    np.testing.assert_array_equal(by_label.idf_, by_matrix.idf_)
    plain = TextFeatures(**kw).fit(THEMES).idf_
    np.testing.assert_array_equal(TextFeatures(**kw, label_idf=0).fit(THEMES, THEME_Y).idf_, plain)
    np.testing.assert_array_equal(TextFeatures(**kw).fit(THEMES, ["one"] * len(THEMES)).idf_, plain)  # a single label: nothing to weigh
    assert digest(TextFeatures(**kw).fit_transform(THEMES, THEME_Y)) == digest(by_label.transform(THEMES))


def test_records_without_a_label_count_as_one_more_label():
    Y = np.array([[1, 0]] * 3 + [[0, 1]] * 3 + [[0, 0]] * 3)  # housing questions carry no label
    with_none = TextFeatures(n_features=N, char_range=(0, 0)).fit(THEMES, Y)
    assert with_none.idf_labels_ == 3
    np.testing.assert_allclose(with_none.idf_, TextFeatures(n_features=N, char_range=(0, 0)).fit(THEMES, THEME_Y).idf_)


@pytest.mark.parametrize(("y", "shape"), [(["a", "b"], r"\(2,\)"), (np.full((9, 2), 2), r"\(9, 2\)"), (np.zeros((9, 2, 1)), r"\(9, 2, 1\)")])
def test_labels_that_do_not_fit_the_texts_are_refused(y, shape):
    with pytest.raises(DataError, match=rf"y must hold one label per text or be a 0/1 indicator matrix with a row per text; got shape {shape} for 9 texts\. Pass the labels"):
        TextFeatures(n_features=N).fit(THEMES, y)


def test_cross_fitted_features_equal_a_copy_fitted_on_each_fold():
    folds = [(np.arange(0, 6), np.arange(6, 9)), (np.array([0, 3, 6, 7, 8]), np.array([1, 2, 4, 5]))]
    f = TextFeatures(n_features=N)
    for (fit_rows, rows), (X, X_held) in zip(folds, f.cross_fitted(THEMES, THEME_Y, folds)):
        copy = TextFeatures(n_features=N).fit([THEMES[i] for i in fit_rows], [THEME_Y[i] for i in fit_rows])
        assert digest(X) == digest(copy.transform([THEMES[i] for i in fit_rows]))
        assert digest(X_held) == digest(copy.transform([THEMES[i] for i in rows]))
    assert not hasattr(f, "idf_")  # the featuriser itself stays unfitted


def test_state_round_trip_keeps_the_label_weighting():
    f = TextFeatures(n_features=N).fit(THEMES, THEME_Y)
    meta, arrays = f.get_state()
    assert meta["idf_labels"] == 3 and meta["params"]["label_idf"] == 10.0
    g = TextFeatures.from_state(meta, arrays)
    assert g.idf_labels_ == 3 and g.get_params() == f.get_params()
    np.testing.assert_array_equal(g.idf_, f.idf_)


def test_label_weighting_in_a_pipeline_with_a_classifier():
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    pipe = make_pipeline(TextFeatures(n_features=N), LogisticRegression()).fit(THEMES, THEME_Y)
    assert pipe[0].idf_labels_ == 3  # Pipeline hands y to the featuriser's fit_transform
    assert list(pipe.predict(["Munitie leveren"])) == ["defence"]


def test_pickle_drops_the_token_cache():
    import pickle

    f = fitted()
    f.transform(["munitie"])
    g = pickle.loads(pickle.dumps(f))
    assert "_cache" not in g.__dict__
    assert digest(g.transform(TEXTS)) == digest(f.transform(TEXTS))


@pytest.mark.parametrize("change", [{"n_features": N}, {"salt": 5}, {"strip_accents": False}])
def test_set_params_then_refit_equals_fresh_instance(change):
    used = TextFeatures(n_features=16).fit(TEXTS)
    used.transform(TEXTS)
    used.set_params(**change).fit(TEXTS)
    fresh = TextFeatures(**{**used.get_params()}).fit(TEXTS)
    assert digest(used.transform(TEXTS)) == digest(fresh.transform(TEXTS))
