"""Rule 10 (第十六条): township staffing floor — 3 under 50,000 people, 4 at 50,000 or more — counted over own and
dispatched staff on a date, kept over time; who may read it; and its cost in SQL statements.

This module works in 兴化市 (321281) only, so the staff it adds never meet the other staffing tests' rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from models import Township
from models.timeutil import today
from tests.helpers import Api, count_sql

DISTRICT = "321281"
AGENCY = "xinghua_agency"

COMPLIANCE = """
query($d: String, $on: Date) { staffingCompliance(district: $d, on: $on) {
  on
  townships(first: 100) { totalCount nodes {
    township { code district { code } } on population requiredStaff actualStaff ownStaff dispatchedStaff shortfall
    compliant hasWindow dispatchedBelowAssociateCount dispatchedBelowAssociate { id }
    supplyingContracts { id contractor { id } } window { id }
  } }
  districts { district { code } townshipCount townshipsShort totalShortfall requiredStaff actualStaff
              dispatchedBelowAssociate townshipsWithoutWindow trainingYear trainingHours trainedStaff }
} }
"""
TOWNSHIP_STAFFING = """
query($d: String, $tomorrow: Date) { townships(first: 100, district: $d) { nodes {
  code
  today: staffing { on actualStaff requiredStaff }
  tomorrow: staffing(on: $tomorrow) { on actualStaff }
  window { id }
} } }
"""
RUNNING_CONTRACT = """
query($d: String) { contracts(first: 50, filter: {district: $d, status: [IN_PERFORMANCE]}) {
  nodes { id code serviceStart serviceEnd contractor { id } }
} }
"""
ADD = """
mutation($input: AddStaffMemberInput!) { addStaffMember(input: $input) {
  staffMember { id kind startDate endDate contract { id } contractor { id } meetsEducationStandard }
  errors { code message field article }
} }
"""
END = """
mutation($id: ID!, $end: Date!) { endStaffAssignment(input: {staffMember: $id, endDate: $end}) {
  staffMember { id endDate } errors { code field }
} }
"""


@asynccontextmanager
async def population(code: str, value: int) -> AsyncIterator[None]:
    """Set a township's population for the block, then put it back.

    Townships are reference data with fixed codes (loaded from taizhou_townships.csv), and no seeded township
    sits at the 50,000 boundary; the rule's boundary can only be reached by moving one township there for the
    duration of a check. The original value is restored even when an assertion fails.
    """
    original = (await Township.get(code=code)).population
    await Township.filter(code=code).update(population=value)
    try:
        yield
    finally:
        await Township.filter(code=code).update(population=original)


async def compliance(api: Api, user: str, district: str | None, on: dt.date | None = None) -> dict[str, Any]:
    """The ``staffingCompliance`` answer."""
    variables = {"d": district, "on": None if on is None else on.isoformat()}
    return (await api.data(COMPLIANCE, variables, as_user=user))["staffingCompliance"]


async def row_of(api: Api, code: str, on: dt.date) -> dict[str, Any]:
    """One township's compliance row, as the district agency sees it."""
    data = await compliance(api, AGENCY, DISTRICT, on)
    return next(r for r in data["townships"]["nodes"] if r["township"]["code"] == code)


async def summary_of(api: Api, on: dt.date) -> dict[str, Any]:
    """The district summary, as the district agency sees it."""
    data = await compliance(api, AGENCY, DISTRICT, on)
    [summary] = data["districts"]
    return summary


async def add(api: Api, **values: Any) -> dict[str, Any]:
    """Add a staff member as the district agency (asserting success)."""
    body = {"name": "测试人员", "education": "BACHELOR", **values}
    payload = (await api.data(ADD, {"input": body}, as_user=AGENCY))["addStaffMember"]
    assert payload["errors"] == [], payload["errors"]
    return payload["staffMember"]


async def running_contract(api: Api) -> dict[str, Any]:
    """A contract of the district in performance, with a service period long enough to test around."""
    nodes = (await api.data(RUNNING_CONTRACT, {"d": DISTRICT}, as_user=AGENCY))["contracts"]["nodes"]
    usable = [
        c
        for c in nodes
        if dt.date.fromisoformat(c["serviceEnd"]) - dt.date.fromisoformat(c["serviceStart"]) > dt.timedelta(days=90)
    ]
    assert usable, "the demo data has no running contract in 兴化市 to dispatch staff under"
    return usable[0]


