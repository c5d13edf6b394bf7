"""What the ticket KPIs (fcr, art) share: open tickets, and the names of ticket time columns."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..values import Parsed

UNRESOLVED = -(2**63)  # the resolution time of an open ticket
TIME_ALIASES = ("created_at", "opened_at", "created", "opened", "open_date", "timestamp", "date")


def unresolved_as_value(
    resolved: Parsed, created: Parsed | None = None, longest_us: int | None = None
) -> Parsed:
    """An empty resolution time is not missing data: the ticket is open. Mark it with the
    UNRESOLVED value (a usable row); a resolution before the creation time, or more than
    `longest_us` after it (a `9999-12-31` "never"), is invalid."""
    import numpy as np

    from ..values import Parsed

    invalid = resolved.invalid
    if created is not None:
        both = created.valid & resolved.valid
        took = resolved.values - created.values  # read only where both are valid
        invalid = invalid | (both & (took < 0))
        if longest_us is not None:
            invalid |= both & (took > longest_us)
    values = np.where(resolved.missing, UNRESOLVED, resolved.values)
    return Parsed(values, np.zeros(len(values), dtype=bool), invalid)
