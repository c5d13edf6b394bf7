"""The built-in KPIs; importing this package registers them, in the order `cx --help` lists."""
# isort: skip_file

from . import nps
from . import csat
from . import ces
from . import fcr
from . import aht
from . import art
from . import churn
from . import retention
from . import clv
from . import arpu
from . import cac
from . import mau
from . import redemption

__all__ = [
    "aht",
    "arpu",
    "art",
    "cac",
    "ces",
    "churn",
    "clv",
    "csat",
    "fcr",
    "mau",
    "nps",
    "redemption",
    "retention",
]
