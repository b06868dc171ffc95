"""The dataset card (issue 19 part 2) of the shipped sample's build: the Hub's parsers read it,
``dataset_info`` matches the shards, stages come in pipeline order, the funnel closes, and a
license the Hub does not know stops the config with one line."""

from __future__ import annotations

import json
import logging
import re
import subprocess
import sys

import pytest

from corpus import Pipeline
from corpus.io.write.card import card_problems, render_card
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    out = tmp_path_factory.mktemp("card") / "sample"
    Pipeline.from_yaml(ROOT / "configs" / "sample.yaml").build(output=out, workers=0, progress=False)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    return out, manifest, (out / "README.md").read_text(encoding="utf-8")


def test_huggingface_hub_parses_the_card_and_finds_nothing_wrong(sample):
    from huggingface_hub import DatasetCard

    out, manifest, text = sample
    card = DatasetCard.load(out / "README.md")
    assert card.data.license == "other" and card.data.language == ["en"]
    assert card.data.pretty_name == manifest["config"]["name"]
    assert card_problems(text) == []


def test_dataset_info_matches_the_shards_and_load_dataset_checks_it(sample, tmp_path):
    import datasets
    from datasets.info import DatasetInfosDict
    from huggingface_hub import DatasetCard

    from corpus.document import features

    out, manifest, _ = sample
    info = DatasetInfosDict.from_dataset_card_data(DatasetCard.load(out / "README.md").data)["default"]
    assert info.features == features()
    assert {name: s.num_examples for name, s in info.splits.items()} == manifest["counts"]["splits"]
    assert info.download_size == sum(s["bytes"] for s in manifest["shards"])
    assert info.dataset_size == sum(s["num_bytes"] for s in manifest["shards"]) > 0
    # datasets compares the card's num_examples with the rows it reads (NonMatchingSplitsSizesError)
    ds = datasets.load_dataset(str(out), split="train", cache_dir=str(tmp_path / "hf"))
    assert len(ds) == manifest["counts"]["kept"] and ds.features == features()


def test_stages_are_listed_in_pipeline_order_with_what_they_did(sample):
    _, manifest, text = sample
    configured = [next(iter(item)) for item in manifest["config"]["stages"]]
    rows = re.findall(r"^\| (\d+)\. (\w+) \| ([^\n]*)\|$", text, re.MULTILINE)
    assert [name for _, name, _ in rows] == configured
    assert [int(n) for n, _, _ in rows] == list(range(1, len(configured) + 1))
    cells = {name: [c.strip() for c in rest.split("|")] for _, name, rest in rows}
    boiler = manifest["stages"]["strip_boilerplate"]
    assert cells["strip_boilerplate"][:4] == [
        str(boiler["docs_in"]),
        str(boiler["docs_out"]),
        str(boiler["docs_changed"]),
        f"{boiler['chars_removed']:,}",
    ]
    top = max((k for k in boiler if k.startswith("removed.")), key=lambda k: (boiler[k], k))
    assert cells["strip_boilerplate"][5].startswith(f"{top} {boiler[top]}")
    assert (
        cells["exact_dedup"][4]
        == f"exact_duplicate {manifest['stages']['exact_dedup']['dropped.exact_duplicate']}"
    )
    assert "| stage | counter | value |" not in text  # the old alphabetical dump


def test_funnel_runs_from_read_to_kept(sample):
    _, manifest, text = sample
    funnel = text.split("## Funnel")[1].split("##")[0]
    steps = re.findall(r"^\| ([^|]+) \| \**([−\d,]+)\** \|", funnel, re.MULTILINE)
    numbers = {step: int(n.replace(",", "").replace("−", "")) for step, n in steps}
    assert steps[0][0] == "read" and steps[-1][0] == "**kept**"
    taken = sum(n for step, n in numbers.items() if step not in ("read", "**kept**"))
    assert numbers["read"] - taken == numbers["**kept**"] == manifest["counts"]["kept"]
    # drops in pipeline order: exact_dedup's before near_dedup's
    order = [step for step, _ in steps]
    assert order.index("dropped by exact_dedup: exact_duplicate") < order.index(
        "dropped by near_dedup: near_duplicate"
    )


def test_tokens_and_report_link(sample):
    _, manifest, text = sample
    assert "[report.html](report.html)" in text
    tokens = manifest.get("tokens") or {
        "tokenizer": "o200k_base",
        "library": "bpe-openai 0.1.4",
        "total": 634,
        "splits": {"train": 634},
    }
    card = render_card({**manifest, "tokens": tokens})
    assert f"{tokens['total']:,} tokens of kept text (train {tokens['splits']['train']:,})" in card
    assert f"counted with the {tokens['tokenizer']} tokenizer ({tokens['library']})" in card
    without = {k: v for k, v in manifest.items() if k != "tokens"}
    assert "## Tokens" not in render_card(without)


