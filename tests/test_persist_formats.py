"""Model directories across format and library versions, and a load path that never unpickles.

``fixtures/models/format_v1`` is a model saved in format version 1 (made by
``fixtures/models/make_format_v1.py``) and committed: when the format changes it stays as it is,
and these tests keep checking that it loads and predicts exactly what it did when saved.
``format_v2`` (``make_format_v2.py``) is the same for format version 2.
"""

# ruff: noqa: E501, B905  (pinned one-line messages and inline data rows read better unwrapped; zips are of equal-length test data)

from __future__ import annotations

import hashlib
import json
import pickle
import shutil
import warnings

import numpy as np
import pytest
from conftest import FIXTURES

import classify
from classify.card import render
from classify.errors import VersionWarning
from classify.persist import SUPPORTED_VERSIONS, load, read_manifest

V1, V2 = FIXTURES / "models" / "format_v1", FIXTURES / "models" / "format_v2"
EXPECTED = json.loads((FIXTURES / "models" / "format_v1_expected.json").read_text(encoding="utf-8"))
EXPECTED_V2 = json.loads((FIXTURES / "models" / "format_v2_expected.json").read_text(encoding="utf-8"))


def quiet_load(path):
    """Load without failing on the VersionWarning a later numpy/scikit-learn rightly gives."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", VersionWarning)
        return load(path)


def assert_expected_predictions(model, expected=EXPECTED):
    questions, answers = expected["questions"], expected["answers"]
    assert model.predict(questions, answers) == expected["predict"]
    topic_p, stance_p = model.predict_proba(questions, answers)
    # features and scores are float32: the featuriser's summation order may move the last float32 bits
    # (relative ~1e-6 on a probability), and libm's tanh/exp may differ in the last bit across builds
    np.testing.assert_allclose(topic_p, np.array(expected["topic_proba"]), rtol=1e-5, atol=1e-9)
    stance_expected = np.array([[np.nan] * stance_p.shape[1] if row is None else row for row in expected["stance_proba"]])
    np.testing.assert_allclose(stance_p, stance_expected, rtol=1e-5, atol=1e-9)


def test_fixture_is_format_version_1():
    manifest = read_manifest(V1)
    assert manifest["format_version"] == 1
    assert 1 in SUPPORTED_VERSIONS, "format 1 must stay readable: keep its loader when the format changes"
    assert sum(p.stat().st_size for p in V1.iterdir()) < 100_000  # a small committed fixture


def test_format_v1_fixture_loads_and_predicts_as_when_saved():
    model = quiet_load(V1)
    assert model.heads == ["topics", "stance"]
    assert list(model.schema.topics) == ["fleet", "industry", "ukraine"]
    # saved before ``loss`` and the char 2-5 default existed: it keeps what it was trained with
    assert model.topics.loss == model.stance.loss == "log"
    assert model.topics.features_.char_range == (3, 4)
    assert model.topics.features_.strip_accents is model.stance.answer_features_.strip_accents is False  # format 2 added it
    card = render(json.loads((V1 / "manifest.json").read_text(encoding="utf-8")))
    assert "- topics: one logistic regression per label, C=10.0; on the question's hashed TF-IDF of word 1-2-grams and char 3-4-grams" in card
    assert "cue phrases" not in card  # it predates the stance cues
    assert_expected_predictions(model)


def test_format_v2_fixture_loads_and_predicts_as_when_saved():
    assert read_manifest(V2)["format_version"] == 2
    assert 2 in SUPPORTED_VERSIONS, "format 2 must stay readable: keep its loader when the format changes"
    assert sum(p.stat().st_size for p in V2.iterdir()) < 100_000
    model = quiet_load(V2)
    assert model.topics.loss == "auto" and model.topics.features_.strip_accents is True
    assert_expected_predictions(model, EXPECTED_V2)


def test_format_v1_fixture_via_the_package_api_and_cli():
    from typer.testing import CliRunner

    from classify.cli import app

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", VersionWarning)
        assert classify.load(V1).predict(EXPECTED["questions"][:1], EXPECTED["answers"][:1]) == EXPECTED["predict"][:1]
    result = CliRunner().invoke(app, ["info", "--model", str(V1)])
    assert result.exit_code == 0 and "classify-model v1" in result.stdout


@pytest.mark.parametrize("libraries", [("numpy",), ("scikit-learn",), ("numpy", "scikit-learn")])
def test_other_library_versions_warn_and_predict_identically(tmp_path, libraries):
    model_dir = shutil.copytree(V1, tmp_path / "v1")
    manifest = json.loads((model_dir / "manifest.json").read_text(encoding="utf-8"))
    for lib in libraries:
        manifest["versions"][lib] = "0.1.0"  # the manifest is not checksummed: only payload files are
    (model_dir / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = load(model_dir)
    messages = [str(w.message) for w in caught if issubclass(w.category, VersionWarning)]
    for lib in libraries:
        assert any(f"was saved with {lib} 0.1.0, this environment has " in m and "should be identical" in m for m in messages), messages
    assert_expected_predictions(model)


def test_version_warning_names_the_model_directory(tmp_path):
    model_dir = shutil.copytree(V1, tmp_path / "v1")
    manifest = json.loads((model_dir / "manifest.json").read_text(encoding="utf-8"))
    manifest["versions"]["numpy"] = "0.1.0"
    (model_dir / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.warns(VersionWarning, match=rf"^{model_dir} was saved with numpy 0\.1\.0"):
        load(model_dir)


# -- no code runs while loading -------------------------------------------------------------
def _forbid(name):
    def refuse(*args, **kwargs):
        raise AssertionError(f"{name} called while loading a model")

    return refuse


def test_the_load_path_never_unpickles(monkeypatch):
    for name in ("load", "loads", "Unpickler"):
        monkeypatch.setattr(pickle, name, _forbid(f"pickle.{name}"))
    calls = []
    real_load = np.load

    def checked_load(*args, **kwargs):
        calls.append(kwargs.get("allow_pickle"))
        return real_load(*args, **kwargs)

    monkeypatch.setattr(np, "load", checked_load)
    assert_expected_predictions(quiet_load(V1))
    assert calls and all(flag is False for flag in calls)  # every array read refuses pickles


class Exploit:
    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        import os

        return (os.system, (f"touch '{self.marker}'",))


def test_files_not_in_the_manifest_are_never_opened(tmp_path):
    # a directory laced with the usual code-carrying files: none is listed, none may run
    model_dir = shutil.copytree(V1, tmp_path / "v1")
    marker = tmp_path / "pwned"
    (model_dir / "model.pkl").write_bytes(pickle.dumps(Exploit(marker)))
    (model_dir / "model.joblib").write_bytes(pickle.dumps(Exploit(marker)))
    np.save(model_dir / "extra.npy", np.array([Exploit(marker)], dtype=object), allow_pickle=True)
    (model_dir / "__init__.py").write_text(f"open({str(marker)!r}, 'w').close()\n", encoding="utf-8")
    (model_dir / "sitecustomize.py").write_text(f"open({str(marker)!r}, 'w').close()\n", encoding="utf-8")
    assert_expected_predictions(quiet_load(model_dir))
    assert not marker.exists()


def test_pickle_in_a_listed_payload_is_refused_without_running(tmp_path):
    from classify.errors import ModelFormatError

    model_dir = shutil.copytree(V1, tmp_path / "v1")
    marker = tmp_path / "pwned"
    payload = model_dir / "stance.intercept.npy"
    payload.write_bytes(pickle.dumps(Exploit(marker)))
    manifest = json.loads((model_dir / "manifest.json").read_text(encoding="utf-8"))
    manifest["files"]["stance.intercept.npy"] = hashlib.sha256(payload.read_bytes()).hexdigest()  # a forger fixes the checksum too
    (model_dir / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(ModelFormatError, match=r"'stance\.intercept\.npy' is not a plain numeric array .*; refusing to load it"):
        quiet_load(model_dir)
    assert not marker.exists()
