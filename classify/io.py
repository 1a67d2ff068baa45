"""Reading record files: JSONL, CSV, Parquet, documents, saved datasets; stdin.

gzip input (``archive.jsonl.gz``) is read decompressed, streamed as the plain files are, and
recognised by its content whatever its name, stdin included. Writing is :mod:`classify.output`'s.

Readers yield ``(location, row)`` pairs, where ``location`` is ``"file:line"`` for messages and
``row`` is a dict, or a :class:`DataError` for a line that could not be read at all (labelling
turns it into an output record with an ``error`` field; training stops on it).
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import functools
import gzip
import io
import itertools
import json
import os
import re
import sys
import warnings
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path

from classify.errors import DataError, InputNotFoundError, ParseWarning, a_type
from classify.formats import BUFFER, detect_format, format_suffix, gzipped, plain_stem

_CSV_FIELD_LIMIT = 2**31 - 1  # the largest value csv accepts on every platform (a C long)
_GZIP = b"\x1f\x8b"  # the first bytes of gzip data


def _cp1252_bytes(exc: UnicodeDecodeError) -> tuple[str, int]:
    """Decoding error handler: bytes that are not UTF-8 are read as cp1252, the usual culprit."""
    return exc.object[exc.start : exc.end].decode("cp1252", errors="replace"), exc.end


_CP1252 = "classify-cp1252"  # UTF-8 where the bytes are UTF-8, cp1252 for each stretch that is not
codecs.register_error(_CP1252, _cp1252_bytes)
# a valid UTF-8 sequence of an accented letter, dash, quote ...: absent from cp1252 text in practice
_UTF8_LETTER = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


def _decode(raw: bytes, name: str | None = None) -> str:
    """UTF-8 (BOM stripped); UTF-16 or UTF-32 with a BOM (Word's and Notepad's "Unicode" text); bytes
    that are neither are read as cp1252: a whole cp1252 file, or a few cp1252 letters pasted into a
    UTF-8 text (the rest stays UTF-8; with ``name``, that mix is warned about)."""
    codec = _wide_codec(raw)
    if codec:
        return raw.decode(codec, errors="replace")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if name is not None and _UTF8_LETTER.search(raw):
            _warn_mixed(name, exc.object[exc.start], len(raw) - len(exc.object) + exc.start)  # utf-8-sig reports past its BOM
        return raw.decode("utf-8-sig", errors=_CP1252)


def _warn_mixed(name: str, byte: int, offset: int) -> None:
    warnings.warn(f"{name}: byte {offset} ({byte:#04x}) is not UTF-8, though the file's other accented letters are: bytes like "
                  f"it are read as Windows-1252 ({bytes([byte]).decode('cp1252', errors='replace')!r}). "
                  "Check those letters, or save the file as UTF-8.", ParseWarning, stacklevel=2)


def _wide_codec(head: bytes) -> str | None:
    """"utf-32" or "utf-16" if ``head`` starts with that encoding's byte order mark, else None."""
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):  # before UTF-16: FF FE 00 00 starts with FF FE
        return "utf-32"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    return None


def document_names(paths) -> dict[str, str]:
    """The name each input's document records are called after (``antwoorden#3``) where its text
    prints no id: the file's stem; where several documents share a stem (``2012/antwoorden.txt``,
    ``2013/antwoorden.txt``), their stems with as many folders as tell them apart
    (``2012/antwoorden``), and a warning, so that no two documents' records share ids."""
    stems: dict[str, list[str]] = {}
    for path in dict.fromkeys(str(p) for p in paths):
        if path != "-" and detect_format(path) in ("document", "unknown"):
            stems.setdefault(plain_stem(path), []).append(path)
    names = {}
    for stem, group in stems.items():
        files = {str(Path(p).resolve()): p for p in group}  # one file given under two names is one document
        keys = {f: (*Path(f).parent.parts, stem) for f in files}
        if len(set(keys.values())) < len(files):  # x.txt beside x.text: their file names tell them apart
            keys = {f: (*Path(f).parent.parts, Path(f).name) for f in files}
        depth = next(k for k in range(1, 1 + max(map(len, keys.values()))) if len({key[-k:] for key in keys.values()}) == len(files))
        for path in group:
            names[path] = "/".join(keys[str(Path(path).resolve())][-depth:]) if len(files) > 1 else stem
        if len(files) > 1:
            shown = ", ".join(f"{path} -> {names[path]}#" for path in list(files.values())[:5])
            warnings.warn(f"{len(files)} documents are named {stem!r}: where a text prints no id of its own, its records' ids name its "
                          f"folders too ({shown}{', ...' if len(files) > 5 else ''}).", ParseWarning, stacklevel=2)
    return names


