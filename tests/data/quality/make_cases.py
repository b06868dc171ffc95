"""Record datatrove 0.10.1's verdicts on the quality golden cases (tests/data/quality/cases.jsonl).

Runs in the bench environment, never in the tests (datatrove and spaCy are not dependencies of corpus):

    build/bench-venv/bin/python tests/data/quality/make_cases.py

Every case is real text: a whole short document or a run of lines from the bench corpus
(``../shared/bench/base_text.jsonl.zst``, its ``id`` in ``origin``), the sample article
(``../shared/samples``), plus the empty and a blank text. For each case the four filters, built with
their default arguments as ``scripts/bench/filters_peer.py`` builds them, give "keep" or their reason;
``datatrove_words`` is how many words datatrove's English word splitter (spaCy) finds.

Cases where our stages disagree with datatrove carry ``known_difference`` (why) and ``ours`` (what our
stage with ``language="en"`` says instead); tests/text/test_quality.py checks both.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
SHARED = ROOT.parent / "shared"
BENCH = SHARED / "bench" / "base_text.jsonl.zst"
SAMPLE = SHARED / "samples" / "pompeo-nagorno-karabakh.txt"

# (name, source, lines, what it exercises). source is a bench id, "sample" or "" (no text);
# lines (start, end) takes those lines of the document (0-based, end excluded), None the whole of it.
LO = "htmldoc/usr/share/libreoffice/help/"
CASES = [
    # --- gopher_quality, rule by rule and around its thresholds
    ("sample_article", "sample", None, "a clean news article: every filter keeps it"),
    ("short_doc_49_words", LO + "es/text/shared/01/05340600.html", None, "49 words by our count, '•' lines"),
    (
        "exactly_50_words",
        LO + "en-US/text/shared/01/05120100.html",
        None,
        "50 words: not below min_doc_words",
    ),
    ("short_mean_word_man", "man/man3/rewinddir.3.gz", None, "C prototypes: mean word length < 3"),
    ("long_mean_word_ja_web", "web/tests/eval/nhk.or.jp.k100.html", None, "Japanese page, unsegmented runs"),
    (
        "long_mean_word_ja_doc",
        "htmldoc/usr/share/doc/apache2-doc/manual/ja/server-wide.html",
        None,
        "ja, '─'",
    ),
    ("hashes_rst", "usrdoc/python3.11/html/_sources/whatsnew/index.rst.txt", None, "'####' rst rules"),
    ("hashes_markdown_ok", "usrdoc/psmisc/README.md", None, "markdown '#' headings below 0.1 per word"),
    ("hash_tokens_basic", LO + "en-US/text/sbasic/shared/03030110.html", None, "'#y', '#m' in Basic code"),
    ("ellipsis_obteniendo", "web/tests/eval/soy502.com-capturan.html", (183, 210), "'Obteniendo...' lines"),
    ("end_ellipsis_teasers", "web/tests/cache/otto.de.twoforfashion.html", (98, 101), "teasers ending '...'"),
    ("end_ellipsis_press", "web/tests/eval/iwr.de.IWR-Pressedienst.html", (293, 298), "press list, '...'"),
    ("bullet_lines", "usrdoc/adwaita-icon-theme/NEWS.gz", (117, 126), "every line a '-' item"),
    ("few_alpha_words", LO + "en-US/text/simpress/02/13060000.html", None, "menu labels and symbols"),
    ("alpha_ratio_at_0_8_de", LO + "de/text/shared/01/05110500.html", None, "alpha ratio 0.8, '•' tokens"),
    (
        "alpha_ratio_at_0_8_man",
        "man/man1/gcloud_alpha_notebooks_locations.1.gz",
        None,
        "alpha 0.8: not below",
    ),
    ("one_stop_word", LO + "en-US/text/sbasic/shared/03120312.html", None, "only 'the' of the stop words"),
    ("two_stop_words_pl", "man/pl/man5/dpkg.cfg.5.gz", None, "Polish man page, two English stop words"),
    # --- gopher_repetition
    ("dup_para_index", "htmldoc/usr/share/debian-reference/index.html", None, "repeated paragraphs"),
    (
        "dup_para_web",
        "web/tests/eval/security.googleblog.com.protection.html",
        None,
        "blog page, share buttons",
    ),
    (
        "dup_para_0_30_de",
        "web/tests/eval/spdfraktion.de-Vizepräsidentin.html",
        None,
        "German page, 0.30 paras",
    ),
    (
        "dup_para_chars",
        "htmldoc/usr/share/doc/postgresql-doc-15/html/hash-index.html",
        None,
        "short, one para twice",
    ),
    ("dup_line_frac", "htmldoc/usr/share/doc/postgresql-doc-15/html/color.html", None, "repeated nav lines"),
    ("dup_line_just_below", "usrdoc/libexpat1-dev/TODO.Debian", None, "0.29 repeated lines, '-' bullets"),
    ("dup_line_chars", "usrdoc/git-doc/technical/api-index-skel.txt", None, "a skeleton with repeated lines"),
    ("dup_line_chars_jit", "htmldoc/usr/share/doc/postgresql-doc-15/html/jit.html", None, "nav lines twice"),
    ("top_2_gram", "usrdoc/python3.11/html/_sources/c-api/objimpl.rst.txt", None, "rst toctree"),
    ("top_2_gram_just_below", LO + "de/text/swriter/02/03220000.html", None, "top 2-gram 0.198"),
    ("top_3_gram", LO + "en-US/text/simpress/02/13100000.html", None, "a short help page"),
    ("top_4_gram", "htmldoc/usr/share/doc/git-doc/technical/api-index.html", None, "a short index"),
    ("dup_5_gram", LO + "en-US/text/scalc/01/ODFF.html", None, "repeated phrase"),
    ("dup_5_gram_at_0_15", "man/man1/gcloud_container_images_add-tag.1.gz", None, "--foo-bar options, 0.15"),
    ("dup_5_gram_below", "man/man1/gcloud_beta_deployment-manager_deployments_delete.1.gz", None, "0.1498"),
    ("dup_6_gram", "man/man8/systemd-environment-d-generator.8.gz", None, "systemd man page"),
    ("dup_7_gram", LO + "en-US/text/swriter/guide/table_delete.html", None, "help page"),
    ("dup_8_gram", "man/man1/gcloud_service-extensions_lb-route-extensions.1.gz", None, "gcloud group page"),
    ("dup_9_gram", LO + "es/text/shared/autopi/01040100.html", None, "Spanish help page"),
    ("dup_10_gram", "man/man1/gcloud_beta_iam_policies.1.gz", None, "gcloud group page"),
    ("dup_10_gram_at_0_10", LO + "en-US/text/shared/01/06010500.html", None, "0.10 exactly: kept"),
    # --- c4_quality
    ("curly_bracket", LO + "fr/text/smath/01/03090908.html", None, "Math help with '{'"),
    ("four_sentences", LO + "en-US/text/shared/05/err_html.html", None, "4 sentences in kept lines"),
    ("five_sentences", LO + "de/text/shared/01/06050400.html", None, "5 sentences: enough"),
    ("lorem_ipsum", "usrdoc/python3-pip/html/development/conventions.rst", None, "'Lorem ipsum' example"),
    ("javascript_lines", LO + "en-US/text/shared/02/01170700.html", None, "lines mentioning JavaScript"),
    ("policy_lines_web", "web/tests/eval/jamaicaobserver.com-attacks.html", None, "news page, policy links"),
    # --- fineweb_quality
    (
        "line_punct_just_below",
        "htmldoc/usr/share/doc/apache2-doc/manual/ja/mod/mod_authz_user.html",
        None,
        "0.119",
    ),
    ("line_punct_at_0_12", "usrdoc/libtasn1-6/THANKS", None, "0.12: not below"),
    (
        "short_lines_at_2_3",
        "htmldoc/usr/share/doc/debian-handbook/html/vi-VN/sect.why-debian-stable.html",
        None,
        "",
    ),
    ("short_lines_above", "web/tests/cache/denkanstoos.com.2012.html", None, "0.671 short lines"),
    ("char_dup_just_below", LO + "es/text/sbasic/shared/03010201.html", None, "0.0099"),
    (
        "char_dup_just_above",
        "htmldoc/usr/share/doc/debian-handbook/html/fr-FR/sect.office-suites.html",
        None,
        "",
    ),
    ("newlines_at_0_3", "man/man3/Memoize::Storable.3perl.gz", None, "0.3 newlines per word: not above"),
    ("newlines_just_below", "man/man1/gcloud_beta_logging_buckets_undelete.1.gz", None, "0.2997"),
    ("newlines_above", LO + "es/text/shared/02/02040000.html", None, "a list"),
    # --- tokenization edge cases
    ("contractions_web", "web/tests/eval/wiki.python.org.Download.html", (0, 40), "don't, isn't"),
    (
        "dash_options",
        "man/man1/gcloud_alpha_sql_ssl_client-certs_delete.1.gz",
        None,
        "--flags-file, --access-token",
    ),
    ("hyphenated_words", "man/man1/gcloud_alpha_domains_registrations.1.gz", None, "get-register-parameters"),
    (
        "bullets_options",
        "man/man1/gcloud_beta_source-manager_repos_delete.1.gz",
        None,
        "'•' items, --foo=BAR",
    ),
    ("man_refs", "man/man3/MB_CUR_MAX.3.gz", None, "mblen(3), wcstombs(3)."),
    ("ls_1_french", "man/fr/man1/namei.1.gz", (30, 60), "'ls(1).', guillemets, no-break spaces"),
    ("emoticon_credits", "htmldoc/usr/share/doc/linux-doc-6.1/html/isdn/credits.html", (225, 265), "';)'"),
    ("paren_colon_runs", "usrdoc/git/RelNotes/2.39.5.txt", None, "'(CVE-...):' runs"),
    ("ellipsis_char_de", "man/de/man1/recset.1.gz", (0, 50), "'…' in synopsis and text"),
    ("ellipsis_code", "man/man3/PerlIO::scalar.3perl.gz", None, "'...' alone on a code line"),
    ("urls", "man/man1/pathchk.1.gz", None, "<https://...>. URLs"),
    # --- Chinese and Japanese
    ("zh_short", "htmldoc/usr/share/doc/debian-handbook/html/zh-CN/derivative-distributions.html", None, ""),
    (
        "zh_kernel_doc",
        "htmldoc/usr/share/doc/linux-doc-6.1/html/translations/zh_CN/infiniband/tag_matching.html",
        None,
        "",
    ),
    (
        "zh_handbook",
        "htmldoc/usr/share/doc/debian-handbook/html/zh-CN/sect.main-desktop-tools.html",
        None,
        "",
    ),
    ("ja_man", "man/ja/man1/which.debianutils.1.gz", None, "Japanese man page"),
    (
        "ja_handbook",
        "htmldoc/usr/share/doc/debian-handbook/html/ja-JP/sect.role-of-distributions.html",
        None,
        "",
    ),
    # --- no text
    ("empty", "", None, "the empty text"),
    ("blank", "", None, "whitespace only"),
]
BLANK = " \n\n\t\n  "

# Where our stages (language="en") and datatrove disagree: why, and what ours says instead
# (a verdict per filter, in our rule names, or "words": our word count).
SYMBOLS = (
    "datatrove counts a token as a word unless every character is in its PUNCTUATION_SET (ASCII and "
    "some CJK punctuation); ours drops every token of Unicode categories P, S, C or Z, so '•', '─', "
    "'│', '¶' and emoji are words there and not here"
)
# (The symbol-set difference, SYMBOLS, is gone: corpus.text.words now counts datatrove's list as
# punctuation; and ratios divide as datatrove does, so an alpha ratio of exactly 0.8 passes.)
KNOWN = {
    "lorem_ipsum": (
        "spaCy splits a run of 9 apostrophes (an rst heading underline) into '' ' ' '' '' ' (6 tokens); "
        "ours gives '' '' '' '' ' (5): 543 words against 544, the verdicts agree",
        {"words": 543},
    ),
}


def load_texts(ids: set[str]) -> dict[str, str]:
    import zstandard

    found: dict[str, str] = {}
    with BENCH.open("rb") as f:
        stream = zstandard.ZstdDecompressor().stream_reader(f)
        buffer = b""
        while len(found) < len(ids):
            chunk = stream.read(1 << 20)
            if not chunk:
                break
            buffer += chunk
            *lines, buffer = buffer.split(b"\n")
            for line in lines:
                row = json.loads(line)
                if row["id"] in ids:
                    found.setdefault(row["id"], row["text"])
    missing = ids - set(found)
    if missing:
        raise SystemExit(f"not in {BENCH}: {sorted(missing)}")
    return found


def main() -> int:
    sys.path.insert(0, str(ROOT))
    from datatrove.data import Document
    from datatrove.utils.text import split_into_words

    from scripts.bench.filters_peer import FILTERS, build

    filters = build()
    texts = load_texts({src for _, src, _, _ in CASES if src not in ("", "sample")})
    names = set()
    out = []
    for name, src, lines, note in CASES:
        assert name not in names, name
        names.add(name)
        if src == "sample":
            text, origin = SAMPLE.read_text(encoding="utf-8"), "../shared/samples/pompeo-nagorno-karabakh.txt"
        elif not src:
            text, origin = ("" if name == "empty" else BLANK), "none (no text)"
        else:
            text, origin = texts[src], f"../shared/bench/base_text.jsonl.zst id={src}"
            if lines is not None:
                text = "\n".join(text.splitlines()[lines[0] : lines[1]])
                origin += f" lines {lines[0]}-{lines[1]}"
        verdicts = {}
        for flt_name in FILTERS:
            verdict = filters[flt_name].filter(Document(text=text, id=name))
            verdicts[flt_name] = verdict[1] if isinstance(verdict, tuple) else ("keep" if verdict else "drop")
        case = {"name": name, "origin": origin, "note": note, "text": text, "datatrove": verdicts}
        case["datatrove_words"] = len(split_into_words(text)) if text.strip() else 0
        if name in KNOWN:
            case["known_difference"], case["ours"] = KNOWN[name]
        out.append(case)
    path = HERE / "cases.jsonl"
    with path.open("w", encoding="utf-8") as f:
        for case in out:
            f.write(json.dumps(case, ensure_ascii=False) + "\n")
    print(f"{len(out)} cases -> {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
