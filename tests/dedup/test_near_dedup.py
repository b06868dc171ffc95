"""near_dedup: the sample variants cluster, unrelated texts do not; determinism; keep rules; index."""

from __future__ import annotations

import importlib
import json
import re
from pathlib import Path

import numpy as np
import pytest

from corpus import Document, Pipeline
from corpus.dedup import clusters as cl
from corpus.dedup import minhash as mh
from corpus.dedup.near import NearDedup
from corpus.errors import BuildError, ConfigError
from tests.conftest import shared_path

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"


def sample(name: str) -> Document:
    return Document(id=name, text=(SAMPLE / f"{name}.txt").read_text(encoding="utf-8"))


def unrelated() -> list[Document]:
    """Real, different texts: this repo's own docs, split in paragraphs of some length."""
    root = Path(__file__).resolve().parents[2]
    paras = [
        p
        for f in ("README.md", "corpus/pipeline.py", "corpus/engines/local.py")
        for p in (root / f).read_text(encoding="utf-8").split("\n\n")
        if len(p.split()) > 40
    ]
    return [Document(id=f"u{i}", text=p) for i, p in enumerate(paras)]


def test_edited_copy_clusters_with_original_and_unrelated_texts_do_not():
    step = NearDedup()
    docs = [sample("pompeo-nagorno-karabakh"), *unrelated(), sample("pompeo-variant-3-edited")]
    result = step.cluster(step.fingerprint_batch(docs), ids=[d.id for d in docs])
    assert result.keep.tolist() == [True] * (len(docs) - 1) + [False]
    (removed,) = result.removed()
    assert removed["id"] == "pompeo-variant-3-edited" and removed["kept_id"] == "pompeo-nagorno-karabakh"
    assert removed["similarity"] >= 0.8
    assert result.cluster_size[0] == 2 and (result.cluster_size[1:-1] == 1).all()


def test_pipeline_run_drops_the_copies_and_annotates_the_kept_one():
    docs = [
        sample("pompeo-nagorno-karabakh"),
        sample("pompeo-variant-2-exact-copy"),
        sample("pompeo-variant-3-edited"),
        *unrelated()[:3],
    ]
    kept = list(Pipeline([NearDedup()]).run(docs))
    assert [d.id for d in kept] == ["pompeo-nagorno-karabakh", "u0", "u1", "u2"]
    assert kept[0].meta == {"near_dup_cluster": "pompeo-nagorno-karabakh", "near_dup_cluster_size": 3}
    assert kept[1].meta["near_dup_cluster_size"] == 1
    assert next(iter(Pipeline([NearDedup(annotate=False)]).run(docs))).meta == {}


def test_streaming_admit_keeps_first_and_says_of_what():
    step = NearDedup()
    first, copy = sample("pompeo-nagorno-karabakh"), sample("pompeo-variant-3-edited")
    assert step.apply(first).doc is first
    out = step.apply(copy)
    assert out.doc is None and out.reason == "near_duplicate"
    assert re.fullmatch(r"near duplicate of pompeo-nagorno-karabakh \(J~0\.\d\d\)", out.note)
    assert out.edits == []  # the note is the drop's explanation, not a text edit
    step.reset()
    assert step.apply(copy).doc is copy


def test_signatures_are_deterministic_and_batch_equals_single():
    docs = [
        sample("pompeo-nagorno-karabakh"),
        *unrelated()[:5],
        Document(id="e", text=""),
        Document(id="s", text="two words"),
    ]
    batch = NearDedup().fingerprint_batch(docs)
    assert batch.sigs.shape == (len(docs), 128) and batch.sigs.dtype == np.uint32
    for doc, row in zip(docs, batch, strict=True):
        assert np.array_equal(NearDedup().fingerprint(doc), row)
    assert not np.array_equal(NearDedup(seed=1).fingerprint_batch(docs).sigs, batch.sigs)
    # The set part is the seed-free shingle set: the same for every seed.
    assert np.array_equal(NearDedup(seed=1).fingerprint_batch(docs).values, batch.values)
    # Empty and two-word texts have one shingle; verify: signature keeps no set.
    assert np.diff(batch.offsets).tolist()[-2:] == [1, 1]
    assert len(NearDedup(verify="signature").fingerprint(docs[0])) == 128


