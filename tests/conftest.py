"""Shared fixtures: a tiny deterministic Dutch training set and a tiny model trained on it once.

The data are invented, short and few, so that training takes well under a second; they are not
meant to teach a model anything about the real corpus, only to exercise every code path.
"""

# ruff: noqa: E501, B905  (pinned one-line messages and inline data rows read better unwrapped; zips are of equal-length test data)

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LABELS = ROOT / "labels"
FIXTURES = Path(__file__).parent / "fixtures"
SEED_DOCUMENT = FIXTURES / "documents" / "defensieraad_2026_nr300.txt"
# the real corpora (../shared/data beside the checkout): tests that read them skip where they are absent
DATA_DIR = Path(os.environ.get("CLASSIFY_DATA_DIR", ROOT.parent / "shared" / "data"))

TOPICS = ("fleet", "industry", "ukraine")  # sorted, as LabelSchema.infer orders them
STANCES = ("agree", "disagree", "neutral")

# (question, answer, topics, stance); four invented source documents, six records each
_ROWS = [
    ("Bent u bereid meer munitie aan Oekraïne te leveren?", "Ja, het kabinet levert extra munitie aan Oekraïne.", ["ukraine"], "agree"),
    ("Steunt u een nieuw steunpakket voor Oekraïne?", "Ja, wij steunen het pakket volledig.", ["ukraine"], "agree"),
    ("Gaat u de F-16 training voor Oekraïense piloten uitbreiden?", "Nee, dat is niet mogelijk.", ["ukraine"], "disagree"),
    ("Wilt u de bevroren Russische tegoeden inzetten voor Oekraïne?", "Nee, daar is geen juridische basis voor.", ["ukraine"], "disagree"),
    ("Hoeveel geld is er in 2024 naar Oekraïne gegaan?", "In 2024 is 2 miljard euro uitgegeven aan steun.", ["ukraine"], "neutral"),
    ("Welke wapens zijn aan Oekraïne geleverd?", "Er zijn pantservoertuigen en luchtverdediging geleverd.", ["ukraine"], "neutral"),
    ("Krijgt de Nederlandse defensie-industrie meer orders?", "Ja, wij plaatsen meer orders bij Nederlandse bedrijven.", ["industry"], "agree"),
    ("Wilt u Europese leveranciers voorrang geven bij aanbestedingen?", "Ja, Europese leveranciers krijgen voorrang.", ["industry"], "agree"),
    ("Gaat u de productiecapaciteit van munitiefabrieken vergroten?", "Nee, de productiecapaciteit blijft gelijk.", ["industry"], "disagree"),
    ("Kiest u voor een Amerikaans gevechtsvliegtuig in plaats van een Europees?", "Nee, dat besluit is nog niet genomen.", ["industry"], "disagree"),
    ("Hoeveel bedrijven doen mee aan het EDF-programma?", "Er doen 40 Nederlandse bedrijven mee aan het fonds.", ["industry"], "neutral"),
    ("Wat is de omzet van de defensie-industrie?", "De omzet bedroeg vorig jaar 5 miljard euro.", ["industry"], "neutral"),
    ("Worden tankers van de schaduwvloot in de Noordzee geïnspecteerd?", "Ja, de kustwacht inspecteert verdachte tankers.", ["fleet"], "agree"),
    ("Gaat u schepen van de schaduwvloot aan de ketting leggen?", "Ja, wij werken aan een juridische basis daarvoor.", ["fleet"], "agree"),
    ("Wilt u onderzeese kabels beter laten bewaken tegen de schaduwvloot?", "Nee, de huidige bewaking is voldoende.", ["fleet"], "disagree"),
    ("Moeten verzekeraars van olietankers strenger worden gecontroleerd?", "Nee, dat is een Europese bevoegdheid.", ["fleet"], "disagree"),
    ("Hoeveel schepen van de schaduwvloot voeren door de Noordzee?", "Vorig jaar voeren ongeveer 300 tankers door de Noordzee.", ["fleet"], "neutral"),
    ("Levert de industrie munitie voor Oekraïne?", "Ja, Nederlandse bedrijven leveren munitie aan Oekraïne.", ["industry", "ukraine"], "agree"),
    ("Wat kost de renovatie van de kazerne in Assen?", "De renovatie kost 12 miljoen euro.", [], "neutral"),
    ("Wanneer opent het nieuwe oefenterrein?", "Het terrein opent in het voorjaar.", [], "neutral"),
    ("Komt er een nieuw uniform voor de landmacht?", "Ja, het nieuwe uniform komt volgend jaar.", [], "agree"),
    ("Verhoogt u de salarissen van militairen?", "Nee, daar is geen budget voor.", [], "disagree"),
    ("Hoeveel militairen werken er bij de marine?", None, [], None),
    ("Wordt de schaduwvloot besproken in de Raad?", None, ["fleet"], None),
]


def _records():
    docs = ("docA", "docB", "docC", "docD")
    out = []
    for i, (question, answer, topics, stance) in enumerate(_ROWS):
        out.append({"id": f"{docs[i % 4]}#{i + 1}", "question": question, "answer": answer, "topics": list(topics), "stance": stance})
    return out


@pytest.fixture
def records() -> list[dict]:
    """A fresh copy of the tiny training set (tests may mutate it)."""
    return _records()


@pytest.fixture(scope="session")
def records_path(tmp_path_factory) -> Path:
    """The tiny training set as a JSONL file."""
    path = tmp_path_factory.mktemp("data") / "tiny.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in _records()), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def tiny_model():
    """A model trained once on the tiny set (cv=2 so the report and calibration paths run)."""
    import classify

    return classify.train(_records(), cv=2)


@pytest.fixture(scope="session")
def tiny_model_dir(tiny_model, tmp_path_factory) -> Path:
    """``tiny_model`` saved to a model directory; copy it before tampering with it."""
    return tiny_model.save(tmp_path_factory.mktemp("models") / "tiny")


@pytest.fixture
def model_copy(tiny_model_dir, tmp_path) -> Path:
    """A private copy of the saved tiny model, safe to tamper with."""
    import shutil

    return Path(shutil.copytree(tiny_model_dir, tmp_path / "model"))


def write_jsonl(path: Path, rows) -> Path:
    """Write rows (dicts, or raw strings written as-is) as JSONL."""
    with open(path, "w", encoding="utf-8") as handle:
        for row in rows:
            handle.write((row if isinstance(row, str) else json.dumps(row, ensure_ascii=False)) + "\n")
    return path


def _have_numba() -> bool:
    from classify import _compiled

    return _compiled.kernel("score") is not None


NO_NUMBA = "numba is not installed (pip install -e '.[fast]') or CLASSIFY_NO_JIT is set"
needs_numba = pytest.mark.skipif(not _have_numba(), reason=NO_NUMBA)


@pytest.fixture(params=["compiled", "numpy"])
def kernels(request, monkeypatch):
    """Run a test with the numba kernels (classify._compiled), then with the numpy fallback."""
    from classify import _compiled

    if request.param == "compiled":
        if not _have_numba():
            pytest.skip(NO_NUMBA)
    else:
        monkeypatch.setattr(_compiled, "_kernels", {})
    return request.param
