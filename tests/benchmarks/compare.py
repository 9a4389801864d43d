"""``make bench-compare`` (on demand, never in CI): jiuzhu against a floor on the large PostgreSQL data set.

    .venv/bin/python -m tests.benchmarks.compare [--rounds 3] [--seconds 5] [--baseline]
    JIUZHU_BENCH_SCALE=0.1 make bench-compare      # a tenth of the set, for a quick run

1. The data set: ``tests.benchmarks.generate_large`` (7 districts, 2,000 contracts, 1,000,000 service entries at
   scale 1) in ``jiuzhu_bench_large`` (``jiuzhu_bench_s<scale>`` at other scales; ``JIUZHU_BENCH_URL`` overrides),
   generated only when missing or short of entries (``--regenerate`` forces it).
2. The servers, each on its own 127.0.0.1 port: ``jiuzhu serve --workers 2`` (the production serving path: gunicorn,
   uvicorn workers on uvloop + httptools); the floor (``tests.benchmarks.floor``: one hand-written SQL statement
   builds the JSON, starlette + asyncpg, same serving); with ``--baseline`` also the serving jiuzhu had before
   (``uvicorn --workers 2`` on asyncio + h11).
3. The requests: Q1 a district agency's 50 contracts, contractor name, first 20 service entries each; Q2 the city
   bureau's services dashboard by township with people (year 2022); Q3 ``node(id:)`` of one contract, 10 scalars;
   ME ``me { username }``. Each at 1 and 8 keep-alive connections, in interleaved rounds (every target runs each
   case once per round, so background load hits all alike), after a warm-up.
4. Per round it prints req/s, p50/p95 latency, server CPU ms per request (utime+stime from ``/proc/<pid>/stat`` of
   the server's master and workers), PostgreSQL CPU ms per request (the same, over the backends connected to the
   bench database), each worker's share of the CPU (how evenly connections were spread), then a summary: medians
   over rounds, SQL statements per request and the ratio to the floor.

SQL statements per request are counted in-process (the same app over ASGI, ``tests.helpers.count_sql``: what
Tortoise sends; asyncpg's pool adds one reset statement per connection release on top). pg_stat_statements would
need a server restart (shared_preload_libraries), so it is not used. The load generator is this process (asyncio,
raw HTTP/1.1 on kept-alive sockets to 127.0.0.1 only), bounded by time and request count; its own CPU is printed,
since on a 2-core machine it competes with the servers. PostGraphile is not run (optional in issue 14).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from api.app import create_app
from schema.relay import encode_id
from tests.benchmarks.generate_large import CONTRACTS, ENTRIES, PG_SERVER, generate
from tests.conftest import TEST_SECRET, settings_for
from tests.helpers import Api, count_sql
from tests.servers import ROOT, free_port

CLOCK_TICK_MS = 1000 / os.sysconf("SC_CLK_TCK")
MAX_REQUESTS_PER_PHASE = 50_000
AGENCY, DISTRICT = "hailing_agency", "321202"
CITY = "city_civil_affairs"

Q1 = """query Q1 { contracts(first: 50) { nodes { code contractor { name }
  serviceEntries(first: 20) { nodes { serviceDate quantity unit content } } } } }"""
Q2 = """query Q2 { dashboard { services(filter: {year: 2022}) {
  byTownship { entries { key value } beneficiaries { key value } } } } }"""
Q3 = """query Q3($id: ID!) { node(id: $id) { id ... on Contract {
  code title scope subject quantity amount status signedOn serviceStart serviceEnd } } }"""
ME = "query Me { me { username } }"


@dataclass
class Case:
    """One request: its operation, document, variables and who sends it."""

    name: str
    query: str
    variables: dict[str, Any]
    user: str
    floor: bool  # the floor answers it too

    def body(self) -> bytes:
        """The JSON body (the same bytes for every target)."""
        name = {"ME": "Me"}.get(self.name, self.name)
        return json.dumps({"query": self.query, "variables": self.variables, "operationName": name}).encode()


@dataclass
class Target:
    """A server under test: its process (master; workers are its children) and port."""

    name: str
    process: subprocess.Popen[bytes]
    port: int
    tokens: dict[str, str] = field(default_factory=dict)

    def pids(self) -> list[int]:
        """The master and its children (gunicorn's or uvicorn's workers)."""
        pid = self.process.pid
        with contextlib.suppress(OSError):
            return [pid, *map(int, Path(f"/proc/{pid}/task/{pid}/children").read_text().split())]
        return [pid]


@dataclass
class Result:
    """One phase: a case at a concurrency against a target."""

    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]
    server_cpu_ms: float
    pg_cpu_ms: float
    worker_split: str  # each worker's share of the workers' CPU, %: how evenly connections were spread

    @property
    def rps(self) -> float:
        """Requests per second."""
        return self.requests / self.seconds if self.seconds else 0.0

    def pct(self, q: float) -> float:
        """Latency percentile (nearest rank), ms."""
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else float("nan")

    @property
    def cpu_per_request(self) -> float:
        """Server CPU ms per request."""
        return self.server_cpu_ms / self.requests if self.requests else float("nan")

    @property
    def pg_per_request(self) -> float:
        """PostgreSQL CPU ms per request."""
        return self.pg_cpu_ms / self.requests if self.requests else float("nan")


def cpu_ms(pids: list[int]) -> dict[int, float]:
    """utime + stime of each live process, ms."""
    out = {}
    for pid in pids:
        with contextlib.suppress(OSError):
            stat = Path(f"/proc/{pid}/stat").read_text()
            fields = stat[stat.rindex(")") + 2 :].split()
            out[pid] = (int(fields[11]) + int(fields[12])) * CLOCK_TICK_MS
    return out


def spent(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU ms spent between two samples (processes that started in between count from zero)."""
    return sum(value - before.get(pid, 0.0) for pid, value in after.items())