def test_exact_verification_equals_the_jaccard_of_word_5gram_sets():
    """The set part gives the Jaccard of the two texts' word 5-gram sets (the eval's truth), exactly."""
    a = sample("pompeo-nagorno-karabakh").text
    b = sample("pompeo-variant-3-edited").text

    def grams(text: str) -> set[str]:
        w = re.findall(r"\w+", text.lower())
        return {" ".join(w[i : i + 5]) for i in range(len(w) - 4)}

    truth = len(grams(a) & grams(b)) / len(grams(a) | grams(b))
    sk = NearDedup().fingerprint_batch([Document("a", a), Document("b", b)])
    from corpus.dedup.sketch import exact_jaccard

    assert exact_jaccard(sk.values, sk.offsets, np.array([0]), np.array([1]))[0] == pytest.approx(
        truth, abs=1e-12
    )


def test_shingles_are_word_ngrams_of_lowercased_text():
    text = "The cat, the CAT! sat on the mat; the cat sat on the mat."
    hashes, offsets = mh.shingle_hashes([text], ngram=5)
    words = re.findall(r"\w+", text.lower())
    assert offsets.tolist() == [0, len(words) - 4]
    grams = [" ".join(words[i : i + 5]) for i in range(len(words) - 4)]
    assert len(set(hashes.tolist())) == len(set(grams))


def test_estimated_jaccard_tracks_exact_jaccard():
    rng = np.random.default_rng(7)
    words = [f"w{i}" for i in rng.integers(0, 5000, 600)]
    a = " ".join(words)
    b = " ".join(words[:480] + [f"x{i}" for i in range(120)])
    ga = {" ".join(words[i : i + 5]) for i in range(596)}
    wb = b.split()
    gb = {" ".join(wb[i : i + 5]) for i in range(596)}
    exact = len(ga & gb) / len(ga | gb)
    sig = NearDedup(num_perm=256).fingerprint_batch([Document("a", a), Document("b", b)]).sigs
    assert abs((sig[0] == sig[1]).mean() - exact) < 0.08


def test_keep_rules():
    short, long_ = sample("pompeo-nagorno-karabakh"), sample("pompeo-variant-3-edited")
    long_ = Document(id="long", text=long_.text + "\nOne more closing line here.")
    docs = [short, long_]
    lengths = np.array([len(d.text) for d in docs])
    for keep, kept in (("first", [True, False]), ("longest", [False, True])):
        step = NearDedup(keep=keep)
        result = step.cluster(step.fingerprint_batch(docs), lengths, [d.id for d in docs])
        assert result.keep.tolist() == kept
        assert result.cluster_id.tolist() == [kept.index(True)] * 2
    with pytest.raises(ConfigError, match="longest"):
        NearDedup(keep="longest").cluster(NearDedup().fingerprint_batch(docs))


def test_index_round_trip_dedups_a_later_build(tmp_path):
    step = NearDedup()
    first = [sample("pompeo-nagorno-karabakh"), *unrelated()[:4]]
    list(Pipeline([step]).run(first))
    path = step.save_index(tmp_path / "near_dedup_index")
    loaded, ids = step.load_index(path)
    made = step.fingerprint_batch(first)
    assert ids == [d.id for d in first]
    assert all(np.array_equal(getattr(loaded, k), getattr(made, k)) for k in ("sigs", "values", "offsets"))
    later = NearDedup(index=str(path))
    docs = [sample("pompeo-variant-3-edited"), *unrelated()[4:6]]
    result = later.cluster(later.fingerprint_batch(docs), ids=[d.id for d in docs])
    assert result.keep.tolist() == [False, True, True]
    assert result.kept_id(0) == "pompeo-nagorno-karabakh" and result.offset == len(first)
    assert later.apply(docs[0]).reason == "near_duplicate"  # streaming form sees the index too
    with pytest.raises(ConfigError, match=r"near_dedup\.num_perm: .* num_perm=128, this step has 64; set"):
        NearDedup(num_perm=64).load_index(path)


