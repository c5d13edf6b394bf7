"""FCR against hand-computed cases and its edges."""

from __future__ import annotations

import pytest

from cxcli.errors import ColumnNotFound, UsageError
from cxcli.kpis.fcr import Fcr

C = "2025-01-02T00:00:00Z"


def test_contacts_reopened_and_unresolved_by_hand():
    est = Fcr().compute(
        {
            "contacts": [1, 1, 2, 0, None, 3, 1],
            "reopened": ["no", "YES", "n", "", None, "y", "f"],
            "resolved_at": [C, C, C, C, None, None, C],
        }
    )
    # resolved: rows 0,1,2,3,6 -> first contact & not reopened: rows 0, 3, 6
    assert (est.value, est.n) == (pytest.approx(60.0), 5)
    assert est.details["unresolved"] == 2  # row 4 has no contact count, but it is open
    assert est.details["reopened"] == 1 and est.details["resolved_first_contact"] == 3


def test_first_contact_flag():
    kpi = Fcr().bind({"first_contact": "x"})
    est = kpi.compute({"first_contact": ["true", "False", "1", "0", "maybe", None]})
    assert kpi.definition == "fcr.flag"
    assert (est.value, est.n) == (50.0, 4)


@pytest.mark.parametrize(
    ("contacts", "valid"), [("1", True), ("1.0", True), ("-1", False), ("1.5", False), ("x", False)]
)
def test_contact_validity(contacts, valid):
    assert (Fcr().compute({"contacts": [contacts]}).n == 1) is valid


def test_reopened_spellings_and_invalid_flags():
    kpi = Fcr()
    import pyarrow as pa

    parsed = kpi.parse({"contacts": pa.array([1, 1, 1]), "reopened": pa.array(["Y", "maybe", ""])})
    missing, invalid = kpi.row_status(parsed)
    assert invalid.tolist() == [False, True, False] and not missing.any()


def test_no_resolved_tickets_gives_null():
    est = Fcr().compute({"contacts": [1, 2], "resolved_at": [None, None]})
    assert est.value is None and est.details["unresolved"] == 2 and est.notes


def test_role_selection():
    kpi = Fcr()
    assert kpi.select_roles({"first_contact": "F"}, {"contacts": "c"}) == {"first_contact": "F"}
    assert kpi.select_roles({}, {"contacts": "c", "first_contact": "f"}) == {"contacts": "c"}
    with pytest.raises(UsageError):
        kpi.select_roles({"contacts": "a", "first_contact": "b"}, {})
    with pytest.raises(ColumnNotFound):
        kpi.select_roles({}, {"reopened": "r"})


def test_reopened_may_be_a_count():
    est = Fcr().compute(
        {"contacts": [1, 1, 1, 1, 1, 1], "reopened": ["0", "2", "1", None, "yes", "-1"]}
    )
    # first contact and never reopened: the 0 and the empty one; the -1 is invalid
    assert (est.value, est.n, est.details["reopened"]) == (40.0, 5, 3)
