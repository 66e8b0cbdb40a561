"""The statistics screen: the figures of ``askdesk stats`` and charts read at a glance.

The numbers are counted in a thread worker (history may be years of
archives); the screen changes only when the ``Computed`` message arrives.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, cast

from rich.console import Group as RichGroup
from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Static
from textual_plotext import PlotextPlot
from textual_plotext.plot import Plot

from askdesk.config import StatsField
from askdesk.desk.stats import Group, Stats, day_start, format_duration, format_minutes, read
from askdesk.desk.text import inert_text
from askdesk.desk.views import format_age
from askdesk.model.opening_hours import OpeningHours
from askdesk.tui.widgets.footer import KeysFooter

if TYPE_CHECKING:
    from askdesk.tui.app import AskdeskApp

RANGES: tuple[tuple[str, int | None], ...] = (
    ("last 7 days", 7),
    ("last 30 days", 30),
    ("last 365 days", 365),
    ("all time", None),
)
NARROW_BELOW = 110

BREAKDOWNS = (("channel", "Channel"), ("type", "Question type"), ("read", "READ"))
BREAKDOWNS_2 = (("outcome", "Outcome"), ("staff", "Staff"))


def range_bounds(days: int | None, now: datetime, tz: tzinfo) -> tuple[date | None, date]:
    """The first and last local day of "the last ``days`` days", today included."""
    today = now.astimezone(tz).date()
    return (today - timedelta(days=days - 1) if days else None), today


def _ticks(labels: list[str], most: int = 8) -> tuple[list[float], list[str]]:
    """At most ``most`` evenly spaced tick positions (1-based) and their labels."""
    if not labels:
        return [], []
    step = max(1, -(-len(labels) // most))
    positions = range(1, len(labels) + 1, step)
    return [float(p) for p in positions], [labels[p - 1] for p in positions]


def _count_ticks(counts: list[int], most: int = 5) -> list[float]:
    """Whole-number ticks for a count axis (no "1.67 transactions")."""
    top = max(counts, default=0)
    step = max(1, -(-top // most))
    return [float(n) for n in range(0, top + step, step)]


ASKED_RESOLVED = ("asked", "resolved")
"""The two series of the hour and weekday charts, as their legend names them."""


def _bars(
    plt: Plot,
    series: Sequence[Sequence[int]],
    labels: Sequence[str | None] = (None,),
    *,
    first: int = 1,
    width: float = 0.8,
) -> None:
    """Each of ``series`` as bars side by side, its n-th count at ``first + n``, as
    plotext's ``multiple_bar`` draws them, except that a count of zero draws nothing.

    plotext draws a zero as a row of blanks in the bar's colour, joined to the
    next bar into one run of text: the screen shows nothing there, but an SVG
    snapshot (what reviewers look at) drew that next bar at the run's start, a
    block at zero on a day without transactions. Only bars with a height go to
    plotext, so those cells stay plain.
    """
    each = width / len(series)
    positions = len(series[0])
    for n, (counts, label) in enumerate(zip(series, labels, strict=True)):
        offset = (n - (len(series) - 1) / 2) * each
        shown = [(first + i + offset, count) for i, count in enumerate(counts) if count]
        if not shown:
            continue
        xs = [x for x, _ in shown]
        # plotext scales a bar's width by the mean gap between the xs it is given.
        gap = (xs[-1] - xs[0]) / (len(xs) - 1) if len(xs) > 1 else 1.0
        plt.bar(
            xs,
            [count for _, count in shown],
            marker="sd",
            width=each / gap,
            label=label,
            reset_ticks=False,
        )
    plt.xlim(first - 0.5, first + positions - 0.5)


class StatsScreen(Screen[None]):
    """Reference statistics for a range: figures, breakdowns and three charts."""

    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (NARROW_BELOW, "-wide")]
    """Below 110 columns the figures and charts stack (``askdesk.tcss``)."""

    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="back"),
        Binding(
            "r",
            "next_range",
            "Range",
            id="stats_range",
            tooltip="Show the next range: 7 days, 30 days, 365 days, all time",
        ),
        Binding("j,down", "scroll('down')", "Scroll", id="scroll_down", show=False),
        Binding("k,up", "scroll('up')", "Scroll", id="scroll_up", show=False),
    ]

    @dataclass
    class Computed(Message):
        """The worker counted the figures for the range with this index."""

        bubble = False
        stats: Stats
        range_index: int

    def __init__(self, range_index: int = 1) -> None:
        super().__init__()
        self.range_index = range_index

    @property
    def desk_app(self) -> AskdeskApp:
        return cast("AskdeskApp", self.app)

    def compose(self) -> ComposeResult:
        yield Static(id="stats-title")
        with VerticalScroll(id="stats-body"):
            with Horizontal(id="stats-figures"):
                yield Static("Counting…", id="stats-summary")
                yield Static(id="stats-breakdowns")
                yield Static(id="stats-breakdowns-2")
            with Horizontal(classes="stats-charts"):
                yield PlotextPlot(id="chart-day")
                yield PlotextPlot(id="chart-trend")
            with Horizontal(classes="stats-charts"):
                yield PlotextPlot(id="chart-hour")
                yield PlotextPlot(id="chart-weekday")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#stats-body").focus()
        self._count()

    # -- counting, off the event loop -----------------------------------------------

    def _count(self) -> None:
        label, days = RANGES[self.range_index]
        app = self.desk_app
        first, last = range_bounds(days, app.clock.now(), app.tz)
        self.query_one("#stats-title", Static).update(
            Text.assemble(
                ("Statistics", "bold"),
                # Short enough for 80 columns: "resolved" says what the dates count by.
                f" · {label} · resolved "
                + (f"{first.isoformat()} to " if first else "up to ")
                + f"{last.isoformat()} ({app.tz})",
            )
        )
        self.query_one("#stats-summary", Static).update("Counting…")
        since = day_start(first, app.tz) if first else None
        until = day_start(last + timedelta(days=1), app.tz)
        self.count(since, until, self.range_index)

    @work(thread=True, exclusive=True, group="stats", exit_on_error=False)
    def count(self, since: datetime | None, until: datetime, range_index: int) -> None:
        app = self.desk_app
        stats = read(
            app.desk.store,
            now=app.clock.now(),
            tz=app.tz,
            since=since,
            until=until,
            fields=[f.name for f in app.stats_fields],
            hours=app.opening_hours,
            team=app.desk.team,
        )
        self.post_message(self.Computed(stats, range_index))

    @on(Computed)
    def _computed(self, message: Computed) -> None:
        if message.range_index != self.range_index:
            return  # the range changed while counting; its own worker is on the way
        stats = message.stats
        self.query_one("#stats-summary", Static).update(
            summary_table(stats, self.desk_app.opening_hours)
        )
        self.query_one("#stats-breakdowns", Static).update(
            RichGroup(*(breakdown_table(stats, d, t) for d, t in BREAKDOWNS))
        )
        fields = self.desk_app.stats_fields
        self.query_one("#stats-breakdowns-2", Static).update(
            RichGroup(
                *(breakdown_table(stats, d, t) for d, t in BREAKDOWNS_2),
                *(field_table(stats, f) for f in fields),
            )
        )
        self._draw_charts(stats)

    def _draw_charts(self, stats: Stats) -> None:
        days = stats.count_by("day")
        labels = [d[5:] for d in days]  # MM-DD
        chart = self.query_one("#chart-day", PlotextPlot)
        # Labels that would touch are placed by plotext in an arbitrary order:
        # keep at least 7 columns (MM-DD and a gap) per label.
        positions, tick_labels = _ticks(labels, most=max(2, (chart.size.width - 6) // 7))
        plt = chart.plt
        plt.clear_figure()
        plt.title("Transactions per day")
        if days:
            _bars(plt, [list(days.values())], width=0.6)
            plt.xticks(positions, tick_labels)
            plt.yticks(_count_ticks(list(days.values())))
        chart.refresh()

        trend = stats.first_response_by_day()
        chart = self.query_one("#chart-trend", PlotextPlot)
        plt = chart.plt
        plt.clear_figure()
        plt.title("First response, daily median (minutes)")
        points = [
            (i, value / 60) for i, value in enumerate(trend.values(), start=1) if value is not None
        ]
        if points:
            plt.plot([x for x, _ in points], [y for _, y in points], marker="braille")
            plt.xlim(0.5, len(trend) + 0.5)  # the same days as the chart beside it
            plt.xticks(positions, tick_labels)
        chart.refresh()

        # When patrons asked beside when staff resolved: a night's questions show at night.
        asked, resolved = stats.count_by("asked_hour"), stats.count_by("hour")
        chart = self.query_one("#chart-hour", PlotextPlot)
        plt = chart.plt
        plt.clear_figure()
        plt.title("By hour of day")
        _bars(plt, [list(asked.values()), list(resolved.values())], ASKED_RESOLVED, first=0)
        plt.yticks(_count_ticks([*asked.values(), *resolved.values()]))
        plt.xticks([float(h) for h in range(0, 24, 3)], [f"{h:02d}" for h in range(0, 24, 3)])
        chart.refresh()

        asked, resolved = stats.count_by("asked_weekday"), stats.count_by("weekday")
        chart = self.query_one("#chart-weekday", PlotextPlot)
        plt = chart.plt
        plt.clear_figure()
        plt.title("By weekday")
        _bars(plt, [list(asked.values()), list(resolved.values())], ASKED_RESOLVED)
        plt.yticks(_count_ticks([*asked.values(), *resolved.values()]))
        plt.xticks([float(n) for n in range(1, len(asked) + 1)], list(asked))
        chart.refresh()

    # -- keys -----------------------------------------------------------------------

    def action_next_range(self) -> None:
        self.range_index = (self.range_index + 1) % len(RANGES)
        self._count()

    def action_scroll(self, direction: str) -> None:
        body = self.query_one("#stats-body", VerticalScroll)
        if direction == "down":
            body.scroll_down(animate=False)
        else:
            body.scroll_up(animate=False)


def summary_table(stats: Stats, hours: OpeningHours | None = None) -> Table:
    """The figures; with the library's ``hours``, the first response asked while open
    and while closed too."""
    table = Table(show_header=False, box=None, padding=(0, 1))
    table.add_column(style="bold")
    table.add_column(justify="right")
    first, resolve = stats.first_response(), stats.resolve_time()
    table.add_row("Reference transactions", str(stats.reference_transactions))
    table.add_row("All transactions", str(stats.transaction_count))
    table.add_row("First response, median", format_duration(first["median"]))
    table.add_row("First response, 90%", format_duration(first["p90"]))
    if hours is not None:
        by_opening = stats.first_response_by_opening(hours)
        for when in ("open", "closed"):
            table.add_row(
                f"  asked while {when}, median", format_duration(by_opening[when]["median"])
            )
    table.add_row("To resolve, median", format_duration(resolve["median"]))
    table.add_row("To resolve, 90%", format_duration(resolve["p90"]))
    table.add_row("Flagged for review", str(stats.flagged))
    spent = stats.time_spent()
    table.add_row("Time spent, total", format_minutes(spent["total"]))
    table.add_row("Time spent, median", format_minutes(spent["median"]))
    oldest = stats.backlog_oldest_s
    table.add_row(
        "Open now",
        f"{stats.backlog_open}"
        + (f", oldest {format_age(timedelta(seconds=oldest))}" if oldest is not None else ""),
    )
    return table


def breakdown_table(stats: Stats, dimension: str, title: str) -> Table:
    return _groups_table(stats.groups(dimension), title)


def field_table(stats: Stats, field: StatsField) -> Table:
    """One of the library's own fields, titled as staff read it ("Patron type")."""
    return _groups_table(stats.field_groups(field), field.label[:1].upper() + field.label[1:])


def _groups_table(all_groups: list[Group], title: str) -> Table:
    table = Table(box=None, padding=(0, 1), title_justify="left")
    table.add_column(inert_text(title, keep_newlines=False), style="bold")
    table.add_column("n", justify="right")
    table.add_column("%", justify="right")
    groups = sorted((g for g in all_groups if g.transactions), key=lambda g: -g.transactions)
    for g in groups:
        table.add_row(
            inert_text(g.value, keep_newlines=False), str(g.transactions), f"{g.share:.0%}"
        )
    if not groups:
        table.add_row(Text("none", style="dim"), "", "")
    return table