def test_lsh_parameters():
    assert mh.optimal_bands(0.8, 128) == (9, 13)  # datasketch's choice for the same inputs
    # A pair at the threshold becomes a candidate with probability >= 0.995 (verification is exact).
    assert NearDedup().band_rows == (18, 6)
    assert 1 - (1 - 0.8**6) ** 18 >= 0.995
    assert NearDedup(bands=16, rows=8).band_rows == (16, 8)
    b, r = NearDedup(threshold=0.5).band_rows
    assert b * r <= 128 and 1 - (1 - 0.5**r) ** b > 0.85


@pytest.mark.parametrize(
    "options, says",
    [
        ({"threshold": 1.5}, r"near_dedup\.threshold: .*got 1\.5"),
        ({"threshold": 0}, r"near_dedup\.threshold: expected a number in \(0, 1\]; got 0"),
        ({"num_perm": 0}, r"near_dedup\.num_perm: .*got 0"),
        ({"keep": "last"}, r"near_dedup\.keep: .*got 'last'"),
        (
            {"bands": 20, "rows": 10},
            r"near_dedup\.bands, near_dedup\.rows: bands x rows = 200 exceeds num_perm 128",
        ),
        ({"bands": 4}, r"near_dedup\.bands, near_dedup\.rows: give both or neither; got bands=4, rows=None"),
        ({"ngram": "5"}, r"near_dedup\.ngram: .*got '5' \(a string\)"),
        ({"annotate": "yes"}, r"near_dedup\.annotate: .*got 'yes'"),
        ({"index": 3}, r"near_dedup\.index: .*got 3"),
    ],
)
def test_bad_options_name_the_option_and_the_value(options, says):
    with pytest.raises(ConfigError, match=says):
        NearDedup(**options)


def test_options_are_fixed_once_built_and_replace_checks_again():
    step = NearDedup(threshold=0.7)
    with pytest.raises(AttributeError, match="replace"):
        step.threshold = 0.9
    assert step.replace(threshold=0.9).band_rows == NearDedup(threshold=0.9).band_rows
    with pytest.raises(ConfigError, match="rows"):
        step.replace(bands=4)


def test_connected_components_and_candidates_on_chains():
    pairs = np.array([[i, i + 1] for i in range(0, 999)])
    assert (cl.connected_components(1000, pairs) == 0).all()
    bands = np.zeros((300, 1), dtype=np.uint64)  # one huge bucket: linear work, still connected
    found = mh.candidate_pairs(bands, window=4)
    assert len(found) == sum(min(4, 299 - i) for i in range(300))
    assert (cl.connected_components(300, found) == 0).all()


def _eval_module():
    return importlib.import_module("scripts.eval.neardup")


@pytest.mark.parametrize("seed", [0, pytest.param(7, marks=pytest.mark.slow)])
def test_f1_on_the_dev_sets_meets_the_targets_whatever_the_seed(seed):
    """Issue 18's targets on the DEV sets: natural F1 >= 0.95 with at most 5 false merges, news >= 0.995.

    Peers on the same sets (SOURCE.txt and issue 18, 10 seeds): rensa 16x8 + verify 0.846 +- 0.104
    natural (924 false merges on average), datasketch 9x13 + verify 0.894 +- 0.012 (114); our rule
    before this one (components, estimate) 0.900 +- 0.029 (322). The seed moves only which pairs
    LSH proposes, so two seeds must both pass.
    """
    shared_path("eval", "neardup", "natural", "pairs.jsonl.gz")
    shared_path("bench", "base_text.jsonl.zst")
    scores = _eval_module().evaluate(NearDedup(seed=seed))
    natural, news = scores["natural"], scores["news-variants"]
    assert natural["f1"] >= 0.95 and natural["false_merges"] <= 5, natural
    assert news["f1"] >= 0.995 and news["false_merges"] <= 5, news


