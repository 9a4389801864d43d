"""The monthly services summaries (models.service_summary) against the entries they summarise.

- Through the API: entries, bulk rows and corrections written by a contractor's clerk leave the summaries exactly
  as a full rebuild from the entries makes them (people bitmaps included), and the dashboard shows the new figures
  on the next request.
- For district-wide readers the dashboard answers from the summaries; the same question answered from the entries
  (the path a contractor takes) gives the same figures for every breakdown, over whole years, open ranges and
  ranges that start or end inside a month, with catalogue-item and district filters.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from tortoise.models import Model
from tortoise.queryset import QuerySet

from models import dashboards as agg
from models.catalogue import CatalogueItem
from models.contracts import Contract
from models.dashboards import split_months
from models.geography import Township
from models.ledgers import Ledger
from models.service_summary import (
    ServiceCategoryMonth,
    ServicePeopleMonth,
    ServiceTownshipMonth,
    bitmap,
    fill_missing_summaries,
    rebuild,
)
from models.timeutil import today
from policies.principal import Assignment, Principal
from policies.scope import district_wide, scoped
from tests.helpers import Api
from tests.test_ledger_bulk import submit
from tests.test_ledger_entries import CLERK, CORRECT, HAILING, add, make_contract, new_id_number, service_input

AGENCY = "hailing_agency"


def principal(role: str, domain: str, *more: Assignment) -> Principal:
    """A principal holding ``role`` in ``domain`` (and ``more``), as ``api.auth`` builds it."""
    return Principal(user_id=-1, username=role, display_name=role, assignments=(Assignment(role, domain), *more))


CITY = principal("city_civil_affairs", "district:*")
DISTRICT = principal("district_agency", f"district:{HAILING}")
SERVICES = """
query($f: DashboardFilter) { dashboard { services(filter: $f) {
  totals { entries hours visits persons beneficiaries }
  byMonth { entries { key value } beneficiaries { key value } }
} } }
"""


class _Scope:
    """A principal's rows; ``entries_only`` forces the dashboard onto the entries."""

    def __init__(self, principal: Principal, *, entries_only: bool) -> None:
        self.principal = principal
        self.entries_only = entries_only

    def __call__(self, model: type[Any]) -> QuerySet[Any]:
        return scoped(self.principal, model)

    def district_wide(self, model: type[Model]) -> bool:
        return not self.entries_only and district_wide(self.principal, model)


async def snapshot() -> dict[str, Any]:
    """Every summary row, by key (bitmaps as sets of ids; rows whose figures are all zero left out)."""
    figures = {}
    for model in (ServiceTownshipMonth, ServiceCategoryMonth):
        for row in await model.all():
            values = (row.entries, row.hours_cents, row.visits_cents, row.persons_cents)
            if any(values):
                key = (model.__name__, row.district_id, row.month, *(str(getattr(row, k)) for k in model.keys))
                figures[key] = values
    people = {}
    for row in await ServicePeopleMonth.all():
        ids = set(bitmap(row.people))
        if ids:
            people[(row.district_id, row.month, str(row.dimension), row.value)] = ids
    return {"figures": figures, "people": people}


def test_split_months() -> None:
    d = dt.date
    assert split_months(None, None) == ((None, None), [])
    assert split_months(d(2025, 1, 1), d(2025, 12, 31)) == ((d(2025, 1, 1), d(2026, 1, 1)), [])
    assert split_months(d(2025, 3, 15), d(2025, 6, 10)) == (
        (d(2025, 4, 1), d(2025, 6, 1)),
        [(d(2025, 3, 15), d(2025, 3, 31)), (d(2025, 6, 1), d(2025, 6, 10))],
    )
    assert split_months(d(2025, 4, 3), d(2025, 4, 20)) == (None, [(d(2025, 4, 3), d(2025, 4, 20))])
    assert split_months(d(2025, 4, 3), d(2025, 5, 20)) == (None, [(d(2025, 4, 3), d(2025, 5, 20))])
    assert split_months(d(2024, 12, 31), None) == ((d(2025, 1, 1), None), [(d(2024, 12, 31), d(2024, 12, 31))])
    assert split_months(None, d(2025, 2, 14)) == ((None, d(2025, 2, 1)), [(d(2025, 2, 1), d(2025, 2, 14))])
    assert split_months(d(2024, 2, 1), d(2024, 2, 29)) == ((d(2024, 2, 1), d(2024, 3, 1)), [])
    # the ends of the calendar do not overflow
    assert split_months(None, d.max) == ((None, None), [])
    assert split_months(d(9999, 12, 15), d.max) == (None, [(d(9999, 12, 15), d.max)])
    assert split_months(d(9999, 11, 5), d.max) == ((d(9999, 12, 1), None), [(d(9999, 11, 5), d(9999, 11, 30))])


