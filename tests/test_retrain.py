"""Tests of classify.retrain (``classify train --base``): provenance, verification, merging."""

# ruff: noqa: E501, B905  (pinned one-line messages and inline data rows read better unwrapped; zips are of equal-length test data)

from __future__ import annotations

import json

import pytest
from conftest import _records, write_jsonl
from typer.testing import CliRunner

from classify.cli import app

NEW = [
    {"id": "n1", "question": "Worden tankers van de schaduwvloot aan de ketting gelegd?", "answer": "Ja, dat gebeurt.", "topics": ["fleet"], "stance": "agree"},
    {"id": "n2", "question": "Hoeveel kost de nieuwe kazerne?", "answer": "Tien miljoen euro.", "topics": [], "stance": "neutral"},
]


def invoke(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def manifest(path):
    return json.loads((path / "manifest.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """A base model trained by the CLI with a non-default seed and cv, and its annotation file."""
    root = tmp_path_factory.mktemp("retrain")
    data = write_jsonl(root / "base.jsonl", _records())
    result = invoke("train", data, "--out", root / "base", "--cv", "0", "--seed", "3")
    assert result.exit_code == 0, result.output
    return root / "base", data


def test_train_records_sources_fingerprints_and_ids(base):
    model_dir, data = base
    training = manifest(model_dir)["training"]
    [entry] = training["source_files"]
    assert entry["path"] == str(data) and entry["sha256"].startswith("sha256:") and entry["fields"]["id"] == "id"
    assert training["corpora"] is None
    assert training["ids"] == [r["id"] for r in _records()]


def test_base_plus_new_inherits_schema_params_seed_and_cv(base, tmp_path):
    model_dir, data = base
    new = write_jsonl(tmp_path / "round1.jsonl", NEW)
    result = invoke("train", "--base", model_dir, new, "--out", tmp_path / "v2")
    assert result.exit_code == 0, result.output
    assert "24 base + 2 new annotations" in result.stderr
    m = manifest(tmp_path / "v2")
    training = m["training"]
    assert training["n_records"] == 26 and training["ids"][-2:] == ["n1", "n2"]
    assert (training["seed"], training["cv"]) == (3, 0)
    assert training["params"] == manifest(model_dir)["training"]["params"]
    assert m["schema"] == manifest(model_dir)["schema"]
    assert [e["path"] for e in training["source_files"]] == [str(data), str(new)]
    assert training["base"]["fingerprint"] == manifest(model_dir)["training"]["fingerprint"]
    assert training["base"]["replaced_ids"] == []
    # retraining is repeatable: a --base of the retrained model reloads both files
    more = write_jsonl(tmp_path / "round2.jsonl", [{**NEW[0], "id": "n3"}])
    result = invoke("train", "--base", tmp_path / "v2", more, "--out", tmp_path / "v3", "--seed", "7")
    assert result.exit_code == 0, result.output
    assert manifest(tmp_path / "v3")["training"]["n_records"] == 27
    assert manifest(tmp_path / "v3")["training"]["seed"] == 7  # given explicitly: wins over the base's


def test_a_topic_only_base_retrains_topics_from_annotations_that_carry_stances(tmp_path):
    data = write_jsonl(tmp_path / "base.jsonl", [{**r, "stance": None} for r in _records()])
    assert invoke("train", data, "--out", tmp_path / "base", "--cv", "0").exit_code == 0
    new = write_jsonl(tmp_path / "round1.jsonl", NEW)
    result = invoke("train", "--base", tmp_path / "base", new, "--out", tmp_path / "v2")
    assert result.exit_code == 0, result.output
    assert ("classify: warning: 2 records carried stance labels, not read: the schema has no stance labels (the model has no "
            "stance head); train --base keeps the base model's heads; to train one, train from scratch with a schema that lists its labels.") in result.stderr
    assert list(manifest(tmp_path / "v2")["heads"]) == ["topics"] and manifest(tmp_path / "v2")["training"]["n_records"] == 26


def test_a_same_named_file_in_the_current_folder_is_not_taken_for_the_base_file(tmp_path, monkeypatch):
    """Trained in team/ from round1.jsonl (a relative path), retrained from alice/, which has a
    round1.jsonl of her own: that one was read, and the error told her to 'restore' it."""
    (tmp_path / "team").mkdir()
    (tmp_path / "alice").mkdir()
    write_jsonl(tmp_path / "team" / "round1.jsonl", _records())
    monkeypatch.chdir(tmp_path / "team")
    assert invoke("train", "round1.jsonl", "--out", "v1", "--cv", "0").exit_code == 0
    write_jsonl(tmp_path / "alice" / "round1.jsonl", NEW)
    monkeypatch.chdir(tmp_path / "alice")
    result = invoke("train", "--base", "../team/v1", write_jsonl(tmp_path / "alice" / "round2.jsonl", [{**NEW[0], "id": "n9"}]), "--out", "v2")
    assert result.exit_code == 0, result.output
    assert manifest(tmp_path / "alice" / "v2")["training"]["n_records"] == 25


def test_changed_base_file_is_refused_with_the_fix(tmp_path):
    data = write_jsonl(tmp_path / "base.jsonl", _records())
    assert invoke("train", data, "--out", tmp_path / "m", "--cv", "0").exit_code == 0
    with open(data, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(NEW[0]) + "\n")
    result = invoke("train", "--base", tmp_path / "m", write_jsonl(tmp_path / "new.jsonl", NEW[1:]), "--out", tmp_path / "v2")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"classify: error: annotation file '{data}' changed since base model {tmp_path / 'm'} was trained (sha256 ")
    assert "put new annotations in a separate file" in result.stderr
    assert not (tmp_path / "v2").exists()


def test_missing_base_file_is_refused(tmp_path):
    data = write_jsonl(tmp_path / "base.jsonl", _records())
    assert invoke("train", data, "--out", tmp_path / "m", "--cv", "0").exit_code == 0
    data.unlink()
    result = invoke("train", "--base", tmp_path / "m", write_jsonl(tmp_path / "new.jsonl", NEW), "--out", tmp_path / "v2")
    assert result.exit_code == 2
    assert f"annotation file '{data}' of base model {tmp_path / 'm'} is missing" in result.stderr


def test_duplicate_id_is_an_error_unless_replace(base, tmp_path):
    model_dir, _ = base
    fix = write_jsonl(tmp_path / "fix.jsonl", [{**_records()[0], "stance": "neutral"}])
    result = invoke("train", "--base", model_dir, fix, "--out", tmp_path / "v2")
    assert result.exit_code == 2
    assert f"classify: error: {fix}:1: id 'docA#1' is already annotated in the base model's data" in result.stderr
    assert "pass --replace" in result.stderr
    result = invoke("train", "--base", model_dir, fix, "--out", tmp_path / "v2", "--replace")
    assert result.exit_code == 0, result.output
    training = manifest(tmp_path / "v2")["training"]
    assert training["n_records"] == 24 and training["base"]["replaced_ids"] == ["docA#1"]
    assert training["ids"][-1] == "docA#1"
    # a model with a replaced label is the base of the next round, with or without another replacement
    more = write_jsonl(tmp_path / "more.jsonl", NEW)
    result = invoke("train", "--base", tmp_path / "v2", more, "--out", tmp_path / "v3")
    assert result.exit_code == 0, result.output
    again = write_jsonl(tmp_path / "again.jsonl", [{**_records()[0], "stance": "agree"}, {**NEW[0], "stance": "neutral"}])
    result = invoke("train", "--base", tmp_path / "v3", again, "--out", tmp_path / "v4", "--replace")
    assert result.exit_code == 0, result.output
    training = manifest(tmp_path / "v4")["training"]
    assert training["n_records"] == 24 + len(NEW) and training["base"]["replaced_ids"] == ["docA#1", NEW[0]["id"]]


def test_a_correction_replaces_only_what_it_annotates(base, tmp_path):
    """A stance-only correction ({"id", "stance"}) silently dropped the record's topic label (a rare
    positive, the campaign's point); now topics stay unless the correction gives them, and the
    stance stays unless it gives one. Chained --base reloads the same merge."""
    model_dir, _ = base
    first = _records()[0]
    assert first["topics"] and first["stance"] != "disagree"
    stance_fix = {k: v for k, v in first.items() if k != "topics"} | {"stance": "disagree"}
    topics_fix = {k: v for k, v in first.items() if k != "stance"} | {"topics": []}
    for name, fix, expected in (("s", stance_fix, (first["topics"], "disagree")), ("t", topics_fix, ([], first["stance"]))):
        path = write_jsonl(tmp_path / f"{name}.jsonl", [fix])
        result = invoke("train", "--base", model_dir, path, "--out", tmp_path / name, "--replace")
        assert result.exit_code == 0, result.output
        counts = manifest(tmp_path / name)["training"]
        assert counts["topic_counts"] == manifest(model_dir)["training"]["topic_counts"] if name == "s" else counts["topic_none"] == manifest(model_dir)["training"]["topic_none"] + 1
        from classify.retrain import load_base

        _, data, _ = load_base(tmp_path / name)  # what a chained --base reloads: the same merge (the fingerprint checks it)
        k = data.ids.index(first["id"])
        assert (data.topics[k], data.stances[k]) == expected


def test_an_id_only_correction_takes_the_base_records_texts(base, tmp_path):
    """README's '{"id": ..., "stance": "neutral"}' was refused ('pass --corpora') for records whose
    texts sit in the base's own annotation file, with or without --corpora."""
    model_dir, _ = base
    first = _records()[0]
    fix = write_jsonl(tmp_path / "fix.jsonl", [{"id": first["id"], "stance": "neutral"}])
    result = invoke("train", "--base", model_dir, fix, "--out", tmp_path / "v2", "--replace")
    assert result.exit_code == 0, result.output
    from classify.retrain import load_base

    _, data, _ = load_base(tmp_path / "v2")  # a chained --base reloads it the same way (fingerprint checked)
    k = data.ids.index(first["id"])
    assert (data.questions[k], data.topics[k], data.stances[k]) == (first["question"], first["topics"], "neutral")


def test_replace_without_base_is_refused(tmp_path):
    data = write_jsonl(tmp_path / "a.jsonl", _records())
    result = invoke("train", data, "--out", tmp_path / "m", "--replace")
    assert result.exit_code == 2 and result.stderr.startswith("classify: error: --replace works with --base")


def test_a_label_the_base_model_lacks_names_the_way_to_add_it(base, tmp_path):
    model_dir, _ = base
    new = write_jsonl(tmp_path / "n.jsonl", [{**NEW[0], "topics": ["cyber"]}])
    result = invoke("train", "--base", model_dir, new, "--out", tmp_path / "v2")
    assert result.exit_code == 2
    assert "unknown topic 'cyber'" in result.stderr and "train --base keeps the base model's labels" in result.stderr
    assert "add it to the schema file" not in result.stderr  # --schema is refused with --base


def test_schema_with_base_is_refused(base, tmp_path):
    model_dir, _ = base
    result = invoke("train", "--base", model_dir, write_jsonl(tmp_path / "n.jsonl", NEW), "--out", tmp_path / "v2", "--schema", tmp_path / "s.toml")
    assert result.exit_code == 2
    assert "--schema cannot be combined with --base" in result.stderr


def test_id_only_annotations_reuse_the_recorded_corpora(tmp_path):
    corpora = tmp_path / "corpora"
    corpora.mkdir()
    records = _records()
    write_jsonl(corpora / "texts.jsonl", [{"id": r["id"], "question": r["question"], "answer": r["answer"]} for r in records])
    write_jsonl(corpora / "more.jsonl", [{"id": "n1", "question": NEW[0]["question"], "answer": NEW[0]["answer"]}])
    ids = write_jsonl(tmp_path / "labels.jsonl", [{"id": r["id"], "topics": r["topics"], "stance": r["stance"]} for r in records])
    assert invoke("train", ids, "--corpora", corpora, "--out", tmp_path / "m", "--cv", "0").exit_code == 0
    assert manifest(tmp_path / "m")["training"]["corpora"]["path"] == str(corpora)
    new = write_jsonl(tmp_path / "new.jsonl", [{"id": "n1", "topics": ["fleet"], "stance": "agree"}])
    result = invoke("train", "--base", tmp_path / "m", new, "--out", tmp_path / "v2")
    assert result.exit_code == 0, result.output
    assert manifest(tmp_path / "v2")["training"]["n_records"] == 25
    # a corpus text that changed is caught by the training fingerprint
    write_jsonl(corpora / "texts.jsonl", [{"id": r["id"], "question": r["question"] + " Graag.", "answer": r["answer"]} for r in records])
    result = invoke("train", "--base", tmp_path / "m", new, "--out", tmp_path / "v3")
    assert result.exit_code == 2
    assert "do not match its training fingerprint" in result.stderr


def test_old_manifest_without_source_fingerprints_falls_back_to_the_content_fingerprint(tmp_path):
    data = write_jsonl(tmp_path / "base.jsonl", _records())
    assert invoke("train", data, "--out", tmp_path / "m", "--cv", "0").exit_code == 0
    path = tmp_path / "m" / "manifest.json"
    m = json.loads(path.read_text(encoding="utf-8"))
    for key in ("source_files", "corpora", "ids"):
        m["training"].pop(key)
    path.write_text(json.dumps(m), encoding="utf-8")
    result = invoke("train", "--base", tmp_path / "m", write_jsonl(tmp_path / "n.jsonl", NEW), "--out", tmp_path / "v2")
    assert result.exit_code == 0, result.output
    assert manifest(tmp_path / "v2")["training"]["source_files"][0]["sha256"].startswith("sha256:")


def test_model_trained_in_memory_cannot_be_a_base(tiny_model_dir, tmp_path):
    result = invoke("train", "--base", tiny_model_dir, write_jsonl(tmp_path / "n.jsonl", NEW), "--out", tmp_path / "v2")
    assert result.exit_code == 2
    assert "does not record the files it was trained on" in result.stderr


def test_base_trained_before_loss_and_char_range_keeps_its_old_meaning(base, tmp_path):
    """A manifest without topic_loss / char_range / strip_accents (models before they existed) retrains as then."""
    import shutil

    model_dir, _ = base
    old = tmp_path / "old"
    shutil.copytree(model_dir, old)
    m = manifest(old)
    for key in ("topic_loss", "stance_loss", "char_range", "strip_accents"):
        m["training"]["params"].pop(key)
    (old / "manifest.json").write_text(json.dumps(m), encoding="utf-8")
    new = write_jsonl(tmp_path / "round1.jsonl", NEW)
    result = invoke("train", "--base", old, new, "--out", tmp_path / "v2")
    assert result.exit_code == 0, result.output
    params = manifest(tmp_path / "v2")["training"]["params"]
    assert (params["topic_loss"], params["stance_loss"], params["char_range"], params["strip_accents"]) == ("log", "log", [3, 5], False)
    assert manifest(tmp_path / "v2")["heads"]["topics"]["features"]["params"]["strip_accents"] is False


def test_bad_param_with_base_fails_before_the_base_annotations_are_read(base, tmp_path):
    model_dir, _ = base
    new = write_jsonl(tmp_path / "round1.jsonl", NEW)
    result = invoke("train", "--base", model_dir, new, "--out", tmp_path / "v2", "--param", "topic_alpha=-1")
    assert result.exit_code != 0
    assert "Training parameters given:" in result.output and "topic_alpha=-1" in result.output
    assert "reloading" not in result.output and not (tmp_path / "v2").exists()


def test_param_given_with_base_overrides_only_that_parameter(base, tmp_path):
    model_dir, _ = base
    new = write_jsonl(tmp_path / "round1.jsonl", NEW)
    result = invoke("train", "--base", model_dir, new, "--out", tmp_path / "v2", "--param", "topic_loss=ridge")
    assert result.exit_code == 0, result.output
    params = manifest(tmp_path / "v2")["training"]["params"]
    assert params == {**manifest(model_dir)["training"]["params"], "topic_loss": "ridge"}
    assert set(manifest(tmp_path / "v2")["heads"]["topics"]["label_loss"]) == {"ridge"}
