"""Hostile inputs against the readers (issue 13): every record before damage is kept, damage is
quarantined at the finest grain, values JSON can carry never crash a reader, unreadable inputs are
build errors, and nothing a reader yields names a path of the building machine.

Real files on a real filesystem; hand-made nasty files live in tests/data/hostile/ (see its README).
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from corpus.document import Document
from corpus.errors import BuildError
from corpus.io.readers import InputFile, Quarantined, Skipped, expand_inputs, read_input

HOSTILE = Path(__file__).parent / "data" / "hostile"


def read(path: Path | str, **config) -> list:
    items = []
    for f in expand_inputs([str(path)]):
        items += list(read_input(f, {"format": "auto", **config}))
    return items


def split(items: list) -> tuple[list[Document], list[Quarantined], list[Skipped]]:
    docs = [i for i in items if isinstance(i, Document)]
    bad = [i for i in items if isinstance(i, Quarantined)]
    skipped = [i for i in items if isinstance(i, Skipped)]
    assert len(docs) + len(bad) + len(skipped) == len(items)
    return docs, bad, skipped


@pytest.fixture
def alarm():
    """Fail instead of hanging forever when a reader blocks (a FIFO, /dev/zero)."""

    def boom(*_):
        raise TimeoutError("the reader hung")

    old = signal.signal(signal.SIGALRM, boom)
    signal.alarm(10)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


# --- item 8: unreadable, missing and special inputs --------------------------------------------


def test_a_missing_input_is_a_build_error_naming_it(tmp_path):
    with pytest.raises(BuildError, match=r"absent.jsonl"):
        expand_inputs([str(tmp_path / "absent.jsonl")])


def test_a_dangling_symlink_is_a_build_error_given_or_found_in_a_folder(tmp_path):
    (tmp_path / "ok.txt").write_text("fine", encoding="utf-8")
    (tmp_path / "gone.txt").symlink_to(tmp_path / "nowhere.txt")
    with pytest.raises(BuildError, match=r"gone.txt: dangling symbolic link"):
        expand_inputs([str(tmp_path / "gone.txt")])
    with pytest.raises(BuildError, match=r"gone.txt: dangling symbolic link"):
        expand_inputs([str(tmp_path)])
    with pytest.raises(BuildError, match=r"gone.txt: dangling symbolic link"):
        expand_inputs([str(tmp_path / "*.txt")])


@pytest.mark.parametrize("kind", ["fifo", "dev-zero-link", "dev-null"])
def test_special_files_are_refused_before_reading(tmp_path, alarm, kind):
    if kind == "fifo":
        path = tmp_path / "pipe.jsonl"
        os.mkfifo(path)
    elif kind == "dev-zero-link":
        path = tmp_path / "zero.txt"
        path.symlink_to("/dev/zero")
    else:
        path = Path("/dev/null")
    with pytest.raises(BuildError, match="not a regular file"):
        expand_inputs([str(path)])
    if kind != "dev-null":
        with pytest.raises(BuildError, match="not a regular file"):
            expand_inputs([str(tmp_path)])


def test_a_symlink_loop_is_followed_once_and_each_file_read_once(tmp_path):
    root = tmp_path / "in"
    (root / "sub").mkdir(parents=True)
    (root / "sub" / "a.txt").write_text("alpha", encoding="utf-8")
    (root / "b.txt").write_text("beta", encoding="utf-8")
    (root / "sub" / "loop").symlink_to(root)  # in/sub/loop -> in
    (root / "self").symlink_to(".")  # in/self -> in
    for pattern in (root, root / "**" / "*.txt"):
        files = expand_inputs([str(pattern)])
        assert sorted(f.path.rsplit("/in/", 1)[1] for f in files) == ["b.txt", "sub/a.txt"]


def test_a_file_gone_between_listing_and_reading_is_a_build_error(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_text('{"text": "hi"}\n', encoding="utf-8")
    (f,) = expand_inputs([str(path)])
    path.unlink()
    with pytest.raises(BuildError, match=r"x.jsonl"):
        list(read_input(f, {}))


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a chmod 000 file anyway: nothing to test")
def test_permission_denied_is_a_build_error(tmp_path):
    (tmp_path / "sub").mkdir()
    secret = tmp_path / "secret.txt"
    secret.write_text("x", encoding="utf-8")
    secret.chmod(0)
    with pytest.raises(BuildError, match=r"secret.txt"):
        expand_inputs([str(secret)])
    secret.chmod(0o644)
    (tmp_path / "sub" / "a.txt").write_text("x", encoding="utf-8")
    (tmp_path / "sub").chmod(0)
    try:
        with pytest.raises(BuildError, match="sub"):
            expand_inputs([str(tmp_path)])
    finally:
        (tmp_path / "sub").chmod(0o755)


def test_an_absolute_input_is_recorded_relative_and_a_relative_one_as_written(tmp_path, monkeypatch):
    (tmp_path / "data").mkdir()
    page = tmp_path / "data" / "page.html"
    body = "A real sentence here. " * 20
    page.write_text(f"<html><body><article><p>{body}</p></article></body></html>", encoding="utf-8")
    (tmp_path / "data" / "d.jsonl").write_text('{"text": "hello"}\n', encoding="utf-8")
    (f,) = expand_inputs([str(page)], relative_to=str(tmp_path))
    assert f.path == page.as_posix() and f.name == "data/page.html"
    (doc,) = read_input(f, {})
    assert doc.source == "data/page.html"
    monkeypatch.chdir(tmp_path)
    (f,) = expand_inputs(["./data//d.jsonl"])
    assert f.name == "data/d.jsonl"
    (doc,) = read_input(f, {})
    assert doc.source == "data/d.jsonl"
    assert InputFile(path="x.txt", id_prefix="x").name == "x.txt"
