"""Probing with malformed input: foreign or forged global IDs, bad cursors, out-of-range page sizes,
abusive documents. Every answer is either nothing (``null``, no rows) or a typed error with a stable
``extensions.code``; never an HTTP 500, never an internal error, and (checked on every response of this
suite by ``support.call``) never a traceback, an ORM or driver name, or SQL text."""

from __future__ import annotations

import pytest

from tests.helpers import Api
from tests.security.conftest import CityView
from tests.security.support import assert_clean, call, data, error_codes, gid, nodes_by_id, pk_of

NODE = "query Node($id: ID!) { node(id: $id) { id __typename } }"
CITY = "city_civil_affairs"

#: Global IDs that name nothing anyone may read: ``node`` is null or the error is INVALID_ID.
MALFORMED_IDS = {
    "random-base64": "Zm9vYmFyYmF6",
    "not-base64": "!!!not*base64!!!",
    "empty": "",
    "blank": "   ",
    "raw-type-and-pk": "Contract:1",
    "too-long": "QQ" * 150,
    "huge": "A" * 20_000,
    "unknown-type": gid("Nope", 1),
    "user-account": gid("User", 1),
    "role-assignment": gid("RoleAssignment", 1),
    "session": gid("AuthSession", 1),
    "model-name-not-type": gid("ChangeRecord", 1),
    "lower-case-type": gid("contract", 1),
    "interface": gid("Node", 1),
    "root-type": gid("Query", 1),
    "no-type": gid("", 1),
    "no-pk": gid("Contract", ""),
    "sql-or": gid("Contract", "1 OR 1=1"),
    "sql-drop": gid("Contract", "1; DROP TABLE contract; --"),
    "sql-quote": gid("Beneficiary", "1' OR '1'='1"),
    "negative": gid("Contract", -1),
    "zero": gid("Contract", 0),
    "exponent": gid("Contract", "1e3"),
    "hex": gid("Contract", "0x10"),
    "nul-byte": gid("Contract", "1\x00"),
    "null-word": gid("Contract", "null"),
    "like-wildcard": gid("District", "3212%"),
    "like-underscore": gid("Township", "_________"),
    "nonexistent": gid("Beneficiary", 999_999),
}

#: Primary keys out of the column's range or length. Regression: these were INTERNAL_ERRORs (int/bigint
#: overflow in the driver, Tortoise's max_length validation) before ``schema.pagination.parse_pk``.
OUT_OF_RANGE_IDS = {
    "pk-beyond-int64": gid("Contract", "9" * 20),
    "bigint-overflow": gid("ServiceEntry", 2**63),
    "int-overflow": gid("Contract", 2**31),
    "district-code-too-long": gid("District", "3212020"),
    "township-code-too-long": gid("Township", "321202001' OR '1'='1"),
}

#: Filters given IDs of the wrong type or nonsense: INVALID_ID.
FILTERS = {
    "contractor-is-a-contract": (
        "query($id: ID) { contracts(filter: {contractor: $id}) { totalCount } }",
        gid("Contract", 1),
    ),
    "contract-is-garbage": ("query($id: ID) { serviceEntries(filter: {contract: $id}) { totalCount } }", "garbage!"),
    "fund-contract-is-a-contractor": (
        "query($id: ID) { fundEntries(contract: $id) { totalCount } }",
        gid("Contractor", 1),
    ),
    "project-is-a-plan": (
        "query($id: ID) { contracts(filter: {project: $id}) { totalCount } }",
        gid("PurchasePlan", 1),
    ),
}
#: Well-typed IDs whose pk cannot exist. Regression: these were INTERNAL_ERRORs (string or 20-digit pk
#: sent to an integer column).
MALFORMED_PK_FILTERS = {
    "fund-entries-non-numeric-contract": (
        "query($id: ID) { fundEntries(contract: $id) { totalCount } }",
        gid("Contract", "abc"),
    ),
    "service-entries-sqlish-contract": (
        "query($id: ID) { serviceEntries(filter: {contract: $id}) { totalCount } }",
        gid("Contract", "1 OR 1=1"),
    ),
    "contracts-huge-contractor": (
        "query($id: ID) { contracts(filter: {contractor: $id}) { totalCount } }",
        gid("Contractor", "9" * 20),
    ),
}

