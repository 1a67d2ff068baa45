"""Text features: hashed word n-grams and character n-grams with TF-IDF weighting.

Why not ``TfidfVectorizer``: its vocabulary is a large Python dict that would have to be stored
as JSON and rebuilt at load time, and its analysers run in Python per token and per character
(about 150 long records/s here). Here a batch of texts is tokenised in numpy
(:mod:`classify._tokens`), every distinct token is hashed once (cached) into the ids of its word
and char n-grams, and the n-grams of each document are counted with a few numpy passes
(:mod:`classify._ngrams`). Hashing is stable across processes (CRC-32 as ``zlib.crc32``
computes it, not Python's salted ``hash``), and the fitted state is one IDF array. Scoring and
persistence live in :class:`classify.fitted.FittedFeatures`, which needs numpy only.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, clone

from classify import _compiled, _tokens
from classify.errors import DataError
from classify.fitted import FittedFeatures, _spans, as_texts, require_fitted


class TextFeatures(TransformerMixin, BaseEstimator, FittedFeatures):
    """Hashed TF-IDF features of word n-grams and word-bounded character n-grams.

    Parameters
    ----------
    n_features : int
        Size of the hashed feature space (a power of two is customary).
    word_ngrams : {1, 2}
        Longest word n-gram (1 = unigrams, 2 = unigrams and bigrams).
    char_range : tuple of int
        Smallest and largest character n-gram inside a space-padded word; ``(0, 0)`` disables.
    char_weight : float
        Weight of the (separately L2-normalised) char block relative to the word block.
    salt : int
        Namespace: features of different fields (question, answer) use different salts.
    strip_accents : bool
        Read words without their accents, as scikit-learn's ``strip_accents="unicode"``: "Oekraïne"
        and "Oekraine" are one word (sources that drop diacritics, such as the Belgian questions,
        read like the others). Models saved before this parameter existed keep False.
    label_idf : float
        Used only when ``fit`` is given labels ``y``: each n-gram's IDF is multiplied by
        ``1 + label_idf * c``, where ``c`` in [0, 1] is how concentrated the training documents
        that contain it are in one label (1 minus the normalised entropy of its per-label document
        rates; records with no label count as one more label). Words that mark a label then
        outweigh words every label uses; 0 (and ``fit`` without ``y``) keeps the plain IDF.
        Measured in ``benchmarks/PROBES.md``. Models saved before this parameter existed keep 0.

    Attributes
    ----------
    idf_ : ndarray of shape (n_features,)
        The (label-weighted) IDF of every hashed column.
    idf_labels_ : int
        How many labels weighted the IDF (records without a label counting as one): 0 for the plain IDF.

    Examples
    --------
    >>> f = TextFeatures(n_features=2**10).fit(["Steun aan Oekraïne", "Orders voor de industrie"])
    >>> f.transform(["Steun aan Oekraïne"]).shape
    (1, 1024)
    """

    # -- estimator API -------------------------------------------------------------------------
    def fit(self, X, y=None):
        """Learn the IDF of every hashed feature from the texts ``X``; with labels ``y`` (one label
        per text, or a 0/1 indicator matrix with a column per label), weighted by ``label_idf``."""
        texts = as_texts(X)
        self._check_params()
        self._fit_counts(self._counted(texts), len(texts), label_indicator(y, len(texts)))
        return self

    def fit_transform(self, X, y=None):
        """``fit(X, y).transform(X)``, counting the n-grams of ``X`` once."""
        texts = as_texts(X)
        self._check_params()
        counted = self._counted(texts)
        self._fit_counts(counted, len(texts), label_indicator(y, len(texts)))
        return self._weighted(counted, len(texts))

    def _fit_counts(self, counted, n: int, Y=None) -> None:
        words, chars = counted
        blocks = [b for b in (words, chars) if b is not None]
        df = np.bincount(np.concatenate([b.indices for b in blocks]), minlength=self.n_features)  # a (document, column) pair per block
        idf = np.log((1.0 + n) / (1.0 + df)) + 1.0
        self.idf_labels_ = 0
        if Y is not None and self.label_idf > 0:
            concentration, self.idf_labels_ = label_concentration(blocks, Y, self.n_features)
            idf *= 1.0 + self.label_idf * concentration
        self.idf_ = idf.astype(np.float32)
        self.n_documents_ = n

    def cross_fitted(self, X, y, folds):
        """Per ``(fit_rows, rows)`` of ``folds``: the features of the texts ``X[fit_rows]`` and
        ``X[rows]`` from a copy fitted (IDF, label weights from ``y``) on ``fit_rows`` only. The
        n-grams are counted once for all folds."""
        texts = as_texts(X)
        self._check_params()
        counted = self._counted(texts)
        Y = label_indicator(y, len(texts))
        for fit_rows, rows in folds:
            f = clone(self)
            f._fit_counts([None if m is None else m[fit_rows] for m in counted], len(fit_rows), None if Y is None else Y[fit_rows])
            yield tuple(f._weighted([None if m is None else m[r] for m in counted], len(r)) for r in (fit_rows, rows))  # row slices are copies

    def transform(self, X):
        """Return the L2-normalised TF-IDF matrix (CSR, float32, canonical) of the texts ``X``.

        From the counts on, this is the reference computation (sorted columns, scikit-learn's
        ``normalize``): training sees bit-for-bit the features it always did.
        """
        require_fitted(self, "idf_")
        texts = as_texts(X)
        return self._weighted(self._counted(texts), len(texts))

    def _counted(self, texts):
        """(word counts, char counts or None): canonical CSR float32 count matrices of ``texts``.

        With numba (:mod:`classify._compiled`) one compiled loop per chunk of texts counts and
        sorts; without it, the numpy counting of :mod:`classify._ngrams`. Same matrices.
        """
        import scipy.sparse as sp

        shape, chars_on = (len(texts), self.n_features), self.char_range[1] > 0
        count = _compiled.kernel("count_rows") if self.n_features < 2**31 else None
        if count is not None:
            with _tokens.LOCK:
                tokens, (word, ptr, slots, columns), _ = self._prepare(texts)
            parts = [count(tokens.ids, tokens.bounds[a : b + 1], word, ptr, slots, columns, self.n_features,
                           self.word_ngrams >= 2, chars_on) for a, b in _spans(tokens.bounds)]
            blocks = []
            for k in (0, 3):
                per_row, cols, vals = ([p[k + i] for p in parts] for i in range(3))
                indptr = np.r_[0, np.cumsum(np.concatenate(per_row))] if parts else np.zeros(1, np.int64)
                cols = np.concatenate(cols) if parts else np.zeros(0, np.int64)
                vals = np.concatenate(vals) if parts else np.zeros(0, np.float32)
                blocks.append(sp.csr_matrix((vals, cols, indptr), shape=shape, dtype=np.float32))
            return blocks[0], (blocks[1] if chars_on else None)
        chunks, columns, _ = self._chunks(texts)
        parts = ([], [])  # (rows, columns, counts) per block
        for a, _, words, chars in chunks:
            parts[0].append((words[0] + a, words[1], words[2]))
            if chars is not None:
                parts[1].append((chars[0] + a, columns[chars[1]], chars[2]))
        out = []
        for part in parts:
            rows, cols, counts = (np.concatenate(p) for p in zip(*part, strict=True)) if part else (np.zeros(0, np.int64),) * 3
            m = sp.csr_matrix((counts.astype(np.float32), (rows, cols)), shape=shape, dtype=np.float32)
            m.sum_duplicates()  # no duplicates: sorts the columns of every row
            out.append(m)
        return out[0], (out[1] if chars_on else None)

    def _weighted(self, counted, n: int):
        """The L2-normalised TF-IDF matrix of the count matrices ``counted`` (the reference computation;
        their data are replaced)."""
        import scipy.sparse as sp
        from sklearn.preprocessing import normalize

        blocks = []
        for m, weight in zip(counted, (1.0, self.char_weight), strict=True):
            if m is None or weight == 0 or m.nnz == 0:
                continue
            m.data = (1.0 + np.log(m.data)) * self.idf_[m.indices]
            blocks.append(normalize(m, copy=False) * np.float32(weight))
        if not blocks:
            return sp.csr_matrix((n, self.n_features), dtype=np.float32)  # all-empty input: a zero matrix of the right shape
        out = blocks[0] if len(blocks) == 1 else blocks[0] + blocks[1]
        return out.astype(np.float32, copy=False).tocsr()

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.two_d_array = False
        return tags


SMOOTHING = 1.0  # pseudo-documents per label spread evenly over the labels: an n-gram seen once is not yet "one label's"
_CHUNK_COLUMNS = 1 << 16  # columns whose per-label counts are dense at once (8 bytes x labels each)


def label_indicator(y, n: int):
    """``y`` as a 0/1 indicator matrix (n, labels): ``None`` stays None; one label per text becomes one column per distinct label."""
    if y is None:
        return None
    Y = np.asarray(y)
    if Y.ndim == 1 and len(Y) == n:
        _, codes = np.unique(Y.astype(str) if Y.dtype == object else Y, return_inverse=True)
        return np.eye(int(codes.max()) + 1 if n else 0, dtype=np.int8)[codes]
    if Y.ndim == 2 and len(Y) == n and np.isin(Y, (0, 1)).all():
        return Y.astype(np.int8)
    raise DataError(f"y must hold one label per text or be a 0/1 indicator matrix with a row per text; got shape {Y.shape} for "
                    f"{n} texts. Pass the labels the texts were annotated with, or no y for the plain IDF.")


def label_concentration(blocks, Y, n_features: int) -> tuple[np.ndarray, int]:
    """Per hashed column: how concentrated the documents containing it are in one label, in [0, 1]
    (and how many labels that was measured over: 0 where fewer than two are present, all columns 0).

    ``blocks`` are count matrices (documents x columns) of one hashed space, ``Y`` the documents'
    0/1 label indicator. For each column, the share of each label's documents that contain it
    (smoothed by ``SMOOTHING``) is normalised over the labels; the result is 1 minus that
    distribution's entropy over log(labels): 0 for a column every label uses alike, 1 for one
    only a single label uses. Records without any label count as one more label; labels without
    any record are left out. Columns no document contains get 0.
    """
    import scipy.sparse as sp

    Y = np.asarray(Y, dtype=np.float64)
    unlabelled = Y.sum(axis=1) == 0
    Y = np.column_stack([Y, unlabelled]) if unlabelled.any() else Y
    Y = Y[:, Y.sum(axis=0) > 0]
    out = np.zeros(n_features)
    k = Y.shape[1]
    if k < 2:
        return out, 0
    present = sum(sp.csr_matrix((np.ones_like(b.data, dtype=np.float64), b.indices, b.indptr), shape=b.shape) for b in blocks)
    by_label = (sp.csr_matrix(Y.T) @ present).tocsc()  # labels x columns: documents of each label containing the column
    columns = np.flatnonzero(np.diff(by_label.indptr))
    sizes = Y.sum(axis=0)[:, None] + SMOOTHING
    for start in range(0, len(columns), _CHUNK_COLUMNS):
        chunk = columns[start : start + _CHUNK_COLUMNS]
        rate = (by_label[:, chunk].toarray() + SMOOTHING / k) / sizes
        p = rate / rate.sum(axis=0)
        out[chunk] = 1.0 + (p * np.log(p)).sum(axis=0) / np.log(k)
    return np.clip(out, 0.0, 1.0), k


def explicit_featurisers(params: dict, defaults: dict) -> dict:
    """``set_params`` arguments with each default (``None``) featuriser made explicit where a nested
    key sets one of its parameters, so ``features__char_range=(2, 4)`` works on a fresh head.

    ``defaults`` maps a featuriser parameter to its current value and a function that builds what
    ``None`` stands for. scikit-learn sets plain keys before nested ones, so the explicit
    featuriser is in place when its parameter is set.
    """
    made = {name: build() for name, (value, build) in defaults.items()
            if value is None and name not in params and any(key.startswith(f"{name}__") for key in params)}
    return {**made, **params}