def _read_text(path: str) -> str:
    if path == "-":
        with _decompressing("<stdin>"):
            return _text(_gunzipped(sys.stdin.buffer).read(), "<stdin>")
    with _open_binary(path) as handle, _decompressing(path):
        return _text(handle.read(), path)


def _open_binary(path: str):
    """An input file opened for reading bytes; gzip data (by its first bytes, whatever the name)
    decompressed as it is read."""
    try:
        handle = open(path, "rb", buffering=BUFFER)
        if handle.peek(2)[:2] != _GZIP:
            return handle
        handle.close()
        return gzip.open(path, "rb")
    except OSError as exc:
        raise _unreadable(path, exc) from None


def _gunzipped(stream):
    """stdin's bytes, decompressed where they are gzip (``classify label - < archive.jsonl.gz``)."""
    packed = hasattr(stream, "peek") and stream.peek(2)[:2] == _GZIP  # sys.stdin.buffer peeks; test stand-ins may not
    return gzip.GzipFile(fileobj=stream, mode="rb") if packed else stream


@contextlib.contextmanager
def _decompressing(path: str):
    """Broken gzip data (an archive cut short by an interrupted copy, a corrupt one) as a DataError."""
    try:
        yield
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        check = "" if path == "<stdin>" else f" Check it with `gzip -t {path}` and copy it again."
        raise DataError(f"{path}: the gzip data is cut short or corrupt ({exc}).{check}") from None


def _text(raw: bytes, name: str) -> str:
    """The text of an input file's bytes; a spreadsheet, Word or PDF file is refused with the fix."""
    _refuse_binary(raw[:8], name)
    return _decode(raw, name)


def _refuse_binary(head: bytes, name: str) -> None:
    for magic, (kind, fix) in _BINARY.items():
        if head.startswith(magic):
            file = Path(name) if name != "<stdin>" else Path("FILE.pdf")
            raise DataError(f"{name}: {'an' if kind[0] in 'AEIOU' else 'a'} {kind} file, not text; classify reads JSONL, CSV, Parquet and plain-text "
                            f"documents. {fix.format(file=file.name, stem=file.stem)}")


def _file_encoding(path: str) -> tuple[str, str]:
    """The codec and error handler :func:`_decode` would choose for the whole file, found in one pass
    of fixed memory (warning as it would)."""
    with _open_binary(path) as handle, _decompressing(path):
        head = handle.peek(8)[:8]
        _refuse_binary(head, path)
        if codec := _wide_codec(head):
            return codec, "replace"
        decoder, read, bad, letters = codecs.getincrementaldecoder("utf-8")(), 0, None, False
        while chunk := handle.read(BUFFER):
            letters = letters or bool(_UTF8_LETTER.search(chunk))
            if bad is None:
                pending = len(decoder.getstate()[0])
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError as exc:
                    bad = (exc.object[exc.start], read - pending + exc.start)
            read += len(chunk)
        if bad is None:
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError as exc:
                bad = (exc.object[exc.start], read - len(exc.object) + exc.start)
    if bad is None:
        return "utf-8-sig", "replace"
    if letters:
        _warn_mixed(path, *bad)
    return "utf-8-sig", _CP1252


_OFFICE = ("Save a spreadsheet as 'CSV UTF-8' (one row per record, a header row naming the fields) and a "
           "Word document as plain text (.txt).")
_BINARY = {  # file signatures of what users have instead of text
    b"PK\x03\x04": ("zip (Excel .xlsx, Word .docx or OpenDocument)", _OFFICE),
    b"\xd0\xcf\x11\xe0": ("Microsoft Office 97-2003 (.xls or .doc)", _OFFICE),
    b"%PDF": ("PDF", "Extract its text first, e.g. `pdftotext {file} {stem}.txt`, and give the .txt."),
    # a datasets save_to_disk folder's data file (an Arrow IPC stream), or an Arrow file
    b"\xff\xff\xff\xff": ("Arrow data", "Give the folder the dataset was saved to (datasets' save_to_disk), not its .arrow file."),
    b"ARROW1": ("Arrow data", "Give the folder the dataset was saved to (datasets' save_to_disk), not its .arrow file."),
}


