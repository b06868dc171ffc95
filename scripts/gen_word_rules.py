"""Write corpus/text/data/spacy_en_rules.json: spaCy's English tokenizer rules, as data.

The quality signals count words as spaCy's blank English tokenizer splits them (datatrove's
default, the reference the Gopher, C4 and FineWeb rules are checked against). spaCy (MIT licence,
Explosion AI) is not a dependency of corpus: this script, run where spaCy is installed (the bench
environment: ``build/bench-venv/bin/python -m scripts.gen_word_rules``), copies its prefix,
suffix, infix and URL patterns and its special cases into a JSON file; corpus.text.words applies
them with its own implementation of the tokenizer's algorithm.
"""

from __future__ import annotations

import json
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "corpus" / "text" / "data" / "spacy_en_rules.json"


def main() -> None:
    import spacy
    from spacy.attrs import ORTH

    tokenizer = spacy.blank("en").tokenizer
    special = {
        orth: [piece.get("ORTH", piece.get(ORTH)) for piece in pieces]
        for orth, pieces in sorted(tokenizer.rules.items())
    }
    rules = {
        "source": f"spaCy {spacy.__version__}, English tokenizer (MIT licence, Explosion AI)",
        "prefix": tokenizer.prefix_search.__self__.pattern,
        "suffix": tokenizer.suffix_search.__self__.pattern,
        "infix": tokenizer.infix_finditer.__self__.pattern,
        "url": tokenizer.url_match.__self__.pattern,
        "special": {k: v for k, v in special.items() if k.strip()},
    }
    OUT.write_text(json.dumps(rules, ensure_ascii=False, indent=0, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {OUT.name}: {len(rules['special'])} special cases")


if __name__ == "__main__":
    main()
