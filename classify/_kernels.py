"""The numba kernels that :mod:`classify._compiled` hands out (this module imports numba)."""

from __future__ import annotations

import numba
import numpy as np

_MULT = np.uint64(0x9E3779B1)  # as classify.fitted._BIGRAM_MULT
_LOG1 = (1.0 + np.log(np.arange(1, 257, dtype=np.float32))).astype(np.float32)  # 1 + log(count), small counts


@numba.njit(inline="always")
def _sublinear(count):
    return _LOG1[count - 1] if count <= 256 else np.float32(1.0 + np.log(np.float32(count)))


@numba.njit(inline="always")
def _column(h, N, mask):
    return np.int64(h & mask) if mask else np.int64(h % N)


@numba.njit(inline="always")
def _count_words(ids, a, b, word, N, mask, bigrams, wcount, touched):
    """Count text ``ids[a:b]``'s word and bigram columns in ``wcount``; the distinct ones go to ``touched[:m]``."""
    m = 0
    for i in range(a, b):
        c = _column(word[ids[i]], N, mask)
        touched[m] = c  # branch-free: kept (m advances) only on the column's first occurrence
        m += wcount[c] == 0
        wcount[c] += 1
        if bigrams and i + 1 < b:
            c = _column(word[ids[i]] * _MULT + word[ids[i + 1]] + np.uint64(1), N, mask)
            touched[m] = c
            m += wcount[c] == 0
            wcount[c] += 1
    return m


@numba.njit(inline="always")
def _count_chars(ids, a, b, ptr, slots, tcount, tokens, scount, stouched):
    """Count the char n-gram slots of text ``ids[a:b]`` (per distinct token, times its count) in
    ``scount``; the distinct slots go to ``stouched[:m]``."""
    t = 0
    for i in range(a, b):
        tokens[t] = ids[i]
        t += tcount[ids[i]] == 0
        tcount[ids[i]] += 1
    m = 0
    for j in range(t):
        tok = tokens[j]
        cnt = tcount[tok]
        tcount[tok] = 0
        for p in range(ptr[tok], ptr[tok + 1]):
            q = slots[p]
            stouched[m] = q
            m += scount[q] == 0
            scount[q] += cnt
    return m


@numba.njit(inline="always")
def _count_word_slots(ids, a, b, first, unigram, pairs, bigrams, count, touched):
    """Count text ``ids[a:b]``'s word and bigram slots in ``count`` (``pairs`` numbered from the
    batch's first token); the distinct ones go to ``touched[:m]``."""
    m = 0
    for i in range(a, b):
        s = unigram[ids[i]]
        touched[m] = s  # branch-free: kept (m advances) only on the slot's first occurrence
        m += count[s] == 0
        count[s] += 1
        if bigrams and i + 1 < b:
            s = pairs[i - first]
            touched[m] = s
            m += count[s] == 0
            count[s] += 1
    return m


@numba.njit(inline="always")
def _add_block(touched, m, count, table, acc):
    """acc = sum of sublinear count x table[slot, 1:] over the distinct slots (counts reset to 0);
    returns the block's squared norm, sum of (sublinear count x idf)**2."""
    acc[:] = 0.0
    sq = 0.0
    for j in range(m):
        s = touched[j]
        u = _sublinear(count[s])
        count[s] = 0
        v = u * table[s, 0]
        sq += v * v
        for o in range(len(acc)):
            acc[o] += u * table[s, o + 1]
    return sq


@numba.njit(cache=True, nogil=True)
def score(ids, bounds, unigram, pairs, bigrams, ptr, slots, table, char_weight, out):
    """out[d] += the word block's and char_weight x the char block's normalised scores of text d.

    Both blocks are read in slot space (:class:`classify._ngrams.TokenHashes`): ``unigram[t]``
    is token t's word slot, ``pairs[i]`` the slot of the bigram at token i, ``slots[ptr[t]:ptr[t
    + 1]]`` token t's char n-gram slots, and ``table[s]`` is ``[idf, idf * weights...]`` of slot
    s (one row per slot, in a table as small as the vocabulary seen).
    """
    n, k = out.shape
    count = np.zeros(len(table), np.int32)
    tcount = np.zeros(len(unigram), np.int32)
    touched = np.empty(max(2 * (bounds[-1] - bounds[0]), len(table)) + 1, np.int32)  # +1: the branch-free append writes one past
    tokens = np.empty(bounds[-1] - bounds[0] + 1, np.int64)
    acc = np.zeros(k, np.float32)
    for d in range(n):
        a, b = bounds[d], bounds[d + 1]
        if a == b:
            continue
        m = _count_word_slots(ids, a, b, bounds[0], unigram, pairs, bigrams, count, touched)
        sq = _add_block(touched, m, count, table, acc)
        if sq > 0:
            inv = 1.0 / np.sqrt(sq)
            for o in range(k):
                out[d, o] += np.float32(acc[o] * inv)
        if char_weight == 0:
            continue
        m = _count_chars(ids, a, b, ptr, slots, tcount, tokens, count, touched)
        sq = _add_block(touched, m, count, table, acc)
        if sq > 0:
            inv = char_weight / np.sqrt(sq)
            for o in range(k):
                out[d, o] += np.float32(acc[o] * inv)


