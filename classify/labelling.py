"""Batch labelling: stream input rows through a model, one output row per input row.

A row that cannot be labelled (malformed line, question missing or not text) comes out with an
``error`` field instead of predictions; no row is ever dropped and the order is kept.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from classify.annotations import Fields, field_names, map_hint
from classify.errors import a_type
from classify.record import is_missing

PREDICTION_FIELDS = ("topics", "topic_scores", "stance", "stance_scores")


@dataclass
class Summary:
    """Counts of a labelling run, for the stderr summary and the exit code."""

    records: int = 0
    errors: int = 0
    first_errors: list | None = None
    trained: int = 0  # records the model was trained on (by id or text): their labels mostly repeat their annotations

    def note_error(self, where: str, message: str) -> None:
        self.errors += 1
        line = message if message.startswith(f"{where}:") else f"{where}: {message}"  # most messages name it already
        self.first_errors = (self.first_errors or []) + ([line] if len(self.first_errors or []) < 5 else [])

    def add(self, other: Summary) -> None:
        """Count in the summary of a later part of the same run (e.g. a worker's batch)."""
        self.records += other.records
        self.errors += other.errors
        self.trained += other.trained
        if other.first_errors:
            self.first_errors = ((self.first_errors or []) + other.first_errors)[:5]


def _prepare(where: str, row, fields: Fields):
    """(question, answer, output row) or (None, None, error row)."""
    if isinstance(row, Exception):
        return None, None, {**getattr(row, "row", {fields.id: None}), "error": str(row)}
    out, row = dict(row), fields.lift(row)
    if fields.id in row and fields.id not in out:  # a nested id: the output's id field, as the rest of labelling reads it
        out[fields.id] = row[fields.id]
    question, answer = row.get(fields.question), row.get(fields.answer)
    if is_missing(answer):
        answer = None
    if not isinstance(question, str) or not question.strip():
        absent = fields.question not in row
        got = "null" if question is None else ("empty" if isinstance(question, str) else f"{a_type(question)}, not text")
        if absent:  # most often the text is in a field of another name: list the ones there are
            got = f"missing (the record's fields: {field_names(row)})"
        out["error"] = f"{where}: field '{fields.question}' is {got}; every record needs a question text" + (
            f" (name its field: {map_hint('question')})." if absent else ".")
        return None, None, out
    if answer is not None and not isinstance(answer, str):
        out["error"] = f"{where}: field '{fields.answer}' is {a_type(answer)}, not text or null."
        return None, None, out
    question = question.encode("utf-8", "replace").decode("utf-8")  # lone surrogates -> '?'
    answer = answer.encode("utf-8", "replace").decode("utf-8") if answer is not None else None
    if is_missing(out.get(fields.id)) or out.get(fields.id) == "":
        # stable across runs: derived from the text, not from position or time
        out[fields.id] = "sha1:" + hashlib.sha1(f"{question}\x00{answer or ''}".encode()).hexdigest()[:16]
    return question, answer, out


def label_rows(model, rows: Iterable[tuple[str, object]], fields: Fields = Fields(), batch_size: int = 2000,
               summary: Summary | None = None) -> Iterator[dict]:
    """Yield labelled output rows for ``(location, row)`` input pairs, batch by batch.

    Examples
    --------
    >>> out = list(label_rows(model, [("x:1", {"id": "1", "question": "Steun aan Oekraïne?"})]))  # doctest: +SKIP
    """
    summary = summary if summary is not None else Summary()
    batch: list = []
    for where, row in rows:
        batch.append(_prepare(where, row, fields) + (where,))
        if len(batch) >= batch_size:
            yield from _label_batch(model, batch, summary, fields.id)
            batch = []
    if batch:
        yield from _label_batch(model, batch, summary, fields.id)


def _label_batch(model, batch, summary: Summary, id_field: str):
    ok = [i for i, (q, _, _, _) in enumerate(batch) if q is not None]
    predictions = model.predict([batch[i][0] for i in ok], [batch[i][1] for i in ok]) if ok else []
    by_index = dict(zip(ok, predictions))
    summary.trained += model.seen_in_training([batch[i][2].get(id_field) for i in ok], [batch[i][0] for i in ok], [batch[i][1] for i in ok]) or 0
    for i, (_, _, out, where) in enumerate(batch):
        summary.records += 1
        if i in by_index:
            out.update(by_index[i])
            out.pop("error", None)
        else:
            summary.note_error(where, out["error"])
        yield out


def label_jsonl_lines(model, name: str, first: int, lines: list[bytes], fields: Fields = Fields(),
                      batch_size: int = 2000) -> tuple[bytes, Summary]:
    """Label raw JSONL lines (of file ``name``, numbered from ``first``): their output JSONL and counts.

    The output (UTF-8) is what ``write_rows(label_rows(model, read_rows(name)), out)`` writes
    for these lines, byte for byte; parallel labelling runs this in its workers, so that parsing
    and writing JSON, not only predicting, is spread over them.
    """
    from classify.io import jsonl_rows
    from classify.output import jsonl_line

    summary = Summary()
    out = label_rows(model, jsonl_rows(lines, name, first), fields, batch_size, summary)
    return "".join([jsonl_line(row) + "\n" for row in out]).encode("utf-8"), summary
