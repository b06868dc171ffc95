"""The Ray Data engine: the local engine's stages and output, on a Ray cluster.

Dataflow (each arrow a Ray Data operation):

1. read: one task per input file calls our own readers (``read_input``), so ids,
   quarantine records and their accounting are the local engine's; every record gets
   ``idx`` = file number << 40 | record number, which sorts in stable input order.
2. map: ``map_batches`` on an actor pool; each actor loads the pipeline once (models
   such as detect_language's) and runs ``Pipeline.process_batch`` once per input file in
   a batch: the per-document stages and the corpus steps' fingerprints. The driver
   streams the result in input order (``preserve_order``) into the work directory, one
   Parquet part per input file (see ``RayWorkDir``), and hands the survivors' dedup
   columns (idx, id, signature, length, exact digest) back to Ray as blocks.
3. exact dedup, near dedup: distributed steps (``corpus.dedup.distributed``) over those
   columns; they return decision rows ``(idx, payload)`` only for documents they drop or
   cluster; these are sorted by ``idx``.
4. write: the driver reads the parts back in input order, merges in the decisions,
   and feeds the local engine's ``Sink``/``DatasetWriter``/``finish_build``, replaying the
   local reduce's order of records (quarantine, drop log by chunk, then near drops),
   so shards, card, manifest and index are byte for byte the local engine's.

Kill safety and resume: the map output is checkpointed per input file in
``.{out}.ray-work/`` beside the output (``run.json``: toolkit version, config hash, input
sha256s; ``file-NNNNNN.parquet``: one file's map output, committed by an atomic rename
after fsync). Killed at any point (the driver, or a worker: Ray itself retries map tasks
and restarts map actors) and run again with the same command, a build maps only the input
files with no committed part and ends with exactly the output of an uninterrupted build;
the dedup steps and the write, which need every document, are redone. A different config,
toolkit version or input bytes starts afresh. The build is written to ``.{out}.tmp`` and
swapped into place when complete, so a killed build never leaves output that looks
complete; the work directory is removed once the output is in place. The work directory is
written and read by the driver only, so it needs no shared filesystem. It holds Parquet
with JSON text only (no pickle): a part is checked as it is read back, and anything this
toolkit did not write is refused naming the part, or redone when it is not our layout.

Local Ray (no address, no $RAY_ADDRESS): see ``local_ray``: bound to 127.0.0.1, its files
in a private folder, its token never written to disk, its processes ended by a reaper however
the driver ends. Options with no distributed form yet fail with a ConfigError naming them.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

import corpus
from corpus.dedup import distributed as dist
from corpus.dedup.base import apply_verdict
from corpus.dedup.exact import ExactDedup, duplicate_of
from corpus.dedup.near import INDEX_DIR, NearDedup, save_index, verdict
from corpus.document import Document
from corpus.engines.checkpoint import WorkDir
from corpus.engines.inputs import Inputs, recorded_config
from corpus.engines.local import CHECKPOINT_DOCS, BuildResult, _input_dirs
from corpus.engines.output import locked_output, staging, swap
from corpus.engines.reduce import Sink, finish_build, open_log
from corpus.errors import BuildError, ConfigError
from corpus.io.manifest import config_hash
from corpus.io.readers import (
    Quarantined,
    ReadOptions,
    Skipped,
    check_readable,
    detect_format,
    expand_inputs,
    read_input,
)
from corpus.io.shards import DatasetWriter
from corpus.stages.base import Outcome
from corpus.stats import Stats

log = logging.getLogger(__name__)

QUARANTINED, DROPPED, SURVIVED, SKIPPED = 0, 1, 2, 3
READ_ROWS = 1_000  # records per block a read task yields
FILE_SHIFT = 40  # idx = file << 40 | record: 2**40 records per file, 2**23 files

RECORD = pa.schema(
    [("idx", pa.int64()), ("kind", pa.int8()), ("payload", pa.binary()), ("invalid", pa.bool_())]
)
MAPPED = pa.schema(
    [
        ("idx", pa.int64()),
        ("kind", pa.int8()),
        ("payload", pa.binary()),
        ("invalid", pa.bool_()),
        ("id", pa.string()),
        ("ekey", pa.string()),
        ("sig", pa.binary()),
        ("length", pa.int64()),
        ("stats", pa.binary()),
    ]
)


# -- what the work directory holds: JSON text in Parquet columns, never pickle -----------------
# A row's ``payload`` is JSON (ASCII escapes keep lone surrogates; NaN and big integers as
# Python writes them): a Document as its 7 fields in order (SURVIVED), [id, dropped_by]
# (DROPPED), a quarantine record (QUARANTINED), [reason] (SKIPPED); ``stats`` is a JSON object
# of counters on a file's first row. A part is checked on the way back in: anything else is a
# BuildError naming it, and nothing in it is ever executed.


def _dump(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=True, separators=(",", ":")).encode("ascii")


def _doc_payload(doc: Document) -> bytes:
    return _dump([doc.id, doc.text, doc.source, doc.url, doc.lang, doc.lang_score, doc.meta])


def _number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def _decode(kind: int, payload: bytes, where: str) -> Any:
    """A row's payload back as its kind's value (Document, drop, record, reason); BuildError if forged."""
    try:
        value = json.loads(payload)
    except ValueError as exc:
        raise BuildError(f"{where}: not a part this toolkit wrote ({exc}); remove it and run again") from None
    ok = False
    if kind == SURVIVED:
        ok = isinstance(value, list) and len(value) == 7 and all(isinstance(v, str) for v in value[:5])
        ok = ok and _number(value[5]) and isinstance(value[6], dict)
        if ok:
            return Document(*value)
    elif kind == DROPPED:
        ok = isinstance(value, list) and len(value) == 2 and all(isinstance(v, str) for v in value)
    elif kind == QUARANTINED:
        ok = isinstance(value, dict)
    elif kind == SKIPPED:
        ok = isinstance(value, list) and len(value) == 1 and isinstance(value[0], str)
    if not ok:
        raise BuildError(f"{where}: a record of kind {kind} this toolkit did not write; remove it, run again")
    return value


def _decode_stats(payload: bytes, where: str) -> dict[str, Any]:
    try:
        value = json.loads(payload)
    except ValueError:
        value = None
    if not isinstance(value, dict) or not all(isinstance(k, str) and _number(v) for k, v in value.items()):
        raise BuildError(f"{where}: counters this toolkit did not write; remove it and run again")
    return value


def check_supported(pipeline: Any) -> tuple[ExactDedup | None, NearDedup | None]:
    """The pipeline's exact and near dedup steps; ConfigError for what has no distributed form yet."""
    streaming, global_steps = pipeline.streaming_steps, pipeline.global_steps
    for step in streaming:
        if not isinstance(step, ExactDedup):
            raise ConfigError(
                f"engine ray: stage {step.name!r} has no distributed form yet; use engine local"
            )
    for step in global_steps:
        if not isinstance(step, NearDedup):
            raise ConfigError(
                f"engine ray: stage {step.name!r} has no distributed form yet; use engine local"
            )
    if len(streaming) > 1 or len(global_steps) > 1:
        raise ConfigError("engine ray: at most one exact_dedup and one near_dedup stage; use engine local")
    near = global_steps[0] if global_steps else None
    if near is not None and near.cluster_by != "components":
        raise ConfigError(
            "engine ray: near_dedup option 'cluster_by: star' has no distributed form yet; "
            "use cluster_by: components or engine local"
        )
    if near is not None and near.index is not None:
        raise ConfigError(
            "engine ray: near_dedup option 'index' (--dedup-against) has no distributed form yet; "
            "use engine local"
        )
    return (streaming[0] if streaming else None), near


