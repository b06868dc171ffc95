"""Issue 2's acceptance: the shipped sample corpus builds into a loadable, clean, deduplicated dataset."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from corpus import Document, Pipeline
from tests.conftest import ROOT

FURNITURE = ["Sign up to receive our latest news!", "By submitting this form, I agree to the terms."]
SAMPLE = ROOT / "data" / "sample"


def paragraphs(text: str) -> list[str]:
    return [p.strip() for p in text.split("\n\n") if p.strip()]


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    out = tmp_path_factory.mktemp("build") / "sample"
    pipeline = Pipeline.from_yaml(ROOT / "configs" / "sample.yaml")
    result = pipeline.build(output=out, workers=0, progress=False)
    return out, result


def test_seed_article_is_clean_and_otherwise_verbatim(build, sample_article, tmp_path):
    import datasets

    out, _ = build
    ds = datasets.load_dataset(str(out), split="train", cache_dir=str(tmp_path / "hf"))
    row = next(r for r in ds if r["id"] == "pompeo-nagorno-karabakh")
    for line in FURNITURE:
        assert line not in row["text"]
    expected = [
        p.replace("@ZMnatsakanyan", "@USER").replace("@bayramov_jeyhun", "@USER")
        for p in paragraphs(sample_article)
        if p not in FURNITURE
    ]
    assert paragraphs(row["text"]) == expected
    assert row["lang"] == "en" and row["lang_score"] > 0.9


def test_copies_collapse_and_everything_is_accounted_for(build):
    out, result = build
    counts = result.manifest["counts"]
    assert counts["read"] == 6
    assert counts["read"] == counts["kept"] + sum(counts["dropped"].values()) + counts["quarantined"]
    dropped = {json.loads(x)["id"]: json.loads(x) for x in (out / "dropped.jsonl").read_text().splitlines()}
    # the mojibake copy, the exact copy and the copy with other furniture all equal the seed once cleaned;
    # the edited copy and the HTML page (which adds its headline) are near duplicates of it
    assert {k: v["dropped_by"] for k, v in dropped.items()} == {
        "pompeo-variant-1-mojibake": "exact_dedup.exact_duplicate",
        "pompeo-variant-2-exact-copy": "exact_dedup.exact_duplicate",
        "pompeo-variant-4-other-footer": "exact_dedup.exact_duplicate",
        "pompeo-variant-3-edited": "near_dedup.near_duplicate",
        "pompeo-variant-5-page": "near_dedup.near_duplicate",
    }
    assert all(d["kept_id"] == "pompeo-nagorno-karabakh" for d in dropped.values())
    assert 0.8 <= dropped["pompeo-variant-3-edited"]["similarity"] < 1
    assert counts["kept"] == 1


def test_html_page_is_a_second_format_with_its_metadata():
    from corpus.cli import _Reading

    pipeline = Pipeline.from_yaml(ROOT / "configs" / "sample.yaml")
    (doc,) = _Reading(str(SAMPLE / "pompeo-variant-5-page.html"), "auto")
    page = pipeline.trace(doc)[-1][2].doc
    assert page.url == "https://news.example.org/world/pompeo-nagorno-karabakh"
    assert page.meta["site_name"] == "Example News" and page.lang == "en"
    for furniture in ("cookies", "Related stories", "All rights reserved", *FURNITURE):
        assert furniture not in page.text


def test_mojibake_copy_comes_out_equal_to_the_clean_article(sample_article):
    pipeline = Pipeline.from_yaml(ROOT / "configs" / "sample.yaml")
    mojibake = (SAMPLE / "pompeo-variant-1-mojibake.txt").read_text(encoding="utf-8")
    assert "â€œ" in mojibake
    clean = list(pipeline.run([Document(id="m", text=mojibake)]))
    seed = list(pipeline.run([Document(id="s", text=sample_article)]))
    assert clean[0].text == seed[0].text


def test_manifest_and_card_describe_the_build(build):
    out, _ = build
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["languages"] == {"en": 1}
    assert [f["path"] for f in manifest["files"]][-4:] == [
        "near_dedup_index/header.json",
        "near_dedup_index/set_offsets.npy",
        "near_dedup_index/sets.npy",
        "near_dedup_index/signatures.npy",
    ]
    assert manifest["stages"]["strip_boilerplate"]["docs_changed"] >= 4
    assert len(manifest["inputs"]) == 6 and all(len(i["sha256"]) == 64 for i in manifest["inputs"])
    card = (out / "README.md").read_text()
    assert "language:\n- en" in card and "| dropped by exact_dedup: exact_duplicate | −3 |" in card
    assert "| dropped by near_dedup: near_duplicate | −2 |" in card


def run_cli(*args):
    exe = shutil.which("corpus", path=str(ROOT / ".venv" / "bin")) or shutil.which("corpus")
    cmd = [exe, *args] if exe else [sys.executable, "-m", "corpus.cli", *args]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=120)


def test_cli_clean_prints_cleaned_text():
    proc = run_cli("clean", "data/sample/pompeo-variant-1-mojibake.txt")
    assert proc.returncode == 0, proc.stderr
    assert "President Trump’s administration" in proc.stdout and "â€" not in proc.stdout
    assert "@USER" in proc.stdout and FURNITURE[0] not in proc.stdout


def test_cli_explain_names_the_rule_of_every_removal():
    proc = run_cli("explain", "data/sample/pompeo-nagorno-karabakh.txt")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    removals = [ln for ln in lines if "removed 'Sign up" in ln or "removed 'By submitting" in ln]
    assert len(removals) == 2 and all(ln.strip().startswith("[") for ln in removals)
    assert any(ln.startswith("detect_language: lang='en'") for ln in lines)


def test_cli_bad_config_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("input: {paths: [x]}\nstages: [{fix_encodin: {}}]\noutput: {path: o}\n")
    proc = run_cli("build", str(bad))
    assert proc.returncode == 2
    assert "unknown stage 'fix_encodin'" in proc.stderr and "bad.yaml" in proc.stderr


def test_a_later_build_keeps_out_stories_an_earlier_build_has(build, tmp_path):
    out, _ = build
    proc = run_cli(
        "build",
        "configs/sample.yaml",
        "--output",
        str(tmp_path / "again"),
        "--dedup-against",
        str(out),
        "--allow-empty",  # every story is already in the earlier build
    )
    assert proc.returncode == 0, proc.stderr
    manifest = json.loads((tmp_path / "again" / "manifest.json").read_text())
    assert manifest["counts"]["kept"] == 0
    assert manifest["counts"]["dropped"]["near_dedup.near_duplicate"] == 3  # seed, edited copy, page
    bad = run_cli(
        "build", "configs/sample.yaml", "--output", str(tmp_path / "x"), "--dedup-against", str(tmp_path)
    )
    assert bad.returncode == 2 and "no near-dedup index there" in bad.stderr


def test_report_summarizes_a_finished_build(build):
    out, _ = build
    proc = run_cli("report", str(out))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(f"built {out}: read 6, kept 1, dropped 5, quarantined 0")
    assert "near_dedup.near_duplicate: 2" in proc.stdout and "languages: en 1" in proc.stdout
    assert run_cli("report", str(out / "data")).returncode == 2


def test_dedup_command_removes_copies_without_cleaning(tmp_path):
    proc = run_cli("dedup", "data/sample", "--output", str(tmp_path / "d"), "--quiet")
    assert proc.returncode == 0, proc.stderr
    manifest = json.loads((tmp_path / "d" / "manifest.json").read_text())
    # no cleaning: the mojibake copy is not a copy yet; the exact copy, the other-footer copy,
    # the edited copy and the HTML page are
    assert manifest["counts"]["kept"] == 2
    assert manifest["counts"]["dropped"] == {"exact_dedup.exact_duplicate": 1, "near_dedup.near_duplicate": 3}
