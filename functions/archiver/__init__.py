"""The archiver Lambda: Firehose's transformation step (archive raw, shape rows)."""