def split(before: dict[int, float], after: dict[int, float], master: int) -> str:
    """Each worker's share of the workers' CPU between two samples, e.g. ``52/48``."""
    used = [after[pid] - before.get(pid, 0.0) for pid in sorted(after) if pid != master]
    total = sum(used)
    return "/".join(f"{100 * u / total:.0f}" for u in used) if total > 0 and len(used) > 1 else "-"


def scale_of() -> float:
    """``JIUZHU_BENCH_SCALE`` (default 1)."""
    scale = float(os.environ.get("JIUZHU_BENCH_SCALE", "1") or "1")
    if not 0 < scale <= 1:
        raise SystemExit("JIUZHU_BENCH_SCALE must be in (0, 1]")
    return scale


def bench_url(scale: float) -> str:
    """The bench database's URL for ``scale``."""
    if os.environ.get("JIUZHU_BENCH_URL"):
        return os.environ["JIUZHU_BENCH_URL"]
    if scale == 1:
        return f"{PG_SERVER}/jiuzhu_bench_large"
    return f"{PG_SERVER}/jiuzhu_bench_s" + f"{scale:g}".replace(".", "_")


async def ensure_data(url: str, scale: float, regenerate: bool) -> None:
    """Generate the data set unless a complete one is there."""
    entries = round(ENTRIES * scale)
    if not regenerate:
        try:
            conn = await asyncpg.connect(url)
        except (asyncpg.InvalidCatalogNameError, OSError):
            conn = None
        if conn is not None:
            try:
                have = await conn.fetchval("SELECT count(*) FROM ledger_service_entry")
                summaries = await conn.fetchval("SELECT count(*) FROM ledger_summary_category_month")
                if have >= entries and summaries > 0:
                    print(f"reusing {url.rsplit('/', 1)[1]}: {have:,} service entries", flush=True)
                    return
            except asyncpg.UndefinedTableError:
                pass
            finally:
                await conn.close()
    print(f"generating the data set at scale {scale:g} into {url.rsplit('/', 1)[1]} …", flush=True)
    started = time.perf_counter()
    await generate(url, contracts=max(20, round(CONTRACTS * scale)), entries=entries)
    print(f"generated in {time.perf_counter() - started:.0f} s", flush=True)


