"""The fitted halves of the estimators: everything a trained model predicts with, in numpy only.

:class:`~classify.features.TextFeatures`, :class:`~classify.topics.TopicClassifier` and
:class:`~classify.stance.StanceClassifier` are scikit-learn estimators: they add ``fit`` (and
the estimator API) to the classes here, which hold the fitted state and do all the scoring:
hashing and counting n-grams, linear scores, calibrated probabilities, decisions, and the
(JSON, arrays) state a model directory stores. :func:`classify.load` builds these classes
directly, so loading a model and labelling with it never import scikit-learn or SciPy (about
2 s of a fresh process's start); :attr:`classify.Model.topics` and ``.stance`` become the full
estimators on first use.
"""

from __future__ import annotations

import numbers
import re
import unicodedata

import numpy as np

from classify import _compiled, _ngrams, _tokens, linear
from classify.errors import DataError, check_number
from classify.record import is_missing

_TOKEN = re.compile(r"\w+")  # what a token is; classify._tokens finds exactly these, vectorised
_BIGRAM_MULT = np.uint64(0x9E3779B1)
_CHUNK_TOKENS = 1 << 15  # tokens counted together (~150 long texts): arrays stay in the CPU caches, ~25 MB


# Invisible format characters: soft hyphen, zero-width space and (non-)joiners, direction marks and
# embeddings, word joiner, byte-order mark. Inside a word they split its n-grams (U+00AD in
# "schaduw\u00advloot": shadow_fleet 0.82 -> 0.04) although the text looks the same.
_INVISIBLE = re.compile("[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")


def canonical(text: str) -> str:
    """``text`` as the model reads it: Unicode NFC (an 'ï' typed as 'i' + diaeresis is one letter)
    without invisible format characters, so that texts that look the same score the same."""
    if text.isascii():
        return text
    text = unicodedata.normalize("NFC", text)
    return _INVISIBLE.sub("", text) if _INVISIBLE.search(text) else text


def as_texts(X, *, what: str = "X") -> list[str]:
    """Coerce a sequence of texts to a list of :func:`canonical` str, or raise DataError.

    A missing value counts as empty text: None, and a pandas column's NaN or ``pandas.NA`` (an
    unanswered question's answer, read from a table).
    """
    if isinstance(X, str):
        raise DataError(f"{what} must be a sequence of texts, got a single string; wrap it in a list: [{X[:30]!r}].")
    if hasattr(X, "columns"):  # a DataFrame: iterating it gives its column names, not its rows
        columns = [str(c) for c in X.columns]
        raise DataError(f"{what} is a table (columns {', '.join(columns[:4])}{', ...' * (len(columns) > 4)}); pass its columns of "
                        f"texts, e.g. model.predict(df[{_named(columns, 'question')!r}], df[{_named(columns, 'answer')!r}]).")
    if getattr(X, "ndim", 1) != 1:
        raise DataError(f"{what} is a {X.ndim}-dimensional array; pass a sequence of texts (one dimension).")
    if isinstance(X, (dict, set, frozenset)) or not hasattr(X, "__iter__"):  # a dict gives its keys, a set no order
        raise DataError(f"{what} is {type(X).__name__} {X!r:.40}; pass a list (or other sequence) of texts"
                        + (", e.g. model.predict([record['question']])." if isinstance(X, dict) else "."))
    texts = []
    for i, x in enumerate(X):
        if isinstance(x, str):  # first: almost every value is one
            texts.append(canonical(x))
        elif is_missing(x):
            texts.append("")
        elif isinstance(x, dict):
            raise DataError(f"{what}[{i}] is a dict (keys {sorted(x)[:4]}); pass the texts themselves, e.g. "
                            "model.predict([r['question'] for r in records], [r.get('answer') for r in records]).")
        else:
            raise DataError(f"{what}[{i}] is {type(x).__name__} {x!r:.40}; expected a text (str) or None.")
    return texts


def _named(columns: list[str], field: str) -> str:
    """The column of a table most likely to hold ``field`` (for a message)."""
    return next((c for c in columns if c.lower() in (field, {"question": "vraag", "answer": "antwoord"}[field])), field)


