"""Annotations: validated training records, their fingerprint, and hydration of id-only files."""

from __future__ import annotations

import ast
import hashlib
import json
import numbers
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from classify.errors import ClassifyWarning, DataError, InputNotFoundError, LabelWarning, SchemaError, warn
from classify.record import is_missing
from classify.schema import LabelSchema, check_label, label_text

SCHEMA_FIX = "Fix the label, or add it to the schema file."
MODEL_SCHEMA_FIX = (
    "The model was trained with another label schema: fix the label, evaluate a model trained with these labels, or score "
    "labels the model does not know as missed (classify evaluate --unknown-labels miss; unknown_labels=\"miss\" in Python)."
)
BASE_SCHEMA_FIX = (
    "train --base keeps the base model's labels: fix the label, or train from scratch with a schema that lists it "
    "(classify train ALL_ANNOTATIONS... --schema FILE --out DIR)."
)


@dataclass(frozen=True)
class Fields:
    """Names of the columns that hold each part of a record (``--question-field`` etc.)."""

    id: str = "id"
    question: str = "question"
    answer: str = "answer"
    topics: str = "topics"
    stance: str = "stance"

    def lift(self, row: dict) -> dict:
        """``row`` with the value of each dotted name (``meta.theme_main``) it does not hold as a field
        itself but nested (``{"meta": {"theme_main": ...}}``, as JSONL and Parquet structs nest them)
        added under that name; ``row`` itself where no name is dotted (the usual case).

        >>> Fields(topics="meta.theme_main").lift({"id": "1", "meta": {"theme_main": "DEFENSIEBELEID"}})["meta.theme_main"]
        'DEFENSIEBELEID'
        """
        dotted = [name for name in (self.id, self.question, self.answer, self.topics, self.stance) if "." in name and name not in row]
        if not dotted:
            return row
        row = dict(row)
        for name in dotted:
            value = row
            for part in name.split("."):
                if not isinstance(value, dict) or part not in value:
                    break
                value = value[part]
            else:
                row[name] = value
        return row


def id_key(value) -> str | None:
    """A record's id as annotations and a model's manifest keep it: a string, or a whole number
    (numpy's too: a pandas id column) as text; None for a missing id or one of another type.

    >>> id_key(17), id_key("kst-1#2"), id_key(True), id_key(None)
    ('17', 'kst-1#2', None, None)
    """
    if isinstance(value, bool) or not isinstance(value, (str, numbers.Integral)) or value == "":
        return None
    return str(value).encode("utf-8", "replace").decode("utf-8")  # lone surrogates -> '?', as labelling reads texts


_WHITESPACE = b" \t\n\r\x0b\x0c"
_SPACES = re.compile(r"\s+")


_canonical = None


def _key_text(text: str) -> bytes:
    """``text`` as the keys below read it: as the model reads it (:func:`classify.fitted.canonical`:
    NFC, no invisible characters), without NUL, whitespace or case."""
    global _canonical
    if _canonical is None:  # fitted imports numpy: not at this module's import (the CLI's start-up)
        from classify.fitted import canonical as _canonical
    text = _canonical(text.replace("\x00", "") if "\x00" in text else text)
    if text.isascii():  # the fast path (bytes.translate): ~4 microseconds for a 1,300-character question
        return text.lower().encode("ascii").translate(None, _WHITESPACE)
    return _SPACES.sub("", text).casefold().encode("utf-8", "replace")


def text_key(question, answer=None) -> str | None:
    """A record's text as a model's manifest keeps it, to recognise its training records under other
    ids (another export of the same questions): 16 hex digits of the sha256 of the question (and,
    where given, the answer) read as the model reads them, without whitespace and case. None for
    a missing question.

    >>> text_key("Steun aan  Oekraïne?") == text_key("steun aan\\u202fOekraïne?\\n")
    True
    >>> text_key("Steun?", "Ja.") == text_key("Steun?", "Nee.")
    False
    """
    if not isinstance(question, str) or not question.strip():
        return None
    text = _key_text(question)
    if answer is not None and isinstance(answer, str):
        text += b"\x1f" + _key_text(answer)
    return hashlib.sha256(text).hexdigest()[:16]


