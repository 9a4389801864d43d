"""The finance bureau's cross-district view: contract filings, acceptance reports and payments with filters,
sorting (overdue first when asked), offset pagination capped at 100, totals, and who sees what.

Uses the budget-year-2071 fixture of ``tests/test_dashboards.py`` (built once per database): signed contracts
C1, C3 (心缘) and C2 (安和) in 海陵区, C4 (安和) in 高港区, and the draft C5, which is no filing.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import Api, count_sql
from tests.test_dashboards import PREFIX, YEAR, Fixture, dashboard_fixture, gid

FILINGS = """
query($f: FilingFilter, $o: FilingOrder, $first: Int, $after: String) { finance {
  contractFilings(filter: $f, orderBy: $o, first: $first, after: $after) {
    totalCount totals { count amount filed overdue }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { code signedOn filedOn filingDue filingOverdue amount effectiveAmount } }
  }
} }
"""
REPORTS = """
query($f: FilingFilter, $o: FilingOrder) { finance {
  acceptanceReports(filter: $f, orderBy: $o, first: 50) {
    totalCount totals { count passed failed reported contractAmount }
    nodes { acceptedOn reportSentOn result score grade contract { code } }
  }
} }
"""
PAYMENTS = """
query($f: FilingFilter, $o: FilingOrder) { finance {
  payments(filter: $f, orderBy: $o, first: 50) {
    totalCount totals { count amount } nodes { paidOn amount contract { code } }
  }
} }
"""


@pytest.fixture
async def fixture(api: Api) -> Fixture:
    """The 2071 data (``api`` first: the app's lifespan opens the database)."""
    return await dashboard_fixture()


async def filings(api: Api, user: str, f: dict[str, Any] | None = None, **variables: Any) -> dict[str, Any]:
    """The contract filings page."""
    body = await api.data(FILINGS, {"f": {"year": YEAR, **(f or {})}, **variables}, as_user=user)
    return body["finance"]["contractFilings"]


def codes(page: dict[str, Any]) -> list[str]:
    """Contract codes of a page, without the fixture prefix."""
    nodes = [e["node"] for e in page["edges"]] if "edges" in page else page["nodes"]
    return [(n["contract"]["code"] if "contract" in n else n["code"]).removeprefix(f"{PREFIX}-") for n in nodes]


async def test_contract_filings_with_totals(api: Api, fixture: Fixture) -> None:
    page = await filings(api, "city_finance")
    # Signed: C1 (eff. 130,000.11), C2 80,000.20, C3 50,000.00, C4 200,000.00 → 460,000.31; filed C1, C2, C4;
    # filing late or past due: C2 (filed 17 Sep, due 16 Sep), C3 (never filed).
    assert page["totalCount"] == 4
    assert page["totals"] == {"count": 4, "amount": "460000.31", "filed": 3, "overdue": 2}
    # Default order: filing date, newest first; not yet filed last.
    assert codes(page) == ["C4", "C2", "C1", "C3"]
    c2 = next(e["node"] for e in page["edges"] if e["node"]["code"].endswith("C2"))
    assert (c2["filingDue"], c2["filedOn"], c2["filingOverdue"]) == ("2026-09-16", "2026-09-17", True)


async def test_sorting_and_overdue_first(api: Api, fixture: Fixture) -> None:
    by_amount = await filings(api, "city_finance", o={"by": "AMOUNT", "direction": "ASC"})
    assert codes(by_amount) == ["C3", "C2", "C1", "C4"]  # 50,000.00 < 80,000.20 < 120,000.10 < 200,000.00
    by_signing = await filings(api, "city_finance", o={"by": "SIGNED", "direction": "DESC"})
    assert codes(by_signing) == ["C4", "C3", "C2", "C1"]
    by_district = await filings(api, "city_finance", o={"by": "DISTRICT", "direction": "DESC"})
    assert codes(by_district)[0] == "C4"
    # Overdue first (C2 filed 17 Sep, C3 never filed: last within its group), then the rest by filing date.
    first = await filings(api, "city_finance", o={"overdueFirst": True})
    assert codes(first) == ["C2", "C3", "C4", "C1"]
    first = await filings(api, "city_finance", o={"overdueFirst": True, "by": "AMOUNT", "direction": "DESC"})
    assert codes(first) == ["C2", "C3", "C4", "C1"]


async def test_offset_pagination(api: Api, fixture: Fixture) -> None:
    order = {"overdueFirst": True}
    one = await filings(api, "city_finance", o=order, first=2)
    assert codes(one) == ["C2", "C3"]
    assert (one["pageInfo"]["hasNextPage"], one["pageInfo"]["hasPreviousPage"]) == (True, False)
    two = await filings(api, "city_finance", o=order, first=2, after=one["pageInfo"]["endCursor"])
    assert codes(two) == ["C4", "C1"]
    assert (two["pageInfo"]["hasNextPage"], two["pageInfo"]["hasPreviousPage"]) == (False, True)
    assert two["totalCount"] == 4
    for variables, code in (
        ({"first": 101}, "INVALID_ARGUMENT"),
        ({"first": 0}, "INVALID_ARGUMENT"),
        ({"after": "nope"}, "INVALID_CURSOR"),
    ):
        body = await api.gql(FILINGS, {"f": {"year": YEAR}, **variables}, as_user="city_finance")
        assert body["errors"][0]["extensions"]["code"] == code, body


async def test_filters(api: Api, fixture: Fixture) -> None:
    assert codes(await filings(api, "city_finance", {"overdue": True})) == ["C2", "C3"]
    assert codes(await filings(api, "city_finance", {"overdue": False})) == ["C4", "C1"]
    page = await filings(api, "city_finance", {"contractor": gid("Contractor", fixture.n)})
    assert (codes(page), page["totals"]["amount"]) == (["C4", "C2"], "280000.20")
    assert codes(await filings(api, "city_finance", {"state": ["CLOSED", "FILED"]})) == ["C4", "C2"]
    assert codes(await filings(api, "city_finance", {"dateFrom": "2026-09-05", "dateTo": "2026-09-30"})) == ["C2", "C3"]
    assert codes(await filings(api, "city_finance", {"district": "321203"})) == ["C4"]
    for f, code in (
        ({"district": "32"}, "INVALID_ARGUMENT"),
        ({"year": 99}, "INVALID_ARGUMENT"),
        ({"dateFrom": "2026-10-01", "dateTo": "2026-09-01"}, "INVALID_ARGUMENT"),
        ({"contractor": gid("Contract", 1)}, "INVALID_ID"),
    ):
        body = await api.gql(FILINGS, {"f": f}, as_user="city_finance")
        assert body["errors"][0]["extensions"]["code"] == code, (f, body)


async def test_acceptance_reports(api: Api, fixture: Fixture) -> None:
    body = await api.data(REPORTS, {"f": {"year": YEAR}}, as_user="city_finance")
    page = body["finance"]["acceptanceReports"]
    # C1 failed 55.50 (reported 12 Oct) and passed 85.25 (not reported); C2 92.00 (reported 26 Oct); C4 78.00.
    # Contract amounts, each contract once: 120,000.10 + 80,000.20 + 200,000.00 = 400,000.30.
    assert page["totals"] == {"count": 4, "passed": 3, "failed": 1, "reported": 2, "contractAmount": "400000.30"}
    assert [(n["reportSentOn"], n["score"]) for n in page["nodes"]][:2] == [
        ("2026-10-26", "92.00"),
        ("2026-10-12", "55.50"),
    ]
    # Not yet reported first (no deadline in the policy: each unreported one counts), accepted date order within.
    body = await api.data(
        REPORTS,
        {"f": {"year": YEAR}, "o": {"overdueFirst": True, "by": "SIGNED", "direction": "ASC"}},
        as_user="city_finance",
    )
    nodes = body["finance"]["acceptanceReports"]["nodes"]
    assert [(n["contract"]["code"].removeprefix(f"{PREFIX}-"), n["reportSentOn"]) for n in nodes] == [
        ("C1", None),
        ("C4", None),
        ("C1", "2026-10-12"),
        ("C2", "2026-10-26"),
    ]
    body = await api.data(REPORTS, {"f": {"year": YEAR, "overdue": True}}, as_user="city_finance")
    assert body["finance"]["acceptanceReports"]["totals"]["count"] == 2


async def test_payments(api: Api, fixture: Fixture) -> None:
    body = await api.data(PAYMENTS, {"f": {"year": YEAR}, "o": {"by": "AMOUNT"}}, as_user="city_finance")
    page = body["finance"]["payments"]
    # 36,000.03 + 12,000.01 + 80,000.20 + 15,000.00 + 60,000.00 = 203,000.24.
    assert page["totals"] == {"count": 5, "amount": "203000.24"}
    assert [n["amount"] for n in page["nodes"]] == ["80000.20", "60000.00", "36000.03", "15000.00", "12000.01"]
    body = await api.data(
        PAYMENTS, {"f": {"year": YEAR, "dateFrom": "2026-10-01", "dateTo": "2026-10-31"}}, as_user="city_finance"
    )
    page = body["finance"]["payments"]
    assert page["totals"] == {"count": 3, "amount": "152000.21"}  # 12,000.01 + 80,000.20 + 60,000.00
    assert [n["paidOn"] for n in page["nodes"]] == ["2026-10-30", "2026-10-20", "2026-10-20"]


@pytest.mark.parametrize(
    ("user", "expected", "amount", "payments", "reports"),
    [
        pytest.param("city_finance", ["C4", "C2", "C1", "C3"], "460000.31", (5, "203000.24"), 4, id="city-finance"),
        pytest.param("city_civil_affairs", ["C4", "C2", "C1", "C3"], "460000.31", (5, "203000.24"), 4, id="city"),
        pytest.param("hailing_finance", ["C2", "C1", "C3"], "260000.31", (4, "143000.24"), 3, id="district-finance"),
        pytest.param("hailing_agency", ["C2", "C1", "C3"], "260000.31", (4, "143000.24"), 3, id="district-agency"),
        pytest.param("gaogang_purchaser", ["C4"], "200000.00", (1, "60000.00"), 1, id="other-district"),
        pytest.param("xinyuan_clerk", [], "0.00", (0, "0.00"), 0, id="contractor"),
    ],
)
async def test_who_sees_which_filings(
    api: Api, fixture: Fixture, user: str, expected: list[str], amount: str, payments: tuple[int, str], reports: int
) -> None:
    page = await filings(api, user)
    assert (codes(page), page["totals"]["amount"]) == (expected, amount)
    paid = (await api.data(PAYMENTS, {"f": {"year": YEAR}}, as_user=user))["finance"]["payments"]
    assert (paid["totalCount"], paid["totals"]["amount"]) == payments
    accepted = (await api.data(REPORTS, {"f": {"year": YEAR}}, as_user=user))["finance"]["acceptanceReports"]
    assert accepted["totalCount"] == reports
    if user == "xinyuan_clerk":
        # It reads its own contracts elsewhere; filings are the districts' records.
        mine = await api.data("{ contracts(first: 100) { nodes { code } } }", as_user=user)
        assert f"{PREFIX}-C1" in [n["code"] for n in mine["contracts"]["nodes"]]


async def test_statement_count_is_constant(api: Api, fixture: Fixture) -> None:
    await api.token("city_finance")
    counts = []
    for variables in (
        {"first": 1, "f": {"year": YEAR, "overdue": False}},
        {"first": 100, "f": {"year": YEAR, "overdue": True}},
        {"first": 1, "f": {"overdue": False}, "after": "bzow"},
        {"first": 100, "f": {"overdue": True}, "o": {"overdueFirst": True, "by": "AMOUNT"}},
    ):
        with count_sql() as sql:
            await api.data(FILINGS, variables, as_user="city_finance")
        counts.append(len(sql))
    assert len(set(counts)) == 1, counts
    for query in (PAYMENTS, REPORTS):
        counts = []
        for f in ({"year": YEAR}, {}):
            with count_sql() as sql:
                await api.data(query, {"f": f, "o": {"overdueFirst": True}}, as_user="city_finance")
            counts.append(len(sql))
        assert len(set(counts)) == 1, counts
