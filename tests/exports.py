"""Small faithful exports of the tools CX teams use, built in code with each tool's quirks
(see ../shared/FIELD-NOTES.md): Qualtrics' three header rows, SurveyMonkey's question-over-
option header with blank names, Delighted's and Zendesk's `-0800` offsets, Freshdesk's hh:mm
`Time tracked`, a contact-centre call log, Amplitude and Mixpanel JSON Lines, and workbooks.

Each builder writes the file and returns its path; the tests compute the truth from the file
with pandas (and their own label maps), never through cx."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import random
from pathlib import Path

NPS_QUESTION = "How likely are you to recommend Acme to a friend or colleague?"
CSAT_QUESTION = "Overall, how satisfied are you with Acme?"
CES_QUESTION = "Acme made it easy for me to handle my issue."
COMMENT_QUESTION = (
    "What is the main reason for your score?\n(Please be specific, e.g. delivery, price)"
)
SATISFACTION_5 = [
    "Extremely dissatisfied",
    "Somewhat dissatisfied",
    "Neither satisfied nor dissatisfied",
    "Somewhat satisfied",
    "Extremely satisfied",
]
AGREEMENT_7 = [
    "Strongly disagree",
    "Disagree",
    "Somewhat disagree",
    "Neither agree nor disagree",
    "Somewhat agree",
    "Agree",
    "Strongly agree",
]
COMMENTS = ["Great, thanks", 'Said "soon", took a week', "ok", "line one\nline two", "", "N/A"]


def write_rows(path: Path, rows: list[list[object]], delimiter: str = ",") -> Path:
    """CSV as the tools write it: minimal quoting, CRLF line ends."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerows(["" if v is None else v for v in row] for row in rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def _time(rng: random.Random, start: dt.datetime, days: int) -> dt.datetime:
    return start + dt.timedelta(seconds=rng.randrange(days * 86_400))


def qualtrics(folder: Path, rows: int = 160, *, choice_text: bool = False, seed: int = 1) -> Path:
    """A Qualtrics export: tags, question text (one with a line break), ImportId JSON."""
    rng = random.Random(seed)
    tags = ["StartDate", "EndDate", "Status", "IPAddress", "Progress", "Duration (in seconds)"]
    tags += ["Finished", "RecordedDate", "ResponseId", "DistributionChannel", "UserLanguage"]
    tags += ["Q1", "Q1_NPS_GROUP", "Q2", "Q3", "Q4"]
    texts = ["Start Date", "End Date", "Response Type", "IP Address", "Progress"]
    texts += ["Duration (in seconds)", "Finished", "Recorded Date", "Response ID"]
    texts += ["Distribution Channel", "User Language", NPS_QUESTION, f"{NPS_QUESTION} - Group"]
    texts += [CSAT_QUESTION, CES_QUESTION, COMMENT_QUESTION]
    ids = ["startDate", "endDate", "status", "ipAddress", "progress", "duration", "finished"]
    ids += ["recordedDate", "_recordId", "distributionChannel", "userLanguage"]
    ids += ["QID1", "QID1_NPS_GROUP", "QID2", "QID3", "QID4_TEXT"]
    zone = ',"timeZone":"America/Denver"'
    imports = [json.dumps({"ImportId": i}).replace("}", zone + "}") for i in ids]
    out: list[list[object]] = [tags, texts, imports]
    start = dt.datetime(2025, 3, 1)
    for i in range(rows):
        began = _time(rng, start, 60)
        nps = rng.choice([None, *range(11), 9, 10, 10, 8])
        group = None if nps is None else 1 if nps <= 6 else 2 if nps <= 8 else 3
        csat = rng.choice([None, 1, 2, 3, 4, 4, 5, 5, 5])
        ces = rng.choice([None, *range(1, 8), 6, 7])
        if choice_text:
            nps_cell = (
                nps
                if nps not in (0, 10)
                else f"{nps} - {'Not at all' if nps == 0 else 'Extremely'} likely"
            )
            group_cell = None if group is None else ("Detractor", "Passive", "Promoter")[group - 1]
            csat_cell = None if csat is None else SATISFACTION_5[csat - 1]
            ces_cell = None if ces is None else AGREEMENT_7[ces - 1]
        else:
            nps_cell, group_cell, csat_cell, ces_cell = nps, group, csat, ces
        out.append(
            [
                began.strftime("%Y-%m-%d %H:%M:%S"),
                (began + dt.timedelta(minutes=4)).strftime("%Y-%m-%d %H:%M:%S"),
                0,
                f"10.0.{i % 250}.{i % 7}",
                100,
                240,
                "True" if choice_text else 1,
                (began + dt.timedelta(minutes=4)).strftime("%Y-%m-%d %H:%M:%S"),
                f"R_{i:08x}",
                "anonymous",
                "EN",
                nps_cell,
                group_cell,
                csat_cell,
                ces_cell,
                rng.choice(COMMENTS),
            ]
        )
    name = "qualtrics_choice_text.csv" if choice_text else "qualtrics_values.csv"
    return write_rows(folder / name, out)


