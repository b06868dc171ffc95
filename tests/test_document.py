"""The Document record, its JSON Schema file and its HF Features come from one definition."""

from __future__ import annotations

import dataclasses
import json

import jsonschema
import pytest

from corpus import Document
from corpus.document import FIELDS, arrow_schema, features, json_schema
from tests.conftest import ROOT


def test_schema_file_matches_fields():
    on_disk = json.loads((ROOT / "schemas" / "document.schema.json").read_text(encoding="utf-8"))
    assert on_disk == json_schema(), "schemas/document.schema.json is stale: run scripts/gen_schemas.py"


def test_features_and_arrow_schema_follow_fields():
    names = [f.name for f in FIELDS]
    assert list(features()) == names
    assert arrow_schema().names == names
    assert features()["lang_score"].dtype == "float64"
    assert {"id", "text", "source", "url", "lang", "lang_score", "meta"} <= set(names)
    assert [f.name for f in dataclasses.fields(Document)] == names  # from_batch zips columns in this order


def test_row_validates_against_schema():
    doc = Document(id="a", text="Hello", lang="en", lang_score=0.99, meta={"b": 1, "a": [1, 2]})
    record = doc.to_dict()
    jsonschema.validate(record, json_schema())
    assert doc.to_row()["meta"] == '{"a": [1, 2], "b": 1}'  # sorted keys: deterministic bytes


def test_schema_rejects_missing_text_and_unknown_keys():
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"id": "a"}, json_schema())
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"id": "a", "text": "x", "colour": "red"}, json_schema())


def test_from_dict_roundtrip_and_extra_keys_go_to_meta():
    doc = Document.from_dict({"id": 7, "text": "t", "meta": '{"x": 1}', "title": "T"})
    assert doc.id == "7" and doc.meta == {"x": 1, "title": "T"}
    assert Document.from_dict(doc.to_dict()) == doc


def test_columnar_table_and_batch_equal_the_row_forms(sample_article: str) -> None:
    import pyarrow as pa

    from corpus.document import from_batch, to_table

    docs = [
        Document("a", sample_article, source="data/sample", lang="en", lang_score=0.9999),
        Document("b", "Zweite Zeile.\nÜber 2 €.", meta={"near_dup_cluster": "a", "ö": [1, 2]}),
        Document("c", "", url="https://example.com/x"),
    ]
    schema = features().arrow_schema
    table = to_table(docs, schema)
    rows = pa.Table.from_pylist([d.to_row() for d in docs], schema=schema)
    assert table.equals(rows) and table.schema.equals(rows.schema, check_metadata=True)
    assert from_batch(table) == docs == [Document.from_dict(r) for r in rows.to_pylist()]
    # Nulls (a file written by another tool) take the field defaults, as from_dict does.
    nulls = pa.table(
        {f.name: pa.array([None], type=arrow_schema().field(f.name).type) for f in FIELDS}
    ).set_column(0, "id", pa.array(["z"]))
    assert from_batch(nulls) == [Document.from_dict({"id": "z", "text": ""})]
