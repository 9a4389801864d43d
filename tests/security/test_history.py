"""Change history (``history`` on every object, and ``ChangeEntry`` by global ID) is readable only by
those allowed to see the changed object, and never carries a beneficiary's ID or phone number in
clear (DOMAIN.md §5).

The demo data has no history yet, so the fixture writes two entries the way every mutation does
(``models.history.record_change``): the creation of a 321202 beneficiary and of a ledger entry that
serves them. They are deleted afterwards. Everything else goes over HTTP.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from models import Beneficiary, ChangeRecord, Contractor, ServiceEntry
from models.enums import ChangeAction
from models.history import record_change
from tests.helpers import Api
from tests.security.support import CLERKS, MASKED_ID, data, gid, nodes_by_id

HISTORY = """
query History($id: ID!) {
  node(id: $id) {
    id
    ... on Historied { history(first: 20) { totalCount nodes { id action actorName before after entityType } } }
  }
}
"""

#: Entry IDs are sequential: whoever can read ``ChangeEntry`` by ID can walk all of them.
CHANGE_ENTRY = """
query ChangeEntry($id: ID!) {
  node(id: $id) { id ... on ChangeEntry { entityType after } }
}
"""


@dataclass(frozen=True, slots=True)
class Written:
    """The two history entries of the fixture and what they are about."""

    beneficiary: str  # global IDs
    entry: str
    beneficiary_change: str
    entry_change: str
    id_number: str  # the beneficiary's clear values
    phone: str | None


@pytest.fixture(scope="module")
async def written(api: Api) -> AsyncIterator[Written]:
    """History for a 321202 beneficiary served by 海陵区安和社会工作服务社 (``anhe_clerk``)."""
    anhe = await Contractor.get(credit_code=CLERKS["anhe_clerk"])
    entry = await ServiceEntry.filter(district_id="321202", contractor_id=anhe.pk, beneficiary_id__isnull=False).first()
    assert entry is not None, "anhe must have served a 321202 beneficiary"
    beneficiary = await Beneficiary.get(pk=entry.beneficiary_id)
    assert beneficiary.phone, "pick a beneficiary with a phone on file"
    records = [
        await record_change(beneficiary, ChangeAction.CREATE, actor_id=None, actor_name="安全测试（security）"),
        await record_change(entry, ChangeAction.CREATE, actor_id=None, actor_name="安全测试（security）"),
    ]
    try:
        yield Written(
            beneficiary=gid("Beneficiary", beneficiary.pk),
            entry=gid("ServiceEntry", entry.pk),
            beneficiary_change=gid("ChangeEntry", records[0].pk),
            entry_change=gid("ChangeEntry", records[1].pk),
            id_number=beneficiary.id_number,
            phone=beneficiary.phone,
        )
    finally:
        await ChangeRecord.filter(pk__in=[r.pk for r in records]).delete()


async def history_of(api: Api, object_id: str, user: str | None) -> dict | None:
    """``node(id:) { history }`` as ``user``; ``None`` when the object is hidden."""
    return (await data(api, HISTORY, {"id": object_id}, user=user))["node"]


@pytest.mark.parametrize("user", ["hailing_agency", "hailing_purchaser", "city_civil_affairs"])
async def test_those_who_see_a_beneficiary_read_its_history(api: Api, written: Written, user: str) -> None:
    node = await history_of(api, written.beneficiary, user)
    assert node is not None
    entries = node["history"]["nodes"]
    assert [e["id"] for e in entries] == [written.beneficiary_change]
    assert entries[0]["entityType"] == "Beneficiary"


@pytest.mark.parametrize("user", ["hailing_purchaser", "city_civil_affairs", "anhe_clerk"])
async def test_history_never_shows_a_clear_id_or_phone(api: Api, written: Written, user: str) -> None:
    beneficiary = await history_of(api, written.beneficiary, user)
    entry = await history_of(api, written.entry, user)
    assert entry is not None
    assert entry["history"]["totalCount"] >= 1
    text = json.dumps([beneficiary, entry], ensure_ascii=False)
    assert written.id_number not in text, f"{user} reads a clear ID number in history"
    assert written.phone not in text, f"{user} reads a clear phone number in history"
    if beneficiary is not None and beneficiary["history"]["nodes"]:
        after = beneficiary["history"]["nodes"][0]["after"]
        assert MASKED_ID.match(after["id_number"]), after


@pytest.mark.parametrize("user", ["gaogang_agency", "xinghua_purchaser", "xinyuan_clerk", None])
async def test_history_of_hidden_objects_is_hidden(api: Api, written: Written, user: str | None) -> None:
    found = await nodes_by_id(
        api, [written.beneficiary, written.entry, written.beneficiary_change, written.entry_change], user=user
    )
    assert {k: v for k, v in found.items() if v is not None} == {}


async def test_change_entry_is_readable_by_id_where_allowed(api: Api, written: Written) -> None:
    for user in ("hailing_agency", "city_civil_affairs"):
        node = (await data(api, CHANGE_ENTRY, {"id": written.beneficiary_change}, user=user))["node"]
        assert node is not None
        assert node["entityType"] == "Beneficiary"


@pytest.mark.parametrize("user", ["city_finance", "hailing_finance"])
async def test_finance_cannot_read_beneficiary_history_by_id(api: Api, written: Written, user: str) -> None:
    """Regression: the 'history' rule alone let finance read, by ChangeEntry ID, the recorded snapshot of
    beneficiaries (name, category, township, masked ID and phone) and of ledger service entries."""
    hidden = await nodes_by_id(api, [written.beneficiary, written.entry], user=user)
    assert hidden == {written.beneficiary: None, written.entry: None}, "finance never reads the objects"
    found = await nodes_by_id(api, [written.beneficiary_change, written.entry_change], user=user)
    assert {k: v for k, v in found.items() if v is not None} == {}, f"{user} reads people's change history"