# -- cluster ---------------------------------------------------------------------------------

# Run by the reaper, a plain Python process (stdlib only) the driver starts before a local Ray:
# it waits for EOF on its stdin, which comes when the driver ends in any way (returned, raised,
# SIGTERM, SIGKILL), then ends every process carrying the run's marker in its environment (the
# Ray processes inherit it: GCS, raylet, agents, workers) or holding a file open in the run's
# private folder (Ray's agents retitle themselves, which overwrites /proc/PID/environ), and
# removes that folder. The driver itself, alive after a normal end, is never one of them.
# Ray's own agents outlive a killed driver by ~60 s (they report the raylet's death to the dead
# GCS with a 60 s timeout before exiting); the reaper does not wait for them.
REAPER = r"""
import os, shutil, signal, sys, time
marker, root, driver = sys.argv[1].encode(), sys.argv[2], int(sys.argv[3])
signal.signal(signal.SIGINT, signal.SIG_IGN)
signal.signal(signal.SIGTERM, signal.SIG_IGN)
sys.stdin.buffer.read()
def ours():
    found = []
    for d in os.listdir("/proc"):
        if not d.isdigit() or int(d) in (os.getpid(), driver):
            continue
        try:
            with open(f"/proc/{d}/environ", "rb") as fh:
                if marker in fh.read().split(b"\0"):
                    found.append(int(d))
                    continue
            for fd in os.listdir(f"/proc/{d}/fd"):
                if os.readlink(f"/proc/{d}/fd/{fd}").startswith(root + "/"):
                    found.append(int(d))
                    break
        except OSError:
            pass
    return found
start = time.monotonic()
while time.monotonic() - start < 30:
    pids = ours()
    if not pids:
        break
    sig = signal.SIGTERM if time.monotonic() - start < 0.5 else signal.SIGKILL
    for pid in pids:
        try:
            os.kill(pid, sig)
        except OSError:
            pass
    time.sleep(0.1)
shutil.rmtree(root, ignore_errors=True)
"""
MARKER = "CORPUS_RAY_RUN"  # environment variable naming the local Ray's processes for the reaper
LOOPBACK = "127.0.0.1"


