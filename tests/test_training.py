"""Training (Art. 19): city-level sessions by the city civil affairs bureau, district sessions by the district
agency; attendance of staff (a district's sessions train its own staff, the city's anyone's); per-person
training hours in a year and per-district totals. Every refusal is typed and writes nothing.

This module works in 姜堰区 (321204), with one 泰兴市 (321283) person for city sessions, in the year 2024,
in which the demo data holds no training.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from models import ChangeRecord, TrainingAttendance, TrainingSession
from models.timeutil import today
from tests.helpers import Api

DISTRICT = "321204"
OTHER = "321283"
AGENCY = "jiangyan_agency"
YEAR = 2024

ADD_STAFF = """
mutation($input: AddStaffMemberInput!) { addStaffMember(input: $input) { staffMember { id name } errors { code } } }
"""
CREATE = """
mutation($input: CreateTrainingSessionInput!) { createTrainingSession(input: $input) {
  session { id level heldOn form topic hours district { code } } errors { code message field article }
} }
"""
ATTEND = """
mutation($s: ID!, $p: ID!) { recordAttendance(input: {session: $s, staffMember: $p}) {
  attendance { id attendeeName district { code } session { id } staff { id } } errors { code message field article }
} }
"""
HOURS = """
query($id: ID!, $y: Int!, $next: Int!) { node(id: $id) { ... on StaffMember {
  hours: trainingHours(year: $y) next: trainingHours(year: $next)
} } }
"""
SUMMARY = """
query($on: Date) { staffingCompliance(on: $on) { districts { district { code } trainingHours trainedStaff } } }
"""
SESSION = """
query($id: ID!) { node(id: $id) { ... on TrainingSession {
  attendance(first: 50) { nodes { district { code } attendeeName } }
  history { nodes { action actorName } }
} } }
"""


async def staff(api: Api, user: str, township: str, name: str, start: str) -> dict[str, Any]:
    """A new own staff member (so that the demo data's training never counts for them)."""
    body = {"township": township, "name": name, "kind": "OWN", "education": "BACHELOR", "startDate": start}
    payload = (await api.data(ADD_STAFF, {"input": body}, as_user=user))["addStaffMember"]
    assert payload["errors"] == []
    return payload["staffMember"]


async def create(api: Api, user: str | None, **values: Any) -> dict[str, Any]:
    """The ``createTrainingSession`` payload."""
    body = {"heldOn": f"{YEAR}-05-20", "form": "POLICY_BRIEFING", "topic": "社会救助政策解读", "hours": "3.5", **values}
    return (await api.data(CREATE, {"input": body}, as_user=user))["createTrainingSession"]


async def attend(api: Api, user: str | None, session: dict[str, Any], person: dict[str, Any]) -> dict[str, Any]:
    """The ``recordAttendance`` payload."""
    return (await api.data(ATTEND, {"s": session["id"], "p": person["id"]}, as_user=user))["recordAttendance"]


async def totals(api: Api, on: dt.date) -> dict[str, tuple[str, int]]:
    """District training totals of the city's compliance summary."""
    districts = (await api.data(SUMMARY, {"on": on.isoformat()}, as_user="city_civil_affairs"))["staffingCompliance"]
    return {d["district"]["code"]: (d["trainingHours"], d["trainedStaff"]) for d in districts["districts"]}


async def unchanged() -> tuple[int, int, int]:
    """Rows a refused training mutation must not touch."""
    return (
        await TrainingSession.all().count(),
        await TrainingAttendance.all().count(),
        await ChangeRecord.all().count(),
    )


async def test_sessions_by_the_city_and_by_a_district(api: Api) -> None:
    city = await create(api, "city_civil_affairs", topic="市级：低保审核确认办法解读")
    assert city["errors"] == []
    assert (city["session"]["level"], city["session"]["district"]) == ("CITY", None)
    own = await create(api, AGENCY, district=DISTRICT, form="CASE_STUDY", hours="2.0")
    assert own["errors"] == []
    assert (own["session"]["level"], own["session"]["district"]) == ("DISTRICT", {"code": DISTRICT})
    assert own["session"]["hours"] == "2.0"
    history = (await api.data(SESSION, {"id": own["session"]["id"]}, as_user=AGENCY))["node"]["history"]["nodes"]
    assert [h["action"] for h in history] == ["CREATE"]
    assert AGENCY in history[0]["actorName"]

    before = await unchanged()
    refusals: list[tuple[str | None, dict[str, Any], str, str | None]] = [
        (AGENCY, {}, "FORBIDDEN", "district"),  # a district agency cannot hold a city-level session
        (AGENCY, {"district": OTHER}, "FORBIDDEN", "district"),
        ("jiangyan_purchaser", {"district": DISTRICT}, "FORBIDDEN", "district"),
        ("city_finance", {}, "FORBIDDEN", "district"),
        ("city_finance", {"district": DISTRICT}, "FORBIDDEN", "district"),
        ("kangning_clerk", {"district": DISTRICT}, "FORBIDDEN", "district"),
        (None, {}, "FORBIDDEN", "district"),
        (AGENCY, {"district": "3212"}, "INVALID", "district"),
        (AGENCY, {"district": "321299"}, "NOT_FOUND", "district"),
        (AGENCY, {"district": DISTRICT, "hours": "0"}, "INVALID_HOURS", "hours"),
        (AGENCY, {"district": DISTRICT, "hours": "60.5"}, "INVALID_HOURS", "hours"),
        (AGENCY, {"district": DISTRICT, "hours": "1.25"}, "INVALID_HOURS", "hours"),
        (AGENCY, {"district": DISTRICT, "topic": "  "}, "REQUIRED", "topic"),
        (AGENCY, {"district": DISTRICT, "topic": "题" * 201}, "TOO_LONG", "topic"),
        (AGENCY, {"district": DISTRICT, "heldOn": "1949-12-31"}, "INVALID_DATE", "heldOn"),
    ]
    for user, values, code, field in refusals:
        payload = await create(api, user, **values)
        assert payload["session"] is None
        assert [(e["code"], e["field"]) for e in payload["errors"]] == [(code, field)], (user, values)
    assert await unchanged() == before


async def test_attendance_and_training_hours(api: Api) -> None:
    mine = await staff(api, AGENCY, "321204001", "吴参训", "2020-01-01")
    late = await staff(api, AGENCY, "321204001", "郑新到", f"{YEAR}-09-01")
    other = await staff(api, "taixing_agency", "321283001", "冯泰兴", "2020-01-01")
    city = (await create(api, "city_civil_affairs", heldOn=f"{YEAR}-05-20", hours="3.5"))["session"]
    own = (await create(api, AGENCY, district=DISTRICT, heldOn=f"{YEAR}-06-18", hours="2.0"))["session"]
    start = await totals(api, dt.date(YEAR, 12, 31))

    recorded = [
        await attend(api, AGENCY, own, mine),  # its own session
        await attend(api, AGENCY, city, mine),  # its staff at the city's session
        await attend(api, "city_civil_affairs", city, other),  # the city records anyone at its sessions
    ]
    for payload, (session, person, district) in zip(
        recorded, ((own, mine, DISTRICT), (city, mine, DISTRICT), (city, other, OTHER)), strict=True
    ):
        assert payload["errors"] == []
        attendance = payload["attendance"]
        assert attendance["attendeeName"] == person["name"]
        assert (attendance["session"]["id"], attendance["staff"]["id"]) == (session["id"], person["id"])
        assert attendance["district"]["code"] == district

    future = await create(api, AGENCY, district=DISTRICT, heldOn=(today() + dt.timedelta(days=10)).isoformat())
    before = await unchanged()
    refusals = [
        (AGENCY, own, mine, "ALREADY_RECORDED", "staffMember", None),
        (AGENCY, own, other, "NOT_FOUND", "staffMember", None),  # another district's staff is not visible
        (AGENCY, own, late, "STAFF_NOT_SERVING", "staffMember", None),
        (AGENCY, future["session"], mine, "SESSION_NOT_HELD", "session", "第十九条"),
        ("city_civil_affairs", own, other, "ATTENDEE_OUTSIDE_DISTRICT", "staffMember", "第十九条"),
        ("taixing_agency", own, other, "NOT_FOUND", "session", None),  # another district's session
        ("jiangyan_purchaser", own, mine, "FORBIDDEN", "staffMember", None),
        ("city_finance", city, mine, "NOT_FOUND", "session", None),
        ("kangning_clerk", city, mine, "NOT_FOUND", "session", None),
        (None, city, mine, "NOT_FOUND", "session", None),
    ]
    for user, session, person, code, field, article in refusals:
        payload = await attend(api, user, session, person)
        assert payload["attendance"] is None
        errors = [(e["code"], e["field"], e["article"]) for e in payload["errors"]]
        assert errors == [(code, field, article)], (user, person["name"], errors)
    assert await unchanged() == before

    # Per person and year; another year has none.
    for person, expected in ((mine, "5.5"), (other, "3.5"), (late, "0.0")):
        hours = await api.data(HOURS, {"id": person["id"], "y": YEAR, "next": YEAR + 1}, as_user="city_civil_affairs")
        assert (hours["node"]["hours"], hours["node"]["next"]) == (expected, "0.0"), person["name"]
    own_view = await api.data(HOURS, {"id": mine["id"], "y": YEAR, "next": YEAR + 1}, as_user=AGENCY)
    assert own_view["node"]["hours"] == "5.5"

    # Per district: person-hours and people trained in the year.
    end = await totals(api, dt.date(YEAR, 12, 31))
    for code, hours, people in ((DISTRICT, "5.5", 1), (OTHER, "3.5", 1)):
        assert Decimal(end[code][0]) - Decimal(start[code][0]) == Decimal(hours), code
        assert end[code][1] - start[code][1] == people, code

    # A district sees only its own people at a city session; the city sees everyone.
    seen = (await api.data(SESSION, {"id": city["id"]}, as_user=AGENCY))["node"]["attendance"]["nodes"]
    assert [n["attendeeName"] for n in seen] == [mine["name"]]
    everyone = (await api.data(SESSION, {"id": city["id"]}, as_user="city_civil_affairs"))["node"]["attendance"]
    assert {n["district"]["code"] for n in everyone["nodes"]} == {DISTRICT, OTHER}
