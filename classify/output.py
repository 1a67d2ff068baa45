"""Writing record files: JSONL (streamed), CSV, TSV, CSV for Excel, Parquet; stdout; gzip.

Every file is written through :class:`AtomicWriter`: to a temporary file beside it, renamed into
place on success only. Output names ending in .gz are written gzip-compressed. Reading the same
files back is :mod:`classify.io`'s.
"""

from __future__ import annotations

import contextlib
import csv
import errno
import gzip
import io
import json
import os
import sys
import tempfile
import zlib
from collections.abc import Iterable
from pathlib import Path

from classify import leftovers
from classify.errors import DataError
from classify.formats import BUFFER, detect_format, format_suffix, gzipped, plain_stem

FORMATS = ("jsonl", "csv", "tsv", "excel", "parquet")
_CSV_DIALECTS = {  # output format: delimiter, line end, leading byte-order mark
    "csv": (",", "\n", ""),
    "tsv": ("\t", "\n", ""),
    # what Excel itself saves as "CSV UTF-8" in a Dutch or Belgian locale: it opens in columns there
    # (the list separator is ";"), and the byte-order mark makes it read the text as UTF-8, not cp1252
    "excel": (";", "\r\n", "\ufeff"),
}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # a cell starting so is a formula to a spreadsheet


_KINDS = {"jsonl": ("JSONL", ".jsonl"), "csv": ("CSV", ".csv"), "tsv": ("TSV", ".tsv"), "excel": ("CSV", ".csv"), "parquet": ("Parquet", ".parquet")}


_NOT_WRITTEN = {  # output names a user may reach for that classify cannot honour: what they are, and the fix
    **dict.fromkeys((".xlsx", ".xlsm", ".xls", ".ods"), ("spreadsheet", "for Excel, write --format excel --out {stem}.csv (it opens in columns, ë intact).")),
    **dict.fromkeys((".docx", ".doc", ".odt", ".pdf"), ("Word, OpenDocument or PDF", "write .jsonl, .csv, .tsv or .parquet.")),
    **dict.fromkeys((".bz2", ".xz", ".zst", ".zip", ".7z", ".lz4"), ("compressed (other than gzip)", "name it {stem}.gz (gzip), or pipe stdout through the compressor.")),
}


def output_format(out: str | None, fmt: str | None = None, extra: tuple[str, ...] = ()) -> str:
    """The output format: ``fmt`` where given, else the one ``out``'s suffix names, else jsonl.

    ``extra`` are formats a command has beside :data:`FORMATS` (``label``'s table). A format
    that contradicts the file name is refused: JSONL or Parquet in a file named .csv is what a
    spreadsheet cannot open, found only after the whole run.

    Examples
    --------
    >>> output_format("labelled.csv"), output_format("labelled.tsv"), output_format(None)
    ('csv', 'tsv', 'jsonl')
    >>> output_format("labelled.csv", "excel")
    'excel'
    """
    known = (*FORMATS, *extra)
    if fmt is not None and fmt not in known:
        raise DataError(f"unknown output format {fmt!r}; use one of {', '.join(known)}.")
    if out not in (None, "-") and (refused := _NOT_WRITTEN.get(Path(out).suffix.lower())):
        raise DataError(f"{out!r}: classify does not write {refused[0]} files; {refused[1].format(stem=Path(out).stem)}")
    named = None if out in (None, "-") else detect_format(out)
    if named == "csv":
        named = "tsv" if format_suffix(out) == ".tsv" else "csv"
    elif named not in ("jsonl", "parquet"):
        named = None  # .txt, .out, no suffix: any format may go there
    if "parquet" in (named, fmt) and out not in (None, "-") and gzipped(out):
        raise DataError(f"{out!r}: Parquet compresses itself and cannot be gzipped; name the file .parquet.")
    if fmt is None:
        return named or "jsonl"
    if named is not None and fmt in FORMATS and fmt != named and (named, fmt) != ("csv", "excel"):
        kind, suffix = _KINDS[fmt]
        raise DataError(f"--format {fmt} would write {kind} into {out!r}, a {_KINDS[named][0]} file name: drop --format to write "
                        f"{_KINDS[named][0]}, or name the file for the format (e.g. {plain_stem(out)}{suffix}{'.gz' * gzipped(out)}).")
    return fmt


