"""Vectorised word tokenisation and the token vocabulary shared by every featuriser of a process.

``re.findall(r"\\w+", text.lower())`` plus a dict lookup per token used to cost more than all
the arithmetic of labelling. Here a batch of lowered texts becomes one numpy array of code
points; ``\\w`` runs are found with a lookup table; every run gets a 64-bit polynomial hash of
its code points; an open-addressing table maps hashes to dense token ids. No Python object is
made per token, except a string for a token never seen before (featurisers hash its n-grams
once, see :mod:`classify.features`).

Two distinct tokens share an id only if their 64-bit hashes collide (probability about
``n_tokens**2 / 2**65``, below 1e-8 for the 300,000 tokens the vocabulary holds at most).
"""

from __future__ import annotations

import os
import re
import threading

import numpy as np

from classify import _compiled
from classify._compiled import kernel

_BASE = 0x100000001B3  # odd multiplier of the polynomial hash (arithmetic mod 2**64)
_MIX = np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing of a key to a table slot
_CHUNK_CHARS = 1 << 18  # code points hashed per pass: bounds the scratch arrays to ~8 MB
_ASCII_WORD = np.array([bool(re.match(r"\w", chr(c))) for c in range(128)])
_bmp_word = None  # \w for the Basic Multilingual Plane, built on first non-ASCII text (~20 ms)
_powers = np.ones(1, np.uint64)  # _BASE**i and its inverse, grown on demand
_inverse = np.ones(1, np.uint64)

LOCK = threading.RLock()  # guards the vocabulary and the featurisers' token caches


def _before_fork() -> None:
    LOCK.acquire()
    _compiled.before_fork()


def _after_fork_in_parent() -> None:
    _compiled.after_fork()
    LOCK.release()


def _after_fork_in_child() -> None:
    global LOCK
    _compiled.after_fork()
    LOCK = threading.RLock()


# A process forked while another thread holds LOCK (or numba's compiler lock) would wait for it
# forever: that thread is not copied. Forking waits until no thread is inside, and the child
# starts with a lock of its own.
if hasattr(os, "register_at_fork"):
    os.register_at_fork(before=_before_fork, after_in_parent=_after_fork_in_parent, after_in_child=_after_fork_in_child)


def _bmp() -> np.ndarray:
    """``\\w`` of every code point of the Basic Multilingual Plane, built on first use."""
    global _bmp_word
    if _bmp_word is None:
        every = "".join(map(chr, range(0x10000)))
        kept = re.sub(r"\W", "\x00", every).encode("utf-32-le", "surrogatepass")
        _bmp_word = np.frombuffer(kept, np.uint32) != 0
    return _bmp_word


def _word_mask(cp: np.ndarray) -> np.ndarray:
    """``\\w`` (as ``re`` defines it for str) of every code point."""
    if cp.dtype == np.uint8:
        return _ASCII_WORD[cp]
    mask = _bmp()[np.minimum(cp, 0xFFFF)]
    astral = np.flatnonzero(cp > 0xFFFF)
    if len(astral):  # emoji and rare scripts: classify each distinct one with re itself
        values = np.unique(cp[astral])
        words = values[[bool(re.match(r"\w", chr(int(v)))) for v in values]]
        mask[astral] = np.isin(cp[astral], words)
    return mask


def _grow_powers(n: int) -> None:
    global _powers, _inverse
    if len(_powers) >= n:
        return
    n = max(n, 2 * len(_powers))
    _powers = np.cumprod(np.r_[np.uint64(1), np.full(n - 1, _BASE, np.uint64)])
    _inverse = np.cumprod(np.r_[np.uint64(1), np.full(n - 1, pow(_BASE, -1, 1 << 64), np.uint64)])


