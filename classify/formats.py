"""Record file names and formats: which kind a path names (JSONL, CSV, Parquet, a document, a
saved dataset), under a .gz too. Shared by reading (:mod:`classify.io`) and writing
(:mod:`classify.output`).
"""

from __future__ import annotations

from pathlib import Path

DOCUMENT_SUFFIXES = (".txt", ".text")
BUFFER = 1 << 20  # bytes of file buffer: archives are GBs, and every system call costs (half the write time at 8 KiB)


def detect_format(path: str) -> str:
    """The input kind of a path by its suffix: jsonl, csv, parquet, dataset, document or unknown."""
    if path == "-":
        return "jsonl"
    p = Path(path)
    if p.is_dir():
        return "dataset"
    suffix = format_suffix(path)
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    if suffix in (".csv", ".tsv"):
        return "csv"
    if suffix in (".parquet", ".pq"):
        return "parquet"
    if suffix in DOCUMENT_SUFFIXES:
        return "document"
    return "unknown"


def format_suffix(path: str) -> str:
    """The suffix that names a file's format, looking under a .gz: ".jsonl" for archive.jsonl.gz."""
    p = Path(path)
    return Path(p.stem).suffix.lower() if gzipped(path) else p.suffix.lower()


def plain_stem(path: str) -> str:
    """A file's name without its format suffix and .gz: "labelled" for labelled.csv.gz."""
    return Path(Path(path).stem).stem if gzipped(path) else Path(path).stem


def gzipped(path: str) -> bool:
    """Whether a file is named as gzip (``.gz``): output to it is compressed."""
    return Path(path).suffix.lower() == ".gz"