@contextmanager
def _patched_env(changes: dict[str, str]) -> Iterator[None]:
    """``changes`` in os.environ (what Ray's child processes inherit), restored on the way out."""
    before = {name: os.environ.get(name) for name in changes}
    os.environ.update(changes)
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        _reload_ray_config()


def _reload_ray_config() -> None:
    """Ray reads RAY_AUTH_MODE once per process; read it again (as ``ray.init`` itself does)."""
    from ray._raylet import AuthenticationTokenLoader, Config

    Config.initialize("")
    AuthenticationTokenLoader.instance().reset_cache()


@contextmanager
def local_ray(**options: Any) -> Iterator[None]:
    """A private local Ray for one build: bound to 127.0.0.1, owner-only files, no process left after.

    Ray 2.60 rewrites a node address of 127.0.0.1 into the machine's outward address (and its
    servers then listen on every interface) unless cluster mode is off, so it is turned off for
    this start. Its session lives in a fresh 0700 folder (Ray makes its own subfolders
    world-writable), created under umask 077, and the cluster's auth token is a per-build secret
    passed in the environment (Ray would write a world-readable ``~/.ray/auth_token``). A reaper
    process (``REAPER``) ends Ray's processes however the driver ends. ``options`` go to ``ray.init``.
    """
    import ray
    import ray._private.ray_constants as ray_constants

    root = tempfile.mkdtemp(prefix="corpus-ray-")  # mode 0700
    marker = f"{MARKER}={secrets.token_hex(16)}"
    reaper = subprocess.Popen(
        [sys.executable, "-c", REAPER, marker, root, str(os.getpid())],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        start_new_session=True,  # Ctrl-C at the terminal stops the build, not the clean-up
        env={k: v for k, v in os.environ.items() if k != MARKER},
    )
    env = {MARKER: marker.split("=", 1)[1], "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0"}
    if not os.environ.get("RAY_AUTH_TOKEN") and not os.environ.get("RAY_AUTH_TOKEN_PATH"):
        env |= {
            "RAY_AUTH_MODE": os.environ.get("RAY_AUTH_MODE", "token"),
            "RAY_AUTH_TOKEN": secrets.token_hex(32),
        }
    cluster_mode = ray_constants.ENABLE_RAY_CLUSTER
    try:
        with _patched_env(env):
            _reload_ray_config()
            umask = os.umask(0o077)
            ray_constants.ENABLE_RAY_CLUSTER = False  # read by ray.init in this process, at call time
            try:
                ray.init(
                    _node_ip_address=LOOPBACK,
                    _temp_dir=os.path.join(root, "ray"),
                    include_dashboard=False,
                    dashboard_host=LOOPBACK,
                    logging_level=logging.WARNING,
                    **options,
                )
            finally:
                os.umask(umask)
                ray_constants.ENABLE_RAY_CLUSTER = cluster_mode
            try:
                yield
            finally:
                ray.shutdown()
    finally:
        reaper.stdin.close()  # the reaper's cue, as the driver's death would be
        try:
            reaper.wait(timeout=30)
        except subprocess.TimeoutExpired:
            log.warning("engine ray: the local Ray's clean-up is still running (pid %d)", reaper.pid)


@contextmanager
def cluster(address: str | None = None) -> Iterator[bool]:
    """Ray for a build: ``address`` (or $RAY_ADDRESS), else a private local Ray (``local_ray``).

    Yields True if this call started Ray, which it then stops; a Ray already initialised in this
    process is used as it is.
    """
    import ray

    os.environ.setdefault("RAY_DEDUP_LOGS", "0")
    if ray.is_initialized():
        yield False
    elif address or os.environ.get("RAY_ADDRESS"):
        ray.init(address=address, logging_level=logging.WARNING)
        try:
            yield True
        finally:
            ray.shutdown()
    else:
        with local_ray():
            yield True


