"""The KPI registry: `@register` a `Kpi` subclass and every command and report can use it."""

from __future__ import annotations

from .kpi import Kpi

_KPIS: dict[str, type[Kpi]] = {}


def register(cls: type[Kpi]) -> type[Kpi]:
    """Class decorator: make a KPI available as `cx <name>` and in reports."""
    if cls.name in _KPIS:
        raise ValueError(f"KPI {cls.name!r} is registered twice")
    _KPIS[cls.name] = cls
    return cls


def all_kpis() -> dict[str, type[Kpi]]:
    """Every registered KPI by name, in registration order."""
    from . import kpis  # noqa: F401  (registers the built-ins)

    return dict(_KPIS)
