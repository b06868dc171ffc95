"""The Document record: the one place its fields are defined.

`FIELDS` is the single source of truth. The JSON Schema in
``schemas/document.schema.json`` and the Hugging Face ``datasets.Features`` of
every written dataset are both derived from it (``json_schema()`` and
``features()``); a test checks the schema file on disk matches.
"""

from __future__ import annotations

import functools
import json
from dataclasses import asdict, dataclass, field, fields
from typing import Any, NamedTuple


class Field(NamedTuple):
    name: str
    json_type: str  # "string" | "number" | "integer" | "object"
    arrow_type: str  # datasets.Value dtype; "json" = dict stored as a JSON string
    required: bool
    description: str


FIELDS: tuple[Field, ...] = (
    Field("id", "string", "string", True, "Stable identifier, unique within a build."),
    Field("text", "string", "string", True, "The document text after cleaning."),
    Field("source", "string", "string", False, "Where the document came from (input file or collection)."),
    Field("url", "string", "string", False, "Original URL, when known."),
    Field("lang", "string", "string", False, "Detected language code (ISO 639-1 where one exists)."),
    Field("lang_score", "number", "float64", False, "Detector probability of `lang`, 0..1."),
    Field(
        "meta",
        "object",
        "json",
        False,
        "Free-form metadata. Written to datasets as a JSON string with sorted keys.",
    ),
    Field(
        "quality_signals",
        "object",
        "signals",
        False,
        "What quality stages in tag mode measured, one typed column per signal "
        "(corpus.text.quality_signals); null when none ran in tag mode.",
    ),
    Field(
        "quality_failed",
        "array",
        "strings",
        False,
        "The quality rules a document in tag mode failed, as stage.rule; null when none ran in tag mode.",
    ),
)


@dataclass
class Document:
    """One record. Only ``id`` and ``text`` are required."""

    id: str
    text: str
    source: str = ""
    url: str = ""
    lang: str = ""
    lang_score: float = 0.0
    meta: dict[str, Any] = field(default_factory=dict)
    quality_signals: dict[str, float] = field(default_factory=dict)
    quality_failed: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Document:
        """Build from a dict; unknown keys go into ``meta``; a JSON-string meta is parsed."""
        known = _NAMES
        kwargs = {k: v for k, v in data.items() if k in known and v is not None}
        meta = kwargs.get("meta", {})
        if isinstance(meta, str):
            meta = json.loads(meta) if meta else {}
        extra = {k: v for k, v in data.items() if k not in known}
        kwargs["meta"] = {**meta, **extra}
        kwargs["id"] = str(kwargs.get("id", ""))
        return cls(**kwargs)

    def to_row(self) -> dict[str, Any]:
        """The row as written to a dataset (meta serialised deterministically)."""
        row = self.to_dict()
        row["meta"] = json.dumps(self.meta, sort_keys=True, ensure_ascii=False)
        row["quality_signals"], row["quality_failed"] = quality_cells(self)
        return row


_NAMES = frozenset(f.name for f in fields(Document))


def quality_cells(doc: Document) -> tuple[dict[str, float] | None, list[str] | None]:
    """The two quality columns of ``doc`` as written: both null unless a stage tagged it."""
    if not doc.quality_signals:
        return None, None
    return doc.quality_signals, doc.quality_failed


def quality_from_cells(signals: dict[str, Any] | None, failed: list[str] | None) -> tuple[dict, list]:
    """``quality_cells`` read back: {} and [] for nulls, and no null signal kept."""
    if not signals:
        return {}, []
    return {k: v for k, v in signals.items() if v is not None}, failed or []


def _meta_json(meta: dict[str, Any]) -> str:
    return json.dumps(meta, sort_keys=True, ensure_ascii=False) if meta else "{}"


def to_table(docs: list[Document], schema: Any):  # -> pyarrow.Table
    """Documents as an Arrow table of ``schema`` (FIELDS' columns), built column by column.

    The same table as ``pa.Table.from_pylist([d.to_row() for d in docs], schema=schema)``,
    without a dict per row (the engine writes every document two or three times).
    """
    import pyarrow as pa

    columns = {f.name: [getattr(d, f.name) for d in docs] for f in FIELDS[:6]}
    columns["meta"] = [_meta_json(d.meta) for d in docs]
    columns["quality_signals"], columns["quality_failed"] = quality_columns(docs)
    return pa.Table.from_pydict(columns, schema=schema)


