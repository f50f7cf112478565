"""Utilities; ``minitorch.utils.data`` holds the data pipeline."""

from . import data

__all__ = ["data"]
