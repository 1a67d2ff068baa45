"""Tests of classify._ngrams, and that the vectorised featuriser is bit-for-bit the plain reference."""

from __future__ import annotations

import random
import re
import zlib

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import needs_numba
from sklearn.feature_extraction.text import strip_accents_unicode
from sklearn.preprocessing import normalize

from classify._ngrams import MAX_TOKEN_CHARS, count, crc32, unaccented
from classify.features import TextFeatures

TEXTS = [
    "Bent u bereid meer munitie aan Oekraïne te leveren?", "Ja, het kabinet levert extra munitie.", "",
    "Schaduwvloot 🚢 in de Noordzee!", "İstanbul ĲSSEL éën naïve ß", "a\ud800b c", "munitie munitie munitie",
    "x" * 300, "Is the minister aware of the shadow fleet? ✓ ½ ٣", "de de de de de", "F-16's € 5,3 mld.",
]


def reference(f: TextFeatures, texts):
    """The featuriser written plainly: re.findall, zlib.crc32 per n-gram, scipy sums, sklearn normalize."""
    n, N = len(texts), f.n_features
    lo, hi = f.char_range
    rows_w, cols_w, rows_c, cols_c = [], [], [], []
    for i, text in enumerate(texts):
        tokens = re.findall(r"\w+", text.lower())
        if f.strip_accents:  # scikit-learn's strip_accents="unicode"
            tokens = [strip_accents_unicode(t) for t in tokens]
        word = [zlib.crc32(t.encode("utf-8", "surrogatepass"), f.salt & 0xFFFFFFFF) for t in tokens]
        cols_w += [h % N for h in word]
        if f.word_ngrams >= 2:
            cols_w += [(a * 0x9E3779B1 + b + 1) % 2**64 % N for a, b in zip(word, word[1:], strict=False)]
        rows_w += [i] * (len(word) + (max(len(word) - 1, 0) if f.word_ngrams >= 2 else 0))
        for t in tokens if hi else []:
            padded = f" {t} "[: MAX_TOKEN_CHARS + 2]  # a token's char n-grams come from its start only
            for size in range(lo, hi + 1):
                for s in range(len(padded) - size + 1):
                    rows_c.append(i)
                    cols_c.append(zlib.crc32(padded[s : s + size].encode("utf-8", "surrogatepass"), ~f.salt & 0xFFFFFFFF) % N)
    blocks = []
    for rows, cols, weight in ((rows_w, cols_w, 1.0), (rows_c, cols_c, f.char_weight)):
        m = sp.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=(n, N), dtype=np.float32)
        m.sum_duplicates()
        if m.nnz == 0 or weight == 0:
            continue
        m.data = (1.0 + np.log(m.data)) * f.idf_[m.indices]
        blocks.append(normalize(m, copy=False) * np.float32(weight))
    if not blocks:
        return sp.csr_matrix((n, N), dtype=np.float32)
    return (blocks[0] if len(blocks) == 1 else blocks[0] + blocks[1]).astype(np.float32).tocsr()


def same(a, b) -> bool:
    a, b = a.tocsr(), b.tocsr()
    a.sort_indices()
    b.sort_indices()
    return np.array_equal(a.indptr, b.indptr) and np.array_equal(a.indices, b.indices) and np.array_equal(a.data, b.data)


@pytest.mark.parametrize(
    "params",
    [{}, {"n_features": 2**12}, {"word_ngrams": 1, "char_range": (2, 4), "char_weight": 0.5, "salt": 7},
     {"char_range": (0, 0)}, {"char_weight": 0.0, "salt": -3}, {"n_features": 3, "char_range": (1, 1)}, {"strip_accents": False}],
)
def test_transform_is_bit_for_bit_the_reference(params, kernels):
    f = TextFeatures(**params).fit(TEXTS)
    assert same(f.transform(TEXTS), reference(f, TEXTS))
    assert same(f.transform(TEXTS[::-1]), reference(f, TEXTS[::-1]))  # and independent of the cache's history
    assert same(TextFeatures(**params).fit_transform(TEXTS), f.transform(TEXTS))  # counted once, same matrix


@needs_numba
def test_both_paths_learn_the_same_idf(monkeypatch):
    from classify import _compiled

    compiled = TextFeatures(n_features=2**12).fit(TEXTS * 3).idf_
    monkeypatch.setattr(_compiled, "_kernels", {})
    assert np.array_equal(compiled, TextFeatures(n_features=2**12).fit(TEXTS * 3).idf_)


def test_dot_is_the_matrix_product_up_to_float32_rounding(kernels):
    f = TextFeatures(n_features=2**14).fit(TEXTS)
    weights = np.random.default_rng(0).standard_normal((2**14, 3)).astype(np.float32)
    np.testing.assert_allclose(f.dot(TEXTS, weights), f.transform(TEXTS) @ weights, rtol=1e-5, atol=1e-5)
    assert f.dot([], weights).shape == (0, 3)


def test_a_run_of_letters_costs_its_first_characters_only(kernels):
    """One 2,000,000-letter token (PDF text without spaces) took 9 s and 1 GB to label: the byte-by-byte
    hash loop ran 2,000,000 times and its char n-grams were 8,000,000 columns."""
    f = TextFeatures(n_features=2**12).fit(TEXTS)
    text = "Steun " + "x" * 2_000_000 + " munitie"
    assert same(f.transform([text]), reference(f, [text]))
    ptr = f._prepare([text])[1][1]
    assert np.diff(ptr).max() <= (f.char_range[1] - f.char_range[0] + 1) * (MAX_TOKEN_CHARS + 2)


@pytest.mark.parametrize("token, bare", [("oekraïne", "oekraine"), ("ﬁnanciële", "financiele"), ("coördinatie", "coordinatie"),
                                         ("één", "een"), ("ĳssel", "ijssel"), ("munitie", "munitie")])
def test_unaccented(token, bare):
    assert unaccented(token) == bare == strip_accents_unicode(token)


def test_crc32_equals_zlib():
    rng = random.Random(1)
    strings = [bytes(rng.randrange(256) for _ in range(rng.randrange(0, 30))) for _ in range(500)]
    strings += [bytes(rng.randrange(256) for _ in range(n)) for n in (511, 512, 513, 5000)]  # hashed one by one
    buf = np.frombuffer(b"".join(strings), np.uint8)
    stops = np.cumsum([len(s) for s in strings])
    for value in (0, 7, 0xFFFFFFFF):
        got = crc32(buf, stops - [len(s) for s in strings], stops, value)
        assert got.tolist() == [zlib.crc32(s, value) for s in strings]


def test_count_finds_distinct_pairs_with_their_weights():
    rng = np.random.default_rng(2)
    lengths = rng.integers(0, 50, 40)
    docs = np.repeat(np.arange(40), lengths)
    keys = rng.integers(0, 30, len(docs))
    weights = rng.integers(1, 4, len(docs)).astype(float)
    bounds = np.r_[0, np.cumsum(lengths)]
    d, k, w = count(docs, keys, bounds, 30, weights)
    expected: dict = {}
    for doc, key, weight in zip(docs.tolist(), keys.tolist(), weights.tolist(), strict=True):
        expected[(doc, key)] = expected.get((doc, key), 0) + weight
    assert dict(zip(zip(d.tolist(), k.tolist(), strict=True), w.tolist(), strict=True)) == expected
    assert np.all(np.diff(d) >= 0)  # grouped by document, documents in order
