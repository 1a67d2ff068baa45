"""Tests of classify.annotations: validation with file:line messages, fingerprints, hydration."""

# ruff: noqa: E501, B905  (pinned one-line messages and inline data rows read better unwrapped; zips are of equal-length test data)

from __future__ import annotations

import gzip
import re

import pytest
from conftest import LABELS, write_jsonl

from classify.annotations import Annotations, Fields, from_rows, hydrate, load
from classify.errors import ClassifyWarning, DataError, InputNotFoundError, SchemaError
from classify.schema import LabelSchema

SCHEMA = LabelSchema.from_toml(LABELS / "schema.toml")


def row(**fields):
    return {"id": "doc#1", "question": "Steunt u Oekraïne?", "answer": "Ja.", "topics": ["ukraine_support"], "stance": "agree", **fields}


def test_load_valid_file(tmp_path):
    path = write_jsonl(tmp_path / "a.jsonl", [row(), row(id="doc#2", answer=None, stance=None, topics=[])])
    data = load(path, SCHEMA)
    assert isinstance(data, Annotations) and len(data) == 2
    assert data.ids == ["doc#1", "doc#2"]
    assert data.answers == ["Ja.", None]
    assert data.topics == [["ukraine_support"], []]
    assert data.stances == ["agree", None]
    assert data.locations == [f"{path}:1", f"{path}:2"]
    assert data.groups() == ["doc", "doc"]


def test_unknown_topic_names_file_line_and_suggestion(tmp_path):
    path = write_jsonl(tmp_path / "annotations.jsonl", [row(), row(id="doc#2", topics=["shadowfleet"])])
    with pytest.raises(DataError) as info:
        load(path, SCHEMA)
    assert str(info.value) == (
        f"{path}:2: unknown topic 'shadowfleet'. Did you mean 'shadow_fleet'? "
        "Known topics: ukraine_support, military_mobility, defence_industry, shadow_fleet. "
        "Fix the label, or add it to the schema file."
    )


def test_unknown_stance(tmp_path):
    path = write_jsonl(tmp_path / "a.jsonl", [row(stance="agreee")])
    with pytest.raises(DataError, match=r"a\.jsonl:1: unknown stance 'agreee'\. Did you mean 'agree'\?"):
        load(path, SCHEMA)


def test_without_schema_any_label_goes():
    data = from_rows([("x:1", row(topics=["whatever"], stance="maybe"))])
    assert data.topics == [["whatever"]] and data.stances == ["maybe"]


def test_a_question_column_of_another_name_is_named():
    with pytest.raises(DataError, match=r"^f\.csv:2: field 'question' is missing \(the record's fields: ID, Vraag, Thema\); every annotation needs a question text \(name its column: fields=\{'question': COLUMN\} in Python, --question-field COLUMN on the command line\)\.$"):
        from_rows([("f.csv:2", {"ID": "1", "Vraag": "Steun aan Oekraïne?", "Thema": "ukraine_support"})])


@pytest.mark.parametrize("question", [None, "", "   "])
def test_missing_question(question):
    with pytest.raises(DataError, match=r"^f\.jsonl:4: field 'question' is missing or empty; every annotation needs a question text \(or name its column: fields=\{'question': COLUMN\} in Python, --question-field COLUMN on the command line\)\.$"):
        from_rows([("f.jsonl:4", row(question=question))])


def test_missing_question_names_the_mapped_field_and_the_real_option():
    with pytest.raises(DataError, match=r"field 'vraag' is missing or empty; .*\(or name its column: fields=\{'question': COLUMN\} in Python, --question-field COLUMN on the command line\)\.$"):
        from_rows([("f:1", {"id": "1", "vraag": "", "tekst": "x"})], fields=Fields(question="vraag"))


def test_an_id_only_annotation_is_told_to_join_its_texts():
    with pytest.raises(DataError, match=r"^f:1: no 'question' field, only the id 'bekamer2017:1': join id-only annotations with their texts \(classify.hydrate\(FILES, CORPORA_DIR\) in Python; --corpora DIR"):
        from_rows([("f:1", {"id": "bekamer2017:1", "topics": []})])


