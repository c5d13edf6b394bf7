"""The KPI registry: `@register` a `Kpi` subclass and every command and report can use it."""

from __future__ import annotations

from .errors import UsageError
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


def get_kpi(name: str) -> type[Kpi]:
    kpis = all_kpis()
    if name not in kpis:
        raise UsageError(f"unknown KPI {name!r}; known: {', '.join(kpis)}")
    return kpis[name]
