"""Export profiles: what the rows of a known tool's export mean — which column is which role,
how values read, which rows the tool's own reports leave out — recognised by a header
signature. A profile is data, not code: one entry of `PROFILES` (and a faithful fixture in
tests/exports.py). Every mapping yields to a flag; `--profile none` turns profiles off and
`--profile NAME` forces one; `cx profiles` lists them.

`source` says what a profile was built from: "published" (a vendor's sample export, or a
public parser quoting one) or "memory" (the format as remembered from using the tool: check
it against your own export)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import UsageError

if TYPE_CHECKING:
    from .definition import Kpi
    from .planning import Query

SURVEY = ("nps", "csat", "ces")


@dataclass(frozen=True)
class Rule:
    """A row filter a profile applies, as the tool's own reports do, and why."""

    where: str
    why: str


@dataclass(frozen=True)
class Profile:
    """One tool's export: `signature` columns (all present) recognise it; `roles` maps a KPI
    (or "*": every KPI) to role → column; `time` is the --time column of survey and ticket
    KPIs; `options` KPI options; `rules` row filters by KPI; `said` what a mapping means."""

    name: str
    title: str
    signature: tuple[str, ...]
    source: str
    roles: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    time: str | None = None
    options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    rules: Mapping[str, Rule] = field(default_factory=dict)
    said: Mapping[str, str] = field(default_factory=dict)  # column -> what it means
    assumes: str = ""

    def roles_for(self, kpi: str) -> dict[str, str]:
        return {**self.roles.get("*", {}), **self.roles.get(kpi, {})}


PROFILES: tuple[Profile, ...] = (
    Profile(
        "qualtrics",
        "Qualtrics survey export",
        ("StartDate", "EndDate", "Status", "Finished", "RecordedDate", "ResponseId"),
        "published",
        time="RecordedDate",
        rules={
            kpi: Rule(
                "Status not in ('1', '2', '8', 'Survey Preview', 'Survey Test', 'Spam')",
                "survey previews, tests and spam left out, as Qualtrics' reports do",
            )
            for kpi in SURVEY
        },
        assumes="questions found by wording or their _NPS_GROUP sibling; partial (unfinished) "
        "responses counted, as Qualtrics records them",
    ),
    Profile(
        "surveymonkey",
        "SurveyMonkey survey export",
        ("Respondent ID", "Collector ID", "Start Date", "End Date"),
        "published",
        time="End Date",
        assumes="questions found by wording; a response dated when it was completed",
    ),
    Profile(
        "delighted",
        "Delighted NPS export",
        ("Response ID", "Score", "Comment", "Permalink", "Person ID"),
        "memory",
        roles={"nps": {"score": "Score"}},
        time="Created At",
        assumes="Score is the 0-10 NPS answer",
    ),
    Profile(
        "zendesk",
        "Zendesk ticket export",
        ("Id", "Created at", "Solved at", "Reopens", "Replies"),
        "memory",
        roles={
            "fcr": {"contacts": "Replies", "reopened": "Reopens", "resolved_at": "Solved at"},
            "art": {"created": "Created at", "resolved": "Solved at"},
            "csat": {"score": "Satisfaction Score"},
        },
        time="Created at",
        said={"Reopens": "a count", "Replies": "agent replies"},
        assumes="one reply and no reopen is a first-contact resolution (Explore's one-touch)",
    ),
    Profile(
        "freshdesk",
        "Freshdesk ticket export",
        ("Ticket ID", "Created time", "Resolved time", "Time tracked"),
        "memory",
        roles={
            "fcr": {"contacts": "Agent interactions", "resolved_at": "Resolved time"},
            "art": {"created": "Created time", "resolved": "Resolved time"},
            "aht": {"handle": "Time tracked"},
            "csat": {"score": "Survey results"},
        },
        time="Created time",
        options={"aht": {"clock": "hh:mm"}},
        said={"Time tracked": "hh:mm", "Agent interactions": "agent replies"},
        assumes="Time tracked is the agents' handle time, written hh:mm",
    ),
    Profile(
        "call-log",
        "contact-centre call log (Five9 / Genesys style)",
        ("TALK TIME", "HOLD TIME", "AFTER CALL WORK TIME", "HANDLE TIME", "ABANDONED"),
        "memory",
        roles={
            "aht": {
                "handle": "HANDLE TIME",
                "talk": "TALK TIME",
                "hold": "HOLD TIME",
                "acw": "AFTER CALL WORK TIME",
            }
        },
        rules={"aht": Rule("ABANDONED = 0", "answered calls only (ABANDONED = 0)")},
        said={"HANDLE TIME": "the total"},
        assumes="ABANDONED is 0 or 1; an abandoned call is no handled interaction",
    ),
    Profile(
        "stripe",
        "Stripe subscriptions export",
        ("id", "Customer ID", "Status", "Created (UTC)", "Canceled At (UTC)", "Ended At (UTC)"),
        "memory",
        roles={
            kpi: {
                "id": "Customer ID",
                "start": "Start (UTC)",
                "end": "Ended At (UTC)",
                "mrr": "Amount",
                "interval": "Interval",
                "interval_count": "Interval Count",
                "trial_end": "Trial End (UTC)",
                "status": "Status",
            }
            for kpi in ("churn", "retention")
        },
        said={
            "Ended At (UTC)": "when access ended; 'Canceled At (UTC)' is when the customer asked",
            "Amount": "per Interval",
        },
        assumes="a customer is lost when their last subscription ends, not when they ask to "
        "cancel; amounts are per plan interval",
    ),
    Profile(
        "chargebee",
        "Chargebee subscriptions export",
        ("Subscription Id", "Customer Id", "Status", "Started At", "Cancelled At"),
        "memory",
        roles={
            kpi: {"id": "Customer Id", "start": "Started At", "end": "Cancelled At"}
            for kpi in ("churn", "retention")
        },
        said={"Cancelled At": "when the subscription was cancelled"},
        assumes="Cancelled At is when the subscription ended",
    ),
    Profile(
        "shopify",
        "Shopify orders export",
        ("Name", "Email", "Financial Status", "Lineitem quantity", "Lineitem name", "Total"),
        "memory",
        roles={
            kpi: {
                "customer": "Email",
                "amount": "Total",
                "date": "Created at",
                "order": "Name",
                "refunds": "Refunded Amount",
                "status": "Financial Status",
            }
            for kpi in ("arpu", "clv")
        },
        said={"Email": "the customer", "Name": "the order; later lines carry no totals"},
        assumes="one row per line item, the order's totals on its first line",
    ),
    Profile(
        "amplitude",
        "Amplitude event export",
        ("event_type", "user_id", "device_id", "event_time"),
        "memory",
        roles={"mau": {"user": "user_id", "time": "event_time"}},
        assumes="an event with no user_id (an anonymous device) is missing",
    ),
    Profile(
        "mixpanel",
        "Mixpanel raw event export",
        ("event", "properties.time", "properties.distinct_id"),
        "memory",
        roles={"mau": {"user": "properties.distinct_id", "time": "properties.time"}},
    ),
    Profile(
        "segment",
        "Segment event export",
        ("type", "event", "userId", "anonymousId", "timestamp"),
        "memory",
        roles={"mau": {"user": "userId", "time": "timestamp"}},
        assumes="an event with no userId (anonymousId only) is missing",
    ),
)


