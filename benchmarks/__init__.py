"""Benchmarks: measured figures, each beside its baseline from the same run (`make bench`)."""
