"""Make the shipped sample corpus (data/sample/) from the seed article.

The seed is a real scraped article (../shared/samples/pompeo-nagorno-karabakh.txt,
copied to data/sample/). The variants are the cases a corpus builder meets:
a mojibake copy (UTF-8 bytes read as Windows-1252, as a misconfigured scraper
does), an exact copy, a lightly edited copy (a near-duplicate), a copy
whose page furniture differs, and the article as an HTML page (a second input
format) with a site's menus, cookie banner and footer around it. Re-running this script gives the same bytes.

    python scripts/make_sample.py
"""

from __future__ import annotations

import html
from pathlib import Path

import ftfy.bad_codecs  # noqa: F401  registers "sloppy-windows-1252"

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
SEED = SAMPLE / "pompeo-nagorno-karabakh.txt"

PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Pompeo meets Armenian and Azerbaijani ministers | Example News</title>
  <meta name="author" content="Example News Staff">
  <meta property="og:site_name" content="Example News">
  <link rel="canonical" href="https://news.example.org/world/pompeo-nagorno-karabakh">
  <meta property="article:published_time" content="2020-10-23T18:00:00Z">
</head>
<body>
  <div class="cookie-banner">We use cookies to improve your experience.
    <a href="/privacy">Accept all cookies</a></div>
  <header><nav><ul><li><a href="/world">World</a></li><li><a href="/politics">Politics</a></li>
    <li><a href="/subscribe">Subscribe</a></li></ul></nav></header>
  <main><article>
    <h1>Pompeo meets Armenian and Azerbaijani ministers</h1>
    <div class="share">Share on Facebook | Share on Twitter</div>
{paragraphs}
  </article>
  <aside class="related"><h2>Related stories</h2>
    <ul><li><a href="/world/minsk-group">What is the Minsk Group?</a></li></ul></aside>
  </main>
  <footer><p>&copy; 2020 Example News. All rights reserved.</p><a href="/terms">Terms of use</a></footer>
</body>
</html>
"""

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
        "pompeo-variant-5-page.html": PAGE.replace("{paragraphs}", paragraphs_html(article)),
    }


def paragraphs_html(article: str) -> str:
    """The article's paragraphs as <p> elements, escaped, as a CMS would publish them."""
    paras = [p.strip() for p in article.split("\n\n") if p.strip()]
    return "\n".join(f"    <p>{html.escape(p, quote=False)}</p>" for p in paras)


def main() -> None:
    article = SEED.read_text(encoding="utf-8")
    for name, text in variants(article).items():
        (SAMPLE / name).write_text(text, encoding="utf-8", newline="")
        print(f"wrote data/sample/{name} ({len(text)} chars)")


if __name__ == "__main__":
    main()