SM_NPS = "How likely is it that you would recommend Acme to a friend or colleague?"
SM_CHANNELS = "Which channels did you use to contact us?"
SM_CSAT = "How satisfied were you with our support?"
SATISFACTION_SM = [
    "Very dissatisfied",
    "Dissatisfied",
    "Neither satisfied nor dissatisfied",
    "Satisfied",
    "Very satisfied",
]


def surveymonkey(folder: Path, rows: int = 150, seed: int = 2) -> Path:
    """A SurveyMonkey export: questions over options, blank names, US dates with AM/PM."""
    rng = random.Random(seed)
    first = ["Respondent ID", "Collector ID", "Start Date", "End Date", "IP Address"]
    first += ["Email Address", "First Name", "Last Name", "Custom Data 1", SM_NPS, SM_CHANNELS]
    first += ["", "", SM_CSAT, "Any other comments?"]
    second = [""] * 9 + ["Response", "Email", "Chat", "Phone", "Response", "Open-Ended Response"]
    out: list[list[object]] = [first, second]
    start = dt.datetime(2025, 4, 1)
    for i in range(rows):
        began = _time(rng, start, 45)
        ended = began + dt.timedelta(minutes=rng.randint(1, 9))
        channels = [c if rng.random() < 0.4 else None for c in ("Email", "Chat", "Phone")]
        csat = rng.choice([None, 1, 2, 3, 4, 4, 5, 5])
        out.append(
            [
                11_400_000_000 + i,
                451_000_000,
                began.strftime("%m/%d/%Y %I:%M:%S %p"),
                ended.strftime("%m/%d/%Y %I:%M:%S %p"),
                f"192.168.{i % 200}.1",
                "",
                "",
                "",
                "",
                rng.choice([None, *range(11), 9, 10]),
                *channels,
                None if csat is None else SATISFACTION_SM[csat - 1],
                rng.choice(COMMENTS),
            ]
        )
    return write_rows(folder / "surveymonkey.csv", out)


def delighted(folder: Path, rows: int = 160, seed: int = 3) -> Path:
    """Delighted: one 0-10 `Score`, times with a space before the offset."""
    rng = random.Random(seed)
    header = ["Response ID", "Created At", "Updated At", "Score", "Comment", "Permalink"]
    header += ["Person ID", "Email", "Name", "Tags", "Notes", "Delighted Source", "Country"]
    out: list[list[object]] = [header]
    zones = [dt.timezone(dt.timedelta(hours=-8)), dt.timezone(dt.timedelta(hours=1))]
    for i in range(rows):
        zone = rng.choice(zones)
        created = _time(rng, dt.datetime(2025, 3, 1), 42).replace(tzinfo=zone)
        out.append(
            [
                40_000 + i,
                created.strftime("%Y-%m-%d %H:%M:%S %z"),
                created.strftime("%Y-%m-%d %H:%M:%S %z"),
                rng.choice([*range(11), 9, 10, 10]),
                rng.choice(COMMENTS),
                f"https://delighted.com/r/{i}",
                900 + i,
                f"p{i}@example.com",
                f"Person {i}",
                "",
                "",
                "email",
                rng.choice(["US", "DE", "FR"]),
            ]
        )
    return write_rows(folder / "delighted.csv", out)


