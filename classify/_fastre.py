"""Exact shortcuts for running many case-insensitive regexes over the same text.

``pattern.search(text)`` with ``re.IGNORECASE`` tries the pattern at every position of the text
(the engine's literal-prefix scan is off under IGNORECASE): ~25 us per pattern on a long
answer, ~1 ms for the stance cues. :class:`Folded` lowercases the text once, and for every
pattern first checks the literal strings that any match must contain (found from the parsed
pattern, so editing a pattern needs no second list), then matches the lowered text without
IGNORECASE only where a match can start: at 0 for ``^``, at the occurrences of the strings every
match starts with when there are such. Results are identical to ``pattern.search(text)``:

- for every character except U+0130, U+0131 and U+017F, ``re``'s case-insensitive match of
  a pattern character is the same as equality after ``str.lower`` (checked over all of Unicode
  in ``tests/test_fastre.py``), and ``str.lower`` keeps ``\\w``, ``\\d``, ``\\s`` and the length;
- a text containing one of those three characters takes the plain ``pattern.search``.
"""

from __future__ import annotations

import re
from re import _constants as C
from re import _parser

import numpy as np

from classify._compiled import kernel

SPECIAL = ("\u0130", "\u0131", "\u017f")  # İ ı ſ: match i / s case-insensitively, but lowercase otherwise
_plans: dict = {}


def required_literals(nodes) -> list[set[str]]:
    """Clauses of literal strings (lowercased) such that every match contains one string of each clause."""
    clauses, run = [], []

    def flush():
        if run:
            clauses.append({"".join(run).lower()})
            run.clear()

    for op, av in nodes:
        if op is C.LITERAL:
            run.append(chr(av))
            continue
        flush()
        if op is C.SUBPATTERN:
            clauses += required_literals(av[3])
        elif op is C.BRANCH:  # one branch matches: one of the branches' strings occurs
            options = []
            for branch in av[1]:
                sub = required_literals(branch)
                if not sub:
                    options = None
                    break
                options.append(max(sub, key=lambda clause: min(map(len, clause))))
            if options:
                clauses.append(set().union(*options))
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT) and av[0] >= 1:
            clauses += required_literals(av[2])
        # anything else (classes, anchors, lookarounds, optional parts) requires no literal
    flush()
    return clauses


def leading_literals(nodes, flags: int = 0):
    """Strings every match starts with (zero-width ``\\b`` aside), ``"^"`` for a match at 0 only, or None."""
    for index, (op, av) in enumerate(nodes):
        if op is C.AT:
            if av is C.AT_BEGINNING_STRING or (av is C.AT_BEGINNING and not flags & re.MULTILINE):
                return "^"
            if av in (C.AT_BOUNDARY, C.AT_UNI_BOUNDARY, C.AT_LOC_BOUNDARY):
                continue
            return None
        if op is C.LITERAL:
            run = []
            for op2, av2 in nodes[index:]:
                if op2 is not C.LITERAL:
                    break
                run.append(chr(av2))
            return {"".join(run).lower()}
        if op is C.SUBPATTERN:
            return leading_literals(av[3], flags)
        if op is C.BRANCH:
            options = [leading_literals(branch, flags) for branch in av[1]]
            if any(o is None or o == "^" for o in options):
                return None
            return set().union(*options)
        if op in (C.MAX_REPEAT, C.MIN_REPEAT) and av[0] >= 1:
            return leading_literals(av[2], flags)
        return None
    return None


def _plan(pattern: re.Pattern):
    """(literal clauses, leading literals, the pattern without IGNORECASE), or False where not exact."""
    plan = _plans.get(pattern)
    if plan is None:
        plan = False
        if isinstance(pattern.pattern, str) and pattern.flags & re.IGNORECASE:
            parsed = _parser.parse(pattern.pattern, pattern.flags)
            if all(_plain(c) for c in _literal_chars(parsed)):
                clauses = [sorted(c, key=len, reverse=True) for c in required_literals(parsed)]
                clauses.sort(key=lambda c: -min(map(len, c)))  # longest (rarest) strings first: absent sooner
                lead = leading_literals(list(parsed), pattern.flags)
                lead = tuple(sorted(lead)) if isinstance(lead, set) else lead
                plan = (clauses, lead, re.compile(pattern.pattern, pattern.flags & ~re.IGNORECASE))
        _plans[pattern] = plan
    return plan


def _plain(c: str) -> bool:
    """A pattern character whose case-insensitive matches are exactly the characters lowercasing to it."""
    return (c.isascii() and c == c.lower()) or (not c.isalpha() and c == c.lower() == c.upper())


