"""placeholder family"""

__all__: list[str] = []
