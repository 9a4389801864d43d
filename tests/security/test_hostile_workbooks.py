"""Uploaded workbooks are parsed as hostile input (issue 13, item 6).

A workbook is a zip of XML parts. XML that fails while the rows are read — entity expansion ("billion laughs"), an
external entity, a malformed or missing part — answered HTTP 500. Every such file is now refused whole with HTTP
422 and ``UNREADABLE_FILE`` (a Chinese reason, nothing of the file echoed), and nothing is written. openpyxl parses
with defusedxml (installed for it), so entities are refused, never expanded or fetched.
"""

from __future__ import annotations

import io
import uuid
import zipfile
from collections.abc import AsyncIterator, Callable

import openpyxl
import pytest

from api.ledger_files import SERVICE_COLUMNS
from models import Contract, Ledger
from tests.helpers import Api
from tests.security.sandbox import sandbox
from tests.security.support import assert_clean
from tests.test_ledger_entries import CLERK, gid, ledger_state, make_contract
from tests.test_ledger_files import csv_bytes, line, workbook

SHEET = "xl/worksheets/sheet1.xml"
STRINGS = "xl/sharedStrings.xml"
HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
)
TAIL = "</sheetData></worksheet>"
#: Ten levels of ten references each: 10⁹ "lol"s when expanded.
LAUGHS = (
    '<!DOCTYPE worksheet [<!ENTITY lol0 "lol">'
    + "".join(f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10))
    + "]>"
)
EXTERNAL = '<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'


def _cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def _replace(data: bytes, part: str, content: bytes | None) -> bytes:
    """The workbook ``data`` with ``part`` replaced by ``content`` (removed when ``None``)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename != part:
                target.writestr(info, source.read(info.filename))
        if content is not None:
            target.writestr(part, content)
    return out.getvalue()


SST = '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>{}</t></si></sst>'
STRINGS_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"


def _shared_strings(data: bytes, xml: str) -> bytes:
    """The workbook with a shared-strings part (declared in ``[Content_Types].xml``, so openpyxl reads it)."""
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        types = source.read("[Content_Types].xml").decode()
    override = f'<Override PartName="/{STRINGS}" ContentType="{STRINGS_TYPE}"/>'
    data = _replace(data, "[Content_Types].xml", types.replace("</Types>", override + "</Types>").encode())
    return _replace(data, STRINGS, ('<?xml version="1.0"?>' + xml).encode())


def _sheet(prolog: str, body: str) -> bytes:
    xml = HEAD.replace("<worksheet", prolog + "<worksheet", 1) if prolog else HEAD
    return (xml + body + TAIL).encode()


def _header_row() -> str:
    return '<row r="1">' + "".join(_cell(f"{chr(65 + i)}1", h) for i, h in enumerate(SERVICE_COLUMNS)) + "</row>"


#: name → builds the hostile file from a valid filled template.
HOSTILE: dict[str, Callable[[bytes], bytes]] = {
    "billion-laughs-in-a-row": lambda ok: _replace(
        ok, SHEET, _sheet(LAUGHS, _header_row() + '<row r="2">' + _cell("G2", "&lol9;") + "</row>")
    ),
    "external-entity-in-a-row": lambda ok: _replace(
        ok, SHEET, _sheet(EXTERNAL, _header_row() + '<row r="2">' + _cell("G2", "&xxe;") + "</row>")
    ),
    "billion-laughs-in-shared-strings": lambda ok: _shared_strings(
        ok, LAUGHS.replace("worksheet", "sst") + SST.format("&lol9;")
    ),
    "malformed-row-xml": lambda ok: _replace(
        ok, SHEET, (HEAD + _header_row() + '<row r="2"><c r="G2" t="inlineStr"><is><t>断了').encode()
    ),
    "number-cell-holding-text": lambda ok: _replace(
        ok, SHEET, _sheet("", _header_row() + '<row r="2"><c r="H2" t="n"><v>二</v></c></row>')
    ),
    "missing-workbook-part": lambda ok: _replace(ok, "xl/workbook.xml", None),
    "not-a-zip-but-pk": lambda ok: b"PK\x03\x04" + ok[4:200],
}


@pytest.fixture(scope="module", autouse=True)
async def _leave_no_trace(api: Api) -> AsyncIterator[None]:
    """This module's contracts, ledgers and accounts are removed afterwards (see :mod:`tests.security.sandbox`)."""
    async with sandbox():
        yield


@pytest.fixture
async def open_contract() -> tuple[Contract, Ledger]:
    contract, ledger = await make_contract(year=2092)
    assert ledger is not None
    return contract, ledger


async def _upload(api: Api, contract: Contract, data: bytes, name: str) -> tuple[int, dict, str]:
    response = await api.client.post(
        f"/ledgers/{gid('Contract', contract.pk)}/import",
        files={"file": (name, data)},
        headers={
            "Authorization": f"Bearer {await api.token(CLERK)}",
            "Idempotency-Key": uuid.uuid4().hex,
            "If-Match": '"0"',
        },
    )
    assert_clean(response.text)
    return response.status_code, response.json(), response.text


def test_openpyxl_parses_with_defusedxml() -> None:
    assert openpyxl.DEFUSEDXML is True


@pytest.mark.parametrize("name", sorted(HOSTILE))
async def test_hostile_workbook_is_a_typed_422_and_writes_nothing(
    api: Api, open_contract: tuple[Contract, Ledger], name: str
) -> None:
    contract, ledger = open_contract
    valid = workbook([await line()])
    before = await ledger_state(ledger)
    status, body, text = await _upload(api, contract, HOSTILE[name](valid), "台账.xlsx")
    assert status == 422, text[:500]
    assert body["ok"] is False
    assert body["written"] == 0
    assert [e["code"] for e in body["errors"]] == ["UNREADABLE_FILE"]
    assert "Excel" in body["errors"][0]["reason"]
    assert "lol" not in text
    assert "root:" not in text
    assert await ledger_state(ledger) == before
    # The same file, valid, is accepted: the refusal is about the hostile part only.
    status, body, text = await _upload(api, contract, valid, "台账.xlsx")
    assert status == 200, text[:500]


async def test_csv_with_an_overlong_cell_is_a_typed_422(api: Api, open_contract: tuple[Contract, Ledger]) -> None:
    contract, ledger = open_contract
    data = csv_bytes([await line(服务内容="长" * 200_000)])
    before = await ledger_state(ledger)
    status, body, text = await _upload(api, contract, data, "台账.csv")
    assert status == 422, text[:500]
    assert [e["code"] for e in body["errors"]] in (["UNREADABLE_FILE"], ["TOO_LONG"])
    assert await ledger_state(ledger) == before