async def _write_through_the_api(api: Api) -> Contract:
    """Entries in three months, for two people and none, a bulk-free mix of units and items, then corrections."""
    contract, ledger = await make_contract()
    assert isinstance(ledger, Ledger)
    first, second = new_id_number(), new_id_number()
    day = today()
    dates = [day - dt.timedelta(days=n) for n in (3, 35, 70)]
    towns = await Township.filter(district_id=HAILING).order_by("code").limit(2).values_list("code", flat=True)
    written = []
    for n, when in enumerate(dates):
        for person, name in ((first, "甲测试"), (second, "乙测试")):
            payload = await add(
                api,
                contract,
                serviceDate=when.isoformat(),
                beneficiaryIdNumber=person,
                beneficiaryName=name,
                catalogueItemCode="S06" if n % 2 == 0 else "S07",
                quantity=str(1 + n),
                township=towns[n % 2],
            )
            assert payload["errors"] == [], payload["errors"]
            written.append(payload["serviceEntry"])
        payload = await add(api, contract, serviceDate=when.isoformat(), unit="PERSONS", quantity="12")
        assert payload["errors"] == [], payload["errors"]
    # Reverse the first person's only entry of the oldest month (they leave that month's bitmaps) and amend the
    # second person's newest entry to another category (they move between category bitmaps).
    oldest_first = written[4]
    newest_second = written[1]
    for entry, kind, changes in (
        (oldest_first, "REVERSAL", None),
        (newest_second, "AMENDMENT", {"assistanceCategory": "DIBAO", "quantity": "5"}),
    ):
        body: dict[str, Any] = {"entry": entry["id"], "kind": kind, "reason": "核对更正"}
        if changes:
            body["changes"] = changes
        result = (await api.data(CORRECT, {"input": body}, as_user=CLERK))["correctServiceEntry"]
        assert result["errors"] == [], result["errors"]
    return contract


async def test_api_writes_keep_the_summaries_equal_to_a_rebuild(api: Api) -> None:
    await rebuild()  # other tests write entries around the API; start from summaries that match the entries
    before = await api.data(SERVICES, {"f": {"district": HAILING}}, as_user=AGENCY)
    await _write_through_the_api(api)
    kept = await snapshot()
    counts = await rebuild()
    assert counts["ledger_summary_people_month"] > 0
    assert await snapshot() == kept

    after = await api.data(SERVICES, {"f": {"district": HAILING}}, as_user=AGENCY)
    totals, was = after["dashboard"]["services"]["totals"], before["dashboard"]["services"]["totals"]
    # 9 originals, one reversal (-1), one amendment replacing an entry (+1 -1): 8 more entries.
    assert totals["entries"] - was["entries"] == 8
    # hours: 2*(1+2+3) = 12, reversal of the oldest (3) and the newest second person's 1 → 5: 12 - 3 - 1 + 5 = 13
    assert Decimal(totals["hours"]) - Decimal(was["hours"]) == Decimal("13.00")
    assert Decimal(totals["persons"]) - Decimal(was["persons"]) == Decimal("36.00")
    assert totals["beneficiaries"] - was["beneficiaries"] == 2


FILTERS: list[dict[str, Any]] = [
    {},
    {"year": 2025},
    {"year": 2026},
    {"date_from": dt.date(2025, 3, 15), "date_to": dt.date(2025, 6, 10)},
    {"date_from": dt.date(2025, 4, 3), "date_to": dt.date(2025, 4, 20)},
    {"date_from": dt.date(2025, 12, 31)},
    {"date_to": dt.date(2025, 2, 14)},
    {"year": 2025, "district": HAILING},
    {"year": 2025, "date_from": dt.date(2025, 2, 10), "date_to": dt.date(2025, 11, 20), "item": True},
    {"item": True},
    {"recent": True},  # partial months around the entries written by the test (corrections included)
]