def zendesk(folder: Path, rows: int = 200, seed: int = 4) -> Path:
    """A Zendesk ticket export: `+0100` offsets, Good/Bad satisfaction, minutes columns."""
    rng = random.Random(seed)
    header = ["Id", "Subject", "Status", "Priority", "Group", "Assignee", "Created at"]
    header += ["Updated at", "Solved at", "Reopens", "Replies", "Satisfaction Score"]
    header += ["First reply time in minutes", "Full resolution time in minutes"]
    out: list[list[object]] = [header]
    zone = dt.timezone(dt.timedelta(hours=1))
    for i in range(rows):
        created = _time(rng, dt.datetime(2025, 1, 1), 30).replace(tzinfo=zone)
        solved = (
            None if rng.random() < 0.1 else created + dt.timedelta(minutes=rng.randint(5, 9000))
        )
        satisfaction = rng.choice(["Good", "Good", "Good", "Bad", "Offered", "Unoffered"])
        out.append(
            [
                1000 + i,
                f"Order {i} issue",
                "solved" if solved else "open",
                rng.choice(["low", "normal", "high"]),
                rng.choice(["Support", "Billing"]),
                f"agent{i % 5}",
                created.strftime("%Y-%m-%d %H:%M:%S %z"),
                created.strftime("%Y-%m-%d %H:%M:%S %z"),
                solved.strftime("%Y-%m-%d %H:%M:%S %z") if solved else "",
                rng.choice([0, 0, 0, 1, 2]),
                rng.randint(1, 6),
                satisfaction,
                rng.randint(1, 600),
                round(rng.uniform(5, 9000), 1),
            ]
        )
    return write_rows(folder / "zendesk_tickets.csv", out)


FRESHDESK_SURVEY = ["Not Good", "Just Okay", "Awesome"]


def freshdesk(folder: Path, rows: int = 180, seed: int = 5) -> Path:
    """A Freshdesk ticket export: `Time tracked` as hh:mm, hours columns, survey words."""
    rng = random.Random(seed)
    header = ["Ticket ID", "Subject", "Status", "Priority", "Source", "Agent", "Group"]
    header += ["Created time", "Resolved time", "Closed time", "Time tracked"]
    header += ["First response time (in hrs)", "Resolution time (in hrs)"]
    header += ["Agent interactions", "Customer interactions", "Survey results"]
    out: list[list[object]] = [header]
    for i in range(rows):
        created = _time(rng, dt.datetime(2025, 2, 1), 28)
        resolved = created + dt.timedelta(minutes=rng.randint(10, 4000))
        tracked = rng.randint(0, 180)
        out.append(
            [
                5000 + i,
                f"Help {i}",
                "Closed",
                "Medium",
                rng.choice(["Email", "Portal", "Phone"]),
                f"Agent {i % 4}",
                "Tier 1",
                created.strftime("%Y-%m-%d %H:%M:%S"),
                resolved.strftime("%Y-%m-%d %H:%M:%S"),
                resolved.strftime("%Y-%m-%d %H:%M:%S"),
                f"{tracked // 60:02d}:{tracked % 60:02d}",
                round(rng.uniform(0.1, 30), 2),
                round((resolved - created).total_seconds() / 3600, 2),
                rng.randint(1, 5),
                rng.randint(1, 5),
                rng.choice([None, None, *FRESHDESK_SURVEY, "Awesome"]),
            ]
        )
    return write_rows(folder / "freshdesk_tickets.csv", out)


