"""Train the line model of strip_boilerplate on the labelled dev pages, and score it fairly.

    python -m scripts.train.boilerplate          # write corpus/text/boilerplate/rules/model.json

Data: ../shared/eval/boilerplate (keep/remove snippets of 1,347 real pages, three sources) on
the pages' full text (../shared/eval/extraction/<source>/fulltext.jsonl). A line of a page is
labelled by the snippets it holds: furniture (signup, terms, cookie, share, follow, related, ad)
-> 1, content -> 0; lines holding both, lines of other classes (menus, headlines, comments) and
unlabelled lines are not used. Only the lines the cue prefilter finds are scored, so only they
are learned from.

Selection rules (what may be learned, written down so it cannot drift toward the dev pages):
- a rule row of ``rules`` counts for a fold only if it fires on lines of at least
  ``MIN_ROW_PAGES`` pages of the fold's training sources, or on no dev page at all (written from
  general knowledge, e.g. another language's translation); ``row_support`` measures it;
- the features are fixed by ``corpus.text.boilerplate.features`` (no token or site features:
  nothing in it can match one page only); the model is a logistic regression with L2 (C=1),
  the threshold is 0.5 and the classes weigh the same: nothing is tuned per fold.
``loso`` fits on two sources and scores the third, for each of the three: the headline figures.
"""

from __future__ import annotations

import hashlib
import io
import json
import sys
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from corpus.text.boilerplate import DEFAULT_RULES, compile_rules
from corpus.text.boilerplate.compiler import Compiled
from corpus.text.boilerplate.fast import classify_lines
from corpus.text.boilerplate.features import Context, line_features
from corpus.text.boilerplate.model import MODEL_FILE, LineModel
from corpus.text.boilerplate.prefilter import candidate_lines
from corpus.text.boilerplate.reference import ROWS, budget
from corpus.text.boilerplate.reference import _rx as row_regex

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"
SOURCES = ("scrapinghub-aeb", "trafilatura-eval", "wcxb")
FURNITURE = {"signup", "terms", "cookie", "share", "follow", "related", "ad"}
MIN_ROW_PAGES = 2
MODEL_PATH = ROOT / "corpus" / "text" / "boilerplate" / "rules" / MODEL_FILE
BENCH = SHARED / "bench" / "base_text.jsonl.zst"
TECHNICAL = ("man", "htmldoc", "usrdoc")
BENCH_WEIGHT = 0.2  # the bench's technical lines weigh, all together, this many times the dev lines


def bench_half(doc_id: str) -> str:
    """ "train" or "held": the half of the bench a document is in (by a hash of its id). The
    technical lines of the "train" half teach the model that manuals are content; the technical
    score (``scripts.eval.technical``) is quoted on the "held" half.

    >>> bench_half("man/ls.1"), bench_half("htmldoc/0001")
    ('held', 'train')
    """
    return "train" if hashlib.sha256(doc_id.encode("utf-8")).digest()[0] % 2 == 0 else "held"


def bench_documents(half: str | None = None, sources: tuple[str, ...] | None = TECHNICAL) -> Iterable[dict]:
    """The bench documents of ``sources`` (None: every source), in one half or both, in file
    order: the one reader of ../shared/bench for the eval, the trainer and the benches.
    Nothing without the file."""
    if not BENCH.exists():
        return
    import zstandard

    with BENCH.open("rb") as f:
        reader = io.TextIOWrapper(zstandard.ZstdDecompressor().stream_reader(f), encoding="utf-8")
        for line in reader:
            row = json.loads(line)
            if (sources is None or row["source"] in sources) and (
                half is None or bench_half(str(row["id"])) == half
            ):
                yield row


def technical_examples(compiled: Compiled) -> list[list[str]]:
    """Features of the cue lines of the "train" half of the bench's technical documents: content."""
    xs = []
    for row in bench_documents("train"):
        text = row["text"]
        low = text.lower()
        if len(low) != len(text):
            continue
        page = Page("bench", str(row["id"]), text, text.split("\n"), low, candidate_lines(low), {})
        xs += [feats for _, feats in page_features(page, compiled)]
    return xs


def norm(s: str) -> str:
    return " ".join(s.split())


@dataclass
class Page:
    """One dev page: its text, lines, cue lines and the labels of its lines (1, 0)."""

    source: str
    id: str
    text: str
    lines: list[str]
    low: str
    candidates: list[tuple[int, int, int]]
    labels: dict[int, int]


def load_pages(source: str) -> tuple[list[Page], list[dict]]:
    """The pages of one source with line labels, and its snippet rows (for the official score)."""
    base = SHARED / "eval"
    rows = [json.loads(x) for x in (base / "boilerplate" / f"{source}.jsonl").open(encoding="utf-8")]
    by_doc: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        by_doc[r["doc_id"]].append(r)
    pages = []
    for line in (base / "extraction" / source / "fulltext.jsonl").open(encoding="utf-8"):
        row = json.loads(line)
        text, doc_id = row["text"], str(row["id"])
        lines = text.split("\n")
        low = text.lower()
        if len(low) != len(text):
            low = "\n".join(x.lower() if len(x.lower()) == len(x) else x for x in lines)
        normed = [norm(x) for x in lines]
        kinds: dict[int, set[str]] = defaultdict(set)
        for r in by_doc.get(doc_id, []):
            for i, n in enumerate(normed):
                if r["text"] in n:
                    kinds[i].add(r["class"] if r["kind"] == "remove" else "content")
        labels = {}
        for i, k in kinds.items():
            if k & FURNITURE and "content" not in k:
                labels[i] = 1
            elif k == {"content"}:
                labels[i] = 0
        pages.append(Page(source, doc_id, text, lines, low, candidate_lines(low), labels))
    return pages, rows


