"""The HTML evaluation report (classify.report) and `classify evaluate --report`."""

import pytest
from typer.testing import CliRunner

from classify.annotations import from_rows
from classify.cli import app

pytest.importorskip("matplotlib")


def test_report_writes_html_and_images(tiny_model, records, tmp_path):
    from classify.report import write

    data = from_rows([(f"r:{i}", r) for i, r in enumerate(records)], tiny_model.schema)
    index = write(tiny_model, data, tmp_path / "rep")
    page = index.read_text(encoding="utf-8")
    assert (tmp_path / "rep" / "topics_pr.png").stat().st_size > 1000
    assert (tmp_path / "rep" / "stance_confusion.png").stat().st_size > 1000
    assert "topics_pr.png" in page and "stance_confusion.png" in page and "threshold" in page
    for label in tiny_model.schema.topics:
        assert label in page


def test_cli_evaluate_report(tiny_model_dir, records_path, tmp_path):
    result = CliRunner().invoke(app, ["evaluate", str(records_path), "--model", str(tiny_model_dir), "--report", str(tmp_path / "r")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "r" / "index.html").is_file()


def test_cli_evaluate_report_into_a_file_fails_before_evaluating(tiny_model_dir, records_path):
    before = records_path.read_bytes()
    result = CliRunner().invoke(app, ["evaluate", str(records_path), "--model", str(tiny_model_dir), "--report", str(records_path)])
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr == f"classify: error: --report {str(records_path)!r}: {str(records_path)!r} is a file, not a folder; give a directory for the report.\n"
    assert records_path.read_bytes() == before


def test_report_without_matplotlib_says_how_to_install_it(monkeypatch, tmp_path):
    import sys

    from classify.errors import ClassifyError
    from classify.report import check

    monkeypatch.setitem(sys.modules, "matplotlib", None)  # what an environment without it gives
    with pytest.raises(ClassifyError, match=r"the HTML report needs matplotlib: pip install 'classify\[report\]'"):
        check(tmp_path / "r")
