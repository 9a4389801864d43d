"""Nested lists go through per-request dataloaders: the number of SQL statements does not grow with
the page size (contracts → ledger entries → beneficiary)."""

from __future__ import annotations

from tests.helpers import Api, count_sql

NESTED = """
query($n: Int!, $m: Int!) {
  contracts(first: $n) {
    totalCount
    edges { node {
      code
      district { name }
      contractor { name }
      catalogueItems { code }
      ledger { version }
      serviceEntries(first: $m) {
        totalCount
        edges { node {
          serviceDate
          catalogueItem { code }
          township { name }
          beneficiary { name idNumber township { name } }
        } }
      }
    } }
  }
}
"""


MAX_STATEMENTS = 16


async def _run(api: Api, user: str, n: int, m: int) -> tuple[int, dict]:
    await api.token(user)  # sign in outside the counted block
    with count_sql() as statements:
        data = await api.data(NESTED, {"n": n, "m": m}, as_user=user)
    return len(statements), data


def _entries(data: dict) -> int:
    return sum(len(e["node"]["serviceEntries"]["edges"]) for e in data["contracts"]["edges"])


async def test_statement_count_is_constant_in_page_size(api: Api) -> None:
    small_count, small = await _run(api, "city_civil_affairs", 2, 2)
    large_count, large = await _run(api, "city_civil_affairs", 30, 40)
    assert len(large["contracts"]["edges"]) > len(small["contracts"]["edges"])
    assert _entries(large) > 10 * _entries(small) > 0
    assert _beneficiaries(small), "every loader must fire on the small page too"
    # auth (2) + page + count + one statement per loader, whatever the sizes. A loader whose keys are all
    # cached already (e.g. townships seen at an earlier level) sends nothing, so counts may differ by one
    # or two between runs — never by the number of rows (here ~1,000 on the large page).
    assert large_count <= small_count + 2, (small_count, large_count)
    assert large_count <= MAX_STATEMENTS, large_count


def _beneficiaries(data: dict) -> list[dict]:
    return [
        s["node"]["beneficiary"]
        for e in data["contracts"]["edges"]
        for s in e["node"]["serviceEntries"]["edges"]
        if s["node"]["beneficiary"]
    ]


async def test_scoped_user_gets_same_constant_cost(api: Api) -> None:
    small_count, small = await _run(api, "hailing_agency", 3, 5)
    large_count, large = await _run(api, "hailing_agency", 30, 40)
    assert _beneficiaries(small), "every loader must fire on the small page too"
    assert _entries(large) > _entries(small)
    assert large_count <= small_count + 2, (small_count, large_count)
    assert large_count <= MAX_STATEMENTS, large_count
