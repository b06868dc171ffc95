"""Where a build's shards go: their names for each output format and partition, and the pattern
every reader of a build (finish, verify, publish) checks them against.

- ``data/{split}-{block:05d}-of-{blocks:05d}.{suffix}``: one shard per block and split; every
  block writes its shards, even empty, so every name of the ``-of-`` set exists;
- with ``output.partition_by: lang``: ``data/{lang}/{split}-{block:05d}-of-{blocks:05d}.{suffix}``,
  one per block, split and language the block kept documents of (languages are known only once
  every block is written, so an empty shard is never written: the card lists, per language, the
  splits that have shards, and so every file it names exists).

``suffix`` is ``parquet``, or for ``output.format: jsonl`` ``jsonl.zst``, ``jsonl.gz`` or ``jsonl``
(``output.compression`` zstd, gzip, none).
"""

from __future__ import annotations

import re
from typing import Any

FORMATS = ("parquet", "jsonl")
# output.compression: the values each format takes (the first is the default of that format)
COMPRESSIONS = {"parquet": ("zstd", "snappy", "gzip", "none"), "jsonl": ("zstd", "gzip", "none")}
JSONL_SUFFIXES = {"zstd": "jsonl.zst", "gzip": "jsonl.gz", "none": "jsonl"}
UNDETERMINED = "und"  # the partition of documents without a language
_PLAIN = re.compile(r"[^A-Za-z0-9_-]")

SHARD_PATTERN = re.compile(
    r"^data/(?:(?P<part>[A-Za-z0-9_-]+)/)?(?P<split>[A-Za-z0-9_]+)-(?P<block>[0-9]{5})-of-(?P<blocks>[0-9]{5})"
    r"\.(?P<suffix>parquet|jsonl\.zst|jsonl\.gz|jsonl)$"
)


def shard_suffix(fmt: str, compression: str) -> str:
    """The file suffix of a build's shards.

    >>> shard_suffix("parquet", "snappy"), shard_suffix("jsonl", "zstd"), shard_suffix("jsonl", "none")
    ('parquet', 'jsonl.zst', 'jsonl')
    """
    return "parquet" if fmt == "parquet" else JSONL_SUFFIXES[compression]


def shard_name(
    split: str, number: int, blocks: int, *, suffix: str = "parquet", part: str | None = None
) -> str:
    """Block ``number`` of ``blocks`` of one split (and one partition).

    >>> shard_name("train", 3, 10), shard_name("train", 0, 2, suffix="jsonl.gz", part="en")
    ('data/train-00003-of-00010.parquet', 'data/en/train-00000-of-00002.jsonl.gz')
    """
    folder = f"data/{part}/" if part else "data/"
    return f"{folder}{split}-{number:05d}-of-{blocks:05d}.{suffix}"


def partition_name(lang: str) -> str:
    """The partition (folder and card config name) of a document's language: the code as written,
    ``und`` when there is none, and any character other than a letter, digit, ``-`` or ``_``
    replaced by ``_`` (a language read from the input is a folder name here).

    >>> partition_name("en"), partition_name(""), partition_name("zh-cn"), partition_name("../x")
    ('en', 'und', 'zh-cn', '___x')
    """
    return _PLAIN.sub("_", lang)[:64] or UNDETERMINED


def data_glob(split: str, suffix: str, part: str | None = None) -> str:
    """The card's ``data_files`` path of one split (of one partition, or of all: ``part="*"``).

    >>> data_glob("train", "parquet"), data_glob("train", "jsonl.zst", "*")
    ('data/train-*.parquet', 'data/*/train-*.jsonl.zst')
    """
    return f"data/{part}/{split}-*.{suffix}" if part else f"data/{split}-*.{suffix}"


def output_layout(output: Any) -> tuple[str, bool]:
    """(shard suffix, partitioned) of an ``output:`` (settings.OutputConfig or the config dict)."""
    get = output.get if isinstance(output, dict) else lambda key, default=None: getattr(output, key, default)
    fmt = get("format") or "parquet"
    compression = get("compression") or COMPRESSIONS[fmt][0]
    return shard_suffix(fmt, compression), get("partition_by") == "lang"


def check_output(config: dict[str, Any], where: str = "config") -> None:
    """ConfigErrors the schema cannot give clearly: a compression the output format does not take,
    a ``license`` the Hub does not accept, and ``license_name``/``license_link`` with a license
    other than ``other`` (``corpus.io.write.hub_tags``)."""
    from corpus.errors import ConfigError
    from corpus.io.write.hub_tags import check_license, check_license_other

    if "license" in config:
        check_license(config["license"], where)
    check_license_other(config, where)
    output = config.get("output") or {}
    fmt = output.get("format", "parquet")
    compression = output.get("compression")
    if compression is not None and compression not in COMPRESSIONS[fmt]:
        raise ConfigError(
            f"{where}: output.compression: {compression!r} does not go with output.format {fmt}; "
            f"expected one of {', '.join(COMPRESSIONS[fmt])}"
        )


def check_block_shards(
    entries: list[dict[str, Any]], number: int, blocks: int, splits: list[str], output: Any
) -> None:
    """A ValueError unless ``entries`` (a block summary's shards) are those block ``number`` of
    ``blocks`` writes: every split's shard, or partitioned, one per split and language kept."""
    suffix, partitioned = output_layout(output)
    got = sorted((e["split"], e["path"], e.get("config")) for e in entries)
    if not partitioned:
        if got != sorted((s, shard_name(s, number, blocks, suffix=suffix), None) for s in splits):
            raise ValueError("not the block's shards")
        return
    if len({(split, part) for split, _, part in got}) != len(got):
        raise ValueError("a split and language written twice")
    for entry in entries:
        split, path, part = entry["split"], entry["path"], entry.get("config")
        if (
            split not in splits
            or not isinstance(part, str)
            or partition_name(part) != part
            or path != shard_name(split, number, blocks, suffix=suffix, part=part)
            or not entry["rows"]
        ):
            raise ValueError(f"not a shard of the block: {path!r}")
