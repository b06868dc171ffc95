r"""What each stage did to one document, and why: for people (``explain``) and for code (``trace``).

>>> from corpus import explain
>>> print(explain("Hello   world.\n\n\n\nSign up to receive our latest news!"))
document 'text': 53 chars
fix_encoding: text 53 -> 51 chars (whitespace.blank_lines 1)
    [whitespace.blank_lines] @14 '\n\n\n\n' -> '\n\n'
strip_boilerplate: text 51 -> 14 chars (removed.newsletter 1)
    [newsletter.en] @16 removed 'Sign up to receive our latest news!'
normalize_handles: unchanged
detect_language: lang='en'; lang_score=0.6278
result: kept, 14 chars
"""

from __future__ import annotations

from typing import Any

from corpus.document import Document

DEFAULT_STAGES: list[dict[str, Any]] = [
    {"fix_encoding": {}},
    {"strip_boilerplate": {}},
    {"normalize_handles": {"mode": "mask"}},
    {"detect_language": {}},
]


def default_pipeline() -> Any:
    """The default cleaning stages (``corpus clean``/``explain`` without a config)."""
    from corpus.config import build_stages
    from corpus.pipeline import Pipeline

    return Pipeline(build_stages({"stages": DEFAULT_STAGES}, where="default stages"))


def explain(doc: Document | str, pipeline: Any = None) -> str:
    """A human-readable account of what each stage did to one document (a Document or a text)."""
    if isinstance(doc, str):
        doc = Document(id="text", text=doc)
    pipeline = default_pipeline() if pipeline is None else pipeline
    lines = [f"document {doc.id!r}: {len(doc.text)} chars"]
    for name, before, outcome in pipeline.trace(doc):
        after = outcome.doc
        if after is None:
            lines.append(f"{name}: DROPPED ({outcome.reason})")
            lines += [f"    {e.describe()}" for e in outcome.edits]
            return "\n".join(lines)
        changes = []
        if after.text != before.text:
            changes.append(f"text {len(before.text)} -> {len(after.text)} chars")
        for fld in ("lang", "lang_score", "url", "source"):
            if getattr(after, fld) != getattr(before, fld):
                changes.append(f"{fld}={getattr(after, fld)!r}")
        extra = ", ".join(f"{k} {v}" for k, v in sorted(outcome.counts.items()))
        lines.append(f"{name}: {'; '.join(changes) or 'unchanged'}" + (f" ({extra})" if extra else ""))
        lines += [f"    {e.describe()}" for e in outcome.edits]
        doc = after
    steps = [s.name for s in pipeline.corpus_steps]
    if steps:
        lines.append(f"then corpus-level steps decide across documents: {', '.join(steps)}")
    lines.append(f"result: kept, {len(doc.text)} chars")
    return "\n".join(lines)
