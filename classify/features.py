"""Text features: hashed word n-grams and character n-grams with TF-IDF weighting.

Why not ``TfidfVectorizer``: its vocabulary is a large Python dict that would have to be stored
as JSON and rebuilt at load time, and its analysers run in Python per token and per character
(about 150 long records/s here). Here a batch of texts is tokenised in numpy
(:mod:`classify._tokens`), every distinct token is hashed once (cached) into the ids of its word
and char n-grams, and the n-grams of each document are counted with a few numpy passes
(:mod:`classify._ngrams`). Hashing is stable across processes (CRC-32 as ``zlib.crc32``
computes it, not Python's salted ``hash``), and the fitted state is one IDF array.
"""

from __future__ import annotations

import re

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from classify import _ngrams, _tokens
from classify.errors import DataError

_TOKEN = re.compile(r"\w+")  # what a token is; classify._tokens finds exactly these, vectorised
_BIGRAM_MULT = np.uint64(0x9E3779B1)
_CHUNK_TOKENS = 1 << 15  # tokens counted together (~150 long texts): arrays stay in the CPU caches, ~25 MB


def as_texts(X, *, what: str = "X") -> list[str]:
    """Coerce a sequence of texts (None counts as empty) to a list of str, or raise DataError."""
    if isinstance(X, str):
        raise DataError(f"{what} must be a sequence of texts, got a single string; wrap it in a list: [{X[:30]!r}].")
    texts = []
    for i, x in enumerate(X):
        if x is None:
            texts.append("")
        elif isinstance(x, str):
            texts.append(x)
        else:
            raise DataError(f"{what}[{i}] is {type(x).__name__} {x!r:.40}; expected a text (str) or None.")
    return texts


def _spans(bounds: np.ndarray):
    """Consecutive ranges of documents with about ``_CHUNK_TOKENS`` tokens (at least one document)."""
    a, n = 0, len(bounds) - 1
    while a < n:
        b = max(a + 1, int(np.searchsorted(bounds, bounds[a] + _CHUNK_TOKENS, side="right")) - 1)
        yield a, min(b, n)
        a = min(b, n)


