"""Readers: one module per format family, the listing of inputs, decompression and decoding.

The public API, from the dispatcher (``readers``). The format modules import only ``base``,
``listing``, ``compression`` and ``decoding``, never this package's ``__init__`` or the
dispatcher, so no import cycle runs through here.
"""

from corpus.io.read.readers import (
    READERS,
    InputFile,
    Quarantined,
    ReadOptions,
    Skipped,
    check_readable,
    detect_format,
    expand_inputs,
    read_input,
)

__all__ = [
    "READERS",
    "InputFile",
    "Quarantined",
    "ReadOptions",
    "Skipped",
    "check_readable",
    "detect_format",
    "expand_inputs",
    "read_input",
]
