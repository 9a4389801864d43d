"""Ledger exports are safe to open (issue 13, items 2 and 3).

A contractor writes the text of its ledger entries; the district agency opens the exports in Excel or WPS. So no
exported text may start a formula (``=cmd|' /C calc'!A0``, ``=HYPERLINK(…)``, ``+SUM(…)``, ``@…``, ``-2+3``, a
leading tab or carriage return): it is prefixed with ``'`` (OWASP CSV-injection rule) in every CSV and XLSX export,
contract and district, current and history views, and XLSX text cells are string cells, never formulas. Numbers
stay numbers (a reversal's negative amount is not text). The importer takes the ``'`` off again, so an export
copied into the template and imported gives back the same text.

And one stored character that XML 1.0 cannot hold (``\\x01``, ``\\x07``, ``\\x1b`` …) must not break the export of
a ledger or of the whole district (it was HTTP 500): it comes out as U+FFFD.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import uuid
import zipfile
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any
from xml.etree import ElementTree

import pytest
from openpyxl import Workbook, load_workbook

from api.ledger_files import SERVICE_COLUMNS
from models import FundEntry, ServiceEntry
from models.enums import AssistanceCategory, EntryKind, FundDirection, ServiceUnit
from models.ledgers import Correction, FundRow, ServiceRow, Submission, submit
from models.rules import Actor
from models.timeutil import today
from tests.helpers import Api
from tests.security.sandbox import sandbox
from tests.security.support import assert_clean
from tests.test_ledger_entries import AGENCY, CLERK, HAILING, gid, make_contract, township

#: What makes a spreadsheet read a cell as a formula (OWASP): never the first character of exported text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
MAIN_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
ACTOR = Actor(user_id=None, name="安全测试")


@pytest.fixture(scope="module", autouse=True)
async def _leave_no_trace(api: Api) -> AsyncIterator[None]:
    """This module's contracts, ledgers and accounts are removed afterwards (see :mod:`tests.security.sandbox`)."""
    async with sandbox():
        yield


HOSTILE = {
    "content": "=cmd|' /C calc'!A0",
    "staff": "+SUM(1,2)",
    "outcome": "@SUM(A1:A2)",
    "evidence": '=HYPERLINK("http://evil.example/x","点我")',
    "purpose": "-2+3",
    "voucher": "=1+1",
    "reason": "@重复录入",
}


def exports(contract_id: str) -> list[str]:
    """Every export a district agency can download of this contract's ledger and of its district."""
    paths = []
    for view in ("current", "history"):
        for base in (f"/ledgers/{contract_id}/export", "/ledgers/export"):
            query = f"?view={view}" + ("&district=" + HAILING if base == "/ledgers/export" else "")
            paths += [f"{base}.xlsx{query}", f"{base}.csv{query}", f"{base}.csv{query}&entries=fund"]
    return paths


async def download(api: Api, path: str, user: str = AGENCY) -> bytes:
    response = await api.client.get(path, headers={"Authorization": f"Bearer {await api.token(user)}"})
    assert_clean(response.text if "csv" in path else response.headers.get("content-type", ""))
    assert response.status_code == 200, (path, response.status_code, response.text[:300])
    return response.content


