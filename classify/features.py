"""Text features: hashed word n-grams and character n-grams with TF-IDF weighting.

Why not ``TfidfVectorizer``: its vocabulary is a large Python dict that would have to be stored
as JSON and rebuilt at load time, and its char n-gram analyser runs per character in Python.
Here every distinct token is hashed once (cached) into the ids of the word and the char n-grams
it contributes, so a document costs a regex pass, a dict lookup per token and a few numpy
operations. Hashing is stable across processes (``zlib.crc32``, not Python's salted ``hash``),
and the fitted state is one IDF array: nothing to unpickle.
"""

from __future__ import annotations

import re
import zlib
import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from classify.errors import DataError

_TOKEN = re.compile(r"\w+")
_BIGRAM_MULT = np.uint64(0x9E3779B1)
_MAX_CACHE = 300_000  # distinct tokens kept; bounded so streaming huge archives keeps memory flat


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

    def __init__(self, n_features=2**20, word_ngrams=2, char_range=(3, 5), char_weight=1.0, salt=0):
        self.n_features = n_features
        self.word_ngrams = word_ngrams
        self.char_range = char_range
        self.char_weight = char_weight
        self.salt = salt

    # -- hashing -------------------------------------------------------------------------------
    def _vocab(self):
        """Token cache: token -> id, word hash per id, char n-gram ids per id (flat + offsets)."""
        v = self.__dict__.get("_cache")
        key = (self.n_features, self.salt, tuple(self.char_range))  # set_params must not reuse stale hashes
        if v is None or v["key"] != key or len(v["ids"]) > _MAX_CACHE:
            v = {"key": key, "ids": {}, "word": np.zeros(0, np.uint64), "ptr": np.zeros(1, np.int64), "grams": np.zeros(0, np.int64)}
            self.__dict__["_cache"] = v
        return v

    def _hash_new(self, tokens, vocab):
        """Extend the cache with tokens not seen before."""
        lo, hi = self.char_range
        wsalt, csalt = self.salt & 0xFFFFFFFF, ~self.salt & 0xFFFFFFFF
        words, lens, grams = [], [], []
        for token in tokens:
            words.append(zlib.crc32(token.encode("utf-8", "surrogatepass"), wsalt))
            padded = f" {token} " if hi > 0 else ""
            g = [
                zlib.crc32(padded[i : i + n].encode("utf-8", "surrogatepass"), csalt)
                for n in range(lo, hi + 1)
                for i in range(len(padded) - n + 1)
            ] if hi > 0 else []
            lens.append(len(g))
            grams.extend(g)
        vocab["word"] = np.concatenate([vocab["word"], np.asarray(words, np.uint64)])
        vocab["ptr"] = np.concatenate([vocab["ptr"], vocab["ptr"][-1] + np.cumsum(lens, dtype=np.int64)])
        vocab["grams"] = np.concatenate([vocab["grams"], np.asarray(grams, np.int64) % self.n_features])

    def _counts(self, texts):
        """Raw count matrices (word block, char block) as CSR, built for the whole batch at once."""
        import scipy.sparse as sp

        n, N = len(texts), self.n_features
        vocab = self._vocab()
        ids = vocab["ids"]
        doc_tokens = [_TOKEN.findall(t.lower()) for t in texts]
        new = {t: None for tokens in doc_tokens for t in tokens if t not in ids}
        if new:
            for t in new:
                ids[t] = len(ids)
            self._hash_new(list(new), vocab)
        lengths = np.fromiter(map(len, doc_tokens), dtype=np.int64, count=n)
        tid = np.fromiter((ids[t] for tokens in doc_tokens for t in tokens), dtype=np.int64, count=int(lengths.sum()))
        rows = np.repeat(np.arange(n, dtype=np.int64), lengths)

        # word block: unigram hashes, plus bigrams of neighbours within the same document
        wh = vocab["word"][tid]
        cols, wrows = [wh], [rows]
        if self.word_ngrams >= 2 and len(tid) > 1:
            same = rows[1:] == rows[:-1]
            cols.append((wh[:-1] * _BIGRAM_MULT + wh[1:] + np.uint64(1))[same])
            wrows.append(rows[1:][same])
        wcols = (np.concatenate(cols) % np.uint64(N)).astype(np.int64)
        words = sp.csr_matrix(
            (np.ones(len(wcols), np.float32), (np.concatenate(wrows), wcols)), shape=(n, N), dtype=np.float32
        )
        words.sum_duplicates()

        # char block: n-grams of each distinct (document, token), weighted by the token's count
        if self.char_range[1] > 0 and len(tid):
            key, counts = np.unique(rows * len(ids) + tid, return_counts=True)
            urow, utid = np.divmod(key, len(ids))
            start, stop = vocab["ptr"][utid], vocab["ptr"][utid + 1]
            lens = stop - start
            offsets = np.repeat(start - np.cumsum(lens) + lens, lens) + np.arange(int(lens.sum()))
            chars = sp.csr_matrix(
                (np.repeat(counts, lens).astype(np.float32), (np.repeat(urow, lens), vocab["grams"][offsets])),
                shape=(n, N),
                dtype=np.float32,
            )
            chars.sum_duplicates()
        else:
            chars = sp.csr_matrix((n, N), dtype=np.float32)
        return words, chars

    # -- estimator API -------------------------------------------------------------------------
    def fit(self, X, y=None):
        """Learn the IDF of every hashed feature from the texts ``X``."""
        texts = as_texts(X)
        if not (isinstance(self.n_features, int) and self.n_features > 0):
            raise DataError(f"n_features must be a positive int, got {self.n_features!r}.")
        lo, hi = self.char_range
        if hi and not 1 <= lo <= hi:
            raise DataError(f"char_range must be (lo, hi) with 1 <= lo <= hi, or (0, 0); got {self.char_range!r}.")
        words, chars = self._counts(texts)
        df = np.bincount(words.indices, minlength=self.n_features) + np.bincount(chars.indices, minlength=self.n_features)
        n = len(texts)
        self.idf_ = (np.log((1.0 + n) / (1.0 + df)) + 1.0).astype(np.float32)
        self.n_documents_ = n
        return self

    def transform(self, X):
        """Return the L2-normalised TF-IDF matrix (CSR, float32) of the texts ``X``."""
        from sklearn.preprocessing import normalize

        check_is_fitted(self, "idf_")
        words, chars = self._counts(as_texts(X))
        blocks = []
        for m, weight in ((words, 1.0), (chars, self.char_weight)):
            if m.nnz == 0 or weight == 0:
                continue
            m.data = (1.0 + np.log(m.data)) * self.idf_[m.indices]
            blocks.append(normalize(m, copy=False) * np.float32(weight))
        if not blocks:
            return words  # all-empty input: a zero matrix of the right shape
        out = blocks[0] if len(blocks) == 1 else blocks[0] + blocks[1]
        return out.astype(np.float32, copy=False).tocsr()

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
