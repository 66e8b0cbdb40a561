#!/usr/bin/env python3
"""askdesk's benchmark: start, key → frame, claims, ingest, memory, PostgreSQL, chat,
listing (list, stats and export over 100,000 conversations).

    python bench/run.py [--sizes 1000,10000,100000] [--json PATH] [--no-postgres] [--no-chat]
    python bench/run.py --postgres-only [--postgres-size 120000]
    python bench/run.py --chat-only
    python bench/run.py --listing-only [--listing-runs 3]

Builds (or reuses, from bench/.cache/) a store of each size, measures every
figure in fresh subprocesses, prints one table and writes JSON
(bench/results/latest.json unless --json says otherwise). bench/README.md
says what each figure means and how it is taken. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))

try:
    import askdesk  # noqa: F401
except ImportError:  # run with a Python that lacks askdesk: use the project's own
    VENV_PYTHON = ROOT / ".venv" / ("Scripts" if os.name == "nt" else "bin") / "python"
    if VENV_PYTHON.exists() and Path(sys.executable) != VENV_PYTHON:
        os.execv(str(VENV_PYTHON), [str(VENV_PYTHON), *sys.argv])
    raise SystemExit(
        "bench: askdesk is not installed; run `python3 dev.py bench` instead"
    ) from None

import chat_probe  # noqa: E402
import corpus  # noqa: E402

RUN = corpus.CACHE / "run"
KEYS = ("move", "scroll", "page", "claim", "resolve")
KEY_LABELS = {
    "move": "move (j inside the view)",
    "scroll": "scroll (j on the bottom line)",
    "page": "page (pagedown)",
    "claim": "claim (c; row moves to Claimed)",
    "resolve": "resolve (enter in the dialog)",
}
TARGETS = {
    # figure: (limit, how it reads)
    "repaint_p95_ms": (16.0, "≤ 16 ms"),
    "start_s": (1.0, "≤ 1 s"),
    "claim_ratio_sqlite": (3.0, "≤ 3x SQLite"),
    "ingest_10k_s": (2.0, "≤ 2 s"),
    "peak_rss_mb": (150.0, "≤ 150 MiB"),
    "claim_vs_1k": (1.2, "≤ 1.2x the 1k claim"),
    "pg_claim_ratio_sqlite": (3.0, "≤ 3x SQLite"),
    "pg_colleague_claim_max_ms": (1000.0, "≤ 1 s"),
    "pg_stats_s": (1.0, "≤ 1 s"),
}
POSTGRES_SIZE = 120_000
"""Messages in the corpus the PostgreSQL rows use: about 100,000 conversations."""
CHAT_TARGETS = {
    "chat_to_desk_p95_s": (1.0, "≤ 1 s"),
    "reply_to_patron_p95_s": (1.0, "≤ 1 s"),
}
LISTING = {
    # figure: (command, how it reads)
    "list_100k_s": (["list"], "list (table)"),
    "list_json_100k_s": (["list", "--format", "json"], "list --format json"),
    "stats_100k_s": (["stats"], "stats"),
    "export_100k_s": (["export"], "export (csv)"),
    "export_json_100k_s": (["export", "--format", "json"], "export --format json"),
}
LISTING_TARGET_S = 10.0
"""DESIGN.md: over 100,000 conversations they take seconds, not minutes."""


def say(text: str) -> None:
    print(f"bench: {text}", file=sys.stderr, flush=True)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo = int(k)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def median(values: list[float]) -> float:
    return percentile(values, 0.5)


def probe(args: list[str], out: Path, timeout: float = 1800) -> dict[str, Any]:
    """Run a probe script in a fresh interpreter; its figures come back through ``out``."""
    out.unlink(missing_ok=True)
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run(
        [sys.executable, *args, "--out", str(out)],
        cwd=ROOT,
        env=env,
        timeout=timeout,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0 or not out.exists():
        sys.stderr.write(done.stdout[-4000:] + done.stderr[-4000:])
        raise SystemExit(f"bench: {' '.join(args[:2])} failed (exit {done.returncode})")
    result: dict[str, Any] = json.loads(out.read_text())
    return result


def app_run(built: corpus.Built, keys: bool, reps: float, tag: str) -> dict[str, Any]:
    hot = corpus.working_copy(built, RUN / f"app-{built.messages}-{tag}")
    spawned = time.perf_counter()  # CLOCK_MONOTONIC: the child's clock is the same one
    args = [str(BENCH / "app_probe.py"), "--store", str(hot), "--spawned", repr(spawned)]
    if keys:
        args += ["--keys", "--reps", str(reps)]
    return probe(args, RUN / f"app-{tag}.json")


def measure_size(built: corpus.Built, starts: int, reps: float) -> dict[str, Any]:
    size = built.messages
    say(f"{size:,} messages: {starts} starts")
    runs = [app_run(built, keys=False, reps=reps, tag=f"start{i}") for i in range(starts)]
    say(f"{size:,} messages: key presses")
    full = app_run(built, keys=True, reps=reps, tag="keys")
    runs.append(full)
    start = [r["start"]["start_s"] for r in runs]
    phases = {
        phase: round(median([r["start"][phase] for r in runs]), 3)
        for phase in ("python_s", "imports_s", "store_s", "app_s", "to_frame_s")
    }
    keys = {k: {f: v for f, v in full["keys"][k].items()} for k in KEYS}
    worst_p95 = max(keys.values(), key=lambda k: k["p95_ms"])
    worst_median = max(keys.values(), key=lambda k: k["median_ms"])
    return {
        "store": built.summary(),
        "start_s": round(median(start), 3),
        "start_p95_s": round(percentile(start, 0.95), 3),
        "start_n": len(start),
        "start_phases_median_s": phases,
        "repaint_p95_ms": worst_p95["p95_ms"],
        "repaint_median_ms": worst_median["median_ms"],
        "repaint": keys,
        "peak_rss_mb": round(max(r["peak_rss_mb"] for r in runs), 1),
        "peak_rss_start_mb": round(max(r["peak_rss_mb"] for r in runs[:-1]), 1),
    }


def measure_claims(sizes: list[int], count: int) -> dict[int, dict[str, Any]]:
    say(f"claims: store beside SQLite, {count} each, sizes interleaved")
    result = probe(
        [
            str(BENCH / "store_probe.py"),
            "claims",
            "--sizes",
            ",".join(map(str, sizes)),
            "--count",
            str(count),
        ],
        RUN / "claims.json",
    )
    figures: dict[int, dict[str, Any]] = {}
    for size in sizes:
        s = result["sizes"][str(size)]
        store, lite = s["store_ms"], s["sqlite_ms"]
        figures[size] = {
            "claim_ms_median": round(median(store), 2),
            "claim_ms_p95": round(percentile(store, 0.95), 2),
            "sqlite_claim_ms_median": round(median(lite), 2),
            "sqlite_claim_ms_p95": round(percentile(lite, 0.95), 2),
            "claim_ratio_sqlite": round(median(store) / median(lite), 2),
            "claim_n": len(store),
            "sqlite_journal_mode": result["sqlite_journal_mode"],
        }
    return figures


def measure_ingest(size: int, reps: int) -> dict[str, Any]:
    say(f"{size:,} messages: ingest of 10,000 ({reps} times)")
    result = probe(
        [str(BENCH / "store_probe.py"), "ingest", "--sizes", str(size), "--count", str(reps)],
        RUN / f"ingest-{size}.json",
    )
    samples = result["ingest_s"]
    return {
        "ingest_10k_s": round(median(samples), 3),
        "ingest_10k_p95_s": round(percentile(samples, 0.95), 3),
        "ingest_n": len(samples),
        "ingest_check": result["check"],
    }


def measure_postgres(size: int, claims: int) -> dict[str, Any]:
    say(f"{size:,} messages: PostgreSQL (its own server), claims beside SQLite, repaint, stats")
    result = probe(
        [str(BENCH / "pg_probe.py"), "--size", str(size), "--count", str(claims)],
        RUN / f"postgres-{size}.json",
    )
    pg, lite = result["claims"]["postgres_ms"], result["claims"]["sqlite_ms"]
    repaint = result["repaint_ms"]
    return {
        "pg_messages": size,
        "pg_conversations": result["conversations"],
        "pg_copy_s": round(result["copy_s"], 1),
        "pg_claim_ms_median": round(median(pg), 2),
        "pg_claim_ms_p95": round(percentile(pg, 0.95), 2),
        "pg_sqlite_claim_ms_median": round(median(lite), 2),
        "pg_sqlite_claim_ms_p95": round(percentile(lite, 0.95), 2),
        "pg_claim_ratio_sqlite": round(median(pg) / median(lite), 2),
        "pg_colleague_claim_ms_median": round(median(repaint), 1),
        "pg_colleague_claim_ms_p95": round(percentile(repaint, 0.95), 1),
        "pg_colleague_claim_max_ms": round(max(repaint), 1),
        "pg_stats_s": round(median(result["stats_postgres_s"]), 2),
        "pg_stats_min_s": round(min(result["stats_postgres_s"]), 2),
        "pg_stats_tinydb_s": round(median(result["stats_tinydb_s"]), 2),
        "pg_stats_cpu_s": round(median(result["stats_postgres_cpu_s"]), 2),
        "pg_stats_tinydb_cpu_s": round(median(result["stats_tinydb_cpu_s"]), 2),
        "pg_stats_load": round(median(result["stats_postgres_load"]), 1),
        "pg_stats_server_cpu_s": round(median(result["stats_postgres_server_cpu_s"]), 2),
        # The command waits while the server works, on two connections at once.
        "pg_stats_idle_estimate_s": round(
            median(
                [
                    c + s / 2
                    for c, s in zip(
                        result["stats_postgres_cpu_s"],
                        result["stats_postgres_server_cpu_s"],
                        strict=True,
                    )
                ]
            ),
            2,
        ),
        "pg_stats_tinydb_load": round(median(result["stats_tinydb_load"]), 1),
        "pg_stats_runs": [
            {
                "wall_s": round(w, 2),
                "cpu_s": round(c, 2),
                "server_cpu_s": round(sc, 2),
                "load": round(lo, 1),
            }
            for w, c, sc, lo in zip(
                result["stats_postgres_s"],
                result["stats_postgres_cpu_s"],
                result["stats_postgres_server_cpu_s"],
                result["stats_postgres_load"],
                strict=True,
            )
        ],
    }


def measure_chat() -> dict[str, Any]:
    """The chat scenario's figures, or why it was skipped (no Prosody here)."""
    why = chat_probe.missing()
    if why is not None:
        say(f"chat: skipped: {why}")
        return {"skipped": why}
    say(f"chat: {chat_probe.ROUNDS} messages and replies through a real Prosody")
    runs = chat_probe.measure()
    figures: dict[str, Any] = {"rounds": chat_probe.ROUNDS}
    for name, values in runs.items():
        stem = name.removesuffix("_s")
        figures[f"{stem}_median_s"] = round(median(values), 3)
        figures[f"{stem}_p95_s"] = round(percentile(values, 0.95), 3)
    figures["targets"] = {
        figure: {"limit": limit, "pass": figures[figure] <= limit}
        for figure, (limit, _) in CHAT_TARGETS.items()
    }
    return figures


