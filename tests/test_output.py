"""Tests of classify.output: writing JSONL/CSV/TSV/Excel CSV/Parquet and gzip atomically, choosing the format."""

# ruff: noqa: E501, B905  (pinned one-line messages and inline data rows read better unwrapped; zips are of equal-length test data)

from __future__ import annotations

import contextlib
import errno
import gzip
import io
import json
import os

import pytest

from classify.errors import DataError
from classify.io import read_rows
from classify.output import AtomicWriter, output_format, write_rows


def rows_of(path, fmt=None):
    return list(read_rows(str(path), fmt))


ROWS = [
    {"id": "1", "question": 'Een "vraag", met\nnieuwe regel', "topics": ["a", "b"], "scores": {"a": 0.5}, "stance": None},
    {"id": "2", "question": "Oekraïne", "topics": [], "scores": {"a": 0.25}, "stance": "agree"},
]


def test_write_jsonl_round_trip(tmp_path):
    path = tmp_path / "out" / "o.jsonl"  # parent directory is created
    assert write_rows(iter(ROWS), str(path), "jsonl") == 2
    assert [r for _, r in rows_of(path)] == ROWS
    assert "Oekraïne" in path.read_text(encoding="utf-8")  # not \u-escaped


def test_write_csv_round_trip(tmp_path):
    path = tmp_path / "o.csv"
    assert write_rows(ROWS, str(path), "csv") == 2
    back = [r for _, r in rows_of(path)]
    assert back[0]["question"] == ROWS[0]["question"]
    assert json.loads(back[0]["topics"]) == ["a", "b"] and json.loads(back[1]["scores"]) == {"a": 0.25}
    assert back[0]["stance"] == "" and back[1]["stance"] == "agree"


def test_write_csv_union_of_columns(tmp_path):
    path = tmp_path / "o.csv"
    write_rows([{"a": 1}, {"b": 2}], str(path), "csv")
    assert path.read_text(encoding="utf-8") == "a,b\n1,\n,2\n"


def test_write_parquet_round_trip(tmp_path):
    path = tmp_path / "o.parquet"
    assert write_rows(ROWS, str(path), "parquet") == 2
    back = [r for _, r in rows_of(path)]
    assert back[0]["topics"] == ["a", "b"] and back[1]["topics"] == []
    assert json.loads(back[0]["scores"]) == {"a": 0.5}  # dicts are stored as JSON text
    assert back[0]["stance"] is None and back[1]["question"] == "Oekraïne"


def test_write_unknown_format(tmp_path):
    with pytest.raises(DataError, match=r"unknown output format 'xlsx'; use one of jsonl, csv, tsv, excel, parquet"):
        write_rows(ROWS, str(tmp_path / "o.xlsx"), "xlsx")


def test_write_tsv_and_excel_csv(tmp_path):
    """tsv: tabs; excel: what Excel saves as "CSV UTF-8" in a Dutch locale (BOM, semicolons, CRLF)."""
    tsv, excel = tmp_path / "o.tsv", tmp_path / "o.csv"
    write_rows([{"a": "x;y", "b": "Oekraïne"}], str(tsv), "tsv")
    write_rows([{"a": "x;y", "b": "Oekraïne"}], str(excel), "excel")
    assert tsv.read_bytes() == "a\tb\nx;y\tOekraïne\n".encode()
    assert excel.read_bytes() == '\ufeffa;b\r\n"x;y";Oekraïne\r\n'.encode()
    for path in (tsv, excel):  # both read back as they were written
        assert [r for _, r in rows_of(path)] == [{"a": "x;y", "b": "Oekraïne"}]


def test_excel_csv_marks_text_that_starts_like_a_formula():
    rows = [{"answer": "- FOD Binnenlandse Zaken", "q": "=HYPERLINK(\"x\")", "n": -1, "t": ["-a"], "ok": "Ja -"}]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        write_rows(rows, None, "excel")
    assert out.getvalue().splitlines()[1] == """'- FOD Binnenlandse Zaken;"'=HYPERLINK(""x"")";-1;"[""-a""]";Ja -"""


