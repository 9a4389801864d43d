"""Relay completeness: ``Node`` is only ``id`` (history is ``Historied``), ``nodes(ids:)``, backward pagination
(``last``/``before``) on the lists dashboards page backwards through, and the single-object root fields that
take a global ID or the code a person types (``models.codes``)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from stdnum.cn import uscc

from models import ChangeRecord
from models import Contract as ContractRow
from models import Contractor as ContractorRow
from models import ProcurementProject as ProjectRow
from models import PurchasePlan as PlanRow
from models.codes import code_filter
from models.enums import ChangeAction
from policies.scope import public_rows
from schema.relay import encode_id
from tests.helpers import Api, count_sql

CITY = "city_civil_affairs"
PAGE = 7
NOTE = "test_relay: backward paging"


@pytest.fixture
async def changes() -> Any:
    """One recorded change on each of 20 published contracts (the demo set starts with an empty change feed);
    removed afterwards so other tests see the history they expect."""
    rows = await public_rows(ContractRow).order_by("id").limit(20)
    assert len(rows) == 20
    for row in rows:
        await ChangeRecord.create(
            entity_type="Contract",
            entity_id=str(row.pk),
            district_id=row.district_id,
            contractor_id=row.contractor_id,
            action=ChangeAction.UPDATE,
            actor_name="test",
            before={"title": "a"},
            after={"title": "b"},
            note=NOTE,
        )
    yield rows
    await ChangeRecord.filter(note=NOTE).delete()


#: The root lists dashboards page backwards through (read as the city, which sees every district).
BACKWARD_LISTS = ("contracts", "serviceEntries", "fundEntries")


def _page_query(field: str, path: str = "") -> str:
    return (
        "query($first: Int, $after: String, $last: Int, $before: String) { "
        + (f"{path} {{ " if path else "")
        + f"{field}(first: $first, after: $after, last: $last, before: $before) {{ totalCount "
        "pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor } } }" + (" }" if path else "")
    )


async def _walk(api: Api, field: str, user: str | None, *, backward: bool, path: str = "") -> tuple[list[str], int]:
    """Every item's cursor of a list, paging forwards or backwards, in list order; checks pageInfo on the way."""
    query = _page_query(field, path)
    seen: list[list[str]] = []
    cursor: str | None = None
    totals = set()
    for step in range(1000):
        variables: dict[str, Any] = {"last": PAGE, "before": cursor} if backward else {"first": PAGE, "after": cursor}
        body = await api.gql(query, variables, as_user=user) if user else await api.gql(query, variables)
        assert "errors" not in body, body["errors"]
        conn = body["data"][path][field] if path else body["data"][field]
        totals.add(conn["totalCount"])
        info = conn["pageInfo"]
        page = [e["cursor"] for e in conn["edges"]]
        assert len(page) <= PAGE
        if page:
            assert info["startCursor"] == conn["edges"][0]["cursor"]
            assert info["endCursor"] == conn["edges"][-1]["cursor"]
        if backward:
            assert info["hasNextPage"] is (step > 0)
            seen.insert(0, page)
            if not info["hasPreviousPage"]:
                break
            cursor = info["startCursor"]
        else:
            assert info["hasPreviousPage"] is (step > 0)
            seen.append(page)
            if not info["hasNextPage"]:
                break
            cursor = info["endCursor"]
    assert len(totals) == 1
    return [i for page in seen for i in page], totals.pop()


@pytest.mark.parametrize("field", sorted(BACKWARD_LISTS))
async def test_paging_backwards_gives_the_same_items(api: Api, field: str) -> None:
    """Backwards through the whole list (``last`` alone, then ``before``) = forwards; totalCount unchanged."""
    forwards, total = await _walk(api, field, CITY, backward=False)
    backwards, total_back = await _walk(api, field, CITY, backward=True)
    assert len(forwards) == total == total_back > PAGE
    assert backwards == forwards
    assert len(set(forwards)) == len(forwards)


async def test_public_change_feed_pages_backwards(api: Api, changes: list[ContractRow]) -> None:
    """The public change feed, anonymously: the same items both ways."""
    forwards, total = await _walk(api, "changes", None, backward=False, path="public")
    backwards, _ = await _walk(api, "changes", None, backward=True, path="public")
    assert backwards == forwards
    assert len(forwards) == total > PAGE


