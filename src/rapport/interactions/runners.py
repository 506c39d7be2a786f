"""The jobs of interactions on the core run framework (found by `autodiscover_modules`)."""

from rapport.interactions.cadence import CadenceRunner

__all__ = ["CadenceRunner"]