def test_excel_csv_writes_numbers_with_a_decimal_comma():
    """Excel in a Dutch or Belgian locale (the one `excel` targets) reads "0.002" as 2 and "0.0015" as text."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        write_rows([{"topic_scores": {"a": 0.002, "b": 0.0015}, "n": 3, "x": -0.5}], None, "excel")
    assert out.getvalue().splitlines() == ["\ufefftopic_scores.a;topic_scores.b;n;x", "0,002;0,0015;3;-0,5"]


LABELLED = [  # a labelled file as label reads it back: an earlier run's score columns are input fields
    {"id": "1", "q": "x", "topic_scores.old": 0.7, "topic_scores.a": 0.1, "topics": [], "topic_scores": {"a": 0.9, "b": 0.2}},
    {"id": "2", "q": "", "topic_scores.old": 0.6, "topic_scores.a": 0.3, "error": "field 'question' is empty"},  # fails this time
]


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_scores_of_an_earlier_run_are_dropped_from_every_row(tmp_path, fmt):
    """A record that fails when relabelled keeps no score of the earlier run (CSV: no crash on a
    column outside the header; Parquet: the score columns stay numbers)."""
    path = tmp_path / f"o.{fmt}"
    write_rows(LABELLED, str(path), fmt)
    got = [r for _, r in rows_of(path)]
    assert list(got[0]) == ["id", "q", "topics", "topic_scores.a", "topic_scores.b", "error"]
    assert [r["topic_scores.a"] for r in got] == (["0.9", ""] if fmt == "csv" else [0.9, None])
    if fmt == "parquet":
        import pyarrow.parquet as pq

        assert str(pq.read_table(path).schema.field("topic_scores.b").type) == "double"


def test_score_columns_stay_when_nothing_is_labelled(tmp_path):
    """Output without predictions (parse, hydrate) keeps input fields named like score columns."""
    path = tmp_path / "o.csv"
    write_rows([{"id": "1", "topic_scores.a": 0.5}], str(path), "csv")
    assert [r for _, r in rows_of(path)] == [{"id": "1", "topic_scores.a": "0.5"}]


@pytest.mark.parametrize(("out", "fmt", "chosen"), [
    (None, None, "jsonl"), ("-", None, "jsonl"), ("o.csv", None, "csv"), ("o.TSV", None, "tsv"), ("o.pq", None, "parquet"),
    ("o.jsonl.gz", None, "jsonl"), ("o.csv.gz", None, "csv"), ("o.txt", None, "jsonl"), ("o", None, "jsonl"),
    ("o.csv", "excel", "excel"), ("o.csv.gz", "excel", "excel"), ("o.txt", "parquet", "parquet"), ("o.txt", "tsv", "tsv"), (None, "csv", "csv"),
])
def test_the_output_format_is_given_or_named_by_the_file(out, fmt, chosen):
    assert output_format(out, fmt) == chosen


@pytest.mark.parametrize(("out", "fmt", "message"), [
    ("o.csv", "jsonl", "--format jsonl would write JSONL into 'o.csv', a CSV file name: drop --format to write CSV, "
                       "or name the file for the format (e.g. o.jsonl)."),
    ("o.csv.gz", "parquet", "'o.csv.gz': Parquet compresses itself and cannot be gzipped; name the file .parquet."),
    ("o.parquet", "excel", "--format excel would write CSV into 'o.parquet', a Parquet file name: drop --format to write Parquet, "
                           "or name the file for the format (e.g. o.csv)."),
    ("o.jsonl.gz", "csv", "--format csv would write CSV into 'o.jsonl.gz', a JSONL file name: drop --format to write JSONL, "
                          "or name the file for the format (e.g. o.csv.gz)."),
    ("o.csv", "xlsx", "unknown output format 'xlsx'; use one of jsonl, csv, tsv, excel, parquet."),
    # classify reads a .tsv as tabs, and pandas a .csv as commas
    ("o.tsv", "csv", "--format csv would write CSV into 'o.tsv', a TSV file name: drop --format to write TSV, or name the file for the format (e.g. o.csv)."),
    ("o.tsv", "excel", "--format excel would write CSV into 'o.tsv', a TSV file name: drop --format to write TSV, or name the file for the format (e.g. o.csv)."),
    ("o.csv", "tsv", "--format tsv would write TSV into 'o.csv', a CSV file name: drop --format to write CSV, or name the file for the format (e.g. o.tsv)."),
    ("o.xlsx", None, "'o.xlsx': classify does not write spreadsheet files; for Excel, write --format excel --out o.csv (it opens in columns, ë intact)."),
    ("o.pdf", "csv", "'o.pdf': classify does not write Word, OpenDocument or PDF files; write .jsonl, .csv, .tsv or .parquet."),
    ("o.csv.bz2", None, "'o.csv.bz2': classify does not write compressed (other than gzip) files; name it o.csv.gz (gzip), or pipe stdout through the compressor."),
])
def test_a_format_the_file_name_contradicts_is_refused(out, fmt, message):
    with pytest.raises(DataError) as caught:
        output_format(out, fmt)
    assert str(caught.value) == message


@pytest.mark.parametrize(("name", "fmt"), [("o.jsonl.gz", "jsonl"), ("o.csv.gz", "csv"), ("o.tsv.gz", "tsv")])
def test_gzip_output_is_compressed_streamed_back_and_reproducible(tmp_path, name, fmt):

    path = tmp_path / name
    assert write_rows(iter(ROWS), str(path), fmt) == 2
    data = path.read_bytes()
    assert data[:2] == b"\x1f\x8b" and b"Oekra" not in data
    assert gzip.decompress(data).startswith(b'{"id": "1"' if fmt == "jsonl" else b"id")
    back = [r for _, r in rows_of(path)]
    assert back[1]["question"] == "Oekraïne" and len(back) == 2
    write_rows(iter(ROWS), str(path), fmt)
    assert path.read_bytes() == data  # no time stamp inside: the same rows give the same file


def test_write_to_stdout(capsys):
    write_rows(ROWS[1:], None, "jsonl")
    assert json.loads(capsys.readouterr().out) == ROWS[1]


def test_atomic_writer_leaves_nothing_on_error(tmp_path):
    path = tmp_path / "o.jsonl"
    with pytest.raises(RuntimeError):
        with AtomicWriter(str(path)) as handle:
            handle.write("half")
            raise RuntimeError("interrupted")
    assert list(tmp_path.iterdir()) == []


def test_atomic_writer_keeps_old_file_on_error(tmp_path):
    path = tmp_path / "o.jsonl"
    path.write_text("old\n")

    def rows():
        yield {"id": 1}
        raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError):
        write_rows(rows(), str(path), "jsonl")
    assert path.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["o.jsonl"]


def test_atomic_writer_replaces_on_success(tmp_path):
    path = tmp_path / "o.txt"
    path.write_text("old")
    with AtomicWriter(str(path)) as handle:
        handle.write("new")
    assert path.read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["o.txt"]


def test_atomic_writer_refuses_a_path_it_cannot_write_before_anything_is_read(tmp_path):
    (tmp_path / "folder").mkdir()
    (tmp_path / "file.jsonl").write_text("{}\n")
    consumed = []

    def rows():
        consumed.append(1)
        yield {"id": 1}

    with pytest.raises(DataError, match=r"output '.*folder' is a directory; give a file path, e.g. '.*folder/labelled.jsonl'\."):
        write_rows(rows(), str(tmp_path / "folder"), "jsonl")
    with pytest.raises(DataError, match=r"cannot write output '.*file.jsonl/o.jsonl': '.*file.jsonl' is a file, not a folder; choose another path\."):
        write_rows(rows(), str(tmp_path / "file.jsonl" / "o.jsonl"), "jsonl")
    assert consumed == [] and sorted(p.name for p in tmp_path.iterdir()) == ["file.jsonl", "folder"]


def test_atomic_writer_gives_the_umask_permissions_or_keeps_the_replaced_files(tmp_path):
    path = tmp_path / "o.csv"
    old = os.umask(0o022)
    try:
        write_rows(ROWS, str(path), "csv")
        assert path.stat().st_mode & 0o777 == 0o644  # tempfile alone gives 0600: colleagues could not read it
        path.chmod(0o640)
        write_rows(ROWS, str(path), "csv")
        assert path.stat().st_mode & 0o777 == 0o640
    finally:
        os.umask(old)


def test_atomic_writer_replaces_the_file_a_link_points_to_and_keeps_the_link(tmp_path):
    (tmp_path / "real").mkdir()
    link = tmp_path / "o.jsonl"
    link.symlink_to(tmp_path / "real" / "o.jsonl")
    write_rows(ROWS, str(link), "jsonl")
    assert link.is_symlink() and [r for _, r in rows_of(tmp_path / "real" / "o.jsonl")] == ROWS
    assert sorted(p.name for p in (tmp_path / "real").iterdir()) == ["o.jsonl"]


def test_atomic_writer_writes_into_a_named_pipe_instead_of_replacing_it(tmp_path):
    import threading

    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    received = []
    reader = threading.Thread(target=lambda: received.append(pipe.read_bytes()))
    reader.start()
    write_rows(ROWS, str(pipe), "jsonl")
    reader.join(10)
    assert pipe.is_fifo() and json.loads(received[0].splitlines()[1]) == ROWS[1]


class _FullDisk(io.RawIOBase):
    """A file on a disk that is full: every write fails as the system's write does."""

    def __init__(self, fd):
        self.fd = fd

    def writable(self):
        return True

    def write(self, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    def close(self):
        if not self.closed:
            os.close(self.fd)
        super().close()


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_a_full_disk_is_a_clean_error_and_leaves_no_temporary_file(tmp_path, monkeypatch, fmt):
    monkeypatch.setattr("classify.output.os.fdopen", lambda fd, *args, **kwargs: io.BufferedWriter(_FullDisk(fd)))
    with pytest.raises(DataError) as caught:
        write_rows(ROWS * 1000, str(tmp_path / f"o.{fmt}.gz"), fmt)
    assert str(caught.value) == f"cannot write output '{tmp_path}/o.{fmt}.gz' (No space left on device); free some space, or choose another path."
    assert list(tmp_path.iterdir()) == []


def test_records_written_under_a_txt_name_are_read_as_records(tmp_path):
    path = tmp_path / "labelled.txt"
    write_rows(ROWS, str(path), "jsonl")
    assert [r for _, r in rows_of(path)] == ROWS
    write_rows(ROWS, str(path), "csv")
    assert [r["id"] for _, r in rows_of(path)] == ["1", "2"]
