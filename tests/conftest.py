"""Shared fixtures. Data labelled by others lives in ../shared beside the checkout."""

from __future__ import annotations

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
