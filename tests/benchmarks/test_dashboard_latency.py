"""Benchmark (on demand): latency of every dashboard panel on the large data set (issue 6, item 5).

    JIUZHU_BENCH_LARGE=1 make bench

Skipped unless ``JIUZHU_BENCH_LARGE=1``. Uses the database at ``JIUZHU_BENCH_URL`` (default
``postgres://…/jiuzhu_bench_large``), building it with ``tests/benchmarks/generate_large.py`` first when it does
not exist or holds fewer than a million service entries (about a minute). Prints p50/p95 over 20 runs of each
panel for a district agency and the city bureau, with the SQL statements per request. Target: p95 < 100 ms. The
only assertions are that the queries succeed and their statement counts do not vary between runs.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest

from api.app import create_app
from schema.relay import encode_id
from tests.benchmarks.generate_large import DEFAULT_URL, ENTRIES, generate
from tests.conftest import settings_for
from tests.helpers import Api, count_sql

pytestmark = pytest.mark.skipif(
    os.environ.get("JIUZHU_BENCH_LARGE") != "1", reason="large-data benchmark: set JIUZHU_BENCH_LARGE=1"
)

RUNS = 20
YEAR = 2022  # a budget/calendar year of the generated set (2019–2023)
FILTER = f"(filter: {{year: {YEAR}}})"
PANELS: dict[str, str] = {
    "money": f"money{FILTER} {{ rows {{ key floor planned approved contracted paid shortfall floorCompliant }} }}",
    "contracts": f"contracts{FILTER} {{ byState {{ key value }} overdue {{ publication filing either "
    "acceptanceUnpublished } overdueByDistrict { key points { key value } } }",
    "services totals": f"services{FILTER} {{ totals {{ entries hours visits persons }} }}",
    "services by month": f"services{FILTER} {{ byMonth {{ entries {{ key value }} hours {{ key value }} }} }}",
    "services by township": f"services{FILTER} {{ byTownship {{ entries {{ key value }} hours {{ key value }} }} }}",
    "services by catalogue item": f"services{FILTER} {{ byCatalogueItem {{ entries {{ key value }} "
    "visits { key value } } }",
    "services by category": f"services{FILTER} {{ byAssistanceCategory {{ entries {{ key value }} "
    "persons { key value } } }",
    "services totals + people": f"services{FILTER} {{ totals {{ entries hours beneficiaries }} }}",
    "services by month + people": f"services{FILTER} {{ byMonth {{ hours {{ key value }} "
    "beneficiaries { key value } } }",
    "services by township + people": f"services{FILTER} {{ byTownship {{ entries {{ key value }} "
    "beneficiaries { key value } } }",
    "services by category + people": f"services{FILTER} {{ byAssistanceCategory {{ persons {{ key value }} "
    "beneficiaries { key value } } }",
    "services, item + people": f'services(filter: {{year: {YEAR}, catalogueItem: "ITEM"}}) {{ '
    "totals { entries hours beneficiaries } byMonth { beneficiaries { key value } } }",
    "services by township, item + people": f'services(filter: {{year: {YEAR}, catalogueItem: "ITEM"}}) {{ '
    "byTownship { entries { key value } beneficiaries { key value } } }",
    "services, mid-month range + people": 'services(filter: {dateFrom: "2022-03-15", dateTo: "2022-09-10"}) { '
    "totals { entries hours beneficiaries } byMonth { hours { key value } beneficiaries { key value } } }",
    "services totals, all years": "services { totals { entries hours visits persons } }",
    "performance": f"performance{FILTER} {{ contractors {{ key averageScore failed rectifications "
    "grades { key value } } }",
    "staffing": f"staffing{FILTER} {{ required {{ key value }} actual {{ key value }} shortfall {{ key value }} "
    "townshipShortfall { key value } trainingHours { key value } }",
    "concentration": f"concentration{FILTER} {{ total hhi shares {{ key share }} byDistrict {{ key hhi }} }}",
}
#: A district agency, the city bureau (both answered from the summaries) and the largest contractor's clerk (its
#: own ~50,000 entries, answered from the entries).
USERS = ("hailing_agency", "city_civil_affairs", "xinyuan_clerk")
ITEM_CODE = "S06"


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def _ready(url: str) -> bool:
    try:
        conn = await asyncpg.connect(url)
    except (asyncpg.InvalidCatalogNameError, OSError):
        return False
    try:
        entries = await conn.fetchval("SELECT COUNT(*) FROM ledger_service_entry")
        summarised = await conn.fetchval("SELECT COUNT(*) FROM ledger_summary_category_month")
        return entries >= ENTRIES and summarised > 0
    except asyncpg.UndefinedTableError:
        return False
    finally:
        await conn.close()


@pytest.fixture(scope="module")
async def large() -> AsyncIterator[Api]:
    """The app on the large database (generated when missing)."""
    url = os.environ.get("JIUZHU_BENCH_URL", DEFAULT_URL)
    if not await _ready(url):
        await generate(url)
    conn = await asyncpg.connect(url)
    try:
        item = await conn.fetchval("SELECT id FROM catalogue_item WHERE code = $1", ITEM_CODE)
    finally:
        await conn.close()
    for name, panel in PANELS.items():
        PANELS[name] = panel.replace("ITEM", encode_id("CatalogueItem", item))
    application = create_app(settings_for(url))
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            yield Api(client)


@pytest.mark.parametrize("user", USERS)
async def test_dashboard_latency(large: Api, user: str) -> None:
    await large.token(user)
    print(f"\n== {user} (year {YEAR}, {RUNS} runs)")
    for name, panel in PANELS.items():
        query = f"{{ dashboard {{ {panel} }} }}"
        await large.data(query, as_user=user)  # warm-up
        timings: list[float] = []
        counts: set[int] = set()
        for _ in range(RUNS):
            with count_sql() as statements:
                start = time.perf_counter()
                await large.data(query, as_user=user)
                timings.append((time.perf_counter() - start) * 1000)
            counts.add(len(statements))
        assert len(counts) == 1, (name, counts)
        p95 = percentile(timings, 0.95)
        flag = "" if p95 < 100 else "  > 100 ms"
        print(
            f"{name:30s} p50 {statistics.median(timings):7.1f} ms  p95 {p95:7.1f} ms  "
            f"SQL statements {counts.pop()}{flag}"
        )
