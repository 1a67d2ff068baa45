"""Find the questions and answers in a cleaned paragraph stream (see :mod:`classify._layout`).

A question starts at a marker: "Vraag 3" (also "Vraag3", "Vraag 3 (pagina 2)", "Vraag 3b", "Vraag 3 B"), or, in
documents without that word, a number at a sentence or line start ("3." / "3") that continues the
numbering and is followed by a question mark. Its answer starts at an "Antwoord" marker
("Antwoord", "Antwoord:", "Antwoord 3", "Antwoord op vraag 3 en 4", "Reactie van de Minister"). An answer marker that names
numbers gives its text to each of those questions; one without numbers belongs to the question
before it. Documents without answer markers (many Court of Audit answers) are split by
:func:`split_question`, unless they are questions as members or a committee put them ("Vragen van
het lid ...", a group's "Vragen en opmerkingen ...", a "LIJST VAN VRAGEN"): those have no answers yet.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# A numbered question may skip this many numbers (unanswered questions left out, typos).
MAX_NUMBER_JUMP = 12
# A numbered question must show its question mark within this many characters.
QUESTION_WINDOW = 700
# A numbered question may open with this many statements before its question mark.
MAX_PREAMBLE_SENTENCES = 2
# A follow-up question sentence ("Zo ja, waarom?") longer than this is not read as question.
MAX_FOLLOW_UP_CHARS = 500
# Documents where at least this share of questions has an "Antwoord" marker use markers only.
MARKER_SHARE = 0.5

GROUP_HEADING = re.compile(
    r"(?:Vragen en opmerkingen|Inbreng|Vragen) (?:van|vanuit) de leden van de "
    r"(?P<group>[\w'-]+-fractie|fractie van (?:de )?[\w'-]+|Groep [A-Z][\w'-]+|[\w'-]+ fractie)"
)
# Question words: a numbered paragraph opening with one is a question even when a footnote parts it
# from its "?", and a number between "Vraag 3" and one is a stray page or list number.
_ASKS = re.compile(
    r"(?:Wat|Welke?|Hoe(?:veel)?|Wanneer|Waar(?:om|door|op|in|mee|voor|van|aan|uit|bij|naar)?|Wie|Kan|Kunt|Klopt|Is|Zijn|"
    r"Heeft|Hebben|Deelt|Bent|Wordt|Worden|Zou|Zal|Acht|Ziet|Vindt|Op welke|In (?:hoeverre|welke))\b"
)
_VRAAG = re.compile(
    r"(?<![A-Za-z-])Vraa[gq] ?\.?(?P<num>\d{1,3}(?:[a-z]| [a-hA-H](?=\s+[A-Z][a-z]))?)\b(?![.,]\d)"
    r"(?:\s*(?:,|en|t/m|&)\s*\d{1,3}[a-z]?\b)*"
    r"(?:\s*\((?:pagina|pag\.|blz\.?|bladzijde|p\.)\s*[\d\s,–-]+\))?\s*[:.]?"
    rf"(?:(?<=\s)\d{{1,3}}(?=\s+{_ASKS.pattern}))?"  # a stray page or list number before a question word ("Vraag3 37 Op welke")
)
# Questions as members or a committee put them ("Vragen van het lid ..." heading the document, a
# group's "Vragen en opmerkingen van de leden van de PVV-fractie", a "LIJST VAN VRAGEN") are printed
# without answers until the reply, which marks them "Antwoord" or "Reactie van de Minister".
_QUESTIONS_PUT = re.compile(r"(?m)^\s*(?:Vragen (?:van|gesteld door) (?:het lid|de leden)\b|LIJST VAN VRAGEN\s*$)")
HEAD_CHARS = 2000  # how far into the document its kind is printed
# A committee's signature ends the text before it: "De voorzitter van de commissie, Kahraman".
_SIGNED = re.compile(r"(?m)^De (?:fungerend |waarnemend )?(?:voorzitter|griffier|adjunct-griffier) van de (?:vaste )?commissie,")
_NOT_A_MARKER = re.compile(r"\b(?:zie|op|bij|van|en|naar|in|met|de|uw|deze)\s+$", re.IGNORECASE)
_PAIRED = re.compile(r"\s*(?:,|en|&|t/m)\s*")  # between two markers of one heading: "Vraag 2 en Vraag 3"
_JOINED = re.compile(r"\?[»”\"’)]*\s+en\s+$")  # "...? en Vraag 3": asked together, not a reference
_NUMBERED = re.compile(
    r"(?:(?:^|(?<=[.?!:;)»”\"’] ))(?P<num>\d{1,3})(?:[.)] ?| )|(?<= )(?P<dotted>\d{1,3})\. )"
    r"(?=[A-Z«‘“\"'(])",
    re.MULTILINE,
)
_CITED = re.compile(r"\b(?:[Nn]o|[Nn]r|p|pp|blz|art|pag)\.\s*$")  # "Working Papers, No. 2. Paris": a citation, not question 2
_FIRST = re.compile(r"(?<= )1\.? (?=[A-Z«‘“\"(])")
_SENTENCE_END = re.compile(r"[.!] (?=[A-Z])")
_SINGLE_VRAAG = re.compile(r"(?<![A-Za-z-])Vraag:?(?= [A-Z])")
_ANTWOORD = re.compile(
    r"(?:^|(?<=[.?!:;)»”\"’\s]))(?:Antwoord|(?:(?<=[.?!] )|^)Reactie van (?:de|het) (?:[Mm]inister|[Ss]taatssecretaris|[Kk]abinet|[Rr]egering)\w*)"
    r"(?:\s+(?:op\s+)?(?:de\s+|uw\s+)?(?:vragen|vraag)?\s*(?P<nums>\d{1,3}[a-z]?"
    r"(?:\s*(?:,|en|t/m|tot en met|-|–)\s*\d{1,3}[a-z]?)*))?"
    r"\s*[:.]?(?=\s|$)(?!\s*(?:van|op vragen|aan|bij|op (?:deze|die|dit|zijn|haar|hun|(?:de|uw) vraag(?!\s*\d)|uw(?!\s+vragen?\s*\d)))\b)",
    re.MULTILINE,
)
_Q_END = re.compile(r"\?[»”\"’')\]]*(?=\s|$)")
_SENTENCE = re.compile(r"\S.*?[.?!][»”\"’')\]]*(?=\s+[A-Z0-9«‘“\"('\[]|\s*$)", re.S)
_PAGE_REF = re.compile(r"\((?:blz|bladzijde|pagina|pag|p)\.?\s*[^()]{1,200}\)\.?", re.IGNORECASE)
_FOLLOW_UP = re.compile(r"(?:Graag|Zo ja|Zo nee|Zo niet|Indien)\b[^?!]{0,150}[.?]$")
_REFERS = re.compile(r"vragen\s+(\d{1,3})\s*(?:,|en|t/m)\s*(\d{1,3})", re.IGNORECASE)


@dataclass
class Block:
    """One question found in the stream, with its answer (None when there is none)."""

    number: str
    start: int
    question: str
    answer: str | None = None


@dataclass
class _Marker:
    start: int
    end: int
    nums: list[str]
    joint: bool = False  # asked together with the question before ("...? en Vraag 3 ...")


def has_questions(stream: str) -> bool:
    """Tell whether the stream holds at least one question marker."""
    return bool(_question_markers(stream))


def segment(stream: str, paragraphs: bool = True) -> tuple[list[Block], list[str]]:
    """Return the question blocks of `stream` and descriptions of the blocks that were skipped.

    With `paragraphs` the stream's line breaks are paragraph breaks and are kept in the texts
    as blank lines; without, they are page cuts and are joined with a space.
    """
    tidy = _tidy_paragraphs if paragraphs else _tidy
    questions = _question_markers(stream)
    if not questions:
        return [], []
    ends = [m.start() for m in GROUP_HEADING.finditer(stream)] + [m.start() for m in _SIGNED.finditer(stream)] + [len(stream)]
    stops = []
    for i, q in enumerate(questions):
        nxt = questions[i + 1].start if i + 1 < len(questions) else len(stream)
        stops.append(min([nxt] + [e for e in ends if e > q.end]))
    answers = [
        _Marker(m.start(), m.end(), _numbers(m.group("nums")))
        for m in _ANTWOORD.finditer(stream)
    ]
    in_span = [[a for a in answers if q.end <= a.start < stop] for q, stop in zip(questions, stops, strict=True)]
    marker_mode = sum(bool(a) for a in in_span) >= MARKER_SHARE * len(questions)
    unanswered = not answers and bool(GROUP_HEADING.search(stream) or _QUESTIONS_PUT.search(stream[:HEAD_CHARS]))
    blocks, skipped, asked_with_next = [], [], []
    for i, (q, stop, own) in enumerate(zip(questions, stops, in_span, strict=True)):
        if own:
            body, answer = stream[q.end : own[0].start], None
        elif marker_mode or unanswered:  # no answer, or one marked elsewhere: nothing to split off
            body, answer = stream[q.end : stop], None
        else:
            body, answer = split_question(stream[q.end : stop], tidy)
        blocks.append(Block(q.nums[0], q.start, tidy(body) if body else "", answer))
        # without answer markers, a question with no text after it is answered with the next one
        alone = answer is None and not own and not marker_mode and not unanswered
        asked_with_next.append(i + 1 < len(questions) and (questions[i + 1].joint or alone))
    if marker_mode or any(in_span):
        skipped += _assign_answers(stream, questions, stops, answers, blocks, tidy)
    _share_referred_answers(blocks)
    _share_joint_answers(blocks, asked_with_next)
    kept = [b for b in blocks if b.question]
    skipped += [f"'Vraag {b.number}' without text" for b in blocks if not b.question]
    return kept, skipped


def split_question(text: str, tidy=None) -> tuple[str, str | None]:
    """Split a block without answer marker into question and answer.

    The question runs to its first question mark and takes in the sentences after it that are
    questions too ("Zo ja, waarom?"), page references ("(blz. 9)") or requests ("Graag een
    toelichting."). Without a question mark the first sentence is the question. `tidy` turns
    each part into its final form (default: whitespace collapsed).

    Examples
    --------
    >>> split_question("Kan dat? Zo ja, wanneer? (blz. 4) Ja, in mei. Zie ook vraag 2.")
    ('Kan dat? Zo ja, wanneer? (blz. 4)', 'Ja, in mei. Zie ook vraag 2.')
    """
    tidy = tidy or _tidy
    flat = text.replace("\n", " ")
    first = _Q_END.search(flat)
    if first is None:
        start = len(flat) - len(flat.lstrip())
        sentence = _SENTENCE.match(flat, start)
        end = sentence.end() if sentence else len(flat)
    else:
        end = first.end()
    while first is not None and end < len(flat):
        start = end + len(flat[end:]) - len(flat[end:].lstrip())
        sentence = _SENTENCE.match(flat, start) if start > end else None
        if sentence is None:
            break
        s = sentence.group()
        if (s.endswith("?") and len(s) <= MAX_FOLLOW_UP_CHARS) or _PAGE_REF.fullmatch(s) or _FOLLOW_UP.match(s):
            end = sentence.end()
            continue
        page_ref = _PAGE_REF.match(flat, start)
        if page_ref:
            end = page_ref.end()
            continue
        break
    return tidy(text[:end]), tidy(text[end:]) or None


def _question_markers(stream: str) -> list[_Marker]:
    found = []
    for m in _VRAAG.finditer(stream):
        before = stream[max(0, m.start() - 12) : m.start()].split("\n")[-1]
        number = m.group("num").replace(" ", "").lower()  # "Vraag 1 C" is question 1c
        joined = _JOINED.search(before)
        if found and _PAIRED.fullmatch(stream, found[-1].end, m.start()):  # "Vraag 2 (pagina 4) en Vraag 3": one heading
            found[-1].end = m.end()
        elif joined:  # the question before ends at its "?"
            found.append(_Marker(m.start() - len(before) + joined.start() + 1, m.end(), [number], joint=True))
        elif not _NOT_A_MARKER.search(before):
            found.append(_Marker(m.start(), m.end(), [number]))
    if found:
        return found
    found = _numbered_markers(stream)
    single = list(_SINGLE_VRAAG.finditer(stream))
    if not found and len(single) == 1:  # a letter answering one question: "Vraag Heeft ..."
        found = [_Marker(single[0].start(), single[0].end(), ["1"])]
    return found


def _numbered_markers(stream: str) -> list[_Marker]:
    candidates = [m for m in _NUMBERED.finditer(stream) if not _CITED.search(stream, max(0, m.start() - 8), m.start())]
    found: list[_Marker] = []
    previous, used = 0, set()
    for i, m in enumerate(candidates):
        number = int(m.group("num") or m.group("dotted"))
        # Numbers mostly rise, but some documents list unanswered questions first.
        if number in used or number > previous + MAX_NUMBER_JUMP or number == 0:
            continue
        following = candidates[i + 1].start() if i + 1 < len(candidates) else len(stream)
        window = stream[m.end() : min(following, m.end() + QUESTION_WINDOW)]
        preamble = len(_SENTENCE_END.findall(window.split("?")[0]))
        if "?" not in window or (preamble > MAX_PREAMBLE_SENTENCES and not _ASKS.match(window)):
            continue
        found.append(_Marker(m.start(), m.end(), [str(number)]))
        previous = max(previous, number)
        used.add(number)
    if len(found) == 1 and found[0].nums != ["1"]:  # one number and no list: a footnote ("10 Zoals bedoeld ..."), not question 10
        return []
    if found and found[0].nums == ["2"]:  # question 1 often follows a title without full stop
        first = [m for m in _FIRST.finditer(stream, 0, found[0].start) if "?" in stream[m.end() : found[0].start]]
        if first:
            found.insert(0, _Marker(first[-1].start(), first[-1].end(), ["1"]))
    return found


def _assign_answers(stream, questions, stops, answers, blocks, tidy) -> list[str]:
    """Give each answer marker's text to the question(s) it answers; return orphans."""
    skipped = []
    bounds = sorted({q.start for q in questions} | {a.start for a in answers} | set(stops))
    for a in answers:
        stop = next((b for b in bounds if b > a.start), len(stream))
        text = tidy(stream[a.end : stop]) or None
        before = [i for i, q in enumerate(questions) if q.end <= a.start]
        targets = [
            max((i for i in before if blocks[i].number == n), default=None) for n in a.nums
        ]
        targets = [t for t in targets if t is not None]
        if not targets and before and a.start < stops[before[-1]] and blocks[before[-1]].answer is None:
            targets = [before[-1]]
        if not targets and not a.nums and before and a.start < stops[before[-1]] and text:
            # an unnumbered "Antwoord" after the question's answer: the answer goes on (a letter's
            # pages each headed "Antwoord Algemene Rekenkamer bij vraag ..."), it is no stray block
            last = blocks[before[-1]]
            last.answer = last.answer + ("\n\n" if tidy is _tidy_paragraphs else " ") + text
            continue
        if not targets:
            skipped.append(f"'Antwoord{' ' + ' en '.join(a.nums) if a.nums else ''}' without question")
        for t in targets:
            if blocks[t].answer is None:
                blocks[t].answer = text
    return skipped


def _share_referred_answers(blocks: list[Block]) -> None:
    """An unanswered question followed by an answer to "vragen 7 en 8" shares that answer."""
    for block, nxt in zip(blocks, blocks[1:], strict=False):
        if block.answer is None and nxt.answer:
            m = _REFERS.search(nxt.answer[:200])
            if m and block.number in m.groups() and nxt.number in m.groups():
                block.answer = nxt.answer


def _share_joint_answers(blocks: list[Block], asked_with_next: list[bool]) -> None:
    """Questions asked together ("Vraag 7 ... Vraag 8 ... <answer>") share the answer that follows
    the last of them; a question is not given the answer of its own part ("Vraag 1" then "Vraag 1a")."""
    for i in reversed(range(len(blocks) - 1)):
        block, nxt = blocks[i], blocks[i + 1]
        if asked_with_next[i] and block.answer is None and nxt.answer and not re.fullmatch(rf"{block.number}[a-z]", nxt.number):
            block.answer = nxt.answer


def _numbers(raw: str | None) -> list[str]:
    if not raw:
        return []
    parts = re.split(r"\s*(t/m|tot en met|-|–)\s*", raw)
    if len(parts) == 3 and parts[0].isdigit() and parts[2].isdigit():
        return [str(n) for n in range(int(parts[0]), int(parts[2]) + 1)]
    return re.findall(r"\d{1,3}[a-z]?", raw)


def _tidy(text: str) -> str:
    return " ".join(text.split()).lstrip(" :.-–") if text else ""


def _tidy_paragraphs(text: str) -> str:
    paragraphs = (" ".join(p.split()) for p in text.split("\n"))
    return "\n\n".join(p for p in paragraphs if p).lstrip(" :.-–")