async def test_last_alone_is_the_tail_and_reads_no_whole_list(api: Api) -> None:
    """``last: 3`` is the last three items, in list order, with hasPreviousPage and not hasNextPage."""
    everything, _ = await _walk(api, "contracts", CITY, backward=False)
    with count_sql() as statements:
        body = await api.data(_page_query("contracts"), {"last": 3}, as_user=CITY)
    # The page is one keyset statement reading 4 rows newest first (plus the count), never the whole list.
    pages = [sql for sql in statements if '"contract"' in sql and "COUNT" not in sql.upper()]
    assert len(pages) == 1, statements
    assert 'ORDER BY "id" DESC LIMIT' in pages[0]
    assert pages[0].endswith(("LIMIT 4", "[4]")), pages[0]
    conn = body["contracts"]
    assert [e["cursor"] for e in conn["edges"]] == everything[-3:]
    assert conn["pageInfo"]["hasPreviousPage"] is True
    assert conn["pageInfo"]["hasNextPage"] is False
    # A bounded window: after one cursor, before another; `last` counts back from `before`.
    variables = {"last": 5, "after": everything[-10], "before": everything[-2]}
    window = (await api.data(_page_query("contracts"), variables, as_user=CITY))["contracts"]
    assert [e["cursor"] for e in window["edges"]] == everything[-7:-2]
    assert window["pageInfo"]["hasPreviousPage"] is True
    assert window["pageInfo"]["hasNextPage"] is True
    variables = {"last": 100, "after": everything[-10], "before": everything[-2]}
    window = (await api.data(_page_query("contracts"), variables, as_user=CITY))["contracts"]
    assert [e["cursor"] for e in window["edges"]] == everything[-9:-2]
    assert window["pageInfo"]["hasPreviousPage"] is False


@pytest.mark.parametrize(
    ("variables", "needle"),
    [
        ({"first": 5, "last": 5}, "first 与 last 不能同时使用"),
        ({"last": 101}, "last 必须在 1 到 100 之间"),
        ({"last": 0}, "last 必须在 1 到 100 之间"),
    ],
)
async def test_bad_windows_are_typed_errors(api: Api, variables: dict[str, int], needle: str) -> None:
    """``first`` with ``last``, or ``last`` out of 1..100: INVALID_ARGUMENT, in Chinese."""
    body = await api.gql(_page_query("contracts"), variables, as_user=CITY)
    assert body["data"] is None
    [error] = body["errors"]
    assert error["extensions"]["code"] == "INVALID_ARGUMENT"
    assert needle in error["message"]


async def test_before_cursor_must_be_ours(api: Api) -> None:
    """A forged ``before`` cursor is INVALID_CURSOR, like a forged ``after``."""
    body = await api.gql(_page_query("contracts"), {"last": 5, "before": "nonsense!"}, as_user=CITY)
    assert [e["extensions"]["code"] for e in body["errors"]] == ["INVALID_CURSOR"]


# --- Node and Historied ---------------------------------------------------------------------------------------

INTERFACE = """
query($name: String!) { __type(name: $name) { kind fields { name } interfaces { name } possibleTypes { name } } }
"""


async def test_node_is_only_an_id_and_history_is_its_own_interface(api: Api) -> None:
    """``Node { id }``; ``Historied`` carries ``history`` and is a ``Node``; ``ChangeEntry`` is a Node without."""
    node = (await api.data(INTERFACE, {"name": "Node"}))["__type"]
    assert [f["name"] for f in node["fields"]] == ["id"]
    historied = (await api.data(INTERFACE, {"name": "Historied"}))["__type"]
    assert historied["kind"] == "INTERFACE"
    assert {f["name"] for f in historied["fields"]} == {"id", "history"}
    assert historied["interfaces"] == [{"name": "Node"}]
    node_types = {t["name"] for t in node["possibleTypes"]}
    historied_types = {t["name"] for t in historied["possibleTypes"]}
    assert {"Account", "ApiKey", "Contract", "ChangeEntry"} <= node_types
    assert node_types - historied_types == {"ChangeEntry"}
    entry = (await api.data(INTERFACE, {"name": "ChangeEntry"}))["__type"]
    assert "history" not in {f["name"] for f in entry["fields"]}


async def test_history_through_the_historied_interface(api: Api, changes: list[ContractRow]) -> None:
    """Clients select history on ``... on Historied``; a change row answers through ``node`` as a Node."""
    row = changes[0]
    query = "query($id: ID!) { node(id: $id) { id ... on Historied { history(first: 1) { nodes { id } } } } }"
    found = (await api.data(query, {"id": encode_id("Contract", row.pk)}, as_user=CITY))["node"]
    [change] = found["history"]["nodes"]
    again = await api.data("query($id: ID!) { node(id: $id) { __typename id } }", {"id": change["id"]}, as_user=CITY)
    assert again["node"] == {"__typename": "ChangeEntry", "id": change["id"]}


NODES = "query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }"


