"""The built-in KPIs; importing this package registers them, in the order `cx --help` lists."""
# isort: skip_file

from . import nps
from . import csat
from . import ces
from . import fcr
from . import aht
from . import art

__all__ = ["aht", "art", "ces", "csat", "fcr", "nps"]
