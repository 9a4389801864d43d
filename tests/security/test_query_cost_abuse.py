"""Query-cost and validation work stay bounded for any document within the body and token limits (issue 13,
item 1). Regressions: 22 fragments each spreading the next twice cost 5.4 s before the refusal; a fragment that
spreads itself twice never finished (2**50 walks); thousands of duplicated fields cost ~1 s of validation.

Every document here is sent anonymously. Times are the CPU of this process (the app runs in it), with bounds far
above what the refusals take (a few ms) and far below what they took before.
"""

from __future__ import annotations

import time

from schema.extensions import MAX_COST, MAX_FIELDS
from tests.helpers import Api
from tests.security.support import assert_clean, call, data, error_codes

#: Generous: the refusals below take a few milliseconds; before the fix they took 0.5 s to forever.
CPU_BOUND = 0.5


def doubling(levels: int, leaf: str = "me { username }") -> str:
    """``levels`` fragments, each spreading the next twice: 2**levels copies of ``leaf`` once expanded."""
    parts = ["query { ...F0 }"]
    parts += [f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels - 1)]
    parts.append(f"fragment F{levels - 1} on Query {{ {leaf} }}")
    return "\n".join(parts)


async def timed(api: Api, document: str, variables: dict | None = None) -> tuple[dict, float]:
    """The body of an anonymous request and the CPU seconds it took."""
    start = time.process_time()
    body = await call(api, document, variables)
    return body, time.process_time() - start


async def test_doubling_fragments_are_refused_at_once(api: Api) -> None:
    wall = time.perf_counter()
    body, cpu = await timed(api, doubling(22))
    assert time.perf_counter() - wall < 1.0
    assert cpu < CPU_BOUND
    assert body.get("data") is None
    assert error_codes(body) == ["QUERY_TOO_COSTLY"]
    assert "查询过于复杂" in body["errors"][0]["message"]
    assert body["extensions"]["cost"]["requested"] > MAX_COST


async def test_long_fragment_chains_are_refused_at_once(api: Api) -> None:
    """240 levels fit in the token limit; the expansion is refused by its nesting, before any walk of it."""
    body, cpu = await timed(api, doubling(240))
    assert cpu < CPU_BOUND
    assert error_codes(body) == ["QUERY_TOO_DEEP"]


async def test_doubling_fragments_under_the_cost_are_still_bounded(api: Api) -> None:
    """2**12 = 4,096 leaves cost less than the maximum, but are more fields than validation may walk."""
    body, cpu = await timed(api, doubling(12, "__typename"))
    assert cpu < CPU_BOUND
    assert error_codes(body) == ["QUERY_TOO_LARGE"]
    assert str(MAX_FIELDS) in body["errors"][0]["message"]


CYCLES = {
    "two fragments": "query { ...A } fragment A on Query { ...B } fragment B on Query { ...A }",
    "self with fan-out": "query { ...A } fragment A on Query { ...A ...A me { username } }",
    "three, under a field": "query { me { ...A } } fragment A on Me { username ...B } "
    "fragment B on Me { ...C ...C } fragment C on Me { ...A ...A }",
    "in a fragment no operation uses": "query { me { username } } fragment A on Query { ...B ...B } "
    "fragment B on Query { ...A ...A }",
    "in the operation not selected": "query Ok { me { username } } query Bad { ...A } "
    "fragment A on Query { ...A ...A }",
}


async def test_fragment_cycles_are_refused_with_a_code(api: Api) -> None:
    for name, document in CYCLES.items():
        start = time.process_time()
        operation = "Ok" if "query Ok" in document else None
        response = await api.client.post("/graphql", json={"query": document, "operationName": operation})
        assert time.process_time() - start < CPU_BOUND, name
        assert_clean(response.text)
        assert response.status_code == 200, name
        body = response.json()
        assert body.get("data") is None, name
        assert error_codes(body) == ["FRAGMENT_CYCLE"], (name, body["errors"])
        assert "片段循环" in body["errors"][0]["message"]


DUPLICATES = {
    "2,400 __typename": ("{ " + "__typename " * 2400 + "}", "QUERY_TOO_LARGE"),
    "600 x me { username }": ("{ " + "me { username } " * 600 + "}", "QUERY_TOO_COMPLEX"),
    "270 x districts(first: 1)": ("{ " + "districts(first: 1) { totalCount } " * 270 + "}", "QUERY_TOO_COMPLEX"),
    "270 inline fragments": ("{ " + "... on Query { me { username } } " * 270 + "}", "QUERY_TOO_COMPLEX"),
    "200 fragments with one field": (
        "query { "
        + " ".join(f"...F{i}" for i in range(200))
        + " } "
        + " ".join(f"fragment F{i} on Query {{ me {{ username }} }}" for i in range(200)),
        "QUERY_TOO_COMPLEX",
    ),
    "nested duplicates": ("{ " + ("me { " + "username " * 45 + "} ") * 45 + "}", "QUERY_TOO_LARGE"),
    "nested duplicates, fewer": ("{ " + ("me { " + "username " * 20 + "} ") * 20 + "}", "QUERY_TOO_COMPLEX"),
}


async def test_duplicated_fields_are_refused_before_validation(api: Api) -> None:
    for name, (document, code) in DUPLICATES.items():
        body, cpu = await timed(api, document)
        assert cpu < CPU_BOUND, (name, cpu)
        assert body.get("data") is None, name
        assert error_codes(body) == [code], (name, body["errors"][:1])


async def test_honest_duplicates_and_fragments_still_run(api: Api) -> None:
    """A field asked twice, or in a fragment and inline, merges as before; fragments cost what their fields do."""
    twice = await data(api, "{ districts(first: 2) { totalCount totalCount nodes { name name code } } }")
    assert twice["districts"]["totalCount"] == 7
    inline = "{ a: districts(first: 3) { nodes { name code } } b: districts(first: 3) { nodes { name code } } }"
    spread = (
        "query { a: districts(first: 3) { ...D } b: districts(first: 3) { ...D } } "
        "fragment D on DistrictConnection { nodes { name code } }"
    )
    inline_body = await call(api, inline)
    spread_body = await call(api, spread)
    assert "errors" not in spread_body
    assert spread_body["data"] == inline_body["data"]
    assert spread_body["extensions"]["cost"] == inline_body["extensions"]["cost"]
    assert spread_body["extensions"]["cost"]["requested"] == 2 * (1 + 3 * (1 + 2))


async def test_cost_stops_at_the_maximum(api: Api) -> None:
    """The estimate stops as soon as the running total passes the maximum: the second of 29 costly siblings."""
    sibling = "contracts(first: 100) { nodes { serviceEntries(first: 100) { nodes { content } } } }"
    each = 1 + 100 * (1 + 1 + 100 * (1 + 1))
    body, _ = await timed(api, "{ " + " ".join(f"a{i}: {sibling}" for i in range(29)) + " }")
    assert error_codes(body) == ["QUERY_TOO_COSTLY"]
    assert body["extensions"]["cost"]["requested"] == 2 * each
