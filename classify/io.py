"""Reading and writing record files: JSONL, CSV, Parquet, documents, saved datasets; stdin/stdout.

Readers yield ``(location, row)`` pairs, where ``location`` is ``"file:line"`` for messages and
``row`` is a dict, or a :class:`DataError` for a line that could not be read at all (labelling
turns it into an output record with an ``error`` field; training stops on it).
"""

from __future__ import annotations

import csv
import io
import json
import os
import sys
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from classify.errors import DataError, InputNotFoundError

FORMATS = ("jsonl", "csv", "parquet")
_DOCUMENT_SUFFIXES = (".txt", ".text")


def _decode(raw: bytes) -> str:
    """UTF-8 (BOM stripped); files that are not UTF-8 are read as cp1252, the usual culprit."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def detect_format(path: str) -> str:
    """The input kind of a path by its suffix: jsonl, csv, parquet, dataset, document or unknown."""
    if path == "-":
        return "jsonl"
    p = Path(path)
    if p.is_dir():
        return "dataset"
    suffix = p.suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    if suffix in (".csv", ".tsv"):
        return "csv"
    if suffix in (".parquet", ".pq"):
        return "parquet"
    if suffix in _DOCUMENT_SUFFIXES:
        return "document"
    return "unknown"


def _read_text(path: str) -> str:
    if path == "-":
        return _decode(sys.stdin.buffer.read())
    return _decode(Path(path).read_bytes())


def read_rows(path: str, fmt: str | None = None) -> Iterator[tuple[str, dict | DataError]]:
    """Yield ``(location, row)`` for every record of a file ("-" = JSONL on stdin).

    Examples
    --------
    >>> rows = list(read_rows("labels/seed.jsonl"))  # doctest: +SKIP
    >>> rows[0][0]
    'labels/seed.jsonl:1'
    """
    if path != "-" and not Path(path).exists():
        raise InputNotFoundError(f"input {path!r} does not exist; check the path (use '-' to read JSONL from stdin).")
    fmt = fmt or detect_format(path)
    name = "<stdin>" if path == "-" else path
    if fmt == "unknown":
        text = _read_text(path)
        fmt = _sniff(text)
        yield from _ROWS_FROM_TEXT[fmt](text, name)
    elif fmt in _ROWS_FROM_TEXT:
        if fmt == "jsonl" and path != "-":
            yield from _jsonl_lines(path)
        else:
            yield from _ROWS_FROM_TEXT[fmt](_read_text(path), name)
    elif fmt == "parquet":
        yield from _parquet_rows(path)
    elif fmt == "dataset":
        yield from _dataset_rows(path)
    else:
        raise DataError(f"{name}: unknown input format {fmt!r}; use one of jsonl, csv, parquet, document.")


def _sniff(text: str) -> str:
    """Content-based detection for files without a telling suffix."""
    from classify.documents import looks_like_document

    head = text.lstrip()[:1]
    if head == "{":
        return "jsonl"
    if looks_like_document(text):
        return "document"
    return "csv"


def _jsonl_lines(path: str) -> Iterator[tuple[str, dict | DataError]]:
    # streamed line by line: a multi-GB archive never sits in memory
    with open(path, "rb") as handle:
        for number, raw in enumerate(handle, 1):
            yield from _jsonl_row(_decode(raw), f"{path}:{number}")


def _jsonl_text(text: str, name: str):
    for number, line in enumerate(io.StringIO(text), 1):
        yield from _jsonl_row(line, f"{name}:{number}")


def _jsonl_row(line: str, where: str):
    line = line.strip().replace("\x00", "")
    if not line:
        return
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        yield where, DataError(f"{where}: not valid JSON ({exc.msg} at column {exc.colno}); fix or remove the line.")
        return
    if not isinstance(row, dict):
        yield where, DataError(f"{where}: expected a JSON object per line, got {type(row).__name__}.")
        return
    yield where, row


def _csv_text(text: str, name: str):
    dialect = "excel-tab" if name.lower().endswith(".tsv") else "excel"
    reader = csv.DictReader(io.StringIO(text.replace("\x00", ""), newline=""), dialect=dialect)
    for row in reader:
        where = f"{name}:{reader.line_num}"
        if None in row:
            yield where, DataError(f"{where}: more fields than the header has columns; quote fields that contain commas.")
            continue
        yield where, {k: v for k, v in row.items() if k is not None}


def _document_text(text: str, name: str):
    from classify.documents import parse

    stem = Path(name).stem if name != "<stdin>" else None
    for number, record in enumerate(parse(text, doc_id=stem, source=name), 1):
        yield f"{name}:question {record.number or number}", record.to_dict()


_ROWS_FROM_TEXT = {"jsonl": _jsonl_text, "csv": _csv_text, "document": _document_text}


def _parquet_rows(path: str):
    try:
        import pyarrow.parquet as pq
    except ImportError:  # pragma: no cover - pyarrow comes with datasets
        raise DataError("reading Parquet needs pyarrow: pip install pyarrow") from None
    try:
        table = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises several unrelated types for corrupt files
        raise DataError(f"{path}: not a readable Parquet file ({exc}).") from None
    number = 0
    for batch in table.iter_batches(batch_size=4096):
        for row in batch.to_pylist():
            number += 1
            yield f"{path}:row {number}", row


def _dataset_rows(path: str):
    try:
        from datasets import load_from_disk
    except ImportError:  # pragma: no cover
        raise DataError("reading a saved dataset needs the datasets package: pip install datasets") from None
    try:
        ds = load_from_disk(path)
    except Exception as exc:
        raise DataError(f"{path}: a directory, but not a dataset saved with Dataset.save_to_disk ({exc}).") from None
    if hasattr(ds, "keys"):  # DatasetDict: read every split in order
        for split in ds.keys():
            for number, row in enumerate(ds[split], 1):
                yield f"{path}[{split}]:row {number}", row
    else:
        for number, row in enumerate(ds, 1):
            yield f"{path}:row {number}", row


# -- writing ----------------------------------------------------------------------------------
class AtomicWriter:
    """Write to a temporary file beside ``path`` and rename it into place on success only.

    An interrupted run never leaves a half-written file under the final name.
    """

    def __init__(self, path: str | None, binary: bool = False):
        self.path, self.binary = path, binary

    def __enter__(self):
        if self.path is None or self.path == "-":
            self._tmp = None
            self.handle = sys.stdout.buffer if self.binary else sys.stdout
            return self.handle
        target = Path(self.path)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, self._tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
        self.handle = os.fdopen(fd, "wb" if self.binary else "w", encoding=None if self.binary else "utf-8", newline=None if self.binary else "")
        return self.handle

    def __exit__(self, exc_type, exc, tb):
        if self._tmp is None:
            self.handle.flush()
            return False
        self.handle.close()
        if exc_type is None:
            os.replace(self._tmp, self.path)
        else:
            os.unlink(self._tmp)
        return False


def write_rows(rows: Iterable[dict], out: str | None, fmt: str = "jsonl") -> int:
    """Write rows as JSONL (streamed), CSV or Parquet to ``out`` (None or "-" = stdout)."""
    if fmt not in FORMATS:
        raise DataError(f"unknown output format {fmt!r}; use one of {', '.join(FORMATS)}.")
    count = 0
    if fmt == "jsonl":
        with AtomicWriter(out) as handle:
            for row in rows:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
                count += 1
        return count
    rows = list(rows)
    if fmt == "csv":
        columns = list(dict.fromkeys(k for row in rows for k in row))
        with AtomicWriter(out) as handle:
            writer = csv.DictWriter(handle, fieldnames=columns, lineterminator="\n")
            writer.writeheader()
            for row in rows:
                writer.writerow({k: _cell(v) for k, v in row.items()})
        return len(rows)
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pylist([{k: _cell(v) if isinstance(v, dict) else v for k, v in row.items()} for row in rows])
    with AtomicWriter(out, binary=True) as handle:
        pq.write_table(table, handle)
    return len(rows)


def _cell(value):
    """CSV cells hold lists and dicts as JSON."""
    return json.dumps(value, ensure_ascii=False) if isinstance(value, (list, dict)) else value
