"""The `corpus` command as a user meets it: real subprocesses, real files, exit codes, no tracebacks.

Expected conditions (a bad config, a missing input, a full disk, Ctrl-C) end in one line on
stderr and a documented exit code: 0 done, 1 data or system problem, 2 config or input, 130 interrupted.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT

HOSTILE = ROOT / "tests" / "data" / "hostile"
ARTICLE = ROOT / "data" / "sample" / "pompeo-nagorno-karabakh.txt"


def corpus(*args: str, cwd: Path, timeout: float = 120, **kwargs) -> subprocess.CompletedProcess:
    """Run `corpus ARGS` in a fresh interpreter; a hang fails the test instead of the suite."""
    return subprocess.run(
        [sys.executable, "-m", "corpus.cli", *args],
        cwd=cwd,
        capture_output="stdout" not in kwargs,
        text=True,
        timeout=timeout,
        **kwargs,
    )


def no_traceback(run: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in (run.stderr or ""), run.stderr


def jsonl_config(folder: Path, docs: int, *, bad: int = 0, slow: bool = False, **extra) -> Path:
    """A JSONL input of ``docs`` distinct English documents (``bad`` malformed lines) and its config.

    ``slow`` adds language identification (~1,000 docs/s), so a build lasts long enough to interrupt.
    """
    sentences = [s for s in ARTICLE.read_text(encoding="utf-8").split("\n") if len(s) > 80]
    with open(folder / "in.jsonl", "w", encoding="utf-8") as out:
        for i in range(docs):
            text = f"Report {i}: {sentences[i % len(sentences)]} {sentences[(i * 7 + 3) % len(sentences)]}"
            out.write(json.dumps({"id": f"d{i}", "text": text}) + "\n")
            if i < bad:
                out.write('{"id": "broken", "text": \n')
    config = {
        "name": "cli test",
        "input": {"paths": ["in.jsonl"], "format": "jsonl"},
        "stages": [{"fix_encoding": {}}, {"strip_boilerplate": {}}, {"exact_dedup": {}}]
        + ([{"detect_language": {}}] if slow else []),
        "output": {"path": "out"},
        **extra,
    }
    path = folder / "c.yaml"
    path.write_text(json.dumps(config), encoding="utf-8")  # JSON is YAML
    return path


@pytest.mark.parametrize("command", ["validate", "build"])
@pytest.mark.parametrize(
    ("name", "line"), [("config-alias-bomb.yaml", 3), ("config-alias-bomb-hidden.yaml", 8)]
)
def test_yaml_alias_bomb_is_refused_not_expanded(tmp_path, command, name, line):
    """Item 11: the 10-line bomb hung validate, and hidden in reader options passed it and hung build."""
    shutil.copy(HOSTILE / name, tmp_path / name)
    run = corpus(command, name, cwd=tmp_path, timeout=60)
    assert run.returncode == 2
    assert f"corpus: error: {name}:{line}: not valid YAML: YAML aliases (*a) are not allowed" in run.stderr
    no_traceback(run)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("command", ["validate", "build"])
def test_config_not_utf8_names_file_and_byte_offset(tmp_path, command):
    shutil.copy(HOSTILE / "config-latin1.yaml", tmp_path / "c.yaml")
    run = corpus(command, "c.yaml", cwd=tmp_path)
    assert run.returncode == 2
    assert "corpus: error: c.yaml:2: not valid UTF-8 at byte offset 76 (byte 0xe9)" in run.stderr
    no_traceback(run)


@pytest.mark.parametrize(
    "args",
    [
        ["clean", "no/such/file.txt"],
        ["explain", "no/such/file.txt"],
        ["report", "no/such/build"],
        ["verify", "no/such/build"],
        ["validate", "no/such.yaml"],
        ["build", "no/such.yaml"],
        ["build", "missing-input.yaml"],
        ["dedup", "no/such/file.jsonl", "--output", "out"],
        ["publish", "no/such/build", "--to", "out"],
        ["publish", "no/such/build", "--to", "out", "--dry-run"],
    ],
)
def test_every_subcommand_exits_nonzero_on_missing_input(tmp_path, args):
    (tmp_path / "missing-input.yaml").write_text(
        'input: {paths: ["no/such/file.jsonl"]}\nstages: [{exact_dedup: {}}]\noutput: {path: out}\n',
        encoding="utf-8",
    )
    run = corpus(*args, cwd=tmp_path)
    assert run.returncode != 0
    assert "no/such" in run.stderr
    no_traceback(run)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("manifest", ["[]", '{"counts": {}}', '{"counts": {"read": 1}, "languages": 3}'])
def test_report_on_a_file_that_is_not_a_manifest(tmp_path, manifest):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "manifest.json").write_text(manifest, encoding="utf-8")
    run = corpus("report", "b", cwd=tmp_path)
    assert run.returncode == 2
    assert run.stderr.startswith("corpus: error: b/manifest.json: not a build's manifest")
    no_traceback(run)


@pytest.mark.parametrize("command", [["build", "c.yaml"], ["dedup", "in.jsonl", "--output", "out"]])
@pytest.mark.parametrize("value", ["abc", "-1", "1.5"])
def test_bad_workers_value_is_a_usage_error(tmp_path, command, value):
    jsonl_config(tmp_path, 3)
    run = corpus(*command, "--workers", value, cwd=tmp_path)
    assert run.returncode == 2
    assert f"--workers: expected a number >= 0 or 'auto', got '{value}'" in run.stderr
    no_traceback(run)
    assert not (tmp_path / "out").exists()


def test_clean_reports_unreadable_records_and_goes_on(tmp_path):
    (tmp_path / "x.jsonl").write_text(
        '{"id": "a", "text": "First good document."}\n{"id": \n{"id": "b", "text": "Second one."}\n',
        encoding="utf-8",
    )
    run = corpus("clean", "x.jsonl", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines() == ["First good document.", "Second one."]
    assert run.stderr.startswith("skipped x.jsonl:2: ")


@pytest.mark.parametrize("command", ["clean", "explain"])
def test_clean_and_explain_exit_1_when_nothing_could_be_read(tmp_path, command):
    (tmp_path / "x.jsonl").write_text('{"id": \nnot json\n', encoding="utf-8")
    run = corpus(command, "x.jsonl", cwd=tmp_path)
    assert run.returncode == 1
    assert run.stdout == ""
    lines = run.stderr.splitlines()
    assert lines[0].startswith("skipped x.jsonl:1: ") and lines[1].startswith("skipped x.jsonl:2: ")
    assert lines[2] == "corpus: error: x.jsonl: nothing to read (all 2 records were skipped)"


def write_warc(path: Path, *, with_article: bool) -> None:
    """A small crawl: a request record, the sample page (optional) and an image response."""
    from io import BytesIO

    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    page = (ROOT / "data" / "sample" / "pompeo-variant-5-page.html").read_bytes()
    with open(path, "wb") as out:
        warc = WARCWriter(out, gzip=True)

        def record(uri: str, kind: str, body: bytes, headers: StatusAndHeaders) -> None:
            warc.write_record(warc.create_warc_record(uri, kind, payload=BytesIO(body), http_headers=headers))

        url = "https://example.org/news"
        record(url, "request", b"", StatusAndHeaders("GET /news HTTP/1.1", [], is_http_request=True))
        if with_article:
            html = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], "HTTP/1.1")
            record(url, "response", page, html)
        png = StatusAndHeaders("200 OK", [("Content-Type", "image/png")], "HTTP/1.1")
        record("https://example.org/logo.png", "response", b"\x89PNG\r\n", png)


def test_clean_warc_prints_the_page_and_names_what_it_left_out(tmp_path):
    write_warc(tmp_path / "crawl.warc.gz", with_article=True)
    run = corpus("clean", "crawl.warc.gz", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert "Through Secretary of State Mike Pompeo" in run.stdout
    left_out = run.stderr.splitlines()
    assert left_out and all(line.startswith("skipped crawl.warc.gz") for line in left_out), left_out
    assert any("warc_not_text" in line for line in left_out)


def test_explain_warc_with_no_text_exits_1(tmp_path):
    write_warc(tmp_path / "crawl.warc.gz", with_article=False)
    run = corpus("explain", "crawl.warc.gz", cwd=tmp_path)
    assert run.returncode == 1
    assert run.stderr.splitlines()[-1].startswith("corpus: error: crawl.warc.gz: nothing to read (")
    no_traceback(run)


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full (Linux)")
def test_disk_full_is_one_line_not_a_traceback(tmp_path):
    """ENOSPC on stdout: /dev/full is a real device whose every write fails with 'No space left'."""
    with open("/dev/full", "w") as full:
        run = corpus("clean", str(ARTICLE), cwd=tmp_path, stdout=full, stderr=subprocess.PIPE)
    assert run.returncode == 1
    assert run.stderr.strip().splitlines() == ["corpus: error: No space left on device"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_permission_denied_names_the_path(tmp_path):
    config = jsonl_config(tmp_path, 5)
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        run = corpus("build", config.name, "--output", "locked/out", "--workers", "0", cwd=tmp_path)
    finally:
        locked.chmod(0o700)
    assert run.returncode in (1, 2)
    assert "locked" in run.stderr and "ermission denied" in run.stderr
    no_traceback(run)


@pytest.fixture(scope="module")
def index_build(tmp_path_factory) -> Path:
    """A finished `corpus dedup` build, whose near_dedup_index/ a later build can dedup against."""
    folder = tmp_path_factory.mktemp("indexed")
    jsonl_config(folder, 20)
    run = corpus("dedup", "in.jsonl", "--output", "build", "--workers", "0", "--quiet", cwd=folder)
    assert run.returncode == 0, run.stderr
    assert (folder / "build" / "near_dedup_index" / "header.json").is_file()
    return folder / "build"


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        ("header-not-json", "header.json is not a readable index header"),
        ("header-without-ids", "header.json lacks 'ids' or 'params'"),
        ("signatures-missing", "signatures.npy is missing"),
        ("signatures-garbage", "signatures.npy is unreadable"),
    ],
)
def test_malformed_dedup_against_index_is_a_config_error(tmp_path, index_build, damage, message):
    index = tmp_path / "index"
    shutil.copytree(index_build / "near_dedup_index", index)
    if damage == "header-not-json":
        (index / "header.json").write_text('{"format": "near', encoding="utf-8")
    elif damage == "header-without-ids":
        (index / "header.json").write_text('{"format": "x"}', encoding="utf-8")
    elif damage == "signatures-missing":
        (index / "signatures.npy").unlink()
    else:
        (index / "signatures.npy").write_bytes(b"\x93NUMPY garbage")
    jsonl_config(tmp_path, 5)
    for args in (
        ["dedup", "in.jsonl", "--output", "out", "--dedup-against", "index"],
        ["build", "c.yaml", "--dedup-against", "index"],
    ):
        if args[0] == "build":
            config = json.loads((tmp_path / "c.yaml").read_text(encoding="utf-8"))
            config["stages"].append({"near_dedup": {}})
            (tmp_path / "c.yaml").write_text(json.dumps(config), encoding="utf-8")
        run = corpus(*args, "--workers", "0", cwd=tmp_path)
        assert run.returncode == 2, run.stderr
        assert run.stderr.startswith("corpus: error: --dedup-against index: ")
        assert message in run.stderr
        no_traceback(run)
        assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("command", ["build", "dedup"])
def test_quiet_build_prints_only_the_summary(tmp_path, command):
    """--quiet: three quarantined lines are counted in the summary, not printed one by one."""
    config = jsonl_config(tmp_path, 10, bad=3)
    args = [config.name] if command == "build" else ["in.jsonl", "--output", "out"]
    run = corpus(command, *args, "--quiet", "--workers", "0", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert "quarantined 3" in run.stdout
    printed = (run.stdout + run.stderr).splitlines()
    assert not [line for line in printed if line.startswith("quarantined")], printed
    assert run.stderr == ""


def interrupt_build(folder: Path, workers: str) -> tuple[subprocess.CompletedProcess, int]:
    """Start a build, send SIGINT once it has committed two blocks, and collect what it printed;
    and how many blocks were committed when it stopped."""
    config = jsonl_config(folder, 6000, slow=True, block_size="100KB")  # 27 blocks
    work = folder / ".out.work"
    proc = subprocess.Popen(
        [sys.executable, "-m", "corpus.cli", "build", config.name, "--workers", workers],
        cwd=folder,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # As at a terminal: a shell running the suite in the background (`make test &`) hands its
        # children SIGINT ignored, and Python then never raises KeyboardInterrupt.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 120
    while len(list(work.glob("map/block-*.json"))) < 2 and proc.poll() is None:
        assert time.monotonic() < deadline, "no block committed within 120 s"
        time.sleep(0.02)
    assert proc.poll() is None, "the build ended before it could be interrupted; give it more documents"
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=120)
    return subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr), len(
        list(work.glob("map/block-*.json"))
    )


@pytest.mark.parametrize("workers", [pytest.param("0", marks=pytest.mark.slow), "2"])
def test_ctrl_c_stops_cleanly_and_the_same_command_resumes(tmp_path, workers):
    run, committed = interrupt_build(tmp_path, workers)
    assert run.returncode == 130, run.stderr
    no_traceback(run)
    *progress, last = run.stderr.splitlines()
    assert last == "corpus: interrupted; run the same command again to resume from its committed blocks"
    # before it, only the plain progress lines of a build whose stderr is not a terminal
    assert all(line.startswith(("corpus: hash inputs ", "corpus: map ")) for line in progress), progress
    assert not (tmp_path / "out").exists()
    blocks = len(json.loads((tmp_path / ".out.work" / "plan.json").read_text(encoding="ascii"))["blocks"])
    assert 2 <= committed < blocks == 27, "interrupted mid-map: committed blocks kept, the others not done"
    again = corpus("build", "c.yaml", "--workers", workers, "--quiet", cwd=tmp_path, timeout=300)
    assert again.returncode == 0, again.stderr
    assert f"(resumed: {committed} blocks reused)" in again.stdout and "read 6000, kept 6000" in again.stdout
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert len(manifest["shards"]) == blocks
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


@pytest.mark.parametrize("command", ["clean", "explain"])
def test_clean_and_explain_name_a_pattern_that_matches_several_files(tmp_path, fresh_s3fs, capsys, command):
    """They take one FILE: a glob (local or s3://) matching several is refused naming it, not a crash."""
    from corpus.cli import main
    from tests.s3server import SECRET, upload

    for name in ("a.txt", "b.txt"):
        (tmp_path / name).write_text(ARTICLE.read_text(encoding="utf-8"), encoding="utf-8")
    url = f"s3://{fresh_s3fs.bucket}/cli-several"
    upload(tmp_path, url)
    for pattern in (str(tmp_path / "*.txt"), f"{url}/*.txt", f"{url}/"):
        capsys.readouterr()
        assert main([command, pattern]) == 2
        out, err = capsys.readouterr()
        assert out == "" and SECRET not in err
        assert err.startswith(f"corpus: error: {pattern}: matches 2 files (") and "take one file" in err, err
    assert main([command, f"{url}/a.txt"]) == 0  # one object: read as before
    assert ("Pompeo" if command == "clean" else "document 'a.txt'") in capsys.readouterr().out