def _literal_chars(nodes):
    for op, av in nodes:
        if op in (C.LITERAL, C.NOT_LITERAL):
            yield chr(av)
        elif op is C.IN:
            for kind, value in av:
                if kind in (C.LITERAL, C.NOT_LITERAL):
                    yield chr(value)
                elif kind is C.RANGE:
                    yield from map(chr, range(value[0], value[1] + 1))
        elif op is C.SUBPATTERN:
            yield from _literal_chars(av[3])
        elif op is C.BRANCH:
            for branch in av[1]:
                yield from _literal_chars(branch)
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT):
            yield from _literal_chars(av[2])
        elif op in (C.ASSERT, C.ASSERT_NOT):
            yield from _literal_chars(av[1])
        elif op is C.GROUPREF_EXISTS:
            yield "A"  # conditionals: not worth the analysis, take the plain search


class Folded:
    """A text prepared for many ``search`` calls with case-insensitive patterns.

    Examples
    --------
    >>> p = re.compile(r"nader (te )?informeren", re.IGNORECASE)
    >>> Folded("Wij zullen u NADER informeren.").contains(p)
    True
    """

    def __init__(self, text: str):
        self.text = text
        self.lower = None if any(c in text for c in SPECIAL) else text.lower()

    def contains(self, pattern: re.Pattern) -> bool:
        """``pattern.search(text) is not None``."""
        low = self.lower
        plan = _plans.get(pattern)
        if plan is None:
            plan = _plan(pattern)
        if low is None or not plan:
            return pattern.search(self.text) is not None
        for clause in plan[0]:  # plain loops: this runs ~50 times per answer
            for s in clause:
                if s in low:
                    break
            else:
                return False
        return _confirm(plan, low)


def _confirm(plan, low: str, starts=None) -> bool:
    """Whether the lowered text ``low``, which holds every required literal of ``plan``, matches.

    ``starts``: where each of the plan's leading strings (``plan[1]``, in its order) first occurs
    in ``low`` (-1: nowhere), when the caller knows it already; else they are searched for.
    """
    _, lead, plain = plan
    if lead is None:
        return plain.search(low) is not None
    if lead == "^":
        return plain.match(low) is not None
    for k, s in enumerate(lead):  # a match starts where a leading string occurs: try only there
        at = low.find(s) if starts is None else starts[k]
        while at >= 0:
            if plain.match(low, at) is not None:
                return True
            at = low.find(s, at + 1)
    return False


# share of each character in Dutch text, in %: what the literal scan keys on should be rare
_FREQUENCY = dict(zip(" enatirodslgvhkmubpwjzcfxyq", [17.0, 15.7, 8.3, 6.2, 5.7, 5.4, 5.3, 5.1, 4.9, 3.1, 3.0, 2.8, 2.3, 2.0,
                                                    1.9, 1.8, 1.7, 1.3, 1.3, 1.3, 1.2, 1.1, 1.0, 0.7, 0.04, 0.04, 0.01]))


def _commonness(s: str) -> float:
    """How often the string ``s`` can be expected in Dutch text (product of character shares)."""
    return float(np.prod([_FREQUENCY.get(c, 1.0) for c in s]))


class _Literals:
    """The required literals of many patterns, laid out for the compiled scan (:mod:`classify._compiled`)."""

    def __init__(self, patterns):
        self.plans = [_plan(p) for p in patterns]
        # a prefilter needs only the rarest clauses: short strings (" ", "g") occur everywhere
        kept = [[c for c in plan[0] if min(map(len, c)) >= 3][:2] or plan[0][:1] if plan else [] for plan in self.plans]
        leads = [plan[1] if plan and plan[1] not in (None, "^") else () for plan in self.plans]
        strings = {s for clauses in kept for clause in clauses for s in clause} | {s for lead in leads for s in lead}
        self.strings = sorted(strings, key=lambda s: (len(s) < 3, s))
        index = {s: i for i, s in enumerate(self.strings)}
        self.n = len(self.strings)
        self.lengths = np.array([len(s) for s in self.strings], np.int64)
        self.clauses = [[[index[s] for s in clause] for clause in clauses] for clauses in kept]
        self.leads = [[index[s] for s in lead] for lead in leads]  # where _confirm starts, known from the scan
        scanned = [s for s in self.strings if len(s) >= 3]  # the kernel's; shorter ones take str.find
        self.n_scanned = len(scanned)
        self.lit = np.frombuffer("".join(scanned).encode("utf-32-le"), np.uint32)
        self.lit_ptr = np.r_[0, np.cumsum([len(s) for s in scanned])].astype(np.int64)
        # the scan looks for each literal's rarest three characters (by Dutch letter frequencies:
        # "de bedoeling" is found by "bed", not by "de " at every other word), grouped by key
        at = [min(range(len(s) - 2), key=lambda o, s=s: _commonness(s[o : o + 3])) for s in scanned]
        self.lit_at = np.asarray(at, np.int64)
        groups: dict = {}
        for i, (s, o) in enumerate(zip(scanned, at, strict=True)):
            key = 0
            for c in s[o : o + 3]:
                key = (key * 257 + (ord(c) & 0xFFFF)) & 0xFFFF
            groups.setdefault(key, []).append(i)
        self.table = np.full(1 << 16, -1, np.int32)
        self.table[list(groups)] = np.arange(len(groups), dtype=np.int32)
        self.bits = np.packbits(self.table >= 0, bitorder="little")  # bit key & 7 of byte key >> 3
        self.group_ptr = np.r_[0, np.cumsum([len(g) for g in groups.values()])].astype(np.int64)
        self.group_lits = np.asarray([i for g in groups.values() for i in g], np.int64)

    def first(self, scan, lowered: list[str]) -> np.ndarray:
        """(len(lowered), n literals) int64: where each literal first occurs in each lowered text, -1 if absent."""
        first = np.full((len(lowered), self.n), -1, np.int64)
        if self.n_scanned and lowered:
            joined = "".join(lowered)
            if joined.isascii():
                cp = np.frombuffer(joined.encode("ascii"), np.uint8)
            else:
                cp = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), np.uint32)
            ends = np.cumsum([len(t) for t in lowered], dtype=np.int64)
            scan(cp, ends - [len(t) for t in lowered], ends, self.lit, self.lit_ptr, self.lit_at, self.table, self.bits, self.group_ptr,
                 self.group_lits, first)
        for j in range(self.n_scanned, self.n):
            s = self.strings[j]
            first[:, j] = [low.find(s) for low in lowered]
        return first