def chat_table(chat: dict[str, Any]) -> str:
    if "skipped" in chat:
        return f"chat: skipped ({chat['skipped']})"
    lines = [
        f"chat, {chat['rounds']} rounds through a real Prosody         median      p95  target"
    ]
    for label, stem in (
        ("patron → every open desk s", "chat_to_desk"),
        ("reply → patron's client s", "reply_to_patron"),
    ):
        figure = f"{stem}_p95_s"
        verdict = "pass" if chat["targets"][figure]["pass"] else "FAIL"
        lines.append(
            f"  {label:<46}{chat[f'{stem}_median_s']:>6.3f}   {chat[figure]:>6.3f}  "
            f"{CHAT_TARGETS[figure][1]}  {verdict}"
        )
    return "\n".join(lines)


def measure_listing(runs: int, rebuild: bool) -> dict[str, Any]:
    """``list``, ``stats`` and ``export`` over 100,000 conversations, each a fresh ``askdesk``.

    Timed from spawn to exit (Python's start and imports included), output to a
    file; ``*_cpu_s`` is the CPU time the process used (user + system), which a
    busy machine stretches less than the wall-clock figure. ``list`` runs on a
    store whose 100,000 conversations are all on the desk (a drop-folder
    flood); ``stats`` and ``export`` on one whose history holds them.
    """
    say(
        f"listing: {corpus.LISTING_CONVERSATIONS:,} conversations"
        + (" (building)" if rebuild else "")
    )
    listing = corpus.cached_listing(rebuild=rebuild)
    home = RUN / "listing-home"
    env = {
        **os.environ,
        "PYTHONDONTWRITEBYTECODE": "1",
        **{var: str(home / var.lower()) for var in ("XDG_CONFIG_HOME", "XDG_STATE_HOME")},
    }
    figures: dict[str, Any] = {"conversations": listing.conversations}
    for figure, (command, label) in LISTING.items():
        store = listing.flood if command[0] == "list" else listing.history
        say(f"listing: {label}, {runs} times")
        samples, cpu = [], []
        for _ in range(runs):
            with open(RUN / "listing.out", "wb") as out:
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                started = time.perf_counter()
                done = subprocess.run(
                    [sys.executable, "-m", "askdesk", *command, "--store", str(store)],
                    cwd=ROOT,
                    env=env,
                    stdout=out,
                    stderr=subprocess.PIPE,
                    timeout=1800,
                )
                samples.append(time.perf_counter() - started)
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
            if done.returncode != 0:
                sys.stderr.write(done.stderr.decode(errors="replace")[-4000:])
                raise SystemExit(f"bench: askdesk {' '.join(command)} failed")
        figures[figure] = round(median(samples), 2)
        figures[figure.replace("_s", "_p95_s")] = round(percentile(samples, 0.95), 2)
        figures[figure.replace("_s", "_cpu_s")] = round(median(cpu), 2)
        figures[figure.replace("_100k_s", "_n")] = len(samples)
    return figures