@numba.njit(cache=True, nogil=True)
def pair_slots(ids, bounds, word, n_features, slot_of, columns, n):
    """(slot of the bigram column at every token, -1 at a text's last; new slot count). Columns
    seen for the first time take slots n, n + 1, ... (``slot_of``, ``columns`` updated in place;
    ``columns`` has room for one new slot per token)."""
    N = np.uint64(n_features)
    mask = N - np.uint64(1) if n_features & (n_features - 1) == 0 else np.uint64(0)
    pairs = np.full(bounds[-1] - bounds[0], -1, np.int64)
    first = bounds[0]
    for d in range(len(bounds) - 1):
        for i in range(bounds[d], bounds[d + 1] - 1):
            c = _column(word[ids[i]] * _MULT + word[ids[i + 1]] + np.uint64(1), N, mask)
            s = slot_of[c]
            if s < 0:
                s = n
                slot_of[c] = n
                columns[n] = c
                n += 1
            pairs[i - first] = s
    return pairs, n


@numba.njit(inline="always")
def _match(cp, i, a, b, d, g, lit, lit_ptr, lit_at, group_ptr, group_lits, first):
    """Note where the literals of group g that occur around position i (their keyed three
    characters at i) start, for those not seen yet; returns whether all of them are seen now."""
    complete = True
    for j in range(group_ptr[g], group_ptr[g + 1]):
        L = group_lits[j]
        if first[d, L] >= 0:
            continue
        p, q = lit_ptr[L], lit_ptr[L + 1]
        start = i - lit_at[L]
        same = start >= a and start + (q - p) <= b
        x = 0
        while same and x < q - p:
            same = cp[start + x] == lit[p + x]
            x += 1
        if same:
            first[d, L] = start - a
        complete &= same
    return complete


@numba.njit(cache=True, nogil=True)
def literals(cp, starts, ends, lit, lit_ptr, lit_at, table, bits, group_ptr, group_lits, first):
    """first[d, L] = where literal L (three characters or more) first occurs in text d, counted
    from the text's start (entries of absent literals are left as they are, -1 by the caller).

    Literals are found by three of their characters, at offset ``lit_at[L]`` (rare ones, so few
    positions need a look), grouped by the key ``key = (key * 257 + (c & 0xFFFF)) & 0xFFFF`` per
    character of those three: ``table[key]`` is the group, and the bitmap ``bits`` (small enough
    for the L1 cache) flags the keys in use, so most positions cost one bit test. Keys collide
    (16 bits), so a literal is compared in full; a group seen whole is switched off until the
    next text. Positions are scanned in order, so the first start found is the first occurrence.
    """
    live = bits.copy()
    off = np.empty(len(group_ptr), np.int64)  # keys of the groups switched off
    for d in range(len(starts)):
        a, b = starts[d], ends[d]
        n_off = 0
        if b - a >= 3:
            key = (np.int64(cp[a]) & 0xFFFF) * 257 + (np.int64(cp[a + 1]) & 0xFFFF)
            for i in range(a, b - 2):
                key = (key * 257 + (np.int64(cp[i + 2]) & 0xFFFF)) & 0xFFFF  # characters i, i + 1, i + 2
                if live[key >> 3] & (1 << (key & 7)):
                    if _match(cp, i, a, b, d, table[key], lit, lit_ptr, lit_at, group_ptr, group_lits, first):
                        live[key >> 3] &= np.uint8(255 - (1 << (key & 7)))
                        off[n_off] = key
                        n_off += 1
                key = key - ((np.int64(cp[i]) & 0xFFFF) * 66049 & 0xFFFF)  # drop character i (257**2 = 66049)
        for j in range(n_off):
            live[off[j] >> 3] |= np.uint8(1 << (off[j] & 7))