def test_duplicate_id():
    with pytest.raises(DataError, match=r"^f:7: duplicate id 'doc#1' \(first at f:2\); give every record a unique id or remove the duplicate\.$"):
        from_rows([("f:2", row()), ("f:7", row())])


def test_stance_without_answer():
    with pytest.raises(DataError, match=r"f:1: stance 'agree' given but the answer is empty; set stance to null or add the answer"):
        from_rows([("f:1", row(answer="  "))])


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"question": 42}, r"f:1: field 'question' is int 42; expected text"),
        ({"answer": ["Ja"]}, r"f:1: field 'answer' is list \['Ja'\]; expected text"),
        ({"topics": 3}, r"f:1: field 'topics' must be a list of label strings, got 3"),
        ({"topics": ["ukraine_support", 1]}, r"field 'topics' must be a list of label strings"),
        ({"topics": "[not json"}, r"f:1: field 'topics' is not a valid JSON list: '\[not json'; write it as \[\"label_a\", \"label_b\"\]"),
        ({"stance": 1}, r"f:1: field 'stance' is int 1; expected text"),
        ({"id": ["a"]}, r"f:1: field 'id' is list; expected a string id"),
    ],
)
def test_wrong_types(fields, message):
    with pytest.raises(DataError, match=message):
        from_rows([("f:1", row(**fields))])


def test_unreadable_row_is_raised():
    with pytest.raises(DataError, match="bad line"):
        from_rows([("f:1", DataError("bad line"))])


def test_empty_input():
    with pytest.raises(DataError, match=r"^no annotation records found; the input holds none \(an empty list of records, or files without records\)\.$"):
        from_rows([])