def call_log(folder: Path, rows: int = 240, seed: int = 6) -> Path:
    """A contact-centre call log (Five9 style): hh:mm:ss components and HANDLE TIME; an
    abandoned call has talk 0 and no handle time."""
    rng = random.Random(seed)
    header = ["CALL ID", "DATE", "AGENT", "SKILL", "CALL TIME", "TALK TIME", "HOLD TIME"]
    header += ["AFTER CALL WORK TIME", "HANDLE TIME", "QUEUE WAIT TIME", "ABANDONED"]
    out: list[list[object]] = [header]

    def clock(seconds: int) -> str:
        return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"

    for i in range(rows):
        abandoned = rng.random() < 0.15
        talk = 0 if abandoned else rng.randint(60, 1800)
        hold = 0 if abandoned else rng.choice([0, 0, rng.randint(10, 300)])
        acw = 0 if abandoned else rng.randint(10, 240)
        queue = rng.randint(5, 400)
        handle = None if abandoned else talk + hold + acw + rng.choice([0, 0, 15])  # transfers
        out.append(
            [
                f"C{i:05d}",
                (dt.date(2025, 3, 1) + dt.timedelta(days=i % 28)).isoformat(),
                f"agent-{i % 6}",
                rng.choice(["Sales", "Support"]),
                clock(queue + talk + hold),
                clock(talk),
                clock(hold),
                clock(acw),
                "" if handle is None else clock(handle),
                clock(queue),
                1 if abandoned else 0,
            ]
        )
    return write_rows(folder / "call_log.csv", out)


def amplitude(folder: Path, rows: int = 400, seed: int = 7, *, array: bool = False) -> Path:
    """Amplitude events as JSON Lines (or a pretty-printed array): nested properties, null
    user ids, and drift (a property missing, another type)."""
    rng = random.Random(seed)
    events = []
    for i in range(rows):
        user = None if rng.random() < 0.05 else f"u{rng.randint(1, 60):04d}"
        when = _time(rng, dt.datetime(2025, 4, 20), 45)
        properties = {"item_id": rng.choice([17, "17", None, 42.5])} if i % 3 else {}
        events.append(
            {
                "event_type": rng.choice(["view", "purchase", "search"]),
                "user_id": user,
                "device_id": f"d{rng.randint(1, 90)}",
                "event_time": when.strftime("%Y-%m-%d %H:%M:%S.%f"),
                "event_properties": properties,
                "user_properties": {"plan": rng.choice(["free", "pro"]), "beta": i % 5 == 0},
                "uuid": f"{i:08d}-0000",
            }
        )
    if array:
        path = folder / "amplitude.json"
        path.write_text(json.dumps(events, indent=2), encoding="utf-8")
    else:
        path = folder / "amplitude.jsonl"
        path.write_text("".join(json.dumps(e) + "\n" for e in events), encoding="utf-8")
    return path


def mixpanel(folder: Path, rows: int = 300, seed: int = 8) -> Path:
    """A Mixpanel raw export: `properties.time` in epoch seconds, `properties.distinct_id`."""
    rng = random.Random(seed)
    lines = []
    start = int(dt.datetime(2025, 4, 25, tzinfo=dt.UTC).timestamp())
    for i in range(rows):
        lines.append(
            json.dumps(
                {
                    "event": rng.choice(["Signed in", "Viewed page"]),
                    "properties": {
                        "time": start + rng.randrange(40 * 86_400),
                        "distinct_id": f"user-{rng.randint(1, 45)}",
                        "$insert_id": f"ins{i}",
                        "mp_lib": "web",
                    },
                }
            )
        )
    path = folder / "mixpanel.ndjson"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def events_epoch_ms(folder: Path, rows: int = 300, seed: int = 9) -> Path:
    """Product events in CSV with epoch milliseconds."""
    rng = random.Random(seed)
    start = int(dt.datetime(2025, 4, 28, tzinfo=dt.UTC).timestamp() * 1000)
    out: list[list[object]] = [["user_id", "event", "timestamp"]]
    for _ in range(rows):
        out.append([f"u{rng.randint(1, 70)}", "open", start + rng.randrange(35 * 86_400_000)])
    return write_rows(folder / "events_ms.csv", out)


