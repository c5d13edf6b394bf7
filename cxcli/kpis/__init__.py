"""The built-in KPIs; importing this package registers them."""

from . import ces, csat, nps

__all__ = ["ces", "csat", "nps"]
