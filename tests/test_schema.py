"""Tests of classify.schema: the label schema and its user-facing errors."""

# ruff: noqa: E501, B905  (pinned one-line messages and inline data rows read better unwrapped; zips are of equal-length test data)

from __future__ import annotations

import re

import pytest
from conftest import LABELS

from classify.errors import ClassifyError, InputNotFoundError, SchemaError
from classify.schema import LabelSchema


def test_shipped_schema_toml_loads_in_file_order():
    schema = LabelSchema.from_toml(LABELS / "schema.toml")
    assert schema.topics == ("ukraine_support", "military_mobility", "defence_industry", "shadow_fleet")
    assert schema.stances == ("agree", "disagree", "neutral", "non_committal")
    assert schema.name == "defence-topics-stance"
    assert schema.descriptions["shadow_fleet"].startswith("The (mainly Russian) shadow fleet")


def test_from_toml_missing_file(tmp_path):
    with pytest.raises(InputNotFoundError, match=r"schema file .*nope\.toml' does not exist; pass an existing TOML file \(schema= in Python, --schema on the command line\)"):
        LabelSchema.from_toml(tmp_path / "nope.toml")


def test_from_toml_invalid_syntax(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("[[topics]\nname = ", encoding="utf-8")
    with pytest.raises(SchemaError, match=r"bad\.toml: not valid TOML .*Fix the syntax"):
        LabelSchema.from_toml(path)


def test_from_toml_user_schema(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text('name = "mine"\ntopics = ["housing", "health"]\n[[stances]]\nname = "yes"\ndescription = "Ja"\n[[stances]]\nname = "no"\n')
    schema = LabelSchema.from_toml(path)
    assert schema == LabelSchema(("housing", "health"), ("yes", "no"), name="mine")
    assert schema.descriptions == {"yes": "Ja"}


def test_dict_round_trip_keeps_order_and_descriptions():
    schema = LabelSchema(("b", "a"), ("yes", "no"), {"a": "the a label", "no": "nee"}, "demo")
    data = schema.to_dict()
    assert [t["name"] for t in data["topics"]] == ["b", "a"]
    back = LabelSchema.from_dict(data)
    assert back == schema
    assert back.descriptions == {"a": "the a label", "no": "nee"}
    assert back.to_dict() == data


def test_from_dict_accepts_plain_strings():
    assert LabelSchema.from_dict({"topics": ["x", "y"]}).topics == ("x", "y")


@pytest.mark.parametrize(
    "data, message",
    [
        ([], r"where: expected a table with 'topics' and 'stances', got list"),
        ({"topics": "a"}, r"where: 'topics' must be a list of \{name, description\} tables, got str 'a'\. Write each label as \[\[topics\]\]"),
        ({"stances": [{"description": "no name"}]}, r"where: each entry of 'stances' needs a 'name' string.* Write it as \[\[stances\]\] name"),
    ],
)
def test_from_dict_rejects_malformed(data, message):
    with pytest.raises(SchemaError, match=message):
        LabelSchema.from_dict(data, where="where")


def test_infer_sorts_labels_and_ignores_none():
    schema = LabelSchema.infer([["b", "a"], [], ["c", "a"]], ["no", None, "yes", "no"])
    assert schema.topics == ("a", "b", "c")
    assert schema.stances == ("no", "yes")
    assert schema.name == "inferred"


def test_infer_topics_only():
    schema = LabelSchema.infer([["a"]], [None])
    assert schema.topics == ("a",) and schema.stances == ()


def test_duplicate_label():
    with pytest.raises(SchemaError, match=r"topic label 'a' is listed twice; list each label once"):
        LabelSchema(("a", "b", "a"))
    with pytest.raises(SchemaError, match=r"^s\.toml: topic label 'a' is listed twice"):  # the file is named
        LabelSchema.from_dict({"topics": [{"name": "a"}, {"name": "a"}]}, where="s.toml")


@pytest.mark.parametrize("label", ["", " leading", "trailing ", "a;b", "a,b", "new\nline", 3, None])
def test_invalid_label(label):
    with pytest.raises(SchemaError, match=r"invalid stance label .*labels must be non-empty text without ';', ','"):
        LabelSchema(stances=(label,))


@pytest.mark.parametrize("label", ["BUITENLANDS BELEID", "zorg/welzijn", "ä-umlaut", "_x", "Oekraïne steun"])
def test_user_labels_may_be_any_visible_text(label):
    assert LabelSchema(topics=(label,)).topics == (label,)


def test_empty_schema():
    with pytest.raises(SchemaError, match="the schema has neither topic nor stance labels; add at least one label"):
        LabelSchema()


def test_index_lookups():
    schema = LabelSchema(("a", "b"), ("yes", "no"))
    assert schema.topic_index("b") == 1
    assert schema.stance_index("yes") == 0


def test_unknown_label_suggests_closest():
    schema = LabelSchema.from_toml(LABELS / "schema.toml")
    with pytest.raises(SchemaError) as info:
        schema.topic_index("shadowfleet")
    assert str(info.value) == (
        "unknown topic 'shadowfleet'. Did you mean 'shadow_fleet'? "
        "Known topics: ukraine_support, military_mobility, defence_industry, shadow_fleet."
    )


def test_unknown_label_without_close_match():
    schema = LabelSchema(("a",), ("agree", "disagree"))
    with pytest.raises(SchemaError, match=r"unknown stance 'banana'\. Known stances: agree, disagree\.$"):
        schema.stance_index("banana")


def test_unknown_label_in_schema_without_that_kind():
    with pytest.raises(SchemaError, match=r"Known stances: \(none: this schema has no stance labels\)"):
        LabelSchema(("a",)).stance_index("agree")


def test_errors_are_classify_and_builtin_errors():
    with pytest.raises(ClassifyError):
        LabelSchema()
    with pytest.raises(ValueError):
        LabelSchema()


def test_schema_is_frozen_and_equality_ignores_descriptions():
    a = LabelSchema(("a",), descriptions={"a": "x"})
    assert a == LabelSchema(("a",), descriptions={"a": "y"})
    with pytest.raises(AttributeError):
        a.topics = ("b",)


def test_an_unknown_schema_key_is_named():
    with pytest.raises(SchemaError, match=r"^s\.toml: unknown key 'topic'\. Did you mean 'topics'\? A schema has \[\[topics\]\] and "):
        LabelSchema.from_dict({"topic": [{"name": "a"}]}, where="s.toml")


def test_a_label_in_other_case_is_suggested():
    with pytest.raises(SchemaError, match=r"unknown topic 'FLEET'\. Did you mean 'fleet'\?"):
        LabelSchema(("fleet", "industry")).topic_index("FLEET")


def test_labels_are_compared_in_composed_unicode():
    """'beleid' with a combining accent (NFD, as some keyboards and macOS file names write it) and
    with é (NFC) look identical: they are one label."""
    import unicodedata

    nfd = unicodedata.normalize("NFD", "gezondheidsbeléid")
    schema = LabelSchema.from_dict({"topics": [{"name": nfd}]})
    assert schema.topics == ("gezondheidsbeléid",) and len(schema.topics[0]) == len("gezondheidsbeléid")


@pytest.mark.parametrize(("entry", "message"), [
    ('descripton = "Defensie, leger"', r"unknown key 'descripton'\. Did you mean 'description'\? An entry has a name and a description\."),
    ('colour = "blue"', r"unknown key 'colour'\. An entry has a name and a description\."),
    ("description = 3", r"description is int 3; write it as text in quotes: description = \"\.\.\.\"\."),
])
def test_a_bad_key_of_a_label_entry_is_named_with_its_line(tmp_path, entry, message):
    """A misspelt 'description' was ignored (the model trained without it, thresholds moved), and a
    number became the text '3'."""
    path = tmp_path / "s.toml"
    path.write_text(f'[[topics]]\nname = "spoor"\n\n[[topics]]\nname = "defensie"\n{entry}\n', encoding="utf-8")
    with pytest.raises(SchemaError, match=rf"^{re.escape(str(path))}:6: \[\[topics\]\] entry 2 \('defensie'\): {message}$"):
        LabelSchema.from_toml(path)