def require(path: str) -> None:
    """Raise InputNotFoundError unless ``path`` exists (or is "-", stdin)."""
    if path != "-" and not Path(path).exists():
        raise InputNotFoundError(f"input {path!r} does not exist; check the path (use '-' to read stdin).")


def _unreadable(path: str, exc: OSError) -> DataError:
    if isinstance(exc, IsADirectoryError):
        return DataError(f"{path}: a folder, not a file; give the files in it (e.g. {Path(path) / '*.txt'}).")
    return DataError(f"{path}: cannot be read ({exc.strerror or exc}); check that it is a readable file.")


def read_rows(path: str, fmt: str | None = None, doc_name: str | None = None) -> Iterator[tuple[str, dict | DataError]]:
    """Yield ``(location, row)`` for every record of a file ("-": stdin, see :func:`_stdin_rows`).

    A document's records are named after the id it prints, else ``doc_name``, else the file's stem
    (see :func:`document_names`).

    Examples
    --------
    >>> location, row = next(read_rows("labels/seed.jsonl"))  # doctest: +SKIP
    >>> location, row["id"]  # doctest: +SKIP
    ('labels/seed.jsonl:1', 'kst-21501-28-300#1')
    """
    if path == "-" and fmt is None:
        yield from _stdin_rows()
        return
    require(path)
    named = fmt is None  # the format is the file name's guess, not the caller's word
    fmt = fmt or detect_format(path)
    name = "<stdin>" if path == "-" else path
    readers = {**_ROWS_FROM_TEXT, "document": functools.partial(_document_text, doc_name=doc_name)}
    if fmt == "unknown" or fmt == "document" and named:
        text = _read_text(path)
        fmt = _sniff(text, named_document=fmt == "document")
        yield from readers[fmt](text, name)
    elif fmt in _ROWS_FROM_TEXT:
        if fmt == "jsonl" and path != "-":
            yield from _jsonl_lines(path)
        elif fmt == "csv" and path != "-":
            yield from _csv_file(path)
        else:
            yield from readers[fmt](_read_text(path), name)
    elif fmt == "parquet":
        if gzipped(path):
            raise DataError(f"{name}: a gzipped Parquet file; Parquet compresses itself: `gunzip {name}` and give the .parquet.")
        yield from _parquet_rows(path)
    elif fmt == "dataset":
        yield from _dataset_rows(path)
    else:
        raise DataError(f"{name}: unknown input format {fmt!r}; use one of jsonl, csv, parquet, document.")


def _stdin_rows() -> Iterator[tuple[str, dict | DataError]]:
    """stdin: JSONL is streamed line by line (``zcat archive.jsonl.gz | classify label -``, or the
    gzip data itself); anything else (CSV, a document, UTF-16 text) is read whole and detected as
    for a file without a suffix."""
    with _decompressing("<stdin>"):
        stream = _gunzipped(sys.stdin.buffer)
        lead = []
        for line in stream:  # up to the first line with content
            lead.append(line)
            if line.strip(b" \t\r\n"):
                break
        head = b"".join(lead)
        if not _wide_codec(head) and head.removeprefix(codecs.BOM_UTF8).lstrip()[:1] == b"{":
            yield from jsonl_rows(itertools.chain(lead, stream), "<stdin>")
            return
        text = _text(head + stream.read(), "<stdin>")
        yield from _ROWS_FROM_TEXT[_sniff(text)](text, "<stdin>")


def _sniff(text: str, named_document: bool = False) -> str:
    """Content-based detection for files without a telling suffix; a file named as a document
    (.txt) is one unless it holds JSON records or a table (JSONL or CSV written under that name)."""
    from classify.documents import looks_like_document, looks_like_table

    if named_document:
        first = text.lstrip("\ufeff \n\r\t").split("\n", 1)[0]
        if first.strip() == "[":  # an indented JSON array
            return "jsonl"
        if first[:1] in ("{", "["):
            try:
                json.loads(first)
                return "jsonl"
            except ValueError:
                pass
        return "csv" if looks_like_table(text) else "document"
    head = text.lstrip()[:1]
    if head in ("{", "["):  # JSON Lines, or one JSON array of records
        return "jsonl"
    if looks_like_document(text):
        return "document"
    return "csv"