#: Cursors this server never issued: INVALID_CURSOR.
BAD_CURSORS = {
    "garbage": "x",
    "percent": "%%%",
    "empty": "",
    "too-long": "A" * 101,
    "negative": gid("k", -1),
    "letters": gid("k", "abc"),
    "sql": gid("k", "1 OR 1=1"),
    "empty-key": gid("k", ""),
    "wrong-prefix": gid("j", 1),
    "nineteen-digits": gid("k", "9" * 19),
    "a-global-id": gid("Contract", 1),
}
CURSOR_FIELDS = {
    "root": "query($after: String) { contracts(after: $after) { totalCount } }",
    "nested": "query($after: String) { contracts(first: 2) { nodes { serviceEntries(after: $after) { totalCount } } } }",  # noqa: E501
    "history": "query($after: String) { contracts(first: 2) { nodes { history(after: $after) { totalCount } } } }",
}
#: Well-formed cursors with a pk out of the column's range or length. Regression: INTERNAL_ERRORs before.
OUT_OF_RANGE_CURSORS = {
    "int-overflow": ("query($after: String) { contracts(after: $after) { totalCount } }", gid("k", 2**31)),
    "township-too-long": ("query($after: String) { townships(after: $after) { totalCount } }", gid("k", "3212020011")),
    "district-sqlish": ("query($after: String) { districts(after: $after) { totalCount } }", gid("k", "' OR 1=1 --")),
}

PAGE_SIZES = {
    "root": "query($n: Int) { contracts(first: $n) { totalCount } }",
    "nested": "query($n: Int) { contracts(first: 2) { nodes { serviceEntries(first: $n) { totalCount } } } }",
    "history": "query($n: Int) { districts(first: 2) { nodes { history(first: $n) { totalCount } } } }",
}


def deep(levels: int) -> str:
    """A document ``levels`` × 3 fields deep."""
    inner = "code"
    for _ in range(levels):
        inner = f"townships(first: 1) {{ nodes {{ district {{ {inner} }} }} }}"
    return f"{{ districts(first: 1) {{ nodes {{ {inner} }} }} }}"


#: Documents refused before they run, whoever sends them.
ABUSIVE = {
    "depth-15": deep(4),
    "31-aliases": "{ " + " ".join(f"a{i}: districts(first: 1) {{ totalCount }}" for i in range(31)) + " }",
    "4000-tokens": "{ districts(first: 1) { totalCount " + "__typename " * 4000 + "} }",
    "too-costly": "{ contracts(first: 100) { nodes { serviceEntries(first: 100) { nodes { content staff } } } } }",
    "syntax-error": "{ contracts { totalCount }",
    "unknown-field": "{ contracts { nodes { password } } }",
}


def assert_typed_refusal(body: dict, *codes: str) -> None:
    """The request produced no data and only errors with one of ``codes``."""
    assert body.get("data") is None, body
    assert body.get("errors"), body
    assert set(error_codes(body)) <= set(codes), body["errors"]


@pytest.mark.parametrize("user", [CITY, None], ids=["city", "public"])
@pytest.mark.parametrize("global_id", list(MALFORMED_IDS.values()), ids=list(MALFORMED_IDS))
async def test_malformed_global_id_reveals_nothing(api: Api, global_id: str, user: str | None) -> None:
    body = await call(api, NODE, {"id": global_id}, user=user)
    if "errors" in body:
        assert error_codes(body) == ["INVALID_ID"], body["errors"]
    assert body["data"] == {"node": None}


@pytest.mark.parametrize("global_id", list(OUT_OF_RANGE_IDS.values()), ids=list(OUT_OF_RANGE_IDS))
async def test_out_of_range_global_id_is_null(api: Api, global_id: str) -> None:
    body = await call(api, NODE, {"id": global_id}, user=CITY)
    assert error_codes(body) in ([], ["INVALID_ID"]), body["errors"]
    assert body["data"] == {"node": None}


async def test_lenient_ids_still_go_through_scope(api: Api, city: CityView) -> None:
    """A pk with blanks or non-ASCII digits may resolve, but only to what the caller may see anyway."""
    draft = next(c["id"] for c in city.rows("contracts") if c["status"] == "DRAFT")
    foreign = next(o.id for o in city.of_type("Contract") if o.district != "321202")
    spoofed = []
    for original in (draft, foreign):
        pk = int(pk_of(original))
        spoofed += [gid("Contract", f" {pk}"), gid("Contract", f"{pk} "), gid("Contract", to_arabic_indic(pk))]
    assert (await nodes_by_id(api, spoofed[:3], user=None)) == dict.fromkeys(spoofed[:3])
    assert (await nodes_by_id(api, spoofed[3:], user="hailing_purchaser")) == dict.fromkeys(spoofed[3:])


