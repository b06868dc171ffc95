"""Issue 19, part 4: third-party stages registered through entry points (group ``corpus.stages``).

The example plugin is a real package, tests/plugins/corpus-plugin-example (``straighten_quotes``),
with the ``.dist-info`` folder pip would write for it: putting its folder on sys.path (and on
PYTHONPATH, for worker processes and subprocesses) makes importlib.metadata find its entry point,
as if it were installed, without installing anything into the venv. Other packages (a broken one,
one shadowing a built-in) are ``.dist-info`` folders the tests write into tmp_path.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

import corpus
from corpus import Pipeline, stages
from corpus.cli import main
from corpus.config import load_yaml
from corpus.errors import ConfigError
from corpus.stages import plugins
from tests.conftest import ROOT

PLUGIN = ROOT / "tests" / "plugins" / "corpus-plugin-example"
SAMPLE = ROOT / "data" / "sample"
DOUBLE, SINGLE = "“”„‟″〝〞", "‘’‚‛′"  # what straighten_quotes replaces (corpus_plugin_example.stages)


@pytest.fixture
def on_path(monkeypatch) -> Iterator[callable]:
    """``on_path(folder)``: the folder on sys.path and PYTHONPATH, the entry points read again;
    taken away (and read again) after the test, so the registry is as it was."""

    def put(folder: Path) -> None:
        monkeypatch.syspath_prepend(str(folder))
        monkeypatch.setenv(
            "PYTHONPATH", os.pathsep.join(filter(None, [str(folder), os.environ.get("PYTHONPATH")]))
        )
        plugins.forget()

    yield put
    monkeypatch.undo()
    for name in [
        m for m in sys.modules if m.split(".")[0] in ("corpus_plugin_example", "corpus_plugin_missing")
    ]:
        del sys.modules[name]
    plugins.forget()


@pytest.fixture
def example(on_path) -> None:
    """The example plugin, as if pip had installed it."""
    on_path(PLUGIN)


def package(where: Path, name: str, version: str, entry_points: dict[str, str]) -> Path:
    """A package's ``.dist-info`` folder as pip writes it: METADATA and entry_points.txt."""
    info = where / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    lines = "".join(f"{k} = {v}\n" for k, v in entry_points.items())
    (info / "entry_points.txt").write_text(f"[corpus.stages]\n{lines}")
    return where


def sample_config(tmp_path: Path, output: str = "out", **stage: dict) -> Path:
    """configs/sample.yaml with ``stage`` after fix_encoding, reading data/sample/ in place (its
    paths relative to tmp_path, where a build of it starts)."""
    config = load_yaml(ROOT / "configs" / "sample.yaml")
    config["input"]["paths"] = [
        os.path.relpath(SAMPLE, tmp_path) + "/*.txt",
        os.path.relpath(SAMPLE, tmp_path) + "/*.html",
    ]
    config["stages"][1:1] = [{name: options} for name, options in stage.items()]
    config["output"] = {"path": output}
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def test_corpus_stages_lists_the_plugin_with_its_options(example, capsys):
    assert main(["stages"]) == 0
    out = capsys.readouterr().out.splitlines()
    at = out.index(
        "straighten_quotes: Replace curly quotes with straight ones (“ ” „ with \", ‘ ’ ‚ with '). "
        "(plugin from corpus-plugin-example 0.1)"
    )
    assert out[at + 1 : at + 3] == [
        '    double: true or false (default true). straighten double quotes (“ ” „) to "',
        "    single: true or false (default true). straighten single quotes and apostrophes (‘ ’ ‚) to '",
    ]
    assert "fix_encoding" in stages.available() and stages.origin("fix_encoding") is None
    assert stages.origin("straighten_quotes") == "corpus-plugin-example 0.1"