def _configure_data() -> None:
    import ray.data

    ctx = ray.data.DataContext.get_current()
    ctx.execution_options.preserve_order = True  # the map output comes back in input order
    ctx.enable_progress_bars = False
    ctx.print_on_execution_start = False
    # Sort-based shuffles are tasks only; Ray's default hash shuffle holds aggregator actors,
    # 5x slower here (2 cores) and starved on 1 CPU. $CORPUS_RAY_SHUFFLE picks another strategy.
    from ray.data.context import ShuffleStrategy

    ctx.shuffle_strategy = ShuffleStrategy(os.environ.get("CORPUS_RAY_SHUFFLE", "sort_shuffle_pull_based"))
    logging.getLogger("ray.data").setLevel(logging.WARNING)


def _cluster_cpus() -> int:
    import ray

    return max(1, int(ray.cluster_resources().get("CPU", 1)))


# -- read and map ------------------------------------------------------------------------------


@contextmanager
def _cwd(path: str) -> Iterator[None]:
    """Relative input paths mean what they mean on the driver (a read task is alone in its process)."""
    before = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(before)


def _read_files(batch: dict[str, np.ndarray], files: list[Any], config: dict[str, Any], cwd: str):
    """Read task: every record of the given input files as RECORD rows, READ_ROWS at a time."""
    for number in batch["file"]:
        number = int(number)
        rows: list[tuple[int, int, bytes, bool]] = []
        with _cwd(cwd):
            # An input this worker cannot see (no shared mount, removed since the driver listed
            # it) stops the build naming it; the readers would quarantine it as damage.
            check_readable(files[number].path)
            for i, item in enumerate(read_input(files[number], config)):
                idx = number << FILE_SHIFT | i
                if isinstance(item, Quarantined):
                    rows.append((idx, QUARANTINED, _dump(item.to_dict()), False))
                elif isinstance(item, Skipped):
                    rows.append((idx, SKIPPED, _dump([item.reason]), False))
                else:
                    invalid = bool(item.meta.get("invalid_utf8"))
                    rows.append((idx, SURVIVED, _doc_payload(item), invalid))
                if len(rows) >= READ_ROWS:
                    yield _records(rows)
                    rows = []
        if rows:
            yield _records(rows)


def _records(rows: list[tuple[int, int, bytes, bool]]) -> pa.Table:
    idx, kind, payload, invalid = zip(*rows, strict=True)
    return pa.table(
        [
            pa.array(idx, pa.int64()),
            pa.array(kind, pa.int8()),
            pa.array(payload, pa.binary()),
            pa.array(invalid),
        ],
        schema=RECORD,
    )


class _Process:
    """Map actor: holds the pipeline, set up once, and runs ``process_batch`` on each batch."""

    def __init__(self, pipeline: Any) -> None:
        self.pipeline = pipeline
        pipeline.setup()
        self.steps = pipeline.worker_steps

    def __call__(self, t: pa.Table) -> pa.Table:
        # One process_batch per input file in the batch: each file's counters ride on its own
        # rows, so a file's committed part holds exactly its share (see _persist).
        files = np.asarray(t["idx"]) >> FILE_SHIFT
        cuts = np.flatnonzero(files[1:] != files[:-1]) + 1
        if not len(cuts):
            return self._one(t)
        bounds = [0, *cuts.tolist(), t.num_rows]
        return pa.concat_tables([self._one(t.slice(a, b - a)) for a, b in itertools.pairwise(bounds)])

    def _one(self, t: pa.Table) -> pa.Table:
        kinds = t["kind"].to_pylist()
        payloads = t["payload"].to_pylist()
        docs = [_decode(k, p, "a read block") for p, k in zip(payloads, kinds, strict=True) if k == SURVIVED]
        stats = Stats()
        results = iter(self.pipeline.process_batch(docs, stats))
        docs_iter = iter(docs)
        cols: dict[str, list[Any]] = {name: [] for name in ("kind", "payload", "id", "ekey", "sig", "length")}
        for kind, payload in zip(kinds, payloads, strict=True):
            if kind != SURVIVED:
                out_kind, out_payload, doc_id, ekey, sig, length = kind, payload, "", "", b"", 0
            else:
                doc = next(docs_iter)
                out, keys, dropped = next(results)
                if out is None:
                    out_kind, out_payload = DROPPED, _dump([doc.id, dropped])
                    doc_id, ekey, sig, length = "", "", b"", 0
                else:
                    out_kind, out_payload = SURVIVED, _doc_payload(out)
                    doc_id, ekey, sig, length = out.id, "", b"", len(out.text)
                    for step, key in zip(self.steps, keys, strict=True):
                        if isinstance(step, ExactDedup):
                            ekey = key.hex()
                        else:
                            sig = np.ascontiguousarray(key, dtype=np.uint32).tobytes()
            cols["kind"].append(out_kind)
            cols["payload"].append(out_payload)
            cols["id"].append(doc_id)
            cols["ekey"].append(ekey)
            cols["sig"].append(sig)
            cols["length"].append(length)
        n = t.num_rows
        stats_col = [_dump(dict(stats))] + [b""] * (n - 1) if n else []
        return pa.table(
            {
                "idx": t["idx"],
                "kind": pa.array(cols["kind"], pa.int8()),
                "payload": pa.array(cols["payload"], pa.binary()),
                "invalid": t["invalid"],
                "id": pa.array(cols["id"], pa.string()),
                "ekey": pa.array(cols["ekey"], pa.string()),
                "sig": pa.array(cols["sig"], pa.binary()),
                "length": pa.array(cols["length"], pa.int64()),
                "stats": pa.array(stats_col, pa.binary()),
            },
            schema=MAPPED,
        )