def workbook(path: Path, rows: list[list[object]], *, sheet: str = "Sheet1", before: int = 0):
    """An .xlsx written by xlsxwriter: datetimes as dates, timedeltas as durations;
    `before` empty sheets come first."""
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path))
    for n in range(before):
        book.add_worksheet(f"Notes {n + 1}").write(0, 0, "read me")
    sheet_ = book.add_worksheet(sheet)
    stamp = book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    day = book.add_format({"num_format": "yyyy-mm-dd"})
    clock = book.add_format({"num_format": "[h]:mm:ss"})
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is None or value == "":
                continue
            if isinstance(value, dt.datetime):
                sheet_.write_datetime(r, c, value, stamp)
            elif isinstance(value, dt.date):
                sheet_.write_datetime(r, c, dt.datetime.combine(value, dt.time()), day)
            elif isinstance(value, dt.timedelta):
                sheet_.write_datetime(r, c, value, clock)
            else:
                sheet_.write(r, c, value)
    book.close()
    return path


def read_rows(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


STRIPE_HEADER = [
    *("id", "Customer ID", "Customer Email", "Plan", "Interval", "Interval Count", "Amount"),
    *("Status", "Created (UTC)", "Start (UTC)", "Trial Start (UTC)", "Trial End (UTC)"),
    *("Canceled At (UTC)", "Cancel At Period End", "Ended At (UTC)"),
]
# (customer, interval, count, amount, status, start, trial end, canceled at, ended at)
STRIPE_ROWS = [
    ("A", "month", 1, 50, "active", "2025-01-10", "", "", ""),
    ("B", "month", 1, 40, "canceled", "2025-02-01", "", "2025-04-20", "2025-05-15"),
    ("C", "month", 1, 20, "canceled", "2025-01-05", "", "2025-02-20", "2025-03-01"),
    ("C", "month", 1, 20, "active", "2025-05-10", "", "", ""),  # a win-back
    ("D", "month", 1, 30, "canceled", "2025-02-10", "", "2025-05-01", "2025-05-05"),
    ("D", "month", 1, 30, "active", "2025-05-20", "", "", ""),  # gone and back in the month
    ("E", "year", 1, 1200, "active", "2025-05-03", "", "", ""),
    ("F", "month", 1, 25, "active", "2025-04-25", "2025-05-09", "", ""),  # paid after a trial
    ("G", "month", 1, 25, "canceled", "2025-04-20", "2025-05-04", "2025-05-02", "2025-05-04"),
    ("H", "month", 1, 25, "incomplete_expired", "2025-04-01", "", "", "2025-04-02"),
    ("I", "year", 1, 1200, "canceled", "2024-06-01", "", "2025-01-15", "2025-05-31"),
    ("J", "month", 3, 30, "active", "2025-03-01", "", "", ""),  # billed quarterly
    ("K", "month", 1, 25, "trialing", "2025-05-25", "2025-06-08", "", ""),
]


def stripe(folder: Path) -> Path:
    """A Stripe subscriptions export: one row per subscription (customers with several),
    `(UTC)` in the names, Canceled At (asked) apart from Ended At (access ended), plan
    intervals, trials. The truth for May 2025 is worked out by hand in test_exports.py."""
    out: list[list[object]] = [STRIPE_HEADER]
    for i, (who, interval, count, amount, status, start, trial, canceled, ended) in enumerate(
        STRIPE_ROWS
    ):
        at = lambda day: f"{day} 09:00" if day else ""  # noqa: E731
        out.append(
            [
                f"sub_{i:04d}",
                f"cus_{who}",
                f"{who.lower()}@example.com",
                f"plan_{interval}",
                interval,
                count,
                amount,
                status,
                at(start),
                at(start),
                at(start) if trial else "",
                at(trial),
                at(canceled),
                "true" if canceled and ended and canceled != ended else "false",
                at(ended),
            ]
        )
    return write_rows(folder / "stripe_subscriptions.csv", out)


SHOPIFY_HEADER = [
    *("Name", "Email", "Financial Status", "Paid at", "Fulfillment Status", "Currency"),
    *("Subtotal", "Shipping", "Taxes", "Total", "Created at", "Lineitem quantity"),
    *("Lineitem name", "Lineitem price", "Refunded Amount", "Id"),
]
# (order, email, status, total, refunded, created, line items)
SHOPIFY_ORDERS = [
    ("#1001", "a@example.com", "paid", 100, 0, "2025-05-02", 2),
    ("#1002", "b@example.com", "refunded", 50, 50, "2025-05-06", 1),
    ("#1003", "a@example.com", "partially_refunded", 80, 30, "2025-05-11", 3),
    ("#1004", "c@example.com", "voided", 40, 0, "2025-05-15", 1),
    ("#1005", "d@example.com", "paid", 60, 0, "2025-04-28", 1),
    ("#1006", "b@example.com", "pending", 25, 0, "2025-05-20", 1),
]


def shopify(folder: Path) -> Path:
    """A Shopify orders export: one row per line item, the order's totals on its first line
    only (later lines repeat Name, Email and Created at), refunds and voided orders."""
    out: list[list[object]] = [SHOPIFY_HEADER]
    for i, (name, email, status, total, refunded, created, lines) in enumerate(SHOPIFY_ORDERS):
        stamp = f"{created} 10:00:00 -0400"
        for line in range(lines):
            totals = line == 0
            out.append(
                [
                    name,
                    email,
                    status if totals else "",
                    stamp if totals and status != "voided" else "",
                    "fulfilled" if totals else "",
                    "USD" if totals else "",
                    total - 10 if totals else "",
                    5 if totals else "",
                    5 if totals else "",
                    total if totals else "",
                    stamp,
                    1,
                    f"Item {line}",
                    10,
                    refunded if totals and refunded else "",
                    5_000 + i if totals else "",
                ]
            )
    return write_rows(folder / "shopify_orders.csv", out)


def chargebee(folder: Path) -> Path:
    """A Chargebee subscriptions export (as remembered: the layout is not published)."""
    out: list[list[object]] = [
        ["Subscription Id", "Customer Id", "Plan Id", "Status", "Started At", "Cancelled At"]
    ]
    rows = [
        ("s1", "c1", "basic", "active", "2025-01-03", ""),
        ("s2", "c2", "basic", "cancelled", "2025-02-03", "2025-05-20"),
        ("s3", "c3", "pro", "active", "2025-05-07", ""),
        ("s4", "c4", "pro", "cancelled", "2025-03-01", "2025-04-10"),
    ]
    out += [[*r[:4], f"{r[4]} 08:00:00", f"{r[5]} 08:00:00" if r[5] else ""] for r in rows]
    return write_rows(folder / "chargebee_subscriptions.csv", out)


def segment(folder: Path, rows: int = 200, seed: int = 10) -> Path:
    """Segment track events as JSON Lines: userId (null for anonymous visitors)."""
    rng = random.Random(seed)
    lines = []
    for i in range(rows):
        user = None if rng.random() < 0.2 else f"user_{rng.randint(1, 30)}"
        when = _time(rng, dt.datetime(2025, 4, 25), 40).replace(tzinfo=dt.UTC)
        lines.append(
            json.dumps(
                {
                    "type": "track",
                    "event": "Order Completed",
                    "userId": user,
                    "anonymousId": f"anon-{i % 50}",
                    "timestamp": when.isoformat().replace("+00:00", "Z"),
                    "properties": {"revenue": rng.randint(5, 90)},
                }
            )
        )
    path = folder / "segment.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
