"""The HTML evaluation report (classify.report) and `classify evaluate --report`."""

import copy

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
    assert "<strong>Note (topics):</strong> 24 of these 24 records were in the model&#x27;s training data; its figures on them are optimistic" in page
    assert "Model: (in memory) (trained on 24 records, fingerprint sha256:" in page
    assert "positives" not in page and " annotated examples, " in page  # "1 positives", "n+=7" were the words before


def test_a_label_never_predicted_has_no_precision_in_the_report(tiny_model, records, tmp_path):
    from classify.report import write

    data = from_rows([(f"r:{i}", r) for i, r in enumerate(records)], tiny_model.schema)
    model = copy.deepcopy(tiny_model)  # the session's model stays as it is
    label = model.schema.topics[0]
    model.topics.thresholds_[0] = 1.0  # nothing reaches it: the label is never predicted
    page = write(model, data, tmp_path / "rep", name="models/tiny").read_text(encoding="utf-8")
    assert "<title>classify evaluation of models/tiny</title>" in page
    assert f"<code>{label}</code>, threshold 1.000: precision - (none predicted), recall 0.000" in page


def test_cli_evaluate_report(tiny_model_dir, records_path, tmp_path):
    result = CliRunner().invoke(app, ["evaluate", str(records_path), "--model", str(tiny_model_dir), "--report", str(tmp_path / "r")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "r" / "index.html").is_file()


def test_report_with_labels_the_model_does_not_know(tiny_model, records, tmp_path):
    """evaluate --unknown-labels miss --report: the unknown label is in the table, without a curve."""
    from classify.report import write

    records[0]["topics"] = ["airports"]
    data = from_rows([(f"r:{i}", r) for i, r in enumerate(records)], None)
    with pytest.warns(UserWarning, match="scored as missed"):
        report = tiny_model.evaluate(data, unknown_labels="miss")
    page = write(tiny_model, data, tmp_path / "rep", report).read_text(encoding="utf-8")
    assert "scored as never predicted: airports" in page and "<code>airports</code>" not in page


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
    with pytest.raises(ClassifyError, match=r"the HTML report needs matplotlib: pip install matplotlib \(or pip install '\.\[report\]' in classify's checkout\)"):
        check(tmp_path / "r")


def test_the_report_marks_the_models_own_labels_where_a_label_count_rule_applies(records, tmp_path):
    """Trained on one topic per record, the model picks exactly one: its figures are those of
    that rule, not of the thresholds alone (the page contradicted its own table)."""
    import re

    import classify
    from classify.report import write

    single = [dict(r, topics=r["topics"][:1]) for r in records if r["topics"]]
    model = classify.train(single, cv=0)
    assert (model.topics.min_labels_, model.topics.max_labels_) == (1, 1)
    data = from_rows([(f"r:{i}", r) for i, r in enumerate(single)], model.schema)
    page = write(model, data, tmp_path / "rep").read_text(encoding="utf-8")
    table = model.evaluate(data)["topics"]["per_label"]
    for label in model.schema.topics:
        shown = re.search(rf"<code>{label}</code>, the model's labels \(exactly one label per record\): precision ([0-9.]+), recall ([0-9.]+)", page)
        assert shown and (float(shown[1]), float(shown[2])) == (round(table[label]["precision"], 3), round(table[label]["recall"], 3))


def test_long_and_emoji_labels_draw_without_overlap_or_warnings(records, tmp_path):
    """A 180-character label's title ran over its neighbour's; an emoji gave 'Glyph ... missing' warnings."""
    import warnings

    import classify
    from classify.report import _short, write

    names = {"ukraine": "Oekraïne 🚆", "industry": ("Defensie-industrie " * 10).strip()}
    renamed = [dict(r, topics=[names.get(t, t) for t in r["topics"]]) for r in records]
    model = classify.train(renamed, cv=0)
    data = from_rows([(f"r:{i}", r) for i, r in enumerate(renamed)], model.schema)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        page = write(model, data, tmp_path / "rep").read_text(encoding="utf-8")
    assert names["industry"] in page and names["ukraine"] in page  # whole in the page's list
    assert _short(names["industry"]) == "Defensie-industrie Defensie-ind…" and _short("kort") == "kort"
