"""Hashing and counting of n-grams for :class:`classify.features.TextFeatures`, in numpy.

- :func:`crc32` computes ``zlib.crc32`` of many byte strings at once, one byte position per
  numpy step, so the n-grams of new tokens are hashed without a Python call per n-gram.
- :class:`TokenHashes` caches, per featuriser, the word hash and the char n-gram columns of
  every token of the shared vocabulary (:mod:`classify._tokens`).
- :func:`count` finds the distinct (document, key) pairs of a batch and sums their weights
  with a scatter/gather in a dense table: no sorting, no hashing, a few numpy passes per pair.
"""

from __future__ import annotations

import threading
import unicodedata
import zlib

import numpy as np

_TABLE_SLOTS = 1 << 22  # int32 slots of the counting table (16 MB): bounds the documents per pass
_MAX_PER_PASS = 16  # documents sharing the table (16 x int32 = one cache line per key)
_scratch = threading.local()


# A token's char n-grams come from its first this many characters (with its leading space). Dutch
# words stay far below (the longest token in the corpora of ../shared/data has 55); a run of
# letters from a PDF without spaces, a hash or base64 dump of megabytes would cost ~450 bytes a
# character in n-grams.
MAX_TOKEN_CHARS = 100


def _crc_table() -> np.ndarray:
    table = np.arange(256, dtype=np.uint32)
    for _ in range(8):
        table = np.where(table & 1, (table >> 1) ^ np.uint32(0xEDB88320), table >> 1).astype(np.uint32)
    return table


_CRC = _crc_table()
_ONE_BY_ONE = 512  # bytes: longer strings (a run of letters from a PDF without spaces) are hashed one by one


def crc32(buf: np.ndarray, starts: np.ndarray, stops: np.ndarray, value: int) -> np.ndarray:
    """``zlib.crc32(buf[s:e], value)`` for every ``(s, e)`` of ``starts``/``stops``.

    >>> import zlib
    >>> buf = np.frombuffer(b"munitie", np.uint8)
    >>> int(crc32(buf, np.array([0]), np.array([7]), 5)[0]) == zlib.crc32(b"munitie", 5)
    True
    """
    lengths = stops - starts
    long = lengths > _ONE_BY_ONE
    if long.any():  # the vectorised loop below runs once per byte of the longest string: zlib takes those
        out = np.empty(len(starts), np.uint32)
        out[long] = [zlib.crc32(buf[a:b].tobytes(), value) for a, b in zip(starts[long].tolist(), stops[long].tolist(), strict=True)]
        out[~long] = crc32(buf, starts[~long], stops[~long], value)
        return out
    order = np.argsort(-lengths, kind="stable")  # longest first: the strings still going are a prefix
    first, lengths = starts[order], lengths[order]
    crc = np.full(len(order), value ^ 0xFFFFFFFF, np.uint32)
    going = np.searchsorted(-lengths, -np.arange(lengths[0] if len(lengths) else 0), side="left")
    for k, a in enumerate(going.tolist()):
        c = crc[:a]
        crc[:a] = _CRC[(c ^ buf[first[:a] + k]) & 0xFF] ^ (c >> 8)
    out = np.empty_like(crc)
    out[order] = crc ^ np.uint32(0xFFFFFFFF)
    return out


def unaccented(token: str) -> str:
    """``token`` without accents, as scikit-learn's ``strip_accents="unicode"`` strips them (its
    ``strip_accents_unicode``; not imported: labelling never imports scikit-learn): Unicode NFKD,
    combining marks dropped ("oekraïne" -> "oekraine", "ﬁnanciële" -> "financiele")."""
    if token.isascii():
        return token
    return "".join(c for c in unicodedata.normalize("NFKD", token) if not unicodedata.combining(c))