def listing_table(figures: dict[str, Any]) -> str:
    lines = [
        f"{'over ' + format(figures['conversations'], ',') + ' conversations':<36}"
        f"{'s (med/p95)':>17}{'CPU s':>9}  target"
    ]
    for figure, (_, label) in LISTING.items():
        value = figures[figure]
        mark = "pass" if value <= LISTING_TARGET_S else "MISS"
        p95 = figures[figure.replace("_s", "_p95_s")]
        lines.append(
            f"{'  ' + label:<36}{fmt(value, 2) + ' / ' + fmt(p95, 2):>17}"
            f"{fmt(figures[figure.replace('_s', '_cpu_s')], 2):>9}  ≤ {LISTING_TARGET_S:g} s {mark}"
            f"  ({figure})"
        )
    return "\n".join(lines)


def machine() -> dict[str, Any]:
    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        mem = Path("/proc/meminfo").read_text().splitlines()[0].split()[1]
        memory_gib = round(int(mem) / 1024 / 1024, 1)
    except (OSError, IndexError, ValueError):
        memory_gib = None
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        dirty = bool(
            subprocess.run(
                ["git", "status", "--porcelain", "src"], cwd=ROOT, capture_output=True, text=True
            ).stdout.strip()
        )
    except OSError:
        commit, dirty = "", False
    versions = {}
    for package in ("askdesk", "textual", "rich", "tinydb", "orjson"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "memory_gib": memory_gib,
        "sqlite": sqlite3.sqlite_version,
        "versions": versions,
        "git": f"{commit}{'+changes' if dirty else ''}",
        "load_average_before": [round(x, 2) for x in os.getloadavg()],
    }