_layouts: dict = {}


class Scan:
    """Many case-insensitive ``patterns`` over one batch of ``texts``, searched with :meth:`search`.

    With numba installed, the texts are lowered and scanned once, in one compiled pass per text,
    for the literal strings the patterns require (:mod:`classify._compiled`); a search then
    matches a pattern only against the texts holding all of its strings, from where its leading
    strings occur. Without numba every pair takes :meth:`Folded.contains`.

    >>> p = re.compile(r"nader (te )?informeren", re.IGNORECASE)
    >>> Scan([p], ["Wij zullen u NADER informeren.", "Nee."]).search().ravel().tolist()
    [True, False]
    """

    def __init__(self, patterns, texts):
        self.patterns, self.texts = list(patterns), list(texts)
        self.kernel = kernel("literals")
        if self.kernel is None:
            return
        key = tuple(self.patterns)
        self.layout = _layouts.get(key) or _layouts.setdefault(key, _Literals(self.patterns))
        self.lowered = [None if any(c in t for c in SPECIAL) else t.lower() for t in self.texts]
        plain_rows = [i for i, low in enumerate(self.lowered) if low is not None]
        self.first = np.full((len(self.texts), self.layout.n), -1, np.int64)
        if plain_rows and self.layout.n:
            self.first[plain_rows] = self.layout.first(self.kernel, [self.lowered[i] for i in plain_rows])
        self.special = np.ones(len(self.texts), bool)
        self.special[plain_rows] = False  # these take pattern.search itself

    def search(self, only=None, limit: int | None = None) -> np.ndarray:
        """``[[p.search(t[:limit]) is not None for p in patterns] for t in texts]`` as a bool array.

        ``only`` (same shape, bool) restricts the work to the pairs marked True (the rest are False).
        """
        n = len(self.texts)
        out = np.zeros((n, len(self.patterns)), bool)
        wanted = np.ones(out.shape, bool) if only is None else np.asarray(only, bool)
        if self.kernel is None:
            for i, text in enumerate(self.texts):
                folded = None
                for j in np.flatnonzero(wanted[i]).tolist():
                    folded = folded or Folded(text[:limit])
                    out[i, j] = folded.contains(self.patterns[j])
            return out
        layout, first = self.layout, self.first
        present = first >= 0 if limit is None else (first >= 0) & (first + layout.lengths <= limit)
        lowered = self.lowered if limit is None else [low if low is None else low[:limit] for low in self.lowered]
        for j, (pattern, plan, clauses, lead) in enumerate(zip(self.patterns, layout.plans, layout.clauses, layout.leads, strict=True)):
            candidates = wanted[:, j].copy()
            for clause in clauses or ():
                candidates &= present[:, clause].any(axis=1)
            special = wanted[:, j] & self.special
            for i in np.flatnonzero(candidates | special).tolist():
                low = lowered[i]
                if low is None or not plan:
                    out[i, j] = pattern.search(self.texts[i][:limit]) is not None
                else:
                    out[i, j] = _confirm(plan, low, [first[i, L] if present[i, L] else -1 for L in lead] if lead else None)
        return out
