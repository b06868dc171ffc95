"""A pure text function's keyword defaults are its stage's declared defaults, never a second copy
that drifts: the declaration (``OPTIONS``) is what ``corpus stages`` prints and a config gets."""

from __future__ import annotations

import inspect

import pytest

from corpus import stages
from corpus.text import boilerplate, encoding, handles, langid

PAIRS = [
    (encoding.fix_encoding, "fix_encoding"),
    (encoding.EncodingFixer, "fix_encoding"),
    (handles.normalize_handles, "normalize_handles"),
    (handles.rewrite_handles, "normalize_handles"),
    (boilerplate.strip_boilerplate, "strip_boilerplate"),
    (langid.detect_language, "detect_language"),
]


@pytest.mark.parametrize(("function", "stage"), PAIRS, ids=[f"{f.__name__}" for f, _ in PAIRS])
def test_text_function_defaults_are_the_declared_ones(function, stage):
    declared = stages.get(stage).OPTIONS
    params = inspect.signature(function).parameters
    shared = [name for name in params if name in declared]
    assert shared, f"{function.__name__} shares no option with {stage}"
    for name in shared:
        assert params[name].default == declared[name].default, (function.__name__, name)