def unwritable(path, exc: OSError, what: str = "output") -> DataError:
    """The error for an output that could not be written: a full disk, or a path not writable."""
    fix = "free some space, or choose another path" if exc.errno in (*WRITE_ERRORS, None) else "choose a writable path"
    return DataError(f"cannot write {what} {str(path)!r} ({exc.strerror or exc}); {fix}.")


def file_in_the_way(path: Path) -> Path | None:
    """The first folder on ``path`` that exists as a file: nothing can be written under it."""
    return next((p for p in path.parents if p.exists() and not p.is_dir()), None)


def check_output(path: str) -> Path:
    """``path`` as a Path, or a DataError when an output file cannot go there (a directory is in its place,
    or one of its folders is a file)."""
    target = Path(path)
    if target.is_dir():
        raise DataError(f"output {str(path)!r} is a directory; give a file path, e.g. {str(target / 'labelled.jsonl')!r}.")
    blocking = file_in_the_way(target)
    if blocking is not None:
        raise DataError(f"cannot write output {str(path)!r}: {str(blocking)!r} is a file, not a folder; choose another path.")
    return target


class AtomicWriter:
    """Write to a temporary file beside ``path`` and rename it into place on success only.

    An interrupted run never leaves a half-written file under the final name. A path ending in .gz
    is written gzip-compressed (level 6, as the gzip command; no time stamp, so the same rows give
    the same bytes). The file gets the permissions a new file gets from the umask, or keeps those
    of the file it replaces; through a symbolic link, the file linked to is replaced and the link
    kept. A path that is no regular file (``/dev/null``, ``/dev/stdout``, a named pipe) is written
    to directly: renaming over it would replace the device or pipe with a file. A full disk, or
    any failure to write, is a DataError and leaves no temporary file; the temporary files of runs
    killed before they finished (kill -9) are removed by the next write to ``path`` (:mod:`classify.leftovers`).
    """

    def __init__(self, path: str | None, binary: bool = False):
        self.path, self.binary = path, binary

    def __enter__(self):
        self._tmp = self._final = None
        if self.path is None or self.path == "-":
            self._raw = None
            self.handle = sys.stdout.buffer if self.binary else sys.stdout
            return self.handle
        target = check_output(self.path)
        try:
            if target.exists() and not target.is_file():  # a device or pipe (is_file follows links)
                self._raw = open(target, "wb", buffering=BUFFER)
            else:
                final = Path(os.path.realpath(target))
                final.parent.mkdir(parents=True, exist_ok=True)
                mode = final.stat().st_mode & 0o7777 if final.exists() else default_mode()
                leftovers.sweep(final)  # the .part files of runs killed before they finished
                fd, self._tmp = tempfile.mkstemp(prefix=leftovers.prefix(final), suffix=".part", dir=final.parent)
                self._final = final
                self._raw = os.fdopen(fd, "wb", buffering=BUFFER)
                os.chmod(self._tmp, mode)
        except OSError as exc:
            self._discard()
            raise unwritable(self.path, exc) from None
        stream = _GzipOutput(fileobj=self._raw, mode="wb", compresslevel=6, filename="", mtime=0) if gzipped(self.path) else self._raw
        self.handle = stream if self.binary else io.TextIOWrapper(stream, encoding="utf-8", newline="")
        return self.handle

    def __exit__(self, exc_type, exc, tb):
        if self._raw is None:  # stdout: a failure to write it reaches the CLI's error boundary
            self.handle.flush()
            return False
        failure = exc
        try:
            self.handle.close()  # for gzip: writes its end; the file below stays open
        except OSError as error:
            failure = failure or error
        finally:
            try:
                self._raw.close()
            except OSError as error:
                failure = failure or error
        if failure is None and self._tmp is not None:
            try:
                os.replace(self._tmp, self._final)
                self._tmp = None
            except OSError as error:  # e.g. a directory appeared under the name meanwhile
                failure = error
        self._discard()
        if isinstance(failure, OSError) and (failure is not exc or failure.errno in WRITE_ERRORS):
            raise unwritable(self.path, failure) from None
        return False

    def _discard(self):
        if self._tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(self._tmp)
            self._tmp = None


