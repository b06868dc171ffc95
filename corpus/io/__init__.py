"""Readers (text, JSONL; plain or compressed) and writers (Parquet shards in Hub layout, card, manifest)."""