def _build_error(exc: BaseException) -> BuildError | None:
    """The BuildError a Ray task raised (Ray wraps it, maybe twice), as the driver's own."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        e = todo.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        if isinstance(e, BuildError) and not isinstance(getattr(e, "cause", None), BaseException):
            return BuildError(*e.args)
        todo += [e.__cause__, e.__context__, getattr(e, "cause", None)]
    return None


def _survivors(t: pa.Table) -> pa.Table:
    import pyarrow.compute as pc

    return t.filter(pc.equal(t["kind"], SURVIVED)).select(["idx", "id", "sig", "length", "ekey"])


# -- the ordered write -----------------------------------------------------------------------


def _decisions(ds: Any) -> Iterator[tuple[int, tuple[Any, ...]]]:
    if ds is None:
        return
    for batch in ds.iter_batches(batch_format="pyarrow", batch_size=None):
        for idx, payload in zip(batch["idx"].to_pylist(), batch["payload"].to_pylist(), strict=True):
            yield idx, dist.decode(payload)


def _write(
    pipeline: Any,
    mapped: Iterable[Any],
    decisions: Any,
    tmp: Path,
    inputs: list[dict[str, Any]],
    where: Callable[[int], str] = str,
) -> tuple[dict[str, Any], Stats]:
    """Everything after the distributed steps, in the local reduce's order of writes.

    ``mapped``: the map output's record batches in input order (the committed parts);
    ``where(file number)`` names a part in an error about its contents.
    """
    config = pipeline.config
    exact, near = check_supported(pipeline)
    chunk_docs = config.get("checkpoint_docs", CHECKPOINT_DOCS)
    stats = Stats()
    writer = DatasetWriter(tmp, config["output"])
    read = quarantined = invalid = 0
    skipped: Counter[str] = Counter()
    pending: list[tuple[str, Outcome, str]] = []  # this chunk's exact drops: logged after its stage drops
    near_log = tmp / ".near-drops.jsonl"
    kept_sigs = tmp / ".kept-signatures.bin"
    kept_ids: list[str] = []
    todo = _decisions(decisions)
    upcoming = next(todo, None)
    last = -1
    with (
        open_log(tmp / "quarantine.jsonl") as qfh,
        open_log(tmp / "dropped.jsonl") as dfh,
        open(near_log, "wb") as nfh,
        open(kept_sigs, "wb") as sfh,
    ):
        sink = Sink(writer, dfh)

        def flush() -> None:
            for doc_id, outcome, reason in pending:
                sink.route(doc_id, outcome, reason, None)
            pending.clear()

        for batch in mapped:
            for row in batch.to_pylist():
                idx = row["idx"]
                if idx <= last:
                    raise BuildError(f"engine ray: records out of input order ({idx} after {last})")
                if idx >> FILE_SHIFT != last >> FILE_SHIFT:
                    _event("final_write", idx >> FILE_SHIFT)
                last = idx
                part = where(idx >> FILE_SHIFT)
                if row["stats"]:
                    stats.update(_decode_stats(row["stats"], part))
                if read % chunk_docs == 0:
                    flush()
                read += 1
                invalid += bool(row["invalid"])
                value = _decode(row["kind"], row["payload"], part)
                if row["kind"] == QUARANTINED:
                    quarantined += 1
                    # sorted keys, as the local engine's JSON checkpoint gives them back
                    qfh.write(json.dumps(value, ensure_ascii=False, sort_keys=True) + "\n")
                    continue
                if row["kind"] == SKIPPED:
                    skipped[value[0]] += 1
                    continue
                if row["kind"] == DROPPED:
                    sink.drop(*value)
                    continue
                doc: Document = value
                decided = None
                if upcoming is not None and upcoming[0] == idx:
                    decided = upcoming[1]
                    upcoming = next(todo, None)
                if exact is not None:
                    if decided is not None and decided[0] == "exact":
                        outcome = duplicate_of(doc, decided[1])
                        stats.record(exact.name, doc, outcome)
                        pending.append((doc.id, outcome, f"{exact.name}.exact_duplicate"))
                        continue
                    stats.record(exact.name, doc, Outcome(doc))
                if near is None:
                    sink.keep(doc)
                    continue
                _, keep, kept_id, size, sim = decided or ("near", True, doc.id, 1, 1.0)
                outcome = apply_verdict(doc, verdict(keep, kept_id, size, sim, annotate=near.annotate))
                stats.record(near.name, doc, outcome)
                if outcome.doc is None:
                    note = outcome.edits[0].after if outcome.edits else ""
                    reason = f"{near.name}.{outcome.reason}"
                    nfh.write(_dump([doc.id, reason, note, outcome.info]) + b"\n")
                else:
                    sink.keep(outcome.doc)
                    sfh.write(row["sig"])
                    kept_ids.append(doc.id)
        flush()
        if upcoming is not None:
            raise BuildError(f"engine ray: a decision for idx {upcoming[0]} matches no record")
        nfh.close()
        with open(near_log, "rb") as fh:
            for line in fh:
                sink.drop(*json.loads(line))
    near_log.unlink()
    saved: list[Path] = []
    if near is not None:
        sigs = np.fromfile(kept_sigs, dtype=np.uint32).reshape(len(kept_ids), near.num_perm)
        folder = save_index(tmp / INDEX_DIR, sigs, kept_ids, near.params())
        saved = sorted(p for p in folder.iterdir() if p.is_file())
    kept_sigs.unlink()
    counts = {"read": read, "quarantined": quarantined, "invalid_utf8_replaced": invalid, "skipped": skipped}
    recorded = recorded_config(config, pipeline.config_dir)
    return finish_build(recorded, inputs, writer, sink, stats, counts, tmp, saved), stats


# -- the work directory: the map output, one committed part per input file ---------------------


class RayWorkDir(WorkDir):
    """``.{out}.ray-work/`` beside the output: ``run.json`` and ``file-NNNNNN.parquet`` parts.

    A part holds one input file's map output (MAPPED rows, input order). It is written as
    ``file-NNNNNN.parquet.tmp``, fsynced and renamed into place: the rename is the commit, so
    a part under its final name is whole and anything else is ignored (and overwritten).
    ``open`` (the run marker, starting afresh for another run) is the local engine's.
    """

    suffix = ".ray-work"

    def committed(self) -> set[int]:
        return {int(p.name[5:11]) for p in self.root.glob("file-??????.parquet")}

    def part(self, number: int) -> Path:
        return self.root / f"file-{number:06d}.parquet"

    def whole(self, number: int) -> bool:
        """A committed part is reused only if it is Parquet with exactly MAPPED's columns."""
        try:
            return pq.read_schema(self.part(number)).equals(MAPPED, check_metadata=False)
        except (OSError, pa.ArrowException):
            return False

    def batches(self, numbers: Iterable[int], columns: list[str] | None = None) -> Iterator[pa.RecordBatch]:
        """The committed parts of ``numbers``, in that order, READ_ROWS records at a time."""
        for number in numbers:
            yield from pq.ParquetFile(self.part(number)).iter_batches(batch_size=READ_ROWS, columns=columns)


