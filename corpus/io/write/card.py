"""The dataset card (README.md with the YAML header the Hub reads), generated from the manifest.

The header is what the Hub writes for a pushed dataset: ``dataset_info`` (the features of
``corpus.document.features()`` and each split's ``num_bytes``/``num_examples``, rendered by
``datasets`` itself), ``configs`` with ``data_files`` globs matching the shards (one config per
language when ``output.partition_by: lang``), and ``license``/``language`` tags the Hub accepts
(``corpus.io.write.hub_tags``). The body says what happened: the funnel from documents read to
kept, each stage in pipeline order with what it did, tokens, languages, lengths, the shards and
the config, and links report.html.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import yaml

from corpus.io.write.hub_tags import hub_languages
from corpus.io.write.layout import data_glob, output_layout
from corpus.report.tokens import percent, phrase

REPORT_HTML = "report.html"
# a stage's counters its row shows as numbers of their own; the others are what it did, top first
_OWN = ("docs_in", "docs_out", "docs_changed", "chars_removed", "chars_added")
TOP_COUNTERS = 3


def size_category(n: int) -> str:
    """The Hub's size_categories bucket.

    >>> size_category(3), size_category(5_000), size_category(2_000_000)
    ('n<1K', '1K<n<10K', '1M<n<10M')
    """
    bounds = [
        (1_000, "n<1K"),
        (10_000, "1K<n<10K"),
        (100_000, "10K<n<100K"),
        (1_000_000, "100K<n<1M"),
        (10_000_000, "1M<n<10M"),
        (100_000_000, "10M<n<100M"),
    ]
    for bound, label in bounds:
        if n < bound:
            return label
    return "n>100M"


def data_sha256(manifest: dict[str, Any]) -> str:
    """One sha256 over every shard's path, split, rows and sha256: the identity of the build's rows."""
    shards = [[s["path"], s["split"], s["rows"], s["sha256"]] for s in manifest["shards"]]
    return hashlib.sha256(json.dumps(shards, separators=(",", ":")).encode("utf-8")).hexdigest()


def card_configs(manifest: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """{config name: its shards}: ``default`` (every shard) and, partitioned, one per language."""
    configs: dict[str, list[dict[str, Any]]] = {"default": list(manifest["shards"])}
    for shard in manifest["shards"]:
        if shard.get("config"):
            configs.setdefault(shard["config"], []).append(shard)
    return {"default": configs.pop("default"), **dict(sorted(configs.items()))}


def _splits(shards: list[dict[str, Any]], order: list[str]) -> list[str]:
    present = {s["split"] for s in shards}
    return [s for s in order if s in present] + sorted(present - set(order))


def dataset_info(manifest: dict[str, Any], split_order: list[str]) -> Any:
    """The header's ``dataset_info`` as ``datasets`` writes it (a mapping for one config, a list
    with ``config_name`` for several)."""
    from datasets import DatasetInfo, SplitDict, SplitInfo
    from datasets.info import DatasetInfosDict
    from huggingface_hub import DatasetCardData

    from corpus.document import features

    infos = DatasetInfosDict()
    for name, shards in card_configs(manifest).items():
        splits = SplitDict()
        for split in _splits(shards, split_order):
            mine = [s for s in shards if s["split"] == split]
            num_bytes = sum(s.get("num_bytes", 0) for s in mine)
            splits.add(SplitInfo(split, num_bytes=num_bytes, num_examples=sum(s["rows"] for s in mine)))
        infos[name] = DatasetInfo(
            features=features(),
            splits=splits,
            download_size=sum(s["bytes"] for s in shards),
            dataset_size=sum(s.get("num_bytes", 0) for s in shards),
            config_name=name,
        )
    card = DatasetCardData()
    infos.to_dataset_card_data(card)
    return card.to_dict()["dataset_info"]


def header(manifest: dict[str, Any]) -> dict[str, Any]:
    """The YAML header of the card."""
    config = manifest["config"]
    suffix, partitioned = output_layout(config.get("output") or {})
    order = list(manifest["counts"].get("splits") or {})
    langs = hub_languages(manifest["languages"])
    description = f"corpus build, data sha256 {data_sha256(manifest)}"
    configs = []
    for name, shards in card_configs(manifest).items():
        part = ("*" if name == "default" else name) if partitioned else None
        files = [{"split": s, "path": data_glob(s, suffix, part)} for s in _splits(shards, order)]
        configs.append({"config_name": name, "description": description, "data_files": files})
    out: dict[str, Any] = {
        "pretty_name": config.get("name", "corpus build"),
        "license": config.get("license", "other"),
        **{key: config[key] for key in ("license_name", "license_link") if key in config},
        "language": langs,
    }
    if langs:
        out["multilinguality"] = ["monolingual" if len(langs) == 1 else "multilingual"]
    out |= {
        "size_categories": [size_category(manifest["counts"]["kept"])],
        "task_categories": ["text-generation"],
        "dataset_info": dataset_info(manifest, order),
        "configs": configs,
    }
    return out


def stage_rows(manifest: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(stage, its counters) in pipeline order; counters of a step the config does not list
    (none today) come after, by name."""
    stats = manifest["stages"]
    names = [next(iter(item)) for item in manifest["config"].get("stages") or []]
    names = list(dict.fromkeys(names))
    return [(n, stats.get(n, {})) for n in names] + [(n, stats[n]) for n in sorted(set(stats) - set(names))]