def start(name: str, command: list[str], port: int, env: dict[str, str], logs: Path) -> Target:
    """Start a server process, its output to ``logs/<name>.log``."""
    log = (logs / f"{name}.log").open("wb")
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    return Target(name, process, port)


async def wait_ready(target: Target, path: str, limit_s: float = 120) -> None:
    """Until ``path`` answers (any HTTP status) and every worker has started."""
    deadline = time.monotonic() + limit_s
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{target.port}", timeout=5) as client:
        while True:
            if target.process.poll() is not None:
                raise RuntimeError(f"{target.name} exited with {target.process.returncode}")
            with contextlib.suppress(httpx.TransportError):
                await client.get(path)
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"{target.name} did not start")
            await asyncio.sleep(0.3)
    await asyncio.sleep(3)  # the other worker may still be importing the app


async def login(port: int, user: str) -> str:
    """A bearer token for ``user``."""
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
        api = Api(client)
        return await api.token(user)


def request_bytes(case: Case, port: int, token: str | None) -> bytes:
    """The raw HTTP/1.1 request, built once per phase."""
    body = case.body()
    head = [
        "POST /graphql HTTP/1.1",
        f"Host: 127.0.0.1:{port}",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
    ]
    if token:
        head.append(f"Authorization: Bearer {token}")
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


async def load(port: int, request: bytes, connections: int, seconds: float) -> tuple[int, int, float, list[float]]:
    """``connections`` keep-alive clients sending ``request`` back to back for ``seconds`` (and at most
    ``MAX_REQUESTS_PER_PHASE`` requests); returns (requests, errors, elapsed s, latencies ms)."""
    latencies: list[float] = []
    errors = 0
    stop = time.perf_counter() + seconds

    async def client() -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while time.perf_counter() < stop and len(latencies) < MAX_REQUESTS_PER_PHASE:
                began = time.perf_counter()
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                length = head.lower().split(b"content-length:", 1)
                if len(length) != 2:
                    raise RuntimeError(f"no Content-Length in {head[:200]!r}")
                body = await reader.readexactly(int(length[1].split(b"\r\n", 1)[0]))
                latencies.append((time.perf_counter() - began) * 1000)
                if not head.startswith(b"HTTP/1.1 200") or body.startswith(b'{"errors"') or b'"errors":' in body:
                    errors += 1
        finally:
            writer.close()

    began = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(connections)))
    return len(latencies), errors, time.perf_counter() - began, latencies


async def pg_backends(monitor: asyncpg.Connection, database: str) -> list[int]:
    """PostgreSQL backend processes connected to the bench database (not the monitor's own)."""
    rows = await monitor.fetch(
        "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", database
    )
    return [r["pid"] for r in rows]


async def phase(
    target: Target, case: Case, connections: int, seconds: float, monitor: asyncpg.Connection, database: str
) -> Result:
    """Run one case at one concurrency against one target, measuring CPU around it."""
    request = request_bytes(case, target.port, target.tokens.get(case.user))
    server_before = cpu_ms(target.pids())
    pg_before = cpu_ms(await pg_backends(monitor, database))
    requests, errors, elapsed, latencies = await load(target.port, request, connections, seconds)
    server_after = cpu_ms(target.pids())
    pg_after = cpu_ms(await pg_backends(monitor, database))
    return Result(
        requests,
        errors,
        elapsed,
        latencies,
        spent(server_before, server_after),
        spent(pg_before, pg_after),
        split(server_before, server_after, target.process.pid),
    )


async def sql_per_request(url: str, cases: list[Case]) -> dict[str, int]:
    """Statements Tortoise sends per request of each case, counted in-process on the same app."""
    application = create_app(settings_for(url))
    counts: dict[str, int] = {}
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url="http://bench", timeout=60) as client:
            api = Api(client)
            for case in cases:
                await api.data(case.query, case.variables, as_user=case.user)  # warm (sign-in, caches)
                with count_sql() as statements:
                    await api.data(case.query, case.variables, as_user=case.user)
                counts[case.name] = len(statements)
    return counts


