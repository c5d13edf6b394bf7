"""The built-in KPIs, one module each, named as its command. `registry.all_kpis` imports them
all (in this order, the order `cx --help` lists); `cx nps …` imports only its own."""

BUILTIN = (
    "nps",
    "csat",
    "ces",
    "fcr",
    "aht",
    "art",
    "churn",
    "retention",
    "clv",
    "arpu",
    "cac",
    "mau",
    "redemption",
    "sentiment",
    "themes",
    "drivers",
    "cohorts",
)