def map_hint(part: str) -> str:
    """How a user names the column holding `part` (question, topics, ...), in Python and in the CLI."""
    return f"fields={{'{part}': COLUMN}} in Python, --{part}-field COLUMN on the command line"


def as_fields(fields) -> Fields:
    """``fields`` as :class:`Fields`; a dict names some of them (``{"question": "vraag"}``), the rest keep their defaults."""
    if not isinstance(fields, dict):
        return fields
    unknown = sorted(set(fields) - set(Fields.__dataclass_fields__))
    if unknown:
        raise DataError(f"fields has unknown key {unknown[0]!r}; the keys are {', '.join(Fields.__dataclass_fields__)}.")
    return Fields(**fields)


@dataclass
class Annotations:
    """Validated annotation records, column by column, in input order."""

    ids: list[str] = field(default_factory=list)
    questions: list[str] = field(default_factory=list)
    answers: list[str | None] = field(default_factory=list)
    topics: list[list[str]] = field(default_factory=list)
    stances: list[str | None] = field(default_factory=list)
    locations: list[str] = field(default_factory=list)
    # per record: whether its topics were annotated (False: null or no field, e.g. a stance-only
    # annotation; its topics are [] but mean "not annotated", not "none"); empty: all were
    topics_known: list[bool] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def topics_given(self) -> bool:
        """Whether any record's topics were annotated (stance-only annotations: none)."""
        return not self.topics_known or any(self.topics_known)

    def annotated_topics(self) -> tuple[list[int], list[list[str]]]:
        """The records whose topics were annotated, the only ones topics are learnt from or scored on:
        their indices and their topics."""
        rows = [i for i in range(len(self)) if not self.topics_known or self.topics_known[i]]
        return rows, [self.topics[i] for i in rows]

    def fingerprint(self) -> str:
        """sha256 of the records' content, independent of file names and record order."""
        digest = hashlib.sha256()
        # topics not annotated count as [] here, as before topics_known existed: models' recorded fingerprints stay valid
        rows = sorted(zip(self.ids, self.questions, self.answers, self.topics, self.stances))
        for row in rows:
            digest.update(json.dumps(row, ensure_ascii=False, sort_keys=True).encode("utf-8"))
            digest.update(b"\n")
        return "sha256:" + digest.hexdigest()

    def groups(self) -> list[str]:
        """Source document of each record (the id before '#'), for grouped cross-validation."""
        return [i.split("#", 1)[0] for i in self.ids]


def _text(value, where: str, name: str, *, required: bool) -> str | None:
    if is_missing(value):  # None, or NaN / pandas.NA from a table
        value = None
    elif not isinstance(value, str):
        raise DataError(
            f"{where}: field '{name}' is {type(value).__name__} {value!r:.40}; expected text. "
            "Write it as a quoted string (or null)."
        )
    if value is not None:
        # lone surrogates (JSON "\ud800") -> '?', as labelling does, so both derive the same ids
        value = value.replace("\x00", "").encode("utf-8", "replace").decode("utf-8").strip()
    if required and not value:
        raise DataError(f"{where}: field '{name}' is missing or empty; every annotation needs a question text (or name its column: {map_hint('question')}).")
    return value or None


def _topic_list(value, where: str, name: str) -> list[str]:
    if is_missing(value) or (isinstance(value, str) and not value.strip()):
        return []
    if isinstance(value, str):  # CSV: a JSON list or labels separated by ';' or ','
        value = value.strip()
        if value.startswith("["):
            from classify.io import too_deep

            if too_deep(value):  # before json: Python 3.13 parses thousands of levels, 3.11 recurses out
                raise DataError(f"{where}: field '{name}' is nested too deeply to be a list of labels; write the labels as "
                                '["a", "b"] or a;b.')
            try:
                value = json.loads(value)
            except json.JSONDecodeError:
                try:  # a list pandas wrote with its Python repr: "['ukraine_support']"
                    value = ast.literal_eval(value)
                except (ValueError, SyntaxError, MemoryError, RecursionError):
                    raise DataError(f"{where}: field '{name}' is not a valid JSON list: {value!r:.60}; write it as "
                                    '["label_a", "label_b"], or "label_a;label_b".') from None
        else:
            value = value.replace(",", ";").split(";")
    if hasattr(value, "tolist"):
        value = value.tolist()
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise DataError(
            f"{where}: field '{name}' must be a list of label strings, got {value!r:.60}. "
            'Write e.g. ["label_a", "label_b"], or "label_a;label_b" in CSV.'
        )
    return sorted({label_text(v) for v in value if v.strip()})