@pytest.mark.parametrize("principal", [CITY, DISTRICT], ids=["city", "district"])
async def test_summaries_answer_as_the_entries_do(api: Api, principal: Principal) -> None:
    await rebuild()
    await _write_through_the_api(api)  # corrections and people in the current months too
    items = await CatalogueItem.filter(code="S06").values_list("id", flat=True)
    summary, entries = _Scope(principal, entries_only=False), _Scope(principal, entries_only=True)
    assert summary.district_wide(agg.ServiceEntry)
    checked = 0
    for raw in FILTERS:
        values = dict(raw)
        if values.pop("item", False):
            values["catalogue_item"] = items[0]
        if values.pop("recent", False):
            values.update(date_from=today() - dt.timedelta(days=80), date_to=today() - dt.timedelta(days=2))
        f = agg.DashboardFilter(**values)
        for by in (None, *agg.ServiceDimension):
            fast = await agg.services(summary, f, by, people=True)
            slow = await agg.services(entries, f, by, people=True)
            assert fast == slow, (raw, by)
            checked += sum(g.entries for g in fast)
    assert checked > 0


async def test_a_contractor_reads_its_own_entries_not_the_summaries(api: Api) -> None:
    xinyuan = Principal(
        user_id=-3, username="x", display_name="x", assignments=(Assignment("contractor", "contractor:1"),)
    )
    assert not district_wide(xinyuan, agg.ServiceEntry)
    mixed = principal("district_agency", f"district:{HAILING}", Assignment("contractor", "contractor:1"))
    assert not district_wide(mixed, agg.ServiceEntry)
    assert district_wide(CITY, agg.ServiceEntry)
    assert district_wide(DISTRICT, agg.ServiceEntry)
    # Finance reads no ledgers at all: nothing either way.
    finance = principal("finance", "district:*")
    assert await agg.services(_Scope(finance, entries_only=False), agg.DashboardFilter(), None) == []


async def test_concurrent_submissions_of_one_district_meet_on_the_same_rows(api: Api) -> None:
    """Three ledgers of 海陵区 submit at once, twice each, into the same months, townships, items and people:
    on PostgreSQL they serialise on the shared summary rows (none lost, no deadlock)."""
    await rebuild()
    people = [(new_id_number(), f"并发{n}") for n in range(4)]
    contracts = [(await make_contract())[0] for _ in range(3)]
    towns = await Township.filter(district_id=HAILING).order_by("code").limit(2).values_list("code", flat=True)

    async def batch(contract: Contract, version: int) -> None:
        service = [
            await service_input(
                serviceDate=(today() - dt.timedelta(days=5 + n)).isoformat(),
                beneficiaryIdNumber=person,
                beneficiaryName=name,
                township=towns[n % 2],
                quantity="1.5",
            )
            for n, (person, name) in enumerate(people)
        ]
        payload = await submit(api, contract, version=version, service=service)
        assert payload["errors"] == [], payload["errors"]

    for version in (0, 1):
        await asyncio.gather(*(batch(contract, version) for contract in contracts))
    kept = await snapshot()
    await rebuild()
    assert await snapshot() == kept
    standing = await agg.services(
        _Scope(DISTRICT, entries_only=False), agg.DashboardFilter(date_from=today() - dt.timedelta(days=10)), None
    )
    assert standing[0].entries >= 24


@pytest.mark.parametrize(
    "f",
    [{"dateTo": "9999-12-31"}, {"dateFrom": "9999-12-15"}, {"dateFrom": "0001-01-01", "dateTo": "0001-01-31"}],
)
async def test_dates_at_the_ends_of_the_calendar(api: Api, f: dict[str, str]) -> None:
    body = await api.gql(SERVICES, {"f": f}, as_user=AGENCY)
    assert "errors" not in body, body


async def test_migrate_fills_the_summaries_of_a_database_that_has_entries_but_none(api: Api) -> None:
    """`jiuzhu migrate` calls fill_missing_summaries: a database upgraded to the release that added the summaries
    (entries, no summary row) gets them; one that has them is left alone."""
    await rebuild()
    expected = await snapshot()
    assert not await fill_missing_summaries()  # already there: nothing done
    for model in (ServiceTownshipMonth, ServiceCategoryMonth, ServicePeopleMonth):
        await model.all().delete()
    assert await fill_missing_summaries()
    assert await snapshot() == expected
