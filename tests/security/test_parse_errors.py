"""Documents that do not parse keep the parser's message and location, with a code (issue 13, item 7).
Regression: every one of them answered ``No GraphQL document available`` with neither, because the metrics
extension read the operation type of a document that had failed to parse."""

from __future__ import annotations

import time

import pytest

from schema import MAX_DOCUMENT_CHARS, MAX_TOKENS
from tests.helpers import Api
from tests.security.support import call, error_codes

SYNTAX_ERRORS = {
    "unclosed selection": ("{ contracts { totalCount }", "Expected Name, found <EOF>.", (1, 27)),
    "unterminated string": ('{ node(id: "abc) { id } }', "Unterminated string.", (1, 26)),
    "unexpected character": ("{ me { username } }\n  %", "Unexpected character: '%'.", (2, 3)),
    "stray brace": ("}", "Unexpected '}'.", (1, 1)),
    "lone surrogate escape": ('{ node(id: "\\ud800") { id } }', "Invalid Unicode escape sequence: '\\ud800'.", (1, 13)),
}


@pytest.mark.parametrize(("document", "detail", "where"), list(SYNTAX_ERRORS.values()), ids=list(SYNTAX_ERRORS))
@pytest.mark.parametrize("user", ["city_civil_affairs", None], ids=["signed-in", "anonymous"])
async def test_syntax_error_keeps_message_location_and_code(
    api: Api, document: str, detail: str, where: tuple[int, int], user: str | None
) -> None:
    body = await call(api, document, user=user)
    assert body.get("data") is None
    [error] = body["errors"]
    assert error["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"
    assert error["message"] == f"查询文档有语法错误：{detail}"
    assert error["extensions"]["detail"] == detail
    assert error["locations"] == [{"line": where[0], "column": where[1]}]
    assert "No GraphQL document" not in str(body)


async def test_document_over_the_token_limit_is_query_too_large(api: Api) -> None:
    body = await call(api, "{ districts(first: 1) { totalCount " + "__typename " * MAX_TOKENS + "} }")
    assert body.get("data") is None
    assert error_codes(body) == ["QUERY_TOO_LARGE"]
    assert f"超过 {MAX_TOKENS} 个记号" in body["errors"][0]["message"]
    assert body["errors"][0]["locations"]


async def test_document_nested_past_the_parser_limit_is_query_too_deep(api: Api) -> None:
    body = await call(api, "{ " + "me { " * 300 + "username" + " }" * 300 + " }")
    assert body.get("data") is None
    assert error_codes(body) == ["QUERY_TOO_DEEP"]


async def test_parse_failures_are_counted_without_a_client_name(api: Api) -> None:
    response = await api.client.post(
        "/graphql", json={"query": "query Broken { me {", "operationName": "BrokenNameFromClient"}
    )
    assert response.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"
    metrics = (await api.client.get("/metrics")).text
    assert 'jiuzhu_graphql_operations_total{operation="other",outcome="error",type="unknown"}' in metrics
    assert "BrokenNameFromClient" not in metrics


async def test_document_over_the_character_limit_is_refused_before_parsing(api: Api) -> None:
    """The parser reads strings and comments a character at a time: 1 MB of comment cost 120 ms of CPU."""
    for document in ("# " + "x" * 1_000_000 + "\n{ me { username } }", '{ node(id: "' + "x" * 900_000 + '") { id } }'):
        start = time.process_time()
        response = await api.client.post("/graphql", json={"query": document})
        assert time.process_time() - start < 0.1
        assert response.status_code == 400
        [error] = response.json()["errors"]
        assert error["extensions"]["code"] == "QUERY_TOO_LARGE"
        assert str(MAX_DOCUMENT_CHARS) in error["message"]
    within = "# " + "x" * (MAX_DOCUMENT_CHARS - 100) + "\n{ districts(first: 1) { totalCount } }"
    assert (await call(api, within))["data"]["districts"]["totalCount"] == 7