def test_csv_topics_separated_and_json(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text(
        "id,question,answer,topics,stance\n"
        '1,Vraag een,Ja.,shadow_fleet;ukraine_support,agree\n'
        '2,Vraag twee,,"[""defence_industry""]",\n'
        "3,Vraag drie,Nee.,,disagree\n"
        '4,Vraag vier,,"ukraine_support, shadow_fleet",\n'
        "5,Vraag vijf,,\"['shadow_fleet']\",\n",  # a list pandas wrote with its repr: was refused
        encoding="utf-8",
    )
    data = load(path, SCHEMA)
    assert data.topics == [["shadow_fleet", "ukraine_support"], ["defence_industry"], [], ["shadow_fleet", "ukraine_support"], ["shadow_fleet"]]
    assert data.answers == ["Ja.", None, "Nee.", None, None]
    assert data.stances == ["agree", None, "disagree", None, None]
    assert data.ids == ["1", "2", "3", "4", "5"]


def test_integer_id_becomes_text():
    assert from_rows([("f:1", row(id=7))]).ids == ["7"]


def test_missing_id_gets_a_stable_generated_id():
    a = from_rows([("f:1", row(id=None)), ("f:2", row(id="", question="Andere vraag?"))])
    b = from_rows([("g:9", row(id=None))])
    assert a.ids[0] == b.ids[0]
    assert a.ids[0].startswith("sha1:") and len(a.ids[0]) == 5 + 16
    assert a.ids[0] != a.ids[1]


def test_text_is_cleaned():
    data = from_rows([("f:1", row(question="  Vraag\x00?  ", answer=float("nan"), stance=None))])
    assert data.questions == ["Vraag?"] and data.answers == [None]


def test_fingerprint_ignores_order_and_location():
    rows = [row(), row(id="doc#2", question="Tweede?")]
    a = from_rows([("a:1", rows[0]), ("a:2", rows[1])])
    b = from_rows([("b:9", rows[1]), ("b:3", rows[0])])
    assert a.fingerprint() == b.fingerprint()
    c = from_rows([("a:1", rows[0]), ("a:2", {**rows[1], "stance": "disagree"})])
    assert c.fingerprint() != a.fingerprint()
    assert a.fingerprint().startswith("sha256:") and len(a.fingerprint()) == 7 + 64


def test_fields_mapping():
    data = from_rows([("f:1", {"key": "k1", "vraag": "V?", "antwoord": "A.", "onderwerpen": ["x"], "houding": "ja"})],
                     fields=Fields("key", "vraag", "antwoord", "onderwerpen", "houding"))
    assert (data.ids, data.questions, data.answers, data.topics, data.stances) == (["k1"], ["V?"], ["A."], [["x"]], ["ja"])



def test_nested_fields_by_dotted_name():
    """--topics-field meta.theme_main: labels kept in a nested object, as in ../shared/data's JSONL files."""
    rows = [
        ("f:1", {"id": "1", "question": "V?", "meta": {"theme_main": "DEFENSIEBELEID", "themes": "DEFENSIE,NAVO"}}),
        ("f:2", {"id": "2", "question": "W?", "meta": {"theme_main": None}}),  # null: topics not annotated
        ("f:3", {"id": "3", "question": "X?", "meta": {}}),  # absent: not annotated either
        ("f:4", {"id": "4", "question": "Y?", "meta": "not an object"}),
    ]
    data = from_rows(rows, fields=Fields(topics="meta.theme_main"))
    assert data.topics == [["DEFENSIEBELEID"], [], [], []] and data.topics_known == [True, False, False, False]
    assert from_rows(rows[:1], fields=Fields(topics="meta.themes")).topics == [["DEFENSIE", "NAVO"]]
    flat = from_rows([("f:1", {"id": "1", "question": "V?", "meta.theme_main": "A", "meta": {"theme_main": "B"}})], fields=Fields(topics="meta.theme_main"))
    assert flat.topics == [["A"]]  # a column named with the dot itself (a CSV's) comes first
    with pytest.raises(DataError, match=r"no record has the field 'meta.theme' named for the topic labels"):
        from_rows(rows, fields=Fields(topics="meta.theme"))
    row = {"id": "1", "meta": {"theme_main": "A"}}
    assert Fields().lift(row) is row and "meta.theme_main" not in row  # nothing dotted: the row itself, never changed

# -- hydrate --------------------------------------------------------------------------------
@pytest.fixture
def corpora(tmp_path):
    folder = tmp_path / "corpora"
    folder.mkdir()
    write_jsonl(folder / "one.jsonl", [
        {"id": "c1", "question": "Vraag een?", "answer": "Antwoord een."},
        {"id": "c2", "question": "Vraag twee?", "answer": None},
        {"title": "no id on this line"},
    ])
    plain = write_jsonl(tmp_path / "two.jsonl", [{"id": 3, "question": "Vraag drie?", "answer": "Drie."}])
    (folder / "two.jsonl.gz").write_bytes(gzip.compress(plain.read_bytes()))  # corpora may be gzipped
    (folder / "notes.txt").write_text('{"id": "c9", "question": "not a corpus file"}\n')
    return folder


def test_hydrate_joins_texts_and_reports_missing(tmp_path, corpora):
    ids = write_jsonl(tmp_path / "ids.jsonl", [
        {"id": "c2", "topics": [], "stance": None},
        {"id": "gone", "topics": ["x"]},
        {"id": "c1", "topics": ["a"], "stance": "agree", "reason": "kept"},
        {"id": "3"},
        {"id": "c9"},
    ])
    records, missing = hydrate(ids, corpora)
    assert missing == ["gone", "c9"]
    assert [r["id"] for r in records] == ["c2", "c1", "3"]  # input order
    assert records[1] == {"id": "c1", "topics": ["a"], "stance": "agree", "reason": "kept", "question": "Vraag een?", "answer": "Antwoord een."}
    assert records[0]["answer"] is None
    assert records[2]["question"] == "Vraag drie?"



def test_hydrate_reads_a_nested_id(tmp_path, corpora):
    ids = write_jsonl(tmp_path / "ids.jsonl", [{"ref": {"id": "c1"}, "topics": ["a"]}, {"ref": {"id": "gone"}}])
    records, missing = hydrate(ids, corpora, Fields(id="ref.id"))
    assert missing == ["gone"] and records == [{"ref": {"id": "c1"}, "topics": ["a"], "question": "Vraag een?", "answer": "Antwoord een."}]

def test_hydrate_passes_through_rows_with_text(tmp_path, corpora):
    own = {"id": "c1", "question": "Eigen tekst?", "answer": "Eigen antwoord.", "topics": []}
    records, missing = hydrate([write_jsonl(tmp_path / "seed.jsonl", [own])], corpora)
    assert records == [own] and missing == []


def test_hydrate_needs_ids(tmp_path, corpora):
    path = write_jsonl(tmp_path / "ids.jsonl", [{"id": "c1"}, {"topics": []}])
    with pytest.raises(DataError, match=r"ids\.jsonl:2: no 'id' field; hydrate needs the id of every record"):
        hydrate(path, corpora)


def test_hydrate_missing_corpora_dir(tmp_path):
    with pytest.raises(InputNotFoundError, match=r"corpora directory .*nowhere' does not exist; pass the folder holding the corpus \.jsonl files"):
        hydrate(write_jsonl(tmp_path / "ids.jsonl", [{"id": "c1"}]), tmp_path / "nowhere")


def test_hydrate_then_validate(tmp_path, corpora):
    records, _ = hydrate(write_jsonl(tmp_path / "ids.jsonl", [{"id": "c1", "topics": ["shadow_fleet"], "stance": "agree"}]), corpora)
    data = from_rows(((f"r{i}", r) for i, r in enumerate(records)), SCHEMA)
    assert data.questions == ["Vraag een?"]


def test_hydrate_from_a_folder_without_corpus_files_says_so(tmp_path):
    (tmp_path / "corpora").mkdir()
    (tmp_path / "corpora" / "texts.csv").write_text("id,question\nc1,V?\n")
    ids = write_jsonl(tmp_path / "ids.jsonl", [{"id": "c1"}, {"id": "c2", "question": "Eigen?"}])
    with pytest.raises(InputNotFoundError, match=r"^corpora directory '.*corpora' holds no corpus files \(\*\.jsonl, \*\.jsonl\.gz\) "
                                                 r"to take the texts of 1 records from; pass the folder holding them\.$"):
        hydrate(ids, tmp_path / "corpora")
    assert hydrate(write_jsonl(tmp_path / "own.jsonl", [{"id": "c2", "question": "Eigen?"}]), tmp_path / "corpora")[1] == []


def test_hydrate_finds_id_after_long_text(tmp_path):
    folder = tmp_path / "corpora"
    folder.mkdir()
    write_jsonl(folder / "c.jsonl", [{"question": "Lange vraag " * 40, "answer": "Ja.", "id": "late"}])
    records, missing = hydrate(write_jsonl(tmp_path / "ids.jsonl", [{"id": "late"}]), folder)
    assert missing == []


def test_hydrate_malformed_corpus_line(tmp_path):
    folder = tmp_path / "corpora"
    folder.mkdir()
    (folder / "c.jsonl").write_text('{"id": "c1", "question": "V?"\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"c\.jsonl:1"):
        hydrate(write_jsonl(tmp_path / "ids.jsonl", [{"id": "c1"}]), folder)


def test_records_without_any_label_field_name_the_fields_they_have():
    rows = [("f:1", {"id": "1", "vraag": "Steun?", "thema": "a"}), ("f:2", {"id": "2", "vraag": "Orders?", "thema": ""})]
    with pytest.raises(DataError, match=r"^no record has a 'topics' or 'stance' field \(the first record's fields: id, vraag, thema\); name the label fields \(fields=\{'topics': COLUMN\} in Python, --topics-field COLUMN on the command line; likewise 'stance'\)\.$"):
        from_rows(rows, fields=Fields(question="vraag"))
    assert from_rows(rows, fields=Fields(question="vraag", topics="thema")).topics == [["a"], []]


def test_labels_in_decomposed_unicode_are_the_composed_ones():
    import unicodedata

    nfd = unicodedata.normalize("NFD", "gezondheidsbeléid")
    data = from_rows([("f:1", {"id": "1", "question": "V?", "answer": "A.", "topics": [nfd], "stance": nfd}),
                      ("f:2", {"id": "2", "question": "W?", "topics": ["gezondheidsbeléid"]})])
    assert data.topics == [["gezondheidsbeléid"], ["gezondheidsbeléid"]] and data.stances[0] == "gezondheidsbeléid"


def test_an_annotation_file_given_twice_is_named(tmp_path):
    path = write_jsonl(tmp_path / "a.jsonl", [{"id": "1", "question": "V?", "topics": []}])
    with pytest.raises(DataError, match=r"^annotation file '.*a\.jsonl' is given twice; give each file once\.$"):
        load([path, tmp_path / "." / "a.jsonl"])


def test_integer_ids_of_any_kind_are_ids_and_a_bool_is_not():
    np = pytest.importorskip("numpy")
    data = from_rows([("f:1", {"id": np.int64(5), "question": "V?", "topics": ["a"]}), ("f:2", {"id": 6, "question": "W?"})])
    assert data.ids == ["5", "6"]  # a pandas id column holds numpy ints
    with pytest.raises(DataError, match=r"^f:1: field 'id' is bool; expected a string id"):
        from_rows([("f:1", {"id": True, "question": "V?", "topics": ["a"]})])


@pytest.mark.parametrize("labels", [{"topics": ["zorg, ziekenhuizen"]}, {"stance": "ja, deels"}])
def test_a_label_that_cannot_be_one_is_refused_at_its_record(labels):
    """The message named neither file nor line (5,000 records: no way to find it)."""
    with pytest.raises(SchemaError, match=r"^f:2: invalid (topic|stance) label '.*, .*': labels must be non-empty text"):
        from_rows([("f:1", row()), ("f:2", row(id="doc#2", **labels))])


def test_an_empty_annotation_file_is_named(tmp_path):
    """'no annotation records found; the input files are empty.' named no file; one empty file of two was not said."""
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(DataError, match=rf"^no annotation records found; '{re.escape(str(empty))}' is empty\.$"):
        load(empty)
    full = write_jsonl(tmp_path / "a.jsonl", [row()])
    with pytest.warns(ClassifyWarning, match=rf"annotation file '{re.escape(str(empty))}' held no records; check that it is the file you meant"):
        assert len(load([full, empty])) == 1


@pytest.mark.parametrize(("named", "message"), [
    ({"topics": "topic"}, r"^no record has the field 'topic' named for the topic labels \(the first record's fields: id, question, answer, topics, stance\); check its spelling \(fields=\{'topics': COLUMN\} in Python, --topics-field COLUMN on the command line\)\.$"),
    ({"stance": "stanse"}, r"^no record has the field 'stanse' named for the stance labels"),
])
def test_a_label_field_named_but_absent_is_a_misspelling(named, message):
    """--topics-field topic (no such column) trained a stance-only model, exit 0; evaluate left the head out."""
    with pytest.raises(DataError, match=message):
        from_rows([("f:1", row())], fields=Fields(**named))
    assert len(from_rows([("f:1", {k: v for k, v in row().items() if k != "topics"})])) == 1  # the default name may be absent


def test_an_unknown_label_lists_at_most_20_known_ones():
    schema = LabelSchema(topics=tuple(f"label{i}" for i in range(441)))
    with pytest.raises(DataError, match=r"Known topics: label0, label1, .*, label19, \.\.\. \(441 in all\)\."):
        from_rows([("f:1", row(topics=["nope"], stance=None))], schema)


@pytest.mark.parametrize("empty", [";;", " ; ;"])
def test_a_csv_row_of_empty_cells_is_no_annotation(tmp_path, empty):
    """Excel keeps a row whose cells were cleared as ';;': train stopped on it ('question is missing or empty').
    (`label` keeps it as an error record: one output record per input record.)"""
    path = tmp_path / "a.csv"
    path.write_text(f"id;question;topics\n1;Treinen te laat?;vervoer\n{empty}\n2;Wachtlijsten?;zorg\n", encoding="utf-8")
    assert load(path).ids == ["1", "2"]


def test_a_topics_cell_nested_thousands_deep_is_a_clean_error():
    """A CSV cell '[[[[...' of 5,000 levels: json raised RecursionError, a traceback for train and evaluate."""
    rows = [("x.csv:2", {"id": "a2", "question": "Schaduwvloot?", "topics": "[" * 5000 + "]" * 5000})]
    with pytest.raises(DataError, match=r"^x\.csv:2: field 'topics' is nested too deeply to be a list of labels"):
        from_rows(rows)