def test_no_removed_document_is_under_the_threshold_with_its_kept_one_nor_a_cluster_under_the_floor():
    """On the natural DEV set: every removed document's exact similarity to the kept one (checked
    against the eval's own exact Jaccard) is >= 0.8, and no two members of a cluster are < 0.7."""
    shared_path("eval", "neardup", "natural", "pairs.jsonl.gz")
    shared_path("bench", "base_text.jsonl.zst")
    ev = _eval_module()
    docs, truth = ev.load_natural()
    groups, _, result = ev.dedup_groups(NearDedup(), docs)
    removed = result.removed()
    assert len(removed) > 1000
    # Our shingles are of NFKC text, the eval's of plain lower case: a few pairs differ by a shingle.
    for r in removed:
        a, b = sorted((r["id"], r["kept_id"]))
        assert r["similarity"] >= 0.8 and truth.get((a, b), 0.0) == pytest.approx(r["similarity"], abs=5e-3)
    for g in groups:
        m = sorted(g)
        assert all(truth.get((a, b), 0.0) >= 0.7 for i, a in enumerate(m) for b in m[i + 1 :]), g


def test_star_centres_on_the_original_and_does_not_chain():
    """The original with three edited copies, copies first: the original is kept and all join it.
    A chain a~b~c~d (each step 0.9, ends apart) is never one cluster."""
    words = sample("pompeo-nagorno-karabakh").text.split()
    seg = len(words) // 20
    original = " ".join(words)
    # Copy k has its own twentieth of the words replaced: ~0.86 like the original, ~0.75 like each other.
    copies = [
        Document(
            f"copy-{k}",
            " ".join(words[: k * seg] + [f"new{k}-{i}" for i in range(seg)] + words[(k + 1) * seg :]),
        )
        for k in (1, 5, 9)
    ]
    docs = [*copies, Document("original", original)]
    step = NearDedup()
    result = step.cluster(step.fingerprint_batch(docs), ids=[d.id for d in docs])
    assert result.keep.tolist() == [False, False, False, True]
    assert {r["kept_id"] for r in result.removed()} == {"original"}
    assert all(r["similarity"] >= 0.8 for r in result.removed())
    # The rule before (first in input order kept) could keep only one copy with the original.
    first = NearDedup(cluster_by="components", verify="signature")
    assert first.cluster(first.fingerprint_batch(docs).sigs).keep.tolist() != [False, False, False, True]
    # A chain: each text shifted 300 words along: neighbours J = 0.818, two apart 0.667, three 0.54.
    words = [f"w{i}" for i in range(5000)]
    chain = [Document(str(k), " ".join(words[k * 300 : k * 300 + 3000])) for k in range(5)]
    sk = step.fingerprint_batch(chain)
    result = step.cluster(sk, ids=[d.id for d in chain])
    from corpus.dedup.sketch import exact_jaccard

    def jac(i: int, j: int) -> float:
        return float(exact_jaccard(sk.values, sk.offsets, np.array([i]), np.array([j]))[0])

    assert jac(0, 1) == pytest.approx(2700 / 3300, abs=1e-3) and jac(0, 2) < 0.7
    for i in np.flatnonzero(~result.keep):
        assert jac(i, int(result.kept_index[i])) >= 0.8
    for c in set(result.kept_index.tolist()):
        members = np.flatnonzero(result.kept_index == c).tolist()
        assert all(jac(a, b) >= 0.7 for a in members for b in members if a < b), members
    assert result.cluster_size.max() == 2 and (~result.keep).sum() == 2  # 1 joins 0... or 1 is centre


def test_star_clustering_keeps_the_edited_copy_with_its_original_and_checks_options():
    """cluster_by="star": the sample's edited copy still joins the seed; an unknown value is a ConfigError."""
    from corpus import ConfigError
    from corpus.dedup.near import NearDedup
    from tests.conftest import ROOT

    sample = ROOT / "data" / "sample"
    texts = [
        (sample / "pompeo-nagorno-karabakh.txt").read_text(encoding="utf-8"),
        (sample / "pompeo-variant-3-edited.txt").read_text(encoding="utf-8"),
        "An unrelated text about the weather in Lisbon, sunny with a light breeze all week long.",
    ]
    from corpus import Document

    step = NearDedup(cluster_by="star")
    docs = [Document(id=str(i), text=t) for i, t in enumerate(texts)]
    result = step.cluster(step.fingerprint_batch(docs), ids=[d.id for d in docs])
    assert result.keep.tolist() == [True, False, True]
    with pytest.raises(ConfigError, match="cluster_by"):
        NearDedup(cluster_by="chain")