class TextFeatures(TransformerMixin, BaseEstimator):
    """Hashed TF-IDF features of word n-grams and word-bounded character n-grams.

    Parameters
    ----------
    n_features : int
        Size of the hashed feature space (a power of two is customary).
    word_ngrams : int
        Longest word n-gram (1 = unigrams, 2 = unigrams and bigrams).
    char_range : tuple of int
        Smallest and largest character n-gram inside a space-padded word; ``(0, 0)`` disables.
    char_weight : float
        Weight of the (separately L2-normalised) char block relative to the word block.
    salt : int
        Namespace: features of different fields (question, answer) use different salts.

    Examples
    --------
    >>> f = TextFeatures(n_features=2**10).fit(["Steun aan Oekraïne", "Orders voor de industrie"])
    >>> f.transform(["Steun aan Oekraïne"]).shape
    (1, 1024)
    """

    def __init__(self, n_features=2**20, word_ngrams=2, char_range=(2, 5), char_weight=1.0, salt=0):
        self.n_features = n_features
        self.word_ngrams = word_ngrams
        self.char_range = char_range
        self.char_weight = char_weight
        self.salt = salt

    # -- hashing and counting ------------------------------------------------------------------
    def _prepare(self, texts, *per_slot):
        """Tokens of ``texts``, this featuriser's token hashes, and ``per_slot`` arrays by slot."""
        with _tokens.LOCK:
            tokens = _tokens.tokenize(texts)
            key = (self.n_features, self.salt, tuple(self.char_range), tokens.generation)
            cache = self.__dict__.get("_cache")
            if cache is None or cache.key != key:
                cache = self.__dict__["_cache"] = _ngrams.TokenHashes(key, self.n_features)
            strings = _tokens.VOCABULARY.strings
            while len(cache.word) < len(strings):  # in slices: the n-grams of 8,192 tokens at a time
                cache.extend(strings[len(cache.word) : len(cache.word) + 8192], self.n_features, self.salt, self.char_range)
            return tokens, (cache.word, cache.ptr, cache.slots, cache.columns), [cache.per_slot(v) for v in per_slot]

    def _chunks(self, texts, *per_slot):
        """Per chunk of documents: (first row, rows, word counts by column, char counts by slot).

        Counts are (rows, keys, counts) of distinct pairs, rows ascending; chars is None when
        char n-grams are off. Also returns the slot columns and the ``per_slot`` arrays.
        """
        tokens, hashes, arrays = self._prepare(texts, *per_slot)
        return (self._count_chunk(tokens, hashes, a, b) for a, b in _spans(tokens.bounds)), hashes[3], arrays

    def _count_chunk(self, tokens, hashes, a, b):
        word, ptr, slots, columns = hashes
        N, n = self.n_features, b - a
        counts = tokens.counts[a:b]
        ids = tokens.ids[tokens.bounds[a] : tokens.bounds[b]]
        doc = np.repeat(np.arange(n), counts)
        bounds = tokens.bounds[a : b + 1] - tokens.bounds[a]

        # word block: unigram hashes of every token, plus bigrams of neighbours in the same document
        wh = word[ids]
        if self.word_ngrams >= 2 and len(ids) > 1:
            cols = np.empty(2 * len(ids) - 1, np.int64)
            cols[0::2] = wh % np.uint64(N)
            cols[1::2] = (wh[:-1] * _BIGRAM_MULT + wh[1:] + np.uint64(1)) % np.uint64(N)
            keep = np.ones(len(cols), bool)
            keep[1::2] = doc[1:] == doc[:-1]
            wdoc, wcol = np.repeat(doc, 2)[:-1][keep], cols[keep]
            wbounds = np.r_[0, np.cumsum(np.maximum(2 * counts - 1, 0))]
        else:
            wdoc, wcol, wbounds = doc, (wh % np.uint64(N)).astype(np.int64), bounds
        words = _ngrams.count(wdoc, wcol, wbounds, N)

        # char block: n-grams of each distinct (document, token), weighted by the token's count
        chars = None
        if self.char_range[1] > 0:
            udoc, utok, ucount = _ngrams.count(doc, ids, bounds, len(word))
            lengths = ptr[utok + 1] - ptr[utok]
            ends = np.cumsum(lengths)
            at = np.arange(ends[-1] if len(ends) else 0) + np.repeat(ptr[utok] - ends + lengths, lengths)
            cdoc = np.repeat(udoc, lengths)
            cbounds = np.r_[0, np.cumsum(np.bincount(udoc, weights=lengths, minlength=n).astype(np.int64))]
            chars = _ngrams.count(cdoc, slots[at], cbounds, len(columns), weights=np.repeat(ucount, lengths))
        return a, n, words, chars

    def _blocks(self, counted, idf_by_slot):
        """Sublinear TF-IDF values and L2 norms of the word and char blocks of a counted chunk."""
        _, n, words, chars = counted
        out = []
        for block, weight, idf, by_slot in ((words, 1.0, self.idf_, False), (chars, self.char_weight, idf_by_slot, True)):
            if block is None or weight == 0 or not len(block[0]):
                continue
            rows, keys, counts = block
            values = (1.0 + np.log(counts.astype(np.float32))) * idf[keys]
            norms = np.sqrt(np.bincount(rows, weights=np.square(values, dtype=np.float64), minlength=n))
            out.append((rows, keys, values, norms, np.float32(weight), by_slot))
        return out

    # -- estimator API -------------------------------------------------------------------------
    def fit(self, X, y=None):
        """Learn the IDF of every hashed feature from the texts ``X``."""
        texts = as_texts(X)
        if not (isinstance(self.n_features, int) and self.n_features > 0):
            raise DataError(f"n_features must be a positive int, got {self.n_features!r}.")
        lo, hi = self.char_range
        if hi and not 1 <= lo <= hi:
            raise DataError(f"char_range must be (lo, hi) with 1 <= lo <= hi, or (0, 0); got {self.char_range!r}.")
        chunks, columns, _ = self._chunks(texts)
        seen = []  # columns of distinct (document, column) pairs, per block as before
        for _, _, words, chars in chunks:
            seen += [words[1]] + ([columns[chars[1]]] if chars is not None else [])
        df = np.bincount(np.concatenate(seen), minlength=self.n_features) if seen else np.zeros(self.n_features, np.int64)
        n = len(texts)
        self.idf_ = (np.log((1.0 + n) / (1.0 + df)) + 1.0).astype(np.float32)
        self.n_documents_ = n
        return self

    def transform(self, X):
        """Return the L2-normalised TF-IDF matrix (CSR, float32, canonical) of the texts ``X``.

        From the counts on, this is the reference computation (sorted columns, scikit-learn's
        ``normalize``): training sees bit-for-bit the features it always did.
        """
        import scipy.sparse as sp
        from sklearn.preprocessing import normalize

        check_is_fitted(self, "idf_")
        texts = as_texts(X)
        shape = (len(texts), self.n_features)
        chunks, columns, _ = self._chunks(texts)
        parts = ([], [])  # (rows, columns, counts) per block
        for a, _, words, chars in chunks:
            parts[0].append((words[0] + a, words[1], words[2]))
            if chars is not None:
                parts[1].append((chars[0] + a, columns[chars[1]], chars[2]))
        blocks = []
        for part, weight in zip(parts, (1.0, self.char_weight), strict=True):
            if not part or weight == 0:
                continue
            rows, cols, counts = (np.concatenate(p) for p in zip(*part, strict=True))
            m = sp.csr_matrix((counts.astype(np.float32), (rows, cols)), shape=shape, dtype=np.float32)
            m.sum_duplicates()  # no duplicates: sorts the columns of every row
            if m.nnz == 0:
                continue
            m.data = (1.0 + np.log(m.data)) * self.idf_[m.indices]
            blocks.append(normalize(m, copy=False) * np.float32(weight))
        if not blocks:
            return sp.csr_matrix(shape, dtype=np.float32)  # all-empty input: a zero matrix of the right shape
        out = blocks[0] if len(blocks) == 1 else blocks[0] + blocks[1]
        return out.astype(np.float32, copy=False).tocsr()

    def dot(self, X, weights: np.ndarray) -> np.ndarray:
        """``transform(X) @ weights`` as a dense float32 array, without building that matrix.

        This is how the classifiers score texts: the char n-gram block is multiplied in slot
        space (see :mod:`classify._ngrams`), and each block is normalised after the product.

        Examples
        --------
        >>> f = TextFeatures(n_features=2**10).fit(["Steun aan Oekraïne", "Orders voor de industrie"])
        >>> f.dot(["Steun aan Oekraïne"], np.ones((2**10, 3), np.float32)).shape
        (1, 3)
        """
        import scipy.sparse as sp

        check_is_fitted(self, "idf_")
        texts = as_texts(X)
        weights = np.asarray(weights, dtype=np.float32)
        out = np.zeros((len(texts), weights.shape[1]), np.float32)
        chunks, _, (idf_by_slot, weights_by_slot) = self._chunks(texts, self.idf_, weights)
        for counted in chunks:
            a, n = counted[0], counted[1]
            for rows, keys, values, norms, weight, by_slot in self._blocks(counted, idf_by_slot):
                w = weights_by_slot if by_slot else weights
                indptr = np.r_[0, np.cumsum(np.bincount(rows, minlength=n))]
                scale = np.divide(weight, norms, out=np.zeros(n), where=norms > 0).astype(np.float32)
                out[a : a + n] += (sp.csr_matrix((values, keys, indptr), shape=(n, len(w))) @ w) * scale[:, None]
        return out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.two_d_array = False
        return tags

    def __getstate__(self):
        # the token cache is a speed-up only; never ship it to worker processes
        state = self.__dict__.copy()
        state.pop("_cache", None)
        return state

    # -- persistence (arrays + JSON only, see classify.persist) --------------------------------
    def get_state(self) -> tuple[dict, dict]:
        """Fitted state as (JSON-able params, arrays): only buckets ever seen keep their IDF."""
        check_is_fitted(self, "idf_")
        default = np.float32(np.log(1.0 + self.n_documents_) + 1.0)
        seen = np.flatnonzero(self.idf_ != default).astype(np.int32)
        params = self.get_params()
        params["char_range"] = list(self.char_range)
        return ({"params": params, "n_documents": int(self.n_documents_)}, {"idf_index": seen, "idf_value": self.idf_[seen]})

    @classmethod
    def from_state(cls, meta: dict, arrays: dict) -> TextFeatures:
        params = dict(meta["params"])
        params["char_range"] = tuple(params["char_range"])
        self = cls(**params)
        self.n_documents_ = int(meta["n_documents"])
        idf = np.full(self.n_features, np.log(1.0 + self.n_documents_) + 1.0, dtype=np.float32)
        idf[arrays["idf_index"]] = arrays["idf_value"]
        self.idf_ = idf
        return self
