"""The finish step: from the blocks' summaries to the logs, the index, the card and the manifest.

``finish`` runs on the driver once every block is written, and reads only what is O(blocks): the
map and write summaries and the decide summary. What reads per-document files is
``finish_files``, which an engine runs where its workers run: the log pieces joined by streaming
copy (``quarantine.jsonl`` and ``dropped.jsonl``, in block order), the near-duplicate index and
the duplicate-id check (from the ``ids/`` files, one column at a time). The accounting must close:
every record read is kept, dropped, quarantined or skipped.
"""

from __future__ import annotations

import io
import json
import statistics
import tempfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from corpus.dedup.index import INDEX_DIR, save_index
from corpus.dedup.near import NearDedup
from corpus.engines.deciding import DECIDE_PROFILE, SAVED
from corpus.engines.inputs import recorded_config
from corpus.engines.mapping import profile_name
from corpus.engines.work import DECIDED, WorkFolder, block_name
from corpus.engines.writing import IDS, kept_signatures
from corpus.errors import BuildError
from corpus.io.fs import Location
from corpus.io.write.card import render_card
from corpus.io.write.layout import check_block_shards
from corpus.io.write.manifest import config_hash, dependency_versions, manifest_bytes
from corpus.report import tokens
from corpus.report.profile import Profile, report_bytes
from corpus.stats import Stats
from corpus.version import __version__

DUPLICATE_ID_EXAMPLES = 10
REPORT_JSON, REPORT_HTML = "report.json", "report.html"
COPY_CHUNK = 1 << 20


def duplicate_ids(work: WorkFolder, blocks: int) -> tuple[int, list[str]]:
    """Kept documents whose id an earlier kept one has: how many, and the first few ids."""
    hashes = []
    for b in range(blocks):
        t = work.read_table(block_name("ids", b, ".parquet"), ["hash", "kept"], _IDS_TYPES)
        hashes.append(t["hash"].to_numpy()[t["kept"].to_numpy(zero_copy_only=False)])
    allh = np.concatenate(hashes) if hashes else np.zeros(0, dtype=np.uint64)
    _, first = np.unique(allh, return_index=True)
    repeats = np.ones(len(allh), dtype=bool)
    repeats[first] = False
    where = np.flatnonzero(repeats)
    if not len(where):
        return 0, []
    examples: list[str] = []
    offset = 0
    wanted = set(where[:DUPLICATE_ID_EXAMPLES].tolist())
    for b in range(blocks):
        t = work.read_table(block_name("ids", b, ".parquet"), ["id", "kept"], _IDS_TYPES)
        kept_ids = [i for i, k in zip(t["id"].to_pylist(), t["kept"].to_pylist(), strict=True) if k]
        examples += [kept_ids[p - offset] for p in sorted(wanted) if offset <= p < offset + len(kept_ids)]
        offset += len(kept_ids)
        if len(examples) >= len(wanted):
            break
    return len(where), examples


_IDS_TYPES = {field.name: field.type for field in IDS}


def _join_logs(work: WorkFolder, staging: Location, kind: str, blocks: int) -> int:
    """``logs/{kind}-NNNNNN.jsonl`` in block order into ``{kind}.jsonl``; returns its size."""
    size = 0
    with staging.open(f"{kind}.jsonl", "wb") as out:
        for b in range(blocks):
            with work.loc.open(f"logs/{kind}-{b:06d}.jsonl", "rb") as piece:
                while chunk := piece.read(COPY_CHUNK):
                    out.write(chunk)
                    size += len(chunk)
    if size == 0:
        staging.remove(f"{kind}.jsonl")
    return size