def _did(counters: dict[str, Any]) -> str:
    """A stage's other counters, the largest first: ``removed.newsletter 6, removed.terms_agree 5``."""
    rest = [(k, v) for k, v in counters.items() if k not in _OWN and not k.startswith("dropped.")]
    rest.sort(key=lambda kv: (-kv[1], kv[0]))
    text = ", ".join(f"{k} {v:,}" for k, v in rest[:TOP_COUNTERS])
    more = len(rest) - TOP_COUNTERS
    return text + (f" (+{more} more)" if more > 0 else "")


def stage_line(counters: dict[str, Any]) -> list[str]:
    """in, out, changed, characters removed, dropped (by reason), what else it counted."""
    if not counters:
        return ["", "", "", "", "", "saw no document"]
    drops = {k[len("dropped.") :]: v for k, v in counters.items() if k.startswith("dropped.")}
    removed = f"{counters.get('chars_removed', 0):,}"
    if counters.get("chars_added"):
        removed += f" (+{counters['chars_added']:,} added)"
    dropped = ", ".join(f"{reason} {n:,}" for reason, n in sorted(drops.items(), key=lambda kv: -kv[1]))
    return [
        f"{counters.get('docs_in', 0):,}",
        f"{counters.get('docs_out', 0):,}",
        f"{counters.get('docs_changed', 0):,}",
        removed,
        dropped or "0",
        _did(counters),
    ]


def funnel(manifest: dict[str, Any]) -> list[tuple[str, int]]:
    """(step, documents it took away) from read to kept: each drop reason in pipeline order, then
    drops no stage made (``empty``), quarantined, skipped; the last row is ``kept``."""
    counts = manifest["counts"]
    drops = dict(counts["dropped"])
    rows: list[tuple[str, int]] = [("read", counts["read"])]
    for stage, _ in stage_rows(manifest):
        for key in sorted(k for k in drops if k.startswith(f"{stage}.")):
            rows.append((f"dropped by {stage}: {key[len(stage) + 1 :]}", drops.pop(key)))
    rows += [(f"dropped: {key}", n) for key, n in sorted(drops.items())]
    rows.append(("quarantined (unreadable)", counts["quarantined"]))
    rows += [(f"skipped: {why}", n) for why, n in sorted((counts.get("skipped") or {}).items())]
    rows.append(("kept", counts["kept"]))
    return rows


def _table(head: list[str], rows: list[list[str]], align: str) -> list[str]:
    lines = [
        "| " + " | ".join(head) + " |",
        "|" + "|".join("---:" if a == "r" else "---" for a in align) + "|",
    ]
    return lines + ["| " + " | ".join(r) + " |" for r in rows]


def _tokens(manifest: dict[str, Any]) -> list[str]:
    tokens = manifest.get("tokens")
    if not tokens:
        return []
    splits = ", ".join(f"{name} {n:,}" for name, n in tokens.get("splits", {}).items())
    if tokens.get("method") == "sample":
        return [
            "## Tokens",
            "",
            f"≈ {tokens['total']:,} tokens of kept text ({splits}), estimated with the "
            f"{tokens['tokenizer']} tokenizer ({tokens['library']}) from {tokens['sampled_documents']:,} "
            f"of {manifest['counts']['kept']:,} kept documents (a fixed 1/16 by id hash): the kept "
            f"characters times the sample's tokens per character, ± {percent(tokens['relative_error'])} "
            "(one standard error).",
            "",
        ]
    return [
        "## Tokens",
        "",
        f"{tokens['total']:,} tokens of kept text ({splits}), counted with the {tokens['tokenizer']} "
        f"tokenizer ({tokens['library']}).",
        "",
    ]


