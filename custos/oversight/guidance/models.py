"""Models of this part of oversight (see custos/oversight/models.py)."""

__all__: list[str] = []
