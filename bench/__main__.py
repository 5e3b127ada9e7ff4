"""``python -m bench``: every benchmark in one run; a table, a chart, docs/benchmarks.md, and the budget."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console
from rich.progress import Progress

from bench.api import CLIENTS, api_load
from bench.core import event_cost, idle_session_bytes, session_creation
from bench.databases import postgres_database, sqlite_database
from bench.durable import throughput
from bench.livekit_turn import turn_cost
from bench.measure import latencies
from bench.peers import langgraph_router, rules_from_database, transitions_machine
from bench.regex import EVIL, PATTERN, regex_cost
from bench.replay import replay_cost
from bench.report import Results, draw_chart, print_table, write_markdown
from bench.studio import first_page
from bench.studio import missing as studio_missing
from bench.workloads import build_workload, event_stream

ROOT = Path(__file__).resolve().parent.parent
SIZES = (5, 50, 500)
FANOUTS = (1, 10, 50)


def run(quick: bool, console: Console) -> Results:
    results = Results()
    events = 1_000 if quick else 5_000
    steps = len(SIZES) * len(FANOUTS) + 19
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("benchmarks", total=steps)

        def step(label: str) -> None:
            progress.update(task, advance=1, description=label)

        for agents in SIZES:
            for fanout in FANOUTS:
                step(f"process_event, {agents} agents x {fanout} transitions")
                cost = event_cost(agents, fanout, events)
                results.grid[(agents, fanout)] = (cost.latency.p50, cost.latency.p99)
                results.add(
                    "in memory",
                    f"{agents} agents x {fanout} transitions",
                    f"p50 {cost.latency.p50:.1f} us, p99 {cost.latency.p99:.1f} us",
                    f"{cost.latency.per_second:,.0f} events/s; compile {cost.compile_ms:.1f} ms; "
                    f"{cost.transitions_fired} transitions fired",
                )
        budget = results.grid[(5, 10)]
        results.check(
            "per event, 10 mixed transitions",
            "p50 <= 50 us, p99 <= 250 us",
            f"p50 {budget[0]:.1f} us, p99 {budget[1]:.1f} us",
            budget[0] <= 50 and budget[1] <= 250,
        )

        step("a catastrophic regex in a business rule")
        regex = regex_cost(events // 5, backtracking=(18, 20))
        slowest = max(regex.backtracking_ms)
        results.add(
            "in memory",
            f"matches_regex {PATTERN!r} on {len(EVIL) - 1} a's and '!'",
            f"p50 {regex.event.p50:.1f} us, p99 {regex.event.p99:.1f} us",
            f"RE2; Python's re takes {regex.backtracking_ms[slowest]:,.0f} ms on {slowest} a's, doubling per a",
        )
        results.check(
            "matches_regex (a+)+$ on 30 a's and '!'",
            "p99 <= 10 ms per event",
            f"p99 {regex.event.p99 / 1e3:.2f} ms",
            regex.event.p99 <= 10_000,
        )

        workload = build_workload(5, 10)
        stream = list(event_stream(events))
        step("rataura2 on the peer workload")
        ours = event_cost(5, 10, events).latency.mean
        results.peers["rataura2"] = ours
        step("the transitions library")
        results.peers["transitions"] = latencies(stream, transitions_machine(workload)).mean
        step("LangGraph")
        results.peers["LangGraph"] = latencies(stream, langgraph_router(workload)).mean
        step("rules read from the database")
        db_step, close = rules_from_database(workload)
        results.peers["rules from SQLite"] = latencies(stream[: max(events // 5, 200)], db_step).mean
        close()
        step("rules read from PostgreSQL")
        with postgres_database() as url:
            db_step, close = rules_from_database(workload, url)
            results.peers["rules from PostgreSQL"] = latencies(stream[: max(events // 5, 200)], db_step).mean
            close()
        for name, value in results.peers.items():
            results.add("peers", name, f"{value:,.1f} us/event", f"{value / ours:,.1f}x rataura2")
        lg = results.peers["LangGraph"] / ours
        results.check("cheaper than LangGraph", ">= 20x", f"{lg:,.1f}x", lg >= 20)
        for store in ("SQLite", "PostgreSQL"):
            ratio = results.peers[f"rules from {store}"] / ours
            results.check(f"cheaper than rules read from {store}", ">= 100x", f"{ratio:,.1f}x", ratio >= 100)

        step("session creation")
        creation = session_creation(2_000 if quick else 10_000)
        results.add(
            "sessions", "create on a warm graph", f"p50 {creation.p50:.1f} us", f"{creation.per_second:,.0f} sessions/s"
        )
        step("idle sessions")
        idle = idle_session_bytes(2_000 if quick else 10_000)
        total_mb = idle * 10_000 / 1e6
        results.add("sessions", "memory per idle session", f"{idle / 1024:.1f} KiB", f"{total_mb:.0f} MB for 10,000")
        results.check("10,000 idle sessions", "<= 500 MB", f"{total_mb:.0f} MB", total_mb <= 500)

        for store, database in (("SQLite", sqlite_database), ("PostgreSQL", postgres_database)):
            for mode, count in (("sync", 300 if quick else 1_000), ("async", 3_000 if quick else 10_000)):
                step(f"durable, {store} {mode}")
                with database() as url:
                    rate = throughput(store, url, mode, count)  # type: ignore[arg-type]
                results.add(
                    "durable",
                    f"{store}, {mode}",
                    f"{rate.written_per_second:,.0f} events/s written",
                    f"{rate.acknowledged_per_second:,.0f} events/s acknowledged; one session",
                )
                if store == "PostgreSQL" and mode == "async":
                    results.check(
                        "async durable on PostgreSQL",
                        ">= 2,000 events/s",
                        f"{rate.written_per_second:,.0f} events/s",
                        rate.written_per_second >= 2_000,
                    )

        for store, database in (("SQLite", sqlite_database), ("PostgreSQL", postgres_database)):
            for mode in ("sync", "async"):
                step(f"HTTP API, {store} {mode}")
                with database() as url:
                    load = api_load(store, url, mode, 150 if quick else 1_000)
                results.add(
                    "HTTP API",
                    f"POST event, {store} {mode}",
                    f"p50 {load.latency.p50 / 1000:.2f} ms, p99 {load.latency.p99 / 1000:.2f} ms",
                    f"{load.requests_per_second:,.0f} requests/s with {CLIENTS} clients; one server process",
                )
            step(f"replay of recorded sessions, {store}")
            with database() as url:
                replayed = replay_cost(url, 300 if quick else 1_000)
            results.add(
                "replay",
                f"{replayed.sessions:,} recorded sessions, {store}",
                f"{replayed.seconds:.2f} s",
                f"{replayed.events:,} events; {replayed.replay_seconds:.2f} s replaying, the rest reading the log; "
                f"{replayed.changed} change route",
            )
            if store == "SQLite" and not quick:
                results.check(
                    "replay 1,000 sessions on an edited rule",
                    "<= 2 s",
                    f"{replayed.seconds:.2f} s",
                    replayed.seconds <= 2.0,
                )

        step("a LiveKit text-mode turn, with and without orchestration")
        turn = turn_cost(40 if quick else 200)
        results.add("LiveKit turn", "without rataura2", f"{turn.plain_ms:.2f} ms", "AgentSession, offline LLM, median")
        for durability, ms in turn.orchestrated_ms.items():
            results.add(
                "LiveKit turn",
                f"with rataura2, durability {durability}",
                f"{ms:.2f} ms",
                f"+{turn.added_ms(durability):.2f} ms",
            )
        added = turn.added_ms("off")
        results.check(
            "added to a LiveKit turn",
            "<= 1 ms",
            f"{added:.2f} ms (durability off); {turn.added_ms('async'):.2f} ms async",
            added <= 1.0,
        )

        step("the studio's first page in Chromium")
        why_not = studio_missing()
        if why_not is not None:
            results.add("studio", "first page, 50 agents x 500 transitions", "skipped", why_not)
        else:
            page = first_page(runs=3 if quick else 5)
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
    return results


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer events and sessions (a smoke run)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs", help="where the chart and report go")
    args = parser.parse_args()
    console = Console()
    results = run(args.quick, console)
    print_table(results, console)
    args.out.mkdir(parents=True, exist_ok=True)
    chart = draw_chart(results, args.out / "benchmarks.png")
    command = "make bench" + (" (quick)" if args.quick else "")
    report = write_markdown(results, args.out / "benchmarks.md", chart, command)
    console.print(f"Chart: {chart}\nReport: {report}")


if __name__ == "__main__":
    main()