def xlsx_cells(content: bytes) -> list[list[Any]]:
    """Every row of every sheet, and a check of the raw XML: no formula, no error value, text as strings."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                root = ElementTree.fromstring(archive.read(name))
                for cell in root.iter(f"{MAIN_NS}c"):
                    assert cell.find(f"{MAIN_NS}f") is None, f"formula cell {cell.get('r')} in {name}"
                    assert cell.get("t") not in ("e", "str"), f"cell {cell.get('r')} of type {cell.get('t')}"
    wb = load_workbook(io.BytesIO(content), read_only=True)
    try:
        return [list(row) for ws in wb.worksheets for row in ws.iter_rows(values_only=True)]
    finally:
        wb.close()


def csv_cells(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))


def cells_of(path: str, content: bytes) -> list[list[Any]]:
    return xlsx_cells(content) if ".xlsx" in path else csv_cells(content)


def assert_inert(path: str, rows: list[list[Any]]) -> None:
    """No cell of an export may start a formula; only a CSV number may start with ``-``."""
    for row in rows:
        for value in row:
            if not isinstance(value, str) or not value.startswith(FORMULA_STARTS):
                continue
            assert ".csv" in path, f"{path}: cell {value!r} would run as a formula"
            assert NUMBER.match(value), f"{path}: cell {value!r} would run as a formula"


async def _ledger_with(
    content: str, staff: str, outcome: str, evidence: tuple[str, ...], purpose: str, voucher: str, reason: str
) -> tuple[Any, Any, ServiceEntry, FundEntry]:
    """A fresh ledger with one service entry and two fund entries, the second reversed (a negative amount)."""
    contract, ledger = await make_contract(year=2091)
    assert ledger is not None
    row = ServiceRow(
        service_date=today() - dt.timedelta(days=4),
        catalogue_item_code="S06",
        assistance_category=AssistanceCategory.TEKUN,
        township=await township(),
        content=content,
        quantity=Decimal("1.5"),
        unit=ServiceUnit.HOURS,
        staff=staff,
        outcome=outcome,
        satisfaction=4,
        evidence_refs=evidence,
    )
    day = today() - dt.timedelta(days=1)
    funds = [
        FundRow(day, Decimal("120.00"), FundDirection.SPENT, purpose, voucher),
        FundRow(day, Decimal("99.50"), FundDirection.SPENT, "误录", f"付-{uuid.uuid4().hex[:6]}"),
    ]
    result = await submit(ledger, Submission(service_rows=[row], fund_rows=funds), actor=ACTOR)
    fund_entry = await FundEntry.get(pk=result.fund_entry_ids[0])
    mistaken = await FundEntry.get(pk=result.fund_entry_ids[1])
    correction = Correction(original=mistaken, kind=EntryKind.REVERSAL, reason=reason)
    await submit(ledger, Submission(correction=correction), actor=ACTOR)
    service_entry = await ServiceEntry.get(pk=result.service_entry_ids[0])
    return contract, ledger, service_entry, fund_entry


async def test_no_export_lets_ledger_text_run_as_a_formula(api: Api) -> None:
    contract, _, service_entry, _ = await _ledger_with(
        HOSTILE["content"],
        HOSTILE["staff"],
        HOSTILE["outcome"],
        (HOSTILE["evidence"], "照片-1"),
        HOSTILE["purpose"],
        HOSTILE["voucher"],
        HOSTILE["reason"],
    )
    # A leading tab, as stored text may hold it, and a text openpyxl would otherwise write as an error value.
    await ServiceEntry.filter(pk=service_entry.pk).update(outcome="\t=1+2", correction_reason="#N/A")

    contract_id = gid("Contract", contract.pk)
    for path in exports(contract_id):
        content = await download(api, path)
        rows = cells_of(path, content)
        assert_inert(path, rows)
        flat = [v for r in rows for v in r]
        if "entries=fund" in path or ".xlsx" in path:
            assert "'" + HOSTILE["purpose"] in flat, path
            assert "'" + HOSTILE["voucher"] in flat, path
            if "history" in path:
                assert "'" + HOSTILE["reason"] in flat, path
                negative = -99.5 if ".xlsx" in path else "-99.50"
                assert negative in flat, f"{path}: the reversal's amount must stay a number"
        if "entries=fund" not in path:
            assert "'" + HOSTILE["content"] in flat, path
            assert "'" + HOSTILE["staff"] in flat, path
            assert "'\t=1+2" in flat, path
            assert f"'{HOSTILE['evidence']}；照片-1" in flat, path
            assert "#N/A" in flat, path  # as text (xlsx_cells refuses an error cell)


async def test_the_template_holds_no_formula(api: Api) -> None:
    response = await api.client.get("/ledgers/template.xlsx")
    assert response.status_code == 200
    assert_inert("template.xlsx", xlsx_cells(response.content))


async def test_stored_control_characters_do_not_break_any_export(api: Api) -> None:
    contract, _, service_entry, fund_entry = await _ledger_with(
        "上门照料", "李娜", "良好", ("照片-1",), "交通补贴", "付-1", "重复"
    )
    # Written around the API, as rows stored before input refused control characters would be.
    await ServiceEntry.filter(pk=service_entry.pk).update(
        content="上门\x01照料\x07完成\x1b", staff="李\x0b娜", evidence_refs=["照片\x02-1"]
    )
    await FundEntry.filter(pk=fund_entry.pk).update(purpose="交通\x0c补贴", voucher_number="\x1f付-1")

    contract_id = gid("Contract", contract.pk)
    for path in exports(contract_id):
        content = await download(api, path)
        rows = cells_of(path, content)
        text = "\n".join(str(v) for r in rows for v in r)
        assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", text), path
        if "entries=fund" in path or ".xlsx" in path:
            assert "交通\ufffd补贴" in text, path
            assert "\ufffd付-1" in text, path
        if "entries=fund" not in path:
            assert "上门\ufffd照料\ufffd完成\ufffd" in text, path
            assert "李\ufffd娜" in text, path


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
async def test_an_export_copied_into_the_template_imports_the_same_text(api: Api, fmt: str) -> None:
    contract, _, service_entry, _ = await _ledger_with(
        HOSTILE["content"],
        HOSTILE["staff"],
        HOSTILE["outcome"],
        (HOSTILE["evidence"], "-照片"),
        HOSTILE["purpose"],
        HOSTILE["voucher"],
        HOSTILE["reason"],
    )
    content = await download(api, f"/ledgers/{gid('Contract', contract.pk)}/export.{fmt}", CLERK)
    rows = xlsx_cells(content) if fmt == "xlsx" else csv_cells(content)
    header = list(SERVICE_COLUMNS)
    assert rows[0][: len(header)] == header
    exported = rows[1][: len(header)]
    assert exported[header.index("服务内容")] == "'" + HOSTILE["content"]

    # The clerk copies the template's columns of the export into a new file and imports it into another ledger.
    target, target_ledger = await make_contract(year=2091)
    assert target_ledger is not None
    if fmt == "xlsx":
        wb = Workbook()
        ws = wb.active
        ws.title = "服务记录"
        ws.append(header)
        ws.append(exported)
        out = io.BytesIO()
        wb.save(out)
        data, name = out.getvalue(), "台账.xlsx"
    else:
        text = io.StringIO()
        csv.writer(text).writerows([header, exported])
        data, name = text.getvalue().encode("utf-8-sig"), "台账.csv"
    response = await api.client.post(
        f"/ledgers/{gid('Contract', target.pk)}/import",
        files={"file": (name, data)},
        headers={
            "Authorization": f"Bearer {await api.token(CLERK)}",
            "Idempotency-Key": uuid.uuid4().hex,
            "If-Match": '"0"',
        },
    )
    assert response.status_code == 200, response.text
    imported = await ServiceEntry.get(ledger_id=target_ledger.pk)
    assert imported.content == service_entry.content == HOSTILE["content"]
    assert imported.staff == HOSTILE["staff"]
    assert imported.outcome == HOSTILE["outcome"]
    assert imported.evidence_refs == [HOSTILE["evidence"], "-照片"]