def test_plugin_options_are_checked_as_built_in_ones_are(example, tmp_path):
    for options, message in [
        (
            {"double": "yes"},
            "stages[1].straighten_quotes.double: expected true or false; got 'yes' (a string)",
        ),
        (
            {"curly": True},
            "stages[1].straighten_quotes: unknown option 'curly'; expected one of: double, single",
        ),
        (
            {"double": False, "single": False},
            "stages[1].straighten_quotes: double and single are both false; nothing to straighten",
        ),
    ]:
        config = sample_config(tmp_path, straighten_quotes=options)
        with pytest.raises(ConfigError) as err:
            Pipeline.from_yaml(config)
        assert str(err.value) == f"{config}: {message}"


def input_quotes() -> tuple[int, int]:
    """Curly double and single quotes in the sample's documents as fix_encoding leaves them."""
    fix = stages.build("fix_encoding")
    docs = [d for f in sorted(SAMPLE.iterdir()) for d in corpus.read(str(f))]
    texts = [fix.apply(d).doc.text for d in docs]
    assert len(texts) == 6
    return sum(t.count(c) for t in texts for c in DOUBLE), sum(t.count(c) for t in texts for c in SINGLE)


def test_sample_with_the_plugin_builds_the_same_on_0_and_2_workers(example, tmp_path, monkeypatch):
    """Worker processes are spawned; they import the plugin's module as they import corpus's."""
    monkeypatch.chdir(tmp_path)
    config = sample_config(tmp_path, straighten_quotes={})
    builds = {}
    for workers in (0, 2):
        out = tmp_path / f"w{workers}"
        result = Pipeline.from_yaml(config).build(output=out, workers=workers, progress=False)
        shards = {s["path"]: (out / s["path"]).read_bytes() for s in result.manifest["shards"]}
        builds[workers] = (shards, (out / "dropped.jsonl").read_bytes(), result.manifest)
    (shards, dropped, manifest), (shards2, dropped2, manifest2) = builds[0], builds[2]
    assert shards == shards2 and dropped == dropped2
    assert manifest["counts"] == manifest2["counts"] and manifest["stages"] == manifest2["stages"]
    double, single = input_quotes()
    assert double and single
    assert manifest["stages"]["straighten_quotes"] == {
        "docs_changed": 6,
        "docs_in": 6,
        "docs_out": 6,
        "replaced.double": double,
        "replaced.single": single,
    }
    assert manifest["config"]["stages"][1] == {"straighten_quotes": {}}
    assert manifest["dependencies"]["corpus-plugin-example"] == "0.1"  # the build records what it ran

    import pyarrow.parquet as pq

    (path,) = shards
    (row,) = pq.read_table(tmp_path / "w0" / path).to_pylist()
    assert row["id"] == "pompeo-nagorno-karabakh" and manifest["counts"]["kept"] == 1
    assert not any(c in row["text"] for c in DOUBLE + SINGLE)
    assert '"Both must implement a ceasefire and return to substantive negotiations."' in row["text"]


@pytest.mark.slow
def test_the_plugin_runs_on_ray_workers(example, tmp_path, monkeypatch):
    """`corpus build --engine ray` in a fresh process (its own local Ray, 2 CPUs): the Ray workers
    import the plugin through PYTHONPATH, as they would where it is installed; the same shard bytes
    as the local engine. (~30 s, most of it Ray starting.)"""
    pytest.importorskip("ray", reason="engine ray needs the ray extra: pip install corpus[ray]")
    monkeypatch.chdir(tmp_path)
    config = sample_config(tmp_path, straighten_quotes={})
    env = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"}
    cmd = [sys.executable, "-m", "corpus.cli", "build", str(config), "--workers", "2", "--engine"]
    run = subprocess.run([*cmd, "ray"], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    ray_out = tmp_path / "out"
    ray_manifest = json.loads((ray_out / "manifest.json").read_text())
    local = Pipeline.from_yaml(config).build(output=tmp_path / "local", workers=0, progress=False)
    assert ray_manifest["stages"]["straighten_quotes"] == local.manifest["stages"]["straighten_quotes"]
    assert ray_manifest["counts"] == local.manifest["counts"]
    for shard in local.manifest["shards"]:
        assert (ray_out / shard["path"]).read_bytes() == (tmp_path / "local" / shard["path"]).read_bytes()


@pytest.mark.slow
def test_ray_workers_that_cannot_import_the_plugin_fail_in_one_line(tmp_path):
    """The driver has the plugin on sys.path, the Ray workers do not (no PYTHONPATH): one error
    line naming the stage and its module, before any block is mapped; no Ray traceback."""
    pytest.importorskip("ray", reason="engine ray needs the ray extra: pip install corpus[ray]")
    config = sample_config(tmp_path, straighten_quotes={})
    env = {k: v for k, v in os.environ.items() if k not in ("RAY_ADDRESS", "PYTHONPATH")}
    script = (
        f"import sys; sys.path.insert(0, {str(PLUGIN)!r}); from corpus.cli import main; "
        f"sys.exit(main(['build', {str(config)!r}, '--workers', '2', '--engine', 'ray', '-q']))"
    )
    run = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300
    )
    assert run.returncode == 2, run.stderr[-2000:]
    errors = [line for line in run.stderr.splitlines() if line.startswith("corpus: error:")]
    assert len(errors) == 1 and "Traceback" not in run.stderr, run.stderr[-2000:]
    assert "straighten_quotes" in errors[0] and "corpus_plugin_example" in errors[0]
    assert "install the package on every node" in errors[0]
    assert not (tmp_path / "out").exists()


