"""Tests of classify._fastre: the shortcut must give exactly what ``pattern.search`` gives."""

from __future__ import annotations

import json
import re
import string

import pytest
from conftest import DATA_DIR

from classify import _compiled
from classify._fastre import SPECIAL, Folded, Scan, leading_literals, required_literals
from classify.cues import _PATTERNS as PATTERNS


def test_lowercasing_agrees_with_case_insensitive_matching_over_all_of_unicode():
    # the premise of the shortcut, for every pattern character it accepts (printable ASCII)
    printable = [c for c in string.printable if c == c.lower() and c not in "\t\n\r\x0b\x0c"]
    any_printable = re.compile("[" + re.escape("".join(printable)) + "]", re.IGNORECASE)
    odd = set()
    for code in range(0x110000):
        ch = chr(code)
        if any_printable.fullmatch(ch):
            matched = {c for c in printable if re.fullmatch(re.escape(c), ch, re.IGNORECASE)}
            if matched != ({ch.lower()} & set(printable)):
                odd.add(ch)
    assert odd == set(SPECIAL)


def test_lowercasing_keeps_length_and_character_classes():
    classes = [re.compile(p) for p in (r"\w", r"\d", r"\s")]
    for code in range(0x110000):
        ch = chr(code)
        low = ch.lower()
        if ch in SPECIAL:
            continue
        assert len(low) == 1, hex(code)
        assert [bool(c.match(ch)) for c in classes] == [bool(c.match(low)) for c in classes], hex(code)


@pytest.mark.parametrize(
    "pattern, clauses",
    [
        (r"nader (te )?informeren", [{"nader "}, {"informeren"}]),
        (r"\bmiljoen|\bmiljard|\beuro\b|€", [{"miljoen", "miljard", "euro", "€"}]),
        (r"^\W*(nee|neen)\b", [{"nee"}]),
        (r"\d", []),
        (r"(a|\d)x", [{"x"}]),  # a branch without a literal: no clause from the branch
    ],
)
def test_required_literals(pattern, clauses):
    from re import _parser

    assert required_literals(_parser.parse(pattern, re.IGNORECASE)) == clauses


@pytest.mark.parametrize(
    "pattern, lead",
    [
        (r"\bmiljoen|\bmiljard|\beuro\b|€", {"miljoen", "miljard", "euro", "€"}),
        (r"^\W*(nee|neen)\b", "^"),
        (r"(zal|zullen) .{0,40}ge?informeerd", {"z"}),  # the parser factors out the common prefix
        (r"x?abc", None),  # may start anywhere
        (r"(?<=x)abc", None),
        (r"\d", None),
    ],
)
def test_leading_literals(pattern, lead):
    from re import _parser

    assert leading_literals(list(_parser.parse(pattern, re.IGNORECASE)), re.IGNORECASE) == lead


def test_multiline_caret_is_not_a_start_anchor():
    from re import _parser

    flags = re.IGNORECASE | re.MULTILINE
    assert leading_literals(list(_parser.parse("^ab", flags)), flags) is None


SYNTHETIC = [
    r"(kan|kunnen) .{0,20}niet", r"\bab|cd\b", r"x?abc", r"(?:a|)b", r"^a", r"(?<=x)ab", r"b\w*\b.{0,3}\bc", r"[a-c]{2}d",
]


@pytest.mark.parametrize("flags", [re.IGNORECASE, re.IGNORECASE | re.DOTALL, re.IGNORECASE | re.MULTILINE])
def test_contains_equals_search_on_random_texts(flags):
    import random

    rng = random.Random(7)
    patterns = [re.compile(p, flags) for p in SYNTHETIC]
    alphabet = "abcdxABCDX kunnenKAN niet\n,."
    for _ in range(400):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 40)))
        folded = Folded(text)
        assert [folded.contains(p) for p in patterns] == [p.search(text) is not None for p in patterns], text


def search_many(patterns, texts, only=None):
    """All pairs through one :class:`Scan` (what classify.cues does)."""
    return Scan(patterns, texts).search(only)


def expected(patterns, texts):
    return [[p.search(t) is not None for p in patterns] for t in texts]


@pytest.mark.parametrize("flags", [re.IGNORECASE, re.IGNORECASE | re.DOTALL, re.IGNORECASE | re.MULTILINE])
def test_search_many_equals_search_on_random_texts(kernels, flags):
    import random

    rng = random.Random(11)
    patterns = [re.compile(p, flags) for p in SYNTHETIC]
    alphabet = "abcdxABCDX kunnenKAN niet\n,.é"
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 40))) for _ in range(400)]
    assert search_many(patterns, texts).tolist() == expected(patterns, texts)


