"""Readers: one module per format family, the listing of inputs, decompression and decoding."""