def test_estimated_tokens_say_so(sample):
    """count_tokens: sample on a large build: the card gives the estimate, its sample and its error."""
    _, manifest, _ = sample
    tokens = {
        "tokenizer": "o200k_base",
        "library": "bpe-openai 0.1.4",
        "method": "sample",
        "total": 1_234_567,
        "splits": {"train": 1_234_567},
        "sampled_documents": 312,
        "relative_error": 0.0081,
    }
    counts = {**manifest["counts"], "kept": 5000}
    card = render_card({**manifest, "tokens": tokens, "counts": counts})
    assert "≈ 1.23M tokens (o200k_base, estimated from 312 of 5,000 documents, ± 0.8%)" in card
    assert "≈ 1,234,567 tokens of kept text (train 1,234,567), estimated with the o200k_base" in card


def test_language_tags_are_hub_codes(sample):
    from huggingface_hub import DatasetCard

    _, manifest, _ = sample
    langs = {"zh-cn": 3, "en": 2, "zh-tw": 2, "und": 1, "": 1, "iw": 1, "xx": 1}
    card = render_card({**manifest, "languages": langs})
    data = DatasetCard(card).data
    assert data.language == ["zh", "en", "he"]
    assert data.multilinguality == ["multilingual"]
    assert card_problems(card) == []


def run_build(tmp_path, config: str) -> subprocess.CompletedProcess:
    path = tmp_path / "c.yaml"
    path.write_text(config, encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "corpus.cli", "build", str(path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        timeout=120,
    )


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            "license: CC-BY-4.0",
            "license: 'CC-BY-4.0' is not a license identifier the Hub accepts; did you mean cc-by-4.0?",
        ),
        ("license: apache2", "did you mean apache-2.0"),
        ("license: mit\nlicense_link: LICENSE", "license_link: goes with license: other, not 'mit'"),
        (
            "license_name: News Terms",
            'license_name: "News Terms" does not match ^[a-z0-9][a-z0-9._-]*$ (With',
        ),
        (
            "output: {path: out, format: jsonl, compression: snappy}",
            "output.compression: 'snappy' does not go with output.format jsonl",
        ),
    ],
)
def test_a_bad_license_or_compression_is_one_clear_line(tmp_path, line, expected):
    base = "input: {paths: [a.txt]}\nstages: []\n"
    config = base + (line if line.startswith("output") else "output: {path: out}\n" + line) + "\n"
    result = run_build(tmp_path, config)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert expected in lines[0] and "c.yaml" in lines[0]


def test_license_other_names_its_license_or_publishing_says_so(sample, tmp_path, sample_article):
    from huggingface_hub import DatasetCard

    from corpus.io.publish import describe_plan, plan_upload

    out, _, _ = sample
    note = "license: other with no license_name, so the Hub names no license"
    assert f"note: the card says {note}" in describe_plan(*plan_upload(out), "hf://datasets/org/name")
    (tmp_path / "a.txt").write_text(sample_article, encoding="utf-8")
    named = {
        "license": "other",
        "license_name": "news-site-terms-1.0",
        "license_link": "LICENSE.md",
        "input": {"paths": [str(tmp_path / "a.txt")]},
        "stages": [],
        "output": {"path": str(tmp_path / "named")},
    }
    Pipeline.from_config(named).build(workers=0, progress=False)
    card = (tmp_path / "named" / "README.md").read_text(encoding="utf-8")
    data = DatasetCard(card).data
    assert (data.license, data.license_name, data.license_link) == (
        "other",
        "news-site-terms-1.0",
        "LICENSE.md",
    )
    assert card_problems(card) == []
    assert note not in describe_plan(*plan_upload(tmp_path / "named"), "hf://datasets/org/name")


def test_publishing_a_card_that_names_no_license_logs_why(sample, caplog):
    from corpus.io.publish import publish_hub
    from tests.io.test_publish import FakeHub

    out, _, _ = sample
    hub = FakeHub({})
    logger = logging.getLogger("corpus")  # an in-process CLI run earlier may have stopped propagation
    logger.addHandler(caplog.handler)
    try:
        with caplog.at_level("WARNING", logger="corpus"):
            publish_hub(out, "org/name", api=hub)
    finally:
        logger.removeHandler(caplog.handler)
    assert hub.commits, "nothing was sent"
    warned = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert any("license: other with no license_name" in m for m in warned), warned