def test_explain_shows_the_plugin_edits(example, tmp_path, capsys):
    config = sample_config(tmp_path, straighten_quotes={"single": False})
    article = SAMPLE / "pompeo-nagorno-karabakh.txt"
    (doc,) = corpus.read(str(article))
    assert main(["explain", str(article), "--config", str(config)]) == 0
    out = capsys.readouterr().out.splitlines()
    at = out.index("fix_encoding: unchanged") + 1  # so the offsets are those of the text as read
    double = sum(doc.text.count(c) for c in DOUBLE)
    n = len(doc.text)
    assert out[at] == f"straighten_quotes: text {n} -> {n} chars (replaced.double {double})"
    first = min(doc.text.index(c) for c in DOUBLE if c in doc.text)
    assert out[at + 1] == f"    [double_quote] @{first} {doc.text[first]!r} -> '\"'"
    assert len([line for line in out if "[double_quote]" in line]) == double
    assert not any("[single_quote]" in line for line in out)


def test_a_broken_plugin_is_one_line_naming_it_and_breaks_only_its_users(example, on_path, tmp_path, capsys):
    on_path(
        package(
            tmp_path / "site",
            "corpus-plugin-broken",
            "0.2",
            {"broken_stage": "corpus_plugin_missing.stages:Gone"},
        )
    )
    reason = (
        "stage 'broken_stage' (package corpus-plugin-broken 0.2, entry point broken_stage = "
        "corpus_plugin_missing.stages:Gone) failed to import: ModuleNotFoundError: "
        "No module named 'corpus_plugin_missing'"
    )
    assert main(["stages"]) == 0  # the others still list
    out = capsys.readouterr().out.splitlines()
    assert f"broken_stage: BROKEN: {reason}" in out
    assert any(line.startswith("straighten_quotes: Replace curly quotes") for line in out)

    assert (
        main(["validate", str(sample_config(tmp_path, straighten_quotes={}))]) == 0
    )  # a config not naming it
    capsys.readouterr()
    config = sample_config(tmp_path, broken_stage={})
    assert main(["validate", str(config)]) == 2
    assert capsys.readouterr().err == f"corpus: error: {config}: stages[1]: {reason}\n"


