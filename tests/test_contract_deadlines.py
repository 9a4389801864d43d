"""Rule 7 disclosure deadlines (Art. 9(4), Art. 13): publication 2 and filing 7 working days after signing, in
mainland China's working days (weekends, public holidays and make-up workdays 调休). Overdue is flagged, never
blocking, and shown to the district and finance only. Pure functions first, then through the API."""

from __future__ import annotations

import datetime as dt

from models.contracts import deadlines_provisional, filing_due, overdue, publication_due
from tests.helpers import Api
from tests.test_contract_lifecycle import awarded_lot, drafted, ok

D = dt.date
DEADLINES = """
query($id: ID!) { node(id: $id) { ... on Contract {
  status signedOn publishedOn filedOn publicationDue filingDue publicationOverdue filingOverdue deadlinesProvisional
} } }
"""


def test_deadlines_skip_the_weekend() -> None:
    signed = D(2026, 1, 30)  # a Friday
    assert publication_due(signed) == D(2026, 2, 3)  # Mon 2, Tue 3
    assert filing_due(signed) == D(2026, 2, 10)  # Feb 2–6, 9, 10
    assert publication_due(D(2026, 1, 31)) == D(2026, 2, 3)  # signed on a Saturday: Mon, Tue


def test_deadlines_skip_the_national_day_holiday_and_count_the_make_up_saturday() -> None:
    signed = D(2026, 9, 30)  # the day before 国庆节 (1–7 October 2026 off, Saturday 10 October worked)
    assert publication_due(signed) == D(2026, 10, 9)  # Thu 8, Fri 9
    assert filing_due(signed) == D(2026, 10, 15)  # 8, 9, 10 (调休), 12, 13, 14, 15
    assert not deadlines_provisional(signed)


def test_deadlines_beyond_the_calendar_fall_back_to_monday_to_friday_and_say_so() -> None:
    signed = D(2027, 9, 30)  # chinese-calendar 1.11.0 does not know 2027 yet
    assert publication_due(signed) == D(2027, 10, 4)  # Fri 1 (would be a holiday), Mon 4
    assert deadlines_provisional(signed)
    assert deadlines_provisional(D(2026, 12, 28))  # the filing window reaches into 2027


def test_overdue_means_done_after_the_due_date_or_not_done_once_it_has_passed() -> None:
    due = D(2026, 2, 3)
    assert overdue(due, None, D(2026, 2, 4))
    assert not overdue(due, None, D(2026, 2, 3))  # the due day itself is still in time
    assert not overdue(due, D(2026, 2, 3), D(2026, 3, 1))
    assert overdue(due, D(2026, 2, 4), D(2026, 2, 4))


async def test_deadlines_through_the_api_across_a_weekend(api: Api) -> None:
    lot = await awarded_lot(year=2055)
    contract = await drafted(api, lot)
    cid = {"contract": contract["id"]}
    draft = (await api.data(DEADLINES, {"id": contract["id"]}, as_user="hailing_agency"))["node"]
    assert (draft["publicationDue"], draft["publicationOverdue"], draft["deadlinesProvisional"]) == (None, None, False)

    await ok(api, "signContract", cid | {"signedOn": "2026-01-30"}, "hailing_purchaser")
    signed = (await api.data(DEADLINES, {"id": contract["id"]}, as_user="city_finance"))["node"]
    assert signed == {
        "status": "SIGNED",
        "signedOn": "2026-01-30",
        "publishedOn": None,
        "filedOn": None,
        "publicationDue": "2026-02-03",
        "filingDue": "2026-02-10",
        "publicationOverdue": True,  # today is past 3 February 2026 and nothing was published
        "filingOverdue": True,
        "deadlinesProvisional": False,
    }

    # late publication is flagged, not refused; filing on the due day is in time
    await ok(api, "publishContract", cid | {"publishedOn": "2026-02-04"}, "hailing_agency")
    await ok(api, "fileContract", cid | {"filedOn": "2026-02-10"}, "city_finance")
    for user in ("hailing_finance", "hailing_purchaser", "hailing_agency", "city_civil_affairs"):
        done = (await api.data(DEADLINES, {"id": contract["id"]}, as_user=user))["node"]
        assert (done["publicationOverdue"], done["filingOverdue"], done["filingDue"]) == (True, False, "2026-02-10")

    # the contractor and the public see the contract but not the internal deadline flags
    for user in ("xinyuan_clerk", None):
        hidden = (await api.data(DEADLINES, {"id": contract["id"]}, as_user=user))["node"]
        assert hidden["publishedOn"] == "2026-02-04"
        assert (hidden["publicationDue"], hidden["filingDue"]) == (None, None)
        assert (hidden["publicationOverdue"], hidden["filingOverdue"]) == (None, None)


async def test_finance_sees_the_overdue_demo_contracts(api: Api) -> None:
    # 2024–2025 demo contracts published (高港区 2024) or filed (泰兴市 2025) late, the rest in time
    query = (
        "{ contracts(first: 100, filter: {status: [CLOSED]}) { nodes { publicationOverdue filingOverdue signedOn } } }"
    )
    nodes = (await api.data(query, as_user="city_finance"))["contracts"]["nodes"]
    signed = [n for n in nodes if n["signedOn"]]
    assert signed
    assert any(n["publicationOverdue"] for n in signed)
    assert any(n["filingOverdue"] for n in signed)
    assert not all(n["publicationOverdue"] for n in signed)


OVERDUE = """
query($o: Boolean) { contracts(first: 100, filter: {overdue: $o}) {
  totalCount nodes { code publicationOverdue filingOverdue }
} }
"""


async def test_overdue_filter_matches_the_flags(api: Api) -> None:
    late = (await api.data(OVERDUE, {"o": True}, as_user="city_finance"))["contracts"]
    on_time = (await api.data(OVERDUE, {"o": False}, as_user="city_finance"))["contracts"]
    everything = (await api.data(OVERDUE, {"o": None}, as_user="city_finance"))["contracts"]
    assert late["totalCount"] > 0
    assert all(n["publicationOverdue"] or n["filingOverdue"] for n in late["nodes"])
    assert not any(n["publicationOverdue"] or n["filingOverdue"] for n in on_time["nodes"])
    assert late["totalCount"] + on_time["totalCount"] == everything["totalCount"]
