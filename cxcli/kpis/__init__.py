"""The built-in KPIs; importing this package registers them, in the order `cx --help` lists."""
# isort: skip_file

from . import nps
from . import csat
from . import ces

__all__ = ["ces", "csat", "nps"]
