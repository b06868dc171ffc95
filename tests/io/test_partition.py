"""``output.partition_by: lang`` (issue 19 part 4): one card config per language.

A build of the 300 long multilingual documents of ../shared/eval/langid (20 languages, read in
place) with detect_language: ``load_dataset(build, lang)`` returns exactly the documents detected
as ``lang``, every file the card names exists, the default config holds every document, and
verify and publish --dry-run accept the nested shards.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from corpus import Pipeline
from corpus.io.verify import verify_build
from corpus.io.write.card import card_problems
from corpus.io.write.layout import SHARD_PATTERN
from tests.conftest import ROOT, shared_path


@pytest.fixture(scope="module")
def partitioned(tmp_path_factory):
    docs = shared_path("eval", "langid", "long-docs.jsonl")
    out = tmp_path_factory.mktemp("partition") / "langid"
    config = {
        "name": "langid long docs by language",
        "license": "apache-2.0",  # lingua-py's test data (../shared/eval/langid/SOURCE.txt)
        "input": {"paths": [str(docs)], "id_field": "key"},
        "stages": [{"detect_language": {}}],
        "output": {"path": str(out), "partition_by": "lang", "splits": {"train": 0.9, "validation": 0.1}},
        "block_size": "400KB",
    }
    Pipeline.from_config(config).build(workers=0, progress=False)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    return out, manifest


def load(out, name, cache):
    import datasets

    return datasets.load_dataset(str(out), name, cache_dir=str(cache))


def test_each_language_config_holds_exactly_its_documents(partitioned, tmp_path):
    out, manifest = partitioned
    everything = load(out, None, tmp_path / "hf")
    assert sum(len(d) for d in everything.values()) == manifest["counts"]["kept"] == 300
    detected: dict[str, set[str]] = {}
    for split in everything.values():
        for row in split:
            detected.setdefault(row["lang"], set()).add(row["id"])
    assert len(detected) >= 15 and set(detected) == set(manifest["languages"])
    for lang in sorted(detected):
        ds = load(out, lang, tmp_path / "hf")
        got = [(row["id"], row["lang"]) for split in ds.values() for row in split]
        assert sorted(i for i, _ in got) == sorted(detected[lang]), lang
        assert {code for _, code in got} == {lang}


def test_shards_and_card_configs_match(partitioned):
    from datasets.info import DatasetInfosDict
    from huggingface_hub import DatasetCard

    out, manifest = partitioned
    for shard in manifest["shards"]:
        m = SHARD_PATTERN.match(shard["path"])
        assert m and m["part"] == shard["config"] and shard["rows"] > 0, shard
        assert (out / shard["path"]).is_file()
    card = DatasetCard.load(out / "README.md")
    configs = {c["config_name"]: c for c in card.data.configs}
    assert next(iter(configs)) == "default" and set(configs) == {"default", *manifest["languages"]}
    infos = DatasetInfosDict.from_dataset_card_data(card.data)
    for name, config in configs.items():
        mine = [s for s in manifest["shards"] if name == "default" or s["config"] == name]
        splits = {s["split"] for s in mine}
        assert [f["split"] for f in config["data_files"]] == [
            s for s in ("train", "validation") if s in splits
        ]
        for f in config["data_files"]:  # every glob matches files, and only this config's
            matched = sorted(str(p.relative_to(out)) for p in out.glob(f["path"]))
            assert matched == sorted(s["path"] for s in mine if s["split"] == f["split"]), f
        counted = {split: sum(s["rows"] for s in mine if s["split"] == split) for split in splits}
        assert {k: v.num_examples for k, v in infos[name].splits.items()} == counted
    assert card_problems((out / "README.md").read_text(encoding="utf-8")) == []
    assert card.data.multilinguality == ["multilingual"] and len(card.data.language) >= 15


def test_verify_and_publish_accept_the_nested_shards(partitioned, tmp_path):
    out, manifest = partitioned
    assert verify_build(out) == []
    stray = out / "data" / "en" / "train-99999-of-99999.parquet"
    stray.write_bytes(b"not ours")
    try:
        assert verify_build(out) == ["data/en/train-99999-of-99999.parquet: not in the manifest"]
    finally:
        stray.unlink()
    dry = subprocess.run(
        [sys.executable, "-m", "corpus.cli", "publish", str(out), "--to", str(tmp_path / "pub"), "--dry-run"],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        timeout=120,
    )
    assert dry.returncode == 0, dry.stderr
    assert all(s["path"] in dry.stdout for s in manifest["shards"])