def ranges(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For consecutive groups of ``counts`` items: the group of every item and its rank in it."""
    group = np.repeat(np.arange(len(counts)), counts)
    return group, np.arange(len(group)) - (np.cumsum(counts) - counts)[group]


class TokenHashes:
    """A featuriser's hashes of every token id of the shared vocabulary.

    ``word[t]`` is token t's word hash. Its char n-grams are ``slots[ptr[t]:ptr[t + 1]]``: a
    slot is a dense id of a hashed column, numbered in order of first sight (``columns[slot]``).
    Counting in slot space rather than in the 2**20 columns keeps the counting table small and
    puts the columns of frequent n-grams (seen first) close together in memory. The compiled
    scoring loop reads the word block in slot space too: ``unigram[t]`` is the slot of token t's
    word column, :meth:`pair_slots` those of a batch's bigrams.
    """

    def __init__(self, key, n_features: int):
        self.key = key
        self.word = np.zeros(0, np.uint64)
        self.unigram = np.zeros(0, np.int64)
        self.ptr = np.zeros(1, np.int64)
        self.slots = np.zeros(0, np.int32)
        self._columns = np.zeros(1024, np.int64)  # columns[slot], with room to grow (see _room)
        self._n = 0
        self._slot_of = np.full(n_features, -1, np.int32)
        self._per_slot: dict = {}

    @property
    def columns(self) -> np.ndarray:
        """The hashed column of every slot."""
        return self._columns[: self._n]

    def _room(self, more: int) -> None:
        """Capacity for ``more`` new slots."""
        self._columns = _with_room(self._columns, self._n + more, self._n)

    def _slots_of(self, cols: np.ndarray) -> np.ndarray:
        """The slots of hashed columns ``cols``; unseen columns get the next slots."""
        new = np.unique(cols[self._slot_of[cols] < 0])
        self._room(len(new))
        self._columns[self._n : self._n + len(new)] = new
        self._slot_of[new] = np.arange(self._n, self._n + len(new), dtype=np.int32)
        self._n += len(new)
        return self._slot_of[cols].astype(np.int64)

    def extend(self, strings: list[str], n_features: int, salt: int, char_range, strip_accents: bool = False) -> None:
        """Hash the tokens ``strings``, which take the ids following the cached ones (without their
        accents with ``strip_accents``: see :func:`unaccented`)."""
        lo, hi = char_range
        if strip_accents:
            strings = [unaccented(t) for t in strings]
        padded = "".join(f" {t} " for t in strings)
        raw = padded.encode("utf-8", "surrogatepass")
        buf = np.frombuffer(raw, np.uint8)
        if len(raw) == len(padded):
            offset = np.arange(len(raw) + 1)  # ASCII: character i starts at byte i
        else:
            cp = np.frombuffer(padded.encode("utf-32-le", "surrogatepass"), np.uint32)
            width = 1 + (cp >= 0x80).astype(np.int64) + (cp >= 0x800) + (cp >= 0x10000)
            offset = np.r_[0, np.cumsum(width)]
        chars = np.fromiter(map(len, strings), np.int64, len(strings)) + 2
        begin = np.cumsum(chars) - chars  # where every padded token starts
        word = crc32(buf, offset[begin + 1], offset[begin + chars - 1], salt & 0xFFFFFFFF).astype(np.uint64)
        per_token, slots = np.zeros(len(strings), np.int64), np.zeros(0, np.int32)
        if hi > 0:
            span = np.minimum(chars, MAX_TOKEN_CHARS + 2)  # a run of letters longer than any word: its start only
            parts = [(n, *ranges(np.maximum(span - n + 1, 0))) for n in range(lo, hi + 1)]
            token = np.concatenate([group for _, group, _ in parts])
            start = np.concatenate([begin[group] + rank for _, group, rank in parts])
            stop = start + np.concatenate([np.full(len(group), n) for n, group, _ in parts])
            order = np.argsort(token, kind="stable")  # n-grams grouped by token
            cols = crc32(buf, offset[start[order]], offset[stop[order]], ~salt & 0xFFFFFFFF).astype(np.int64) % n_features
            slots = self._slots_of(cols).astype(np.int32)  # int32: half the memory the scoring loop streams
            per_token = np.bincount(token, minlength=len(strings))
        self.word = np.concatenate([self.word, word])
        self.unigram = np.concatenate([self.unigram, self._slots_of((word % np.uint64(n_features)).astype(np.int64))])
        self.ptr = np.concatenate([self.ptr, self.ptr[-1] + np.cumsum(per_token)])
        self.slots = np.concatenate([self.slots, slots])

    def pair_slots(self, kernel, ids: np.ndarray, bounds: np.ndarray, n_features: int) -> np.ndarray:
        """The slot of the bigram starting at every token of a batch (-1 at a text's last token),
        found by the compiled ``kernel``; unseen bigram columns get the next slots."""
        self._room(len(ids))
        pairs, self._n = kernel(ids, bounds, self.word, n_features, self._slot_of, self._columns, self._n)
        return pairs

    def per_slot(self, values: np.ndarray) -> np.ndarray:
        """``values[columns]`` (an IDF vector or a weight matrix), cached and extended as slots appear.

        Arrays are recognised by identity: fitting assigns new arrays, it never edits them in place.
        """
        return self._cached((values,), lambda cols: np.take(values, cols, axis=0))

    def slot_table(self, idf: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """Rows ``[idf, idf * weights...]`` of every slot, float32, cached like :meth:`per_slot`."""
        return self._cached((idf, weights), lambda cols: np.hstack([idf[cols, None], idf[cols, None] * np.take(weights, cols, axis=0)]).astype(np.float32))

    def _cached(self, sources: tuple, rows):
        """``rows(columns)``, kept per ``sources`` in a buffer that grows by doubling as slots appear."""
        key = tuple(map(id, sources))
        refs, buf, have = self._per_slot.get(key, (None, None, 0))
        if refs is None or any(r is not s for r, s in zip(refs, sources, strict=True)):
            if len(self._per_slot) >= 4:
                self._per_slot.clear()
            buf, have = rows(self.columns[:0]), 0
        if have < self._n:
            buf = _with_room(buf, self._n, have)
            buf[have : self._n] = rows(self.columns[have:])
            have = self._n
        self._per_slot[key] = (sources, buf, have)
        return buf[:have]


def _with_room(buf: np.ndarray, rows: int, keep: int) -> np.ndarray:
    """``buf`` if it has ``rows`` rows, else a larger array (twice the size at least: growing costs
    amortised O(1) per row) holding its first ``keep`` rows."""
    if len(buf) >= rows:
        return buf
    grown = np.empty((max(2 * len(buf), rows), *buf.shape[1:]), buf.dtype)
    grown[:keep] = buf[:keep]
    return grown


def _table(size: int) -> np.ndarray:
    """A reusable per-thread scratch table (a fresh 16 MB array per call costs page faults)."""
    table = getattr(_scratch, "table", None)
    if table is None or len(table) < size:
        table = _scratch.table = np.empty(max(size, _TABLE_SLOTS), np.int32)
    return table


def count(docs: np.ndarray, keys: np.ndarray, bounds: np.ndarray, space: int, weights=None):
    """Distinct (doc, key) pairs, in order of their last occurrence, with their summed weights.

    ``keys`` (each in ``[0, space)``) come grouped by document, ``bounds`` holding the offsets.
    A dense table takes R documents at a time, slot ``key * R + doc % R``: every entry writes
    its position to its slot and reads back the last writer, which then stands for the pair.
    """
    m, n = len(keys), len(bounds) - 1
    per_pass = 1
    while per_pass < _MAX_PER_PASS and per_pass * 2 * space <= _TABLE_SLOTS:
        per_pass *= 2
    table = _table(per_pass * space)
    rep = np.empty(m, np.int64)
    position = np.arange(m)
    slot = keys * per_pass + (docs & (per_pass - 1))
    for d in range(0, n, per_pass):
        a, b = bounds[d], bounds[min(d + per_pass, n)]
        s = slot[a:b]
        table[s] = position[a:b]
        rep[a:b] = table[s]
    unique = np.flatnonzero(rep == position)
    totals = np.bincount(rep, weights=weights, minlength=m)[unique]
    return docs[unique], keys[unique], totals