@numba.njit(cache=True, nogil=True)
def token_keys(cp, is_word, base):
    """(keys, starts, ends) of the runs of word characters of ``cp``: a run's key is the polynomial
    hash ``sum(cp[i] * base**(i - start))`` mod 2**64, 1 where that is 0 (as :mod:`classify._tokens`)."""
    n = len(cp)
    keys = np.empty(n // 2 + 1, np.uint64)
    starts = np.empty(n // 2 + 1, np.int64)
    ends = np.empty(n // 2 + 1, np.int64)
    m = 0
    i = 0
    while i < n:
        if not is_word[cp[i]]:
            i += 1
            continue
        h = np.uint64(0)
        power = np.uint64(1)
        start = i
        while i < n and is_word[cp[i]]:
            h += np.uint64(cp[i]) * power
            power *= base
            i += 1
        keys[m] = h if h != 0 else np.uint64(1)
        starts[m] = start
        ends[m] = i
        m += 1
    return keys[:m], starts[:m], ends[:m]


@numba.njit(cache=True, nogil=True)
def probe(keys, table_keys, table_ids, bits, mix):
    """Id of every key in the open-addressing table (linear probing; 0 marks an empty slot), -1 if absent."""
    out = np.empty(len(keys), np.int64)
    mask = len(table_keys) - 1
    shift = np.uint64(64 - bits)
    for j in range(len(keys)):
        key = keys[j]
        slot = np.int64((key * mix) >> shift)
        while True:
            found = table_keys[slot]
            if found == key:
                out[j] = table_ids[slot]
                break
            if found == 0:
                out[j] = -1
                break
            slot = (slot + 1) & mask
    return out


@numba.njit(cache=True, nogil=True)
def count_rows(ids, bounds, word, ptr, slots, columns, n_features, bigrams, chars):
    """Per text, the distinct word / bigram columns and char n-gram columns with their counts.

    Returns (word_counts_per_row, word_columns, word_counts, char_counts_per_row, char_columns,
    char_counts): columns ascending within each row (CSR order), counts as float32. Char
    n-grams are counted per distinct token, weighted by its count, as the scoring loop does.
    Columns must be below 2**31 (``n_features`` is checked by the caller).
    """
    n = len(bounds) - 1
    N = np.uint64(n_features)
    mask = N - np.uint64(1) if n_features & (n_features - 1) == 0 else np.uint64(0)
    n_tokens = bounds[-1] - bounds[0]
    char_room = 0
    if chars:
        for i in range(bounds[0], bounds[-1]):
            char_room += ptr[ids[i] + 1] - ptr[ids[i]]
    wcount = np.zeros(n_features, np.int32)
    scount = np.zeros(len(columns), np.int32)
    tcount = np.zeros(len(word), np.int32)
    touched = np.empty(2 * n_tokens + 1, np.int64)
    tokens = np.empty(n_tokens + 1, np.int64)
    stouched = np.empty(len(columns) + 1, np.int64)
    w_per_row = np.zeros(n, np.int64)
    w_cols = np.empty(2 * n_tokens + 1, np.int64)
    w_vals = np.empty(2 * n_tokens + 1, np.float32)
    c_per_row = np.zeros(n, np.int64)
    c_cols = np.empty(char_room + 1, np.int64)
    c_vals = np.empty(char_room + 1, np.float32)
    wn = 0
    cn = 0
    for d in range(n):
        a, b = bounds[d], bounds[d + 1]
        m = _count_words(ids, a, b, word, N, mask, bigrams, wcount, touched)
        cols = np.sort(touched[:m])
        for j in range(m):
            w_cols[wn + j] = cols[j]
            w_vals[wn + j] = wcount[cols[j]]
            wcount[cols[j]] = 0
        w_per_row[d] = m
        wn += m
        if not chars:
            continue
        m = _count_chars(ids, a, b, ptr, slots, tcount, tokens, scount, stouched)
        packed = np.empty(m, np.int64)  # column << 32 | count: one sort orders the pairs by column
        for j in range(m):
            s = stouched[j]
            packed[j] = (columns[s] << 32) | scount[s]
            scount[s] = 0
        packed.sort()
        for j in range(m):
            c_cols[cn + j] = packed[j] >> 32
            c_vals[cn + j] = packed[j] & 0xFFFFFFFF
        c_per_row[d] = m
        cn += m
    return w_per_row, w_cols[:wn], w_vals[:wn], c_per_row, c_cols[:cn], c_vals[:cn]