def as_pairs(X) -> tuple[list[str], list[str]]:
    """Split ``X`` (sequence of (question, answer) pairs, or an (n, 2) array) into two text lists."""
    if isinstance(X, str):
        raise DataError("X must be a sequence of (question, answer) pairs, got a single string.")
    if hasattr(X, "columns"):  # a two-column DataFrame, as scikit-learn takes a 2-D X: its rows
        X = X.to_numpy(dtype=object)
    questions, answers = [], []
    for i, pair in enumerate(X):
        if isinstance(pair, str) or len(pair) != 2:
            raise DataError(f"X[{i}] is {pair!r:.60}; expected a (question, answer) pair.")
        questions.append(pair[0])
        answers.append(pair[1])
    return as_texts(questions, what="question"), as_texts(answers, what="answer")


def require_fitted(obj, attribute: str) -> None:
    """Raise scikit-learn's ``NotFittedError`` unless ``obj`` has ``attribute`` (imported only then)."""
    if not hasattr(obj, attribute):
        from sklearn.exceptions import NotFittedError

        raise NotFittedError(f"This {type(obj).__name__} instance is not fitted yet. Call 'fit' with appropriate arguments first.")


def _spans(bounds: np.ndarray):
    """Consecutive ranges of documents with about ``_CHUNK_TOKENS`` tokens (at least one document)."""
    a, n = 0, len(bounds) - 1
    while a < n:
        b = max(a + 1, int(np.searchsorted(bounds, bounds[a] + _CHUNK_TOKENS, side="right")) - 1)
        yield a, min(b, n)
        a = min(b, n)


def _part(arrays: dict, prefix: str) -> dict:
    return {k[len(prefix) + 1 :]: v for k, v in arrays.items() if k.startswith(prefix + ".")}


def _row_products(rows: np.ndarray, keys: np.ndarray, values: np.ndarray, weights: np.ndarray, n: int) -> np.ndarray:
    """The sparse (n, len(weights)) matrix given by ``rows`` (ascending), ``keys``, ``values`` times ``weights``."""
    out = np.zeros((n, weights.shape[1]), np.float32)
    if len(rows):
        per_row = np.bincount(rows, minlength=n)
        filled = np.flatnonzero(per_row)
        terms = np.take(weights, keys, axis=0)  # np.take: ~3x faster than weights[keys] on rows
        terms *= values[:, None]
        out[filled] = np.add.reduceat(terms, (np.cumsum(per_row) - per_row)[filled], axis=0)
    return out


MAX_FEATURES = 2**24  # hashed feature columns: a label's dense weights while training are 8 bytes each


