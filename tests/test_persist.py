"""Tests of classify.persist: versioned model directories that never execute code when loaded."""

# ruff: noqa: E501, B905  (pinned one-line messages and inline data rows read better unwrapped; zips are of equal-length test data)

from __future__ import annotations

import errno
import hashlib
import json
import os
import pickle
import re
import sys
import warnings

import numpy as np
import pytest

import classify
from classify.errors import DataError, InputNotFoundError, ModelFormatError, VersionWarning
from classify.persist import load, read_manifest, save

QUESTIONS = ["Steunt u Oekraïne met munitie?", "Tankers van de schaduwvloot?", "Orders voor de industrie?", "Kazerne?"]
ANSWERS = ["Ja, wij leveren.", None, "Nee.", "Het kost 12 miljoen."]


class Exploit:
    """Unpickling this calls os.system, which would create the marker file."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (os.system, (f"touch '{self.marker}'",))


def manifest_of(path):
    return json.loads((path / "manifest.json").read_text(encoding="utf-8"))


def write_manifest(path, manifest):
    (path / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


def test_round_trip_identical_predictions(tiny_model, tiny_model_dir):
    loaded = load(tiny_model_dir)
    assert loaded.heads == tiny_model.heads
    assert loaded.schema == tiny_model.schema
    assert loaded.info == tiny_model.info
    for a, b in zip(tiny_model.predict_proba(QUESTIONS, ANSWERS), loaded.predict_proba(QUESTIONS, ANSWERS)):
        np.testing.assert_array_equal(a, b)
    assert loaded.predict(QUESTIONS, ANSWERS) == tiny_model.predict(QUESTIONS, ANSWERS)
    assert loaded.thresholds == tiny_model.thresholds


def test_loaded_heads_have_the_trained_parameters(tmp_path):
    """A loaded topic head lost its label texts (the schema descriptions, prior evidence for rare labels),
    so clone(loaded.topics).fit(...) trained another model than the one saved."""
    from sklearn.base import clone

    import classify

    schema = classify.LabelSchema(topics=("oekraine", "zorg"), stances=("agree", "disagree"),
                                  descriptions={"oekraine": "Steun aan Oekraïne, wapens", "zorg": "Zorg, ziekenhuizen"})
    records = [{"id": str(i), "question": q, "topics": t, "answer": "Ja.", "stance": "agree" if i % 2 else "disagree"}
               for i, (q, t) in enumerate([("Wapens voor Oekraïne?", ["oekraine"]), ("Wachtlijsten in de zorg?", ["zorg"]),
                                           ("Munitie voor Oekraïne?", ["oekraine"]), ("Treinen te laat?", [])])]
    trained = classify.train(records, schema, cv=0)
    loaded = load(trained.save(tmp_path / "m"))
    def params(estimator):  # featurisers compared by their parameters, labels as a list
        return {k: v.get_params() if hasattr(v, "get_params") else list(v) if k == "labels" else v for k, v in estimator.get_params(deep=False).items()}

    for head in ("topics", "stance"):
        assert params(getattr(loaded, head)) == params(getattr(trained, head))
    X = [r["question"] for r in records]
    y = np.array([[int("oekraine" in r["topics"]), int("zorg" in r["topics"])] for r in records])
    np.testing.assert_array_equal(clone(loaded.topics).fit(X, y).predict_proba(X), clone(trained.topics).fit(X, y).predict_proba(X))


def test_directory_layout_and_manifest(tiny_model_dir):
    manifest = read_manifest(tiny_model_dir)
    assert manifest["format"] == "classify-model" and manifest["format_version"] == 3
    assert set(manifest["versions"]) == {"classify", "python", "numpy", "scikit-learn"}
    assert set(manifest["heads"]) == {"topics", "stance"}
    on_disk = {p.name for p in tiny_model_dir.iterdir()}
    assert on_disk == set(manifest["files"]) | {"manifest.json", "README.md"}
    for name, digest in manifest["files"].items():
        assert hashlib.sha256((tiny_model_dir / name).read_bytes()).hexdigest() == digest
    card = (tiny_model_dir / "README.md").read_text(encoding="utf-8")
    assert "# classify model: inferred" in card and "`fleet` (topic) (threshold" in card and "2-fold cross-validation" in card


def test_save_replaces_an_existing_model_directory(tiny_model, tmp_path):
    from classify.model import Model

    target = tmp_path / "m"
    save(tiny_model, target)
    assert any(p.name.startswith("stance.") for p in target.iterdir())
    save(Model(tiny_model.schema, tiny_model.topics, None, tiny_model.info), target)  # the stance head is gone
    assert not any(p.name.startswith("stance.") for p in target.iterdir())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m"]  # no temporary or .old directories left
    assert load(target).heads == ["topics"]
    (tmp_path / "empty").mkdir()
    save(tiny_model, tmp_path / "empty")


def test_save_never_replaces_what_is_not_a_model(tiny_model, tmp_path):
    annotations = tmp_path / "annotations.jsonl"
    annotations.write_text("{}\n")
    with pytest.raises(DataError, match=r"annotations.jsonl' is a file, not a model directory; saving would replace it"):
        save(tiny_model, annotations)
    folder = tmp_path / "work"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    with pytest.raises(DataError, match=r"work' is a directory of other files \(notes.txt\), not a classify model; saving would delete them"):
        save(tiny_model, folder)
    model_dir = save(tiny_model, tmp_path / "m")
    (model_dir / "notes.txt").write_text("mine")
    with pytest.raises(DataError, match=r"is a classify model that also holds files classify did not write \(notes.txt\)"):
        save(tiny_model, model_dir)
    assert annotations.read_text() == "{}\n" and (folder / "notes.txt").read_text() == "mine" and load(model_dir).heads == ["topics", "stance"]


def test_a_saved_model_is_readable_as_the_umask_says(tiny_model, tmp_path):
    old = os.umask(0o022)
    try:
        path = save(tiny_model, tmp_path / "m")
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o755  # not mkdtemp's 0700: colleagues can load it
    assert all(f.stat().st_mode & 0o777 == 0o644 for f in path.iterdir())


def test_a_full_disk_while_saving_is_a_clean_error_and_keeps_the_old_model(tiny_model, tmp_path, monkeypatch):
    path = save(tiny_model, tmp_path / "m")
    before = {f.name: f.read_bytes() for f in path.iterdir()}

    def full(*args, **kwargs):
        raise OSError("10477 requested and 992 written")  # what numpy raises on a full disk (no errno)

    monkeypatch.setattr("classify.persist.np.save", full)
    with pytest.raises(DataError, match=r"^cannot write the model to '.*m' \(10477 requested and 992 written\); free some space, or choose another path\.$"):
        save(tiny_model, path)
    assert {f.name: f.read_bytes() for f in path.iterdir()} == before and os.listdir(tmp_path) == ["m"]


def test_load_via_package_api(tiny_model_dir):
    assert classify.load(tiny_model_dir).heads == ["topics", "stance"]
    assert classify.load(str(tiny_model_dir)).heads == ["topics", "stance"]


# -- refusing damaged or malicious directories ----------------------------------------------
def test_pickle_payload_is_refused_by_checksum(model_copy, tmp_path):
    marker = tmp_path / "pwned"
    with open(model_copy / "topics.intercept.npy", "wb") as handle:
        pickle.dump(Exploit(marker), handle)
    with pytest.raises(ModelFormatError, match=r"checksum mismatch for 'topics\.intercept\.npy'; the file was modified after saving\. Refusing to load it\."):
        load(model_copy)
    assert not marker.exists()


def test_pickle_payload_with_matching_checksum_is_refused_by_numpy(model_copy, tmp_path):
    marker = tmp_path / "pwned"
    payload = model_copy / "topics.intercept.npy"
    with open(payload, "wb") as handle:
        pickle.dump(Exploit(marker), handle)
    manifest = manifest_of(model_copy)
    manifest["files"]["topics.intercept.npy"] = hashlib.sha256(payload.read_bytes()).hexdigest()
    write_manifest(model_copy, manifest)
    with pytest.raises(ModelFormatError, match=r"'topics\.intercept\.npy' is not a plain numeric array \(.*pickled.*\); refusing to load it"):
        load(model_copy)
    assert not marker.exists()


def test_object_array_with_matching_checksum_is_refused(model_copy, tmp_path):
    marker = tmp_path / "pwned"
    payload = model_copy / "stance.intercept.npy"
    np.save(payload, np.array([Exploit(marker)], dtype=object), allow_pickle=True)
    manifest = manifest_of(model_copy)
    manifest["files"]["stance.intercept.npy"] = hashlib.sha256(payload.read_bytes()).hexdigest()
    write_manifest(model_copy, manifest)
    with pytest.raises(ModelFormatError, match=r"'stance\.intercept\.npy' is not a plain numeric array"):
        load(model_copy)
    assert not marker.exists()


def test_tampered_array(model_copy):
    payload = model_copy / "stance.weight_values.npy"
    values = np.load(payload)
    values[0] += 1
    np.save(payload, values)
    with pytest.raises(ModelFormatError, match=r"checksum mismatch for 'stance\.weight_values\.npy'"):
        load(model_copy)


@pytest.mark.parametrize("version", [4, 0, "1", None, True, 1.0])  # true == 1.0 == 1 in Python, not in the format
def test_unknown_format_version(model_copy, version):
    manifest = manifest_of(model_copy)
    manifest["format_version"] = version
    write_manifest(model_copy, manifest)
    with pytest.raises(ModelFormatError, match=rf"unknown format_version {version!r}; this classify reads versions 1, 2, 3\. Install a newer classify"):
        load(model_copy)


def test_a_format_2_featuriser_without_strip_accents_is_refused(model_copy):
    """Format 2 always writes it: a manifest without it was edited, and reading accents would change scores (1.000 -> 0.100)."""
    manifest = manifest_of(model_copy)
    del manifest["heads"]["stance"]["answer_features"]["params"]["strip_accents"]
    write_manifest(model_copy, manifest)
    with pytest.raises(ModelFormatError, match="the featuriser's params lack strip_accents, which format 2 records; restore the manifest"):
        load(model_copy)


@pytest.mark.parametrize(("edit", "message"), [
    (lambda f: f["params"].pop("label_idf"), "the featuriser's params lack label_idf, which format 3 records; restore the manifest"),
    (lambda f: f.pop("idf_labels"), r"idf_labels must be a whole number >= 0 \(how many labels weighted the IDF\), got None; restore"),
    (lambda f: f.update(idf_labels=-2), r"idf_labels must be a whole number >= 0 \(how many labels weighted the IDF\), got -2; restore"),
])
def test_a_format_3_featuriser_without_its_label_weighting_is_refused(model_copy, edit, message):
    """Format 3 always writes both: a manifest without them was edited."""
    manifest = manifest_of(model_copy)
    edit(manifest["heads"]["topics"]["features"])
    write_manifest(model_copy, manifest)
    with pytest.raises(ModelFormatError, match=message):
        load(model_copy)


def test_not_a_classify_manifest(model_copy):
    write_manifest(model_copy, {"format": "something-else"})
    with pytest.raises(ModelFormatError, match=r"'format' must be 'classify-model'; this is not a classify model directory"):
        load(model_copy)


@pytest.mark.parametrize(
    "key, value, message",
    [
        ("files", [], r"field 'files' must be a dict, got list; the manifest is damaged"),
        ("schema", "topics", r"field 'schema' must be a dict, got str"),
        ("heads", None, r"field 'heads' must be a dict, got NoneType"),
        ("versions", 1, r"field 'versions' must be a dict, got int"),
    ],
)
def test_manifest_with_wrong_types(model_copy, key, value, message):
    manifest = manifest_of(model_copy)
    manifest[key] = value
    write_manifest(model_copy, manifest)
    with pytest.raises(ModelFormatError, match=message):
        load(model_copy)


@pytest.mark.parametrize("name", ["../outside.npy", "sub/x.npy", ".hidden.npy"])
def test_payload_names_outside_the_directory(model_copy, name):
    manifest = manifest_of(model_copy)
    manifest["files"][name] = "0" * 64
    write_manifest(model_copy, manifest)
    with pytest.raises(ModelFormatError, match=r"invalid payload entry .*; payload files are plain names in the model directory"):
        load(model_copy)


def test_manifest_describing_an_unloadable_model(model_copy):
    manifest = manifest_of(model_copy)
    del manifest["heads"]["topics"]["labels"]
    write_manifest(model_copy, manifest)
    with pytest.raises(ModelFormatError, match=r"the manifest does not describe a loadable model \(KeyError: 'labels'\)"):
        load(model_copy)


def test_a_manifest_whose_schema_reorders_the_labels_is_refused(model_copy):
    manifest = manifest_of(model_copy)
    manifest["schema"]["topics"] = manifest["schema"]["topics"][::-1]  # every prediction would name another topic
    write_manifest(model_copy, manifest)
    with pytest.raises(ModelFormatError, match=r"the manifest does not describe a loadable model \(DataError: the topic head's labels"):
        load(model_copy)


def test_a_threshold_edited_in_the_manifest_is_refused(model_copy):
    """The edit had no effect (the arrays predict) while `classify info` showed it."""
    manifest = manifest_of(model_copy)
    topic = next(iter(manifest["thresholds"]))
    used = manifest["thresholds"][topic]
    manifest["thresholds"][topic] = 0.99
    write_manifest(model_copy, manifest)
    with pytest.raises(ModelFormatError, match=rf"manifest\.json's thresholds disagree with the model's arrays \({topic}: 0\.99 listed, "
                                               rf"{re.escape(repr(used))} used\)\. The manifest records the arrays; it does not set them"):
        load(model_copy)


def test_unknown_head(model_copy):
    manifest = manifest_of(model_copy)
    manifest["heads"]["sentiment"] = {}
    write_manifest(model_copy, manifest)
    with pytest.raises(ModelFormatError, match=r"unknown head 'sentiment' in the manifest; expected topics and/or stance"):
        load(model_copy)


def test_missing_payload_file(model_copy):
    (model_copy / "topics.thresholds.npy").unlink()
    with pytest.raises(ModelFormatError, match=r"payload file 'topics\.thresholds\.npy' listed in the manifest is missing; the model directory is incomplete"):
        load(model_copy)


def test_manifest_not_json(model_copy):
    (model_copy / "manifest.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ModelFormatError, match=r"manifest\.json: not valid JSON .*; the model directory is damaged, retrain or re-download it"):
        load(model_copy)


def test_no_manifest(tmp_path):
    with pytest.raises(ModelFormatError, match=r"no manifest\.json; this is not a classify model directory"):
        load(tmp_path)


def test_path_that_does_not_exist(tmp_path):
    with pytest.raises(InputNotFoundError, match=r"model directory '.*nowhere' does not exist; pass a directory written by Model.save or 'classify train --out'"):
        load(tmp_path / "nowhere")
    with pytest.raises(FileNotFoundError):
        classify.load(tmp_path / "nowhere")


def test_a_file_given_as_the_model(tiny_model_dir, tmp_path):
    (tmp_path / "ann.jsonl").write_text("{}\n")
    with pytest.raises(InputNotFoundError, match=r"model '.*ann.jsonl' is a file, not a model directory; pass a directory written by"):
        load(tmp_path / "ann.jsonl")
    with pytest.raises(InputNotFoundError, match=rf"model '.*manifest.json' is a file, not a model directory; pass its folder, '{tiny_model_dir}'\."):
        load(tiny_model_dir / "manifest.json")


def test_version_difference_warns_and_predicts_the_same(tiny_model, model_copy):
    manifest = manifest_of(model_copy)
    manifest["versions"]["numpy"] = "1.0.0"  # the manifest itself is not checksummed
    write_manifest(model_copy, manifest)
    with pytest.warns(VersionWarning, match=r"was saved with numpy 1\.0\.0, this environment has .*should be identical"):
        loaded = load(model_copy)
    assert loaded.predict(QUESTIONS, ANSWERS) == tiny_model.predict(QUESTIONS, ANSWERS)


def test_another_minor_version_does_not_warn(model_copy):
    """numpy 2.4 (Python 3.11's newest wheel) saved the shipped model; Python 3.12 gets 2.5: every
    command warned there, and three tests failed on the extra stderr line."""
    manifest = manifest_of(model_copy)
    major = np.__version__.split(".")[0]
    manifest["versions"]["numpy"] = f"{major}.999.0"
    write_manifest(model_copy, manifest)
    with warnings.catch_warnings():
        warnings.simplefilter("error", VersionWarning)
        load(model_copy)


def test_same_versions_do_not_warn(tiny_model_dir):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load(tiny_model_dir)


def test_npz_payload_with_matching_checksum_is_refused(model_copy):
    payload = model_copy / "topics.intercept.npy"
    with open(payload, "wb") as handle:
        np.savez(handle, a=np.zeros(3))
    manifest = manifest_of(model_copy)
    manifest["files"]["topics.intercept.npy"] = hashlib.sha256(payload.read_bytes()).hexdigest()
    write_manifest(model_copy, manifest)
    with pytest.raises(ModelFormatError):
        load(model_copy)


def test_wrong_shape_with_matching_checksum_is_refused(model_copy):
    payload = model_copy / "topics.thresholds.npy"
    np.save(payload, np.zeros(7))
    manifest = manifest_of(model_copy)
    manifest["files"]["topics.thresholds.npy"] = hashlib.sha256(payload.read_bytes()).hexdigest()
    write_manifest(model_copy, manifest)
    with pytest.raises(ModelFormatError, match=r"the manifest does not describe a loadable model \(ValueError"):
        load(model_copy)


@pytest.mark.parametrize("drop", ["topics", "stance"])
def test_single_head_round_trip(records, tmp_path, drop):
    for r in records:
        if drop == "topics":
            r["topics"] = []
        else:
            r["stance"] = None
    model = classify.train(records, cv=0)
    loaded = load(save(model, tmp_path / "m"))
    assert loaded.heads == model.heads == [h for h in ("topics", "stance") if h != drop]
    assert not any(name.startswith(drop + ".") for name in read_manifest(tmp_path / "m")["files"])
    assert loaded.predict(QUESTIONS, ANSWERS) == model.predict(QUESTIONS, ANSWERS)


def test_saving_a_loaded_model_writes_the_same_directory(tiny_model_dir, tmp_path):
    # a loaded model holds the numpy-only fitted heads; they save their state directly
    again = classify.load(tiny_model_dir).save(tmp_path / "again")
    names = sorted(p.name for p in tiny_model_dir.iterdir())
    assert names == sorted(p.name for p in again.iterdir())
    for name in names:
        assert (again / name).read_bytes() == (tiny_model_dir / name).read_bytes(), name


# -- manifests and payloads edited by hand (a helper's audit: each gave a traceback, or loaded and predicted otherwise)
def _edit(model_copy, *path, value):
    manifest = manifest_of(model_copy)
    node = manifest
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    write_manifest(model_copy, manifest)


@pytest.mark.parametrize("path, value, message", [
    (("heads", "topics", "features", "params", "word_ngrams"), -3, r"word_ngrams must be 1 \(words\) or 2"),  # dropped bigrams: 0.994 -> 0.575
    (("heads", "topics", "features", "params", "char_range"), [5, 2], r"char_range must be \(lo, hi\) with 1 <= lo <= hi"),
    (("heads", "topics", "features", "params", "strip_accents"), "yes", r"strip_accents must be True \(words are read without"),
    (("heads", "topics", "features", "params", "char_range"), "ab", r"char_range must be"),
    (("heads", "topics", "features", "params", "n_features"), 10**13, r"n_features must be a whole number from 1 to 16777216"),  # 36 TiB
    (("heads", "topics", "features", "params", "n_features"), 1000, r"idf_index must hold row numbers from 0 to 999; got int32 values"),
    (("heads", "topics", "features", "n_documents"), -5, r"n_documents must be a whole number >= 0"),
    (("heads", "topics", "label_count_bounds"), [3, 1], r"label_count_bounds must be \[min, max\] whole numbers"),
    (("heads", "topics", "label_count_bounds"), ["a", "b"], r"label_count_bounds must be"),
    (("heads", "topics", "label_count_bounds"), [5], r"label_count_bounds must be .*got \[5\]"),  # was Python's "not enough values to unpack"
    (("heads", "topics", "params", "C"), "x", r"C must be"),
    (("heads", "topics", "params", "loss"), "evil", r"loss must be one of auto, ridge, log, squared_hinge; got 'evil'"),
    (("heads", "stance", "params", "loss"), "evil", r"loss must be one of log, squared_hinge; got 'evil'"),
    (("heads", "stance", "link"), "evil", r"link must be 'ovr' \(per-label sigmoids, divided by their sum\) or 'softmax'"),
    (("heads", "stance", "params", "cue_weight"), float("nan"), r"cue_weight must be"),
    (("heads", "stance", "params", "class_weight"), "evil", r"class_weight must be 'balanced' or None; got 'evil'"),  # failed only at a refit
    (("heads", "topics", "label_loss"), ["ridge", "evil", "ridge"], r"label_loss known losses"),
    (("heads", "stance", "labels"), [], r"a head needs at least one label; the manifest lists none"),
])
def test_a_manifest_edited_into_an_impossible_model_is_refused_at_load(model_copy, path, value, message):
    _edit(model_copy, *path, value=value)
    with pytest.raises(ModelFormatError, match=rf"the manifest does not describe a loadable model \(.*{message}"):
        load(model_copy)


def test_training_ids_of_the_wrong_type_are_refused(model_copy):
    """ids: 5 loaded, then label/evaluate/compare/suggest crashed counting training records ('int' object is not iterable)."""
    for ids, shown in ((5, "5 (int)"), ([{"a": 1}], "{'a': 1} (dict)"), ("kst-1#1", "'kst-1#1' (str)")):
        _edit(model_copy, "training", "ids", value=ids)
        with pytest.raises(ModelFormatError, match=rf"field 'training\.ids' must be a list of id strings; it holds {re.escape(shown)}\. Restore"):
            load(model_copy)


def test_training_question_keys_of_the_wrong_type_are_refused(model_copy):
    for key in ("question_keys", "record_keys", "ids"):
        for keys, shown in ((5, "5 (int)"), ([7], "7 (int)"), (["abc", None], "None (NoneType)")):
            _edit(model_copy, "training", key, value=keys)
            with pytest.raises(ModelFormatError, match=rf"field 'training\.{key}' must be a list of .*; it holds {re.escape(shown)}\."):
                load(model_copy)
            _edit(model_copy, "training", key, value=[])


def test_integer_training_ids_of_a_model_built_in_code_are_saved_as_text(tiny_model, tmp_path):
    """Model(..., {"training": {"ids": [17, 18]}}).save() wrote a model that load refused."""
    from classify.model import Model

    model = Model(tiny_model.schema, tiny_model.topics, tiny_model.stance, {"training": {"ids": [17, np.int64(18)]}})
    assert load(save(model, tmp_path / "m")).info["training"]["ids"] == ["17", "18"]
    with pytest.raises(DataError, match=r"info\['training'\]\['ids'\] holds 1\.5 \(float\); training ids are strings or whole numbers"):
        save(Model(tiny_model.schema, tiny_model.topics, None, {"training": {"ids": [1.5]}}), tmp_path / "n")


def test_a_model_left_beside_its_folder_by_an_interrupted_save_is_named(tiny_model, tmp_path):
    """Two renames (no renameat2 exchange) killed between them: only .m.old is left."""
    save(tiny_model, tmp_path / "m").rename(tmp_path / ".m.old")
    with pytest.raises(InputNotFoundError, match=rf"an interrupted save left the previous model beside it: restore it \(`mv {tmp_path}/\.m\.old {tmp_path}/m`\)"):
        load(tmp_path / "m")
    (tmp_path / "current").symlink_to("m")  # saved through a link, the link's target was being replaced
    with pytest.raises(InputNotFoundError, match=rf"restore it \(`mv {tmp_path}/\.m\.old {tmp_path}/m`\)"):
        load(tmp_path / "current")


@pytest.mark.parametrize("key, value", [("thresholds", [0.5]), ("metrics", "good"), ("training", ["x"])])
def test_optional_manifest_fields_of_the_wrong_type_are_refused(model_copy, key, value):
    _edit(model_copy, key, value=value)
    with pytest.raises(ModelFormatError, match=rf"field '{key}' must be a dict, got {type(value).__name__}; the manifest is damaged"):
        read_manifest(model_copy)


def test_a_manifest_nested_too_deeply_is_refused(model_copy):
    (model_copy / "manifest.json").write_text("[" * 100_000, encoding="utf-8")
    with pytest.raises(ModelFormatError, match=r"manifest.json: not valid JSON \(nested too deeply\); the model directory is damaged"):
        read_manifest(model_copy)


def _forge(model_copy, name, value):
    """Replace a payload array and update its checksum (what the checksums cannot stop)."""
    np.save(model_copy / name, value)
    manifest = manifest_of(model_copy)
    manifest["files"][name] = hashlib.sha256((model_copy / name).read_bytes()).hexdigest()
    write_manifest(model_copy, manifest)


@pytest.mark.parametrize("name, value, message", [
    ("topics.intercept.npy", np.array(["9", "9", "9", "9", "9"][:4]), r"holds <U1 values, not numbers classify writes"),  # every topic at 1.000
    ("topics.intercept.npy", np.array([np.nan, 0, 0, 0]), r"holds NaN or infinite values"),  # NaN scores: bare NaN in JSONL
    ("topics.intercept.npy", np.ones(4, dtype=complex), r"holds complex128 values"),
    ("topics.weight_rows.npy", np.array([-1, 0], dtype=np.int32), r"weight_rows must hold row numbers"),  # -1 wrapped to the last row
    ("topics.weight_rows.npy", np.array([0.0, 1.0]), r"weight_rows must hold row numbers"),
])
def test_forged_payload_arrays_of_the_wrong_kind_are_refused(model_copy, name, value, message):
    _forge(model_copy, name, value)
    with pytest.raises(ModelFormatError, match=message):
        load(model_copy)


def test_a_payload_declaring_more_values_than_its_file_holds_is_refused_before_allocating(model_copy):
    name = "topics.intercept.npy"
    header = np.lib.format.header_data_from_array_1_0(np.zeros(4))
    header["shape"] = (10**12,)
    with open(model_copy / name, "wb") as handle:
        np.lib.format.write_array_header_1_0(handle, header)
        handle.write(b"\0" * 64)
    manifest = manifest_of(model_copy)
    manifest["files"][name] = hashlib.sha256((model_copy / name).read_bytes()).hexdigest()
    write_manifest(model_copy, manifest)
    with pytest.raises(ModelFormatError, match=r"'topics\.intercept\.npy' is not a plain numeric array \("):
        load(model_copy)
    (model_copy / name).write_bytes(b"")  # an empty file: was click's bare "Aborted!" (an EOFError)
    manifest["files"][name] = hashlib.sha256(b"").hexdigest()
    write_manifest(model_copy, manifest)
    with pytest.raises(ModelFormatError, match=r"is not a plain numeric array"):
        load(model_copy)


def test_payloads_behind_symbolic_links_are_read_but_not_devices(tiny_model, model_copy, tmp_path):
    """DVC, git-annex and Hugging Face caches keep a model's files as links: they load (the checksums
    still decide). A link to /dev/zero was reported as "missing"."""
    outside = tmp_path / "cache" / "platt.npy"
    outside.parent.mkdir()
    (model_copy / "topics.platt.npy").rename(outside)
    (model_copy / "topics.platt.npy").symlink_to(outside)
    assert load(model_copy).predict(QUESTIONS, ANSWERS) == tiny_model.predict(QUESTIONS, ANSWERS)
    (model_copy / "topics.platt.npy").unlink()
    (model_copy / "topics.platt.npy").symlink_to("/dev/zero")
    with pytest.raises(ModelFormatError, match=r"payload file 'topics\.platt\.npy' is not a regular file \(a device or pipe\); put the file back as it was saved, or retrain"):
        load(model_copy)


# -- saving over a model (a helper's audit: strace-injected signals between two renames left no model)
def test_saving_through_a_symbolic_link_replaces_the_model_it_points_to(tiny_model, tmp_path):
    save(tiny_model, tmp_path / "v1")
    (tmp_path / "current").symlink_to("v1")
    for _ in range(3):  # the second save failed on a stale '.current.old' link ('Not a directory'), after training
        save(tiny_model, tmp_path / "current")
    assert (tmp_path / "current").is_symlink() and sorted(p.name for p in tmp_path.iterdir()) == ["current", "v1"]
    assert load(tmp_path / "current").heads == tiny_model.heads


def test_an_interrupted_save_keeps_the_old_model_where_the_swap_is_two_renames(tiny_model, tmp_path, monkeypatch):
    from classify import persist

    target = save(tiny_model, tmp_path / "m")
    before = manifest_of(target)
    monkeypatch.setattr(persist, "_exchange", lambda a, b: False)  # a file system without renameat2's exchange
    real, calls = os.replace, []

    def interrupted(src, dst):
        calls.append(dst)
        if len(calls) == 2:  # between moving the old model aside and the new one in: Ctrl-C or SIGTERM
            raise KeyboardInterrupt
        return real(src, dst)

    monkeypatch.setattr(persist.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        save(tiny_model, target)
    monkeypatch.setattr(persist.os, "replace", real)
    assert manifest_of(target) == before and sorted(p.name for p in tmp_path.iterdir()) == ["m"]
    save(tiny_model, target)  # and the two-rename way works when not interrupted
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="renameat2's exchange is Linux's")
def test_saving_over_a_model_is_one_atomic_exchange_on_linux(tiny_model, tmp_path, monkeypatch):
    from classify import persist

    target = save(tiny_model, tmp_path / "m")
    results = []
    real = persist._exchange
    monkeypatch.setattr(persist, "_exchange", lambda a, b: results.append(real(a, b)) or results[-1])
    monkeypatch.setattr(persist.os, "replace", lambda *a: pytest.fail("renamed instead of exchanged"))
    save(tiny_model, target)
    assert results == [True] and sorted(p.name for p in tmp_path.iterdir()) == ["m"]
    assert load(target).heads == tiny_model.heads


def test_a_file_system_without_the_exchange_falls_back_to_two_renames(tmp_path, monkeypatch):
    import ctypes

    from classify import persist

    (tmp_path / "b").mkdir()
    monkeypatch.setattr(ctypes, "get_errno", lambda: errno.EINVAL)  # what a file system without RENAME_EXCHANGE answers
    assert persist._exchange(tmp_path / "nowhere", tmp_path / "b") is False
    monkeypatch.setattr(ctypes, "get_errno", lambda: errno.EACCES)  # any other failure is the save's error
    with pytest.raises(OSError):
        persist._exchange(tmp_path / "nowhere", tmp_path / "b")
