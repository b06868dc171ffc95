"""The `corpus` command: build | clean | explain | dedup | report | verify | publish | stages | validate.

Global options: --version; -v/--verbose (-vv) and -q/--quiet, before or after the subcommand."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from corpus.cli_args import _fraction, _positive, _seed, _verbosity, _workers, setup_logging
from corpus.cli_inputs import _input_overrides, _Reading, _with_index
from corpus.errors import ConfigError, CorpusError
from corpus.explaining import default_pipeline, explain
from corpus.io.read import READERS
from corpus.pipeline import Pipeline


def _pipeline_for(config: str | None) -> Pipeline:
    return Pipeline.from_yaml(config) if config else default_pipeline()


def cmd_build(args: argparse.Namespace) -> int:
    from corpus.config import load_yaml

    config = load_yaml(args.config)  # the command line's overrides go in before the stages are built
    if args.format and isinstance(config.get("input"), dict):
        config["input"]["format"] = args.format
    if args.allow_empty and isinstance(config.get("output"), dict):
        config["output"]["allow_empty"] = True
    _input_overrides(config, args)
    if args.dedup_against and isinstance(config.get("stages"), list):
        config = _with_index(config, args.dedup_against, args.config)
    pipeline = Pipeline.from_config(config, where=args.config, config_dir=str(Path(args.config).parent))
    if args.dry_run:
        from corpus.engines.dryrun import describe_build

        text, ok = describe_build(
            pipeline, output=args.output, engine=args.engine, workers=args.workers, address=args.address
        )
        print(text)
        return 0 if ok else 2
    result = pipeline.build(
        workers=args.workers,
        output=args.output,
        progress=False if args.quiet else None,
        engine=args.engine,
        address=args.address,
    )
    print(result.summary())
    return 0


def cmd_clean(args: argparse.Namespace) -> int:
    pipeline = _pipeline_for(args.config)
    status = 0
    reading = _Reading(args.file, args.format)
    for doc in reading:
        steps = pipeline.trace(doc)
        _, _, last = steps[-1] if steps else ("", doc, None)
        if last is not None and last.doc is None:
            print(f"{doc.id}: dropped by {steps[-1][0]} ({last.reason})", file=sys.stderr)
            status = 1
            continue
        sys.stdout.write((last.doc if last else doc).text.rstrip("\n") + "\n")
    return reading.nothing_read() or status


def cmd_explain(args: argparse.Namespace) -> int:
    pipeline = _pipeline_for(args.config)
    reading = _Reading(args.file, args.format)
    for doc in reading:
        print(explain(doc, pipeline))
    return reading.nothing_read()


def cmd_dedup(args: argparse.Namespace) -> int:
    """Deduplicate inputs as they are (no cleaning): exact copies, then near-duplicates."""
    config = {
        "name": "deduplicated",
        "input": {"paths": args.paths, "format": args.format},
        "stages": [{"exact_dedup": {}}, {"near_dedup": {"threshold": args.threshold}}],
        "output": {"path": args.output, **({"allow_empty": True} if args.allow_empty else {})},
    }
    if args.dedup_against:
        config = _with_index(config, args.dedup_against, "corpus dedup")
    pipeline = Pipeline.from_config(config, where="corpus dedup")
    result = pipeline.build(workers=args.workers, progress=False if args.quiet else None)
    print(result.summary())
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    """What a finished build holds, from its manifest: counts, drops by reason, stages, languages;
    with --html, the self-contained HTML report (corpus.report.html.write_report)."""
    import json

    from corpus.engines.build import BuildResult
    from corpus.stats import Stats

    if args.out and not args.html:
        raise ConfigError("corpus report: --out needs --html")
    if args.html:
        from corpus.report.html import write_report

        target = write_report(args.build_dir, args.out)
        print(f"report: {target} ({target.stat().st_size:,} bytes)")
        return 0
    path = Path(args.build_dir) / "manifest.json"
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path}: not a build's manifest: {exc}") from None
    try:
        lines = [BuildResult(Path(args.build_dir), manifest, Stats()).summary()]
        langs = ", ".join(f"{k or 'none'} {v}" for k, v in manifest["languages"].items())
        lines.append(f"  languages: {langs}")
        length = manifest["length_chars"]
        lines.append(
            f"  length (chars): median {length['median']}, mean {length['mean']}, total {length['total']}"
        )
    except (KeyError, TypeError, AttributeError) as exc:
        raise ConfigError(
            f"{path}: not a build's manifest (no {exc}); `corpus verify {args.build_dir}` says more"
        ) from None
    print("\n".join(lines))
    return 0


def cmd_stages(args: argparse.Namespace) -> int:
    """Every stage (or those named), with each option's type, default, choices or range and description."""
    from corpus import stages
    from corpus.options import did_you_mean, render_options, stage_summary

    names = stages.available()
    for name in args.names:
        if name not in names:
            raise ConfigError(
                f"unknown stage {name!r}{did_you_mean(name, names)}; `corpus stages` lists them"
            )
    for name in args.names or names:
        try:
            cls = stages.get(name)
        except ConfigError as exc:  # a plugin that cannot be used; the others still list
            print(f"{name}: BROKEN: {exc}")
            continue
        doc = stage_summary(cls)
        source = stages.origin(name)
        print(f"{name}: {doc}" + (f" (plugin from {source})" if source else ""))
        if getattr(cls, "OPTIONS", None):
            print("\n".join(render_options(cls.OPTIONS)))
        else:
            print("\n".join(f"    {k} (default {v!r})" for k, v in cls.options().items()))
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    pipeline = Pipeline.from_yaml(args.config)
    print(f"{args.config}: valid; stages: {', '.join(s.name for s in pipeline.stages)}")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from corpus.io.verify import verify_build

    problems = verify_build(args.build_dir)
    for problem in problems:
        print(f"{args.build_dir}: {problem}", file=sys.stderr)
    if not problems:
        print(f"{args.build_dir}: ok, every shard and file matches the manifest")
    return 1 if problems else 0


