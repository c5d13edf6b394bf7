"""cx: customer-experience KPIs from CSV, JSON Lines, Excel and Parquet exports and from data in
memory, streamed through one columnar core. From Python: `import cxcli as cx; cx.nps(df)`
(see `cxcli.api`); importing it changes nothing in the process and loads the API on first use.
"""

from typing import Any

__version__ = "0.1.0"

# The public API (cxcli.api), loaded on first use so that `cx --version` stays instant.
API = (
    "kpi",
    "report",
    "inspect",
    "Result",
    "ReportResult",
    "CxError",
    "InputError",
    "ColumnNotFound",
    "UsageError",
    "ConfigError",
    *("nps", "csat", "ces", "fcr", "aht", "art", "churn", "retention", "clv", "arpu", "cac"),
    *("mau", "redemption", "sentiment", "themes", "drivers", "cohorts"),
)


def version_line() -> str:
    """What `cx --version` prints."""
    return f"cx {__version__}\n"


def __getattr__(name: str) -> Any:
    if name == "ConfigError":
        from .reporting.config import ConfigError

        return ConfigError
    if name in API:
        from . import api

        return getattr(api, name)
    raise AttributeError(f"module 'cxcli' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *API])
