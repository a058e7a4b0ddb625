"""The cost estimate as a terminal table and as Markdown, rendered from its JSON form (what
previews and diffs carry). A diff's base may come from an older revision of this code: of the
base, only its totals are read."""

from __future__ import annotations

from typing import Any

from rich.table import Table

Document = dict[str, Any]
Money = float | None

TENANT_STACK_NOTE = (
    "a tenant stack: the lines are its tenants' own resources; clusters, network and Bedrock "
    "are its platform stack's"
)
NOT_ESTIMATED = "billed by use, or no price in the table; not counted as $0"


def usd(value: Money) -> str:
    return "unknown" if value is None else f"${value:,.2f}"


def _title(data: Document) -> str:
    prices = data["prices"]
    aws = (
        f"AWS {prices['awsRegion']} prices of {prices['awsTable']}"
        if prices["awsTable"]
        else f"no AWS price table for {prices['awsRegion']}"
    )
    return (
        f"Monthly cost estimate: stack {data['stack']} ({aws}, CoreWeave prices of "
        f"{prices['coreweaveTable']}; on-demand list prices)"
    )


def _table_note(data: Document) -> str:
    return f"Price table: {data['prices']['note']}"


def _why(item: Document) -> str:
    return f"{item['reason']}: {item['detail']}" if item["detail"] else item["reason"]


def to_table(data: Document, base: Document | None = None) -> Table:
    """The terminal view; with `base`, the change of each total (as in the Markdown)."""
    table = Table(title=_title(data), title_justify="left", caption=_table_note(data))
    for column in ("item", "detail", "min / month", "max / month"):
        table.add_column(column, overflow="fold")
    for line in data["lines"]:
        table.add_row(line["item"], line["detail"], usd(line["minUsd"]), usd(line["maxUsd"]))
    total = data["total"]
    if data["tenantStack"]:
        table.add_row("platform", TENANT_STACK_NOTE, "", "")
    table.add_row("total", "", usd(total["minUsd"]), usd(total["maxUsd"]), style="bold")
    if base is not None:
        before = base["total"]
        table.add_row(
            "change from base",
            "",
            _delta(before["minUsd"], total["minUsd"]),
            _delta(before["maxUsd"], total["maxUsd"]),
        )
    for tenant in data["tenants"]:
        flag = " OVER BUDGET" if tenant["overBudget"] else ""
        table.add_row(
            f"tenant {tenant['tenant']}",
            f"max GPU spend ({tenant['detail']}) vs budget {usd(tenant['budgetUsd'])}{flag}",
            "",
            usd(tenant["maxGpuUsd"]),
            style="bold red" if tenant["overBudget"] else None,
        )
    if data["notEstimated"]:
        table.add_section()
        table.add_row("not estimated", NOT_ESTIMATED, "", "", style="bold")
        for item in data["notEstimated"]:
            table.add_row(f"{item['kind']} × {item['count']}", _why(item), "", "")
    return table


def to_markdown(data: Document, base: Document | None = None) -> str:
    """The cost section of a pull-request comment; with `base`, the change of each total."""
    lines = [
        f"#### {_title(data)}",
        "",
        f"_{_table_note(data)}_",
        "",
        "| item | detail | min / month | max / month |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {line['item']} | {line['detail']} | {usd(line['minUsd'])} | {usd(line['maxUsd'])} |"
        for line in data["lines"]
    ]
    total = data["total"]
    if data["tenantStack"]:
        lines.append(f"| platform | {TENANT_STACK_NOTE} | | |")
    lines.append(f"| **total** | | **{usd(total['minUsd'])}** | **{usd(total['maxUsd'])}** |")
    if base is not None:
        before = base["total"]
        lines.append(
            f"| change from base | | {_delta(before['minUsd'], total['minUsd'])} "
            f"| {_delta(before['maxUsd'], total['maxUsd'])} |"
        )
    if data["tenants"]:
        lines += ["", "| tenant | GPU quota | max GPU spend | budget |", "|---|---|---|---|"]
        lines += [
            f"| {t['tenant']} | {t['detail']} | {usd(t['maxGpuUsd'])}"
            f"{' :warning: over budget' if t['overBudget'] else ''} | {usd(t['budgetUsd'])} |"
            for t in data["tenants"]
        ]
    if data["notEstimated"]:
        lines += ["", f"**Not estimated** ({NOT_ESTIMATED}):", "", "| kind | count | why |"]
        lines.append("|---|---|---|")
        lines += [
            f"| {item['kind']} | {item['count']} | {_why(item)} |" for item in data["notEstimated"]
        ]
    return "\n".join(lines) + "\n"


def _delta(before: Money, after: Money) -> str:
    if before is None or after is None:
        return "unknown"
    change = after - before
    return f"{'+' if change >= 0 else '-'}${abs(change):,.2f}"