class FittedFeatures:
    """Hashed TF-IDF features of word n-grams and word-bounded character n-grams (fitted part).

    Parameters are those of :class:`classify.features.TextFeatures`; ``idf_`` is the fitted state.
    """

    strip_accents = False  # what an object pickled before the parameter existed did (read words with their accents)
    label_idf = 0.0  # likewise: its IDF never saw labels

    def __init__(self, n_features=2**20, word_ngrams=2, char_range=(2, 5), char_weight=1.0, salt=0, strip_accents=True,
                 label_idf=10.0):
        self.n_features = n_features
        self.word_ngrams = word_ngrams
        self.char_range = char_range
        self.char_weight = char_weight
        self.salt = salt
        self.strip_accents = strip_accents
        self.label_idf = label_idf

    def _check_params(self) -> None:
        """Raise DataError for parameters no featuriser can have (at fit, and at load: a manifest edited by hand)."""
        if not _whole(self.n_features) or not 0 < self.n_features <= MAX_FEATURES:
            raise DataError(f"n_features must be a whole number from 1 to {MAX_FEATURES} (2**24; default 2**20), got "
                            f"{self.n_features!r}: each label keeps a weight per feature while training.")
        if self.word_ngrams not in (1, 2) or isinstance(self.word_ngrams, bool):
            raise DataError(f"word_ngrams must be 1 (words) or 2 (words and word pairs), got {self.word_ngrams!r}; "
                            "longer word n-grams are not implemented (the char n-grams span word parts instead).")
        check_number("char_weight", self.char_weight, meaning="0 switches the char block off")
        bounds = tuple(self.char_range) if isinstance(self.char_range, (tuple, list)) else ()
        whole = len(bounds) == 2 and all(_whole(b) for b in bounds)
        if not whole or (bounds[1] and not 1 <= bounds[0] <= bounds[1]) or (not bounds[1] and bounds[0]):
            raise DataError(f"char_range must be (lo, hi) with 1 <= lo <= hi, or (0, 0); got {self.char_range!r}.")
        if not _whole(self.salt):
            raise DataError(f"salt must be a whole number (it seeds the feature hashing), got {self.salt!r}.")
        if not isinstance(self.strip_accents, (bool, np.bool_)):
            raise DataError(f"strip_accents must be True (words are read without their accents: 'Oekraïne' and 'Oekraine' "
                            f"are one word) or False, got {self.strip_accents!r}.")
        check_number("label_idf", self.label_idf, meaning="how much an n-gram concentrated in one label outweighs one spread over all; "
                     "0 keeps the plain IDF")

    # -- hashing and counting ------------------------------------------------------------------
    def _prepare(self, texts, *per_slot):
        """Tokens of ``texts``, this featuriser's token hashes, and ``per_slot`` arrays by slot."""
        with _tokens.LOCK:
            tokens = _tokens.tokenize(texts)
            fold = bool(self.strip_accents)
            key = (self.n_features, self.salt, tuple(self.char_range), fold, tokens.generation)
            cache = self.__dict__.get("_cache")
            if cache is None or cache.key != key:
                cache = self.__dict__["_cache"] = _ngrams.TokenHashes(key, self.n_features)
            strings = _tokens.VOCABULARY.strings
            while len(cache.word) < len(strings):  # in slices: the n-grams of 8,192 tokens at a time
                cache.extend(strings[len(cache.word) : len(cache.word) + 8192], self.n_features, self.salt, self.char_range, fold)
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

    def dot(self, X, weights: np.ndarray) -> np.ndarray:
        """``transform(X) @ weights`` as a dense float32 array, without building that matrix.

        This is how the classifiers score texts: the char n-gram block is multiplied in slot
        space (see :mod:`classify._ngrams`), and each block is normalised after the product.

        Examples
        --------
        >>> from classify.features import TextFeatures
        >>> f = TextFeatures(n_features=2**10).fit(["Steun aan Oekraïne", "Orders voor de industrie"])
        >>> f.dot(["Steun aan Oekraïne"], np.ones((2**10, 3), np.float32)).shape
        (1, 3)
        """
        require_fitted(self, "idf_")
        texts = as_texts(X)
        weights = np.asarray(weights, dtype=np.float32)
        out = np.zeros((len(texts), weights.shape[1]), np.float32)
        score = _compiled.kernel("score")
        if score is not None:  # numba installed: one compiled pass per text, same scores
            with _tokens.LOCK:
                tokens, (_, ptr, slots, _), _ = self._prepare(texts)
                cache, bigrams = self._cache, self.word_ngrams >= 2
                pairs = cache.pair_slots(_compiled.kernel("pair_slots"), tokens.ids, tokens.bounds, self.n_features) if bigrams else tokens.ids[:0]
                table = cache.slot_table(self.idf_, weights)  # after pair_slots: covers the new bigram slots
            char_weight = float(self.char_weight) if self.char_range[1] > 0 else 0.0
            score(tokens.ids, tokens.bounds, cache.unigram, pairs, bigrams, ptr, slots, table, char_weight, out)
            return out
        chunks, _, (idf_by_slot, weights_by_slot) = self._chunks(texts, self.idf_, weights)
        for counted in chunks:
            a, n = counted[0], counted[1]
            for rows, keys, values, norms, weight, by_slot in self._blocks(counted, idf_by_slot):
                w = weights_by_slot if by_slot else weights
                scale = np.divide(weight, norms, out=np.zeros(n), where=norms > 0).astype(np.float32)
                out[a : a + n] += _row_products(rows, keys, values, w, n) * scale[:, None]
        return out

    def __getstate__(self):
        # the token cache is a speed-up only; never ship it to worker processes
        state = self.__dict__.copy()
        state.pop("_cache", None)
        return state

    # -- persistence (arrays + JSON only, see classify.persist) --------------------------------
    def params(self) -> dict:
        """The constructor parameters: ``type(self)(**f.params())`` is an unfitted copy."""
        return {"n_features": self.n_features, "word_ngrams": self.word_ngrams, "char_range": tuple(self.char_range),
                "char_weight": self.char_weight, "salt": self.salt, "strip_accents": self.strip_accents, "label_idf": self.label_idf}

    def get_state(self) -> tuple[dict, dict]:
        """Fitted state as (JSON-able params, arrays): only buckets ever seen keep their IDF."""
        require_fitted(self, "idf_")
        default = np.float32(np.log(1.0 + self.n_documents_) + 1.0)
        seen = np.flatnonzero(self.idf_ != default).astype(np.int32)
        params = {**self.params(), "char_range": list(self.char_range), "strip_accents": bool(self.strip_accents),
                  "label_idf": float(self.label_idf)}
        meta = {"params": params, "n_documents": int(self.n_documents_), "idf_labels": int(getattr(self, "idf_labels_", 0))}
        return meta, {"idf_index": seen, "idf_value": self.idf_[seen]}

    @classmethod
    def from_state(cls, meta: dict, arrays: dict):
        params = dict(meta["params"])
        for key, since in (("strip_accents", 2), ("label_idf", 3)):  # persist.load gives older formats their old values
            if key not in params:
                raise DataError(f"the featuriser's params lack {key}, which format {since} records; restore the manifest as it "
                                "was saved, or retrain the model.")
        params["char_range"] = tuple(params["char_range"])
        self = cls(**params)
        self._check_params()  # a manifest edited by hand: wrong features, or a crash at the first text
        n = meta["n_documents"]
        if not _whole(n) or n < 0:
            raise DataError(f"n_documents must be a whole number >= 0, got {n!r}.")
        self.n_documents_ = n
        labels = meta.get("idf_labels")
        if not _whole(labels) or labels < 0:  # format 3 records it (persist.load gives older formats 0)
            raise DataError(f"idf_labels must be a whole number >= 0 (how many labels weighted the IDF), got {labels!r}; restore "
                            "the manifest as it was saved, or retrain the model.")
        self.idf_labels_ = labels
        idf = np.full(self.n_features, np.log(1.0 + self.n_documents_) + 1.0, dtype=np.float32)
        idf[linear.rows_within(arrays["idf_index"], self.n_features, "idf_index")] = arrays["idf_value"]
        self.idf_ = idf
        return self


