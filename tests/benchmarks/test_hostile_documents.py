"""Benchmark (on demand: `make bench`): process CPU spent on hostile GraphQL documents (issue 13, item 1).

Every document here fits in the request body limit (most fill the token limit) and is sent anonymously. Prints
the CPU time of this process (``time.process_time``: the in-process app plus the httpx client) per document, the
best of a few runs, and the error code the server answered. Target: every document under 50 ms of CPU. The only
assertions are that no answer is an internal error or an HTTP 500.
"""

from __future__ import annotations

import time

from schema import MAX_TOKENS
from tests.helpers import Api

RUNS = 3


def doubling_fragments(levels: int) -> str:
    """``levels`` fragments, each spreading the next twice: 2**levels leaves once expanded."""
    parts = ["query { ...F0 }"]
    parts += [f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels - 1)]
    parts.append(f"fragment F{levels - 1} on Query {{ me {{ username }} }}")
    return "\n".join(parts)


def deep_braces(levels: int) -> str:
    """Selection sets nested ``levels`` deep (far beyond the depth limit)."""
    return "{ " + "me { " * levels + "username" + " }" * levels + " }"


def deep_list(levels: int) -> str:
    """A list argument value nested ``levels`` deep."""
    return "{ districts(first: 1, after: " + "[" * levels + "]" * levels + ") { totalCount } }"


#: Repetitions that fill the token limit with ``per`` tokens each (the rest of a document takes < 20 tokens).
def fill(per: int) -> int:
    """How many ``per``-token pieces fit in the token limit."""
    return (MAX_TOKENS - 20) // per


HOSTILE: dict[str, str] = {
    "fragments: 22 levels doubling": doubling_fragments(22),
    f"fragments: {fill(10)} levels doubling": doubling_fragments(fill(10)),
    "fragments: cycle A<->B": "query { ...A } fragment A on Query { ...B } fragment B on Query { ...A }",
    "fragments: self-cycle fan-out": "query { ...A } fragment A on Query { ...A ...A me { username } }",
    f"fragments: {fill(12)} spreads of distinct": "query { "
    + " ".join(f"...F{i}" for i in range(fill(12)))
    + " } "
    + " ".join(f"fragment F{i} on Query {{ me {{ username }} }}" for i in range(fill(12))),
    f"fields: {fill(1)} x __typename": "{ " + "__typename " * fill(1) + "}",
    f"fields: {fill(4)} x me {{ username }}": "{ " + "me { username } " * fill(4) + "}",
    f"fields: {fill(9)} x districts(first: 1) {{ totalCount }}": "{ "
    + "districts(first: 1) { totalCount } " * fill(9)
    + "}",
    f"fields: {fill(1)} distinct unknown": "{ " + " ".join(f"f{i}" for i in range(fill(1))) + " }",
    f"inline fragments: {fill(9)} x ... on Query {{ me {{ username }} }}": "{ "
    + "... on Query { me { username } } " * fill(9)
    + "}",
    "nesting: 190 selection sets deep": deep_braces(190),
    "nesting: 190-deep list value": deep_list(190),
    f"directives: {fill(7)} x @include": "{ me " + "@include(if: true) " * fill(7) + "{ username } }",
    f"unknown directives: {fill(2)}": "{ me " + " ".join(f"@d{i}" for i in range(fill(2))) + " { username } }",
    f"arguments: {fill(3)} unknown": "{ districts("
    + " ".join(f"a{i}: 1" for i in range(fill(3)))
    + ") { totalCount } }",
    f"list literal: {fill(1)} items": "{ districts(first: 1, after: [" + "1 " * fill(1) + "]) { totalCount } }",
    f"object literal: {fill(3)} fields": "{ node(id: {" + " ".join(f"f{i}: 1" for i in range(fill(3))) + "}) { id } }",
    f"variables: {fill(4)} declared": "query("
    + " ".join(f"$v{i}: Int" for i in range(fill(4)))
    + ") { me { username } }",
    "60 kB string literal": '{ node(id: "' + "x" * 60_000 + '") { id } }',
    "60 kB of comments": "# " + "x" * 60_000 + "\n{ me { username } }",
    "1 MB string literal": '{ node(id: "' + "x" * 1_000_000 + '") { id } }',
    "1 MB of comments": "# " + "x" * 1_000_000 + "\n{ me { username } }",
    "500 kB of blank lines": "\n" * 500_000 + "{ me { username } }",
}


async def test_hostile_documents_cpu(api: Api) -> None:
    print(f"\n{'document':52s} {'bytes':>7s} {'CPU ms':>8s}  answer")
    for name, document in HOSTILE.items():
        best = float("inf")
        answer = ""
        for _ in range(RUNS):
            start = time.process_time()
            response = await api.client.post("/graphql", json={"query": document})
            best = min(best, (time.process_time() - start) * 1000)
            assert response.status_code != 500, response.text[:300]
            body = response.json()
            codes = {(e.get("extensions") or {}).get("code") for e in body.get("errors") or ()}
            assert "INTERNAL_ERROR" not in codes, body["errors"][:1]
            answer = f"{response.status_code} " + (
                ",".join(sorted(str(c) for c in codes))
                or (body["errors"][0]["message"][:60] if body.get("errors") else "ok")
            )
        print(f"{name:52s} {len(document.encode()):7d} {best:8.1f}  {answer}")