async def test_floor_at_the_50000_boundary_with_own_and_dispatched_staff_over_time(api: Api) -> None:
    contract = await running_contract(api)
    day = dt.date.fromisoformat(contract["serviceStart"]) + dt.timedelta(days=45)
    before, after = day - dt.timedelta(days=1), day + dt.timedelta(days=1)

    # The township with the fewest staff on that day; its baseline on the three days around it.
    rows = (await compliance(api, AGENCY, DISTRICT, day))["townships"]["nodes"]
    township = min(rows, key=lambda r: (r["actualStaff"], r["township"]["code"]))
    code = township["township"]["code"]
    base = {d: await row_of(api, code, d) for d in (before, day, after)}
    assert base[day]["actualStaff"] <= 2, "the demo data has no short township to test the boundary with"

    # Own staff up to exactly 3 on the day (they started before it).
    own = [
        await add(api, township=code, kind="OWN", startDate=(day - dt.timedelta(days=10)).isoformat())
        for _ in range(3 - base[day]["actualStaff"])
    ]
    assert all(s["contract"] is None and s["contractor"] is None for s in own)

    # At its real population the township is short or not; moving it across the boundary moves the
    # district's count of short townships by exactly that one township.
    real = await row_of(api, code, day)
    short_real = (await summary_of(api, day))["townshipsShort"] - int(not real["compliant"])
    expectations = [(49_999, 3, True, 0), (50_000, 4, False, 1), (50_001, 4, False, 1)]
    for people, required, compliant, shortfall in expectations:
        async with population(code, people):
            row = await row_of(api, code, day)
            assert row["population"] == people
            assert (row["requiredStaff"], row["actualStaff"]) == (required, 3), people
            assert (row["compliant"], row["shortfall"]) == (compliant, shortfall), people
            assert row["ownStaff"] == base[day]["ownStaff"] + len(own)
            assert (await summary_of(api, day))["townshipsShort"] == short_real + int(not compliant), people

    # A dispatched person below 大专 starting on the day: the 4th, linked to the contract and its contractor.
    dispatched = await add(
        api,
        township=code,
        kind="DISPATCHED",
        contract=contract["id"],
        education="SECONDARY",
        startDate=day.isoformat(),
    )
    assert dispatched["contract"]["id"] == contract["id"]
    assert dispatched["contractor"]["id"] == contract["contractor"]["id"]
    assert dispatched["meetsEducationStandard"] is False
    for people in (49_999, 50_000, 50_001):
        async with population(code, people):
            row = await row_of(api, code, day)
            assert (row["actualStaff"], row["shortfall"], row["compliant"]) == (4, 0, True), people
            assert row["dispatchedStaff"] == base[day]["dispatchedStaff"] + 1
            assert dispatched["id"] in {s["id"] for s in row["dispatchedBelowAssociate"]}
            assert row["dispatchedBelowAssociateCount"] == base[day]["dispatchedBelowAssociateCount"] + 1
            assert {"id": contract["id"], "contractor": contract["contractor"]} in row["supplyingContracts"]

    # Over time: the day before, the dispatched person had not started; the day after, one own staff
    # member has left (last day = the day itself) and no longer counts.
    ended = (await api.data(END, {"id": own[0]["id"], "end": day.isoformat()}, as_user=AGENCY))["endStaffAssignment"]
    assert ended["errors"] == []
    assert ended["staffMember"]["endDate"] == day.isoformat()
    now = {d: await row_of(api, code, d) for d in (before, day, after)}
    assert now[before]["actualStaff"] == base[before]["actualStaff"] + len(own)
    assert now[day]["actualStaff"] == base[day]["actualStaff"] + len(own) + 1 == 4
    assert now[after]["actualStaff"] == base[after]["actualStaff"] + len(own) + 1 - 1
    assert dispatched["id"] not in {s["id"] for s in now[before]["dispatchedBelowAssociate"]}


