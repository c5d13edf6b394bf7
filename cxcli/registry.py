"""The KPI registry: `@register` a `Kpi` subclass and every command and report can use it."""

from __future__ import annotations

import importlib

from .definition import Kpi

_KPIS: dict[str, type[Kpi]] = {}


def register(cls: type[Kpi]) -> type[Kpi]:
    """Class decorator: make a KPI available as `cx <name>` and in reports."""
    if cls.name in _KPIS:
        raise ValueError(f"KPI {cls.name!r} is registered twice")
    _KPIS[cls.name] = cls
    return cls


def builtin_kpi(name: str) -> type[Kpi]:
    """One built-in KPI, importing only its module (which registers it)."""
    importlib.import_module(f"{__package__}.kpis.{name}")
    return _KPIS[name]


def all_kpis() -> dict[str, type[Kpi]]:
    """Every registered KPI by name: the built-ins in their order, then any other."""
    from .kpis import BUILTIN

    builtins = {name: builtin_kpi(name) for name in BUILTIN}
    return builtins | {name: cls for name, cls in _KPIS.items() if name not in builtins}
