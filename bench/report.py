"""Presenting results: a table on the terminal, the budget, a PNG chart, and docs/benchmarks.md."""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.table import Table


@dataclass
class Row:
    section: str
    name: str
    value: str
    note: str = ""


@dataclass
class Budget:
    name: str
    limit: str
    measured: str
    ok: bool


@dataclass(frozen=True)
class SizePoint:
    transitions: int
    create_p50: float
    """``create_session`` on the warm graph, microseconds."""
    event_p50: float
    event_p99: float
    """``process_event`` among interleaved sessions, microseconds."""


@dataclass
class Results:
    rows: list[Row] = field(default_factory=list)
    budgets: list[Budget] = field(default_factory=list)
    sizes: list[SizePoint] = field(default_factory=list)
    """Cost against graph size."""
    concurrency: dict[str, list[tuple[int, float]]] = field(default_factory=dict)
    """"store, durability" -> (concurrent sessions, events/s stored)."""
    peers: dict[str, float] = field(default_factory=dict)
    """contender -> mean us per event on the interleaved budget workload."""
    peer_ratios: dict[str, float] = field(default_factory=dict)
    """contender -> its mean over rataura2's, measured side by side on the same events."""
    load: list[str] = field(default_factory=list)
    """The machine's load average when the run started and ended."""
    took: dict[str, float] = field(default_factory=dict)
    """Seconds each section of the run took."""

    def add(self, section: str, name: str, value: str, note: str = "") -> None:
        self.rows.append(Row(section, name, value, note))

    def check(self, name: str, limit: str, measured: str, ok: bool) -> None:
        self.budgets.append(Budget(name, limit, measured, ok))

    @property
    def missed(self) -> list[Budget]:
        return [b for b in self.budgets if not b.ok]


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}"


def load_average() -> str:
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:
        return "unknown"
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def print_table(results: Results, console: Console) -> None:
    table = Table(title="rataura2 benchmarks", show_lines=False)
    for column in ("section", "measure", "value", "note"):
        table.add_column(column)
    for row in results.rows:
        table.add_row(row.section, row.name, row.value, row.note)
    console.print(table)
    slowest = sorted(results.took.items(), key=lambda item: -item[1])[:12]
    console.print(
        f"The run took {sum(results.took.values()):,.0f} s; longest sections: "
        + ", ".join(f"{label} {seconds:,.1f} s" for label, seconds in slowest)
    )
    print_budget(results, console)


def print_budget(results: Results, console: Console) -> None:
    """Each budget line, as ``met`` or ``MISSED`` with the figure."""
    budget = Table(title=f"performance budget (load average: {', then '.join(results.load)})")
    for column in ("budget", "limit", "measured", ""):
        budget.add_column(column)
    for b in results.budgets:
        budget.add_row(b.name, b.limit, b.measured, "[green]met[/green]" if b.ok else "[red]MISSED[/red]")
    console.print(budget)