def same_features(a, b) -> bool:
    """Whether two fitted featurisers give the same features (same parameters, salt and IDF)."""
    return a is b or (a.params() == b.params() and a.n_documents_ == b.n_documents_ and np.array_equal(a.idf_, b.idf_))


class FittedTopics:
    """The topic head's fitted part: calibrated per-label scores and label decisions.

    Parameters and attributes are those of :class:`classify.topics.TopicClassifier`.
    """

    _features = FittedFeatures  # what a stored featuriser is rebuilt as (the estimator: TextFeatures)

    def __init__(self, labels=None, features=None, C=0.5, class_weight="balanced", cv=5, random_state=0,
                 label_texts=None, prior_weight=1.0, loss="auto", alpha=0.3):
        self.labels = labels
        self.features = features
        self.label_texts = label_texts
        self.prior_weight = prior_weight
        self.C = C
        self.loss = loss
        self.alpha = alpha
        self.class_weight = class_weight
        self.cv = cv
        self.random_state = random_state

    def _check_params(self) -> None:
        """Raise DataError for parameters no topic head can have: at fit, and at load (a manifest edited by hand)."""
        if self.loss not in linear.TOPIC_LOSSES:
            raise DataError(f"loss must be one of {', '.join(linear.TOPIC_LOSSES)}; got {self.loss!r}.")
        if self.loss in ("auto", "ridge"):
            check_number("alpha", self.alpha, strict=True, meaning="the ridge penalty; default 0.3")
        linear.check_liblinear(self.C, self.class_weight, default_C=0.5)
        check_number("prior_weight", self.prior_weight, meaning="sample weight of each label description; 0 ignores them")
        if not _whole(self.cv) or self.cv < 0:
            raise DataError(f"cv must be an int >= 0 (folds for calibration; below 2 the labels stay uncalibrated); got {self.cv!r}.")

    def decision_function(self, X, dot=None):
        """Raw linear scores, shape (n_samples, n_labels).

        ``dot``: ``features_.dot(X, weights_)`` when the caller has computed it already (a model
        whose stance head reads the question with this featuriser scores both heads in one pass).
        """
        require_fitted(self, "weights_")
        # features_.dot(X, W) == features_.transform(X) @ W up to float32 rounding, without building X
        if dot is None:
            dot = self.features_.dot(as_texts(X), self.weights_)
        return dot.astype(np.float64) + self.intercept_

    def predict_proba(self, X, dot=None):
        """Calibrated marginal probability of every label, shape (n_samples, n_labels)."""
        s = self.decision_function(X, dot)
        return linear.sigmoid(s * self.platt_[:, 0] + self.platt_[:, 1])

    def predict(self, X):
        """0/1 indicator matrix: probability at or above each label's threshold (see :meth:`decide`)."""
        return self.decide(self.predict_proba(X))

    def decide(self, proba) -> np.ndarray:
        """Turn probabilities into labels: each label at or above its threshold, then the label-count
        bounds learned in training (``min_labels_``, ``max_labels_``) applied by margin over the
        thresholds (:func:`weighted_margin`, with ``threshold_weight_``)."""
        require_fitted(self, "thresholds_")
        proba = np.asarray(proba, dtype=np.float64).reshape(-1, len(self.thresholds_))
        chosen = (proba >= self.thresholds_).astype(np.int8)
        if len(proba) and (self.min_labels_ > 0 or self.max_labels_ < proba.shape[1]):
            margin = weighted_margin(proba, self.platt_, self.thresholds_, self.threshold_weight_)
            best = np.argmax(margin, axis=1)
            rows = np.arange(len(proba))
            if self.max_labels_ == 1:
                chosen[:] = 0
                chosen[rows, best] = (margin[rows, best] >= 0) | (self.min_labels_ > 0)
            elif self.min_labels_ > 0:
                chosen[rows[chosen.sum(axis=1) == 0], best[chosen.sum(axis=1) == 0]] = 1
        return chosen

    def get_state(self) -> tuple[dict, dict]:
        require_fitted(self, "weights_")
        fmeta, farrays = self.features_.get_state()
        meta = {
            "labels": self.classes_.tolist(),
            "params": {"C": self.C, "class_weight": self.class_weight, "cv": self.cv, "random_state": self.random_state,
                       "prior_weight": self.prior_weight, "loss": self.loss, "alpha": self.alpha},
            "features": fmeta,
            "label_status": list(self.label_status_),
            "label_loss": list(self.label_loss_),
            "label_count_bounds": [self.min_labels_, self.max_labels_],
            "label_texts": list(self.label_texts) if self.label_texts is not None else None,  # outside params: older readers ignore it
        }
        if self.threshold_weight_ is not None:  # only models that have one: other manifests stay as they were
            meta["threshold_weight"] = self.threshold_weight_
        arrays = {f"features.{k}": v for k, v in farrays.items()}
        arrays.update(linear.export_weights(self.weights_))
        arrays.update({"intercept": self.intercept_, "platt": self.platt_, "thresholds": self.thresholds_})
        return meta, arrays

    @classmethod
    def from_state(cls, meta: dict, arrays: dict):
        features = cls._features.from_state(meta["features"], _part(arrays, "features"))
        # models saved before ``loss`` existed used logistic regression: not today's default
        self = cls(labels=list(meta["labels"]), features=cls._features(**features.params()), label_texts=meta.get("label_texts"),
                   **{"loss": "log", **meta["params"]})
        self.features_ = features
        self.classes_ = np.asarray(meta["labels"])
        self.label_status_ = list(meta["label_status"])
        self.label_loss_ = list(meta.get("label_loss", [self.loss] * len(meta["labels"])))  # older: one loss for all
        k = len(self.classes_)
        _some_labels(k)
        self._check_params()  # a manifest edited by hand: each of these would fail only at a later refit
        bounds = meta.get("label_count_bounds", [0, k])  # older models: unbounded
        if not (isinstance(bounds, list) and len(bounds) == 2 and all(_whole(b) for b in bounds) and 0 <= bounds[0] <= min(bounds[1], k)):
            raise DataError(f"label_count_bounds must be [min, max] whole numbers with 0 <= min <= max and min <= {k} (the labels), "
                            f"got {bounds!r}.")
        self.min_labels_, self.max_labels_ = bounds
        weight = meta.get("threshold_weight")  # older models: None, the log-odds rule they were trained with
        if weight is not None and (isinstance(weight, bool) or not isinstance(weight, numbers.Real) or not 0 <= weight <= 1):
            raise DataError(f"threshold_weight must be a number from 0 to 1 or absent, got {weight!r}.")
        if weight is not None and bounds != [1, 1]:
            raise DataError(f"threshold_weight is for a head trained on exactly one label per record (label_count_bounds [1, 1]), "
                            f"not {bounds!r}; remove it.")
        self.threshold_weight_ = None if weight is None else float(weight)
        unknown = [loss for loss in self.label_loss_ if loss not in linear.TOPIC_LOSSES]
        if len(self.label_status_) != k or len(self.label_loss_) != k or unknown:
            raise DataError(f"label_status and label_loss must list one entry per label ({k}) and label_loss known losses "
                            f"({', '.join(linear.TOPIC_LOSSES)}); got {self.label_status_!r} and {self.label_loss_!r}.")
        self.weights_ = linear.import_weights(arrays, features.n_features, k)
        self.intercept_ = np.asarray(arrays["intercept"], dtype=np.float64).reshape(k)
        self.platt_ = np.asarray(arrays["platt"], dtype=np.float64).reshape(k, 2)
        self.thresholds_ = np.asarray(arrays["thresholds"], dtype=np.float64).reshape(k)
        return self