def from_rows(rows: Iterable[tuple[str, dict | Exception]], schema: LabelSchema | None = None, fields: Fields = Fields(),
              *, unknown_fix: str = SCHEMA_FIX) -> Annotations:
    """Validate annotation rows (``(location, row)`` pairs as :func:`classify.io.read_rows` yields).

    Unknown labels (when a schema is given), missing question text, wrong types and duplicate
    ids stop with a :class:`DataError` naming the location, the value and the fix. A row without
    an id gets a stable one derived from its text. ``unknown_fix`` is the fix an unknown label's
    message proposes (:data:`BASE_SCHEMA_FIX` when the schema is a base model's). Labels of a head
    the schema does not have (stances, for a schema of topics alone) are not read, and a
    :class:`~classify.errors.LabelWarning` says how many records carried them.
    """
    out = Annotations()
    unread = {"topics": 0, "stance": 0}  # records with labels of a head the schema does not have
    seen: dict[str, str] = {}
    labelled, first_fields, topics_given = False, None, False
    # label fields named by the caller (not the defaults): one no record has is a misspelling, not an absent head
    named = {getattr(fields, part) for part in ("topics", "stance") if getattr(fields, part) != getattr(Fields, part)}
    named_seen: set[str] = set()
    for where, row in rows:
        if isinstance(row, Exception):
            raise row
        row = fields.lift(row)
        if all(is_missing(v) or (isinstance(v, str) and not v.strip()) for v in row.values()):
            continue  # ";;;;": a row Excel keeps after its cells were cleared, as empty as a blank line
        labelled = labelled or fields.topics in row or fields.stance in row
        named_seen.update(name for name in named if name in row)
        first_fields = list(row) if first_fields is None else first_fields
        if fields.question not in row and not is_missing(row.get(fields.id)) and row.get(fields.id) != "":
            raise DataError(f"{where}: no '{fields.question}' field, only the id {row[fields.id]!r:.40}: join id-only annotations with "
                            "their texts (classify.hydrate(FILES, CORPORA_DIR) in Python; --corpora DIR or classify hydrate on the command "
                            f"line), or name the question's column ({map_hint('question')}).")
        if fields.question not in row:  # most often a column of another name: say which the record has
            raise DataError(f"{where}: field '{fields.question}' is missing (the record's fields: {field_names(row)}); every annotation "
                            f"needs a question text (name its column: {map_hint('question')}).")
        question = _text(row.get(fields.question), where, fields.question, required=True)
        answer = _text(row.get(fields.answer), where, fields.answer, required=False)
        rid = row.get(fields.id)
        if is_missing(rid) or rid == "":
            rid = "sha1:" + hashlib.sha1(f"{question}\x00{answer or ''}".encode()).hexdigest()[:16]
        elif isinstance(rid, bool) or not isinstance(rid, (str, numbers.Integral)):  # numpy ints too (a pandas id column)
            raise DataError(
                f"{where}: field '{fields.id}' is {type(rid).__name__}; expected a string id, got {rid!r:.40}. "
                "Write the id as a string, or leave it out to have one generated."
            )
        rid = id_key(rid)
        if rid in seen:
            raise DataError(f"{where}: duplicate id {rid!r} (first at {seen[rid]}); give every record a unique id or remove the duplicate.")
        seen[rid] = where
        topics = _topic_list(row.get(fields.topics), where, fields.topics)
        value = row.get(fields.topics)
        topics_given = topics_given or not (is_missing(value) or (isinstance(value, str) and not value.strip()))  # a CSV's empty cell too
        # null or no field: not annotated; [], an empty CSV cell or a pandas NaN (read_csv's empty cell): none
        out.topics_known.append(fields.topics in row and value is not None)
        stance = _text(row.get(fields.stance), where, fields.stance, required=False)
        stance = label_text(stance) if stance is not None else None
        if schema is not None and topics and not schema.topics:
            unread["topics"], topics = unread["topics"] + 1, []
        if schema is not None and stance is not None and not schema.stances:
            unread["stance"], stance = unread["stance"] + 1, None
        try:
            for kind, label in [("topic", t) for t in topics] + ([("stance", stance)] if stance is not None else []):
                check_label(kind, label)
        except SchemaError as exc:  # said here, with the record's place (the schema would say it without)
            raise SchemaError(f"{where}: {exc}") from None
        if stance is not None and answer is None:
            raise DataError(f"{where}: stance {stance!r} given but the answer is empty; set stance to null or add the answer.")
        if schema is not None:
            for topic in topics:
                if topic not in schema.topics:
                    raise DataError(f"{where}: {_unknown_message('topic', topic, schema.topics, unknown_fix)}")
            if stance is not None and stance not in schema.stances:
                raise DataError(f"{where}: {_unknown_message('stance', stance, schema.stances, unknown_fix)}")
        out.ids.append(rid)
        out.questions.append(question)
        out.answers.append(answer)
        out.topics.append(topics)
        out.stances.append(stance)
        out.locations.append(where)
    if not out.ids:
        raise DataError("no annotation records found; the input holds none (an empty list of records, or files without records).")
    for part, n in unread.items():
        if n:
            fix = ("train --base keeps the base model's heads; to train one, train from scratch with a schema that lists its labels"
                   if unknown_fix == BASE_SCHEMA_FIX else "to train one, add its labels to the schema")
            warn(f"{n} record{'s' * (n != 1)} carried {part} labels, not read: the schema has no {part.rstrip('s')} labels "
                 f"(the model has no {part} head); {fix}.", LabelWarning)
    if not topics_given:  # no record names any topic (a stance-only file, an empty CSV column): none annotated topics
        out.topics_known = [False] * len(out)
    for part in ("topics", "stance"):
        name = getattr(fields, part)
        if name in named - named_seen:
            raise DataError(f"no record has the field '{name}' named for the {part.rstrip('s')} labels (the first record's fields: "
                            f"{field_names(first_fields)}); check its spelling ({map_hint(part)}).")
    if not labelled:  # most often the labels are in fields of other names
        raise DataError(f"no record has a '{fields.topics}' or '{fields.stance}' field (the first record's fields: {field_names(first_fields)}); "
                        f"name the label fields ({map_hint('topics')}; likewise 'stance').")
    return out


