"""A real S3-compatible server for tests: moto's server on 127.0.0.1, reached through the environment.

``s3_server`` (module scope) starts ``moto.server.ThreadedMotoServer`` on 127.0.0.1 and a free
port, points the environment at it, creates one bucket, yields ``S3Server(endpoint, bucket)``
(a named tuple: ``endpoint, bucket = s3_server`` works) and, after the module, stops the server
and puts the environment back as it was.

The environment it sets, which is all a client needs (boto3, s3fs, pyarrow, and a subprocess: a
Ray worker, the CLI run with ``subprocess``, inherit it):

- ``AWS_ENDPOINT_URL``: ``http://127.0.0.1:<port>``. botocore (>= 1.31; 1.43 here) reads it for
  every client, and s3fs 2026.9 / aiobotocore 3.10 go through botocore's config, so
  ``s3fs.S3FileSystem()`` with no arguments reaches the server (checked by ``test_s3.py``).
  For an older botocore the fallback is ``FSSPEC_S3_ENDPOINT_URL`` (fsspec's config from the
  environment, read once when fsspec is imported: set it before a process imports fsspec).
- ``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY``: dummies (``SECRET`` below, which tests
  check never appears in any output); ``AWS_DEFAULT_REGION``: us-east-1.
- ``AWS_CONFIG_FILE`` / ``AWS_SHARED_CREDENTIALS_FILE``: a path that does not exist, and
  ``AWS_PROFILE`` / ``AWS_SESSION_TOKEN`` unset, so a developer's ~/.aws never leaks in.

s3fs keeps filesystem instances per process (keyed by their arguments, not by the environment):
the fixture clears that cache (``s3fs.S3FileSystem.clear_instance_cache()``) when it starts and
when it stops, so no instance pointing at a stopped server outlives the module; ``fresh_s3fs``
does the same between tests when a test needs it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pytest

KEY_ID = "corpus-test-key-id"
SECRET = "corpus-test-SECRET-do-not-print"
REGION = "us-east-1"
BUCKET = "corpus-test-bucket"
_UNSET = ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_DEFAULT_PROFILE")


class S3Server(NamedTuple):
    endpoint: str  # http://127.0.0.1:<port>
    bucket: str  # created, empty at the start of the module


def clear_s3fs_cache() -> None:
    """Forget s3fs's cached filesystem instances (they hold a client bound to one endpoint)."""
    try:
        import s3fs
    except ImportError:  # pragma: no cover - s3fs is in the dev extra
        return
    s3fs.S3FileSystem.clear_instance_cache()


def s3_environment(endpoint: str, config_dir: Path) -> dict[str, str]:
    """The variables that point boto3/s3fs (here and in subprocesses) at ``endpoint``."""
    missing = str(config_dir / "no-aws-config")
    return {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": KEY_ID,
        "AWS_SECRET_ACCESS_KEY": SECRET,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_CONFIG_FILE": missing,
        "AWS_SHARED_CREDENTIALS_FILE": missing,
    }


@pytest.fixture(scope="module")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    """moto's S3 server on 127.0.0.1 for one test module, with one bucket; see the module doc."""
    pytest.importorskip("s3fs", reason="s3fs is in the dev extra")
    server_mod = pytest.importorskip("moto.server", reason="moto[server] is in the dev extra")
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no request log on stderr
    server = server_mod.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        with pytest.MonkeyPatch.context() as mp:
            for name in _UNSET:
                mp.delenv(name, raising=False)
            for name, value in s3_environment(endpoint, tmp_path_factory.mktemp("aws")).items():
                mp.setenv(name, value)
            clear_s3fs_cache()
            _reset(endpoint)
            import boto3

            boto3.client("s3").create_bucket(Bucket=BUCKET)
            try:
                yield S3Server(endpoint, BUCKET)
            finally:
                clear_s3fs_cache()
                _reset(endpoint)
    finally:
        server.stop()


def _reset(endpoint: str) -> None:
    """Empty moto's state. The threaded server keeps it in this process, where ``moto.mock_aws``
    keeps its own (tests/io/test_publish_safety.py): without this, the buckets of one would show
    in the other."""
    import urllib.request

    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"), timeout=10)


@pytest.fixture
def fresh_s3fs(s3_server: S3Server) -> Iterator[S3Server]:
    """``s3_server`` with s3fs's instance cache cleared before and after the test."""
    clear_s3fs_cache()
    yield s3_server
    clear_s3fs_cache()


def upload(local: str | Path, url: str) -> None:
    """Copy a local file or folder (recursively) to an ``s3://`` URL through s3fs."""
    import fsspec

    fs, path = fsspec.core.url_to_fs(url)
    local = Path(local)
    if local.is_dir():
        for f in sorted(p for p in local.rglob("*") if p.is_file()):
            fs.put_file(str(f), f"{path.rstrip('/')}/{f.relative_to(local).as_posix()}")
    else:
        fs.put_file(str(local), path)
