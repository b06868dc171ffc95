"""Token counts of the kept text, for the manifest and the dataset card.

The tokenizer is OpenAI's ``o200k_base`` as the bpe-openai package ships it (offline, no download):
loaded once per process, on first use; a document counts ``len(encode_ordinary(text))`` tokens
(special-token text is counted as ordinary text). ``output.count_tokens: false`` turns it off.

>>> count("Hello world, this is a test.")
8
>>> describe()["tokenizer"]
'o200k_base'
"""

from __future__ import annotations

from typing import Any

from corpus.errors import ConfigError

TOKENIZER = "o200k_base"
PACKAGE = "bpe-openai"

_ENCODING: Any = None


def encoding() -> Any:
    """The tokenizer, loaded once per process; ConfigError naming the option when it is missing."""
    global _ENCODING
    if _ENCODING is None:
        try:
            import bpe_openai
        except ImportError:
            raise ConfigError(
                f"output.count_tokens: counting tokens needs the {PACKAGE} package "
                f"(pip install {PACKAGE}); or set output.count_tokens: false"
            ) from None
        _ENCODING = bpe_openai.get_encoding(TOKENIZER)
    return _ENCODING


def count(text: str) -> int:
    """Tokens in ``text`` (``encode_ordinary``)."""
    return len(encoding().encode_ordinary(text))


def library() -> str:
    """``bpe-openai 0.1.4``: the package and version that counted."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"{PACKAGE} {version(PACKAGE)}"
    except PackageNotFoundError:
        encoding()  # the one clear error
        return PACKAGE


def describe() -> dict[str, str]:
    """The tokenizer's name and library, as the manifest records them."""
    return {"tokenizer": TOKENIZER, "library": library()}
