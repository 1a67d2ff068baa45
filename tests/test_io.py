"""Tests of classify.io: reading JSONL/CSV/Parquet/documents robustly (writing: test_output.py)."""

# ruff: noqa: E501, B905  (pinned one-line messages and inline data rows read better unwrapped; zips are of equal-length test data)

from __future__ import annotations

import gzip
import io
import json
import re
import sys
import warnings
from pathlib import Path

import pytest
from conftest import SEED_DOCUMENT

from classify.errors import DataError, InputNotFoundError
from classify.io import read_rows


def rows_of(path, fmt=None):
    return list(read_rows(str(path), fmt))


def test_jsonl_with_malformed_lines_yields_errors(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_text('{"id": "1", "question": "Een?"}\n\n{"id": 2, "question": \n[1, 2]\n{"id": "4", "question": "Vier?"}\n', encoding="utf-8")
    rows = rows_of(path)
    assert [where for where, _ in rows] == [f"{path}:1", f"{path}:3", f"{path}:4", f"{path}:5"]  # blank line 2 skipped
    assert rows[0][1] == {"id": "1", "question": "Een?"}
    assert isinstance(rows[1][1], DataError)
    assert str(rows[1][1]) == f"{path}:3: not valid JSON (Expecting value at column 22); fix or remove the line."
    assert isinstance(rows[2][1], DataError) and str(rows[2][1]) == f"{path}:4: expected a JSON object (a record), got list."
    assert rows[3][1]["id"] == "4"


def test_jsonl_bom_crlf_and_nul(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_bytes(b'\xef\xbb\xbf{"question": "Steun aan Oekra\xc3\xafne?"}\r\n{"question": "N\x00UL"}\r\n')
    assert [r for _, r in rows_of(path)] == [{"question": "Steun aan Oekraïne?"}, {"question": "NUL"}]


def test_cp1252_file(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_bytes('{"question": "Financiële steun – €5 miljoen?"}\n'.encode("cp1252"))
    assert rows_of(path)[0][1]["question"] == "Financiële steun – €5 miljoen?"


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be", "utf-32-le"])
@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".txt"])
def test_utf16_and_utf32_with_a_bom(tmp_path, codec, suffix):
    """Word's and Notepad's "Unicode" text: UTF-16 (or UTF-32) with a byte order mark."""
    text = {".jsonl": '{"id": "1", "question": "Steun aan Oekraïne – €5 miljoen?"}\n{"id": "2", "question": "Ja"}\n',
            ".csv": "id,question\n1,Steun aan Oekraïne – €5 miljoen?\n2,Ja\n",
            ".txt": "Vraag 1\nSteun aan Oekraïne – €5 miljoen?\n\nAntwoord\nJa.\n"}[suffix]
    path = tmp_path / f"in{suffix}"
    path.write_bytes(("\ufeff" + text).encode(codec))  # the BOM, in the file's own byte order
    rows = [r for _, r in rows_of(path)]
    assert rows[0]["question"].startswith("Steun aan Oekraïne – €5 miljoen?")
    if suffix != ".txt":
        assert rows[1]["question"] == "Ja" and len(rows) == 2


def test_cp1252_csv(tmp_path):
    path = tmp_path / "in.csv"
    path.write_bytes("id,question\n1,Oekraïne – steun\n".encode("cp1252"))
    assert rows_of(path)[0][1] == {"id": "1", "question": "Oekraïne – steun"}


@pytest.mark.parametrize("suffix", [".txt", ".csv", ".jsonl"])
def test_a_cp1252_letter_in_a_utf8_file_garbles_nothing_else(tmp_path, suffix):
    """One cp1252 'é' pasted into a UTF-8 text made the whole file cp1252: every 'ï' became 'Ã¯'.
    Now only that byte is read as cp1252, and a file (not a JSONL line) warns with its offset."""
    text = {".txt": "Vraag 1\nSteunt u Oekraïne? Caf\x00\nAntwoord\nJa.\n", ".csv": "id,question\n1,Steunt u Oekraïne? Caf\x00\n",
            ".jsonl": '{"id": "1", "question": "Steunt u Oekraïne? Caf\x00"}\n'}[suffix]
    path = tmp_path / f"in{suffix}"
    path.write_bytes(text.encode("utf-8").replace(b"\x00", b"\xe9"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        question = rows_of(path)[0][1]["question"]
    assert question.startswith("Steunt u Oekraïne? Café")
    offset = text.encode("utf-8").index(b"\x00")
    assert [str(w.message) for w in caught] == ([] if suffix == ".jsonl" else [
        f"{path}: byte {offset} (0xe9) is not UTF-8, though the file's other accented letters are: bytes like it are read "
        "as Windows-1252 ('é'). Check those letters, or save the file as UTF-8."])


def test_excel_csv_in_a_dutch_locale_uses_semicolons(tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes('\ufeffid;question;topics\r\n1;Steun, en hoeveel?;"ukraine_support;defence_industry"\r\n'.encode("utf-8"))
    assert rows_of(path)[0][1] == {"id": "1", "question": "Steun, en hoeveel?", "topics": "ukraine_support;defence_industry"}


@pytest.mark.parametrize(("header", "delimiter"), [("id,question", ","), ("id\tquestion", "\t"), ("question", ",")])
def test_the_header_line_decides_the_delimiter(tmp_path, header, delimiter):
    path = tmp_path / "in.csv"
    path.write_text(f"{header}\n" + delimiter.join(["7", "Vraag; met puntkomma?"][-header.count(delimiter) - 1:]) + "\n", encoding="utf-8")
    assert rows_of(path)[0][1]["question"] == "Vraag; met puntkomma?"


@pytest.mark.parametrize(("name", "head", "says"), [
    ("stemmingen.xlsx", b"PK\x03\x04\x14\x00", "a zip (Excel .xlsx, Word .docx or OpenDocument) file, not text;"),
    ("vragen.xls", b"\xd0\xcf\x11\xe0\xa1\xb1", "a Microsoft Office 97-2003 (.xls or .doc) file, not text;"),
    ("kst-36600-X-45.pdf", b"%PDF-1.7\n", "a PDF file, not text;"),
    ("hernoemd.csv", b"%PDF-1.7\n", "a PDF file, not text;"),
    ("data-00000-of-00001.arrow", b"\xff\xff\xff\xff\x10\x01", "an Arrow data file, not text;"),  # was read as CSV: junk
])
def test_a_binary_office_or_pdf_file_names_its_kind_and_the_fix(tmp_path, name, head, says):
    path = tmp_path / name
    path.write_bytes(head + bytes(range(256)))
    fix = (f"`pdftotext {name} {path.stem}.txt`" if "PDF" in says else "Give the folder the dataset was saved to" if "Arrow" in says
           else "Save a spreadsheet as 'CSV UTF-8'")
    with pytest.raises(DataError, match=f"{re.escape(f'{name}: {says}')} .*{re.escape(fix)}"):
        rows_of(path)


def test_csv_embedded_newlines_quotes_bom_crlf(tmp_path):
    path = tmp_path / "in.csv"
    text = 'id,question,answer\r\n1,"Eerste regel\r\ntweede regel","Hij zei ""ja"", toen"\r\n2,Kort,\r\n'
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    rows = rows_of(path)
    assert [r for _, r in rows] == [
        {"id": "1", "question": "Eerste regel\r\ntweede regel", "answer": 'Hij zei "ja", toen'},
        {"id": "2", "question": "Kort", "answer": ""},
    ]
    assert [where for where, _ in rows] == [f"{path}:2", f"{path}:4"]  # the line each record starts on


def test_csv_nul_bytes_and_too_many_fields(tmp_path):
    path = tmp_path / "in.csv"
    path.write_bytes(b"id,question\n1,V\x00raag\n2,een,twee\n")
    rows = rows_of(path)
    assert rows[0][1] == {"id": "1", "question": "Vraag"}
    assert isinstance(rows[1][1], DataError)
    assert str(rows[1][1]) == f"{path}:3: more fields than the header has columns; quote fields that contain commas."


def test_a_tsv_file_of_commas_is_read_by_its_header(tmp_path):
    path = tmp_path / "commas.tsv"
    path.write_text("id,question\n1,Steun?\n", encoding="utf-8")
    assert [r for _, r in rows_of(path)] == [{"id": "1", "question": "Steun?"}]


def test_tsv(tmp_path):
    path = tmp_path / "in.tsv"
    path.write_text("id\tquestion\n1\tVraag, met komma\n", encoding="utf-8")
    assert rows_of(path)[0][1] == {"id": "1", "question": "Vraag, met komma"}


def test_parquet(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "in.parquet"
    pq.write_table(pa.Table.from_pylist([{"id": "1", "question": "Een?", "topics": ["a", "b"]}, {"id": "2", "question": "Twee?", "topics": []}]), path)
    rows = rows_of(path)
    assert rows == [(f"{path}:row 1", {"id": "1", "question": "Een?", "topics": ["a", "b"]}), (f"{path}:row 2", {"id": "2", "question": "Twee?", "topics": []})]


def test_corrupt_parquet(tmp_path):
    path = tmp_path / "in.parquet"
    path.write_bytes(b"not parquet at all")
    with pytest.raises(DataError, match=r"in\.parquet: not a readable Parquet file"):
        rows_of(path)


def test_saved_dataset_directory(tmp_path):
    from datasets import Dataset

    Dataset.from_list([{"id": "1", "question": "Een?"}]).save_to_disk(str(tmp_path / "ds"))
    assert rows_of(tmp_path / "ds") == [(f"{tmp_path / 'ds'}:row 1", {"id": "1", "question": "Een?"})]


def test_directory_that_is_not_a_dataset(tmp_path):
    with pytest.raises(DataError, match=r"a directory, but not a dataset saved with Dataset\.save_to_disk \(.*\)\.$"):
        rows_of(tmp_path)


def test_a_folder_of_input_files_is_told_to_name_them(tmp_path):
    for name in ("a.txt", "b.txt", "notes.md"):
        (tmp_path / name).write_text("Vraag 1\nV?\n", encoding="utf-8")
    with pytest.raises(DataError, match=re.escape(f"To read the files in it, name them: {tmp_path / '*.txt'} (2 .txt files).")):
        rows_of(tmp_path)


def test_document(tmp_path):
    rows = rows_of(SEED_DOCUMENT)
    assert len(rows) == 15
    assert rows[0][0] == f"{SEED_DOCUMENT}:question 1"
    assert rows[0][1]["id"] == "kst-21501-28-300#1" and rows[0][1]["question"]


def test_a_document_keeps_its_printed_id_under_any_file_name(tmp_path):
    """Record ids come from the Kamerstuk number the document prints, as in the library and the
    project's annotations; a document that prints none is named after its file."""
    renamed = tmp_path / "download (3).txt"
    renamed.write_bytes(Path(SEED_DOCUMENT).read_bytes())
    assert [r["id"] for _, r in rows_of(renamed)] == [r["id"] for _, r in rows_of(SEED_DOCUMENT)]
    unnumbered = tmp_path / "brief_minister.txt"
    unnumbered.write_text("Vraag 1\nSteun aan Oekraïne?\n\nAntwoord\nJa.\n", encoding="utf-8")
    assert rows_of(unnumbered)[0][1]["id"] == "brief_minister#1"
    windows = tmp_path / "windows.txt"  # Windows line ends hid the printed number (ids became windows#1 ...)
    windows.write_bytes(Path(SEED_DOCUMENT).read_bytes().replace(b"\n", b"\r\n"))
    assert [r["id"] for _, r in rows_of(windows)] == [r["id"] for _, r in rows_of(SEED_DOCUMENT)]
    packed = tmp_path / "brief_minister.txt.gz"  # was brief_minister.txt#1
    packed.write_bytes(gzip.compress(unnumbered.read_bytes()))
    assert rows_of(packed)[0][1]["id"] == "brief_minister#1"


MULTILINE_CSV = ('id,question,answer\n'
                 'be:1,"Lijn Brussel. - Incident.\n\n Vraag 1: Wat gebeurde er?\n\n Vraag 2: Wanneer?",\n'
                 'be:2,"Kort, maar\n\nVraag 3: goed?",Ja\n')


@pytest.mark.parametrize("name", ["export", "export.txt", "export.gz"])
def test_a_csv_with_paragraphs_in_its_fields_is_not_taken_for_a_document(tmp_path, name):
    """Questions with paragraphs are quoted fields across lines: still a table, not a document
    whose "Vraag 1:" lines would be split into made-up questions (it was: 2 records -> 3)."""

    path = tmp_path / name
    data = MULTILINE_CSV.encode()
    path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    rows = [r for _, r in rows_of(path)]
    assert [r["id"] for r in rows] == ["be:1", "be:2"] and rows[1]["question"] == "Kort, maar\n\nVraag 3: goed?"


def test_unknown_suffix_is_sniffed(tmp_path):
    (tmp_path / "a.dat").write_text('{"question": "V?"}\n', encoding="utf-8")
    (tmp_path / "b.dat").write_text("id,question\n1,V?\n", encoding="utf-8")
    assert rows_of(tmp_path / "a.dat")[0][1] == {"question": "V?"}
    assert rows_of(tmp_path / "b.dat")[0][1] == {"id": "1", "question": "V?"}


def test_missing_file(tmp_path):
    with pytest.raises(InputNotFoundError, match=r"input '.*nope\.jsonl' does not exist; check the path \(use '-' to read stdin\)"):
        rows_of(tmp_path / "nope.jsonl")
    with pytest.raises(FileNotFoundError):
        rows_of(tmp_path / "nope.jsonl")


def test_unknown_format(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_text("{}\n")
    with pytest.raises(DataError, match=r"unknown input format 'xml'"):
        rows_of(path, "xml")


# -- writing --------------------------------------------------------------------------------


def test_gzip_input_is_recognised_by_its_content(tmp_path):

    for name in ("records.jsonl.gz", "records.gz", "records.jsonl"):  # a misnamed file too
        path = tmp_path / name
        path.write_bytes(gzip.compress(b'{"id": "1", "question": "Steun aan Oekra\xc3\xafne?"}\n'))
        assert [r for _, r in rows_of(path)] == [{"id": "1", "question": "Steun aan Oekraïne?"}]
    document = tmp_path / "doc.txt.gz"
    document.write_bytes(gzip.compress(Path(SEED_DOCUMENT).read_bytes()))
    assert next(read_rows(str(document)))[1]["id"] == "kst-21501-28-300#1"


@pytest.mark.parametrize("name", ["cut.jsonl.gz", "cut.csv.gz", "cut.gz"])
def test_a_cut_short_gzip_archive_stops_with_the_check(tmp_path, name):

    lines = "".join(f'{{"id": "{i}", "question": "Vraag {i} over de begroting?"}}\n' for i in range(20000))
    data = gzip.compress(("id,question\n" if ".csv" in name else "") .encode() + lines.encode())
    path = tmp_path / name
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(DataError) as caught:
        list(read_rows(str(path)))
    assert str(caught.value) == (f"{path}: the gzip data is cut short or corrupt (Compressed file ended before the end-of-stream "
                                 f"marker was reached). Check it with `gzip -t {path}` and copy it again.")


def test_a_gzipped_parquet_file_is_refused_with_the_fix(tmp_path):
    path = tmp_path / "o.parquet.gz"
    path.write_bytes(b"\x1f\x8b")
    with pytest.raises(DataError, match=r"a gzipped Parquet file; Parquet compresses itself: `gunzip .*o\.parquet\.gz` and give the \.parquet\."):
        list(read_rows(str(path)))


def test_expand_documents_splits_a_document_field_and_keeps_other_fields():
    from classify.io import expand_documents

    doc = SEED_DOCUMENT.read_text(encoding="utf-8")
    rows = [("f:1", {"id": "nr300", "source": "tk", "text": doc}), ("f:2", {"id": "plain", "question": "Vraag?"}),
            ("f:3", {"id": "bad", "text": "geen vragen hier"})]
    out = list(expand_documents(rows, "text"))
    assert len(out) == 17
    first = out[0][1]
    assert first["id"] == "nr300#1" and first["document_id"] == "nr300" and first["source"] == "tk" and "text" not in first
    assert out[15] == ("f:2", {"id": "plain", "question": "Vraag?"})
    where, error = out[16]
    assert isinstance(error, DataError) and error.row == {"id": "bad"}
    assert str(error).startswith("f:3: field 'text': no questions found")


@pytest.mark.parametrize(("text", "state"), [("", "empty"), (None, "missing"), (7, "an int, not text")])
def test_expand_documents_a_row_with_neither_a_document_nor_a_question_is_an_error(text, state):
    from classify.io import expand_documents

    [(where, error)] = expand_documents([("f:4", {"nr": "k1", "text": text})], "text")
    assert isinstance(error, DataError) and error.row == {"nr": "k1"}
    assert str(error) == f"f:4: field 'text' (the --document-field) is {state}, and there is no 'question' field either: nothing to label."


def test_expand_documents_takes_the_document_id_from_the_id_field():
    from classify.io import expand_documents

    doc = SEED_DOCUMENT.read_text(encoding="utf-8")
    out = list(expand_documents([("f:1", {"nr": "k300", "body": doc})], "body", id_field="nr"))
    assert out[0][1]["id"] == "k300#1" and out[0][1]["document_id"] == "k300"
    out = list(expand_documents([("f:1", {"body": doc})], "body", id_field="nr"))  # no id: the printed one
    assert out[0][1]["id"] == "kst-21501-28-300#1" and out[0][1]["document_id"] == "kst-21501-28-300"


class _Stdin:
    """sys.stdin whose bytes arrive line by line, counting how many lines were taken."""

    def __init__(self, data: bytes):
        self.buffer = self
        self._lines = iter(data.splitlines(keepends=True))
        self.taken = 0

    def __iter__(self):
        return self

    def __next__(self):
        line = next(self._lines)
        self.taken += 1
        return line

    def read(self):
        return b"".join(self._lines)


def test_jsonl_on_stdin_is_streamed(monkeypatch):
    stdin = _Stdin(b"\n" + b"".join(b'{"id": "%d", "question": "V%d?"}\n' % (i, i) for i in range(1000)))
    monkeypatch.setattr("sys.stdin", stdin)
    rows = read_rows("-")
    assert next(rows) == ("<stdin>:2", {"id": "0", "question": "V0?"})
    assert stdin.taken == 2  # a blank line and the first record: nothing read ahead
    assert len(list(rows)) == 999


def test_gzip_on_stdin_is_decompressed_and_streamed(monkeypatch):

    data = gzip.compress(b"".join(b'{"id": "%d", "question": "V%d?"}\n' % (i, i) for i in range(100000)))
    monkeypatch.setattr("sys.stdin", type("Stdin", (), {"buffer": io.BufferedReader(io.BytesIO(data))}))
    rows = read_rows("-")
    assert next(rows) == ("<stdin>:1", {"id": "0", "question": "V0?"})
    assert sys.stdin.buffer.tell() < len(data)  # nothing read ahead to the end
    assert len(list(rows)) == 99999
    monkeypatch.setattr("sys.stdin", type("Stdin", (), {"buffer": io.BufferedReader(io.BytesIO(data[:1000]))}))
    with pytest.raises(DataError, match=r"^<stdin>: the gzip data is cut short or corrupt \(.*\)\.$"):
        list(read_rows("-"))


def test_one_line_of_text_on_stdin_is_no_empty_table(monkeypatch):
    """`echo "Steunt u Oekraïne?" | classify label -` labelled 0 records, exit 0 (a header, no rows)."""
    monkeypatch.setattr("sys.stdin", _Stdin("Steunt u Oekraïne met munitie?\n".encode()))
    with pytest.raises(DataError, match=r"^<stdin>: one line of text and no records \(not JSONL, CSV or a parliamentary document\)\. "):
        list(read_rows("-"))
    monkeypatch.setattr("sys.stdin", _Stdin(b"id,question\n"))  # a table without rows is empty, not an error
    assert list(read_rows("-")) == []


@pytest.mark.parametrize(("data", "first"), [
    ("id;question\n1;Steun aan Oekraïne?\n".encode(), {"id": "1", "question": "Steun aan Oekraïne?"}),
    (MULTILINE_CSV.encode(), {"id": "be:1", "answer": ""}),
    ("\ufeff{\"question\": \"Steun aan Oekraïne?\"}\n".encode("utf-16-le"), {"question": "Steun aan Oekraïne?"}),
    (Path(SEED_DOCUMENT).read_bytes(), {"id": "kst-21501-28-300#1"}),
])
def test_csv_utf16_or_a_document_on_stdin_is_detected(monkeypatch, data, first):
    monkeypatch.setattr("sys.stdin", _Stdin(data))
    row = next(read_rows("-"))[1]
    assert {k: row[k] for k in first} == first


@pytest.mark.parametrize("indent", [None, 2])
@pytest.mark.parametrize("suffix", [".json", ".dat"])
def test_a_file_holding_one_json_array_of_records(tmp_path, indent, suffix):
    """What json.dump of a list writes: its items are the records, numbered like lines."""
    path = tmp_path / f"export{suffix}"
    path.write_text(json.dumps([{"id": "1", "question": "Steun?"}, 5, {"id": "3", "question": "Vloot?"}], indent=indent), encoding="utf-8")
    rows = rows_of(path)
    assert [where for where, _ in rows] == [f"{path}:1", f"{path}:2", f"{path}:3"]
    assert rows[0][1] == {"id": "1", "question": "Steun?"} and rows[2][1]["id"] == "3"
    assert str(rows[1][1]) == f"{path}:2: expected a JSON object (a record), got int."


def test_a_json_array_on_stdin(monkeypatch):
    monkeypatch.setattr("sys.stdin", _Stdin(b'[\n {"question": "Steun?"},\n {"question": "Vloot?"}\n]\n'))
    assert [row["question"] for _, row in read_rows("-")] == ["Steun?", "Vloot?"]


def test_a_json_array_with_a_record_nested_too_deeply_stops_with_the_fix(tmp_path):
    path = tmp_path / "export.json"
    path.write_text('[{"question": "Steun?", "extra": ' + "[" * 3000 + "]" * 3000 + "}]", encoding="utf-8")
    with pytest.raises(DataError, match=r"export\.json: a record in this JSON array is nested more than 200 levels deep; fix it, or write"):
        rows_of(path)
    path.write_text('[{"question": "Steun?", "extra": ' + "[" * 300 + "]" * 300 + "}]", encoding="utf-8")  # parsed by every Python
    with pytest.raises(DataError, match=r"nested more than 200 levels deep"):
        rows_of(path)
    path.write_text('[{"question": "Steun?", "extra": ' + "[" * 150 + "]" * 150 + "}]", encoding="utf-8")
    assert rows_of(path)[0][1]["question"] == "Steun?"  # deep, but within the limit


def test_a_broken_json_array_stops_with_the_fix(tmp_path):
    path = tmp_path / "export.json"
    path.write_text('[{"question": "Steun?"},', encoding="utf-8")
    with pytest.raises(DataError, match=r"export\.json: starts with '\[' but is not one JSON array \(Expecting value: .*\); fix it, or write one JSON object per line \(JSON Lines\)\.$"):
        rows_of(path)


def test_a_jsonl_file_is_json_lines_only(tmp_path):
    """In a .jsonl file, a first line "[...]" is one bad line, not an array of records."""
    path = tmp_path / "in.jsonl"
    path.write_text('[{"question": "Steun?"}, {"question": "Vloot?"}]\n{"question": "Drie?"}\n', encoding="utf-8")
    rows = rows_of(path)
    assert len(rows) == 2 and str(rows[0][1]) == f"{path}:1: expected a JSON object (a record), got list."


@pytest.mark.parametrize("codec", ["utf-8", "cp1252"])
def test_a_large_csv_is_streamed_and_decoded_as_a_whole(tmp_path, codec):
    """A CSV file is read row by row, in the encoding of the whole file: a cp1252 byte after the
    first MiBs still makes it cp1252, and a UTF-8 character across a read boundary stays whole."""
    from classify.formats import BUFFER

    filler = "".join(f"{i},Vraag nummer {i} over de begroting?\n" for i in range(BUFFER // 30))
    path = tmp_path / "big.csv"
    path.write_bytes(("id,question\n" + filler + "x,Steun aan Oekraïne – €5 miljoen?\n").encode(codec))
    rows = read_rows(str(path))
    assert next(rows)[1] == {"id": "0", "question": "Vraag nummer 0 over de begroting?"}
    *_, (where, last) = rows
    assert last == {"id": "x", "question": "Steun aan Oekraïne – €5 miljoen?"} and where.endswith(f":{filler.count(chr(10)) + 2}")


def test_a_jsonl_file_that_grows_while_read_is_read_as_it_was_at_the_start(tmp_path):
    """A writer appending mid-run: a line flushed in two parts came out as two error records (one
    record more than the input held, every later line number off by one)."""
    from classify.io import jsonl_chunks

    path = tmp_path / "grow.jsonl"
    path.write_text("".join(f'{{"id": "{i}", "question": "V{i}?"}}\n' for i in range(6)), encoding="utf-8")
    chunks = jsonl_chunks(str(path), 2)
    first = next(chunks)
    with open(path, "a", encoding="utf-8") as writer:
        writer.write('{"id": "6", "quest')  # half a line, flushed
        writer.flush()
        rest = list(chunks)
        writer.write('ion": "V6?"}\n')
    assert [len(lines) for _, _, lines in [first, *rest]] == [2, 2, 2]
    assert [row["id"] for _, row in rows_of(path)] == [str(i) for i in range(7)]  # the next run reads it whole


def test_a_record_after_a_blank_line_is_located_at_its_own_line(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("id;question;topics\n1;Treinen te laat?;vervoer\n\n2;Wachtlijsten?;zorg\n", encoding="utf-8")
    assert [where for where, _ in rows_of(path)] == [f"{path}:2", f"{path}:4"]  # was :3