async def same_as_floor(jiuzhu: Target, floor: Target, case: Case) -> bool:
    """Whether the floor answers ``case`` with the same ``data`` as jiuzhu (so it measures the same work)."""
    async with httpx.AsyncClient(timeout=60) as client:
        headers = {"Content-Type": "application/json"}
        mine = await client.post(
            f"http://127.0.0.1:{jiuzhu.port}/graphql",
            content=case.body(),
            headers={**headers, "Authorization": f"Bearer {jiuzhu.tokens[case.user]}"},
        )
        theirs = await client.post(f"http://127.0.0.1:{floor.port}/graphql", content=case.body(), headers=headers)
    return mine.json()["data"] == theirs.json()["data"]  # jiuzhu adds extensions (the cost)


def median(values: list[float]) -> float:
    """Median, NaN for none."""
    return statistics.median(values) if values else float("nan")


async def run(args: argparse.Namespace) -> None:
    """The whole comparison."""
    scale = scale_of()
    url = bench_url(scale)
    database = url.rsplit("/", 1)[1]
    await ensure_data(url, scale, args.regenerate)

    conn = await asyncpg.connect(url)
    try:
        contract_pk = await conn.fetchval(
            "SELECT c.id FROM contract c WHERE c.district_id = $1 ORDER BY c.id LIMIT 1 OFFSET 10",
            DISTRICT,
        )
    finally:
        await conn.close()
    contract_id = encode_id("Contract", contract_pk)
    cases = [
        Case("Q1", Q1, {"district": DISTRICT}, AGENCY, floor=True),
        Case("Q2", Q2, {}, CITY, floor=False),
        Case("Q3", Q3, {"id": contract_id}, AGENCY, floor=True),
        Case("ME", ME, {}, AGENCY, floor=False),
    ]
    print("counting SQL statements per request (in-process) …", flush=True)
    statements = await sql_per_request(url, cases)

    logs = Path(tempfile.mkdtemp(prefix="jiuzhu-bench-"))
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "JIUZHU_TOKEN_SECRET": TEST_SECRET,
        "JIUZHU_MODE": "development",  # the generated set is sealed with the development data key
        "HOST": "127.0.0.1",
    }
    python = sys.executable
    targets: list[Target] = []
    try:
        port = free_port()
        targets.append(
            start(
                "jiuzhu",
                [python, "-m", "api.cli", "serve", "--no-migrate", "--workers", "2"],
                port,
                {**env, "PORT": str(port)},
                logs,
            )
        )
        if args.baseline:
            port = free_port()
            command = [python, "-m", "uvicorn", "api.main:app", "--port", str(port), "--workers", "2"]
            command += ["--loop", "asyncio", "--http", "h11", "--log-level", "warning"]
            targets.append(start("jiuzhu-h11", command, port, env, logs))
        port = free_port()
        command = [python, "-m", "tests.benchmarks.floor", "--url", url, "--port", str(port), "--workers", "2"]
        targets.append(start("floor", command, port, env, logs))
        for target in targets:
            await wait_ready(target, "/readyz" if target.name != "floor" else "/graphql")
            if target.name != "floor":
                for user in {case.user for case in cases}:
                    target.tokens[user] = await login(target.port, user)
        jiuzhu, floor = targets[0], targets[-1]
        for case in cases:
            if case.floor:
                same = await same_as_floor(jiuzhu, floor, case)
                print(f"floor answers {case.name} with jiuzhu's JSON: {'yes' if same else 'NO (differs)'}")

        monitor = await asyncpg.connect(url)
        results: dict[tuple[str, str, int], list[Result]] = {}
        client_before = resource.getrusage(resource.RUSAGE_SELF)
        try:
            print(f"warm-up; then {args.rounds} rounds of {args.seconds:g} s per phase (logs in {logs})", flush=True)
            for case in cases:
                for target in targets:
                    if target.name != "floor" or case.floor:
                        await load(target.port, request_bytes(case, target.port, target.tokens.get(case.user)), 8, 1)
            header = (
                f"{'round':>5} {'case':4} {'c':>2} {'target':10} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} "
                f"{'CPU ms/req':>10} {'PG ms/req':>9} {'errors':>6} {'worker CPU %':>12}"
            )
            print(header)
            for rnd in range(1, args.rounds + 1):
                for case in cases:
                    for connections in (1, 8):
                        for target in targets:
                            if target.name == "floor" and not case.floor:
                                continue
                            result = await phase(target, case, connections, args.seconds, monitor, database)
                            results.setdefault((case.name, target.name, connections), []).append(result)
                            print(
                                f"{rnd:>5} {case.name:4} {connections:>2} {target.name:10} {result.rps:8.1f} "
                                f"{result.pct(0.5):8.1f} {result.pct(0.95):8.1f} {result.cpu_per_request:10.2f} "
                                f"{result.pg_per_request:9.2f} {result.errors:>6} {result.worker_split:>12}",
                                flush=True,
                            )
        finally:
            await monitor.close()
        client_after = resource.getrusage(resource.RUSAGE_SELF)
        client_cpu = (client_after.ru_utime + client_after.ru_stime) - (client_before.ru_utime + client_before.ru_stime)
        print_summary(cases, targets, results, statements)
        print(f"\nload generator CPU: {client_cpu:.1f} s (this process; it shares the 2 cores with the servers)")
    finally:
        for target in targets:
            if target.process.poll() is None:
                target.process.terminate()
        for target in targets:
            try:
                target.process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                target.process.kill()


