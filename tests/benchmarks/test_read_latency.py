"""Benchmark (on demand: `make bench`): latency and SQL statements of typical reads on the demo data.

Prints p50/p95 per query for a district agency and the city bureau. Not a pass/fail timing test: the only
assertions are that the queries succeed.
"""

from __future__ import annotations

import statistics
import time

import pytest

from tests.helpers import Api, count_sql

QUERIES = {
    "contracts page (20) with contractor+district": """
        { contracts(first: 20) { totalCount nodes { code status amount contractor { name } district { name } } } }
    """,
    "nested: contracts(20) > entries(20) > beneficiary": """
        { contracts(first: 20) { nodes { code serviceEntries(first: 20) { totalCount nodes {
            serviceDate quantity beneficiary { name idNumber } catalogueItem { code } township { name } } } } } }
    """,
    "plans with funding floor": """
        { purchasePlans(first: 30) { nodes { year status funding { floor planned shortfall compliant }
            lines(first: 20) { nodes { budget catalogueItem { name } } } } } }
    """,
    "node(id) lookup": None,
}

RUNS = 30


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


@pytest.mark.parametrize("user", ["hailing_agency", "city_civil_affairs"])
async def test_read_latency(api: Api, user: str) -> None:
    first = await api.data("{ contracts(first: 1) { nodes { id } } }", as_user=user)
    node_id = first["contracts"]["nodes"][0]["id"]
    print(f"\n== {user}")
    for name, query in QUERIES.items():
        doc = query or f'{{ node(id: "{node_id}") {{ id ... on Contract {{ code contractor {{ name }} }} }} }}'
        timings = []
        for _ in range(RUNS):
            with count_sql() as statements:
                start = time.perf_counter()
                await api.data(doc, as_user=user)
                timings.append((time.perf_counter() - start) * 1000)
        print(
            f"{name:50s} p50 {statistics.median(timings):7.1f} ms  p95 {_pct(timings, 0.95):7.1f} ms"
            f"  SQL statements {len(statements)}"
        )
