"""Write schemas/document.schema.json from corpus.document.FIELDS (the one source of truth).

python scripts/gen_schemas.py          # rewrite
python scripts/gen_schemas.py --check  # exit 1 if the file on disk is stale
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from corpus.document import json_schema

TARGET = Path(__file__).resolve().parents[1] / "schemas" / "document.schema.json"


def render() -> str:
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"


def main() -> int:
    text = render()
    if "--check" in sys.argv:
        stale = not TARGET.exists() or TARGET.read_text(encoding="utf-8") != text
        print(f"{TARGET.name}: {'stale, run scripts/gen_schemas.py' if stale else 'up to date'}")
        return int(stale)
    TARGET.write_text(text, encoding="utf-8")
    print(f"wrote schemas/{TARGET.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
