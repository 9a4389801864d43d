"""Shared pieces of the security suite: who the demo users are, the list queries every role is
probed with, and a client wrapper that checks every response body for leaked internals.

Every request of this suite goes through :func:`call`, so no response — whatever the test — may carry a
traceback, an ORM/driver name or SQL text, and none may be an HTTP 500.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable
from typing import Any

from tests.helpers import Api, demo_accounts

#: District code → slug of its demo users (``<slug>_purchaser``, ``<slug>_agency``).
DISTRICTS = {
    "321202": "hailing",
    "321203": "gaogang",
    "321204": "jiangyan",
    "321271": "gaoxin",
    "321281": "xinghua",
    "321282": "jingjiang",
    "321283": "taixing",
}

#: Contractor clerk → credit code of its contractor (from ``seeds/demo_accounts.csv``).
CLERKS = {row["username"]: row["scope"].partition(":")[2] for row in demo_accounts() if row["role"] == "contractor"}

#: What must never appear in a response body.
FORBIDDEN = ("Traceback", "tortoise", "sqlite", "asyncpg", "SELECT ")

#: A masked resident ID number: first 4, ten stars, last 4 (e.g. ``3212**********123X``).
MASKED_ID = re.compile(r"^\d{4}\*{10}\d{3}[\dX]$")
CLEAR_ID = re.compile(r"^\d{17}[\dX]$")


def gid(type_name: str, pk: object) -> str:
    """A global ID the way the server makes them (base64url of ``Type:pk``, unpadded)."""
    return base64.urlsafe_b64encode(f"{type_name}:{pk}".encode()).decode().rstrip("=")


def type_of(global_id: str) -> str:
    """The type name inside a global ID."""
    raw = base64.urlsafe_b64decode(global_id + "=" * (-len(global_id) % 4)).decode()
    return raw.partition(":")[0]


def pk_of(global_id: str) -> str:
    """The primary key inside a global ID."""
    raw = base64.urlsafe_b64decode(global_id + "=" * (-len(global_id) % 4)).decode()
    return raw.partition(":")[2]


def assert_clean(text: str) -> None:
    """No internals in a response body."""
    for word in FORBIDDEN:
        assert word not in text, f"response leaks {word!r}: {text[:500]}"


async def call(
    api: Api, query: str, variables: dict[str, Any] | None = None, *, user: str | None = None
) -> dict[str, Any]:
    """POST a document as ``user`` (anonymous when ``None``); the raw JSON body, checked for hygiene."""
    token = await api.token(user) if user is not None else None
    response = await api.post(query, variables, token)
    assert_clean(response.text)
    assert response.status_code == 200, response.text[:500]
    return response.json()


async def data(
    api: Api, query: str, variables: dict[str, Any] | None = None, *, user: str | None = None
) -> dict[str, Any]:
    """Like :func:`call` but the request must succeed; returns ``data``."""
    body = await call(api, query, variables, user=user)
    assert "errors" not in body, body["errors"]
    return body["data"]


def error_codes(body: dict[str, Any]) -> list[str | None]:
    """``extensions.code`` of every error of a body."""
    return [(e.get("extensions") or {}).get("code") for e in body.get("errors", [])]


# --- the root lists, probed for every role -------------------------------------------------------

#: Root list → (its district argument, the node selection). Every node names its district.
LISTS: dict[str, tuple[str, str]] = {
    "contracts": ("filter: {district: $district}", "id status publishedOn district { code } contractor { id }"),
    "purchasePlans": ("filter: {district: $district}", "id status district { code }"),
    "procurementProjects": (
        "filter: {district: $district}",
        "id status district { code } lots(first: 5) { nodes { id awardedContractor { id } } }",
    ),
    "beneficiaries": ("district: $district", "id district { code }"),
    "serviceEntries": (
        "filter: {district: $district}",
        "id district { code } contractor { id } beneficiary { id }",
    ),
    "fundEntries": ("district: $district", "id district { code } contractor { id }"),
    "staffMembers": ("district: $district", "id kind district { code } contractor { id }"),
    "coordinators": ("district: $district", "id district { code }"),
    "mutualAidAssociations": ("district: $district", "id district { code }"),
    "mutualAidSubsidies": ("district: $district", "id district { code }"),
    "trainingSessions": ("district: $district", "id level district { code }"),
}


def _list_query(names: Iterable[str], *, paged: bool) -> str:
    after = ", after: $after" if paged else ""
    fields = "\n".join(
        f"  {name}(first: 100{after}, {LISTS[name][0]}) {{\n"
        f"    totalCount pageInfo {{ hasNextPage endCursor }} nodes {{ {LISTS[name][1]} }}\n  }}"
        for name in names
    )
    params = "$district: String, $after: String" if paged else "$district: String"
    return f"query Lists({params}) {{\n{fields}\n}}"


#: Every root list in one document (first page of each), optionally filtered by ``$district``.
ALL_LISTS = _list_query(LISTS, paged=False)
#: ``totalCount`` (and the first row, if any) of every root list filtered on two districts ``$a`` and ``$b``.
COUNTS_FOR_TWO = (
    "query CountsForTwo($a: String, $b: String) {\n"
    + "\n".join(
        f"  {v}_{name}: {name}(first: 1, {LISTS[name][0].replace('$district', '$' + v)})"
        " { totalCount nodes { id } }"
        for v in ("a", "b")
        for name in LISTS
    )
    + "\n}"
)
#: One root list with ``$after``, to page on.
PAGE_OF = {name: _list_query([name], paged=True) for name in LISTS}


async def all_lists(api: Api, user: str | None, district: str | None = None) -> dict[str, dict[str, Any]]:
    """Every root list as ``user`` sees it, all pages: ``{list: {"totalCount": n, "nodes": [...]}}``."""
    first = await data(api, ALL_LISTS, {"district": district}, user=user)
    out: dict[str, dict[str, Any]] = {}
    for name, conn in first.items():
        nodes = list(conn["nodes"])
        page = conn["pageInfo"]
        while page["hasNextPage"]:
            more = (await data(api, PAGE_OF[name], {"district": district, "after": page["endCursor"]}, user=user))[name]
            nodes += more["nodes"]
            page = more["pageInfo"]
        out[name] = {"totalCount": conn["totalCount"], "nodes": nodes}
    return out


# --- node(id:) in batches ------------------------------------------------------------------------

#: Stay well under the server's 30-alias limit.
NODE_BATCH = 25


async def nodes_by_id(api: Api, ids: list[str], *, user: str | None) -> dict[str, dict[str, Any] | None]:
    """``node(id:)`` of each ID as ``user``; must answer without errors. ``{id: node or None}``."""
    out: dict[str, dict[str, Any] | None] = {}
    for start in range(0, len(ids), NODE_BATCH):
        chunk = ids[start : start + NODE_BATCH]
        params = ", ".join(f"$i{k}: ID!" for k in range(len(chunk)))
        fields = " ".join(f"n{k}: node(id: $i{k}) {{ id __typename }}" for k in range(len(chunk)))
        result = await data(
            api, f"query Nodes({params}) {{ {fields} }}", {f"i{k}": v for k, v in enumerate(chunk)}, user=user
        )
        out.update({v: result[f"n{k}"] for k, v in enumerate(chunk)})
    return out


def code_of(node: dict[str, Any]) -> str | None:
    """The district code of a node that selected ``district { code }``."""
    district = node.get("district")
    return None if district is None else district["code"]


def ids(nodes: Iterable[dict[str, Any]]) -> set[str]:
    """IDs of nodes."""
    return {n["id"] for n in nodes}