def field_names(row, most: int = 8) -> str:
    """The first ``most`` field names of a record, for messages about a field it lacks."""
    names = [str(k) for k in row]
    return ", ".join(names[:most]) + (", ..." if len(names) > most else "") or "none"


def _unknown_message(kind: str, label: str, known, fix: str = SCHEMA_FIX) -> str:
    from classify.schema import _unknown

    return _unknown(kind, label, known) + " " + fix


def load(paths, schema: LabelSchema | None = None, fields: Fields = Fields()) -> Annotations:
    """Read and validate annotation files (JSONL, CSV, Parquet, saved dataset directories)."""
    from classify.io import read_rows

    paths = [paths] if isinstance(paths, (str, Path)) else list(paths)
    given = [Path(p).resolve() for p in paths if str(p) != "-"]
    if len(set(given)) < len(given):
        twice = next(p for p in paths if str(p) != "-" and given.count(Path(p).resolve()) > 1)
        raise DataError(f"annotation file {str(twice)!r} is given twice; give each file once.")

    empty = []

    def rows():
        for path in paths:
            got = False
            for row in read_rows(str(path)):
                got = True
                yield row
            if not got:
                empty.append(str(path))

    try:
        data = from_rows(rows(), schema, fields)
    except DataError as exc:
        if empty and str(exc).startswith("no annotation records found"):
            raise DataError(f"no annotation records found; {', '.join(map(repr, empty))} "
                            f"{'is' if len(empty) == 1 else 'are'} empty.") from None
        raise
    if empty:  # one file of several was empty: most often the wrong one was given
        warn(f"annotation file{'s' * (len(empty) > 1)} {', '.join(map(repr, empty))} held no records; check that it is the file you meant.", ClassifyWarning)
    return data