def _jsonl_lines(path: str) -> Iterator[tuple[str, dict | DataError]]:
    # streamed line by line: a multi-GB archive never sits in memory
    for name, first, lines in jsonl_chunks(path, 1 << 12):
        yield from jsonl_rows(lines, name, first)


def jsonl_chunks(path: str, size: int) -> Iterator[tuple[str, int, list[bytes]]]:
    """A JSONL file as ``(path, number of the first line, up to size raw lines)`` chunks, read as they
    are consumed; :func:`jsonl_rows` turns a chunk into rows (parallel labelling ships raw chunks
    to its workers, which parse them)."""
    require(path)
    with _open_binary(path) as handle, _decompressing(path):
        head = handle.peek(64)
        array = format_suffix(path) == ".json" and head.removeprefix(codecs.BOM_UTF8).lstrip()[:1] == b"["
        # a plain file is read up to its size at the start: lines a writer appends meanwhile are left
        # for the next run, and a line half written when the run started is one record, not two
        limit = os.fstat(handle.fileno()).st_size if isinstance(handle, io.BufferedReader) and os.path.isfile(path) else None
        if array or _wide_codec(head[:4]):
            # a JSON array is one value, and UTF-16/32 lines do not split at b"\n": decoded whole, as UTF-8 lines
            text = _decode(handle.read())
            handle, limit = io.BytesIO("".join(_json_lines(text, path)).encode("utf-8")), None
        first, read = 1, 0
        while lines := list(itertools.islice(handle, size)):
            if limit is not None:  # the lines that start before the size at the start
                kept = 0
                while kept < len(lines) and read < limit:
                    read += len(lines[kept])
                    kept += 1
                lines = lines[:kept]
            if not lines:
                break
            yield path, first, lines
            first += len(lines)


def jsonl_rows(lines: Iterable[bytes], name: str, first: int = 1) -> Iterator[tuple[str, dict | DataError]]:
    """``(location, row)`` of raw JSONL lines numbered from ``first`` (see :func:`read_rows`)."""
    for number, raw in enumerate(lines, first):
        yield from _jsonl_row(_decode(raw), f"{name}:{number}")


def _jsonl_text(text: str, name: str):
    for number, line in enumerate(_json_lines(text, name), 1):
        yield from _jsonl_row(line, f"{name}:{number}")


def _json_lines(text: str, name: str) -> Iterable[str]:
    """JSONL text as its lines; a .json file, stdin or a file without a suffix that holds one JSON
    array (``[{...}, {...}]``, what ``json.dump`` of a list writes) as one line per item, so its
    records are numbered like lines. A .jsonl file is JSON Lines only: a line "[...]" is a bad line."""
    if format_suffix(name) in (".jsonl", ".ndjson") or not text.lstrip().startswith("["):
        return io.StringIO(text)
    deep = DataError(f"{name}: a record in this JSON array is nested more than {MAX_NESTING} levels deep; fix it, or write one "
                     "JSON object per line (JSON Lines), where such a line is reported and the others read.")
    try:
        items = json.loads(text)  # a list: the text starts with "["
    except RecursionError:
        raise deep from None
    except ValueError as exc:  # JSONDecodeError is a ValueError
        raise DataError(f"{name}: starts with '[' but is not one JSON array ({exc}); fix it, or write one JSON "
                        "object per line (JSON Lines).") from None
    if _deeper_than(items, MAX_NESTING + 1):  # the array's own level, plus a record's: checked on the parsed items (a scan of the text took longer than parsing it)
        raise deep
    return [json.dumps(item, ensure_ascii=False) + "\n" for item in items]


MAX_NESTING = 200  # levels of JSON lists and objects a record may have: no real record comes near


def too_deep(text: str) -> bool:
    """Whether JSON lists and objects nest more than :data:`MAX_NESTING` levels deep in one line of
    ``text`` (strings skipped; valid JSON or not).

    Python's json parses deeper values on 3.13 than on 3.12 (which raised RecursionError), and
    writing such a value back out (CSV, Parquet, a terminal) recursed past the interpreter's limit:
    a depth limit of classify's own gives every Python the same clear error.
    """
    if text.count("[") + text.count("{") <= MAX_NESTING:  # the usual case: two scans in C
        return False
    depth = 0
    for match in _BRACKETS.finditer(text):
        if match.group() in ("[", "{"):
            depth += 1
            if depth > MAX_NESTING:
                return True
        elif match.group() in ("]", "}"):
            depth -= 1
    return False