class _GzipOutput(gzip.GzipFile):
    """gzip output whose bytes depend on the data only: GzipFile.flush() ends a deflate block
    (Z_SYNC_FLUSH), and TextIOWrapper flushes before it closes, so text written through it came
    out other bytes than the same data written as bytes (``label --jobs``); nothing needs the
    data on disk before close."""

    def flush(self, zlib_mode=zlib.Z_SYNC_FLUSH):
        pass


WRITE_ERRORS = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)  # errors only a write raises: the disk or quota is full


def default_mode(directory: bool = False) -> int:
    """The permissions a new file (or folder) gets from the process's umask, as open() gives them;
    ``tempfile`` makes its files private (0600) whatever the umask."""
    mask = os.umask(0o022)
    os.umask(mask)
    return (0o777 if directory else 0o666) & ~mask


def write_rows(rows: Iterable[dict], out: str | None, fmt: str = "jsonl") -> int:
    """Write rows as JSONL (streamed), CSV (``csv``, ``tsv``, ``excel``: see ``_CSV_DIALECTS``) or
    Parquet to ``out`` (None or "-" = stdout)."""
    if fmt not in FORMATS:
        raise DataError(f"unknown output format {fmt!r}; use one of {', '.join(FORMATS)}.")
    count = 0
    if fmt == "jsonl":
        with AtomicWriter(out) as handle:
            for row in rows:
                handle.write(jsonl_line(row) + "\n")
                count += 1
        return count
    rows = [without_surrogates(row) for row in rows]
    spreading = any(name in row for row in rows for name in SCORE_FIELDS)
    columns = _table_columns(rows, spreading)
    if fmt in _CSV_DIALECTS:
        delimiter, line_end, bom = _CSV_DIALECTS[fmt]
        with AtomicWriter(out) as handle:
            handle.write(bom)
            writer = csv.DictWriter(handle, fieldnames=columns, delimiter=delimiter, lineterminator=line_end)
            writer.writeheader()
            text = _excel_text if fmt == "excel" else _cell
            for row in rows:  # spread row by row: no second copy of a large output in memory
                writer.writerow({k: text(v) for k, v in _spread_scores(row, spreading).items()})
        return len(rows)
    import pyarrow.parquet as pq

    table = _arrow_table([{k: _cell(v) if isinstance(v, dict) else v for k, v in _spread_scores(row, spreading).items()} for row in rows], columns)
    with AtomicWriter(out, binary=True) as handle:
        pq.write_table(table, handle)
    return len(rows)


SCORE_FIELDS = ("topic_scores", "stance_scores")  # {label: probability}: one column per label in CSV and Parquet
_SPREAD = tuple(f"{name}." for name in SCORE_FIELDS)


def _table_columns(rows: list[dict], spreading: bool) -> list[str]:
    """The columns of a CSV or Parquet file of ``rows``, in first-seen order; a score field becomes
    one column per label, ``topic_scores.<label>``, where the field stood. ``spreading``: some row has
    a score field (this output's predictions), so score columns of an earlier run are not kept."""
    labels = {name: list(dict.fromkeys(label for row in rows if isinstance(row.get(name), dict) for label in row[name]))
              for name in SCORE_FIELDS}
    columns = []
    for key in dict.fromkeys(k for row in rows for k in row):
        if labels.get(key):
            columns.extend(f"{key}.{label}" for label in labels[key])
        elif not (spreading and key.startswith(_SPREAD)):
            columns.append(key)
    return list(dict.fromkeys(columns))


