"""Shared fixtures. Data labelled by others lives in ../shared beside the checkout."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from corpus import stages
from tests.s3server import fresh_s3fs, s3_server  # noqa: F401  (S3 server fixtures for every test file)

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


def shared_path(*parts: str) -> Path:
    """A path under ../shared, or skip the test with the reason when it is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"needs ../shared/{'/'.join(parts)} (the team's shared data, present in CI)")
    return path


@pytest.fixture
def sample_article() -> str:
    """The running example: a real scraped article shipped in data/sample (from ../shared/samples)."""
    return (ROOT / "data" / "sample" / "pompeo-nagorno-karabakh.txt").read_text(encoding="utf-8")


@pytest.fixture
def toy_stages() -> Iterator[None]:
    """The tiny stages of tests/stages_for_tests.py registered for one test, removed after it."""
    from tests.stages_for_tests import TOY_STAGES, registered_stages

    with registered_stages(**TOY_STAGES):
        yield


@pytest.fixture(scope="module", autouse=True)
def registry_unchanged() -> Iterator[None]:
    """Every test module leaves the stage registry as it found it (register with ``toy_stages`` or
    ``tests.stages_for_tests.registered_stages``, which remove what they add)."""
    before = stages.available()
    yield
    after = stages.available()
    assert after == before, (
        f"the stage registry changed: added {sorted(set(after) - set(before))}, "
        f"removed {sorted(set(before) - set(after))}"
    )


# tests/plugins holds installable example packages, not tests: pytest does not collect them (their
# modules are imported by name once a test puts the package on sys.path, as an installed package
# would be). Said here: a conftest.py of its own would shadow this module's `from conftest import`.
collect_ignore = ["plugins"]


_RAY = re.compile(r"(?<![a-z])ray(?![a-z])")  # test_ray.py, ..._on_ray_workers; not "array"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under ``pytest -n 2 --dist loadgroup`` (make test), every test that starts or uses a Ray runs
    in one worker, one after another: the session's local Ray is one per worker, and two Rays (each
    sized to the machine's 2 CPUs) at once would starve each other's actors. A test is one of them
    when it asks for the session's Ray (``ray_cluster``, ``ray_here``) or names Ray (test_ray*.py,
    ``--engine ray`` in a subprocess). Without xdist the mark means nothing."""
    for item in items:
        if _RAY.search(item.nodeid.lower()) or {"ray_cluster", "ray_here"} & set(item.fixturenames):
            item.add_marker(pytest.mark.xdist_group("ray"))