def verdicts(
    sizes: dict[int, dict[str, Any]], postgres: dict[str, Any] | None = None
) -> dict[str, Any]:
    at = max(sizes) if sizes else 0
    figures = {**sizes.get(at, {}), **(postgres or {})}
    out: dict[str, Any] = {"at_size": at}
    for name, (limit, text) in TARGETS.items():
        value = figures.get(name)
        out[name] = {
            "value": value,
            "target": text,
            "pass": None if value is None else value <= limit,
        }
    return out


def fmt(value: Any, digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return f"{value:,}"


def postgres_table(pg: dict[str, Any], verdict: dict[str, Any], width: int) -> str:
    """The PostgreSQL rows: one corpus, its own server, SQLite on the same rows."""
    lines = [
        f"\nPostgreSQL store, {pg['pg_conversations']:,} conversations "
        f"({pg['pg_messages']:,} messages; copied in by store copy in {pg['pg_copy_s']} s)"
    ]

    def row(label: str, cell: str, target: str | None = None) -> None:
        line = f"{label:<{width}}{cell:>17}"
        if target is not None:
            v = verdict[target]
            mark = "-" if v["pass"] is None else ("pass" if v["pass"] else "MISS")
            line += f"  {v['target']:<20} {mark}"
        lines.append(line)

    row("PostgreSQL claim ms (med/p95)", f"{pg['pg_claim_ms_median']} / {pg['pg_claim_ms_p95']}")
    row(
        "SQLite claim ms, same rows (med/p95)",
        f"{pg['pg_sqlite_claim_ms_median']} / {pg['pg_sqlite_claim_ms_p95']}",
    )
    row("PostgreSQL claim ÷ SQLite", f"{pg['pg_claim_ratio_sqlite']}x", "pg_claim_ratio_sqlite")
    row(
        "colleague's claim → frame ms (med/p95)",
        f"{pg['pg_colleague_claim_ms_median']} / {pg['pg_colleague_claim_ms_p95']}",
    )
    row(
        "  worst colleague's claim → frame ms",
        f"{pg['pg_colleague_claim_max_ms']}",
        "pg_colleague_claim_max_ms",
    )
    row("askdesk stats, everything s (median)", f"{pg['pg_stats_s']}", "pg_stats_s")
    row("  fastest run s", f"{pg['pg_stats_min_s']}")
    row(
        "  CPU s of the command / of the server",
        f"{pg['pg_stats_cpu_s']} / {pg['pg_stats_server_cpu_s']}",
    )
    row("  on an idle machine (the two CPUs) s", f"{pg['pg_stats_idle_estimate_s']}")
    row("  load average as it ran", f"{pg['pg_stats_load']}")
    row("  the same on TinyDB s", f"{pg['pg_stats_tinydb_s']}")
    row("  TinyDB CPU s / load", f"{pg['pg_stats_tinydb_cpu_s']} / {pg['pg_stats_tinydb_load']}")
    return "\n".join(lines)


def table(result: dict[str, Any]) -> str:
    sizes = {int(s): f for s, f in result["sizes"].items()}
    order = sorted(sizes)
    verdict = result["targets"]
    width = 36
    cols = [f"{s:>17,}" for s in order]
    lines = [
        f"{'messages in the store':<{width}}"
        + "".join(cols)
        + f"  target at {verdict['at_size']:,}",
    ]

    def row(label: str, cell: Any, target: str | None = None) -> None:
        line = f"{label:<{width}}" + "".join(f"{cell(sizes[s]):>17}" for s in order)
        if target is not None:
            v = verdict[target]
            mark = "-" if v["pass"] is None else ("pass" if v["pass"] else "MISS")
            line += f"  {v['target']:<20} {mark}"
        lines.append(line)

    def pair(a: float, b: float, digits: int = 1) -> str:
        return f"{fmt(a, digits)} / {fmt(b, digits)}"

    pg = result.get("postgres")
    if not order and pg:  # --postgres-only
        lines = [postgres_table(pg, verdict, width).lstrip("\n")]
        return "\n".join([*lines, _machine_line(result["machine"])])

    row(
        "start to usable screen s (med/p95)",
        lambda f: pair(f["start_s"], f["start_p95_s"], 2),
        "start_s",
    )
    row(
        "key → frame ms, worst (med/p95)",
        lambda f: pair(f["repaint_median_ms"], f["repaint_p95_ms"]),
        "repaint_p95_ms",
    )
    for key in KEYS:
        row(
            f"  {KEY_LABELS[key]}",
            lambda f, k=key: pair(f["repaint"][k]["median_ms"], f["repaint"][k]["p95_ms"]),
        )
    row("store claim ms (med/p95)", lambda f: pair(f["claim_ms_median"], f["claim_ms_p95"], 2))
    row(
        "SQLite claim ms (med/p95)",
        lambda f: pair(f["sqlite_claim_ms_median"], f["sqlite_claim_ms_p95"], 2),
    )
    row(
        "store claim ÷ SQLite",
        lambda f: f"{fmt(f['claim_ratio_sqlite'], 2)}x",
        "claim_ratio_sqlite",
    )
    row("store claim ÷ claim at 1k", lambda f: f"{fmt(f.get('claim_vs_1k'), 2)}x", "claim_vs_1k")
    row(
        "ingest 10k messages s (med/p95)",
        lambda f: pair(f["ingest_10k_s"], f["ingest_10k_p95_s"], 2),
        "ingest_10k_s",
    )
    row("peak memory MiB", lambda f: fmt(f["peak_rss_mb"]), "peak_rss_mb")
    if pg:
        lines.append(postgres_table(pg, verdict, width))
    lines.append(_machine_line(result["machine"]))
    return "\n".join(lines)


def _machine_line(m: dict[str, Any]) -> str:
    return (
        f"\n{m['cpus']} CPUs · {m['cpu']} · Python {m['python']} · textual "
        f"{m['versions']['textual']} · load {m['load_average_before'][0]} → "
        f"{m['load_average_after'][0]} · {m['git']}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        prog="bench/run.py", description=__doc__.split("\n\n")[0] if __doc__ else None
    )
    parser.add_argument(
        "--sizes",
        default="1000,10000,100000",
        help="store sizes in messages, comma-separated (default: %(default)s)",
    )
    parser.add_argument(
        "--json",
        type=Path,
        default=BENCH / "results" / "latest.json",
        metavar="PATH",
        help="where to write the figures (default: %(default)s)",
    )
    parser.add_argument(
        "--starts", type=int, default=10, help="fresh app starts per size (default: %(default)s)"
    )
    parser.add_argument(
        "--reps",
        type=float,
        default=1.0,
        help="scale the number of key presses (default: %(default)s)",
    )
    parser.add_argument(
        "--claims",
        type=int,
        default=60,
        help="store and SQLite claims per size (default: %(default)s)",
    )
    parser.add_argument(
        "--ingests", type=int, default=5, help="ingest repetitions per size (default: %(default)s)"
    )
    parser.add_argument(
        "--listing-runs",
        type=int,
        default=3,
        help="runs of each listing command over 100,000 conversations (default: %(default)s)",
    )
    parser.add_argument(
        "--listing-only",
        action="store_true",
        help="only the listing figures (list, stats, export over 100,000 conversations)",
    )
    parser.add_argument("--rebuild", action="store_true", help="rebuild the cached stores")
    parser.add_argument("--no-postgres", action="store_true", help="leave out the PostgreSQL rows")
    parser.add_argument("--postgres-only", action="store_true", help="only the PostgreSQL rows")
    parser.add_argument(
        "--postgres-size",
        type=int,
        default=POSTGRES_SIZE,
        help="messages in the PostgreSQL rows' corpus (default: %(default)s)",
    )
    parser.add_argument("--no-chat", action="store_true", help="leave out the chat scenario")
    parser.add_argument(
        "--chat-only", action="store_true", help="only the chat scenario (a real Prosody)"
    )
    args = parser.parse_args()
    if args.chat_only:
        chat = measure_chat()
        print(chat_table(chat))
        return 0 if "skipped" in chat or all(t["pass"] for t in chat["targets"].values()) else 1
    sizes = sorted(int(s.replace("_", "")) for s in args.sizes.split(","))
    if args.postgres_only:
        sizes = []

    info = machine()
    RUN.mkdir(parents=True, exist_ok=True)
    if args.listing_only:
        listing = measure_listing(args.listing_runs, args.rebuild)
        info["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
        # Into the figures already there (a full run's), so one file holds them all.
        result = json.loads(args.json.read_text()) if args.json.exists() else {}
        result["listing"] = {**listing, "machine": info}
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2) + "\n")
        print(listing_table(listing))
        print(f"\nfigures: {args.json}")
        return 0
    built: dict[int, corpus.Built] = {}
    for size in sizes:
        say(f"{size:,} messages: store" + (" (building)" if args.rebuild else ""))
        built[size] = corpus.cached(size, rebuild=args.rebuild)
    RUN.mkdir(parents=True, exist_ok=True)

    figures: dict[int, dict[str, Any]] = {}
    for size in sizes:
        figures[size] = measure_size(built[size], args.starts, args.reps)
    if sizes:
        for size, claim in measure_claims(sizes, args.claims).items():
            figures[size].update(claim)
        base = figures[min(sizes)]["claim_ms_median"]
    for size in sizes:
        figures[size]["claim_vs_1k"] = (
            round(figures[size]["claim_ms_median"] / base, 2) if min(sizes) == 1000 else None
        )
        figures[size].update(measure_ingest(size, args.ingests))
    postgres = None
    if not args.no_postgres:
        postgres = measure_postgres(args.postgres_size, args.claims)
    chat = None if args.no_chat or args.postgres_only else measure_chat()
    listing = None if args.postgres_only else measure_listing(args.listing_runs, args.rebuild)
    info["load_average_after"] = [round(x, 2) for x in os.getloadavg()]

    result: dict[str, Any] = {
        "machine": info,
        "sizes": {str(size): figures[size] for size in sizes},
    }
    if chat is not None:
        result["chat"] = chat
    if postgres is not None:
        result["postgres"] = postgres
    if listing is not None:
        result["listing"] = listing
    result["targets"] = verdicts(figures, postgres)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2) + "\n")
    print(table(result))
    if chat is not None:
        print("\n" + chat_table(chat))
    if listing is not None:
        print()
        print(listing_table(listing))
    print(f"\nfigures: {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
