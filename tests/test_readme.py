"""The README's examples run as written and print what the README says they print.

The ```python blocks run as one script; its output must equal what the block's comments promise:
``print(...)  # X`` promises the line X, and the comment lines after a ``# prints ...:`` header
promise those lines. The ```sh block of "## Command line" runs line by line, each one as written.
Both run in a temporary folder holding a copy of configs/ and data/, as a fresh clone would.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")

# Lines of the Command line section that need what a test machine lacks, and why.
NEEDS = {"--engine ray": "needs a Ray cluster (HOST is a placeholder)", "--repo-id": "needs a HF token"}

# What each subcommand prints when it worked.
SENSIBLE = {
    "build": r"^built build/sample",
    "clean": r"Secretary of State",
    "explain": r"^result: kept",
    "dedup": r"^built build/sample-dedup",
    "report": r"languages: ",
    "verify": r"ok, every shard",
    "validate": r"valid; stages: fix_encoding",
    "stages": r"^near_dedup: ",
}


def section(title: str) -> str:
    start = README.index(f"\n## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start : end if end > 0 else None]


def blocks(text: str, lang: str) -> list[str]:
    return re.findall(rf"^```{lang}\n(.*?)^```$", text, flags=re.S | re.M)


def promised_output(code: str) -> list[str]:
    """The lines the comments of a python block say it prints, in order."""
    out: list[str] = []
    state = ""  # "header" inside a "# prints ...:" comment, "listing" in the lines after it
    for line in code.splitlines():
        comment = line.strip().startswith("#")
        text = line.strip()[2:]
        if state == "listing" and comment:
            out.append(text)
            continue
        if state == "header" and comment:
            state = "listing" if text.endswith(":") else "header"
            continue
        state = ""
        if comment and text.startswith("prints"):
            state = "listing" if text.endswith(":") else "header"
            continue
        match = re.match(r"\s*print\(.*\)\s+# (.*)$", line)
        if match:
            out.append(match.group(1))
    return out


@pytest.fixture
def clone(tmp_path: Path) -> Path:
    """A working directory like a fresh clone's: configs/ and data/, no build/."""
    shutil.copytree(ROOT / "configs", tmp_path / "configs")
    shutil.copytree(ROOT / "data", tmp_path / "data")
    return tmp_path


def test_python_example_prints_what_the_readme_says(clone):
    code = "\n".join(blocks(section("Python"), "python"))
    assert "clean.run(docs)" in code
    script = clone / "example.py"
    script.write_text(code, encoding="utf-8")
    run = subprocess.run(
        [sys.executable, str(script)], cwd=clone, capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr
    promised = promised_output(code)
    assert run.stdout.strip(), "the example prints nothing"
    assert any(line.startswith("1 en") for line in promised), "the README no longer says what run() keeps"
    assert run.stdout.splitlines() == promised
    assert (clone / "build" / "sample" / "manifest.json").is_file()


def test_promised_output_reads_headers_and_inline_comments():
    code = "print(1)  # 1\nfor x in y:\n    print(x)\n# prints (why,\n# more why):\n# a\n# b\n\nz = 1\n"
    assert promised_output(code) == ["1", "a", "b"]


def command_lines() -> list[str]:
    (block,) = blocks(section("Command line"), "sh")
    lines = [line.split("#", 1)[0].strip() for line in block.splitlines()]
    return [line for line in lines if line]


def test_command_line_examples_run_as_written(clone):
    ran = set()
    for line in command_lines():
        skip = [why for marker, why in NEEDS.items() if marker in line]
        if skip:
            continue  # see NEEDS for why
        argv = shlex.split(line)
        assert argv[0] == "corpus", line
        run = subprocess.run(
            [sys.executable, "-m", "corpus.cli", *argv[1:]],
            cwd=clone,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert run.returncode == 0, f"{line}: exit {run.returncode}\n{run.stderr}"
        assert "Traceback" not in run.stderr, line
        assert re.search(SENSIBLE[argv[1]], run.stdout, flags=re.M), f"{line} printed:\n{run.stdout}"
        ran.add(argv[1])
    assert ran == set(SENSIBLE), f"the README no longer shows {sorted(set(SENSIBLE) - ran)}"