def _count(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{value!r} is not a count")
    return value


def _counts(value: Any) -> dict[str, int]:
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        raise ValueError(f"{value!r} is not a table of counts")
    return {k: _count(v) for k, v in value.items()}


def _add_profile(profile: Profile, work: WorkFolder, block: int) -> None:
    """Block ``block``'s pieces of the build profile (map, then write) into ``profile``."""
    mapped, written = (work.read_json(profile_name(block, phase)) for phase in ("map", "write"))
    if mapped is None or written is None:
        raise BuildError(f"block {block}: its profile is missing from {work.url}; run the build again")
    try:
        profile.add(mapped, written)
    except ValueError as exc:
        raise work.not_ours(profile_name(block, "map"), exc) from None


def _add_decide_profile(profile: Profile, work: WorkFolder) -> None:
    """The lines the corpus steps removed when they were decided in one process (``decide_here``)."""
    piece = work.read_json(DECIDE_PROFILE)
    if piece is None:
        raise BuildError(f"the decide phase's profile is missing from {work.url}; run the build again")
    try:
        profile.add_removed(piece["removed"])
    except (ValueError, KeyError, TypeError) as exc:
        raise work.not_ours(DECIDE_PROFILE, exc) from None


def _render_html(manifest: dict[str, Any], report: dict[str, Any], staging: Location) -> str:
    """report.html (``corpus.report.html.render_html``), reading dropped.jsonl as it goes."""
    from corpus.report.html import render_html

    if not staging.exists("dropped.jsonl"):
        return render_html(manifest, report, [])
    with staging.open("dropped.jsonl", "rb") as raw, io.TextIOWrapper(raw, "utf-8", "replace") as lines:
        return render_html(manifest, report, lines)


def _kept_texts(staging: Location, shards: list[dict[str, Any]]) -> Iterator[tuple[str, str]]:
    """(split, text) of every written row, read back from the shards (a small sample build's
    exact token count)."""
    import pyarrow.parquet as pq

    from corpus.io.read.compression import open_binary

    for shard in shards:
        if shard["path"].endswith(".parquet"):
            fs, path = staging.arrow(shard["path"])
            for text in pq.read_table(path, filesystem=fs, columns=["text"])["text"].to_pylist():
                yield shard["split"], text
        else:
            with open_binary(staging.url_of(shard["path"])) as fh:
                for line in fh:
                    yield shard["split"], json.loads(line)["text"]


def _length_stats(lengths: Counter[int]) -> dict[str, Any]:
    n = sum(lengths.values())
    if not n:
        return {"min": 0, "max": 0, "mean": 0, "median": 0, "total": 0}
    total = sum(k * v for k, v in lengths.items())
    order = sorted(lengths.items())

    def at(position: int) -> int:
        seen = 0
        for value, count in order:
            seen += count
            if position < seen:
                return value
        raise AssertionError("position past the end")

    median = at(n // 2) if n % 2 else statistics.mean([at(n // 2 - 1), at(n // 2)])
    return {
        "min": order[0][0],
        "max": order[-1][0],
        "mean": round(total / n, 1),
        "median": median,
        "total": total,
    }


def _saved(pipeline: Any, work: WorkFolder, staging: Location, blocks: int, form: str) -> list[str]:
    """What the corpus steps leave for later builds (the near index), into the output."""
    if form != "distributed":
        names = work.decided()["saved"]
        for name in names:
            with work.loc.open(f"{SAVED}/{name}", "rb") as src, staging.open(name, "wb") as dst:
                while chunk := src.read(COPY_CHUNK):
                    dst.write(chunk)
        return names
    near = next((s for s in pipeline.global_steps if isinstance(s, NearDedup)), None)
    if near is None:
        return []
    sigs, ids = kept_signatures(work, blocks, near.num_perm)
    with tempfile.TemporaryDirectory(prefix="corpus-index-") as tmp:
        folder = save_index(Path(tmp) / INDEX_DIR, sigs, ids, near.params())
        names = []
        for path in sorted(p for p in folder.iterdir() if p.is_file()):
            name = f"{INDEX_DIR}/{path.name}"
            staging.write_bytes(name, path.read_bytes())
            names.append(name)
    return names


def finish_files(
    pipeline: Any, work: WorkFolder, staging: Location, blocks: int, form: str
) -> dict[str, Any]:
    """The part of the finish that reads per-document files, run where the engine runs its
    workers: the joined logs and the saved index into ``staging``; the duplicate-id check."""
    _join_logs(work, staging, "quarantine", blocks)
    _join_logs(work, staging, "dropped", blocks)
    saved = _saved(pipeline, work, staging, blocks, form)
    duplicates, examples = duplicate_ids(work, blocks)
    return {"saved": saved, "duplicate_ids": duplicates, "examples": examples}


def finish(
    pipeline: Any,
    work: WorkFolder,
    staging: Location,
    blocks: int,
    inputs: list[dict[str, Any]],
    files: dict[str, Any],
) -> tuple[dict[str, Any], Stats]:
    """The card and the manifest into ``staging``, from the blocks' summaries and what
    ``finish_files`` gave (``files``); return the manifest and the build's counters."""
    config = recorded_config(pipeline.config, pipeline.config_dir)
    stats = Stats()
    read = invalid = quarantined = 0
    drops: Counter[str] = Counter()
    skipped: Counter[str] = Counter()
    langs: Counter[str] = Counter()
    lengths: Counter[int] = Counter()
    splits: Counter[str] = Counter()
    shards: list[dict[str, Any]] = []
    profile = Profile()
    decided = work.decided() or {}
    try:
        stats.update(decided.get("stats", {}))
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise work.not_ours(DECIDED, f"not a decide summary: {exc}") from None
    ratios = pipeline.settings.output.splits or {pipeline.settings.output.split: 1.0}
    for b in range(blocks):
        mapped = work.read_json(block_name("map", b, ".json"))
        written = work.read_json(block_name("write", b, ".json"))
        if mapped is None or written is None:
            raise BuildError(f"block {b}: its summaries are missing from {work.url}; run the build again")
        # a summary this toolkit did not write (forged, damaged) stops the build naming it
        name = block_name("map", b, ".json")
        try:
            read += _count(mapped["read"])
            invalid += _count(mapped["invalid_utf8"])
            stats.update(mapped["stats"])
            name = block_name("write", b, ".json")
            stats.update(written["stats"])
            drops.update(_counts(written["drops"]))
            skipped.update(_counts(written["skipped"]))
            quarantined += _count(written["quarantined"])
            langs.update(_counts(written["langs"]))
            lengths.update({_count(k): _count(v) for k, v in written["lengths"]})
            splits.update(_counts(written["splits"]))
            check_block_shards(written["shards"], b, blocks, list(ratios), pipeline.settings.output)
            shards += written["shards"]
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise work.not_ours(name, f"not a block summary: {exc!r}") from None
        _add_profile(profile, work, b)
    if decided.get("form") == "here":
        _add_decide_profile(profile, work)
    shards.sort(key=lambda s: (list(ratios).index(s["split"]), s["path"]))
    kept = sum(splits.values())
    dropped = sum(drops.values())
    if read != kept + dropped + quarantined + sum(skipped.values()):
        raise BuildError(
            f"accounting does not close: read {read} != kept {kept} + dropped {dropped} "
            f"+ quarantined {quarantined} + skipped {sum(skipped.values())}"
        )
    if kept == 0 and read > 0 and not config["output"].get("allow_empty", False):
        reasons = [f"{n} {why}" for why, n in sorted(drops.items())]
        reasons += [f"{quarantined} quarantined"] * bool(quarantined)
        reasons += [f"{n} skipped ({why})" for why, n in sorted(skipped.items())]
        raise BuildError(
            f"read {read} records and kept none ({', '.join(reasons)}); nothing was written. "
            "Check the config (a language keep-list, the text field), or set output.allow_empty: true "
            "(--allow-empty) to write an empty dataset"
        )
    saved = files["saved"]
    duplicates, examples = files["duplicate_ids"], files["examples"]
    manifest = {
        "toolkit_version": __version__,
        "dependencies": dependency_versions([s.name for s in pipeline.stages]),
        "config": config,
        "config_sha256": config_hash(config),
        "inputs": inputs,
        "shards": shards,
        "counts": {
            "read": read,
            "kept": kept,
            "dropped": dict(sorted(drops.items())),
            "quarantined": quarantined,
            "skipped": dict(sorted(skipped.items())),
            "invalid_utf8_replaced": invalid,
            "duplicate_ids": duplicates,
            "splits": {name: splits[name] for name in ratios},
        },
        **({"duplicate_id_examples": examples} if duplicates else {}),
        "languages": dict(sorted(langs.items(), key=lambda kv: (-kv[1], kv[0]))),
        "length_chars": _length_stats(lengths),
        "stages": stats.by_stage(),
    }
    method = tokens.method(pipeline.settings.output.count_tokens)
    tally = profile.token_tally(method) if method else None
    if tally is not None:
        manifest["tokens"] = tokens.summary(tally, ratios, lambda: _kept_texts(staging, shards))
    report = profile.report()
    staging.write_bytes(REPORT_JSON, report_bytes(report))
    staging.write_bytes(REPORT_HTML, _render_html(manifest, report, staging).encode("utf-8"))
    staging.write_bytes("README.md", render_card(manifest).encode("utf-8"))
    names = [
        name
        for name in (REPORT_JSON, REPORT_HTML, "README.md", "dropped.jsonl", "quarantine.jsonl")
        if staging.exists(name)
    ]
    names += saved
    manifest["files"] = [
        {"path": name, "bytes": staging.size(name), "sha256": staging.sha256(name)} for name in names
    ]
    staging.write_bytes("manifest.json", manifest_bytes(manifest))
    return manifest, stats