def cmd_publish(args: argparse.Namespace) -> int:
    from corpus.io import publish

    if bool(args.repo_id) == bool(args.to):
        print("corpus: error: publish needs exactly one of --repo-id ORG/NAME or --to URL", file=sys.stderr)
        return 2
    target = f"hf://datasets/{args.repo_id}" if args.repo_id else args.to
    if args.revision and args.repo_id:
        target += f"@{args.revision}"
    if args.dry_run:
        items, manifest = publish.plan_upload(args.build_dir)
        print(publish.describe_plan(items, manifest, target))
        return 0
    if args.repo_id:
        done = publish.publish_hub(args.build_dir, args.repo_id, private=args.private, revision=args.revision)
        print(f"published {args.build_dir} to {publish.redact_url(target)} in {len(done)} commits")
    else:
        done = publish.publish_fs(args.build_dir, args.to)
        print(f"published {args.build_dir} to {publish.redact_url(target)}: {len(done)} files written")
    return 0


def make_parser() -> argparse.ArgumentParser:
    from corpus.version import __version__

    parser = argparse.ArgumentParser(prog="corpus", description=__doc__, parents=[_verbosity(False)])
    parser.add_argument("--version", action="version", version=f"corpus {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    common = _verbosity(True)
    real_add = sub.add_parser

    def add_parser(name: str, **kwargs: Any) -> argparse.ArgumentParser:
        return real_add(name, parents=[common, *kwargs.pop("parents", [])], **kwargs)

    sub.add_parser = add_parser  # type: ignore[method-assign]

    p = sub.add_parser("build", help="build a dataset from a YAML config")
    p.add_argument("config")
    p.add_argument(
        "--workers", type=_workers, help="worker processes (default: config, else every core; 0 = in-process)"
    )
    p.add_argument("--output", help="output directory (default: output.path of the config)")
    p.add_argument("--format", choices=["auto", *READERS], help="input format (default: the config's)")
    p.add_argument(
        "--dedup-against",
        metavar="PATH",
        help="an earlier build (or its near_dedup_index/) whose stories to keep out",
    )
    p.add_argument(
        "--allow-empty", action="store_true", help="write the build even when it keeps no document"
    )
    p.add_argument(
        "--input",
        action="append",
        metavar="PATH",
        help="read this file, folder or glob instead of the config's input.paths (repeatable)",
    )
    p.add_argument(
        "--limit", type=_positive, metavar="N", help="a quick look: only the first N input records"
    )
    p.add_argument(
        "--sample",
        type=_fraction,
        metavar="FRACTION",
        help="a quick look: about this share of the records, picked by a seeded hash of their ids "
        "(the others are counted as skipped: sampled_out)",
    )
    p.add_argument("--seed", type=_seed, metavar="S", help="seed of --sample's pick (default 0)")
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="resolve the inputs, check the config, print the plan and the output it would replace; "
        "write nothing",
    )
    p.add_argument(
        "--engine", choices=["local", "ray"], help="local (worker processes) or ray (default: the config's)"
    )
    p.add_argument(
        "--address",
        help="engine ray: the cluster to use, e.g. auto, HOST:6379 or ray://HOST:10001 "
        "(default: ray.address of the config, else $RAY_ADDRESS, else a local Ray)",
    )
    p.set_defaults(func=cmd_build)

    for name, func, text in (
        ("clean", cmd_clean, "print the cleaned text of FILE"),
        ("explain", cmd_explain, "show what each stage changed in FILE, and why"),
    ):
        p = sub.add_parser(name, help=text)
        p.add_argument("file")
        p.add_argument("--config", help="pipeline YAML (default: the default cleaning stages)")
        p.add_argument("--format", default="auto", choices=["auto", *READERS])
        p.set_defaults(func=func)

    p = sub.add_parser("dedup", help="remove exact and near duplicates from inputs, without cleaning")
    p.add_argument("paths", nargs="+", help="files, directories or globs")
    p.add_argument("--output", required=True)
    p.add_argument("--format", default="auto", choices=["auto", *READERS])
    p.add_argument("--threshold", type=float, default=0.8, help="near-duplicate Jaccard threshold")
    p.add_argument("--dedup-against", metavar="PATH", help="an earlier build whose stories to keep out")
    p.add_argument(
        "--allow-empty", action="store_true", help="write the build even when it keeps no document"
    )
    p.add_argument("--workers", type=_workers, help="worker processes (0 = in-process; default: auto)")
    p.set_defaults(func=cmd_dedup)

    p = sub.add_parser("report", help="summarize a finished build from its manifest (--html: the page)")
    p.add_argument("build_dir")
    p.add_argument(
        "--html",
        action="store_true",
        help="write the HTML build report (default BUILD/report.html, the bytes the build wrote)",
    )
    p.add_argument("--out", metavar="FILE", help="with --html: write the page here instead")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("verify", help="re-hash a build and check it against its manifest")
    p.add_argument("build_dir")
    p.set_defaults(func=cmd_verify)

    p = sub.add_parser("publish", help="upload a verified build to the Hub, a directory or an fsspec URL")
    p.add_argument("build_dir")
    p.add_argument("--repo-id", help="Hub dataset repo, ORG/NAME")
    p.add_argument("--to", help="a directory or fsspec URL (file://, s3:// with s3fs installed)")
    p.add_argument("--private", action="store_true", help="create the Hub repo private")
    p.add_argument("--revision", help="Hub branch to commit to (created if missing)")
    p.add_argument("--dry-run", action="store_true", help="print exactly what would be uploaded; no network")
    p.set_defaults(func=cmd_publish)

    p = sub.add_parser("stages", help="list the registered stages and their options")
    p.add_argument("names", nargs="*", metavar="STAGE", help="only these stages (default: every one)")
    p.set_defaults(func=cmd_stages)
    p = sub.add_parser("validate", help="check a config without running it")
    p.add_argument("config")
    p.set_defaults(func=cmd_validate)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one subcommand; expected failures are one line on stderr and an exit code, never a traceback."""
    args = make_parser().parse_args(argv)
    setup_logging(args.verbose, args.quiet)
    try:
        status = args.func(args)
        sys.stdout.flush()  # a full disk or a closed pipe shows here, not as a traceback at exit
        return status
    except KeyboardInterrupt:
        resumes = args.command in ("build", "dedup")
        tail = "; run the same command again to resume from its committed blocks" if resumes else ""
        fresh_line = "\n" if sys.stderr.isatty() else ""  # past the ^C and any progress bar
        print(f"{fresh_line}corpus: interrupted{tail}", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `corpus clean x | head`: the reader went away, nothing is wrong
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except CorpusError as exc:
        print(f"corpus: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # disk full, permission denied, a file gone: the system's own words
        where = " -> ".join(str(f) for f in (exc.filename, exc.filename2) if f is not None)
        what = exc.strerror or str(exc)
        print(f"corpus: error: {where + ': ' if where else ''}{what}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
