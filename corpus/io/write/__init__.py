"""Writers: Parquet shards, the dataset card, the manifest."""