def row_support(data: dict[str, list[Page]]) -> dict[int, set[tuple[str, str]]]:
    """{row index of ``reference.ROWS``: the (source, page) pairs on whose cue lines it fires}."""
    support: dict[int, set[tuple[str, str]]] = defaultdict(set)
    for pages in data.values():
        for p in pages:
            for _, start, end in p.candidates:
                n = norm(p.low[start:end])
                words = n.count(" ") + 1
                for k, row in enumerate(ROWS):
                    if words > budget(row.max_words):
                        continue
                    rx = row_regex(row.pattern)
                    if rx.match(n) if row.anchored else rx.search(n):
                        support[k].add((p.source, p.id))
    return support


def excluded_rows(support: dict[int, set[tuple[str, str]]], train: Iterable[str]) -> frozenset[int]:
    """The rows a fold must not use: dev support, but on fewer than MIN_ROW_PAGES training pages."""
    train = set(train)
    out = set()
    for k, pages in support.items():
        if pages and sum(1 for s, _ in pages if s in train) < MIN_ROW_PAGES:
            out.add(k)
    return frozenset(out)


def ruled_lines(page: Page, compiled: Compiled) -> dict[int, str]:
    return classify_lines(page.low, compiled, 1000, page.candidates)


def page_features(page: Page, compiled: Compiled) -> list[tuple[int, list[str]]]:
    """(line, features) of the cue lines the model would score on ``page`` under ``compiled``
    rules: none unless a rule marks a line (the gate), lines over 1,000 characters left out."""
    ruled = ruled_lines(page, compiled) if page.candidates else {}
    if not ruled:
        return []
    ctx = Context(page.lines, ruled, {i for i, _, _ in page.candidates}, page.text)
    return [(i, line_features(i, ctx)) for i, _, _ in page.candidates if len(page.lines[i]) <= 1000]


def examples(pages: list[Page], compiled: Compiled) -> tuple[list[list[str]], list[int]]:
    """Features and labels of the labelled cue lines of ``pages`` under ``compiled`` rules."""
    xs, ys = [], []
    for p in pages:
        for i, feats in page_features(p, compiled):
            if i in p.labels:
                xs.append(feats)
                ys.append(p.labels[i])
    return xs, ys


def fit(xs: list[list[str]], ys: list[int], weights: list[float], trained_on: str) -> LineModel:
    """A logistic regression (scikit-learn, lbfgs, L2 C=1) over binary features -> LineModel."""
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    vec = DictVectorizer()
    matrix = vec.fit_transform([dict.fromkeys(x, 1) for x in xs])
    clf = LogisticRegression(C=1.0, max_iter=5000, fit_intercept=False)
    clf.fit(matrix, ys, sample_weight=weights)
    weights = {name: float(w) for name, w in zip(vec.get_feature_names_out(), clf.coef_[0], strict=True)}
    return LineModel(
        weights={k: round(v, 4) for k, v in weights.items()}, threshold=0.5, trained_on=trained_on
    )


def load_all() -> dict[str, tuple[list[Page], list[dict]]]:
    return {s: load_pages(s) for s in SOURCES}


def train_model(
    data: dict[str, tuple[list[Page], list[dict]]],
    train: Iterable[str],
    compiled: Compiled,
    technical: list[list[str]] | None = None,
) -> LineModel:
    """Fit on the labelled cue lines of the ``train`` sources (and the bench's technical lines,
    computed under ``compiled`` when not given)."""
    train = list(train)
    xs: list[list[str]] = []
    ys: list[int] = []
    for s in train:
        x, y = examples(data[s][0], compiled)
        xs += x
        ys += y
    weights = [1.0] * len(ys)
    tech = technical_examples(compiled) if technical is None else technical
    if tech:
        each = BENCH_WEIGHT * len(ys) / len(tech)
        xs += tech
        ys += [0] * len(tech)
        weights += [each] * len(tech)
    about = f"labelled cue lines of {', '.join(train)} ({len(ys) - len(tech)} lines)"
    if tech:
        about += f"; {len(tech)} cue lines of the bench's technical documents (train half) as content"
    return fit(xs, ys, weights, trained_on=about)


@dataclass
class Fold:
    """One leave-one-source-out fold: the rules and model fitted without ``held``."""

    held: str
    excluded: frozenset[int]
    compiled: Compiled
    model: LineModel


def loso(data: dict[str, tuple[list[Page], list[dict]]]) -> list[Fold]:
    """For each source: rule rows with enough support elsewhere, and a model fitted elsewhere."""
    support = row_support({s: pages for s, (pages, _) in data.items()})
    folds = []
    for held in SOURCES:
        train = [s for s in SOURCES if s != held]
        excluded = excluded_rows(support, train)
        compiled = compile_rules(DEFAULT_RULES, None, excluded)
        folds.append(Fold(held, excluded, compiled, train_model(data, train, compiled)))
    return folds


def main() -> int:
    if not (SHARED / "eval" / "boilerplate").exists():
        print("../shared/eval/boilerplate is absent: nothing to train on", file=sys.stderr)
        return 1
    data = load_all()
    model = train_model(data, SOURCES, compile_rules(DEFAULT_RULES, None))
    MODEL_PATH.write_text(json.dumps(model.to_dict(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {MODEL_PATH.relative_to(ROOT)}: {len(model.weights)} weights; {model.trained_on}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