def _key(name: str) -> str:
    return name.strip().lower()


def recognise(header: Sequence[str], wanted: str | None = None) -> Profile | None:
    """The profile whose signature the header holds (the most specific, if several), or the
    one `--profile` names; None with `--profile none` or when none fits."""
    if wanted is not None:
        if wanted.strip().lower() == "none":
            return None
        for profile in PROFILES:
            if profile.name == wanted.strip().lower():
                return profile
        names = ", ".join(p.name for p in PROFILES)
        raise UsageError(f"--profile {wanted!r} is not a profile; one of: {names}, none")
    present = {_key(c) for c in header}
    fitting = [p for p in PROFILES if all(_key(c) in present for c in p.signature)]
    return max(fitting, key=lambda p: len(p.signature), default=None)


def column_in(header: Sequence[str], column: str) -> str | None:
    """The header's spelling of a profile's column (names match ignoring case)."""
    return next((c for c in header if _key(c) == _key(column)), None)


def apply(kpi: Kpi, query: Query, header: Sequence[str]) -> tuple[Kpi, Query, Profile | None, list]:
    """The KPI and query as the header's profile says: the roles' columns, the --time column,
    options and row filters, each only where the user gave none; the profile, and what it set
    (as a line can say it)."""
    profile = recognise(header, query.profile)
    if profile is None:
        return kpi, query, None, []
    from .where import columns_of, parse_where  # ~4 ms: only for a recognised export

    known = {role.name: role for role in kpi.roles}
    mapping = {}
    for role, column in profile.roles_for(kpi.name).items():
        found = column_in(header, column)
        if role in known and found and not query.columns.get(role):
            mapping[role] = found
    said = [
        f"{known[r].option} {c!r}" + (f" ({profile.said[c]})" if c in profile.said else "")
        for r, c in mapping.items()
    ]
    changes: dict[str, Any] = {"columns": {**query.columns, **mapping}}
    time = column_in(header, profile.time) if profile.time else None
    if time and not query.time and not kpi.windowed:
        changes["time"] = time
        if query.needs_time:
            said.append(f"--time {time!r}")
    rule = profile.rules.get(kpi.name)
    if rule is not None and all(column_in(header, c) for c in columns_of(parse_where(rule.where))):
        changes["where"] = rule.where if not query.where else f"({rule.where}) and ({query.where})"
        said.append(rule.why)
    defaults = {f.name: f.default for f in dataclasses.fields(kpi)}
    options = {
        k: v for k, v in profile.options.get(kpi.name, {}).items() if getattr(kpi, k) == defaults[k]
    }
    said += [f"--{k.replace('_', '-')} {v}" for k, v in options.items()]
    kpi = dataclasses.replace(kpi, **options) if options else kpi
    return kpi, dataclasses.replace(query, **changes), profile, said
