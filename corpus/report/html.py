"""report.html: one self-contained page (inline CSS and SVG, no script, no network) showing what a
build did, from its manifest, its report.json (None for an older build) and its dropped.jsonl.

Deterministic: the same inputs give the same bytes (no clock, no random ids, every mapping read in
sorted or pipeline order), so two identical builds give identical reports and ``corpus report
BUILD --html`` rewrites a build's report.html with the bytes its build wrote.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path

from corpus.errors import ConfigError
from corpus.report import samples, sections
from corpus.report.clusters import read_clusters
from corpus.report.sections import e, num
from corpus.report.tokens import approx, percent

_CSS = """
:root{--fg:#1d1d1f;--muted:#6b6b70;--line:#e2e2e6;--bg:#fafafb;--del:#fbe3e2;--del-fg:#9b1c1c;
--ins:#e1f3e1;--ins-fg:#1d5e1d;--accent:#3b6ea8}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;
color:var(--fg);background:var(--bg)}
header.top{background:#fff;border-bottom:1px solid var(--line);padding:18px 28px 10px}
h1{margin:0 0 4px;font-size:22px}h2{font-size:18px;margin:0 0 10px}h3{font-size:15px;margin:18px 0 8px}
h4{font-size:13px;margin:12px 0 6px}
main{max-width:1180px;margin:0 auto;padding:8px 28px 40px}
section{background:#fff;border:1px solid var(--line);border-radius:8px;padding:16px 20px;margin:16px 0}
nav{margin-top:8px;font-size:13px}nav a{color:var(--accent);margin-right:14px;text-decoration:none}
.desc{color:var(--muted);margin:0 0 10px;max-width:900px}
.cards{display:flex;flex-wrap:wrap;gap:10px;margin:10px 0}
.card{border:1px solid var(--line);border-radius:6px;padding:6px 12px;min-width:110px;background:var(--bg)}
.card b{display:block;font-size:18px}.card span{color:var(--muted);font-size:12px}
.card.kept b{color:#2f6f2f}.card.dropped b{color:#a33a37}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:6px 0;font-size:13px}
dl.meta dt{color:var(--muted)}dl.meta dd{margin:0;overflow-wrap:anywhere}
code,.doc-id{font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:12px}
.doc-id{color:#37474f;overflow-wrap:anywhere}
table{border-collapse:collapse;font-size:13px;margin:6px 0}
th,td{border-bottom:1px solid var(--line);padding:3px 10px 3px 0;text-align:left;vertical-align:top}
th{color:var(--muted);font-weight:600}.num{text-align:right;font-variant-numeric:tabular-nums}
table.stages td:last-child{color:var(--muted);font-size:12px;max-width:380px}
.row{display:flex;flex-wrap:wrap;gap:24px;align-items:flex-start}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(420px,1fr));gap:12px}
.grid-small{display:grid;grid-template-columns:repeat(auto-fill,minmax(230px,1fr));gap:8px}
.fig svg{max-width:100%;height:auto}
ul.members{margin:0;padding-left:16px}ul.members li{margin:0}
.muted{color:var(--muted)}.note{background:#fff8e1;border-left:3px solid #e0b000;padding:6px 10px}
.stage{background:#eef2f7;color:#2c4a6e;border-radius:4px;padding:0 6px;font-weight:600}
.sample-group{margin-bottom:10px}
.cols{display:grid;grid-template-columns:repeat(auto-fill,minmax(340px,1fr));gap:0 12px}
.sample{margin:4px 0 8px}
pre{white-space:pre-wrap;overflow-wrap:anywhere;background:var(--bg);border:1px solid var(--line);
border-radius:4px;padding:8px;margin:4px 0;font:12px/1.4 ui-monospace,"DejaVu Sans Mono",monospace;
max-height:420px;overflow:auto}
del{background:var(--del);color:var(--del-fg);text-decoration:line-through;text-decoration-color:#d9a3a3}
ins{background:var(--ins);color:var(--ins-fg);text-decoration:none}
.nl{opacity:.55}.fold{color:var(--muted);font-style:italic}
summary{cursor:pointer}footer{color:var(--muted);font-size:12px;text-align:center;margin:20px 0}
"""


def _header(manifest: dict, report: dict | None) -> str:
    config = manifest.get("config", {}) or {}
    counts = manifest.get("counts", {}) or {}
    name = config.get("name") or "corpus build"
    dropped = sum((counts.get("dropped") or {}).values())
    skipped = sum((counts.get("skipped") or {}).values())
    cards = [
        ("read", counts.get("read", 0), ""),
        ("kept", counts.get("kept", 0), "kept"),
        ("dropped", dropped, "dropped"),
        ("quarantined", counts.get("quarantined", 0), "dropped"),
    ]
    if skipped:
        cards.append(("skipped", skipped, ""))
    tokens = manifest.get("tokens") or {}
    if tokens.get("total") is not None and tokens.get("method") == "sample":
        error = percent(tokens.get("relative_error", 0.0))
        label = f"tokens ({tokens.get('tokenizer', '?')}, estimated ± {error})"
        cards.append((label, f"≈ {approx(tokens['total'])}", ""))
    elif tokens.get("total") is not None:
        cards.append((f"tokens ({tokens.get('tokenizer', '?')})", tokens["total"], ""))
    shards = manifest.get("shards") or []
    meta = [
        ("toolkit", f"corpus {manifest.get('toolkit_version', '?')}"),
        ("config sha256", manifest.get("config_sha256", "?")),
        ("engine", f"{config.get('engine', '?')}"),
        ("stages", " → ".join(sections.stage_order(manifest)) or "none"),
        ("inputs", f"{len(manifest.get('inputs') or [])} files"),
        (
            "shards",
            f"{len(shards)} files, {sum(s.get('rows', 0) for s in shards):,} rows, "
            f"{sum(s.get('bytes', 0) for s in shards):,} bytes",
        ),
        (
            "splits",
            ", ".join(f"{k} {num(v)}" for k, v in sorted((counts.get("splits") or {}).items())) or "–",
        ),
    ]
    if counts.get("duplicate_ids"):
        meta.append(("duplicate ids", num(counts["duplicate_ids"])))
    if counts.get("invalid_utf8_replaced"):
        meta.append(("invalid UTF-8 replaced", num(counts["invalid_utf8_replaced"])))
    links = [("funnel", "Funnel"), ("stages", "Stages"), ("kept", "Kept documents")]
    if tokens:
        links.append(("tokens", "Tokens"))
    links += [("duplicates", "Duplicates"), ("samples", "Samples")]
    return (
        f"<header class=top><h1>{e(name)} <span class=muted>— build report</span></h1>"
        + (f"<p class=desc>{e(config['description'])}</p>" if config.get("description") else "")
        + "<div class=cards>"
        + "".join(f"<div class='card {c}'><b>{num(v)}</b><span>{e(k)}</span></div>" for k, v, c in cards)
        + "</div><dl class=meta>"
        + "".join(
            f"<dt>{e(k)}</dt><dd>{e(v) if k != 'config sha256' else f'<code>{e(v)}</code>'}</dd>"
            for k, v in meta
        )
        + "</dl><nav>"
        + "".join(f"<a href='#{a}'>{e(t)}</a>" for a, t in links)
        + "</nav></header>"
    )


def _samples(manifest: dict, report: dict | None) -> str:
    if report is None:
        return (
            "<section id=samples><h2>Samples</h2><p class=note>No report.json in this build: no samples "
            "of removed lines, dropped or kept documents.</p></section>"
        )
    found = report.get("samples") or {}
    order = sections.stage_order(manifest)
    return (
        "<section id=samples><h2>Samples</h2>"
        "<h3>Removed lines, per rule</h3><p class=muted>The first few in input order, "
        "<del>removed part</del> between the text around it as the stage saw it.</p>"
        + samples.removed_lines(found.get("removed_lines") or {}, order)
        + "<h3>Dropped documents, per reason</h3><p class=muted>The first few in input order, "
        "trimmed to 600 characters; click to open.</p>"
        + samples.dropped_docs(found.get("dropped") or {}, order)
        + "<h3>Kept documents: input → output</h3><p class=muted>A fixed pick (smallest hash of the id); "
        "<del>deleted</del> and <ins>inserted</ins> text marked, long unchanged stretches folded.</p>"
        + samples.kept_diffs(found.get("kept") or [])
        + "</section>"
    )


def render_html(manifest: dict, report: dict | None, dropped_lines: Iterable[str]) -> str:
    """The report page from a build's manifest, report.json (None: an older build) and dropped.jsonl."""
    name = (manifest.get("config") or {}).get("name") or "corpus build"
    body = [
        _header(manifest, report),
        "<main>",
        sections.funnel(manifest),
        sections.stages(manifest),
        sections.distributions(manifest, report),
        sections.tokens(manifest),
        sections.duplicates(read_clusters(dropped_lines)),
        _samples(manifest, report),
        "</main><footer>Made by corpus "
        f"{e(manifest.get('toolkit_version', '?'))} from manifest.json, "
        f"{'report.json and ' if report is not None else ''}dropped.jsonl. Self-contained: no script, "
        "nothing fetched.</footer>",
    ]
    return (
        "<!DOCTYPE html>\n<html lang=en>\n<head>\n<meta charset=utf-8>\n"
        '<meta name=viewport content="width=device-width, initial-scale=1">\n'
        f"<title>{e(name)} — build report</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )


def _read_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path}: cannot be read as JSON ({exc})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: not a JSON object")
    return data


def write_report(build_dir: str | Path, out: str | Path | None = None) -> Path:
    """Render report.html for a finished build into ``out`` (default: BUILD/report.html).

    Without ``out``, a build whose manifest lists report.html keeps its bytes: the page is rendered
    again and must come out the same (it does when this corpus made the build: rendering is
    deterministic); if it would differ (a newer corpus), nothing is written and the error says to
    pass ``out``, since rewriting a listed file would break ``corpus verify``. An older build, whose
    manifest lists no report.html, gets one.
    """
    build = Path(build_dir)
    manifest_path = build / "manifest.json"
    if not manifest_path.is_file():
        raise ConfigError(f"{manifest_path}: no such file; is {build} a finished build?")
    manifest = _read_json(manifest_path)
    if not isinstance(manifest.get("counts"), dict):
        raise ConfigError(f"{manifest_path}: not a build's manifest (no counts)")
    report = _read_json(build / "report.json") if (build / "report.json").is_file() else None
    dropped = build / "dropped.jsonl"
    try:
        if dropped.is_file():
            with dropped.open(encoding="utf-8", errors="replace") as lines:
                page = render_html(manifest, report, lines)
        else:
            page = render_html(manifest, report, [])
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise ConfigError(
            f"{build}: manifest.json or report.json is damaged ({type(exc).__name__}: {exc})"
        ) from None
    data = page.encode("utf-8")
    if out is None:
        target = build / "report.html"
        listed = [
            f for f in manifest.get("files") or [] if isinstance(f, dict) and f.get("path") == "report.html"
        ]
        if listed:
            if listed[0].get("sha256") == hashlib.sha256(data).hexdigest():
                if not target.is_file() or target.read_bytes() != data:
                    target.write_bytes(data)  # restored: the bytes the manifest lists
                return target
            raise ConfigError(
                f"{target}: this corpus renders the build's report differently from the one its manifest "
                "lists (made by another version); pass --out FILE to write it elsewhere"
            )
    else:
        target = Path(out)
    try:
        target.write_bytes(data)
    except OSError as exc:
        raise ConfigError(f"{target}: cannot write the report ({exc.strerror or exc})") from None
    return target
