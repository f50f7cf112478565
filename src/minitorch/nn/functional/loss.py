"""Loss functions as stateless forward/backward pairs (work in progress)."""

__all__: list[str] = []