def to_arabic_indic(number: int) -> str:
    """``12`` → ``١٢`` (``int()`` accepts these digits)."""
    return "".join(chr(0x0660 + int(d)) for d in str(number))


@pytest.mark.parametrize(("query", "value"), list(FILTERS.values()), ids=list(FILTERS))
async def test_filter_with_foreign_id_is_a_typed_error(api: Api, query: str, value: str) -> None:
    assert_typed_refusal(await call(api, query, {"id": value}, user=CITY), "INVALID_ID")


@pytest.mark.parametrize(("query", "value"), list(MALFORMED_PK_FILTERS.values()), ids=list(MALFORMED_PK_FILTERS))
async def test_filter_with_malformed_pk_is_a_typed_error(api: Api, query: str, value: str) -> None:
    body = await call(api, query, {"id": value}, user=CITY)
    if "errors" in body:
        assert_typed_refusal(body, "INVALID_ID")
    else:
        assert next(iter(body["data"].values()))["totalCount"] == 0


@pytest.mark.parametrize("where", list(CURSOR_FIELDS.values()), ids=list(CURSOR_FIELDS))
@pytest.mark.parametrize("cursor", list(BAD_CURSORS.values()), ids=list(BAD_CURSORS))
async def test_bad_cursor_is_invalid_cursor(api: Api, where: str, cursor: str) -> None:
    assert_typed_refusal(await call(api, where, {"after": cursor}, user=CITY), "INVALID_CURSOR")


@pytest.mark.parametrize(("query", "cursor"), list(OUT_OF_RANGE_CURSORS.values()), ids=list(OUT_OF_RANGE_CURSORS))
async def test_out_of_range_cursor_is_empty_or_invalid(api: Api, query: str, cursor: str) -> None:
    body = await call(api, query, {"after": cursor}, user=CITY)
    if "errors" in body:
        assert_typed_refusal(body, "INVALID_CURSOR")


@pytest.mark.parametrize("where", list(PAGE_SIZES.values()), ids=list(PAGE_SIZES))
@pytest.mark.parametrize("first", [0, -1, 101, 100_000])
async def test_page_size_out_of_range_is_invalid_argument(api: Api, where: str, first: int) -> None:
    assert_typed_refusal(await call(api, where, {"n": first}, user=CITY), "INVALID_ARGUMENT")


async def test_page_size_beyond_int32_is_a_validation_error(api: Api) -> None:
    body = await call(api, PAGE_SIZES["root"], {"n": 2**31}, user=CITY)
    assert body.get("data") is None
    assert body["errors"]


@pytest.mark.parametrize(
    ("query", "variables", "code"),
    [
        (
            "query($d: String) { contracts(filter: {district: $d}) { totalCount } }",
            {"d": "321202' OR '1'='1"},
            "INVALID_ARGUMENT",
        ),
        ("query($d: String) { beneficiaries(district: $d) { totalCount } }", {"d": "32120%"}, "INVALID_ARGUMENT"),
        ("query($t: String) { staffMembers(township: $t) { totalCount } }", {"t": "3212%"}, "INVALID_ARGUMENT"),
        (
            "query($n: String) { beneficiaries(idNumber: $n) { totalCount } }",
            {"n": "1' OR 1=1 --"},
            "INVALID_ID_NUMBER",
        ),
        (
            "query($n: String) { contractors(filter: {nameContains: $n}) { totalCount } }",
            {"n": "%" * 51},
            "INVALID_ARGUMENT",
        ),
        (
            "query($c: String) { contractors(filter: {creditCode: $c}) { totalCount } }",
            {"c": "' OR 1=1 --"},
            "INVALID_CREDIT_CODE",
        ),
    ],
    ids=["district-sql", "district-wildcard", "township-wildcard", "id-number-sql", "name-too-long", "credit-code-sql"],
)
async def test_injection_shaped_arguments_are_typed_errors(api: Api, query: str, variables: dict, code: str) -> None:
    assert_typed_refusal(await call(api, query, variables, user=CITY), code)


