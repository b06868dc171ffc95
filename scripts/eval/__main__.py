"""`python -m scripts.eval`: the table of `make eval` (see scripts/eval/run.py)."""

import sys

from scripts.eval.run import main

sys.exit(main(sys.argv[1:]))
