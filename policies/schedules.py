"""How far apart the runs of an AWS schedule expression can be, for rules about how often
something happens (Secrets Manager rotation takes `rate(...)` and six-field `cron(...)`:
docs.aws.amazon.com/secretsmanager/latest/userguide/rotate-secrets_schedule.html)."""

from __future__ import annotations

import re

RATE = re.compile(r"rate\((\d+) (hour|day)s?\)")
CRON = re.compile(r"cron\((.+)\)")
MONTH_NAMES = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
LONGEST_MONTH_DAYS = 31


def _month(text: str) -> int:
    upper = text.upper()
    return MONTH_NAMES.index(upper) + 1 if upper in MONTH_NAMES else int(text)


def _months(field: str) -> set[int]:
    """The months a cron month field (`*`, `?`, `4`, `JAN-MAR`, `*/3`, lists) fires in."""
    months: set[int] = set()
    for part in field.split(","):
        base, _, step = part.partition("/")
        if base in ("*", "?"):
            first, last = 1, 12
        elif "-" in base:
            first, last = (_month(end) for end in base.split("-", 1))
        else:
            first = _month(base)
            last = 12 if step else first
        months.update(range(first, last + 1, int(step or 1)))
    return months


def _cron_days(fields: list[str]) -> float | None:
    """Days between runs at most, judged by the months a six-field cron fires in (within a
    month it fires at least once, so a month's length bounds the gap from above)."""
    if len(fields) != 6 or fields[5] not in ("*", "?"):
        return None  # a year field ends the schedule: not a rotation interval
    months = sorted(_months(fields[3]))
    if not months or months[-1] > 12 or months[0] < 1:
        return None
    following = months[1:] + months[:1]
    gaps = [(later - earlier) % 12 or 12 for earlier, later in zip(months, following, strict=True)]
    return float(max(gaps) * LONGEST_MONTH_DAYS)


def longest_gap_days(expression: str) -> float | None:
    """The longest time between two runs of `expression`, in days (at most, for cron); None
    when it cannot be read."""
    if rate := RATE.fullmatch(expression):
        return int(rate[1]) / (24 if rate[2] == "hour" else 1)
    if cron := CRON.fullmatch(expression):
        try:
            return _cron_days(cron[1].split())
        except ValueError:
            return None
    return None