def print_summary(
    cases: list[Case],
    targets: list[Target],
    results: dict[tuple[str, str, int], list[Result]],
    statements: dict[str, int],
) -> None:
    """Medians over the rounds, with the ratio to the floor."""
    print("\nsummary (medians over rounds; 'x floor' = jiuzhu req/s ÷ floor req/s, CPU ÷ floor CPU)")
    print(
        f"{'case':4} {'c':>2} {'target':10} {'req/s':>8} {'range':>15} {'p50 ms':>8} {'p95 ms':>8} "
        f"{'CPU ms/req':>10} {'PG ms/req':>9} {'SQL/req':>7} {'x floor':>8} {'CPU x':>7}"
    )
    for case in cases:
        for connections in (1, 8):
            floor_runs = results.get((case.name, "floor", connections), [])
            floor_rps = median([r.rps for r in floor_runs])
            floor_cpu = median([r.cpu_per_request for r in floor_runs])
            for target in targets:
                runs = results.get((case.name, target.name, connections), [])
                if not runs:
                    continue
                rps = [r.rps for r in runs]
                cpu = median([r.cpu_per_request for r in runs])
                sql = 1 if target.name == "floor" else statements.get(case.name, 0)
                ratio = f"{median(rps) / floor_rps:8.2f}" if floor_runs and target.name != "floor" else f"{'—':>8}"
                cpu_ratio = f"{cpu / floor_cpu:7.1f}" if floor_runs and target.name != "floor" else f"{'—':>7}"
                print(
                    f"{case.name:4} {connections:>2} {target.name:10} {median(rps):8.1f} "
                    f"{f'{min(rps):.0f}–{max(rps):.0f}':>15} {median([r.pct(0.5) for r in runs]):8.1f} "
                    f"{median([r.pct(0.95) for r in runs]):8.1f} {cpu:10.2f} "
                    f"{median([r.pg_per_request for r in runs]):9.2f} {sql:7d} {ratio} {cpu_ratio}"
                )


def main() -> None:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each phase")
    parser.add_argument("--baseline", action="store_true", help="also run uvicorn --workers 2 on asyncio + h11")
    parser.add_argument("--regenerate", action="store_true", help="rebuild the data set even when present")
    args = parser.parse_args()
    if not 1 <= args.rounds <= 20 or not 0.5 <= args.seconds <= 60:
        raise SystemExit("--rounds must be 1–20 and --seconds 0.5–60")
    try:
        import uvloop

        uvloop.run(run(args))
    except ImportError:
        asyncio.run(run(args))


if __name__ == "__main__":
    main()
