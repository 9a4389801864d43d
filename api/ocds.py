"""Public OCDS routes (第十三条): each published procurement project as an OCDS 1.1 release package and record package.

``GET /ocds/releases/{code}.json`` and ``GET /ocds/records/{code}.json`` need no token and read only what the public
may read (``policies.scope.public_rows``). A project that does not exist and one the public may not see (in
preparation) get the same 404, so the answer tells nothing about unpublished projects.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from models.ocds import build_releases, dumps, load_process, record_package, release_package
from policies.scope import public_rows

RELEASES = "/ocds/releases/{code}.json"
RECORDS = "/ocds/records/{code}.json"
MEDIA_TYPE = "application/json; charset=utf-8"
NOT_FOUND = {"error": {"code": "NOT_FOUND", "message": "未找到已公开的采购项目。"}}


def _url(request: Request, path: str, code: str) -> str:
    return str(request.base_url).rstrip("/") + path.format(code=code)


async def _releases(request: Request) -> tuple[str, list[dict]] | None:
    code = request.path_params["code"]
    process = await load_process(code, public_rows)
    return None if process is None else (code, build_releases(process))


#: Public, read-only, no credentials: any site may fetch it (re-publishers, dashboards in the browser).
HEADERS = {"Cache-Control": "public, max-age=60", "Access-Control-Allow-Origin": "*"}


def _json(document: dict) -> Response:
    return Response(dumps(document), media_type=MEDIA_TYPE, headers=HEADERS)


async def releases(request: Request) -> Response:
    """The release package of one published project."""
    found = await _releases(request)
    if found is None:
        return JSONResponse(NOT_FOUND, status_code=404)
    code, items = found
    return _json(release_package(items, uri=_url(request, RELEASES, code)))


async def records(request: Request) -> Response:
    """The record package (all releases and the compiled release) of one published project."""
    found = await _releases(request)
    if found is None:
        return JSONResponse(NOT_FOUND, status_code=404)
    code, items = found
    uri, package_uri = _url(request, RECORDS, code), _url(request, RELEASES, code)
    return _json(record_package(items, uri=uri, release_package_uri=package_uri))


routes = [
    Route(RELEASES, releases, methods=["GET"], name="ocds_releases"),
    Route(RECORDS, records, methods=["GET"], name="ocds_records"),
]
