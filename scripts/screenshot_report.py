"""Screenshot a build's report.html in headless Chromium: docs/report.png for the README.

    python -m scripts.screenshot_report                 # builds the shipped sample, writes docs/report.png
    python -m scripts.screenshot_report BUILD_DIR --out shot.png --height 1600

Uses Debian's Chromium (scripts/install_browser.sh installs it) through playwright, with the network
off: the page must draw from its own bytes. The top ``--height`` pixels of the page at 1200 px wide
are kept and the PNG is quantised to 256 colours (a few hundred KB at most).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def find_chromium() -> str | None:
    """Debian's Chromium on PATH, or None."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


def screenshot(report: Path, out: Path, width: int = 1200, height: int = 1600) -> list[str]:
    """Write the top ``height`` px of ``report`` as PNG to ``out``; return the console errors seen."""
    from playwright.sync_api import sync_playwright

    chromium = find_chromium()
    if chromium is None:
        raise SystemExit("no chromium on PATH: run scripts/install_browser.sh (Debian's chromium package)")
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height}, device_scale_factor=1)
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.route(
                "**/*",
                lambda route: route.continue_() if route.request.url.startswith("file:") else route.abort(),
            )
            page.goto(report.resolve().as_uri(), wait_until="load")
            full = page.evaluate("document.documentElement.scrollHeight")
            page.screenshot(path=str(out), clip={"x": 0, "y": 0, "width": width, "height": min(height, full)})
        finally:
            browser.close()
    _shrink(out)
    return errors


def _shrink(png: Path) -> None:
    """Quantise to a 256-colour palette (text and flat charts lose nothing visible)."""
    from PIL import Image

    with Image.open(png) as im:
        small = im.convert("RGB").quantize(
            colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE
        )
    small.save(png, optimize=True)


def build_sample(where: Path) -> Path:
    out = where / "sample"
    subprocess.run(
        [sys.executable, "-m", "corpus.cli", "-q", "build", "configs/sample.yaml", "--output", str(out)],
        cwd=ROOT,
        check=True,
    )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("build_dir", nargs="?", help="a finished build (default: build the shipped sample)")
    parser.add_argument("--out", default=str(ROOT / "docs" / "report.png"))
    parser.add_argument("--height", type=int, default=1600, help="pixels from the top of the page")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        build = Path(args.build_dir) if args.build_dir else build_sample(Path(tmp))
        report = build / "report.html"
        if not report.is_file():
            from corpus.report.html import write_report

            report = write_report(build, Path(tmp) / "report.html")
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        errors = screenshot(report, out, height=args.height)
    print(f"{out}: {out.stat().st_size:,} bytes" + (f"; console errors: {errors}" if errors else ""))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
