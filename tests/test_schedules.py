"""How far apart an AWS schedule expression's runs can be (policies/schedules.py), which the
rotation rule compares with its threshold."""

from __future__ import annotations

import pytest

from policies.schedules import longest_gap_days


@pytest.mark.parametrize(
    ("expression", "days"),
    [
        ("rate(10 days)", 10),
        ("rate(1 day)", 1),
        ("rate(12 hours)", 0.5),
        ("cron(0 16 1,15 * ? *)", 31),  # twice a month: a month bounds the gap
        ("cron(0 0 ? * MON *)", 31),
        ("cron(0 0 1 */3 ? *)", 93),  # quarterly
        ("cron(0 0 1 JAN-MAR ? *)", 310),  # March to next January
        ("cron(0 0 ? JAN,JUL MON *)", 186),
        ("cron(0 0 1 1 ? *)", 372),  # yearly
        ("cron(0 0 1 1 ? 2027)", None),  # ends with its year
        ("cron(0 0 1 13 ? *)", None),
        ("cron(0 0 1 SMARCH ? *)", None),
        ("cron(0 0 1 *)", None),
        ("every day", None),
    ],
)
def test_longest_gap(expression: str, days: float | None) -> None:
    assert longest_gap_days(expression) == days
