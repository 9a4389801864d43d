"""Ledger workbooks over HTTP: the template with Chinese headers; import of a filled .xlsx or .csv (every row
checked, nothing written on any error, the error listing row, column and reason; idempotent; an optional
If-Match, "at least" the ledger version; its own 20 MiB limit); export of a ledger or a district's ledgers to
.xlsx/.csv within the caller's scope, ID numbers masked exactly as the API masks them."""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid
from decimal import Decimal
from typing import Any

import httpx
import pytest
from openpyxl import Workbook, load_workbook

from api.ledger_files import FUND_COLUMNS, SERVICE_COLUMNS
from models import Contract, Ledger
from models.enums import ContractStatus
from models.timeutil import today
from tests.helpers import Api
from tests.test_ledger_entries import (
    AGENCY,
    CLERK,
    gid,
    ledger_state,
    make_contract,
    new_id_number,
    township,
)

HEADERS = list(SERVICE_COLUMNS)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
async def open_contract() -> tuple[Contract, Ledger]:
    """A fresh contract in performance with an empty ledger (plans of 2093)."""
    contract, ledger = await make_contract(year=2093)
    assert ledger is not None
    return contract, ledger


async def line(**overrides: Any) -> dict[str, Any]:
    """One template row, by Chinese header."""
    values: dict[str, Any] = {
        "服务日期": today() - dt.timedelta(days=5),
        "服务项目编码": "S06",
        "服务对象身份证号": None,
        "服务对象姓名": None,
        "救助类别": "特困",
        "乡镇代码": await township(),
        "服务内容": "上门照料",
        "数量": 2,
        "单位": "小时",
        "服务人员": "李娜",
        "服务成效": "良好",
        "满意度": 5,
        "佐证材料": "照片-1；签字单-1",
    }
    values.update(overrides)
    return values


