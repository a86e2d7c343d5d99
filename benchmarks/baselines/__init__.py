"""Baselines the figures are compared to: the seed project's approach and bare servers."""
