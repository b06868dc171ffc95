"""The dataset card's tags the Hub checks: ``license`` identifiers and ``language`` codes.

``LICENSES`` are the license identifiers the Hugging Face Hub accepts in a card, as listed in
its documentation (https://huggingface.co/docs/hub/repositories-licenses, the table between its
"region licenses" markers; huggingface/hub-docs, docs/hub/repositories-licenses.md at commit
008d54d0). A config's ``license:`` is checked against them when the config loads.

``ISO_639_1`` are the 183 ISO 639-1 codes (the two-letter codes of CLDR's language names, as
babel 2.19 ships them, less the withdrawn ``sh``). The card's ``language:`` holds only codes the
Hub takes: ISO 639-1, or a three-letter ISO 639-3 code; a detector's or an input's other forms
are mapped (``zh-cn`` -> ``zh``, ``en_US`` -> ``en``, ``iw`` -> ``he``) or left out.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from typing import Any

from corpus.errors import ConfigError

LICENSES_URL = "https://huggingface.co/docs/hub/repositories-licenses"
LICENSES = (
    "apache-2.0", "mit", "openrail", "bigscience-openrail-m", "creativeml-openrail-m",
    "bigscience-bloom-rail-1.0", "bigcode-openrail-m", "afl-3.0", "artistic-2.0", "bsl-1.0", "bsd",
    "bsd-2-clause", "bsd-3-clause", "bsd-3-clause-clear", "c-uda", "cc", "cc0-1.0", "cc-by-2.0",
    "cc-by-2.5", "cc-by-3.0", "cc-by-4.0", "cc-by-sa-3.0", "cc-by-sa-4.0", "cc-by-nc-2.0",
    "cc-by-nc-3.0", "cc-by-nc-4.0", "cc-by-nd-4.0", "cc-by-nc-nd-3.0", "cc-by-nc-nd-4.0",
    "cc-by-nc-sa-2.0", "cc-by-nc-sa-3.0", "cc-by-nc-sa-4.0", "cdla-sharing-1.0",
    "cdla-permissive-1.0", "cdla-permissive-2.0", "wtfpl", "ecl-2.0", "epl-1.0", "epl-2.0",
    "etalab-2.0", "eupl-1.1", "agpl-3.0", "gfdl", "gpl", "gpl-2.0", "gpl-3.0", "lgpl", "lgpl-2.1",
    "lgpl-3.0", "isc", "lppl-1.3c", "ms-pl", "mpl-2.0", "odc-by", "odbl", "openrail++", "osl-3.0",
    "postgresql", "ofl-1.1", "ncsa", "unlicense", "zlib", "pddl", "lgpl-lr", "deepfloyd-if-license",
    "llama2", "gemma", "unknown", "other",
)  # fmt: skip

ISO_639_1 = frozenset(
    """
    aa ab ae af ak am an ar as av ay az ba be bg bi bm bn bo br bs ca ce ch co cr cs cu cv cy da de dv
    dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu hy hz ia id ie
    ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky la lb lg li ln lo lt lu lv
    mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv ny oc oj om or os pa pi pl ps pt qu rm
    rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr ss st su sv sw ta te tg th ti tk tl tn to tr ts
    tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo za zh zu
    """.split()
)
# withdrawn ISO 639-1 codes some detectors still write, and what replaced them
_RENAMED = {"iw": "he", "in": "id", "ji": "yi", "jw": "jv", "mo": "ro"}
# ISO 639-3 codes that name no language: undetermined, no linguistic content, uncoded, multiple
_NOT_A_LANGUAGE = frozenset({"und", "zxx", "mis", "mul"})
_THREE = re.compile(r"^[a-z]{3}$")


def check_license(value: object, where: str = "config") -> None:
    """A ConfigError naming the option and the closest identifiers when ``value`` is not a license
    identifier the Hub accepts.

    >>> check_license("cc-by-4.0")
    >>> try:
    ...     check_license("CC-BY-4.0")
    ... except ConfigError as exc:
    ...     print(str(exc).split(" (")[0])
    config: license: 'CC-BY-4.0' is not a license identifier the Hub accepts; did you mean cc-by-4.0?
    """
    if value in LICENSES:
        return
    text = str(value)
    lower = text.lower()
    close = [lower] if lower in LICENSES else difflib.get_close_matches(lower, LICENSES, n=3, cutoff=0.6)
    hint = f"did you mean {', '.join(close)}? " if close else ""
    raise ConfigError(
        f"{where}: license: {text!r} is not a license identifier the Hub accepts; {hint}"
        f"(the list: {LICENSES_URL}; other for any other license)"
    )


def check_license_other(config: dict[str, Any], where: str = "config") -> None:
    """A ConfigError when ``license_name`` or ``license_link`` is given with a license other than
    ``other``: the Hub reads them only then, and a card naming two licenses misleads.

    >>> check_license_other({"license": "other", "license_name": "news-terms-1.0"})
    >>> try:
    ...     check_license_other({"license": "mit", "license_link": "LICENSE"})
    ... except ConfigError as exc:
    ...     print(exc)
    config: license_link: goes with license: other, not 'mit' (the Hub reads it only then)
    """
    license = config.get("license", "other")
    for key in ("license_name", "license_link"):
        if key in config and license != "other":
            raise ConfigError(
                f"{where}: {key}: goes with license: other, not {license!r} (the Hub reads it only then)"
            )


def license_note(config: dict[str, Any]) -> str | None:
    """What publishing tells a user whose card says ``license: other`` with no name: the Hub then
    shows no license for the dataset. None when the card names its license.

    >>> license_note({"license": "cc-by-4.0"}) is None, license_note({"license_name": "x-1.0"}) is None
    (True, True)
    >>> print(license_note({}).split(";")[0])
    the card says license: other with no license_name, so the Hub names no license
    """
    if config.get("license", "other") != "other" or config.get("license_name"):
        return None
    return (
        "the card says license: other with no license_name, so the Hub names no license; "
        "set license_name and license_link in the config"
    )


def hub_language(code: str) -> str | None:
    """The Hub language tag of a document's ``lang``, or None when it names no language the Hub
    knows.

    >>> [hub_language(c) for c in ("en", "zh-cn", "pt_BR", "iw", "fil", "und", "", "xx", "EN")]
    ['en', 'zh', 'pt', 'he', 'fil', None, None, None, 'en']
    """
    base = re.split(r"[-_]", code.strip().lower(), maxsplit=1)[0]
    base = _RENAMED.get(base, base)
    if base in ISO_639_1:
        return base
    if _THREE.match(base) and base not in _NOT_A_LANGUAGE and not "qaa" <= base <= "qtz":
        return base
    return None


def hub_languages(codes: Iterable[str]) -> list[str]:
    """The card's ``language:`` list: each code's Hub tag, once, in the order given.

    >>> hub_languages(["en", "und", "zh-cn", "zh-tw", "de"])
    ['en', 'zh', 'de']
    """
    out: list[str] = []
    for code in codes:
        tag = hub_language(code)
        if tag and tag not in out:
            out.append(tag)
    return out
