"""The Ray Data engine (``engine``), its private local Ray (``cluster``), work parts, dedup and write."""