def _spans(texts: list[str]):
    """Yield (joined text, code points, doc slice) for chunks of whole texts, ``\\n``-separated."""
    i, n = 0, len(texts)
    while i < n:
        j, size = i, 1
        while j < n and (j == i or size + len(texts[j]) + 1 <= _CHUNK_CHARS):
            size += len(texts[j]) + 1
            j += 1
        joined = "\n" + "\n".join(texts[i:j]) + "\n"
        if joined.isascii():
            cp = np.frombuffer(joined.encode("ascii"), np.uint8)
        else:
            cp = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), np.uint32)
        yield joined, cp, i, j
        i = j


def _token_keys(cp: np.ndarray):
    """(keys, starts, ends) of the ``\\w`` runs of ``cp`` (which starts with a non-word character)."""
    word = _word_mask(cp)
    edges = np.flatnonzero(word[1:] != word[:-1]) + 1
    starts, ends = edges[0::2], edges[1::2]
    _grow_powers(len(cp) + 1)
    prefix = np.cumsum(cp * _powers[: len(cp)])
    keys = (prefix[ends - 1] - prefix[starts - 1]) * _inverse[starts]
    keys[keys == 0] = 1  # 0 marks an empty slot
    return keys, starts, ends


class Vocabulary:
    """Dense ids for token hashes, with the token strings; cleared when ``limit`` is exceeded.

    ``generation`` counts the clearings, so caches indexed by token id know when to start over.
    The default limit holds the ~55,000 distinct tokens of the 2017 Belgian questions and answers
    without a clearing; on a 2 GB archive whose vocabulary keeps growing it measured a lower peak
    memory than 300,000 (515 vs 673 MB) and was faster (4,442 vs 3,685 records per CPU second);
    50,000 clears all the time on ordinary text (3,002). ``benchmarks/throughput.py``, memory.
    """

    def __init__(self, limit: int = 100_000):
        self.limit = limit
        self.generation = 0
        self._clear()

    def _clear(self) -> None:
        self._keys = np.zeros(1 << 16, np.uint64)  # 0 = empty slot
        self._ids = np.zeros(1 << 16, np.int32)
        self.strings: list[str] = []

    def _slots(self, keys):
        return ((keys * _MIX) >> np.uint64(64 - self._bits)).astype(np.intp)

    @property
    def _bits(self) -> int:
        return len(self._keys).bit_length() - 1

    def lookup(self, keys: np.ndarray) -> np.ndarray:
        """Id of every key, -1 for keys not in the vocabulary (linear probing, vectorised)."""
        probe = kernel("probe")
        if probe is not None:
            return probe(keys, self._keys, self._ids, self._bits, _MIX)
        mask = len(self._keys) - 1
        slot = self._slots(keys)
        found = self._keys[slot]
        out = np.where(found == keys, self._ids[slot], -1)
        todo = np.flatnonzero((found != keys) & (found != 0))
        while len(todo):
            slot[todo] = (slot[todo] + 1) & mask
            found = self._keys[slot[todo]]
            hit = found == keys[todo]
            out[todo[hit]] = self._ids[slot[todo[hit]]]
            todo = todo[~hit & (found != 0)]
        return out

    def _insert(self, keys: np.ndarray, ids: np.ndarray) -> None:
        """Place distinct new keys: every round, each contested empty slot goes to one key."""
        mask = len(self._keys) - 1
        slot = self._slots(keys)
        todo = np.arange(len(keys))
        while len(todo):
            s = slot[todo]
            free = self._keys[s] == 0
            claim = todo[free]
            self._keys[s[free]] = keys[claim]  # among keys racing for a slot, one wins
            won = self._keys[slot[claim]] == keys[claim]
            self._ids[slot[claim[won]]] = ids[claim[won]]
            todo = np.concatenate([todo[~free], claim[~won]])
            slot[todo] = (slot[todo] + 1) & mask

    def add(self, keys: np.ndarray, strings: list[str]) -> np.ndarray:
        """Add distinct new keys with their token strings; returns their ids."""
        ids = np.arange(len(self.strings), len(self.strings) + len(keys), dtype=np.int32)
        self.strings.extend(strings)
        if 2 * len(self.strings) > len(self._keys):  # keep the load factor below 1/2
            old = self._keys[self._keys != 0], self._ids[self._keys != 0]
            size = len(self._keys)
            while 2 * len(self.strings) > size:
                size *= 2
            self._keys, self._ids = np.zeros(size, np.uint64), np.zeros(size, np.int32)
            self._insert(*old)
        self._insert(keys, ids)
        return ids

    def tokenize(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Token ids of all texts (flat, in order) and the number of tokens of each text.

        Call with :data:`LOCK` held; afterwards ``self.strings[i]`` is the token with id ``i``.
        """
        if len(self.strings) > self.limit:  # bounded: streaming huge archives keeps memory flat
            self.generation += 1
            self._clear()
        lowered = [t.lower() for t in texts]
        ids, counts = [], np.zeros(len(texts), np.int64)
        scan = kernel("token_keys")
        for joined, cp, i, j in _spans(lowered):
            if scan is not None and (cp.dtype == np.uint8 or cp.max() <= 0xFFFF):  # numba: one loop, same keys
                keys, starts, ends = scan(cp, _ASCII_WORD if cp.dtype == np.uint8 else _bmp(), np.uint64(_BASE))
            else:
                keys, starts, ends = _token_keys(cp)
            bounds = np.cumsum([1] + [len(t) + 1 for t in lowered[i:j]])
            counts[i:j] = np.diff(np.searchsorted(starts, bounds))
            found = self.lookup(keys)
            if (found < 0).any():
                found = self._add_missing(joined, keys, starts, ends, found)
            ids.append(found)
        return (np.concatenate(ids).astype(np.int64) if ids else np.zeros(0, np.int64)), counts

    def _add_missing(self, joined, keys, starts, ends, found):
        missing = np.flatnonzero(found < 0)
        new_keys, first = np.unique(keys[missing], return_index=True)
        at = missing[first]
        strings = [joined[s:e] for s, e in zip(starts[at].tolist(), ends[at].tolist(), strict=True)]
        self.add(new_keys, strings)
        return self.lookup(keys)


VOCABULARY = Vocabulary()


class Tokens:
    """Token ids of a batch of texts: ``ids`` (flat, in text order) and ``counts`` per text."""

    def __init__(self, ids: np.ndarray, counts: np.ndarray, generation: int):
        self.ids, self.counts, self.generation = ids, counts, generation
        self.bounds = np.r_[0, np.cumsum(counts)]

    def subset(self, rows: np.ndarray) -> Tokens:
        at, counts = segments(self.bounds, rows)
        return Tokens(self.ids[at], counts, self.generation)


def segments(bounds: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions ``bounds[r]:bounds[r + 1]`` of every r in ``rows``, concatenated; and their lengths."""
    lengths = bounds[rows + 1] - bounds[rows]
    ends = np.cumsum(lengths)
    return np.arange(ends[-1] if len(ends) else 0) + np.repeat(bounds[rows] - ends + lengths, lengths), lengths


_last: tuple | None = None  # (texts, {id(text): row}, Tokens) of the latest batch tokenised


def tokenize(texts: list[str]) -> Tokens:
    """Tokens of ``texts`` (call with :data:`LOCK` held).

    The latest batch is remembered: the model featurises the same question texts for the topic
    head and again (a subset, the answered ones) for the stance head, and tokenises them once.
    """
    global _last
    if _last is not None and texts and _last[2].generation == VOCABULARY.generation:
        previous, where, tokens = _last
        rows = [where.get(id(t), -1) for t in texts]
        if min(rows) >= 0 and all(previous[r] is t for r, t in zip(rows, texts, strict=True)):
            return tokens.subset(np.asarray(rows, np.int64))
    tokens = Tokens(*VOCABULARY.tokenize(texts), VOCABULARY.generation)
    _last = (list(texts), {id(t): i for i, t in enumerate(texts)}, tokens)  # holding the texts keeps their ids unique
    return tokens
