"""The report's data sections as HTML: the funnel, the stages, the kept documents' distributions,
the token counts and the duplicate clusters. Each takes plain dicts (manifest, report.json) and
returns escaped HTML; the charts come from ``corpus.report.charts``.
"""

from __future__ import annotations

from html import escape

from corpus.report import charts
from corpus.report.clusters import MAX_MEMBERS, Clusters, size_buckets
from corpus.report.tokens import percent

MAX_QUALITY_CHARTS = 24
MAX_LANGUAGES = 25


def e(value: object) -> str:
    return escape(str(value), quote=True)


def num(value: object) -> str:
    if isinstance(value, bool):
        return e(value)
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.1f}" if isinstance(value, float) else e(value)


def table(head: list[str], rows: list[list[object]], numeric: set[int] | None = None, cls: str = "") -> str:
    numeric = numeric or set()
    ths = "".join(f"<th{' class=num' if i in numeric else ''}>{e(h)}</th>" for i, h in enumerate(head))
    body = "".join(
        "<tr>"
        + "".join(
            f"<td class=num>{num(v)}</td>" if i in numeric else f"<td>{e(v)}</td>" for i, v in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return (
        f"<table{f' class={cls}' if cls else ''}><thead><tr>{ths}</tr></thead><tbody>{body}</tbody></table>"
    )


def stage_order(manifest: dict) -> list[str]:
    """Stage names in pipeline order (the config's list), then any the counters name besides."""
    order: list[str] = []
    for entry in manifest.get("config", {}).get("stages", []) or []:
        name = next(iter(entry), None) if isinstance(entry, dict) else entry
        if isinstance(name, str) and name not in order:
            order.append(name)
    return order + sorted(set(manifest.get("stages", {})) - set(order))


def _rank(key: str, order: list[str]) -> tuple[int, str]:
    stage = key.split(".", 1)[0]
    return (order.index(stage) if stage in order else len(order), key)


def funnel(manifest: dict) -> str:
    counts = manifest.get("counts", {})
    order = stage_order(manifest)
    read = int(counts.get("read", 0) or 0)
    items: list[tuple[str, int, str]] = [("read", read, charts.GREY)]
    for reason in sorted(counts.get("dropped", {}), key=lambda k: _rank(k, order)):
        items.append((f"dropped: {reason}", int(counts["dropped"][reason]), charts.RED))
    items.append(("quarantined (unreadable)", int(counts.get("quarantined", 0) or 0), charts.RED))
    for reason in sorted(counts.get("skipped", {}) or {}):
        items.append((f"skipped: {reason}", int(counts["skipped"][reason]), charts.GREY))
    items.append(("kept", int(counts.get("kept", 0) or 0), charts.GREEN))
    chart = charts.hbars(
        [(n, v) for n, v, _ in items],
        "Documents: in, out and why",
        "documents",
        "funnel",
        [c for *_, c in items],
    )
    rows = [[name, value, f"{100 * value / read:.1f}%" if read else "–"] for name, value, _ in items]
    return (
        "<section id=funnel><h2>Funnel</h2><div class=row><div class=fig>"
        f"{chart}</div>{table(['documents', 'count', 'of read'], rows, {1, 2})}</div></section>"
    )


def stages(manifest: dict) -> str:
    """Per stage in pipeline order: documents in and out, changed, characters removed, its own counters."""
    counters = manifest.get("stages", {}) or {}
    order = [s for s in stage_order(manifest) if s in counters] or stage_order(manifest)
    rows, removed = [], []
    for name in order:
        c = counters.get(name, {}) or {}
        dropped = sum(v for k, v in c.items() if k.startswith("dropped."))
        other = ", ".join(
            f"{k} {v:,}" if isinstance(v, int) else f"{k} {v}"
            for k, v in sorted(c.items())
            if k not in ("docs_in", "docs_out", "docs_changed", "chars_removed")
            and not k.startswith("dropped.")
        )
        rows.append(
            [
                name,
                c.get("docs_in", "–"),
                c.get("docs_out", "–"),
                dropped,
                c.get("docs_changed", 0),
                c.get("chars_removed", 0),
                other,
            ]
        )
        removed.append((name, int(c.get("chars_removed", 0) or 0)))
    chart = (
        charts.hbars(removed, "Characters removed per stage (pipeline order)", "characters", "chars-removed")
        if any(v for _, v in removed)
        else "<p class=muted>No stage removed characters.</p>"
    )
    head = ["stage", "docs in", "docs out", "dropped", "docs changed", "chars removed", "other counters"]
    return (
        "<section id=stages><h2>Stages</h2><div class=fig>"
        f"{chart}</div>{table(head, rows, {1, 2, 3, 4, 5}, 'stages')}</section>"
    )


def distributions(manifest: dict, report: dict | None) -> str:
    parts = ["<section id=kept><h2>Kept documents</h2>"]
    length = manifest.get("length_chars") or {}
    if length:
        parts.append(
            "<p>Characters per document: "
            + ", ".join(
                f"{k} {num(length[k])}" for k in ("min", "median", "mean", "max", "total") if k in length
            )
            + ".</p>"
        )
    kept = (report or {}).get("kept") or {}
    figs = []
    for key, title, xlabel in (
        ("chars", "Characters", "characters per document (log scale)"),
        ("words", "Words", "words per document (log scale)"),
        ("lines", "Lines", "non-empty lines per document (log scale)"),
    ):
        if kept.get(key):
            figs.append(charts.log_histogram(kept[key], title, xlabel, f"hist-{key}"))
    languages = sorted((manifest.get("languages") or {}).items(), key=lambda kv: (-kv[1], kv[0]))
    if languages:
        shown = [(k or "none", v) for k, v in languages[:MAX_LANGUAGES]]
        if len(languages) > MAX_LANGUAGES:
            shown.append(
                (f"({len(languages) - MAX_LANGUAGES} others)", sum(v for _, v in languages[MAX_LANGUAGES:]))
            )
        figs.append(charts.hbars(shown, "Languages", "documents", "languages"))
    if kept.get("sources"):
        figs.append(
            charts.hbars(
                [(str(k), v) for k, v in kept["sources"]],
                "Sources (url host or source)",
                "documents",
                "sources",
            )
        )
    if report is None:
        figs.append(
            "<p class=note>No report.json in this build (made by an older corpus): the length histograms, "
            "sources, quality signals and samples are not available. Rebuild to see them.</p>"
        )
    parts.append(f"<div class=grid>{''.join(f'<div class=fig>{f}</div>' for f in figs)}</div>")
    quality = kept.get("quality") or {}
    if quality:
        names = sorted(quality)
        parts.append(
            f"<h3>Quality signals</h3><p>{len(names)} signals tagged (mode: tag)"
            + (f"; the first {MAX_QUALITY_CHARTS} shown" if len(names) > MAX_QUALITY_CHARTS else "")
            + ".</p><div class=grid-small>"
        )
        for n, name in enumerate(names[:MAX_QUALITY_CHARTS]):
            if quality[name]:
                parts.append(f"<div class=fig>{charts.histogram(quality[name], name, f'quality-{n}')}</div>")
        parts.append("</div>")
    parts.append("</section>")
    return "".join(parts)


def tokens(manifest: dict) -> str:
    info = manifest.get("tokens")
    if not info:
        return ""
    splits = sorted((info.get("splits") or {}).items())
    rows = [["all", info.get("total", 0)]] + [[k, v] for k, v in splits]
    how = f"{e(info.get('tokenizer', '?'))} ({e(info.get('library', '?'))})"
    if info.get("method") == "sample":
        kept = (manifest.get("counts") or {}).get("kept", 0)
        text = (
            f"Estimated with {how} from {num(info.get('sampled_documents', 0))} of {num(kept)} kept "
            f"documents (a fixed 1/16 by id hash): the kept characters times the sample's tokens per "
            f"character, ± {e(percent(info.get('relative_error', 0.0)))} (one standard error)."
        )
    else:
        text = f"Kept text counted with {how}."
    head = ["split", "tokens (≈ estimated)" if info.get("method") == "sample" else "tokens"]
    return f"<section id=tokens><h2>Tokens</h2><p>{text}</p>{table(head, rows, {1})}</section>"


def _n(count: int, noun: str) -> str:
    """``1 cluster``, ``2 clusters``, ``1,204 documents``."""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def duplicates(found: Clusters) -> str:
    parts = ["<section id=duplicates><h2>Duplicate clusters</h2>"]
    if found.capped:
        parts.append(
            f"<p class=note>dropped.jsonl is large: only its first {found.lines_read:,} lines were "
            "read for the clusters below.</p>"
        )
    if found.bad_lines:
        parts.append(f"<p class=note>{found.bad_lines:,} lines of dropped.jsonl could not be read.</p>")
    if not found.count:
        parts.append("<p class=muted>No document was dropped as a duplicate.</p></section>")
        return "".join(parts)
    parts.append(
        f"<p>{_n(found.count, 'cluster')}: {_n(found.docs, 'document')} dropped as duplicates of a kept one "
        f"({found.exact_docs:,} exact, {found.near_docs:,} near). "
        "A cluster's size counts its kept document.</p>"
    )
    parts.append(
        "<div class=fig>"
        + charts.bars(
            size_buckets(found.sizes),
            "Cluster sizes",
            "documents in the cluster",
            "clusters",
            "cluster-sizes",
        )
        + "</div>"
    )
    parts.append(
        f"<h3>The {len(found.clusters)} largest</h3>" if len(found.clusters) > 1 else "<h3>The cluster</h3>"
    )
    rows = []
    for c in found.clusters:
        members = "".join(
            f"<li><span class=doc-id>{e(mid)}</span> "
            f"<span class=muted>{'exact' if sim is None else f'J≈{sim:.3f}'}</span></li>"
            for mid, _reason, sim in c.members
        )
        more = c.size - 1 - len(c.members)
        if more > 0:
            members += f"<li class=muted>… and {more:,} more (first {MAX_MEMBERS} listed)</li>"
        rows.append(
            f"<tr><td class=doc-id>{e(c.kept_id)}</td><td class=num>{c.size:,}</td>"
            f"<td><ul class=members>{members}</ul></td></tr>"
        )
    parts.append(
        "<table class=clusters><thead><tr><th>kept document</th><th class=num>size</th>"
        f"<th>dropped as its duplicates (similarity)</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )
    parts.append("</section>")
    return "".join(parts)
