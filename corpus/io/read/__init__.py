"""Readers: one module per format family, the listing of inputs, decompression and decoding.

The public API: the dispatcher's (``readers``), the shared record types (``base``) and the
listing of inputs (``listing``). The format modules import only ``base``,
``listing``, ``compression`` and ``decoding``, never this package's ``__init__`` or the
dispatcher, so no import cycle runs through here.
"""

from corpus.io.read.base import Quarantined, ReadOptions, Skipped
from corpus.io.read.listing import InputFile, check_readable, expand_inputs
from corpus.io.read.readers import READERS, detect_format, read_input

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
