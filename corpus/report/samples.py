"""The report's samples as HTML: removed lines in their context, dropped documents, kept documents' diffs.

Every piece of document text is escaped here (``html.escape``): a page that holds ``<script>`` shows
it as text. The diff of a kept document against its input is word level (difflib over runs of
non-space and of space, so line breaks survive), long unchanged stretches folded to their ends.
"""

from __future__ import annotations

import difflib
import re
from html import escape

_TOKENS = re.compile(r"\s+|[^\s]+")
CONTEXT_LINES = 2  # lines of context either side of a removed line
CONTEXT = 80  # characters of unchanged text kept either side of a change
MAX_TOKENS = 6000  # past this many words a diff compares lines instead (difflib is quadratic)


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _ws(text: str) -> str:
    return escape(text, quote=False)


def _mark(text: str) -> str:
    """A changed part, escaped, its line breaks shown (↵) so that a removed blank line is seen."""
    return escape(text, quote=False).replace("\n", "<span class=nl>↵</span>\n")


def _lines(text: str, last: bool) -> str:
    """The context shown beside a removal: the part of its own line, and up to CONTEXT_LINES non-blank
    lines before it (``last``: text before the removal) or after it."""
    parts = text.split("\n")
    own = parts[-1] if last else parts[0]  # the same line as the removal
    others = [line for line in (parts[:-1] if last else parts[1:]) if line.strip()]
    if last:
        return "".join(line + "\n" for line in others[-CONTEXT_LINES:]) + own
    return own + "".join("\n" + line for line in others[:CONTEXT_LINES])


def removed_lines(samples: dict[str, list[dict]], stage_order: list[str]) -> str:
    """Per ``stage:rule``, each removed part between the text before and after it."""
    if not samples:
        return "<p class=muted>No line was removed by a rule in this build.</p>"
    out = []
    for key in sorted(samples, key=lambda k: (_rank(k.split(":", 1)[0], stage_order), k)):
        stage, _, rule = key.partition(":")
        out.append(
            f"<div class=sample-group><h4><span class=stage>{_e(stage)}</span> {_e(rule)}</h4>"
            "<div class=cols>"
        )
        for item in samples[key]:
            before = _lines(str(item.get("before", "")), last=True)
            after = _lines(str(item.get("after", "")), last=False)
            removed = str(item.get("removed", ""))
            out.append(
                f"<div class=sample><div class=doc-id>{_e(item.get('id', ''))}</div><pre class=ctx>"
                f"{_ws(before)}<del>{_mark(removed)}</del>"
                f"{_ws(after)}</pre></div>"
            )
        out.append("</div></div>")
    return "".join(out)


def dropped_docs(samples: dict[str, list[dict]], stage_order: list[str]) -> str:
    """Per ``stage.reason``, a few dropped documents: id, the drop's note and the (trimmed) text."""
    if not samples:
        return "<p class=muted>No document was dropped in this build.</p>"
    out = []
    for key in sorted(samples, key=lambda k: (_rank(k.split(".", 1)[0], stage_order), k)):
        stage, _, reason = key.partition(".")
        out.append(f"<div class=sample-group><h4><span class=stage>{_e(stage)}</span> {_e(reason)}</h4>")
        for item in samples[key]:
            note = item.get("note") or ""
            out.append(
                f"<details class=sample><summary><span class=doc-id>{_e(item.get('id', ''))}</span>"
                f"{' — ' + _e(note) if note else ''}</summary>"
                f"<pre>{_ws(str(item.get('text', '')))}</pre></details>"
            )
        out.append("</div>")
    return "".join(out)


def kept_diffs(samples: list[dict]) -> str:
    """Each kept sample: what the stages changed between the input and the text in the shard."""
    if not samples:
        return "<p class=muted>No kept document sampled.</p>"
    out = []
    for item in samples:
        before, after = str(item.get("input", "")), str(item.get("output", ""))
        html, deleted, inserted = diff(before, after)
        summary = (
            "unchanged"
            if not deleted and not inserted
            else f"{deleted:,} characters deleted, {inserted:,} inserted"
        )
        out.append(
            f"<details class=sample open><summary><span class=doc-id>{_e(item.get('id', ''))}</span> — "
            f"{len(before):,} → {len(after):,} characters, {summary}</summary>"
            f"<pre class=diff>{html}</pre></details>"
        )
    return "".join(out)


def diff(before: str, after: str) -> tuple[str, int, int]:
    """``before`` made ``after``, as HTML (<del>, <ins>, unchanged runs folded); chars deleted, added."""
    a, b = _TOKENS.findall(before), _TOKENS.findall(after)
    if len(a) + len(b) > 2 * MAX_TOKENS:
        a, b = before.splitlines(keepends=True), after.splitlines(keepends=True)
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    parts: list[str] = []
    deleted = inserted = 0
    ops = matcher.get_opcodes()
    for n, (tag, i1, i2, j1, j2) in enumerate(ops):
        if tag == "equal":
            parts.append(_fold("".join(a[i1:i2]), first=n == 0, last=n == len(ops) - 1))
            continue
        if tag in ("delete", "replace"):
            removed = "".join(a[i1:i2])
            deleted += len(removed)
            parts.append(f"<del>{_mark(removed)}</del>")
        if tag in ("insert", "replace"):
            added = "".join(b[j1:j2])
            inserted += len(added)
            parts.append(f"<ins>{_mark(added)}</ins>")
    return "".join(parts), deleted, inserted


def _fold(text: str, first: bool, last: bool) -> str:
    """Unchanged text, its middle folded to a marker when long (only the end near a change is kept)."""
    keep_head = 0 if first else CONTEXT
    keep_tail = 0 if last else CONTEXT
    if first and last:  # no change at all: show the start
        keep_head = 4 * CONTEXT
    if len(text) <= keep_head + keep_tail + 40:
        return _ws(text)
    head, tail = text[:keep_head], text[len(text) - keep_tail :] if keep_tail else ""
    hidden = len(text) - len(head) - len(tail)
    return f"{_ws(head)}<span class=fold>[… {hidden:,} unchanged characters …]</span>{_ws(tail)}"


def _rank(stage: str, order: list[str]) -> int:
    return order.index(stage) if stage in order else len(order)