def test_a_broken_plugin_in_a_fresh_process_no_traceback(tmp_path):
    """As a user meets it: the installed packages found by a new `corpus` process (PYTHONPATH)."""
    site = package(
        tmp_path / "site",
        "corpus-plugin-broken",
        "0.2",
        {"broken_stage": "corpus_plugin_missing.stages:Gone"},
    )
    config = sample_config(tmp_path, broken_stage={})
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), str(PLUGIN)])}
    run = subprocess.run(
        [sys.executable, "-m", "corpus.cli", "validate", str(config)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    assert run.returncode == 2 and run.stdout == ""
    assert run.stderr.splitlines() == [
        f"corpus: error: {config}: stages[1]: stage 'broken_stage' (package corpus-plugin-broken 0.2, "
        "entry point broken_stage = corpus_plugin_missing.stages:Gone) failed to import: "
        "ModuleNotFoundError: No module named 'corpus_plugin_missing'"
    ]


def test_an_entry_point_that_is_not_a_stage(example, on_path, tmp_path):
    on_path(
        package(
            tmp_path / "site",
            "corpus-plugin-odd",
            "1.0",
            {
                "a_string": "corpus_plugin_example.stages:DOUBLE",
                "quotes": "corpus_plugin_example.stages:StraightenQuotes",
            },
        )
    )
    with pytest.raises(
        ConfigError,
        match=r"^stage 'a_string' \(package corpus-plugin-odd 1\.0, entry point a_string = "
        r"corpus_plugin_example\.stages:DOUBLE\) loads str '.*', not a subclass of corpus\.Stage$",
    ):
        stages.get("a_string")
    with pytest.raises(
        ConfigError,
        match=r"loads StraightenQuotes, whose name is 'straighten_quotes'; the entry point "
        r"must be named as the stage is$",
    ):
        stages.get("quotes")


def test_a_plugin_cannot_take_a_built_in_name(example, on_path, tmp_path, caplog):
    """Built-in wins, with a warning: installing a package never changes what a config means."""
    on_path(
        package(
            tmp_path / "site",
            "corpus-plugin-shadow",
            "0.3",
            {"fix_encoding": "corpus_plugin_example.stages:StraightenQuotes"},
        )
    )
    with caplog.at_level(logging.WARNING, logger="corpus.stages.plugins"):
        names = stages.available()
    assert names.count("fix_encoding") == 1 and "straighten_quotes" in names
    assert stages.get("fix_encoding") is stages.FixEncoding and stages.origin("fix_encoding") is None
    (warning,) = caplog.messages
    assert warning == (
        "stage 'fix_encoding' from package corpus-plugin-shadow 0.3, entry point fix_encoding = "
        "corpus_plugin_example.stages:StraightenQuotes ignored: 'fix_encoding' is a built-in stage, "
        "which a config naming it gets"
    )


def test_two_packages_offering_one_name(example, on_path, tmp_path):
    on_path(
        package(tmp_path / "site", "corpus-plugin-rival", "2.0", {"straighten_quotes": "rival.stages:Quotes"})
    )
    with pytest.raises(ConfigError) as err:
        stages.get("straighten_quotes")
    message = str(err.value)
    assert message.startswith("stage 'straighten_quotes' is offered by 2 installed packages (")
    assert "corpus-plugin-rival 2.0" in message and "corpus-plugin-example 0.1" in message
    assert message.endswith("uninstall all but one")


def test_unknown_stage_without_the_plugin(tmp_path):
    """Not installed: the usual unknown-stage error (and the registry holds only what is installed)."""
    assert "straighten_quotes" not in stages.available()
    config = sample_config(tmp_path, straighten_quotes={})
    with pytest.raises(ConfigError, match=r"stages\[1\]: unknown stage 'straighten_quotes'"):
        Pipeline.from_yaml(config)


def test_the_example_package_declares_what_its_dist_info_says():
    """pyproject.toml (what `pip install tests/plugins/corpus-plugin-example` reads) and the checked-in
    .dist-info the tests use name the same entry point."""
    tomllib = pytest.importorskip("tomllib", reason="tomllib is Python 3.11+")

    project = tomllib.loads((PLUGIN / "pyproject.toml").read_text())["project"]
    info = PLUGIN / f"corpus_plugin_example-{project['version']}.dist-info"
    assert f"Name: {project['name']}\n" in (info / "METADATA").read_text()
    declared = project["entry-points"]["corpus.stages"]
    listed = (info / "entry_points.txt").read_text().splitlines()
    assert listed == ["[corpus.stages]", *(f"{k} = {v}" for k, v in declared.items())]
    assert json.dumps(declared) == '{"straighten_quotes": "corpus_plugin_example.stages:StraightenQuotes"}'
