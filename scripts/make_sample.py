"""Make the shipped sample corpus (data/sample/) from the seed article.

The seed is a real scraped article (../shared/samples/pompeo-nagorno-karabakh.txt,
copied to data/sample/). The variants are the cases a corpus builder meets:
a mojibake copy (UTF-8 bytes read as Windows-1252, as a misconfigured scraper
does), an exact copy, a lightly edited copy (a near-duplicate), and a copy
whose page furniture differs. Re-running this script gives the same bytes.

    python scripts/make_sample.py
"""

from __future__ import annotations

from pathlib import Path

import ftfy.bad_codecs  # noqa: F401  registers "sloppy-windows-1252"

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
SEED = SAMPLE / "pompeo-nagorno-karabakh.txt"

OTHER_FOOTER = """Share this article

Follow us on Twitter

Subscribe to our newsletter
"""


def variants(article: str) -> dict[str, str]:
    body, sep, _footer = article.partition("Sign up to receive our latest news!")
    assert sep, "seed article changed: footer not found"
    edited = article.replace("this Friday", "on Friday").replace("927 of their troops", "929 of their troops")
    return {
        "pompeo-variant-1-mojibake.txt": article.encode("utf-8").decode("sloppy-windows-1252"),
        "pompeo-variant-2-exact-copy.txt": article,
        "pompeo-variant-3-edited.txt": edited,
        "pompeo-variant-4-other-footer.txt": body + OTHER_FOOTER,
    }


def main() -> None:
    article = SEED.read_text(encoding="utf-8")
    for name, text in variants(article).items():
        (SAMPLE / name).write_text(text, encoding="utf-8", newline="")
        print(f"wrote data/sample/{name} ({len(text)} chars)")


if __name__ == "__main__":
    main()
