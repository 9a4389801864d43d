"""The floor of ``make bench-compare``: what a read costs when one hand-written SQL statement builds the whole JSON
response in PostgreSQL and the server only passes it on (starlette + asyncpg, served like jiuzhu: gunicorn with
uvicorn workers on uvloop + httptools).

    .venv/bin/python -m tests.benchmarks.floor --url postgres://…/jiuzhu_bench_large --port 8100 --workers 2

``POST /graphql`` takes the same JSON bodies as jiuzhu and answers the operations ``Q1`` (a district agency's first
50 contracts, contractor name, first 20 service entries each) and ``Q3`` (``node(id:)`` of one contract, 10
scalars) with the same JSON jiuzhu returns, in primary-key order. No authentication: the district of Q1 is the
``district`` variable (a district code), as PostGraphile would be run without auth. Benchmark use only.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

#: Q1: the district's first 50 contracts by id, contractor name, first 20 service entries by id (LIMIT per parent).
Q1_SQL = """
SELECT json_build_object('data', json_build_object('contracts', json_build_object('nodes',
    coalesce(json_agg(page.node ORDER BY page.id), '[]'::json))))::text
FROM (
    SELECT c.id, json_build_object(
        'code', c.code,
        'contractor', CASE WHEN k.id IS NULL THEN NULL ELSE json_build_object('name', k.name) END,
        'serviceEntries', json_build_object('nodes', coalesce((
            SELECT json_agg(json_build_object(
                'serviceDate', e.service_date, 'quantity', e.quantity::text, 'unit', upper(e.unit),
                'content', e.content) ORDER BY e.id)
            FROM (SELECT * FROM ledger_service_entry WHERE contract_id = c.id ORDER BY id LIMIT 20) e
        ), '[]'::json))) AS node
    FROM contract c
    LEFT JOIN contractor k ON k.id = c.contractor_id
    WHERE c.district_id = $1
    ORDER BY c.id
    LIMIT 50
) page
"""

#: Q3: one contract's 10 scalars (and its global id, passed through).
Q3_SQL = """
SELECT json_build_object('data', json_build_object('node', json_build_object(
    'id', $2::text, 'code', c.code, 'title', c.title, 'scope', c.scope, 'subject', c.subject,
    'quantity', c.quantity, 'amount', c.amount::text, 'status', upper(c.status), 'signedOn', c.signed_on,
    'serviceStart', c.service_start, 'serviceEnd', c.service_end)))::text
FROM contract c WHERE c.id = $1
"""

pool: asyncpg.Pool | None = None


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    """One connection pool per worker."""
    global pool
    pool = await asyncpg.create_pool(os.environ["FLOOR_DATABASE_URL"], min_size=2, max_size=10)
    try:
        yield
    finally:
        await pool.close()


def contract_pk(global_id: str) -> int:
    """The primary key inside a ``Contract`` global id (base64 of ``Contract:<pk>``)."""
    from schema.relay import decode_id

    type_name, pk = decode_id(global_id)
    assert type_name == "Contract", type_name
    return int(pk)


async def graphql(request: Request) -> Response:
    """Answer Q1 or Q3 with one statement."""
    assert pool is not None
    body: dict[str, Any] = json.loads(await request.body())
    variables = body.get("variables") or {}
    operation = body.get("operationName")
    if operation == "Q1":
        text = await pool.fetchval(Q1_SQL, variables["district"])
    elif operation == "Q3":
        text = await pool.fetchval(Q3_SQL, contract_pk(variables["id"]), variables["id"])
        text = text or '{"data": {"node": null}}'
    else:
        return Response('{"errors": [{"message": "the floor answers Q1 and Q3 only"}]}', 400)
    return Response(text, media_type="application/json")


app = Starlette(routes=[Route("/graphql", graphql, methods=["POST"])], lifespan=lifespan)


def main() -> None:
    """Serve the floor with gunicorn and jiuzhu's worker class."""
    from api.serving import GunicornServer, JiuzhuWorker, bind_address, server_log_config

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="the PostgreSQL database")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    os.environ["FLOOR_DATABASE_URL"] = args.url
    options = {
        "bind": [bind_address("127.0.0.1", args.port)],
        "workers": args.workers,
        "worker_class": f"{JiuzhuWorker.__module__}.{JiuzhuWorker.__name__}",
        "reuse_port": True,
        "accesslog": None,
        "logconfig_dict": server_log_config("WARNING"),
        "control_socket_disable": True,
    }
    GunicornServer(options, "tests.benchmarks.floor:app").run()


if __name__ == "__main__":
    main()
