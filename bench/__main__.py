"""``python -m bench``: every benchmark in one run; a table, the performance budget (met / MISSED), a chart and
docs/benchmarks.md. Exits with status 1 when a budget line is missed (``--no-budget``: report only). ``--quick`` is
a bounded smoke run with fewer events and sessions: its figures are not comparable with the budget's."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from bench.api import CLIENTS, api_load
from bench.concurrent import throughput
from bench.databases import postgres_database, sqlite_database, stores
from bench.livekit_turn import DURABLE, turn_cost
from bench.measure import mean_us, timed
from bench.peers import Step, langgraph_router, rules_from_database, transitions_machine
from bench.regex import EVIL, PATTERN, regex_cost
from bench.replay import replay_cost
from bench.report import Results, SizePoint, draw_chart, load_average, print_table, write_markdown
from bench.sessions import Interleaved, event_path, idle_memory, long_session, session_start
from bench.startup import startup_times
from bench.studio import first_page
from bench.studio import missing as studio_missing
from bench.workloads import build_workload, interleaved
from rataura2.sessions.manager import Durability

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Scale:
    """How much each section does: the full run, or the quick smoke run."""

    startup_runs: int
    regex_events: int
    agents: tuple[int, ...]
    """Graph sizes: agents with 10 transitions each."""
    creates: int
    sessions: int
    per_session: int
    rounds: int
    langgraph_events: int
    database_events: int
    peer_rounds: int
    """Side-by-side runs per contender (the median ratio is reported: the machine's speed drifts in seconds)."""
    durable_creates: int
    idle_sessions: int
    long_events: tuple[int, int]
    concurrency: tuple[tuple[int, int], ...]
    """(concurrent sessions, events each)."""
    turns: int
    turn_rounds: int
    api_events: int
    api_runs: tuple[tuple[str, Durability], ...]
    """(store, durability) of each run of the HTTP API (a server each)."""
    replayed: int
    studio_runs: int
    """Cold loads of the studio's first page (skipped where the studio, Node or Chromium is missing)."""


FULL = Scale(
    startup_runs=5,
    regex_events=1_000,
    agents=(5, 50, 500),
    creates=2_000,
    sessions=200,
    per_session=50,
    rounds=3,
    langgraph_events=3_000,
    database_events=2_000,
    peer_rounds=3,
    durable_creates=300,
    idle_sessions=10_000,
    long_events=(1_000, 1_000_000),
    concurrency=((1, 1_000), (10, 200), (100, 100)),
    turns=150,
    turn_rounds=5,
    api_events=1_000,
    api_runs=tuple((store, durability) for store in ("SQLite", "PostgreSQL") for durability in DURABLE),
    replayed=1_000,
    studio_runs=5,
)
QUICK = Scale(
    startup_runs=1,
    regex_events=100,
    agents=(5, 50),
    creates=100,
    sessions=50,
    per_session=4,
    rounds=1,
    langgraph_events=100,
    database_events=50,
    peer_rounds=1,
    durable_creates=10,
    idle_sessions=500,
    long_events=(1_000, 5_000),
    concurrency=((1, 20), (100, 3)),
    turns=12,
    turn_rounds=1,
    api_events=30,
    api_runs=(("SQLite", "sync"), ("PostgreSQL", "async")),  # both stores, both modes: each start costs seconds
    replayed=50,
    studio_runs=1,
)
STORES = ("SQLite", "PostgreSQL")


class Steps:
    """Progress on the terminal: the sections done, and the units of the one running."""

    def __init__(self, progress: Progress, sections: int) -> None:
        self.progress = progress
        self.overall = progress.add_task("benchmarks", total=sections)
        self.took: dict[str, float] = {}
        """Seconds each section took, by label."""

    @contextmanager
    def section(self, label: str, units: int | None = None) -> Iterator[Callable[[int], None]]:
        task: TaskID | None = None
        if units:
            task = self.progress.add_task(f"  {label}", total=units)
        self.progress.update(self.overall, description=label)

        def tick(done: int) -> None:
            if task is not None:
                self.progress.advance(task, done)

        start = time.perf_counter()
        try:
            yield tick
        finally:
            self.took[label] = time.perf_counter() - start
            if task is not None:
                self.progress.remove_task(task)
            self.progress.advance(self.overall)


def _us(value: float) -> str:
    return f"{value:,.1f} us"


def _ms(us: float) -> str:
    return f"{us / 1e3:,.2f} ms"


def run(scale: Scale, console: Console) -> Results:
    results = Results(load=[load_average()])
    sections = 13 + len(scale.agents) + 4 * len(scale.concurrency) + len(scale.api_runs)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress, stores() as urls:
        steps = Steps(progress, sections)
        _startup(results, scale, steps)
        _regex(results, scale, steps)
        budget_run = _graph_sizes(results, scale, steps, urls["SQLite"])
        results.peers["rataura2"] = mean_us(budget_run.samples)
        _peers(results, scale, steps, urls["SQLite"])
        # before the sections that write thousands of events: the database server's own work after them
        # (checkpoints, autovacuum) would be measured as part of a turn's latency
        _livekit(results, scale, steps, urls)
        _durable_starts(results, scale, steps, urls)
        _memory(results, scale, steps, urls["SQLite"])
        _concurrency(results, scale, steps, urls)
        _api(results, scale, steps, urls)
        _replay(results, scale, steps)
        _studio(results, scale, steps)
    results.load.append(load_average())
    results.took = steps.took
    return results


def _startup(results: Results, scale: Scale, steps: Steps) -> None:
    with steps.section("start-up: fresh interpreters"):
        times = startup_times(scale.startup_runs, only_budgeted=scale is QUICK)
    for name, seconds in times.seconds.items():
        results.add("start-up", name, f"{seconds:.3f} s", f"median of {times.runs}, whole process")
    for name, label in (("rataura2 --help", "rataura2 --help"), ("import the session core", "import the core")):
        seconds = times.seconds[name]
        results.check(label, "<= 0.3 s", f"{seconds:.3f} s", seconds <= 0.3)


def _regex(results: Results, scale: Scale, steps: Steps) -> None:
    with steps.section("a catastrophic regex in a business rule"):
        regex = regex_cost(scale.regex_events, backtracking=(18, 20))
    slowest = max(regex.backtracking_ms)
    results.add(
        "in memory",
        f"matches_regex {PATTERN!r} on {len(EVIL) - 1} a's and '!'",
        f"p50 {_us(regex.event.p50)}, p99 {_us(regex.event.p99)}",
        f"RE2; Python's re takes {regex.backtracking_ms[slowest]:,.0f} ms on {slowest} a's, doubling per a",
    )
    results.check(
        "matches_regex (a+)+$ on 30 a's and '!'",
        "p99 <= 10 ms per event",
        f"p99 {_ms(regex.event.p99)}",
        regex.event.p99 <= 10_000,
    )


def _graph_sizes(results: Results, scale: Scale, steps: Steps, url: str) -> Interleaved:
    """create_session and process_event through SessionManager on growing graphs; returns the run on the budget
    workload (5 agents x 10 transitions)."""
    budget_run: Interleaved | None = None
    for agents in scale.agents:
        workload = build_workload(agents, 10)
        transitions = agents * 10
        events = scale.sessions * scale.per_session * scale.rounds
        label = f"{transitions:,} transitions: create_session, process_event"
        with steps.section(label, scale.creates + events) as tick:
            started = session_start(url, workload, f"start {agents}", scale.creates, tick=tick)
            run = event_path(
                url, workload, f"events {agents}", scale.sessions, scale.per_session, scale.rounds, tick=tick
            )
        results.sizes.append(SizePoint(transitions, started.latency.p50, run.latency.p50, run.latency.p99))
        results.add(
            "session start",
            f"create_session, {agents} agents, {transitions:,} transitions",
            f"p50 {_us(started.latency.p50)}, p99 {_us(started.latency.p99)}",
            f"warm graph, durability off; the first (publish and compile) {started.first_ms:,.0f} ms",
        )
        if transitions in (500, 5_000):
            results.check(
                f"create_session, warm {transitions:,}-transition graph",
                "p50 <= 1 ms",
                f"p50 {_ms(started.latency.p50)}",
                started.latency.p50 <= 1_000,
            )
        results.add(
            "event path",
            f"process_event, {agents} agents x 10 transitions, {run.sessions} interleaved sessions",
            f"p50 {_us(run.latency.p50)}, p99 {_us(run.latency.p99)}",
            f"{run.latency.per_second:,.0f} events/s; {run.transitions_fired} transitions fired; best of {run.rounds}",
        )
        if agents == 5:
            budget_run = run
    assert budget_run is not None
    results.check(
        f"per event, 10 mixed transitions, {budget_run.sessions} interleaved sessions",
        "p50 <= 10 us, p99 <= 50 us",
        f"p50 {_us(budget_run.latency.p50)}, p99 {_us(budget_run.latency.p99)}",
        budget_run.latency.p50 <= 10 and budget_run.latency.p99 <= 50,
    )
    return budget_run


def _peers(results: Results, scale: Scale, steps: Steps, url: str) -> None:
    """Each contender on a prefix of the interleaved stream (the first events of every session), right after
    rataura2 ran the same prefix on fresh sessions: the ratio compares runs made side by side, not minutes apart on
    a machine whose load drifts. ``peer_rounds`` such pairs, each on fresh sessions; the median ratio is reported."""
    workload = build_workload(5, 10)
    sessions = scale.sessions
    full = scale.per_session
    runs = 0

    def compare(name: str, contender: Callable[[], AbstractContextManager[Step]], per_session: int) -> None:
        nonlocal runs
        stream = interleaved(sessions, per_session)
        pairs: list[tuple[float, float]] = []
        for _ in range(scale.peer_rounds):
            runs += 1
            mine = mean_us(event_path(url, workload, f"peer run {runs}", sessions, per_session, rounds=1).samples)
            with contender() as step:
                theirs = mean_us(timed(stream, lambda item: step(item[0], item[1])))
            pairs.append((theirs, mine))
        theirs, mine = sorted(pairs, key=lambda pair: pair[0] / pair[1])[len(pairs) // 2]
        ratio = theirs / mine
        results.peers[name] = theirs
        results.peer_ratios[name] = ratio
        rounds = f"; median of {len(pairs)} pairs" if len(pairs) > 1 else ""
        results.add(
            "peers",
            name,
            f"{theirs:,.1f} us/event",
            f"{ratio:,.1f}x rataura2 ({mine:,.1f} us/event on the same {len(stream):,} events, run just before"
            f"{rounds})",
        )

    @contextmanager
    def from_database(database: Callable[[], AbstractContextManager[str]]) -> Iterator[Step]:
        with database() as rules_url:  # a database of its own: it keeps the workload's ids
            step, close = rules_from_database(workload, sessions, rules_url)
            try:
                yield step
            finally:
                close()

    with steps.section("peers: transitions, LangGraph, rules read from SQLite and PostgreSQL"):
        compare("transitions", lambda: nullcontext(transitions_machine(workload, sessions)), full)
        compare(
            "LangGraph",
            lambda: nullcontext(langgraph_router(workload, sessions)),
            max(scale.langgraph_events // sessions, 1),
        )
        for store, database in (("SQLite", sqlite_database), ("PostgreSQL", postgres_database)):
            compare(
                f"rules from {store}",
                partial(from_database, database),
                max(scale.database_events // sessions, 1),
            )
    ratios = results.peer_ratios
    results.check("cheaper than LangGraph", ">= 50x", f"{ratios['LangGraph']:,.1f}x", ratios["LangGraph"] >= 50)
    for store in STORES:
        ratio = ratios[f"rules from {store}"]
        results.check(f"cheaper than rules read from {store}", ">= 100x", f"{ratio:,.1f}x", ratio >= 100)


def _durable_starts(results: Results, scale: Scale, steps: Steps, urls: dict[str, str]) -> None:
    workload = build_workload(50, 10)
    for store in STORES:
        for durability in DURABLE:
            with steps.section(f"create_session, {store} {durability}", scale.durable_creates) as tick:
                started = session_start(
                    urls[store], workload, f"durable start {durability}", scale.durable_creates, durability, tick
                )
            results.add(
                "session start",
                f"create_session, 500 transitions, {store} {durability}",
                f"p50 {_us(started.latency.p50)}, p99 {_us(started.latency.p99)}",
                "the session's row, its lease and its first event written",
            )


def _memory(results: Results, scale: Scale, steps: Steps, url: str) -> None:
    with steps.section(f"{scale.idle_sessions:,} idle sessions", scale.idle_sessions) as tick:
        per_session = idle_memory(url, build_workload(50, 10), "idle", scale.idle_sessions, tick)
    total_mb = per_session * 10_000 / 1e6
    results.add(
        "memory",
        "an idle session (50 agents x 10 transitions)",
        f"{per_session / 1024:.1f} KiB",
        f"{total_mb:,.0f} MB for 10,000 (measured on {scale.idle_sessions:,})",
    )
    results.check("10,000 idle sessions", "<= 100 MB", f"{total_mb:,.0f} MB", total_mb <= 100)
    short, long = scale.long_events
    with steps.section(f"a {long:,}-event session", long) as tick:
        lived = long_session(url, build_workload(5, 10), "long", short, long, tick)
    grown_mb = (lived.long_bytes - lived.short_bytes) / 1e6
    results.add(
        "memory",
        f"one session after {short:,} and after {long:,} events",
        f"{lived.short_bytes / 1e6:.2f} MB, then {lived.long_bytes / 1e6:.2f} MB",
        f"{lived.microseconds_per_event:.1f} us per event over the run",
    )
    results.check(
        f"a {long:,}-event session against a {short:,}-event one",
        "within 10 MB",
        f"{grown_mb:+.2f} MB",
        grown_mb <= 10,
    )


def _concurrency(results: Results, scale: Scale, steps: Steps, urls: dict[str, str]) -> None:
    for store in STORES:
        for durability in DURABLE:
            label = f"{store}, {durability}"
            points = results.concurrency.setdefault(label, [])
            for sessions, each in scale.concurrency:
                with steps.section(f"{sessions} concurrent sessions, {label}"):
                    rate = throughput(store, urls[store], durability, sessions, each)
                points.append((sessions, rate.stored_per_second))
                shared = "" if rate.commits is None else f"; {rate.events / max(rate.commits, 1):,.1f} events a commit"
                results.add(
                    "durable",
                    f"{sessions} concurrent sessions, {label}",
                    f"{rate.stored_per_second:,.0f} events/s stored",
                    f"{rate.acknowledged_per_second:,.0f} events/s acknowledged; {rate.events:,} events{shared}",
                )
                if sessions == 1 and store == "PostgreSQL" and durability == "async":
                    results.check(
                        "async durable on PostgreSQL, one session",
                        ">= 2,000 events/s",
                        f"{rate.stored_per_second:,.0f} events/s",
                        rate.stored_per_second >= 2_000,
                    )
                if sessions == 100 and store == "PostgreSQL" and durability == "sync":
                    results.check(
                        "100 concurrent sessions, sync, PostgreSQL",
                        ">= 5,000 events/s acknowledged and stored",
                        f"{rate.stored_per_second:,.0f} events/s",
                        rate.stored_per_second >= 5_000,
                    )


def _livekit(results: Results, scale: Scale, steps: Steps, urls: dict[str, str]) -> None:
    with steps.section("a LiveKit text-mode turn, with and without orchestration"):
        turn = turn_cost(scale.turns, urls, scale.turn_rounds)
    results.add(
        "LiveKit turn",
        "without rataura2",
        f"{turn.plain_ms:.2f} ms",
        f"AgentSession, offline LLM; median turn, median of {turn.rounds} rounds",
    )
    for (store, durability), ms in turn.orchestrated_ms.items():
        results.add(
            "LiveKit turn",
            f"with rataura2, {store}, durability {durability}",
            f"{ms:.2f} ms",
            f"+{turn.added_ms(store, durability):.2f} ms (against the plain turn run just before it)",
        )
    for store in STORES:
        added = turn.added_ms(store, "async")
        results.check(f"added to a LiveKit turn, async, {store}", "<= +1 ms", f"+{added:.2f} ms", added <= 1.0)
    added = turn.added_ms("PostgreSQL", "sync")
    results.check("added to a LiveKit turn, sync, PostgreSQL", "<= +2 ms", f"+{added:.2f} ms", added <= 2.0)


def _api(results: Results, scale: Scale, steps: Steps, urls: dict[str, str]) -> None:
    for store, durability in scale.api_runs:
        with steps.section(f"HTTP API, {store} {durability}"):
            load = api_load(store, urls[store], durability, scale.api_events)
        results.add(
            "HTTP API",
            f"POST event, {store} {durability}",
            f"p50 {_ms(load.latency.p50)}, p99 {_ms(load.latency.p99)}",
            f"{load.requests_per_second:,.0f} requests/s with {CLIENTS} clients; one `rataura2 serve` process",
        )


def _replay(results: Results, scale: Scale, steps: Steps) -> None:
    for store, database in (("SQLite", sqlite_database), ("PostgreSQL", postgres_database)):
        with steps.section(f"replay of recorded sessions, {store}"), database() as url:
            replayed = replay_cost(url, scale.replayed, runs=3 if scale is FULL else 1)
        results.add(
            "replay",
            f"{replayed.sessions:,} recorded sessions, {store}",
            f"{replayed.seconds:.2f} s",
            f"{replayed.events:,} events; {replayed.replay_seconds:.2f} s replaying, the rest reading the log; "
            f"{replayed.changed} change route",
        )
        if store == "SQLite" and scale is FULL:
            results.check(
                "replay 1,000 sessions on an edited rule", "<= 2 s", f"{replayed.seconds:.2f} s", replayed.seconds <= 2
            )


def _studio(results: Results, scale: Scale, steps: Steps) -> None:
    with steps.section("the studio's first page in Chromium"):
        why_not = studio_missing()
        page = None if why_not is not None else first_page(runs=scale.studio_runs)
    if page is None:
        results.add("studio", "first page, 50 agents x 500 transitions", "skipped", str(why_not))
        return
    results.add(
        "studio",
        f"first page, {page.agents} agents x {page.transitions} transitions",
        f"median {page.median_ms:.0f} ms, worst {page.worst_ms} ms",
        f"{len(page.runs_ms)} cold loads in Chromium (new profile each); "
        f"{page.drawn_agents} agents and {page.drawn_transitions} transitions drawn",
    )
    results.check(
        "studio first page, 50 agents x 500 transitions",
        "<= 1 s",
        f"median {page.median_ms:.0f} ms",
        page.median_ms <= 1_000,
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a bounded smoke run: fewer events and sessions")
    parser.add_argument("--no-budget", action="store_true", help="report the budget, exit 0 even if a line is missed")
    parser.add_argument("--out", type=Path, default=ROOT / "docs", help="where the chart and report go")
    args = parser.parse_args(argv)
    console = Console()
    results = run(QUICK if args.quick else FULL, console)
    print_table(results, console)
    args.out.mkdir(parents=True, exist_ok=True)
    chart = draw_chart(results, args.out / "benchmarks.png")
    command = "make bench" + (" (python -m bench --quick)" if args.quick else "")
    report = write_markdown(results, args.out / "benchmarks.md", chart, command)
    console.print(f"Chart: {chart}\nReport: {report}")
    missed = results.missed
    if missed and not args.no_budget:
        console.print(f"[red]{len(missed)} budget line(s) MISSED[/red]: {', '.join(b.name for b in missed)}")
        sys.exit(1)


if __name__ == "__main__":
    main()