async def test_nodes_answers_in_order_with_null_for_the_unknown(api: Api) -> None:
    """``nodes(ids:)``: the objects in the order asked; unknown → null in place; a malformed ID → null in place
    and an INVALID_ID error naming that position; the rest still answer."""
    rows = await ContractRow.all().order_by("id").limit(2)
    ids = [encode_id("Contract", rows[1].pk), encode_id("Contract", 999_999), encode_id("Contract", rows[0].pk)]
    got = (await api.data(NODES, {"ids": ids}, as_user=CITY))["nodes"]
    assert got == [{"__typename": "Contract", "id": ids[0]}, None, {"__typename": "Contract", "id": ids[2]}]
    body = await api.gql(NODES, {"ids": [ids[0], "!!bad!!"]}, as_user=CITY)
    assert body["data"]["nodes"] == [{"__typename": "Contract", "id": ids[0]}, None]
    [error] = body["errors"]
    assert error["extensions"]["code"] == "INVALID_ID"
    assert error["path"] == ["nodes", 1]
    assert (await api.data(NODES, {"ids": []}))["nodes"] == []


async def test_nodes_takes_at_most_100(api: Api) -> None:
    """101 IDs: INVALID_ARGUMENT, nothing loaded."""
    body = await api.gql(NODES, {"ids": [encode_id("District", "321202")] * 101})
    assert body["data"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["INVALID_ARGUMENT"]


# --- codes a person can type ------------------------------------------------------------------------------------

DEMO_PROJECT = re.compile(r"^CG-\d{6}-202[4-6]-\d{3}$")
DEMO_CONTRACT = re.compile(r"^TZ-\d{6}-202[4-6]-\d{3}$")

BY_CODE = """
query($c: String, $p: String, $l: String, $k: String) {
  contract(code: $c) { id code }
  procurementProject(code: $p) { id code }
  purchasePlan(code: $l) { id code year district { code } }
  contractor(creditCode: $k) { id creditCode }
}
"""
BY_ID = """
query($c: ID, $p: ID, $l: ID, $k: ID) {
  contract(id: $c) { id code }
  procurementProject(id: $p) { id code }
  purchasePlan(id: $l) { id code year district { code } }
  contractor(id: $k) { id creditCode }
}
"""


async def test_demo_codes_follow_the_generated_patterns() -> None:
    """The demo set numbers projects and contracts the way the generators do (one pattern per type)."""
    projects = await ProjectRow.all().values_list("code", flat=True)
    demo = [c for c in projects if re.match(r"^CG-\d{6}-202[4-6]-", c)]
    assert demo
    assert all(DEMO_PROJECT.match(c) for c in demo)
    assert not [c for c in projects if re.match(r"^\d{6}-\d{4}-CG\d{2}$", c)]
    contracts = await ContractRow.all().values_list("code", flat=True)
    assert [c for c in contracts if DEMO_CONTRACT.match(c)]


async def test_single_objects_by_code_or_id(api: Api) -> None:
    """Each single-object field finds the same object by its code as by its global ID."""
    contract = await ContractRow.all().order_by("id").first()
    project = await ProjectRow.all().order_by("id").first()
    plan = await PlanRow.all().order_by("id").first()
    contractor = await ContractorRow.all().order_by("id").first()
    assert contract is not None
    assert project is not None
    assert plan is not None
    assert contractor is not None
    by_code = await api.data(
        BY_CODE,
        {
            "c": contract.code,
            "p": f"  {project.code} ",
            "l": f"JH-{plan.district_id}-{plan.year}",
            "k": contractor.credit_code.lower(),
        },
        as_user=CITY,
    )
    by_id = await api.data(
        BY_ID,
        {
            "c": encode_id("Contract", contract.pk),
            "p": encode_id("ProcurementProject", project.pk),
            "l": encode_id("PurchasePlan", plan.pk),
            "k": encode_id("Contractor", contractor.pk),
        },
        as_user=CITY,
    )
    assert by_code == by_id
    assert by_code["contract"]["code"] == contract.code
    assert by_code["purchasePlan"]["code"] == f"JH-{plan.district_id}-{plan.year}"
    assert by_code["contractor"]["creditCode"] == contractor.credit_code


async def test_unknown_codes_are_null_and_bad_arguments_typed(api: Api) -> None:
    """A code naming nothing: null. Neither or both of id/code: INVALID_ARGUMENT. A credit code with a bad check
    character: INVALID_CREDIT_CODE (its format is no secret)."""
    unused = "91321200MA1WXYWX3"
    unused += uscc.calc_check_digit(unused)
    assert not await ContractorRow.exists(credit_code=unused)
    nothing = await api.data(
        BY_CODE,
        {"c": "TZ-321202-2024-999", "p": "x" * 41, "l": "JH-321202-1999", "k": unused},
        as_user="hailing_purchaser",
    )
    assert nothing == {"contract": None, "procurementProject": None, "purchasePlan": None, "contractor": None}
    neither = await api.gql("{ contract { id } }", as_user=CITY)
    assert [e["extensions"]["code"] for e in neither["errors"]] == ["INVALID_ARGUMENT"]
    both = await api.gql('{ contract(id: "x", code: "y") { id } }', as_user=CITY)
    assert [e["extensions"]["code"] for e in both["errors"]] == ["INVALID_ARGUMENT"]
    bad = await api.gql('{ contractor(creditCode: "91321200MA1MB7Q383") { id } }', as_user=CITY)
    assert [e["extensions"]["code"] for e in bad["errors"]] == ["INVALID_CREDIT_CODE"]


def test_code_filter_per_type() -> None:
    """Which column a typed code looks in; ``None`` when the type has none or the text cannot be one."""
    assert code_filter("Contract", " TZ-321202-2024-001 ") == {"code": "TZ-321202-2024-001"}
    assert code_filter("ProcurementProject", "CG-321203-2026-001") == {"code": "CG-321203-2026-001"}
    assert code_filter("PurchasePlan", "jh-321202-2024") == {"district_id": "321202", "year": 2024}
    assert code_filter("PurchasePlan", "JH-321202-24") is None
    assert code_filter("Contractor", "91321200ma1mb7q382") == {"credit_code": "91321200MA1MB7Q382"}
    assert code_filter("Contractor", "91321200MA1MB7Q383") is None
    assert code_filter("Beneficiary", "anything") is None
    assert code_filter("Contract", "x" * 41) is None
    assert code_filter("Contract", "  ") is None


async def test_ledger_export_by_contract_number(api: Api) -> None:
    """``/ledgers/<contract number>/export.csv`` is the same file as with the contract's global ID."""
    contract = await ContractRow.filter(ledger__id__isnull=False).order_by("id").first()
    assert contract is not None
    headers = {"Authorization": f"Bearer {await api.token(CITY)}"}
    by_id = await api.client.get(f"/ledgers/{encode_id('Contract', contract.pk)}/export.csv", headers=headers)
    by_code = await api.client.get(f"/ledgers/{contract.code}/export.csv", headers=headers)
    assert by_id.status_code == by_code.status_code == 200, by_code.text
    assert by_code.content == by_id.content
    assert by_code.headers["content-disposition"] == by_id.headers["content-disposition"]


async def test_nested_ledger_entries_page_backwards(api: Api) -> None:
    """``ledger.serviceEntries`` / ``fundEntries`` of one contract: backwards = forwards, totalCount unchanged."""
    contract = await ContractRow.filter(ledger__id__isnull=False).order_by("id").first()
    assert contract is not None
    cid = encode_id("Contract", contract.pk)
    for field in ("serviceEntries", "fundEntries"):
        query = (
            "query($id: ID!, $first: Int, $after: String, $last: Int, $before: String) { node(id: $id) { "
            f"... on Contract {{ ledger {{ {field}(first: $first, after: $after, last: $last, before: $before) {{ "
            "totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor } } } } } }"
        )
        walked: dict[bool, list[str]] = {}
        for backward in (False, True):
            pages: list[list[str]] = []
            cursor = None
            while True:
                variables = {
                    "id": cid,
                    **({"last": 3, "before": cursor} if backward else {"first": 3, "after": cursor}),
                }
                conn = (await api.data(query, variables, as_user=CITY))["node"]["ledger"][field]
                page = [e["cursor"] for e in conn["edges"]]
                info = conn["pageInfo"]
                if backward:
                    pages.insert(0, page)
                    more, cursor = info["hasPreviousPage"], info["startCursor"]
                else:
                    pages.append(page)
                    more, cursor = info["hasNextPage"], info["endCursor"]
                if not more:
                    break
            walked[backward] = [c for p in pages for c in p]
            assert len(walked[backward]) == conn["totalCount"]
        assert walked[True] == walked[False]
        assert len(walked[False]) > 3, field


async def test_nested_last_per_parent_in_one_statement(api: Api) -> None:
    """``contracts { serviceEntries(last: 2) }``: each contract's own last two entries, in list order."""
    many = "{ contracts(first: 10) { nodes { id serviceEntries(last: 2) { totalCount edges { cursor } } } } }"
    nodes = (await api.data(many, as_user=CITY))["contracts"]["nodes"]
    one = "query($id: ID!) { node(id: $id) { ... on Contract { serviceEntries(first: 100) { edges { cursor } } } } }"
    checked = 0
    for node in nodes:
        alone = (await api.data(one, {"id": node["id"]}, as_user=CITY))["node"]["serviceEntries"]["edges"]
        assert node["serviceEntries"]["edges"] == alone[-2:]
        checked += bool(alone)
    assert checked > 0
