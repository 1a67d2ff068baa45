"""Tests of classify.formats: the kind of file a path names, under .gz too."""

import pytest

from classify.formats import detect_format, format_suffix, gzipped, plain_stem


@pytest.mark.parametrize(
    "name, kind",
    [("a.jsonl", "jsonl"), ("a.NDJSON", "jsonl"), ("a.json", "jsonl"), ("a.csv", "csv"), ("a.tsv", "csv"),
     ("a.parquet", "parquet"), ("a.pq", "parquet"), ("a.txt", "document"), ("a.xyz", "unknown"), ("-", "jsonl"),
     ("a.jsonl.gz", "jsonl"), ("a.CSV.GZ", "csv"), ("a.tsv.gz", "csv"), ("a.txt.gz", "document"), ("a.gz", "unknown")],
)
def test_detect_format(name, kind):
    assert detect_format(name) == kind


@pytest.mark.parametrize(("name", "suffix", "stem", "packed"), [
    ("labelled.csv", ".csv", "labelled", False), ("archive.jsonl.gz", ".jsonl", "archive", True), ("A.GZ", "", "A", True),
])
def test_the_format_suffix_and_stem_look_under_gz(name, suffix, stem, packed):
    assert (format_suffix(name), plain_stem(name), gzipped(name)) == (suffix, stem, packed)
