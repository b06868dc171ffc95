"""The pipeline bench's report: the markdown tables it prints (and build/bench/pipeline.json holds).

Figures: docs/s and MB/s (of the input JSONL) are wall-clock (what a user waits; other load on
the machine slows them); "per core" is per CPU-second: documents / (user + system seconds of
the whole process tree), which other load does not distort and which counts every process a
tool starts. "cores busy" = CPU seconds / wall seconds.
"""

from __future__ import annotations

from typing import Any

MEMORY_FLAT = 0.15  # peak memory of the largest size at most 15% over the smallest counts as flat


def render(report: dict[str, Any]) -> str:
    """The whole report as markdown: runs, targets, datatrove's steps, profile, memory."""
    rows = report["rows"]
    t = report["targets"]
    machine = report["machine"]
    lines = [
        f"# corpus end-to-end benchmark ({report['machine']['cores']} cores; load average "
        f"{machine['load_at_start'][0]:.1f} at start, {machine['load_at_end'][0]:.1f} at end)",
        "",
        f"code: {report['git']['commit'][:12]}"
        + (
            f" with uncommitted changes to {', '.join(report['git']['dirty'])}"
            if report["git"]["dirty"]
            else ""
        ),
        "",
        "per core = per CPU-second of the whole process tree; docs/s and MB/s are wall-clock; "
        "medians of `runs`",
        "",
        "| run | docs | runs | wall s | docs/s | cores busy | docs/s/core | MB/s | MB/s/core "
        "| peak RSS MB | kept |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows.values():
        lines.append(
            f"| {r['label']} | {r['docs']:,} | {r['runs']} | {r['wall_s']:,.1f} | {r['docs_per_s']:,.0f} | "
            f"{r['cores_busy']:.2f} | {r['docs_per_s_per_core']:,.0f} | {r['mb_per_s']:.2f} | "
            f"{r['mb_per_s_per_core']:.2f} | {r['peak_rss_mb']:,.0f} | {r['kept']:,} |"
        )
    for key in ("datatrove-filter", "datatrove-minhash"):
        if key in rows:
            parts = ", ".join(f"{k} {v:.1f} s" for k, v in rows[key]["parts"].items())
            lines.append(f"\n{rows[key]['label']}: wall by part: {parts}")
    ra = report["ratios"]
    lines.append("")
    if "ours-w1" in rows:
        got = rows["ours-w1"]["docs_per_s_per_core"]
        ok = "met" if got >= t["docs_per_s_per_core"] else "MISSED"
        lines.append(
            f"target >= {t['docs_per_s_per_core']:,} docs/s per core end to end: {got:,.0f} "
            f"(workers=1) -> {ok}"
        )
    if "ours_vs_datatrove_per_core" in ra:
        got = ra["ours_vs_datatrove_per_core"]
        ok = "met" if got >= t["ratio_to_datatrove_per_core"] else "MISSED"
        lines.append(
            f"target >= {t['ratio_to_datatrove_per_core']}x datatrove per core "
            f"(same {ra['same_input_docs']:,} docs): "
            f"{got:.1f}x per CPU-second, {ra['ours_vs_datatrove_per_nominal_core']:.1f}x per allotted core "
            f"(wall / workers or tasks) -> {ok}"
        )
    if "ours_w2_vs_datatrove_wall" in ra:
        lines.append(
            f"ours workers=2 vs datatrove 2 tasks, wall docs/s: {ra['ours_w2_vs_datatrove_wall']:.1f}x"
        )
    if "speedup_w1_to_w2" in ra:
        lines.append(f"speedup workers 1 -> 2 (wall): {ra['speedup_w1_to_w2']:.2f}x")
    if "datatrove_steps" in report:
        steps = report["datatrove_steps"]
        total = sum(s["seconds"] for s in steps)
        lines += [
            "",
            "datatrove by step, as it logs them (wall seconds inside each step, summed over tasks):",
            "",
            "| step | docs in | s | docs/s/core | share |",
            "|---|---:|---:|---:|---:|",
        ]
        for s in steps:
            # MinHash stages 1-3 log calls, not documents.
            docs = s["docs"] if not any(f"stage {k}" in s["step"] for k in (1, 2, 3)) else 0
            rate = f"{docs / s['seconds']:,.0f}" if s["seconds"] and docs else "-"
            lines.append(
                f"| {s['step']} | {f'{docs:,}' if docs else '-'} | {s['seconds']:.2f} | {rate} | "
                f"{s['seconds'] / total:.0%} |"
            )
    if "profile" in report:
        lines += render_profile(report["profile"], report)
    if "memory" in report:
        lines += [
            "",
            "Peak memory of our end-to-end build (workers=1) by corpus size:",
            "",
            "| docs | input MB | runs | peak RSS MB (tree) | largest process MB | peak PSS MB | CPU s "
            "| docs/s/core | kept |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for m in report["memory"]:
            lines.append(
                f"| {m['docs']:,} | {m['input_mb']:,.0f} | {m['runs']} | {m['peak_rss_mb']:,.0f} | "
                f"{m['peak_one_mb']:,.0f} | {m['peak_pss_mb']:,.0f} | {m['cpu_s']:.1f} | "
                f"{m['docs'] / m['cpu_s']:,.0f} | {m['kept']:,} |"
            )
        if "memory_fit" in report:
            f = report["memory_fit"]
            mem = report["memory"]
            small, large = mem[0], mem[-1]
            growth = large["peak_rss_mb"] / small["peak_rss_mb"] - 1
            verdict = (
                "flat: bounded by batch and shard sizes"
                if growth < MEMORY_FLAT
                else "GROWS with corpus size: not bounded by batch and shard sizes alone"
            )
            lines.append(
                f"\n{small['docs']:,} -> {large['docs']:,} docs: peak {growth:+.0%}; least-squares line "
                f"{f['mb_at_0']:,.0f} MB + {f['mb_per_1k_docs']:.2f} MB per 1k docs "
                f"({f['mb_per_1k_docs'] * 1e3 / 1e3:.1f} KB per doc) -> {verdict}"
            )
    return "\n".join(lines)


PHASES = ("map", "reduce", "finish")  # the build shell's phases (corpus.engines.build), in order


def _phase_order(r: dict[str, Any]) -> int:
    name = r["what"].removesuffix(" phase")
    return PHASES.index(name) if name in PHASES else len(PHASES)


def render_profile(p: dict[str, Any], report: dict[str, Any]) -> list[str]:
    """The per-stage table: the engine's own CPU seconds by phase and by stage, in one process."""
    n = p["docs"]
    phases = sorted((r for r in p["rows"] if r["part"] == "engine"), key=_phase_order)
    stages = [r for r in p["rows"] if r["part"] == "stage"]
    checks = [r for r in p["rows"] if r["part"] == "check"]
    whole = checks[0]["cpu_s"] if checks else sum(r["cpu_s"] for r in phases)
    total = sum(r["cpu_s"] for r in phases)
    lines = [
        "",
        f"Per-stage profile: CPU seconds on one core over the same {n:,} documents, as the engine "
        f"records them (Stats.seconds) in an in-process build (workers=0; median of "
        f"{len(p['rows'][0]['runs'])}; share of the whole build; the stages run inside the map phase):",
        "",
        "| part | what | docs in | CPU s | docs/s/core | ms per input doc | share |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]

    def row(r: dict[str, Any], share: str) -> str:
        rate = r["docs"] / r["cpu_s"] if r["cpu_s"] else float("inf")
        return (
            f"| {r['part']} | {r['what']} | {r['docs']:,} | {r['cpu_s']:.2f} | {rate:,.0f} | "
            f"{r['cpu_s'] / n * 1e3:.3f} | {share} |"
        )

    lines += [row(r, f"{r['cpu_s'] / whole:.0%}" if whole else "") for r in phases + stages]
    staged = sum(r["cpu_s"] for r in stages)
    sums = (
        ("stages and steps alone", staged),
        ("the engine's own work (phases less stages)", total - staged),
        ("engine phases: the whole build", total),
    )
    for what, cpu in sums:
        if cpu:
            lines.append(f"| sum | {what} | {n:,} | {cpu:.2f} | {n / cpu:,.0f} | {cpu / n * 1e3:.3f} | |")
    lines += [row(r, "") for r in checks]
    lines.append(
        f"\nsetup (models and tables, once per build, outside the phases): {p['setup_cpu_s']:.2f} CPU s."
    )
    rows = report["rows"]
    e2e, engine, fit = rows.get("ours-w1"), rows.get("ours-engine"), report.get("cpu_fit")
    if e2e and e2e["docs"] == n:
        lines.append(
            f"end to end (workers=1) spends {e2e['cpu_s']:.1f} CPU s "
            f"({e2e['cpu_s'] / n * 1e3:.3f} ms/doc); "
            f"the phases above add up to {total:.1f} s, {e2e['cpu_s'] - total:.1f} s less."
        )
        if fit:
            rest = e2e["cpu_s"] - total - fit["fixed_cpu_s"]
            lines.append(
                f"Over the sizes of the memory runs, CPU = {fit['fixed_cpu_s']:.1f} s per build (start-up: "
                f"interpreters, imports, worker spawn, manifest) + {fit['ms_per_doc']:.3f} ms per document "
                f"(marginal rate {fit['marginal_docs_per_s_per_core']:,.0f} docs/s/core); what neither the "
                f"phases nor the fixed cost explain: {rest:.1f} s ({rest / n * 1e3:.3f} ms/doc: shipping "
                f"batches to a worker process and back, queues, the progress loop)."
            )
    if engine and engine["docs"] == n:
        lines.append(
            f"engine only (no stages, workers=1): {engine['cpu_s']:.1f} CPU s "
            f"({engine['docs_per_s_per_core']:,.0f} docs/s/core), {engine['wall_s']:.1f} s wall."
        )
    if p.get("state"):
        held = ", ".join(f"{name} {v['bytes_per_doc']:,.0f} B" for name, v in p["state"].items())
        lines.append(
            f"Held per document by the corpus steps once they have seen all {n:,} (tracemalloc): {held}. "
            "This is the memory that grows with the corpus; the rest is bounded by batch and shard sizes."
        )
    return lines
