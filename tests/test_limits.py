"""Query limits: cost analysis (reported in extensions, refused above the maximum), depth and aliases;
unexpected errors are masked with an error id and logged with their traceback."""

from __future__ import annotations

import logging

import pytest

from schema.extensions import MAX_COST
from tests.helpers import Api

CHEAP = "{ districts(first: 3) { nodes { name } } }"
NESTED = """
query($n: Int, $m: Int) { contracts(first: $n) { nodes {
  code serviceEntries(first: $m) { nodes { content beneficiary { name } township { name } catalogueItem { code } } }
} } }
"""


async def test_cost_is_reported(api: Api) -> None:
    body = await api.gql(CHEAP)
    assert body["extensions"]["cost"] == {"requested": 1 + 3 * 2, "maximum": MAX_COST}


async def test_first_multiplies_children_cost(api: Api) -> None:
    small = await api.gql(NESTED, {"n": 2, "m": 2}, as_user="city_civil_affairs")
    large = await api.gql(NESTED, {"n": 10, "m": 10}, as_user="city_civil_affairs")
    assert "errors" not in large
    # contracts: 1 + n * (code 1 + serviceEntries (1 + m * (content 1 + 3 objects of 2)) + nodes 1)
    assert small["extensions"]["cost"]["requested"] < large["extensions"]["cost"]["requested"]
    assert large["extensions"]["cost"]["requested"] == 1 + 10 * (1 + 1 + (1 + 10 * (1 + 1 + 2 + 2 + 2)))


async def test_too_costly_query_is_refused_before_it_runs(api: Api) -> None:
    body = await api.gql(NESTED, {"n": 100, "m": 100}, as_user="city_civil_affairs")
    assert body.get("data") is None
    error = body["errors"][0]
    assert error["extensions"]["code"] == "QUERY_TOO_COSTLY"
    assert "查询过于复杂" in error["message"]


async def test_depth_limit(api: Api) -> None:
    deep = "{ districts(first: 1) { nodes { " + "townships(first: 1) { nodes { district { " * 5
    deep += "name" + " } } }" * 5 + " } } }"
    body = await api.gql(deep)
    assert body.get("data") is None
    assert "exceeds maximum operation depth" in body["errors"][0]["message"]


async def test_alias_limit(api: Api) -> None:
    query = "{ " + " ".join(f"a{i}: districts(first: 1) {{ totalCount }}" for i in range(40)) + " }"
    body = await api.gql(query)
    assert body.get("data") is None
    assert "aliases" in body["errors"][0]["message"]


async def test_unexpected_error_is_masked_with_an_id(
    api: Api, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import schema.query

    def boom(*_: object) -> None:
        raise RuntimeError("secret internal detail: SELECT * FROM account_user")

    monkeypatch.setattr(schema.query, "scoped", boom)
    with caplog.at_level(logging.ERROR, logger="jiuzhu.errors"):
        response = await api.post(CHEAP)
    assert response.status_code == 200
    assert "secret internal detail" not in response.text
    assert "Traceback" not in response.text
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "INTERNAL_ERROR"
    error_id = error["extensions"]["errorId"]
    assert error_id in error["message"]
    logged = [r for r in caplog.records if error_id in r.getMessage()]
    assert logged
    assert logged[0].exc_info is not None
