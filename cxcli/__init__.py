"""cx: customer-experience KPIs from CSV and Parquet exports, streamed through one columnar core."""

__version__ = "0.1.0"