def _deeper_than(value, limit: int) -> bool:
    """Whether a parsed JSON value nests lists and dicts more than ``limit`` levels deep (no recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (list, dict)):
            if depth > limit:
                return True
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return False


def _deep_error(where: str, line: str) -> DataError:
    error = DataError(f"{where}: nested more than {MAX_NESTING} levels deep (starts {line[:40]!r}); fix or remove the line.")
    try:  # where Python's json can parse it, the error record keeps the row's id and other plain fields
        row = json.loads(line)
    except (ValueError, RecursionError):
        return error
    if isinstance(row, dict):
        error.row = {k: v for k, v in row.items() if not isinstance(v, (list, dict))}
    return error


_BRACKETS = re.compile(r'"(?:[^"\\]|\\.)*"?|[\[\]{}]')  # a whole string (its brackets are text), or one bracket


def _jsonl_row(line: str, where: str):
    line = line.strip().replace("\x00", "")
    if not line:
        return
    if too_deep(line):
        yield where, _deep_error(where, line)
        return
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        reason = exc.msg.removesuffix(" at")  # json's "Unterminated string starting at" already ends in "at"
        yield where, DataError(f"{where}: not valid JSON ({reason} at column {exc.colno}); fix or remove the line.")
        return
    except RecursionError:  # deep nesting that the check above let through (a caller deep in its own stack)
        yield where, _deep_error(where, line)
        return
    except ValueError as exc:  # e.g. an integer of more than 4300 digits
        yield where, DataError(f"{where}: not valid JSON ({exc}); fix or remove the line.")
        return
    if not isinstance(row, dict):
        yield where, DataError(f"{where}: expected a JSON object (a record), got {type(row).__name__}.")
        return
    yield where, row


def _csv_text(text: str, name: str):
    yield from _csv_rows(io.StringIO(text.replace("\x00", ""), newline=""), name)


def _csv_file(path: str):
    """A CSV file's rows, streamed (memory stays flat whatever its size), decoded as :func:`_decode`
    would decode the whole file: one pass over the bytes settles the encoding first."""
    encoding, errors = _file_encoding(path)
    with io.TextIOWrapper(_open_binary(path), encoding=encoding, errors=errors, newline="") as handle, _decompressing(path):
        yield from _csv_rows((line.replace("\x00", "") for line in handle), path)


def _csv_rows(lines: Iterator[str], name: str):
    lines = iter(lines)
    header = next(lines, "")
    delimiter = "\t" if format_suffix(name) == ".tsv" and "\t" in header else _delimiter(header)  # a .tsv of commas: commas
    # csv's default field limit (128 KiB) would reject one long answer; the limit is process-wide,
    # so it is only ever raised, never lowered
    csv.field_size_limit(max(csv.field_size_limit(), _CSV_FIELD_LIMIT))
    reader = csv.DictReader(itertools.chain([header], lines), dialect="excel", delimiter=delimiter)
    while True:
        try:
            row = next(reader)
        except StopIteration:
            if reader.line_num == 1 and delimiter not in header and _prose(header):
                # one line of text read as a header without records: "echo 'Steunt u Oekraïne?' | classify label -"
                raise DataError(f"{name}: one line of text and no records (not JSONL, CSV or a parliamentary document). "
                                "Give questions as JSON Lines ({\"question\": \"...\"}) or CSV with a header row; "
                                "to see how one text is labelled: classify explain \"TEXT\".") from None
            return
        except csv.Error as exc:  # the reader cannot resynchronise after this: report and stop
            where = f"{name}:{reader.line_num}"
            yield where, DataError(f"{where}: not valid CSV ({exc}); fix the quoting from this line on.")
            return
        # a record's first line: quoted fields may span several, and blank lines before it are skipped
        start = reader.line_num - sum(v.count("\n") for v in row.values() if isinstance(v, str))
        where = f"{name}:{start}"
        if None in row:
            yield where, DataError(f"{where}: more fields than the header has columns; quote fields that contain commas.")
            continue
        yield where, {k: v for k, v in row.items() if k is not None}


def _prose(line: str) -> bool:
    """A line of text rather than column names: several words, or a question mark."""
    return "?" in line or len(line.split()) >= 4


def plain_text(text: str) -> bool:
    """Text that is none of JSON records, a table or a parliamentary document: one question, as
    ``classify explain`` takes it."""
    from classify.documents import looks_like_document, looks_like_table

    return text.lstrip("\ufeff \n\r\t")[:1] not in ("{", "[") and not looks_like_table(text) and not looks_like_document(text)


def rows_of_text(text: str, name: str) -> Iterator[tuple[str, dict | DataError]]:
    """``(location, row)`` of text already read (JSONL, CSV or a document, told by its content)."""
    yield from _ROWS_FROM_TEXT[_sniff(text)](text, name)


def _delimiter(header: str) -> str:
    """The delimiter the header line uses most: a comma, the semicolon of Excel in a Dutch (or any
    comma-decimal) locale, or a tab; a one-column file (none of them): the comma."""
    return max((",", ";", "\t"), key=header.count)


def _document_text(text: str, name: str, doc_name: str | None = None):
    from classify.documents import parse, printed_id

    # the id the document prints (the same under any file name), else the file's name
    doc_id = printed_id(text) or doc_name or (plain_stem(name) if name != "<stdin>" else None)
    for number, record in enumerate(parse(text, doc_id=doc_id, source=name), 1):
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
    batches = table.iter_batches(batch_size=4096)
    while True:
        try:
            batch = next(batches)
        except StopIteration:
            return
        except Exception as exc:  # a damaged or truncated row group
            raise DataError(f"{path}: unreadable after row {number} ({exc}); the Parquet file is damaged, rewrite it.") from None
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
        raise DataError(f"{path}: a directory, but not a dataset saved with Dataset.save_to_disk ({exc}).{_name_the_files(path)}") from None
    if hasattr(ds, "keys"):  # DatasetDict: read every split in order
        for split in ds.keys():
            for number, row in enumerate(ds[split], 1):
                yield f"{path}[{split}]:row {number}", row
    else:
        for number, row in enumerate(ds, 1):
            yield f"{path}:row {number}", row


def _name_the_files(folder: str) -> str:
    """The fix for a folder of input files given as one input: name the files."""
    from collections import Counter

    suffixes = Counter(p.suffix.lower() for p in Path(folder).iterdir() if p.is_file() and detect_format(str(p)) != "unknown")
    if not suffixes:
        return ""
    suffix, count = suffixes.most_common(1)[0]
    return f" To read the files in it, name them: {Path(folder) / ('*' + suffix)} ({count} {suffix} file{'s' * (count > 1)})."


def expand_documents(rows, field: str, id_field: str = "id", question_field: str = "question"):
    """Replace rows that carry a whole document in ``field`` by the document's question records.

    Each question record keeps the row's other fields and gets ``document_id`` (the row's id, else
    the id the document prints or one derived from its text: see :func:`classify.documents.parse`);
    a document that cannot be parsed becomes one error row. Rows without a document pass
    unchanged if they are records (have ``question_field``), else become an error row.
    """
    from classify.documents import parse
    from classify.errors import DocumentError

    for where, row in rows:
        text = row.get(field) if isinstance(row, dict) else None
        if not isinstance(text, str) or not text.strip():
            if isinstance(row, dict) and question_field not in row:  # neither a document nor a record
                state = "missing" if text is None else "empty" if isinstance(text, str) else f"{a_type(text)}, not text"
                error = DataError(f"{where}: field '{field}' (the --document-field) is {state}, and there is no "
                                  f"'{question_field}' field either: nothing to label.")
                error.row = {k: v for k, v in row.items() if k != field}
                yield where, error
                continue
            yield where, row
            continue
        rest = {k: v for k, v in row.items() if k != field}
        doc_id = str(row.get(id_field) or "") or None
        try:
            records = parse(text, doc_id=doc_id, source=f"{where}: field '{field}'")
        except DocumentError as exc:
            error = DataError(str(exc))
            error.row = rest  # the labelling output keeps the row's other fields
            yield where, error
            continue
        for record in records:
            yield f"{where}#{record.number}", {**rest, **record.to_dict(), "document_id": record.document}

