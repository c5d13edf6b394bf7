"""The change tests of one run — every period's change from the one before (segments ×
periods), and each comparison with a baseline or an earlier run — adjusted together for
multiplicity: Benjamini–Hochberg by default (`--adjust bh|holm|none`). A change keeps its raw
`p_value`, adds `p_adjusted`, and is `significant` when the adjusted p is below α = 1 −
confidence; `mde` is the smallest change the test would detect at this n with 80% power at
that α (unadjusted), so "n.s." can be read as "could only have detected ±mde"."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .stats import ADJUSTMENT_NAMES, ADJUSTMENTS, Test, adjust

DEFAULT_ADJUST = "bh"


@dataclass
class GroupTests:
    """The tests of one KPI's period groups, by group index, and their adjusted p-values."""

    confidence: float
    method: str = DEFAULT_ADJUST
    tests: dict[int, Test] = field(default_factory=dict)
    adjusted: dict[int, float] = field(default_factory=dict)

    def change(self, index: int, vs: str | None, delta: float | None) -> dict[str, Any]:
        """The `change` of group `index` against the period before it, `vs`."""
        test = self.tests.get(index)
        return change_dict(vs, delta, test, self.adjusted.get(index), self.method, self.confidence)


def change_dict(
    vs: str | None,
    delta: float | None,
    test: Test | None,
    adjusted: float | None,
    method: str,
    confidence: float,
) -> dict[str, Any]:
    """A change as JSON shows it: raw and adjusted p, the test, its mde, and the verdict."""
    p_adjusted = adjusted if adjusted is not None else (test.p_value if test else None)
    return {
        "vs": vs,
        "delta": delta,
        "p_value": test.p_value if test else None,
        "p_adjusted": p_adjusted,
        "adjust": method if test else None,
        "test": test.method if test else None,
        "mde": test.mde if test else None,
        "significant": None if p_adjusted is None else p_adjusted < 1 - confidence,
    }


def adjust_together(
    groups: Iterable[GroupTests],
    singles: Iterable[tuple[dict[str, Any], float]],
    method: str,
) -> int:
    """Adjust every test of a run together (group tests, and single changes given as their
    dicts with their confidence); returns how many tests there were."""
    if method not in ADJUSTMENTS:
        raise ValueError(method)
    groups = list(groups)
    singles = [(d, c) for d, c in {id(d): (d, c) for d, c in singles}.values()]
    slots: list[tuple[GroupTests, int]] = [(g, i) for g in groups for i in g.tests]
    raw: list[float | None] = [g.tests[i].p_value for g, i in slots]
    raw += [d.get("p_value") for d, _ in singles]
    adjusted = adjust(raw, method)
    for g in groups:
        g.method = method
    for (g, i), value in zip(slots, adjusted[: len(slots)], strict=True):
        assert value is not None
        g.adjusted[i] = value
    for (d, confidence), value in zip(singles, adjusted[len(slots) :], strict=True):
        if value is None:
            continue
        d["p_adjusted"], d["adjust"] = value, method
        d["significant"] = value < 1 - confidence
    return sum(1 for p in raw if p is not None)


def adjusted_note(tests: int, method: str, confidence: float) -> str:
    """What the output says about how its tests were adjusted."""
    alpha = f"{1 - confidence:.3g}"
    if method == "none":
        chance = tests * (1 - confidence)
        return (
            f"{tests} change tests, not adjusted for multiplicity (--adjust none): at α = "
            f"{alpha} about {chance:.1f} would be flagged by chance alone; 'n.s. ±x': x is "
            "the smallest change the test could detect at its n (80% power)"
        )
    return (
        f"{tests} change tests adjusted together ({ADJUSTMENT_NAMES[method]}): a change is "
        f"significant when its adjusted p is below {alpha}; 'n.s. ±x': x is the smallest "
        "change the test could detect at its n (80% power)"
    )
