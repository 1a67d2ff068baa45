"""Page layout clean-up for parliamentary documents: the part of parsing that undoes the PDF.

Text extracted from PDF, HTML or DOCX carries the page with it: running headers and footers,
page numbers ("3/9"), footnote markers glued to words ("vragen1"), emphasis markers
(``*space*``) and sentences cut in two by a page break. :func:`clean` turns such text into a
*stream*: one paragraph per line, whitespace collapsed, page furniture removed, so that the
question/answer markers in :mod:`classify.documents` can be found with plain regular expressions.

Two layouts exist in practice and are told apart by :func:`is_flat`:

- *line-based* text (the Kamerstuk PDFs, DOCX exports): paragraphs separated by blank lines;
  a page break shows as a paragraph that stops mid-sentence and one that starts in lower case.
- *flat* text (older PDF extractions): all whitespace collapsed, no reliable line breaks; page
  headers and page numbers sit in the middle of sentences. Page furniture is replaced by a line
  break, which later code treats as a possible boundary and then joins back with a space.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections import Counter

# A text with fewer line breaks than one per this many characters has lost its layout.
FLAT_CHARS_PER_NEWLINE = 400
# Running headers are word runs repeated on several pages; shorter repeats are ordinary prose.
HEADER_MIN_WORDS = 10
HEADER_NGRAM = 5
# A repeated run counts as a header only this close (in words) to a page number, and only when
# it names the document ("Antwoorden Algemene Rekenkamer ...", "Beantwoording vragen ..."):
# questions are often echoed word for word in their answers and must survive.
HEADER_PAGE_DISTANCE = 40

_TERMINAL = ".?!:;»”\"’)"
_EMPHASIS = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]{1,80}?)(?<=\S)\*(?![\w*])")
_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_PAGE_NUMBER = re.compile(r"(?<!\S)(\d{1,2}) ?/ ?(\d{1,2})(?=\s|$|[A-Z])")
_FOOTER_LINE = re.compile(
    r"^(?:Tweede|Eerste) Kamer,? vergaderjaar \d{4}\s*[-–]\s*\d{4},?.{0,40}?(?:nr\.?\s*\d+)?\s*\d*$",
    re.IGNORECASE,
)
# A word hyphenated at a line end ("defen-\nsie", "MFK-\nfinanciering"), and what may follow a
# hyphen that stays with its space ("Noord- en Zuid-Holland", "defensie- of veiligheidsbeleid").
_LINE_END_HYPHEN = re.compile(r"(\w+)-[ \t]*\n[ \t]*(\w+)")
_ELIDED = frozenset({"en", "of", "tot", "noch", "als", "dan"})
_VOWELS = frozenset("aeiouyáéíóúàèëïöüâêîôû")
_WORD = re.compile(r"\w+(?:-\w+)*")
_CUT_WORD = re.compile(r"(\w+)-$")
_HEADER_WORD = re.compile(r"antwoorden|beantwoording|vergaderjaar")  # not the verb "beantwoorden" of a stock answer
_MARKER_LINE = re.compile(r"^(?:Vraag|Antwoord|Vragen)\b")
_LONE_NUMBER = re.compile(r"^\d{1,3}$")
# Footnote markers glued to a word ("vragen1", "auto's1") or to a full stop ("Klimaatakkoord.2").
# Lower-case words only, so that "CO2", "F35" and "CV90's" are left alone, and not the
# question marker "Vraag3" (OCR of "Vraag 3").
_GLUED_FOOTNOTE = re.compile(r"(?<=[a-zë’'][a-zé]{2})(?<!Vraa[gq])\d{1,2}(?=[\s,.;:)]|$)")
_DOTTED_FOOTNOTE = re.compile(r"(?<=[a-z]{4}[.,?])\d{1,2}(?=\s+[A-Z]|\s*$)")
_QUESTION_FOOTNOTE = re.compile(r"(?:(?<=[?!])|(?<=[?!][»”’\"']))\d{1,2}(?=\s|$)")
_FOOTNOTE_MARKERS = (_GLUED_FOOTNOTE, _DOTTED_FOOTNOTE, _QUESTION_FOOTNOTE)
# Footnotes at a page's foot in flat text: a marker's number, then a source ("Algemene Rekenkamer
# (2019). ...", "Tweede Kamer, ...", a URL), all within this many characters before the page number.
FOOTNOTE_CHARS = 1200
_NOTE_START = re.compile(r"(?<![\w,.:/-])(\d{1,2}) (?=[A-Z‘“'\"]|https?:)")
# Each footnote cites a source, and the last one ends the page: text that runs on after it is the
# page's own text, which the extraction put after the footnotes.
_SOURCE = re.compile(
    r"\((?:19|20)\d\d\)|(?:19|20)\d\d[,;]|, ?(?:19|20)\d\d\b|https?:|www\.|\bnrs?\.|\bIbid\b|Kamerstuk|[Vv]ergaderjaar|Staatsblad|Staatscourant|"
    r"Den Haag|\b(?:p|pp|blz|pagina)\.? ?\d"
)  # a source as footnotes cite it: "(2019)", "2019,", a URL, "nr. 60", "vergaderjaar", "p. 12" (not a bare "in 2023")
_NOTE_END = re.compile(r"(?:[.)\d]|\S/\S*)$")
_SPECK = re.compile(r"[^\w]+|[.,]\d{1,2}")  # OCR specks ("..,", "•") and stray footnote marks (".1") between words
_NOT_A_NOTE = re.compile(r"\?|\b(?:Vraa[gq] ?\d|Antwoord\b)")  # questions and markers are never footnotes
# Boilerplate footnotes of the Court of Audit's answer documents (several wordings, OCR'd spellings).
_BOILERPLATE = re.compile(
    r"\d?\s*De vra(?:ag|gen)(?: van de Tweede Kamer)? (?:is|zijn) hier exact weergegeven.{0,160}?n\S{2,4}s veranderd[.,]",
    re.IGNORECASE,
)


def normalize(text: str) -> str:
    """Return `text` in NFC with uniform line ends, plain spaces and emphasis markers removed.

    Examples
    --------
    >>> normalize("op het gebied van *space*,\\r\\nals ook")
    'op het gebied van space,\\nals ook'
    """
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n\n")
    text = _ZERO_WIDTH.sub("", text)
    text = re.sub(r"[\u00a0\u2007\u202f\t]", " ", text)
    return _dehyphenate(_EMPHASIS.sub(r"\1", text))


def _dehyphenate(text: str) -> str:
    """Join words hyphenated at a line end, as pdftotext leaves them: without the hyphen where the
    word is written so elsewhere in the text or nothing says otherwise ("defen-\\nsie" -> "defensie"),
    with it where the text writes it so, where two vowels meet ("defensie-\\nindustrie": Dutch
    writes "defensie-industrie") or a capital or digit is involved ("MFK-\\nfinanciering").

    Examples
    --------
    >>> _dehyphenate("de schaduw-\\nvloot en de defensie-\\nindustrie, Noord-\\nen Zuid-Holland")
    'de schaduwvloot en de defensie-industrie, Noord- en Zuid-Holland'
    """
    if "-" not in text or not _LINE_END_HYPHEN.search(text):
        return text
    words = {w.lower() for w in _WORD.findall(text)}
    return _LINE_END_HYPHEN.sub(lambda m: _rejoined(m.group(1), m.group(2), words), text)


def _rejoined(left: str, right: str, words: set[str]) -> str:
    """``left-`` and ``right``, parts of one word cut at a line or page end, as :func:`_dehyphenate` joins them."""
    if right in _ELIDED:
        return f"{left}- {right}"
    whole, kept = left + right, f"{left}-{right}"
    if not (left[-1].islower() and right[0].islower()) or kept.lower() in words and whole.lower() not in words:
        return kept
    if whole.lower() in words or not (left[-1] in _VOWELS and right[0] in _VOWELS):
        return whole
    return kept


def is_flat(text: str) -> bool:
    """Tell whether `text` lost its line breaks in extraction (see the module docstring)."""
    return text.count("\n") * FLAT_CHARS_PER_NEWLINE < len(text.strip())


def clean(text: str) -> str:
    """Return the paragraph stream of a normalized document: one paragraph per line.

    Examples
    --------
    >>> clean("Vraag 1\\n\\nIs de veiligheid in Europa\\n\\n4\\n\\nin gevaar?\\n")
    'Vraag 1\\nIs de veiligheid in Europa in gevaar?'
    """
    notes = {m.group() for r in _FOOTNOTE_MARKERS for m in r.finditer(text)}
    for pattern in _FOOTNOTE_MARKERS:
        text = pattern.sub("", text)
    return _clean_flat(text, notes) if is_flat(text) else _clean_lines(text, notes)


def _clean_lines(text: str, notes: set[str]) -> str:
    blocks = [" ".join(b.split()) for b in re.split(r"\n\s*\n", text)]
    if len(blocks) < 3:  # no blank lines at all: every line is a paragraph
        blocks = [" ".join(line.split()) for line in text.split("\n")]
    blocks = [b for b in blocks if b and not _FOOTER_LINE.match(b) and not _is_footnote(b, notes)]
    blocks = _drop_running_lines(blocks)
    merged: list[str] = []
    i, words = 0, None
    while i < len(blocks):
        block = blocks[i]
        # A page break: this block stops mid-sentence and a later one (past page numbers)
        # continues it in lower case.
        j = i + 1
        while j < len(blocks) and _LONE_NUMBER.match(blocks[j]):
            j += 1
        if (
            j < len(blocks)
            and not block.endswith(tuple(_TERMINAL))
            and blocks[j][:1].islower()
            and len(block.split()) >= 3
            and not _MARKER_LINE.match(block)
        ):
            cut = _CUT_WORD.search(block)  # a word hyphenated across the page break too
            first = blocks[j].split(" ", 1)
            if cut and first[0].isalpha():
                words = words if words is not None else {w.lower() for w in _WORD.findall(text)}
                blocks[j] = " ".join([block[: cut.start()] + _rejoined(cut.group(1), first[0], words), *first[1:]])
            else:
                blocks[j] = f"{block} {blocks[j]}"
            i = j
            continue
        merged.append(block)
        i += 1
    return "\n".join(merged)


def _is_footnote(block: str, notes: set[str]) -> bool:
    """A paragraph "1 Dagblad ..., 12 januari 2026." whose number was a footnote marker."""
    number, _, rest = block.partition(" ")
    return number in notes and rest[:1].isupper() and "?" not in rest and len(rest) < 300


def _drop_running_lines(blocks: list[str]) -> list[str]:
    """Drop short lines that recur with only their page number changed (running headers)."""
    shape = [re.sub(r"\d+", "#", b) for b in blocks]
    counts = Counter(
        s for s, b in zip(shape, blocks, strict=True) if "#" in s and 15 <= len(b) < 120 and not _MARKER_LINE.match(b)
    )
    return [b for s, b in zip(shape, blocks, strict=True) if counts.get(s, 0) < 3]


def _clean_flat(text: str, notes: set[str]) -> str:
    text = " ".join(text.split())
    text = _BOILERPLATE.sub(" ", text)
    pages = [m for m in _PAGE_NUMBER.finditer(text) if int(m.group(1)) <= int(m.group(2))]
    totals = Counter(m.group(2) for m in pages)
    if totals:
        total, count = totals.most_common(1)[0]
        pages = [m for m in pages if m.group(2) == total] if count > 1 else pages
    else:
        pages = []
    cuts = [(m.start(), m.end()) for m in pages]
    cuts += _running_headers(text, [m.start() for m in pages])
    cuts += _page_footnotes(text, pages, notes)
    return _cut(text, cuts)


def _page_footnotes(text: str, pages: list[re.Match], notes: set[str]) -> list[tuple[int, int]]:
    """Spans of the footnotes printed at a page's foot, just before its page number: "... niet?
    1 Algemene Rekenkamer (2019). Brief aan ... 2 Wet fiscale maatregelen ...; Staatsblad 2019, 511. 3/7".
    A footnote starts with a number that was cut from the text as a footnote marker and names a
    source ("(2019)", a URL, "nr. 60": not a bare "in 2023"); the numbers of one page's footnotes
    run on (1, 2, 3) up to the page number."""
    spans, after = [], 0
    for page in pages:
        starts = [
            m for m in _NOTE_START.finditer(text, max(after, page.start() - FOOTNOTE_CHARS), page.start()) if m.group(1) in notes
        ]
        for k, first in enumerate(starts):
            numbers = [int(m.group(1)) for m in starts[k:]]
            bounds = [m.start() for m in starts[k:]] + [page.start()]
            notes_text = [text[a:b].strip() for a, b in itertools.pairwise(bounds)]
            if (
                numbers == list(range(numbers[0], numbers[0] + len(numbers)))
                and all(_SOURCE.search(note) and not _NOT_A_NOTE.search(note) for note in notes_text)
                and _NOTE_END.search(notes_text[-1])
            ):
                spans.append((first.start(), page.start()))
                break
        after = page.end()
    return spans


def _running_headers(text: str, page_marks: list[int]) -> list[tuple[int, int]]:
    """Spans of word runs repeated across pages (running headers), see HEADER_* constants."""
    words = [(m.start(), m.end(), re.sub(r"\W", "", m.group().lower())) for m in re.finditer(r"\S+", text)]
    n = HEADER_NGRAM
    grams = [tuple(w[2] for w in words[i : i + n]) for i in range(len(words) - n + 1)]
    counts = Counter(grams)
    repeated = [0] * len(words)
    for i, gram in enumerate(grams):
        c = counts[gram]
        if c >= 2:
            for k in range(i, i + n):
                repeated[k] = max(repeated[k], c)
    for k, w in enumerate(words):  # question and answer markers are never part of a header
        if _is_marker(w[2]):
            repeated[k] = 0
    mark_words = [sum(1 for s, _, _ in words if s < p) for p in page_marks]
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(words):
        if not repeated[i]:
            i += 1
            continue
        j = i
        while j < len(words) and repeated[j]:
            j += 1
        near = any(i - HEADER_PAGE_DISTANCE <= w <= j + HEADER_PAGE_DISTANCE for w in mark_words)
        title = next((k for k in range(i, j) if _HEADER_WORD.fullmatch(words[k][2])), None)
        if j - i >= HEADER_MIN_WORDS and near and title is not None:
            spans.append((words[_header_start(text, words, i, title)][0], words[j - 1][1]))
        i = j
    return spans


def _header_start(text: str, words: list, run_start: int, title: int) -> int:
    """Where a running header begins within a repeated run ending in it: at its title word when a
    sentence ends before it (OCR specks such as "..," or "•" in between), for that sentence is
    prose repeated elsewhere (a question echoed in its answer, a stock answer); else at the run's start."""
    k = title
    while k > run_start and _SPECK.fullmatch(text[words[k - 1][0] : words[k - 1][1]]):
        k -= 1
    ended = k > run_start and text[words[k - 1][1] - 1] in ".?!"
    return k if ended and not _always_before(text, words, run_start, k, title) else run_start


def _always_before(text: str, words: list, a: int, b: int, title: int) -> bool:
    """Whether the words ``a:b`` (as printed) occur more than once and are followed by the title word
    wherever they do: then they are the header's own first words ("Algemene Rekenkamer. Beantwoording
    vragen ..."), not a repeated sentence."""
    raw = [text[w[0] : w[1]] for w in words]
    sequence, n = raw[a:b], b - a
    follows = [words[i + n][2] if i + n < len(words) else None for i in range(len(words) - n + 1)
               if raw[i] == sequence[0] and raw[i : i + n] == sequence]
    return len(follows) > 1 and all(word == words[title][2] for word in follows)


def _is_marker(word: str) -> bool:
    return bool(re.fullmatch(r"vraa[gq]\d*|antwoord", word))


def _cut(text: str, spans: list[tuple[int, int]]) -> str:
    """Replace each span of `text` by a line break (overlapping spans merged)."""
    out, pos = [], 0
    for start, end in sorted(spans):
        if end <= pos:
            continue
        out.append(text[pos : max(start, pos)])
        out.append("\n")
        pos = end
    out.append(text[pos:])
    lines = (" ".join(line.split()) for line in "".join(out).split("\n"))
    return "\n".join(line for line in lines if line)