def workbook(lines: list[dict[str, Any]], funds: list[list[Any]] | None = None) -> bytes:
    """A filled template."""
    wb = Workbook()
    ws = wb.active
    ws.title = "服务记录"
    ws.append(HEADERS)
    for values in lines:
        ws.append([values.get(h) for h in HEADERS])
    if funds is not None:
        sheet = wb.create_sheet("资金记录")
        sheet.append(list(FUND_COLUMNS))
        for row in funds:
            sheet.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def csv_bytes(lines: list[dict[str, Any]], encoding: str = "utf-8-sig") -> bytes:
    """The same rows as a CSV."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADERS)
    for values in lines:
        writer.writerow(["" if values.get(h) is None else values.get(h) for h in HEADERS])
    return out.getvalue().encode(encoding)


async def upload(
    api: Api,
    contract: Contract,
    data: bytes,
    *,
    user: str | None = CLERK,
    version: int | None = 0,
    key: str | None = "auto",
    name: str = "台账.xlsx",
    raw: bool = False,
    extra_headers: dict[str, str] | None = None,
) -> httpx.Response:
    """POST a file to the import route."""
    headers: dict[str, str] = {}
    if user is not None:
        headers["Authorization"] = f"Bearer {await api.token(user)}"
    if version is not None:
        headers["If-Match"] = f'"{version}"'
    if key is not None:
        headers["Idempotency-Key"] = uuid.uuid4().hex if key == "auto" else key
    headers.update(extra_headers or {})
    url = f"/ledgers/{gid('Contract', contract.pk)}/import"
    if raw:
        ctype = "text/csv" if name.endswith(".csv") else XLSX
        return await api.client.post(url, content=data, headers={"Content-Type": ctype, **headers})
    return await api.client.post(url, files={"file": (name, data)}, headers=headers)


async def download(api: Api, path: str, user: str | None) -> httpx.Response:
    """GET an export or the template."""
    headers = {"Authorization": f"Bearer {await api.token(user)}"} if user else {}
    return await api.client.get(path, headers=headers)


def sheet_rows(content: bytes, sheet: str) -> list[list[Any]]:
    """The rows of one sheet of a downloaded workbook."""
    wb = load_workbook(io.BytesIO(content), read_only=True)
    try:
        return [list(r) for r in wb[sheet].iter_rows(values_only=True)]
    finally:
        wb.close()


async def test_template_has_the_chinese_headers(api: Api) -> None:
    response = await download(api, "/ledgers/template.xlsx", None)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    wb = load_workbook(io.BytesIO(response.content))
    assert wb.sheetnames == ["服务记录", "资金记录", "填写说明"]
    assert [c.value for c in wb["服务记录"][1]] == [
        "服务日期",
        "服务项目编码",
        "服务对象身份证号",
        "服务对象姓名",
        "救助类别",
        "乡镇代码",
        "服务内容",
        "数量",
        "单位",
        "服务人员",
        "服务成效",
        "满意度",
        "佐证材料",
    ]
    assert [c.value for c in wb["资金记录"][1]] == ["日期", "金额", "收支", "用途", "凭证号"]


async def test_import_a_workbook_then_retry_it(api: Api, open_contract: tuple[Contract, Ledger]) -> None:
    contract, ledger = open_contract
    person = new_id_number()
    lines = [
        await line(服务对象身份证号=person, 服务对象姓名="陈阿婆"),
        await line(数量=1.5, 服务日期=(today() - dt.timedelta(days=2)).isoformat(), 单位="次"),
    ]
    data = workbook(lines, funds=[[today() - dt.timedelta(days=1), 15000, "收入", "首期款", "收-001"]])
    key = str(uuid.uuid4())
    first = await upload(api, contract, data, key=key)
    assert first.status_code == 200, first.text
    assert first.json() == {
        "ok": True,
        "contract": gid("Contract", contract.pk),
        "version": 1,
        "serviceEntries": 2,
        "fundEntries": 1,
        "beneficiariesCreated": 1,
    }
    assert first.headers["etag"] == '"1"'
    assert await ledger_state(ledger) == (1, 2, 1)

    again = await upload(api, contract, data, key=key)  # the upload timed out on the clerk's side: sent again
    assert again.status_code == 200
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert await ledger_state(ledger) == (1, 2, 1)


async def test_one_bad_row_writes_nothing_and_names_row_column_reason(
    api: Api, open_contract: tuple[Contract, Ledger]
) -> None:
    contract, ledger = open_contract
    lines = [await line(), await line(数量="两小时"), await line(), await line(服务项目编码="A01")]
    response = await upload(api, contract, workbook(lines))
    assert response.status_code == 422
    body = response.json()
    assert body["ok"] is False
    assert body["written"] == 0
    assert [(e["sheet"], e["row"], e["column"], e["code"]) for e in body["errors"]] == [
        ("服务记录", 3, "数量", "INVALID_QUANTITY"),
        ("服务记录", 5, "服务项目编码", "ITEM_NOT_IN_CONTRACT"),
    ]
    assert "不是数字" in body["errors"][0]["reason"]
    assert await ledger_state(ledger) == (0, 0, 0)


async def test_cells_excel_gets_wrong_are_explained(api: Api, open_contract: tuple[Contract, Ledger]) -> None:
    contract, ledger = open_contract
    number = new_id_number()
    lines = [
        await line(服务对象身份证号=int(number[:17]), 服务对象姓名="数字号"),  # typed into a number cell
        await line(服务日期="三月一日"),
        await line(救助类别="五保"),
        await line(服务日期=today() - dt.timedelta(days=900)),
        await line(乡镇代码=await township("321203")),
    ]
    body = (await upload(api, contract, workbook(lines))).json()
    assert [(e["row"], e["column"], e["code"]) for e in body["errors"]] == [
        (2, "服务对象身份证号", "INVALID_ID_NUMBER"),
        (3, "服务日期", "INVALID_DATE"),
        (4, "救助类别", "INVALID"),
        (5, "服务日期", "OUTSIDE_SERVICE_PERIOD"),
        (6, "乡镇代码", "TOWNSHIP_OUTSIDE_DISTRICT"),
    ]
    assert "文本" in body["errors"][0]["reason"]
    assert await ledger_state(ledger) == (0, 0, 0)


async def test_headers_must_be_the_templates(api: Api, open_contract: tuple[Contract, Ledger]) -> None:
    contract, ledger = open_contract
    wb = Workbook()
    ws = wb.active
    ws.append(["服务日期", "项目", "数量"])
    ws.append([today(), "S06", 1])
    out = io.BytesIO()
    wb.save(out)
    body = (await upload(api, contract, out.getvalue())).json()
    found = {(e["row"], e["column"], e["code"]) for e in body["errors"]}
    assert (1, "项目", "UNKNOWN_COLUMN") in found
    assert (1, "服务项目编码", "MISSING_COLUMN") in found
    garbage = await upload(api, contract, b"PK\x03\x04 not really a zip")
    assert garbage.status_code == 422
    assert garbage.json()["errors"][0]["code"] == "UNREADABLE_FILE"
    assert await ledger_state(ledger) == (0, 0, 0)


@pytest.mark.parametrize(("encoding", "raw"), [("utf-8-sig", False), ("gb18030", True)])
async def test_csv_import(api: Api, open_contract: tuple[Contract, Ledger], encoding: str, raw: bool) -> None:
    contract, ledger = open_contract
    lines = [await line(), await line(服务日期=(today() - dt.timedelta(days=1)).strftime("%Y/%m/%d"))]
    response = await upload(api, contract, csv_bytes(lines, encoding), name="台账.csv", raw=raw)
    assert response.status_code == 200, response.text
    assert response.json()["serviceEntries"] == 2
    assert await ledger_state(ledger) == (1, 2, 0)


async def test_import_preconditions_and_access(api: Api, open_contract: tuple[Contract, Ledger]) -> None:
    contract, ledger = open_contract
    data = workbook([await line()])
    assert (await upload(api, contract, data, key=None)).status_code == 400
    assert (await upload(api, contract, data, version=None, extra_headers={"If-Match": "3 or so"})).status_code == 400
    # An import only appends: If-Match is optional and means "at least" (a version never reached is 412).
    future = await upload(api, contract, data, version=7)
    assert future.status_code == 412
    assert future.json()["currentVersion"] == 0
    assert future.json()["errors"][0]["code"] == "VERSION_CONFLICT"
    assert future.headers["etag"] == '"0"'
    assert (await upload(api, contract, data, user=AGENCY)).status_code == 403
    assert (await upload(api, contract, data, user="anhe_clerk")).status_code == 404
    assert (await upload(api, contract, data, user=None)).status_code == 401
    bad_token = await upload(api, contract, data, user=None, extra_headers={"Authorization": "Bearer nope"})
    assert bad_token.status_code == 401
    octets = {"Content-Type": "application/octet-stream"}
    odd = await upload(api, contract, b"hello", raw=True, extra_headers=octets)
    assert odd.status_code == 415, odd.text
    assert await ledger_state(ledger) == (0, 0, 0)
    for version in (None, 0, 1):  # none, an older one, and the current one (issue 18: this was 428 without)
        imported = await upload(api, contract, data, version=version)
        assert imported.status_code == 200, imported.text
    assert imported.headers["etag"] == '"3"'
    star = await upload(api, contract, data, version=None, extra_headers={"If-Match": "*"})
    assert star.status_code == 200, star.text
    assert await ledger_state(ledger) == (4, 4, 0)

    accepted, _ = await make_contract(ContractStatus.ACCEPTED, year=2093)
    locked = await upload(api, accepted, data)
    assert locked.status_code == 409
    assert locked.json()["errors"][0]["code"] == "LEDGER_LOCKED"


async def test_uploads_above_one_mib_reach_the_route_and_its_own_limit_holds(
    api: Api, open_contract: tuple[Contract, Ledger]
) -> None:
    contract, ledger = open_contract
    base = await line(服务内容="照" * 1200)  # about 3.6 KB per row in UTF-8
    lines = [{**base, "服务日期": (today() - dt.timedelta(days=1 + i % 150)).isoformat()} for i in range(600)]
    data = csv_bytes(lines)
    assert len(data) > 2 * 1024 * 1024
    response = await upload(api, contract, data, name="big.csv")
    assert response.status_code == 200, response.text[:500]
    assert response.json()["serviceEntries"] == 600
    # Declared or streamed, more than 20 MiB is refused with 413.
    huge = await api.client.post(
        f"/ledgers/{gid('Contract', contract.pk)}/import",
        content=b"x" * (20 * 1024 * 1024 + 1),
        headers={
            "Authorization": f"Bearer {await api.token(CLERK)}",
            "Idempotency-Key": "k-huge",
            "If-Match": "1",
            "Content-Type": "text/csv",
        },
    )
    assert huge.status_code == 413
    # The app-wide 1 MiB limit still holds everywhere else.
    graphql = await api.client.post("/graphql", content=b"{" + b" " * (1024 * 1024 + 10) + b"}")
    assert graphql.status_code == 413
    assert (await ledger_state(ledger))[1] == 600


# --- export ----------------------------------------------------------------------------------------------------


@pytest.fixture
async def exported() -> dict[str, Any]:
    """A ledger with two entries (one person, one amended entry) and a fund entry, written through the API path."""
    from models import ServiceEntry
    from models.enums import AssistanceCategory, EntryKind, FundDirection, ServiceUnit
    from models.ledgers import Correction, FundRow, ServiceRow, Submission, submit
    from models.rules import Actor

    contract, ledger = await make_contract(year=2094)
    assert ledger is not None
    number = new_id_number()
    code = await township()
    row = ServiceRow(
        service_date=today() - dt.timedelta(days=3),
        catalogue_item_code="S06",
        assistance_category=AssistanceCategory.TEKUN,
        township=code,
        content="上门照料",
        quantity=Decimal("2"),
        unit=ServiceUnit.HOURS,
        staff="李娜",
        beneficiary_id_number=number,
        beneficiary_name="韩奶奶",
    )
    actor = Actor(user_id=None, name="测试")
    result = await submit(
        ledger,
        Submission(
            service_rows=[row, row],
            fund_rows=[FundRow(today(), Decimal("99.50"), FundDirection.SPENT, "交通补贴", "付-1")],
            may_create_beneficiaries=True,
        ),
        actor=actor,
    )
    original = await ServiceEntry.get(pk=result.service_entry_ids[1])
    await submit(
        ledger,
        Submission(correction=Correction(original=original, kind=EntryKind.REVERSAL, reason="重复")),
        actor=actor,
    )
    return {"contract": contract, "number": number, "masked": number[:4] + "*" * 10 + number[-4:]}


@pytest.mark.parametrize(
    ("user", "clear"),
    [(AGENCY, True), ("hailing_purchaser", False), ("city_civil_affairs", False), (CLERK, False)],
)
async def test_export_masks_as_the_api_does(api: Api, exported: dict[str, Any], user: str, clear: bool) -> None:
    contract = exported["contract"]
    response = await download(api, f"/ledgers/{gid('Contract', contract.pk)}/export.xlsx", user)
    assert response.status_code == 200, response.text
    assert "attachment" in response.headers["content-disposition"]
    service = sheet_rows(response.content, "服务记录")
    assert service[0][:13] == HEADERS
    assert len(service) == 2  # current view: the reversed duplicate is gone
    number = service[1][2]
    assert number == (exported["number"] if clear else exported["masked"])
    assert service[1][3] == "韩奶奶"
    assert service[1][4] == "特困"
    funds = sheet_rows(response.content, "资金记录")
    assert funds[1][0].date() == today()
    assert funds[1][1:5] == [99.5, "支出", "交通补贴", "付-1"]

    history = await download(api, f"/ledgers/{gid('Contract', contract.pk)}/export.csv?view=history", user)
    assert history.status_code == 200
    text = history.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:13] == HEADERS
    assert [r[14] for r in rows[1:]] == ["原始记录", "原始记录", "冲销"]
    assert {r[2] for r in rows[1:]} == {exported["number"] if clear else exported["masked"]}
    assert (exported["number"] in text) is clear


@pytest.mark.parametrize("user", ["city_finance", "hailing_finance"])
async def test_finance_exports_fund_entries_only(api: Api, exported: dict[str, Any], user: str) -> None:
    contract = exported["contract"]
    response = await download(api, f"/ledgers/{gid('Contract', contract.pk)}/export.xlsx", user)
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(response.content), read_only=True)
    assert wb.sheetnames == ["资金记录"]
    wb.close()
    assert exported["number"][-4:] not in response.content.decode("latin-1")
    csv_service = await download(api, f"/ledgers/{gid('Contract', contract.pk)}/export.csv", user)
    assert csv_service.status_code == 404
    csv_funds = await download(api, f"/ledgers/{gid('Contract', contract.pk)}/export.csv?entries=fund", user)
    assert csv_funds.status_code == 200
    assert "交通补贴" in csv_funds.content.decode("utf-8-sig")


@pytest.mark.parametrize(("user", "status"), [("anhe_clerk", 404), ("gaogang_agency", 404), (None, 401)])
async def test_export_outside_scope(api: Api, exported: dict[str, Any], user: str | None, status: int) -> None:
    contract = exported["contract"]
    for fmt in ("xlsx", "csv"):
        response = await download(api, f"/ledgers/{gid('Contract', contract.pk)}/export.{fmt}", user)
        assert response.status_code == status
        assert exported["number"] not in response.text


async def test_district_export_is_for_the_districts_agency(api: Api, exported: dict[str, Any]) -> None:
    contract = exported["contract"]
    response = await download(api, "/ledgers/export.xlsx?district=321202", AGENCY)
    assert response.status_code == 200
    service = sheet_rows(response.content, "服务记录")
    assert service[0][13] == "合同编号"
    mine = [r for r in service[1:] if r[13] == contract.code]
    assert [r[2] for r in mine] == [exported["number"]]
    assert {r[13] for r in service[1:]} > {contract.code}  # the seeded ledgers of 321202 are there too
    csv_export = await download(api, "/ledgers/export.csv?district=321202&view=history", AGENCY)
    assert csv_export.status_code == 200
    assert exported["number"] in csv_export.content.decode("utf-8-sig")
    for user, path in [
        ("hailing_purchaser", "/ledgers/export.xlsx?district=321202"),
        (CLERK, "/ledgers/export.xlsx?district=321202"),
        ("gaogang_agency", "/ledgers/export.xlsx?district=321202"),
        ("city_finance", "/ledgers/export.csv?district=321202"),
    ]:
        refused = await download(api, path, user)
        assert refused.status_code == 403, user
        assert exported["number"] not in refused.text
    assert (await download(api, "/ledgers/export.xlsx?district=32", AGENCY)).status_code == 400