@pytest.mark.parametrize("header", [[1, 2], {"format": "corpus.near_dedup.v1"}, {}, {"ids": 3, "params": {}}])
def test_a_damaged_index_header_is_a_build_error_that_says_what_to_do(tmp_path, header):
    """Issue 13: a malformed --dedup-against / near_dedup.index header raised KeyError or TypeError."""
    from corpus.dedup.index import load_index

    np.save(tmp_path / "signatures.npy", np.zeros((1, 4), dtype=np.uint32))
    (tmp_path / "header.json").write_text(json.dumps(header), encoding="utf-8")
    with pytest.raises(BuildError, match=r"is not a corpus\.near_dedup\.v2 index; point near_dedup\.index"):
        load_index(tmp_path)


def _good_index(folder: Path) -> Path:
    step = NearDedup(num_perm=16)
    docs = unrelated()[:3]
    return step.save_index(folder, step.fingerprint_batch(docs), [d.id for d in docs])


@pytest.mark.parametrize(
    "damage, error, says",
    [
        (lambda p: (p / "signatures.npy").unlink(), BuildError, "cannot be read"),
        (lambda p: (p / "signatures.npy").write_bytes(b"\x93NUMPY garbage"), BuildError, "cannot be read"),
        (lambda p: (p / "header.json").write_text("{", encoding="utf-8"), BuildError, "cannot be read"),
        (lambda p: np.save(p / "signatures.npy", np.zeros((2, 16), np.uint32)), BuildError, "not a corpus"),
        (lambda p: np.save(p / "signatures.npy", np.zeros((3, 8), np.uint32)), BuildError, "not a corpus"),
        (lambda p: np.save(p / "signatures.npy", np.zeros((3, 16), np.float64)), BuildError, "not a corpus"),
        (lambda p: (p / "header.json").unlink(), ConfigError, r"near_dedup\.index: .* holds no header\.json"),
    ],
)
def test_a_damaged_or_missing_index_is_a_corpus_error_in_the_build(tmp_path, damage, error, says):
    """The step loads its index during the build: damage is a BuildError, no index there a ConfigError."""
    path = _good_index(tmp_path / "index")
    damage(path)
    step = NearDedup(num_perm=16, index=str(path))
    with pytest.raises(error, match=says):
        step.cluster(step.fingerprint_batch(unrelated()[3:5]))
    with pytest.raises(error, match=says):
        step.apply(unrelated()[3])


def test_wrong_arguments_to_cluster_and_save_index_are_config_errors(tmp_path):
    step = NearDedup(num_perm=16)
    sigs = step.fingerprint_batch(unrelated()[:2])
    with pytest.raises(ConfigError, match=r"\(n, 16\) array.*got shape \(2, 128\)"):
        step.cluster(NearDedup().fingerprint_batch(unrelated()[:2]))
    with pytest.raises(ConfigError, match="1 ids for 2 signatures"):
        step.cluster(sigs, ids=["a"])
    with pytest.raises(ConfigError, match="nothing clustered yet"):
        step.save_index(tmp_path / "i")
    with pytest.raises(ConfigError, match="1 ids for 2 signatures"):
        step.save_index(tmp_path / "i", sigs, ["a"])


def test_decide_before_prepare_is_a_build_error_that_says_what_to_do():
    step = NearDedup()
    doc = sample("pompeo-nagorno-karabakh")
    with pytest.raises(BuildError, match=r"near_dedup: no verdict for document 0 .*prepare\(\)"):
        step.decide(0, doc)
    step.collect(step.fingerprint(doc), doc)
    step.prepare()
    assert step.decide(0, doc).doc.meta["near_dup_cluster_size"] == 1
    with pytest.raises(BuildError, match="no verdict for document 1"):
        step.decide(1, doc)


def test_the_drop_note_is_the_outcome_note_in_the_global_form():
    step = NearDedup()
    docs = [sample("pompeo-nagorno-karabakh"), sample("pompeo-variant-3-edited")]
    for d in docs:
        step.collect(step.fingerprint(d), d)
    step.prepare()
    out = step.decide(1, docs[1])
    assert out.doc is None and out.edits == []
    assert re.fullmatch(r"near duplicate of pompeo-nagorno-karabakh \(J~0\.\d\d\)", out.note)
    assert out.info["kept_id"] == "pompeo-nagorno-karabakh"