def _spread_scores(row: dict, spreading: bool) -> dict:
    """``row`` for a table: each score field's probabilities in columns of their own (numbers a
    spreadsheet sorts and filters), not one JSON cell. Where ``spreading`` (see ``_table_columns``),
    the score columns of an input labelled before (``topic_scores.<label>`` from an earlier run) are
    dropped from every row, a record that fails this time included: its old scores are not its own."""
    if not spreading:
        return row
    out = {}
    for key, value in row.items():
        if key in SCORE_FIELDS:
            if isinstance(value, dict):
                out.update((f"{key}.{label}", p) for label, p in value.items())
        elif not key.startswith(_SPREAD):
            out[key] = value
    return out


def _cell(value):
    """CSV cells hold lists and dicts as JSON."""
    return json.dumps(value, ensure_ascii=False, default=str) if isinstance(value, (list, dict)) else value


def _excel_text(value):
    """A cell for Excel: text that starts like a formula gets a leading ' (Excel's mark for text, not
    shown), so that a Belgian answer starting "- FOD Binnenlandse Zaken" is not shown as #NAME? (and
    lost on saving), and no text from an archive runs as a formula (=HYPERLINK(...))."""
    if isinstance(value, float):  # a decimal comma: Excel in a Dutch or Belgian locale reads "0.002" as 2, "0.0015" as text
        return repr(value).replace(".", ",")
    value = _cell(value)
    return "'" + value if isinstance(value, str) and value.startswith(_FORMULA_START) else value


_LINE_ENDS = ("\x85", "\u2028", "\u2029")  # line ends for str.splitlines; see jsonl_line


def jsonl_line(row: dict) -> str:
    r"""One JSONL line (without the newline) for ``row``; never fails on what a reader produced.

    Lone surrogates (a JSON input may carry ``"\ud800"``) cannot be encoded as UTF-8, and
    U+0085, U+2028 and U+2029 end a line for ``str.splitlines`` and many JSONL readers, so a row
    holding one of them is written with ``\uXXXX`` escapes instead: still valid JSON and UTF-8,
    one line for every reader, and it reads back to the very same strings. Values JSON has no
    type for (dates, bytes from Parquet) are written as their ``str``.

    Examples
    --------
    >>> jsonl_line({"id": "a\ud800", "n": 1})
    '{"id": "a\\ud800", "n": 1}'
    """
    text = json.dumps(row, ensure_ascii=False, default=str)
    if not text.isascii() and (any(end in text for end in _LINE_ENDS) or _has_surrogates(text)):
        text = json.dumps(row, default=str)
    return text


def _has_surrogates(text: str) -> bool:
    try:
        text.encode("utf-8")  # strict UTF-8 refuses lone surrogates, and is much faster than a regex scan
    except UnicodeEncodeError:
        return True
    return False


def without_surrogates(value):
    """CSV and Parquet have no escape for lone surrogates: each becomes '?' (as in labelling)."""
    if isinstance(value, str):
        return value.encode("utf-8", "replace").decode("utf-8") if _has_surrogates(value) else value
    if isinstance(value, list):
        return [without_surrogates(v) for v in value]
    if isinstance(value, dict):
        return {without_surrogates(k): without_surrogates(v) for k, v in value.items()}
    return value


def _arrow_table(rows: list[dict], names: list[str]):
    """An Arrow table of ``rows`` with the columns ``names`` (every row's fields: pyarrow's
    ``from_pylist`` takes the first row's only, and dropped an ``error`` field first seen later);
    a column whose values mix types (a number here, text there) is stored as text."""
    import pyarrow as pa

    failures = (pa.ArrowException, OverflowError, TypeError, ValueError)
    columns = {}
    for name in names:
        values = [row.get(name) for row in rows]
        try:
            columns[name] = pa.array(values)
        except failures:
            text = [v if v is None or isinstance(v, str) else json.dumps(v, ensure_ascii=False, default=str) for v in values]
            columns[name] = pa.array(text, pa.string())
    return pa.table(columns)
