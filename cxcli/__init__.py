"""cx: customer-experience KPIs from CSV and Parquet exports, streamed through one columnar core."""

__version__ = "0.1.0"


def version_line() -> str:
    """What `cx --version` prints."""
    return f"cx {__version__}\n"