def test_search_many_only_checks_the_marked_pairs(kernels):
    texts = ["Nee, wij zullen u nader informeren.", "Ja."]
    only = [[True] * len(PATTERNS), [False] * len(PATTERNS)]
    found = search_many(PATTERNS, texts, only=only)
    assert found[0].tolist() == expected(PATTERNS, texts[:1])[0]
    assert not found[1].any()


def test_scan_finds_literals_at_every_position_and_within_a_limit(kernels):
    # texts made of the cue patterns' own strings, cut anywhere: literals at a text's very start
    # and end, overlapping, and straddling the limit (each literal is keyed by three of its
    # characters at some offset, and checked in full from where it starts)
    import random

    rng = random.Random(13)
    pieces = ["de bedoeling", "niet", "zal", "zullen", " u ", "inzetten", "nee", "ja", "€", "%", "het", "deel", "zorg",
              "onderzo", "ek", "nader ", "informeren", "van plan", "eens", "miljoen", "euro", "5", ",", "\n", "x"]
    texts = []
    for _ in range(300):
        text = " ".join(rng.choice(pieces) for _ in range(rng.randrange(0, 25)))
        text = text[rng.randrange(0, 4) :][: rng.randrange(0, 200)]
        texts.append(text.upper() if rng.random() < 0.2 else text)
    scan = Scan(PATTERNS, texts)
    assert scan.search().tolist() == expected(PATTERNS, texts)
    for limit in (0, 3, 17, 40):
        assert scan.search(limit=limit).tolist() == expected(PATTERNS, [t[:limit] for t in texts]), limit


TEXTS = [
    "", "Nee.", "NEE, dat deel ik niet.", "Wij zullen u NADER Informeren zodra", "Ja. Ik verwelkom dit.",
    "€ 5 miljoen", "İk zal u nader informeren", "ſteun ik ben ik bereid", "ı", "Kelvin: 5 K",
    "Het kabinet wacht de uitkomst af.", "Zie het antwoord op vraag 2.", "De minister heeft ingezet op ...",
]


@pytest.mark.parametrize("text", TEXTS)
def test_contains_equals_search_on_edge_cases(text):
    for t in (text, text[:10], text.upper(), text.title()):
        folded = Folded(t)
        assert [folded.contains(p) for p in PATTERNS] == [p.search(t) is not None for p in PATTERNS]


def test_search_many_equals_search_on_edge_cases(kernels):
    texts = [v for t in TEXTS for v in (t, t[:10], t.upper(), t.title())]
    assert search_many(PATTERNS, texts).tolist() == expected(PATTERNS, texts)


def test_contains_and_search_many_equal_search_on_real_answers(monkeypatch):
    path = DATA_DIR / "be_kamer_2017_qa.jsonl"
    if not path.is_file():
        pytest.skip(f"{path} is absent; set CLASSIFY_DATA_DIR to run this test on real answers")
    with open(path, encoding="utf-8") as handle:
        answers = [json.loads(line).get("answer") or "" for _, line in zip(range(300), handle, strict=False)]
    for answer in answers:
        folded = Folded(answer)
        assert [folded.contains(p) for p in PATTERNS] == [p.search(answer) is not None for p in PATTERNS]
    assert search_many(PATTERNS, answers).tolist() == expected(PATTERNS, answers)
    monkeypatch.setattr(_compiled, "_kernels", {})
    assert search_many(PATTERNS, answers).tolist() == expected(PATTERNS, answers)


def test_patterns_the_shortcut_cannot_take_fall_back():
    upper = re.compile(r"Steun", re.IGNORECASE)  # an uppercase pattern character
    micro = re.compile(r"µ", re.IGNORECASE)  # matches Greek mu case-insensitively; lowercasing would not
    plain = re.compile(r"steun")  # no IGNORECASE at all
    for p, text in ((upper, "STEUN"), (micro, "Μ"), (plain, "STEUN"), (plain, "steun")):
        assert Folded(text).contains(p) == (p.search(text) is not None)
    texts = ["STEUN", "Μ", "steun", "µ"]
    assert search_many([upper, micro, plain], texts).tolist() == expected([upper, micro, plain], texts)
