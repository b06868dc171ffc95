"""datatrove 0.10.1's four quality filters over the bench documents, for `make bench-filters`.

Runs in the bench environment (datatrove and spaCy installed; never a dependency of corpus):

    build/bench-venv/bin/python -m scripts.bench.filters_peer DOCS.jsonl OUT.jsonl

Each filter sees every original document on its own (not chained). Writes one line per document:
``{"id", "gopher_quality": "keep" | reason, ...}``, then one line ``{"timing": {filter: cpu_s}}``.
Word splitting is cached by datatrove for the last 5 texts, so the filters after the first reuse
the tokens of the same text, as they would in one datatrove pipeline.
"""

from __future__ import annotations

import json
import sys
import time

FILTERS = ("gopher_quality", "gopher_repetition", "c4_quality", "fineweb_quality")

# Our drop reasons (stage -> rule) as datatrove 0.10.1 names them; a rule missing here has the same name.
DATATROVE_REASON = {
    "gopher_quality": {
        "short_doc": "gopher_short_doc",
        "long_doc": "gopher_long_doc",
        "short_mean_word": "gopher_below_avg_threshold",
        "long_mean_word": "gopher_above_avg_threshold",
        "too_many_hashes": "gopher_too_many_hashes",
        "too_many_ellipsis": "gopher_too_many_ellipsis",
        "too_many_bullets": "gopher_too_many_bullets",
        "too_many_end_ellipsis": "gopher_too_many_end_ellipsis",
        "few_alpha_words": "gopher_below_alpha_threshold",
        "few_stop_words": "gopher_enough_stop_words",
    },
    "gopher_repetition": {
        **{r: r for r in ("dup_para_frac", "dup_para_char_frac", "dup_line_frac", "dup_line_char_frac")},
        **{f"top_{n}_gram": f"top_{n}_gram" for n in (2, 3, 4)},
        **{f"dup_{n}_gram": f"duplicated_{n}_n_grams" for n in range(5, 11)},
        "empty": "empty",
    },
    "c4_quality": {r: r for r in ("lorem_ipsum", "curly_bracket", "too_few_sentences")},
    "fineweb_quality": {
        r: r for r in ("line_punct_ratio", "short_line_ratio", "char_dup_ratio", "list_ratio")
    }
    | {"empty": "empty"},
}


def build() -> dict:
    from datatrove.pipeline.filters import (
        C4QualityFilter,
        FineWebQualityFilter,
        GopherQualityFilter,
        GopherRepetitionFilter,
    )

    return {
        "gopher_quality": GopherQualityFilter(),
        "gopher_repetition": GopherRepetitionFilter(),
        "c4_quality": C4QualityFilter(),
        "fineweb_quality": FineWebQualityFilter(),
    }


def main(argv: list[str]) -> int:
    from datatrove.data import Document

    source, out = argv
    filters = build()
    cpu = dict.fromkeys(FILTERS, 0.0)
    with open(source, encoding="utf-8") as f, open(out, "w", encoding="utf-8") as w:
        for line in f:
            row = json.loads(line)
            result = {"id": row["id"]}
            for name, flt in filters.items():
                doc = Document(text=row["text"], id=row["id"])
                t0 = time.process_time()
                verdict = flt.filter(doc)
                cpu[name] += time.process_time() - t0
                if isinstance(verdict, tuple):
                    result[name] = verdict[1]
                else:
                    result[name] = "keep" if verdict else "drop"
            w.write(json.dumps(result) + "\n")
        w.write(json.dumps({"timing": cpu}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