async def test_like_wildcards_do_not_widen_a_search(api: Api) -> None:
    query = "query($n: String) { contractors(filter: {nameContains: $n}) { totalCount } }"
    for user, wildcard in (("anhe_clerk", "%"), ("anhe_clerk", "_"), (CITY, "%"), (CITY, "_")):
        assert (await data(api, query, {"n": wildcard}, user=user))["contractors"]["totalCount"] == 0, (user, wildcard)
    assert (await data(api, query, {"n": "社会"}, user="anhe_clerk"))["contractors"]["totalCount"] == 1


@pytest.mark.parametrize("document", list(ABUSIVE.values()), ids=list(ABUSIVE))
@pytest.mark.parametrize("user", [CITY, None], ids=["city", "public"])
async def test_abusive_document_is_refused_before_running(api: Api, document: str, user: str | None) -> None:
    body = await call(api, document, user=user)
    assert body.get("data") is None
    assert body["errors"]
    assert "INTERNAL_ERROR" not in error_codes(body)


async def test_limits_leave_room_for_honest_queries(api: Api) -> None:
    assert (await data(api, deep(3), user=None))["districts"]["nodes"]
    thirty = "{ " + " ".join(f"a{i}: districts(first: 1) {{ totalCount }}" for i in range(30)) + " }"
    assert len(await data(api, thirty, user=None)) == 30


async def test_introspection_works_in_development(api: Api) -> None:
    body = await data(api, "{ __schema { queryType { name } types { name } } }", user=None)
    assert body["__schema"]["queryType"]["name"] == "Query"


@pytest.mark.parametrize(
    ("method", "kwargs"),
    [
        ("post", {"content": b"{not json", "headers": {"content-type": "application/json"}}),
        ("post", {"content": b"\xff\xfe\x00garbage", "headers": {"content-type": "application/json"}}),
        ("post", {"json": {"query": 42}}),
        ("post", {"json": {"query": "{ districts { totalCount } }", "variables": "not an object"}}),
        ("post", {"json": ["not", "an", "object"]}),
        ("get", {"params": {"query": "{ contracts { totalCount } }"}}),
        ("post", {"json": {"query": "{ contracts { totalCount } }"}, "headers": {"Authorization": "Bearer x.y.z"}}),
    ],
    ids=["bad-json", "binary", "query-not-string", "variables-not-object", "array-body", "get-query", "garbage-token"],
)
async def test_malformed_http_requests_are_client_errors(api: Api, method: str, kwargs: dict) -> None:
    response = await getattr(api.client, method)("/graphql", **kwargs)
    assert_clean(response.text)
    assert 200 <= response.status_code < 500, response.status_code
    if response.status_code == 200:
        body = response.json()
        assert body.get("data") in (None, {}), body
        assert body.get("errors"), body


@pytest.mark.parametrize("year", [0, -1, 10000, 2147483647])
@pytest.mark.parametrize(
    "query",
    [
        "query($y: Int) { contracts(filter: {year: $y}) { totalCount } }",
        "query($y: Int) { purchasePlans(filter: {year: $y}) { totalCount } }",
        "query($y: Int) { procurementProjects(filter: {year: $y}) { totalCount } }",
        "query($y: Int) { finance { contractFilings(filter: {year: $y}) { totalCount } } }",
        "query($y: Int) { dashboard { services(filter: {year: $y}) { totals { entries } } } }",
        "query($y: Int) { public { contracts(year: $y) { totalCount } } }",
        "query($y: Int) { mutualAidSubsidies(year: $y) { totalCount } }",
        "query($y: Int) { trainingSessions(year: $y) { totalCount } }",
    ],
    ids=["contracts", "plans", "projects", "filings", "dashboard", "public", "subsidies", "training"],
)
async def test_years_outside_the_calendar_are_answered_never_crash(api: Api, query: str, year: int) -> None:
    """A year no date can hold (found by the schema fuzzer: year 1912609 in a contracts filter) is either a typed
    INVALID_ARGUMENT or simply matches nothing: never an internal error."""
    body = await call(api, query, {"y": year}, user=CITY)
    if "errors" in body:
        assert_typed_refusal(body, "INVALID_ARGUMENT")