def corpus_files(corpora) -> list[Path]:
    """The corpus files :func:`hydrate` reads from the folder ``corpora``: its ``*.jsonl`` files, gzipped
    (``*.jsonl.gz``) or not, sorted."""
    return sorted([*Path(corpora).glob("*.jsonl"), *Path(corpora).glob("*.jsonl.gz")])


def hydrate(paths, corpora: str | Path, fields: Fields = Fields()) -> tuple[list[dict], list[str]]:
    """Join id + label files with their texts from corpus JSONL files (``id``, ``question``, ``answer``).

    Returns the full records (input order, every input field kept, texts added) and the ids
    that were not found in any corpus; nothing is dropped silently.

    Examples
    --------
    >>> records, missing = hydrate("labels/annotations.jsonl", "../shared/data")  # doctest: +SKIP
    """
    located, missing = hydrate_located(paths, corpora, fields)
    return [row for _, row in located], missing


def hydrate_complete(paths, corpora: str | Path, fields: Fields = Fields()) -> list[tuple[str, dict]]:
    """:func:`hydrate_located`, refusing annotations whose id no corpus file holds."""
    located, missing = hydrate_located(paths, corpora, fields)
    if missing:
        raise DataError(f"{len(missing)} annotated ids are not in {corpora} (first: {missing[0]!r}); add the corpus file or remove the annotations.")
    return located


def hydrate_located(paths, corpora: str | Path, fields: Fields = Fields(), known: dict | None = None) -> tuple[list[tuple[str, dict]], list[str]]:
    """:func:`hydrate` with each record's ``file:line``, for messages about it (``(where, record)`` pairs);
    ``known`` maps ids to ``(question, answer)`` texts to use where the corpora lack them."""
    from classify.io import read_rows

    corpora = Path(corpora)
    if not corpora.is_dir():
        raise InputNotFoundError(f"corpora directory {str(corpora)!r} does not exist; pass the folder holding the corpus .jsonl files.")
    wanted: list[tuple[str, dict, dict]] = []  # (where, row, row with its nested fields lifted)
    for path in [paths] if isinstance(paths, (str, Path)) else paths:
        for where, row in read_rows(str(path)):
            if isinstance(row, Exception):
                raise row
            lifted = fields.lift(row)
            if not lifted.get(fields.id):
                raise DataError(f"{where}: no '{fields.id}' field; hydrate needs the id of every record (name its column: {map_hint('id')}).")
            wanted.append((where, row, lifted))
    # rows that already carry their text (e.g. the seed file) pass through unchanged
    need = {str(r[fields.id]) for _, _, r in wanted if not r.get(fields.question)}
    if need and not corpus_files(corpora):
        raise InputNotFoundError(f"corpora directory {str(corpora)!r} holds no corpus files (*.jsonl, *.jsonl.gz) to take the texts "
                                 f"of {len(need)} records from; pass the folder holding them.")
    texts: dict[str, tuple] = {}
    for corpus in corpus_files(corpora):
        for _, row in read_rows(str(corpus), "jsonl"):
            if isinstance(row, DataError):  # names the corpus file and line
                raise row
            rid = str(row.get("id"))
            if rid in need and "question" in row:
                texts[rid] = (row.get("question"), row.get("answer"))
    records, missing = [], []
    for where, row, lifted in wanted:
        rid = str(lifted[fields.id])
        if lifted.get(fields.question):
            records.append((where, row))
            continue
        if rid not in texts and rid not in (known or {}):
            missing.append(rid)
            continue
        question, answer = texts[rid] if rid in texts else known[rid]
        records.append((where, {**row, fields.question: question, fields.answer: answer}))
    return records, missing