def _body(manifest: dict[str, Any], head: dict[str, Any]) -> list[str]:
    counts, config = manifest["counts"], manifest["config"]
    lines = [f"# {head['pretty_name']}", ""]
    if config.get("description"):
        lines += [config["description"], ""]
    tokens = manifest.get("tokens")
    summary = f"{counts['kept']:,} document" + ("" if counts["kept"] == 1 else "s")
    summary += f", {phrase(tokens, counts['kept'])}" if tokens else ""
    summary += f", {manifest['length_chars']['total']:,} characters"
    lines += [
        f"{summary}. Built with corpus {manifest['toolkit_version']}; every input document is "
        f"accounted for below. The build report, with charts and samples of what each stage "
        f"removed, is [{REPORT_HTML}]({REPORT_HTML}).",
        "",
    ]
    configs = head["configs"]
    if len(configs) > 1:
        names = ", ".join(f"`{c['config_name']}`" for c in configs[1:])
        lines += [
            "One config per language: "
            f'`load_dataset(path, "{configs[1]["config_name"]}")`; the `default` config holds them all '
            f"({names}).",
            "",
        ]
    lines += ["## Funnel", ""]
    left, rows = 0, []
    for step, n in funnel(manifest):
        if step == "read":
            left = n
            rows.append([step, f"{n:,}", f"{n:,}"])
        elif step == "kept":
            rows.append([f"**{step}**", f"**{n:,}**", ""])
        else:
            left -= n
            rows.append([step, f"−{n:,}", f"{left:,}"])
    lines += [*_table(["step", "documents", "left"], rows, "lrr"), ""]
    lines += [
        "## Stages",
        "",
        "In pipeline order: documents in and out, changed, characters removed, dropped.",
        "",
    ]
    rows = [[f"{i}. {name}", *stage_line(c)] for i, (name, c) in enumerate(stage_rows(manifest), 1)]
    lines += _table(["stage", "in", "out", "changed", "chars removed", "dropped", "counted"], rows, "lrrrrll")
    lines += ["", *_tokens(manifest)]
    lines += ["## Languages", ""]
    rows = [
        [k or "none", (hub_languages([k]) or ["—"])[0], f"{v:,}"] for k, v in manifest["languages"].items()
    ]
    lines += [*_table(["lang", "Hub tag", "documents"], rows, "llr"), ""]
    length = manifest["length_chars"]
    lines += [
        "## Lengths (characters)",
        "",
        f"min {length['min']}, median {length['median']}, mean {length['mean']}, max {length['max']}, "
        f"total {length['total']}.",
        "",
        "## Shards",
        "",
    ]
    rows = [
        [s["path"], f"{s['rows']:,}", f"{s['bytes']:,}", f"`{s['sha256'][:16]}`"] for s in manifest["shards"]
    ]
    lines += _table(["file", "rows", "bytes", "sha256"], rows, "lrrl")
    lines += [
        "",
        "## How it was built",
        "",
        f"Config (sha256 `{manifest['config_sha256'][:16]}`):",
        "",
        "```yaml",
        yaml.safe_dump(config, sort_keys=False, allow_unicode=True).rstrip(),
        "```",
        "",
    ]
    return lines


def render_card(manifest: dict[str, Any]) -> str:
    """README.md for the build folder and the Hub.

    The config's ``description`` carries the data's sha256: ``datasets`` caches a local folder
    under its base name and a hash of this YAML header only (the ``data_files`` globs, not the
    files), so without it a rebuilt folder, or another folder of the same name, loads stale rows.
    """
    head = header(manifest)
    lines = ["---", yaml.safe_dump(head, sort_keys=False, allow_unicode=True).rstrip(), "---", ""]
    return "\n".join(lines + _body(manifest, head))


def card_problems(text: str) -> list[str]:
    """What the Hub's own parsers (huggingface_hub's card, datasets' configs and dataset_info)
    and its tag lists find wrong in a card, offline; an empty list when nothing."""
    from datasets.info import DatasetInfosDict
    from datasets.utils.metadata import MetadataConfigs
    from huggingface_hub import DatasetCard

    from corpus.io.write.hub_tags import LICENSES, hub_language

    problems = []
    try:
        data = DatasetCard(text).data
        MetadataConfigs.from_dataset_card_data(data)
        DatasetInfosDict.from_dataset_card_data(data)
    except (ValueError, TypeError, KeyError) as exc:
        return [f"card header: {exc}"]
    if data.license not in LICENSES:
        problems.append(f"license: {data.license!r} is not a Hub license identifier")
    problems += [
        f"language: {c!r} is not a Hub language code" for c in data.language or [] if hub_language(c) != c
    ]
    return problems
