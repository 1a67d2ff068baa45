"""Parse parliamentary documents (plain text) into question/answer records.

Three document families are read, all after the page clean-up of :mod:`classify._layout`:

1. *Verslag van een schriftelijk overleg* / *Lijst van vragen en antwoorden*: sections per
   parliamentary group ("Vragen en opmerkingen van de leden van de PVV-fractie"), questions
   "Vraag N" each followed by "Antwoord" or "Antwoord:".
2. Written questions with their answers (*Aanhangsel van de Handelingen*): a header naming the
   members, their party, the minister(s) and the subject, then "Vraag 1 ... Antwoord 1 ..." or
   "1. ... Antwoord: ...".
3. Answers of other bodies (the Court of Audit) to committee questions, often flattened by PDF
   extraction: "Vraag 1 ... <answer>" or "1 ... ? <answer>" with no answer marker at all; the
   question then ends with its last question sentence (see :func:`classify._segments.split_question`).

Record ids are ``f"{doc_id}#{number}"``; the document id is by default the one the document prints
(:func:`printed_id`), so a document gets the same ids under any file name. When a number occurs
twice in one document (two groups each numbering from 1), the later ones get a suffix in document
order: ``#1``, ``#1-2``, ``#1-3``.
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import json
import re
from pathlib import Path

from classify import _layout, _segments
from classify.errors import DataError, DocumentError, ParseWarning, warn
from classify.record import Record

__all__ = ["parse", "looks_like_document", "looks_like_table", "printed_id"]

# How much of the document's start is read for its header (dossier number, date, addressee).
HEADER_CHARS = 3000

_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        "januari februari maart april mei juni juli augustus september oktober november december".split()
    )
}
_DATE = r"(\d{1,2})\s+(" + "|".join(_MONTHS) + r")\s+(\d{4})"
_DATE_LABELS = [
    rf"Vastgesteld\s+{_DATE}",
    rf"\(ontvangen\s+{_DATE}\)",
    rf"\bD ?A ?T ?U ?M\s+{_DATE}",  # also letter-spaced, as Court of Audit letters print it
    rf"Den Haag,?\s+{_DATE}",
]
_DOSSIER = re.compile(r"(?m)^(\d{2} ?\d{3}(?:-[A-Z0-9]+)?(?: [A-Z]{1,4})?)$")
_DOSSIER_NR = re.compile(r"(?m)^Nr\. ?(\d+)$")
# The same head with its line breaks lost in extraction: "Vergaderjaar 2025–2026 21 501-28 Defensieraad Nr. 300 VERSLAG ..."
_FLAT_KAMERSTUK = re.compile(
    r"Vergaderjaar \d{4} ?[-–] ?\d{4} (?P<dossier>\d{2} ?\d{3}(?:-[A-Z0-9]+)?(?: [A-Z]{1,4})?) (?P<title>\S.{0,200}?) Nr\. ?(?P<nr>\d+)\b"
)
_AANHANGSEL_NR = re.compile(r"(?s)Aanhangsel van de Handelingen.{0,300}?Vergaderjaar (\d{4})\s*[-–]\s*(\d{4})\s*\n(\d{1,5})\n")
_ASKED_BY = re.compile(
    r"[Vv]ragen (?:van|gesteld door) (?:het lid|de leden) (?P<who>.+?) aan de (?P<to>.+?) over (?P<subject>.+?)"
    r"(?:\s*\(ingezonden\b|\.\s*\n|\n)",
    re.S,
)
_ANSWER_ON = re.compile(
    r"Antwoord op vragen van (?:het lid|de leden) (?P<who>.+?) over (?P<subject>.+?)(?:\.\s*\n|\n|$)"
)
_SHARED_PARTY = re.compile(r"([^()]+?)\s*\((?:beiden|beide|allen)\s+([^)]+)\)")  # several members, one party
_MEMBER = re.compile(r"([A-Z][\w'’.-]*(?:\s+(?:van|der|de|den|ter|ten|el|Van|Der|De|Den)\b)*(?:\s+[A-Z][\w'’-]*)*)\s*\(([^)]+)\)")
_ANSWERED_BY = [
    re.compile(r"Antwoord van (?P<role>minister|staatssecretaris|Minister|Staatssecretaris) [\w .'’-]+? \((?P<dept>[^)]+)\)"),
    re.compile(
        r"(?:voorgelegd|gesteld) aan de "
        r"(?P<who>(?:Minister|Staatssecretaris|minister|staatssecretaris) (?:van|voor) [\w ,-]+?)(?: over\b|[.,\n])"
    ),
    re.compile(r"(?P<who>Algemene Rekenkamer)"),
]
_SUBJECT_LINE = re.compile(r"(?m)^Nr\. ?\d+$")
# Where a Kamerstuk begins: its "Vergaderjaar 2025–2026" line, then (blank lines between) the dossier number.
_HEAD = re.compile(r"(?m)^[ \t]*Vergaderjaar \d{4} ?[-–] ?\d{4}[ \t]*\n(?:[ \t]*\n)*[ \t]*\d{2} ?\d{3}\b")
_BETREFT = re.compile(r"\bB ?E ?T ?R ?E ?F ?T:?\s+(.{10,200}?)(?=\s+(?:Geachte|UW KENMERK|U W|ONS|ons kenmerk|\d+/\d+)\b|\n)", re.I)


def parse(text: str, doc_id: str | None = None, *, source: str | None = None) -> list[Record]:
    """Split a parliamentary document into question/answer records.

    Parameters
    ----------
    text : str
        The document as plain text (from PDF, HTML or DOCX; flattened whitespace is fine).
    doc_id : str, optional
        Document id used in record ids. Default: the id printed in the header (:func:`printed_id`),
        else ``"doc-<sha1 of the text, 10 hex digits>"``.
    source : str, optional
        File name, used only in error and warning messages.

    Returns
    -------
    list of Record
        One record per question in document order; ``answer`` is None where none was given. A
        text that joins several Kamerstukken (each with its "Vergaderjaar" head and number) gives
        each document's records with that document's printed id, date and subject (``doc_id``
        cannot name several documents and is not used then).

    Raises
    ------
    DocumentError
        When no question can be found.

    Warns
    -----
    ParseWarning
        When some question or answer blocks were found but could not be used.

    Examples
    --------
    >>> doc = "Vraag 1\\n\\nKomt er een leger?\\n\\nAntwoord\\n\\nNee.\\n\\nVraag 2\\n\\nWaarom niet?\\n"
    >>> [(r.id, r.question, r.answer) for r in parse(doc, "d")]
    [('d#1', 'Komt er een leger?', 'Nee.'), ('d#2', 'Waarom niet?', None)]
    """
    name = source or "<text>"
    if not isinstance(text, str):
        fix = "decode it first: data.decode('utf-8')" if isinstance(text, (bytes, bytearray)) else "pass the document's text (str)"
        raise DataError(f"{name}: the document is {type(text).__name__}, not text; {fix}.")
    if "\n" not in text and len(text) < 1000 and text.strip().lower().endswith((".txt", ".gz")) and Path(text.strip()).is_file():
        raise DataError(f"{name}: {text.strip()!r} is a file name, not a document's text; parse its text: "
                        f"classify.parse(open({text.strip()!r}, encoding='utf-8').read()).")
    if not text.strip():
        raise DocumentError(f"{name}: the document is empty; check that its text was extracted or downloaded completely.")
    text = _layout.normalize(text)
    parts = _documents(text)
    if len(parts) > 1:  # several Kamerstukken in one text (files joined with cat): each with its own id and header
        return _parse_each(parts, name)
    stream = _layout.clean(text)
    blocks, skipped = _segments.segment(stream, paragraphs=not _layout.is_flat(text))
    if not blocks:
        raise DocumentError(
            f"{name}: no questions found; expected 'Vraag 1 ... Antwoord' or '1. ... Antwoord:' "
            "numbered questions (as in a Verslag van een schriftelijk overleg, an Aanhangsel van "
            "de Handelingen or a Beantwoording Kamervragen)."
        )
    if skipped:
        warn(
            f"{name}: skipped {len(skipped)} of {len(blocks) + len(skipped)} question/answer blocks "
            f"({', '.join(skipped[:5])}{', ...' if len(skipped) > 5 else ''}); kept {len(blocks)}.",
            ParseWarning,
        )
    header = text[:HEADER_CHARS]
    doc_id = doc_id or printed_id(text) or "doc-" + hashlib.sha1(text.encode("utf-8")).hexdigest()[:10]
    meta = {
        "date": _date(header),
        "answered_by": _answered_by(header),
        "subject": _subject(header, stream),
        "document": doc_id,
    }
    members, party = _members(header)
    headings = [(m.start(), _group_name(m.group("group"))) for m in _segments.GROUP_HEADING.finditer(stream)]
    records, seen = [], {}
    for block in blocks:
        asking = party if party and "," not in party else None
        group = next((g for pos, g in reversed(headings) if pos < block.start), asking)
        seen[block.number] = seen.get(block.number, 0) + 1
        suffix = "" if seen[block.number] == 1 else f"-{seen[block.number]}"
        records.append(
            Record(
                id=f"{doc_id}#{block.number}{suffix}",
                question=block.question,
                answer=block.answer,
                number=block.number,
                group=group,
                party=party if party else (group if group and not group.startswith("Groep ") else None),
                members=list(members),
                **meta,
            )
        )
    return records


def _documents(text: str) -> list[str]:
    """The documents of a text that joins several, each from its head on; [text] for one."""
    starts = [m.start() for m in _HEAD.finditer(text)]
    if len(starts) < 2:
        return [text]
    parts = [text[a:b] for a, b in zip([0, *starts[1:]], [*starts[1:], len(text)], strict=True)]
    ids = [printed_id(part) for part in parts]
    return parts if all(ids) and len(set(ids)) == len(ids) else [text]


def _parse_each(parts: list[str], name: str) -> list[Record]:
    records = []
    for part in parts:
        doc_id = printed_id(part)
        try:
            records += parse(part, source=f"{name} ({doc_id})")
        except DocumentError as exc:  # one document without questions: the others are kept
            warn(str(exc), ParseWarning)
    if not records:
        raise DocumentError(f"{name}: no questions found in any of its {len(parts)} documents.")
    return records


def looks_like_document(text: str) -> bool:
    """Tell a parliamentary document from a JSONL or CSV data file by its content.

    Examples
    --------
    >>> looks_like_document('{"id": "a", "question": "Vraag 1?"}\\n')
    False
    >>> looks_like_document("Vraag 1\\nKomt er een leger?\\nAntwoord\\nNee.")
    True
    """
    head = text.lstrip("\ufeff \n\r\t")[:20000]
    if not head:
        return False
    first = head.split("\n", 1)[0].strip()
    if first[:1] in "[{":
        try:
            json.loads(first)
            return False
        except ValueError:
            if first.startswith("[") and head.rstrip().endswith("]"):
                return False
    if looks_like_table(text):
        return False
    stream = _layout.clean(_layout.normalize(head))
    return _segments.has_questions(stream)


def looks_like_table(text: str) -> bool:
    """CSV or TSV: a header line of two or more fields, and the next records (up to 20; a quoted
    field may span lines, as a question with paragraphs does) with as many fields each.

    Examples
    --------
    >>> looks_like_table('id;question\\nk1;"Steun?\\n\\nVraag 2: en munitie?"\\n')
    True
    >>> looks_like_table("Vraag 1\\nKomt er een leger, en wanneer?\\nAntwoord\\nNee.")
    False
    """
    text = text.lstrip("\ufeff \n\r\t")
    first = text.split("\n", 1)[0]
    for sep in (",", ";", "\t"):
        if sep not in first or len(first) > 1000:  # a header names columns; a document's first line is prose
            continue
        rows = [row for row in itertools.islice(csv.reader(io.StringIO(text), delimiter=sep), 21) if row]
        if len(rows) >= 2 and all(len(row) == len(rows[0]) for row in rows[1:]):
            return True
    return False


def printed_id(text: str) -> str | None:
    """The id a document prints in its header, or None.

    ``"kst-<dossier>-<nr>"`` for a Kamerstuk ("21 501-28" ... "Nr. 300" -> ``kst-21501-28-300``),
    ``"ah-tk-<year><year>-<nr>"`` for an Aanhangsel van de Handelingen.

    Examples
    --------
    >>> printed_id("Vergaderjaar 2025-2026\\n\\n21 501-28\\n\\nDefensieraad\\n\\nNr. 300\\n")
    'kst-21501-28-300'
    >>> printed_id("21 501-28\\r\\n\\r\\nDefensieraad\\r\\n\\r\\nNr. 300\\r\\n")
    'kst-21501-28-300'
    >>> printed_id("Vergaderjaar 2025–2026 21 501-28 Defensieraad Nr. 300 VERSLAG VAN EEN SCHRIFTELIJK OVERLEG")
    'kst-21501-28-300'
    >>> printed_id("Een brief zonder nummer.") is None
    True
    """
    text = _layout.normalize(text[:1600])  # Windows line ends, a BOM, no-break spaces
    head = text[:800]
    dossier, nr = _DOSSIER.search(head), _DOSSIER_NR.search(head)
    flat = _FLAT_KAMERSTUK.search(" ".join(head.split()))
    if (dossier and nr) or flat:
        dossier, nr = (dossier.group(1), nr.group(1)) if dossier and nr else (flat.group("dossier"), flat.group("nr"))
        return f"kst-{dossier.replace(' ', '', 1).replace(' ', '-')}-{nr}"
    aanhangsel = _AANHANGSEL_NR.search(text[:1500])
    if aanhangsel:
        return f"ah-tk-{aanhangsel.group(1)}{aanhangsel.group(2)}-{aanhangsel.group(3)}"
    return None


def _date(header: str) -> str | None:
    for label in _DATE_LABELS:
        m = re.search(label, header, re.IGNORECASE)
        if m:
            day, month, year = m.groups()
            return f"{year}-{_MONTHS[month.lower()]:02d}-{int(day):02d}"
    return None


def _answered_by(header: str) -> str | None:
    for pattern in _ANSWERED_BY:
        m = pattern.search(header)
        if m and "dept" in pattern.groupindex:
            return f"{m.group('role').capitalize()} van {m.group('dept')}"
        if m:
            who = " ".join(m.group("who").split())
            return who[0].upper() + who[1:]
    return None


def _subject(header: str, stream: str) -> str | None:
    asked = _ASKED_BY.search(header) or _ANSWER_ON.search(header)
    if asked:
        return " ".join(asked.group("subject").split()).rstrip(".")
    nr = _SUBJECT_LINE.search(header)
    if nr:  # Kamerstuk layout: dossier number, dossier title, "Nr. 300"
        before = [ln.strip() for ln in header[: nr.start()].split("\n") if ln.strip()]
        if len(before) >= 2 and _DOSSIER.match(before[-2]):
            return before[-1]
    flat = _FLAT_KAMERSTUK.search(" ".join(header[:800].split()))
    if flat:
        return flat.group("title")
    betreft = _BETREFT.search(stream[:HEADER_CHARS])
    return re.sub(r"^Betreft:?\s+", "", " ".join(betreft.group(1).split()), flags=re.I) if betreft else None  # "B E T R E F T Betreft ..."


def _members(header: str) -> tuple[list[str], str | None]:
    asked = _ASKED_BY.search(header) or _ANSWER_ON.search(header)
    if not asked:
        return [], None
    found = _MEMBER.findall(_SHARED_PARTY.sub(_each_with_party, asked.group("who")))
    names = [re.sub(r"^(?:en|het lid|de leden)\s+", "", n).strip() for n, _ in found]
    parties = list(dict.fromkeys(p.strip() for _, p in found))
    return names, ", ".join(parties) or None


def _each_with_party(shared: re.Match) -> str:
    """'Mutluer en Lahlah (beiden GroenLinks-PvdA)' -> 'Mutluer (GroenLinks-PvdA), Lahlah (GroenLinks-PvdA)'."""
    names = [n for n in re.split(r"\s*,\s*|\s+en\s+", shared.group(1).strip()) if n and n != "en"]
    return ", ".join(f"{name} ({shared.group(2).strip()})" for name in names)


def _group_name(raw: str) -> str:
    """'PVV-fractie' -> 'PVV'; 'fractie van GroenLinks-PvdA' -> 'GroenLinks-PvdA'; 'Groep X' kept."""
    raw = re.sub(r"^fractie van (?:de )?", "", raw)
    return re.sub(r"[- ]fractie$", "", raw)
