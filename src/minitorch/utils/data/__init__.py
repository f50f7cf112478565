"""Data pipeline (work in progress)."""