async def test_today_is_the_default_and_someone_starting_tomorrow_does_not_count_yet(api: Api) -> None:
    tomorrow = today() + dt.timedelta(days=1)
    variables = {"d": DISTRICT, "tomorrow": tomorrow.isoformat()}

    async def townships() -> dict[str, dict[str, Any]]:
        nodes = (await api.data(TOWNSHIP_STAFFING, variables, as_user=AGENCY))["townships"]["nodes"]
        return {n["code"]: n for n in nodes}

    before = await townships()
    # Not the township of the boundary test (the lowest-staffed): the highest code of the district.
    code = max(before)
    assert before[code]["today"]["on"] == today().isoformat()
    assert before[code]["tomorrow"]["on"] == tomorrow.isoformat()
    await add(api, township=code, kind="OWN", startDate=tomorrow.isoformat())
    after = await townships()
    assert after[code]["today"]["actualStaff"] == before[code]["today"]["actualStaff"]
    assert after[code]["tomorrow"]["actualStaff"] == before[code]["tomorrow"]["actualStaff"] + 1
    # The root query agrees with the township field, and defaults to today as well.
    root = await compliance(api, AGENCY, DISTRICT)
    assert root["on"] == today().isoformat()
    row = next(r for r in root["townships"]["nodes"] if r["township"]["code"] == code)
    assert row["actualStaff"] == after[code]["today"]["actualStaff"]
    assert row["on"] == today().isoformat()


async def test_statement_count_is_the_same_for_one_district_and_all_seven(api: Api) -> None:
    user = "city_civil_affairs"
    await api.token(user)  # sign in outside the counted blocks
    counts = {}
    sizes = {}
    for district in (DISTRICT, None):
        with count_sql() as statements:
            data = await compliance(api, user, district)
        counts[district] = len(statements)
        sizes[district] = data["townships"]["totalCount"], len(data["districts"])
        assert any(r["supplyingContracts"] for r in data["townships"]["nodes"]), "every loader must fire"
        assert any(r["dispatchedBelowAssociate"] for r in data["townships"]["nodes"]), "every loader must fire"
    assert sizes[None][1] == 7
    assert sizes[None][0] > sizes[DISTRICT][0] > 0
    assert counts[None] == counts[DISTRICT], counts
    assert counts[None] <= 12, counts  # sign-in check, townships, staff, windows, training, flags, contracts

    # The same through Township.staffing on a township list: batched per request, not per township.
    township_counts = {}
    for district in (DISTRICT, None):
        variables = {"d": district, "tomorrow": today().isoformat()}
        with count_sql() as statements:
            await api.data(TOWNSHIP_STAFFING, variables, as_user=user)
        township_counts[district] = len(statements)
    assert township_counts[None] == township_counts[DISTRICT], township_counts


async def test_who_reads_compliance(api: Api) -> None:
    city = await compliance(api, "city_civil_affairs", None)
    assert [d["district"]["code"] for d in city["districts"]] == sorted(
        d["district"]["code"] for d in city["districts"]
    )
    assert city["townships"]["totalCount"] == 90
    assert sum(d["townshipCount"] for d in city["districts"]) == 90
    assert sum(d["totalShortfall"] for d in city["districts"]) == sum(
        r["shortfall"] for r in city["townships"]["nodes"]
    )
    for d in city["districts"]:
        rows = [r for r in city["townships"]["nodes"] if r["township"]["district"]["code"] == d["district"]["code"]]
        assert d["townshipsShort"] == sum(1 for r in rows if not r["compliant"])
        assert d["townshipsWithoutWindow"] == sum(1 for r in rows if r["window"] is None)
        assert d["requiredStaff"] == sum(r["requiredStaff"] for r in rows)
        assert d["actualStaff"] == sum(r["actualStaff"] for r in rows)

    # District roles: their own district only, whatever they filter on.
    for user in ("xinghua_agency", "xinghua_purchaser"):
        own = await compliance(api, user, None)
        assert {d["district"]["code"] for d in own["districts"]} == {DISTRICT}
        assert {r["township"]["district"]["code"] for r in own["townships"]["nodes"]} == {DISTRICT}
        city_rows = [r for r in city["townships"]["nodes"] if r["township"]["district"]["code"] == DISTRICT]
        assert own["townships"]["nodes"] == city_rows
        other = await compliance(api, user, "321202")
        assert other["townships"]["totalCount"] == 0
        assert other["districts"] == []

    # Finance, contractors and the public read no staffing: no rows (not a misleading zero), no township field.
    for user in ("city_finance", "hailing_finance", "mingde_clerk", None):
        body = await api.gql(COMPLIANCE, {"d": None, "on": None}, as_user=user)
        assert "errors" not in body, body
        assert body["data"]["staffingCompliance"]["townships"]["totalCount"] == 0
        assert body["data"]["staffingCompliance"]["districts"] == []
        variables = {"d": DISTRICT, "tomorrow": None}
        nodes = (await api.gql(TOWNSHIP_STAFFING, variables, as_user=user))["data"]["townships"]["nodes"]
        assert nodes, "townships are public reference data"
        assert all(n["today"] is None and n["tomorrow"] is None and n["window"] is None for n in nodes)