def draw_chart(results: Results, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (size_ax, conc_ax, peer_ax) = plt.subplots(1, 3, figsize=(18, 5))
    sizes = sorted(results.sizes, key=lambda p: p.transitions)
    xs = [p.transitions for p in sizes]
    size_ax.plot(xs, [p.create_p50 for p in sizes], "o-", label="create_session, p50")
    size_ax.plot(xs, [p.event_p50 for p in sizes], "s-", label="process_event, p50")
    size_ax.plot(xs, [p.event_p99 for p in sizes], "s--", label="process_event, p99")
    if sizes:  # (a log scale needs values)
        size_ax.set_xscale("log")
        size_ax.set_yscale("log")
        size_ax.set_xticks(xs, [f"{x:,}" for x in xs])
    size_ax.set_xlabel("transitions in the graph (10 per agent)")
    size_ax.set_ylabel("microseconds (log scale)")
    size_ax.set_title("cost against graph size (SessionManager, warm graph)")
    size_ax.legend(fontsize=8)

    for label, points in results.concurrency.items():
        points = sorted(points)
        conc_ax.plot([n for n, _ in points], [rate for _, rate in points], "o-", label=label)
    levels = sorted({n for points in results.concurrency.values() for n, _ in points})
    if levels:
        conc_ax.set_xscale("log")
        conc_ax.set_xticks(levels, [str(n) for n in levels])
    conc_ax.set_xlabel("concurrent sessions (a thread each)")
    conc_ax.set_ylabel("events per second, acknowledged and stored")
    conc_ax.set_title("durable throughput against concurrent sessions")
    if results.concurrency:
        conc_ax.legend(fontsize=8)

    names = list(results.peers)
    values = [results.peers[n] for n in names]
    bars = peer_ax.barh(names, values, color=["#2a9d8f" if n == "rataura2" else "#e76f51" for n in names])
    if values:
        peer_ax.set_xscale("log")
    peer_ax.set_xlabel("microseconds per event, mean (log scale)")
    peer_ax.set_title("the same interleaved sessions, other machinery")
    for bar, name, value in zip(bars, names, values, strict=True):
        ratio = results.peer_ratios.get(name)
        peer_ax.text(
            value,
            bar.get_y() + bar.get_height() / 2,
            f" {value:,.1f} us" + ("" if ratio is None else f" ({ratio:,.1f}x rataura2, side by side)"),
            va="center",
            fontsize=8,
        )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


NOTES = """\
- Every figure is taken through the public paths: `SessionManager.create_session`, `process_event` on the sessions
  it returns, a LiveKit `AgentSession` in text mode, `rataura2 serve` over real HTTP. Latency percentiles of the
  event path are the best of three rounds (by p99) on fresh sessions fed the same events: this machine is shared,
  and a round that met more interference from other processes says nothing about rataura2.
- The interleaved workload: 5 agents with 10 mixed transitions each (user_input contains and regex, tool_result,
  business_rules, a CEL expression, agent_decision, event, livekit_event; one user_input "hop" per agent moves the
  session on now and then), 200 sessions whose events arrive in turns: user and agent messages, tool results,
  business events and LiveKit state changes. The graph-size series runs the same on 50 and 500 agents.
- Every contender folds events into the same context and evaluates the same compiled conditions, with a state per
  session; the fairness test (`tests/test_bench_fairness.py`) checks that all of them route the benchmark's events
  to the same agents. "Rules read from the database" replays the brief's original design (the current agent's
  transitions and their rules read with two queries at every check, conditions built anew). Each ratio compares
  means over the same events, measured side by side: each contender runs the first events of every session right
  after rataura2 ran them on fresh sessions.
- Durable throughput: each session is driven by a thread of its own; "stored" is the time until every acknowledged
  event is in the database, and the events in the log are counted afterwards. Sync durability acknowledges an event
  only once its transaction has committed; concurrent sessions share transactions (group commit).
- Memory: idle sessions are measured with tracemalloc around their creation; a long session by the objects it alone
  holds (the compiled graph is shared by every session and not counted), after its first events and after all.
- Start-up: wall time of the whole process, median of several runs, bytecode cached.
"""


def write_markdown(results: Results, path: Path, chart: Path, command: str) -> Path:
    lines = [
        "# Benchmarks",
        "",
        f"Measured with `{command}` on {machine()}; load average (1, 5, 15 min) at the start "
        f"{results.load[0] if results.load else 'unknown'}, at the end "
        f"{results.load[-1] if results.load else 'unknown'}. The machine is shared: timings vary between runs by",
        "10-30% and more under load; rerun `make bench` to reproduce them.",
        "",
        f"![benchmarks]({chart.name})",
        "",
        "## Budget",
        "",
        "| budget | limit | measured | |",
        "|---|---|---|---|",
        *(f"| {b.name} | {b.limit} | {b.measured} | {'met' if b.ok else 'MISSED'} |" for b in results.budgets),
        "",
        "## Figures",
        "",
        "| section | measure | value | note |",
        "|---|---|---|---|",
        *(f"| {r.section} | {r.name} | {r.value} | {r.note} |" for r in results.rows),
        "",
        "## Notes",
        "",
        NOTES,
    ]
    path.write_text("\n".join(lines))
    return path