def from_batch(batch: Any) -> list[Document]:
    """The Documents of an Arrow record batch or table of the written schema, column by column.

    What ``Document.from_dict`` gives row by row (nulls take the field default; meta is
    parsed from its JSON string), without a dict per row.
    """
    names = batch.schema.names
    if names != [f.name for f in FIELDS]:  # another layout (extra columns): the general path
        return [Document.from_dict(row) for row in batch.to_pylist()]
    # FIELDS' order is Document's (a test checks): one list per column, zipped back into rows.
    ids, texts, sources, urls, langs, scores, metas = (batch.column(i).to_pylist() for i in range(7))
    signals, failed = _signal_columns(batch)
    return [
        Document(
            "" if i is None else str(i),
            "" if t is None else t,
            "" if s is None else s,
            "" if u is None else u,
            "" if lang is None else lang,
            0.0 if score is None else score,
            json.loads(m) if m and m != "{}" else {},
            q,
            f,
        )
        for i, t, s, u, lang, score, m, q, f in zip(
            ids, texts, sources, urls, langs, scores, metas, signals, failed, strict=True
        )
    ]


def quality_columns(docs: Any) -> tuple[list[Any], list[Any]]:
    """The quality_signals and quality_failed columns of ``docs`` (``quality_cells`` of each)."""
    cells = [quality_cells(d) for d in docs]
    return [c[0] for c in cells], [c[1] for c in cells]


def _signal_columns(batch: Any) -> tuple[list[dict[str, float]], list[list[str]]]:
    """The two quality columns as Document holds them (``quality_from_cells`` of each row)."""
    column = batch.column(7)
    n = len(column)
    if column.null_count == n:
        return [{}] * n, [[]] * n  # shared empties are never mutated: stages replace, not edit
    pairs = [
        quality_from_cells(q, f) for q, f in zip(column.to_pylist(), batch.column(8).to_pylist(), strict=True)
    ]
    return [p[0] for p in pairs], [p[1] for p in pairs]


def json_schema() -> dict[str, Any]:
    """The JSON Schema of a Document, derived from FIELDS."""
    from corpus.text.quality_signals import SIGNALS

    props: dict[str, Any] = {}
    for f in FIELDS:
        props[f.name] = {"type": f.json_type, "description": f.description}
        if f.name == "lang_score":
            props[f.name].update(minimum=0, maximum=1)
    props["quality_signals"].update(
        type=["object", "null"],
        properties={
            s.name: {
                "type": ["integer" if s.kind == "int" else "number", "null"],
                "description": s.description,
            }
            for s in SIGNALS.values()
        },
        additionalProperties=False,
    )
    props["quality_failed"].update(type=["array", "null"], items={"type": "string"})
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "document.schema.json",
        "title": "Document",
        "description": "One record of a corpus build (corpus.document.Document).",
        "type": "object",
        "properties": props,
        "required": [f.name for f in FIELDS if f.required],
        "additionalProperties": False,
    }


@functools.cache
def arrow_schema():  # -> pyarrow.Schema
    """The Arrow schema of written shards, derived from FIELDS."""

    return features().arrow_schema


def features():  # -> datasets.Features
    """The Hugging Face Features of written datasets, derived from FIELDS."""
    from datasets import Features, List, Value

    from corpus.text.quality_signals import SIGNALS

    dtype = {"string": "string", "float64": "float64", "json": "string"}
    kinds = {"int": "int64", "float": "float64"}
    columns: dict[str, Any] = {f.name: Value(dtype[f.arrow_type]) for f in FIELDS if f.arrow_type in dtype}
    columns["quality_signals"] = {s.name: Value(kinds[s.kind]) for s in SIGNALS.values()}
    columns["quality_failed"] = List(Value("string"))
    return Features(columns)


@dataclass(frozen=True)
class Edit:
    """One change a stage made: which rule, what it replaced, and with what."""

    rule: str
    before: str
    after: str = ""
    start: int | None = None  # offset of `before` in the stage's input text, when known
    # what a learned decision rests on ("p=0.93: cue@start +1.20, ..."); empty for a rule
    why: str = field(default="", repr=False)

    def describe(self) -> str:
        where = f" @{self.start}" if self.start is not None else ""
        because = f"  ({self.why})" if self.why else ""
        if not self.after:
            return f"[{self.rule}]{where} removed {self.before!r}{because}"
        return f"[{self.rule}]{where} {self.before!r} -> {self.after!r}{because}"