class _Part:
    """One input file's part being written; ``commit`` seals it (fsync, rename, fsync the folder)."""

    def __init__(self, work: RayWorkDir, number: int) -> None:
        self.work, self.number = work, number
        self.final = work.part(number)
        self.tmp = self.final.with_name(self.final.name + ".tmp")
        self.writer = pq.ParquetWriter(self.tmp, MAPPED, compression="none")

    def add(self, t: pa.Table) -> None:
        self.writer.write_table(t)

    def commit(self) -> None:
        self.writer.close()
        fd = os.open(self.tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(self.tmp, self.final)
        fd = os.open(self.work.root, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        _event("part_committed", self.number)


SURVIVOR_COLUMNS = ["idx", "id", "sig", "length", "ekey"]
SURVIVOR_BLOCK = 50_000  # survivor rows per block handed to the dedup steps


class _Survivors:
    """Collects the dedup steps' input (survivors' idx, id, sig, length, ekey) into object-store blocks."""

    def __init__(self) -> None:
        self.refs: list[Any] = []
        self.rows = 0
        self._held: list[pa.Table] = []
        self._held_rows = 0

    def add(self, t: pa.Table | pa.RecordBatch) -> None:
        import pyarrow.compute as pc

        if isinstance(t, pa.RecordBatch):
            t = pa.Table.from_batches([t])
        t = t.filter(pc.equal(t["kind"], SURVIVED)).select(SURVIVOR_COLUMNS)
        if t.num_rows:
            self._held.append(t)
            self._held_rows += t.num_rows
            if self._held_rows >= SURVIVOR_BLOCK:
                self.flush()

    def flush(self) -> None:
        import ray

        if self._held:
            block = pa.concat_tables(self._held).combine_chunks()
            self.refs.append(ray.put(block))
            self.rows += block.num_rows
            self._held, self._held_rows = [], 0

    def dataset(self) -> Any:
        import ray.data

        self.flush()
        if not self.refs:
            return ray.data.from_arrow(_survivors(MAPPED.empty_table()))
        return ray.data.from_arrow_refs(self.refs)


def _persist(fresh: Any, todo: list[int], work: RayWorkDir, survivors: _Survivors) -> None:
    """Stream the map output (input order) into one committed part per input file of ``todo``.

    A file's part is committed when the stream moves past it; a file with no record gets an
    empty part. Every batch's survivor columns also go to ``survivors``.
    """
    queue = iter(todo)
    part: _Part | None = None

    def advance(to: int) -> _Part:
        """Commit the current part and an empty one for each file before ``to``; open ``to``'s."""
        if part is not None:
            part.commit()
        for number in queue:
            if number == to:
                return _Part(work, number)
            if number > to:
                break
            _Part(work, number).commit()
        raise BuildError(f"engine ray: map output for input file {to}, out of input order")

    for batch in fresh.iter_batches(batch_format="pyarrow", batch_size=None):
        files = np.asarray(batch["idx"]) >> FILE_SHIFT
        cuts = np.flatnonzero(files[1:] != files[:-1]) + 1
        bounds = [0, *cuts.tolist(), batch.num_rows]
        for a, b in itertools.pairwise(bounds):
            if a == b:
                continue
            piece = batch.slice(a, b - a)
            number = int(files[a])
            if part is None or number != part.number:
                part = advance(number)
            part.add(piece)
            survivors.add(piece)
    if part is not None:
        part.commit()
    for number in queue:
        _Part(work, number).commit()


# -- the build -----------------------------------------------------------------------------------

# Called at named points of a build ("map" with the number of input files to map, before the
# read tasks start; "part_committed" with the input file's number, "dedup"
# with 0 before exact dedup and 1 before near dedup, "final_write" with the file number whose
# records are being written); tests use it to kill a build at a chosen point.
on_event: Callable[[str, int], None] | None = None


def _event(name: str, n: int) -> None:
    if on_event is not None:
        on_event(name, n)


class RayBuildResult(BuildResult):
    """A BuildResult whose ``resumed_chunks`` counts input files whose committed map part was reused."""

    def summary(self) -> str:
        text = super().summary()
        if self.resumed_chunks:
            text = text.replace(
                f"resumed: {self.resumed_chunks} chunks reused",
                f"resumed: {self.resumed_chunks} input files reused",
                1,
            )
        return text


def run_build(
    pipeline: Any,
    *,
    address: str | None = None,
    workers: int | str | None = None,
    output: str | Path | None = None,
    progress: bool | None = None,
) -> BuildResult:
    """Build ``pipeline.config`` on Ray (``address``, else $RAY_ADDRESS, else a local Ray).

    Same output, byte for byte, as the local engine; resumes an interrupted build from the
    input files whose map output was committed. Uses a Ray already initialised in this
    process as it is, and shuts down only a Ray it started.
    """
    config = pipeline.config
    if "input" not in config or "output" not in config:
        raise ConfigError("pipeline config needs 'input' and 'output' to build (use Pipeline.from_yaml)")
    check_supported(pipeline)  # before any work
    started = time.perf_counter()
    out_dir = Path(output or config["output"]["path"])
    files = expand_inputs(config["input"]["paths"], relative_to=pipeline.config_dir)
    ReadOptions.from_config(config["input"])  # bad options fail here, not in a read task
    for f in files:
        detect_format(f.path, config["input"].get("format", "auto"))
    with locked_output(out_dir, [f.path for f in files] + _input_dirs(config), config):
        inputs = Inputs(files)
        WorkDir(out_dir).remove()  # a local engine's checkpoints would not match this build's
        work = RayWorkDir(out_dir)
        run = {
            "engine": "ray",
            "toolkit_version": corpus.__version__,
            "config_sha256": config_hash(config),
            "file_shift": FILE_SHIFT,
            "inputs": inputs.records,
        }
        done = {n for n in work.open(run) & set(range(len(files))) if work.whole(n)}
        manifest, stats = _run(pipeline, config, files, inputs, work, done, out_dir, address, workers)
        work.remove()
    return RayBuildResult(out_dir, manifest, stats, time.perf_counter() - started, len(done))


def _run(
    pipeline: Any,
    config: dict[str, Any],
    files: list[Any],
    inputs: Inputs,
    work: RayWorkDir,
    done: set[int],
    out_dir: Path,
    address: str | None,
    workers: int | str | None,
) -> tuple[dict[str, Any], Stats]:
    """Map the input files not yet committed, dedup on the cluster, write the build in place."""
    exact, near = check_supported(pipeline)
    todo = [i for i in range(len(files)) if i not in done]
    if done:
        log.info("engine ray: resuming, %d of %d input files already mapped", len(done), len(files))
    address = address or (config.get("ray") or {}).get("address")
    with cluster(address):
        import ray.data

        _configure_data()
        cpus = _cluster_cpus()
        wanted = workers if workers is not None else config.get("workers", "auto")
        actors = cpus if wanted in (None, "auto") else max(1, int(wanted))
        survivors = _Survivors()
        for batch in work.batches(sorted(done), columns=["kind", *SURVIVOR_COLUMNS]):
            survivors.add(batch)
        if todo:
            fresh = (
                ray.data.from_items([{"file": i} for i in todo], override_num_blocks=len(todo))
                .map_batches(
                    _read_files,
                    batch_size=1,
                    fn_kwargs={"files": files, "config": config["input"], "cwd": os.getcwd()},
                )
                .map_batches(
                    _Process,
                    batch_format="pyarrow",
                    batch_size=config.get("batch_size", 256),
                    fn_constructor_args=(pipeline,),
                    concurrency=(1, actors),
                )
            )
            _event("map", len(todo))
            try:
                _persist(fresh, todo, work, survivors)
            except Exception as exc:
                stop = _build_error(exc)
                if stop is None:
                    raise
                raise stop from None
        inputs.check_unchanged()
        decisions = _dedup(survivors.dataset(), survivors.rows, exact, near, cpus)
        tmp = staging(out_dir)
        try:
            mapped = work.batches(range(len(files)))
            where = lambda n: str(work.part(n))  # noqa: E731
            manifest, stats = _write(pipeline, mapped, decisions, tmp, inputs.records, where)
            swap(tmp, out_dir)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return manifest, stats


def _dedup(survivors: Any, n: int, exact: ExactDedup | None, near: NearDedup | None, cpus: int) -> Any:
    """The decision rows of both dedup steps, sorted by idx and materialized (None when no step)."""
    if exact is None and near is None:
        return None
    partitions = min(1000, max(2, cpus, n // 200_000))  # ~200k rows per shuffle partition
    parts = []
    if exact is not None:
        _event("dedup", 0)
        dropped, survivors = dist.exact_dedup(survivors, partitions)
        parts.append(dropped)
    else:
        survivors = survivors.map_batches(lambda t: t.select(dist.SURVIVOR.names), batch_format="pyarrow")
    if near is not None:
        survivors = survivors.materialize()
        _event("dedup", 1)
        clustered, figures = dist.near_dedup(survivors, near, partitions)
        dist.log.info("near_dedup: %s", figures)
        if clustered is not None:
            parts.append(clustered)
    if not parts:
        return None
    union = parts[0] if len(parts) == 1 else parts[0].union(*parts[1:])
    return union.sort("idx").materialize()