def label_count_rule(min_labels: int, max_labels: int, k: int, threshold_weight: float | None = None) -> str:
    """The label-count rule a topic head applies after its thresholds, in words ("" for none).

    Learnt from the training data: when every record there had exactly one label (themes), the
    head returns exactly the label with the largest margin over its threshold (:func:`weighted_margin`),
    even below it; when no record had two, at most that one (so a second label above its threshold
    is dropped); when every record had one or more, at least one."""
    if min_labels == 0 and max_labels >= k:
        return ""
    if max_labels == 1 and min_labels:
        return "exactly one label per record" + ("" if threshold_weight is None else f" (ranked by score - {threshold_weight:g} x threshold)")
    if max_labels == 1:
        return "at most one label per record"
    return "at least one label per record"


def stored_rule(meta: dict) -> str:
    """:func:`label_count_rule` of a topic head as the manifest stores it (older models: none)."""
    k = len(meta.get("labels", []))
    return label_count_rule(*meta.get("label_count_bounds", [0, k]), k, meta.get("threshold_weight"))


class FittedStance:
    """The stance head's fitted part: answer + question + cue scores and stance probabilities.

    Parameters and attributes are those of :class:`classify.stance.StanceClassifier`.
    """

    _features = FittedFeatures

    def __init__(self, labels=None, features=None, question_weight=0.5, cue_weight=1.0, C=3.0, class_weight="balanced",
                 random_state=0, loss="log", question_features=None):
        self.labels = labels
        self.features = features
        self.question_features = question_features
        self.question_weight = question_weight
        self.cue_weight = cue_weight
        self.C = C
        self.loss = loss
        self.class_weight = class_weight
        self.random_state = random_state

    def _check_params(self) -> None:
        """Raise DataError for parameters no stance head can have: at fit, and at load (a manifest edited by hand)."""
        if self.loss not in linear.LOSSES:
            raise DataError(f"loss must be one of {', '.join(linear.LOSSES)}; got {self.loss!r}.")
        linear.check_liblinear(self.C, self.class_weight, default_C=3.0)
        check_number("question_weight", self.question_weight, meaning="weight of the question's features; 0 leaves them out")
        check_number("cue_weight", self.cue_weight, meaning="weight of the stance cues; 0 leaves them out")

    def decision_function(self, X, question_dot=None):
        """Raw scores, shape (n_samples, n_labels); ``question_dot``: ``question_features_.dot(questions,
        weights_)`` when the caller has computed it already (see :meth:`FittedTopics.decision_function`)."""
        require_fitted(self, "weights_")
        questions, answers = as_pairs(X)
        # the answer, question and cue blocks times the weights, summed; no feature matrix is built
        scores = self.answer_features_.dot(answers, self.weights_)
        if self.question_weight:
            if question_dot is None:
                question_dot = self.question_features_.dot(questions, self.weights_)
            scores += np.float32(self.question_weight) * question_dot
        if self.cue_weight:
            from classify.cues import cue_scores

            scores += cue_scores(answers, self.answer_features_.n_features, self.cue_weight, self.weights_, self.answer_features_.strip_accents)
        return scores.astype(np.float64) + self.intercept_

    def predict_proba(self, X, question_dot=None):
        """Probability of every stance label (columns in ``classes_`` order), rows summing to 1."""
        scores = self.decision_function(X, question_dot)
        if self.link_ == "softmax":  # models saved by format 1 with a multinomial fit
            return linear.softmax(scores)
        p = linear.sigmoid(scores)  # one-vs-rest: normalised per-label sigmoids, as sklearn's OvR does
        total = p.sum(axis=1, keepdims=True)
        return np.divide(p, total, out=np.full_like(p, 1.0 / p.shape[1]), where=total > 0)

    def predict(self, X):
        proba = self.predict_proba(X)  # checks fitted state first
        return self.classes_[np.argmax(proba, axis=1)]

    def get_state(self) -> tuple[dict, dict]:
        require_fitted(self, "weights_")
        ameta, aarrays = self.answer_features_.get_state()
        qmeta, qarrays = self.question_features_.get_state()
        meta = {
            "labels": self.classes_.tolist(),
            "params": {
                "question_weight": self.question_weight,
                "cue_weight": self.cue_weight,
                "C": self.C,
                "class_weight": self.class_weight,
                "random_state": self.random_state,
                "loss": self.loss,
            },
            "link": self.link_,
            "answer_features": ameta,
            "question_features": qmeta,
        }
        arrays = {f"answer_features.{k}": v for k, v in aarrays.items()}
        arrays.update({f"question_features.{k}": v for k, v in qarrays.items()})
        arrays.update(linear.export_weights(self.weights_))
        arrays["intercept"] = self.intercept_
        return meta, arrays

    @classmethod
    def from_state(cls, meta: dict, arrays: dict):
        answer = cls._features.from_state(meta["answer_features"], _part(arrays, "answer_features"))
        question = cls._features.from_state(meta["question_features"], _part(arrays, "question_features"))
        # models saved before cues (or loss) existed had none (logistic regression): not today's defaults
        params = {"cue_weight": 0.0, "loss": "log", **meta["params"]}
        template = cls._features(**{**answer.params(), "salt": 0})
        # the question featuriser it was given (the topic head's), unless it was its own default
        given = None if question.params() == {**template.params(), "salt": 2} else cls._features(**question.params())
        self = cls(labels=list(meta["labels"]), features=template, question_features=given, **params)
        self.answer_features_, self.question_features_ = answer, question
        self.link_ = meta.get("link", "softmax")
        self.classes_ = np.asarray(meta["labels"])
        k = len(self.classes_)
        _some_labels(k)
        self._check_params()  # a manifest edited by hand: cue_weight and question_weight change every score
        if self.link_ not in ("softmax", "ovr"):
            raise DataError(f"link must be 'ovr' (per-label sigmoids, divided by their sum) or 'softmax', got {self.link_!r}.")
        self.weights_ = linear.import_weights(arrays, answer.n_features, k)
        self.intercept_ = np.asarray(arrays["intercept"], dtype=np.float64).reshape(k)
        return self


def _some_labels(k: int) -> None:
    if k < 1:
        raise DataError("a head needs at least one label; the manifest lists none.")


def _whole(value) -> bool:
    """A whole number, numpy's too, and not a bool (True == 1 in Python, not in a parameter)."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def weighted_margin(proba, platt, thresholds, weight=None) -> np.ndarray:
    """How far each label's probability is above its threshold, to rank the labels of a record:
    in calibrated log-odds (``weight`` None), or as ``score - weight * threshold`` with both taken
    back through the label's sigmoid to its raw score units (see ``TopicClassifier.threshold_weight_``)."""
    if weight is None:
        return _logit(proba) - _logit(thresholds)
    rising = platt[:, 0] > 0
    slope = np.where(rising, platt[:, 0], 1.0)
    margin = (_logit(proba) - platt[:, 1]) / slope - weight * (_logit(thresholds) - platt[:, 1]) / slope
    margin[:, ~rising] = -np.inf  # a label whose probability does not rise with its score has no score scale: ranked last
    return margin


def _logit(p):
    p = np.clip(p, 1e-12, 1 - 1e-12)
    return np.log(p) - np.log1p(-p)
