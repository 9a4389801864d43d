"""Ledger workbooks (台账, 第十四条): the template, import of a filled workbook or CSV, export to .xlsx/.csv.

Clerks keep ledgers in Excel; these routes meet them there, with the same rules as the GraphQL mutations:

- ``GET  /ledgers/template.xlsx`` — the template: Chinese headers, allowed values, a sheet of instructions.
- ``POST /ledgers/{contract}/import`` — a filled ``.xlsx`` (sheets 服务记录 and, optionally, 资金记录) or a ``.csv``
  (service entries), as ``multipart/form-data`` (field ``file``) or as the raw body. Headers: ``Authorization:
  Bearer …``, ``Idempotency-Key`` (required: a retried upload answers with the first result) and ``If-Match:
  <ledger version>`` (required: 412 with the current version when someone wrote in between). Every row is
  checked; on any error nothing is written and the JSON lists sheet, row, column (the Chinese header) and reason.
  At most 20 MiB (:data:`MAX_IMPORT_BYTES`, enforced here: the app-wide 1 MiB limit of ``BodyLimit`` exempts
  this path) and 100,000 rows per sheet.
- ``GET  /ledgers/{contract}/export.xlsx`` / ``export.csv`` — one ledger, ``?view=current|history`` (default
  current); the CSV holds service entries (``?entries=fund`` for fund entries).
- ``GET  /ledgers/export.xlsx?district=321202`` / ``export.csv`` — every ledger of a district, for its
  implementing agency (policy ``export`` on ``ledger``).

Exports list only rows the caller may read (``policies.scope.scoped``) and mask ID numbers exactly as the API
does (:func:`schema.ledgers.sees_pii`). Large files stream: openpyxl write-only/read-only modes, rows read in
keyset chunks, the CPU-bound work in a worker thread so the event loop keeps serving.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
import tempfile
import zipfile
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote

import anyio
from openpyxl import Workbook, load_workbook
from openpyxl.utils.datetime import from_excel
from openpyxl.worksheet.datavalidation import DataValidation
from starlette.background import BackgroundTask
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import Message

from api.auth import Authenticator, AuthError
from api.observability import set_caller
from models import Beneficiary, CatalogueItem, Contract, FundEntry, ServiceEntry
from models import ledgers as rules
from models.enums import AssistanceCategory, EntryKind, FundDirection, ServiceUnit
from models.geography import DISTRICT_CODE_HINT, is_district_code
from models.ledgers import FUNDS, SERVICE, FundRow, RowProblem, ServiceRow, Submission
from models.rules import Problem, RuleViolation
from models.timeutil import SHANGHAI
from policies.enforcer import allowed
from policies.principal import Principal
from policies.scope import scoped
from schema.ledger_mutations import in_contractor_domains, writable_ledger
from schema.ledgers import sees_pii
from schema.mutation_support import actor_of, visible_row
from schema.relay import encode_id

MAX_IMPORT_BYTES = 20 * 1024 * 1024
#: Decompressed size of an uploaded workbook (a zip): refuses zip bombs before openpyxl opens them.
MAX_UNZIPPED_BYTES = 512 * 1024 * 1024
MAX_REPORTED_ERRORS = 1000
CHUNK = 5000
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

SERVICE_SHEET, FUND_SHEET, GUIDE_SHEET = "服务记录", "资金记录", "填写说明"
#: Template columns: header → field of :class:`models.ledgers.ServiceRow` (camelCase, as in API errors).
SERVICE_COLUMNS = {
    "服务日期": "serviceDate",
    "服务项目编码": "catalogueItemCode",
    "服务对象身份证号": "beneficiaryIdNumber",
    "服务对象姓名": "beneficiaryName",
    "救助类别": "assistanceCategory",
    "乡镇代码": "township",
    "服务内容": "content",
    "数量": "quantity",
    "单位": "unit",
    "服务人员": "staff",
    "服务成效": "outcome",
    "满意度": "satisfaction",
    "佐证材料": "evidenceRefs",
}
FUND_COLUMNS = {
    "日期": "entryDate",
    "金额": "amount",
    "收支": "direction",
    "用途": "purpose",
    "凭证号": "voucherNumber",
}
OPTIONAL = {"beneficiaryIdNumber", "beneficiaryName", "outcome", "satisfaction", "evidenceRefs"}
#: Export-only columns after the template's (an export is not meant to be imported again).
EXTRA_COLUMNS = ["记录ID", "记录类型", "更正的记录ID", "更正理由", "提交时间"]

CATEGORY_LABELS = {
    AssistanceCategory.DIBAO: "低保",
    AssistanceCategory.TEKUN: "特困",
    AssistanceCategory.TEMPORARY: "临时救助",
    AssistanceCategory.MARGINAL: "低保边缘/支出型贫困",
}
UNIT_LABELS = {ServiceUnit.HOURS: "小时", ServiceUnit.VISITS: "次", ServiceUnit.PERSONS: "人"}
DIRECTION_LABELS = {FundDirection.RECEIVED: "收入", FundDirection.SPENT: "支出"}
KIND_LABELS = {EntryKind.ORIGINAL: "原始记录", EntryKind.REVERSAL: "冲销", EntryKind.AMENDMENT: "更正"}


def _aliases(labels: dict[Any, str], extra: dict[str, Any]) -> dict[str, Any]:
    out = {label: member for member, label in labels.items()}
    out.update({member.value: member for member in labels})
    out.update({member.name.lower(): member for member in labels})
    out.update(extra)
    return out


CATEGORIES = _aliases(
    CATEGORY_LABELS, {"低保边缘": AssistanceCategory.MARGINAL, "支出型贫困": AssistanceCategory.MARGINAL}
)
UNITS = _aliases(UNIT_LABELS, {"时": ServiceUnit.HOURS, "人次": ServiceUnit.VISITS})
DIRECTIONS = _aliases(DIRECTION_LABELS, {"收": FundDirection.RECEIVED, "支": FundDirection.SPENT})


# --- responses ---------------------------------------------------------------------------------------------------


def _refusal(status: int, code: str, reason: str) -> JSONResponse:
    return JSONResponse({"ok": False, "errors": [{"code": code, "reason": reason}]}, status_code=status)


STATUS_OF = {
    "NOT_FOUND": 404,
    "FORBIDDEN": 403,
    "LEDGER_NOT_OPEN": 409,
    "LEDGER_LOCKED": 409,
    "INVALID_STATE": 409,
    "VERSION_CONFLICT": 412,
}


async def _principal(authenticator: Authenticator, request: Request, *, required: bool) -> Principal | Response:
    try:
        principal = await authenticator.authenticate_headers(
            request.headers.get("authorization"), request.headers.get("x-api-key")
        )
    except AuthError as exc:
        return JSONResponse(
            {"ok": False, "errors": [{"code": exc.code, "reason": exc.message}]},
            status_code=401,
            headers={"WWW-Authenticate": 'Bearer realm="jiuzhu", error="invalid_token"'},
        )
    set_caller(principal.username)  # the request's log line names the account (or API key prefix), never a token
    if required and not principal.authenticated:
        return JSONResponse(
            {
                "ok": False,
                "errors": [{"code": "UNAUTHENTICATED", "reason": "请先登录（Authorization: Bearer <令牌>）。"}],
            },
            status_code=401,
            headers={"WWW-Authenticate": 'Bearer realm="jiuzhu"'},
        )
    return principal


# --- template ----------------------------------------------------------------------------------------------------

GUIDE = [
    ("服务日期", "必填", "合同服务期内、不晚于今天的日期，如 2026-03-01"),
    ("服务项目编码", "必填", "本合同购买的目录项目编码，如 S06"),
    ("服务对象身份证号", "选填", "18位居民身份证号（请保持文本格式）；服务对象为个人时填写，须同时填写姓名"),
    ("服务对象姓名", "选填", "与身份证号登记的姓名一致；新对象按本行登记到合同所在区"),
    ("救助类别", "必填", "、".join(CATEGORY_LABELS.values())),
    ("乡镇代码", "必填", "合同所在区的9位乡镇（街道）代码，如 321202001"),
    ("服务内容", "必填", "最多2000字"),
    ("数量", "必填", "大于0，最多两位小数"),
    ("单位", "必填", "、".join(UNIT_LABELS.values())),
    ("服务人员", "必填", "最多200字"),
    ("服务成效", "选填", "最多2000字"),
    ("满意度", "选填", "1至5的整数"),
    ("佐证材料", "选填", "材料编号或链接，多项以分号（；）分隔，最多20项"),
    ("（资金记录）日期", "必填", "不早于合同签订日期、不晚于今天"),
    ("（资金记录）金额", "必填", "元，大于0，最多两位小数"),
    ("（资金记录）收支", "必填", "收入 或 支出"),
    ("（资金记录）用途", "必填", "最多2000字"),
    ("（资金记录）凭证号", "必填", "最多60字"),
]


def build_template() -> bytes:
    """The import template (small: an ordinary workbook with validations and text-formatted number columns)."""
    wb = Workbook()
    ws = wb.active
    ws.title = SERVICE_SHEET
    ws.append(list(SERVICE_COLUMNS))
    ws.freeze_panes = "A2"
    widths = [12, 12, 22, 12, 20, 12, 30, 8, 8, 16, 24, 8, 30]
    for index, width in enumerate(widths):
        letter = chr(ord("A") + index)
        ws.column_dimensions[letter].width = width
    for letter in ("B", "C", "F"):  # codes and ID numbers stay text (Excel would drop the last digits of an ID)
        ws.column_dimensions[letter].number_format = "@"
    last = rules.MAX_IMPORT_ROWS + 1
    for letter, values in (("E", CATEGORY_LABELS.values()), ("I", UNIT_LABELS.values()), ("L", "12345")):
        check = DataValidation(type="list", formula1='"' + ",".join(values) + '"', allow_blank=True)
        check.add(f"{letter}2:{letter}{last}")
        ws.add_data_validation(check)
    funds = wb.create_sheet(FUND_SHEET)
    funds.append(list(FUND_COLUMNS))
    funds.freeze_panes = "A2"
    funds.column_dimensions["E"].number_format = "@"
    check = DataValidation(type="list", formula1='"' + ",".join(DIRECTION_LABELS.values()) + '"', allow_blank=True)
    check.add(f"C2:C{rules.MAX_IMPORT_ROWS + 1}")
    funds.add_data_validation(check)
    guide = wb.create_sheet(GUIDE_SHEET)
    guide.append(["列", "是否必填", "说明"])
    for line in GUIDE:
        guide.append(list(line))
    guide.append([])
    guide.append(["", "", f"每个工作表最多{rules.MAX_IMPORT_ROWS}行，文件最大20MB；任何一行有误则整份文件不写入。"])
    guide.column_dimensions["A"].width = 22
    guide.column_dimensions["C"].width = 80
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# --- reading a workbook or CSV -------------------------------------------------------------------------------------


@dataclass
class ParsedFile:
    """Rows read from an upload, the problems of cells that could not be read, and where each row came from."""

    service_rows: list[ServiceRow] = field(default_factory=list)
    fund_rows: list[FundRow] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    row_numbers: dict[str, list[int]] = field(default_factory=lambda: {SERVICE: [], FUNDS: []})
    sheets: dict[str, str | None] = field(default_factory=lambda: {SERVICE: SERVICE_SHEET, FUNDS: FUND_SHEET})
    file_errors: list[dict[str, Any]] = field(default_factory=list)


class _CellError(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    text = str(value).strip()
    return text or None


DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d")


def _date(value: Any) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and 20000 < value < 80000:  # an Excel serial day not formatted as a date
        return from_excel(value).date()
    text = str(value).strip().split(" ")[0]
    for fmt in DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise _CellError("INVALID_DATE", f"无法识别的日期“{value}”，请填写如 2026-03-01 的日期。")


def _decimal(value: Any, code: str) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise _CellError(code, "应为数字。")
    try:
        number = Decimal(str(value).strip().replace(",", "").replace("，", ""))
    except InvalidOperation:
        raise _CellError(code, f"“{value}”不是数字。") from None
    if not number.is_finite():
        raise _CellError(code, f"“{value}”不是数字。")
    return number


def _int(value: Any) -> int | None:
    if value is None or value == "":
        return None
    number = _decimal(value, "INVALID")
    if number is None or number != number.to_integral_value():
        raise _CellError("INVALID", "满意度应为1至5的整数。")
    return int(number)


def _id_number(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, int | float):
        raise _CellError(
            "INVALID_ID_NUMBER",
            "身份证号被存成了数字（Excel会丢失末几位）：请把该列设为文本格式后重新填写。",
        )
    return str(value).strip().upper() or None


def _choice(table: dict[str, Any], label: str) -> Callable[[Any], Any]:
    allowed_values = "、".join(dict.fromkeys(k for k in table if not k.isascii()))

    def parse(value: Any) -> Any:
        text = _text(value)
        if text is None:
            return None
        found = table.get(text) or table.get(text.lower())
        if found is None:
            raise _CellError("INVALID", f"无法识别的{label}“{text}”，应为：{allowed_values}。")
        return found

    return parse


def _refs(value: Any) -> tuple[str, ...]:
    text = _text(value)
    return tuple(p.strip() for p in re.split(r"[;；\n]+", text) if p.strip()) if text else ()


SERVICE_PARSERS: dict[str, Callable[[Any], Any]] = {
    "serviceDate": _date,
    "catalogueItemCode": lambda v: (_text(v) or "").upper() or None,
    "beneficiaryIdNumber": _id_number,
    "beneficiaryName": _text,
    "assistanceCategory": _choice(CATEGORIES, "救助类别"),
    "township": _text,
    "content": _text,
    "quantity": lambda v: _decimal(v, "INVALID_QUANTITY"),
    "unit": _choice(UNITS, "单位"),
    "staff": _text,
    "outcome": _text,
    "satisfaction": _int,
    "evidenceRefs": _refs,
}
FUND_PARSERS: dict[str, Callable[[Any], Any]] = {
    "entryDate": _date,
    "amount": lambda v: _decimal(v, "INVALID_AMOUNT"),
    "direction": _choice(DIRECTIONS, "收支方向"),
    "purpose": _text,
    "voucherNumber": _text,
}
SERVICE_ATTRS = {camel: attr for attr, camel in rules.SERVICE_FIELDS.items()}
FUND_ATTRS = {camel: attr for attr, camel in rules.FUND_FIELDS.items()}


def _header_map(
    header: Sequence[Any], columns: dict[str, str], sheet: str | None, errors: list[dict[str, Any]]
) -> dict[int, str]:
    """Column index → field, from the header row (any order; unknown or missing columns are file errors)."""
    found: dict[int, str] = {}
    for index, cell in enumerate(header):
        name = re.sub(r"\s+", "", str(cell)) if cell is not None else ""
        if not name:
            continue
        if name not in columns:
            reason = f"未知的列“{name}”：请使用下载的模板（导出文件不能直接导入）。"
            errors.append({"sheet": sheet, "row": 1, "column": name, "code": "UNKNOWN_COLUMN", "reason": reason})
            continue
        found[index] = columns[name]
    present = set(found.values())
    for name, field_name in columns.items():
        if field_name not in present and field_name not in OPTIONAL:
            reason = f"缺少必填列“{name}”。"
            errors.append({"sheet": sheet, "row": 1, "column": name, "code": "MISSING_COLUMN", "reason": reason})
    return found


def _read_rows(rows: Any, section: str, sheet: str | None, parsed: ParsedFile, start_row: int = 2) -> None:
    """Rows after the header → ``parsed`` (blank rows skipped; unreadable cells become row problems)."""
    columns, parsers, attrs = (
        (SERVICE_COLUMNS, SERVICE_PARSERS, SERVICE_ATTRS)
        if section == SERVICE
        else (FUND_COLUMNS, FUND_PARSERS, FUND_ATTRS)
    )
    iterator = iter(rows)
    header = next(iterator, None)
    if header is None:
        return
    mapping = _header_map(header, columns, sheet, parsed.file_errors)
    target = parsed.service_rows if section == SERVICE else parsed.fund_rows
    for number, values in enumerate(iterator, start=start_row):
        if values is None or all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            continue
        if len(target) >= rules.MAX_IMPORT_ROWS:
            parsed.file_errors.append(
                {
                    "sheet": sheet,
                    "row": number,
                    "column": None,
                    "code": "TOO_MANY_ENTRIES",
                    "reason": f"每个工作表最多{rules.MAX_IMPORT_ROWS}行。",
                }
            )
            return
        index = len(target)
        kwargs: dict[str, Any] = {}
        for col, field_name in mapping.items():
            raw = values[col] if col < len(values) else None
            try:
                kwargs[attrs[field_name]] = parsers[field_name](raw)
            except _CellError as exc:
                kwargs[attrs[field_name]] = None
                parsed.problems.append(RowProblem(exc.code, exc.message, field_name, section=section, row=index))
        if section == SERVICE:
            values = {a: kwargs.get(a) for a in rules.SERVICE_FIELDS}
            values["outcome"] = values["outcome"] or ""
            values["evidence_refs"] = values["evidence_refs"] or ()
            row: Any = ServiceRow(**values)
        else:
            row = FundRow(**{a: kwargs.get(a) for a in rules.FUND_FIELDS})
        target.append(row)
        parsed.row_numbers[section].append(number)


def parse_xlsx(data: bytes) -> ParsedFile:
    """Read an uploaded workbook (read-only mode, streamed row by row)."""
    parsed = ParsedFile()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_UNZIPPED_BYTES:
                raise zipfile.BadZipFile("too large when unzipped")
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        reason = "无法读取该Excel文件：请上传由模板填写的 .xlsx 文件。"
        if "too large" in str(exc):
            reason = "该Excel文件解压后过大。"
        parsed.file_errors.append(
            {"sheet": None, "row": None, "column": None, "code": "UNREADABLE_FILE", "reason": reason}
        )
        return parsed
    try:
        names = wb.sheetnames
        service = (
            SERVICE_SHEET
            if SERVICE_SHEET in names
            else next((n for n in names if n not in (FUND_SHEET, GUIDE_SHEET)), None)
        )
        parsed.sheets[SERVICE] = service
        if service is not None:
            _read_rows(wb[service].iter_rows(values_only=True), SERVICE, service, parsed)
        if FUND_SHEET in names:
            _read_rows(wb[FUND_SHEET].iter_rows(values_only=True), FUNDS, FUND_SHEET, parsed)
    finally:
        wb.close()
    return parsed


def parse_csv(data: bytes) -> ParsedFile:
    """Read an uploaded CSV of service entries (UTF-8, with or without BOM, or GB18030 as Excel saves it)."""
    parsed = ParsedFile(sheets={SERVICE: None, FUNDS: None})
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes any byte string
        text = ""
    _read_rows(csv.reader(io.StringIO(text, newline="")), SERVICE, None, parsed)
    return parsed


# --- import --------------------------------------------------------------------------------------------------------


async def _read_limited(request: Request, limit: int) -> bytes | None:
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


async def _upload(request: Request, body: bytes) -> tuple[bytes, str, str] | Response:
    """The uploaded file's bytes, name and type, from a multipart form (field ``file``) or the raw body."""
    ctype = request.headers.get("content-type", "")
    if not ctype.startswith("multipart/form-data"):
        return body, request.query_params.get("filename", ""), ctype

    async def replay() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    try:
        form = await Request(request.scope, replay).form(max_files=1, max_fields=10)
    except MultiPartException as exc:
        return _refusal(400, "INVALID_UPLOAD", f"上传内容格式错误：{exc.message}")
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        upload = next((v for v in form.values() if isinstance(v, UploadFile)), None)
    if upload is None:
        return _refusal(400, "INVALID_UPLOAD", "请在表单字段 file 中上传 .xlsx 或 .csv 文件。")
    data = await upload.read()
    await form.close()
    return data, upload.filename or "", upload.content_type or ""


def _kind(data: bytes, name: str, ctype: str) -> str | None:
    name = name.lower()
    if name.endswith(".xlsx") or XLSX in ctype or data[:2] == b"PK":
        return "xlsx"
    if name.endswith(".csv") or "text/csv" in ctype or "text/plain" in ctype:
        return "csv"
    return None


def _version(header: str | None) -> int | None:
    if header is None:
        return None
    match = re.fullmatch(r'\s*(?:W/)?"?(\d{1,9})"?\s*', header)
    return int(match.group(1)) if match else -1


def _report(problems: Sequence[Problem], parsed: ParsedFile) -> list[dict[str, Any]]:
    """Problems as the client sees them: sheet, row number of the file, column header, code, reason."""
    headers = {
        SERVICE: {v: k for k, v in SERVICE_COLUMNS.items()},
        FUNDS: {v: k for k, v in FUND_COLUMNS.items()},
    }
    out = []
    for p in problems:
        section = getattr(p, "section", None)
        index = getattr(p, "row", None)
        row = parsed.row_numbers[section][index] if section and index is not None else None
        column = headers[section].get(p.field or "") if section else None
        out.append(
            {
                "sheet": parsed.sheets.get(section) if section else None,
                "row": row,
                "column": column,
                "field": p.field,
                "code": p.code,
                "reason": p.message,
                "article": p.article,
            }
        )
    return out


def _rejected(errors: list[dict[str, Any]], status: int = 422, **extra: Any) -> JSONResponse:
    return JSONResponse(
        {"ok": False, "written": 0, "errorCount": len(errors), "errors": errors[:MAX_REPORTED_ERRORS], **extra},
        status_code=status,
    )


def import_route(authenticator: Authenticator) -> Callable[[Request], Any]:
    """``POST /ledgers/{contract}/import``."""

    async def import_ledger(request: Request) -> Response:
        principal = await _principal(authenticator, request, required=True)
        if isinstance(principal, Response):
            return principal
        declared = request.headers.get("content-length")
        too_large = f"文件过大（上限 {MAX_IMPORT_BYTES // (1024 * 1024)} MB）。"
        if declared is not None and (not declared.isdigit() or int(declared) > MAX_IMPORT_BYTES):
            return _refusal(413, "REQUEST_TOO_LARGE", too_large)
        key = request.headers.get("idempotency-key")
        if not rules.valid_idempotency_key(key):
            return _refusal(
                400, "IDEMPOTENCY_KEY_REQUIRED", "请在 Idempotency-Key 头中提供幂等键（如UUID，1至100个字符）。"
            )
        expected = _version(request.headers.get("if-match"))
        if expected is None:
            return _refusal(428, "PRECONDITION_REQUIRED", "请在 If-Match 头中提供台账当前版本号（ledger.version）。")
        if expected < 0:
            return _refusal(400, "INVALID", 'If-Match 应为台账版本号，例如 If-Match: "3"。')
        found = await writable_ledger(principal, request.path_params["contract"])
        if isinstance(found, Problem):
            return _refusal(STATUS_OF.get(found.code, 422), found.code, found.message)
        ledger, may_create = found
        # Only now, with the caller allowed to write this ledger, is the body read (up to the route's own limit).
        body = await _read_limited(request, MAX_IMPORT_BYTES)
        if body is None:
            return _refusal(413, "REQUEST_TOO_LARGE", too_large)
        upload = await _upload(request, body)
        if isinstance(upload, Response):
            return upload
        data, name, ctype = upload
        kind = _kind(data, name, ctype)
        if kind is None:
            return _refusal(415, "UNSUPPORTED_FILE", "请上传 .xlsx 或 .csv 文件。")
        parser = parse_xlsx if kind == "xlsx" else parse_csv
        parsed = await anyio.to_thread.run_sync(parser, data)
        if parsed.file_errors:
            return _rejected(parsed.file_errors)
        submission = Submission(
            service_rows=parsed.service_rows,
            fund_rows=parsed.fund_rows,
            expected_version=expected,
            idempotency_key=key,
            may_create_beneficiaries=may_create,
            max_rows=rules.MAX_IMPORT_ROWS,
            prior_problems=parsed.problems,
            origin="import",
        )
        try:
            result = await rules.submit(ledger, submission, actor=actor_of(principal))
        except RuleViolation as exc:
            errors = _report(exc.problems, parsed)
            first = exc.problems[0]
            status = STATUS_OF.get(first.code, 422) if len(exc.problems) == 1 else 422
            if first.code == "VERSION_CONFLICT" and isinstance(first, RowProblem):
                version = first.current_version
                return JSONResponse(
                    {"ok": False, "written": 0, "errorCount": 1, "errors": errors, "currentVersion": version},
                    status_code=412,
                    headers={"ETag": f'"{version}"'},
                )
            return _rejected(errors, status)
        body_out = {
            "ok": True,
            "contract": request.path_params["contract"],
            "version": result.version,
            "serviceEntries": len(result.service_entry_ids),
            "fundEntries": len(result.fund_entry_ids),
            "beneficiariesCreated": result.beneficiaries_created,
        }
        headers = {"ETag": f'"{result.version}"'}
        if result.replayed:
            headers["Idempotent-Replayed"] = "true"
        return JSONResponse(body_out, headers=headers)

    return import_ledger


# --- export --------------------------------------------------------------------------------------------------------


def _local(moment: dt.datetime | None) -> dt.datetime | None:
    if moment is None:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(SHANGHAI)
    return moment.replace(tzinfo=None, microsecond=0)


SERVICE_VALUES = (
    "id",
    "contract_id",
    "service_date",
    "catalogue_item_id",
    "beneficiary_id",
    "assistance_category",
    "township_id",
    "content",
    "quantity",
    "unit",
    "staff",
    "outcome",
    "satisfaction",
    "evidence_refs",
    "kind",
    "corrects_id",
    "correction_reason",
    "submitted_at",
)
FUND_VALUES = (
    "id",
    "contract_id",
    "entry_date",
    "amount",
    "direction",
    "purpose",
    "voucher_number",
    "kind",
    "corrects_id",
    "correction_reason",
    "submitted_at",
)


@dataclass
class _Export:
    """One export: who asks, what they may read, how to label it."""

    principal: Principal
    service_qs: Any | None
    fund_qs: Any | None
    current: bool
    contract_codes: dict[int, str] | None  # set for a district export (adds a contract column)
    items: dict[int, str] = field(default_factory=dict)

    def service_header(self) -> list[str]:
        return [*SERVICE_COLUMNS, *(["合同编号"] if self.contract_codes is not None else []), *EXTRA_COLUMNS]

    def fund_header(self) -> list[str]:
        return [*FUND_COLUMNS, *(["合同编号"] if self.contract_codes is not None else []), *EXTRA_COLUMNS]

    async def service_chunks(self) -> AsyncIterator[list[list[Any]]]:
        if self.service_qs is None:
            return
        if not self.items:
            self.items = dict(await CatalogueItem.all().values_list("id", "code"))
        async for chunk in _chunks(self.service_qs, SERVICE_VALUES, self.current):
            people = await self._people([r[4] for r in chunk if r[4] is not None])
            yield [self._service_line(r, people) for r in chunk]

    async def fund_chunks(self) -> AsyncIterator[list[list[Any]]]:
        if self.fund_qs is None:
            return
        async for chunk in _chunks(self.fund_qs, FUND_VALUES, self.current):
            yield [self._fund_line(r) for r in chunk]

    async def _people(self, ids: list[int]) -> dict[int, tuple[str, str]]:
        """Visible beneficiaries → (ID number as this caller may read it, name)."""
        if not ids:
            return {}
        rows = (
            await scoped(self.principal, Beneficiary)
            .filter(id__in=sorted(set(ids)))
            .values_list("id", "id_number", "name", "district_id")
        )
        from models.identifiers import mask_id_number

        return {
            pk: (number if sees_pii(self.principal, district) else mask_id_number(number), name)
            for pk, number, name, district in rows
        }

    def _contract_column(self, contract_id: int) -> list[Any]:
        return [] if self.contract_codes is None else [self.contract_codes.get(contract_id, "")]

    def _tail(self, type_name: str, r: Sequence[Any], kind: Any, corrects: Any, reason: str, at: Any) -> list[Any]:
        return [
            encode_id(type_name, r[0]),
            KIND_LABELS.get(EntryKind(kind), str(kind)),
            encode_id(type_name, corrects) if corrects else "",
            reason or "",
            _local(at),
        ]

    def _service_line(self, r: Sequence[Any], people: dict[int, tuple[str, str]]) -> list[Any]:
        number, name = people.get(r[4], ("", "")) if r[4] is not None else ("", "")
        return [
            r[2],
            self.items.get(r[3], ""),
            number,
            name,
            CATEGORY_LABELS.get(AssistanceCategory(r[5]), r[5]),
            r[6],
            r[7],
            Decimal(str(r[8])),
            UNIT_LABELS.get(ServiceUnit(r[9]), r[9]),
            r[10],
            r[11],
            r[12],
            "；".join(r[13] or []),
            *self._contract_column(r[1]),
            *self._tail("ServiceEntry", r, r[14], r[15], r[16], r[17]),
        ]

    def _fund_line(self, r: Sequence[Any]) -> list[Any]:
        return [
            r[2],
            Decimal(str(r[3])),
            DIRECTION_LABELS.get(FundDirection(r[4]), r[4]),
            r[5],
            r[6],
            *self._contract_column(r[1]),
            *self._tail("FundEntry", r, r[7], r[8], r[9], r[10]),
        ]


async def _chunks(qs: Any, columns: Sequence[str], current: bool) -> AsyncIterator[list[tuple[Any, ...]]]:
    """The rows of ``qs`` in keyset chunks (id order), current view or full history."""
    if current:
        qs = qs.filter(**rules.CURRENT)
    last = 0
    while True:
        chunk = await qs.filter(id__gt=last).order_by("id").limit(CHUNK).values_list(*columns)
        if not chunk:
            return
        last = chunk[-1][0]
        yield chunk


def _append(ws: Any, lines: list[list[Any]]) -> None:
    for line in lines:
        ws.append(line)


async def _xlsx(export: _Export, filename: str) -> Response:
    """A write-only workbook built chunk by chunk in a worker thread, then sent from a temporary file."""
    wb = Workbook(write_only=True)
    if export.service_qs is not None:
        ws = wb.create_sheet(SERVICE_SHEET)
        ws.append(export.service_header())
        async for lines in export.service_chunks():
            await anyio.to_thread.run_sync(_append, ws, lines)
    if export.fund_qs is not None:
        ws = wb.create_sheet(FUND_SHEET)
        ws.append(export.fund_header())
        async for lines in export.fund_chunks():
            await anyio.to_thread.run_sync(_append, ws, lines)
    handle, path = tempfile.mkstemp(suffix=".xlsx", prefix="ledger-export-")
    os.close(handle)
    await anyio.to_thread.run_sync(wb.save, path)
    return FileResponse(
        path,
        media_type=XLSX,
        headers=_disposition(filename),
        background=BackgroundTask(os.unlink, path),
    )


def _csv_text(lines: list[list[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    for line in lines:
        writer.writerow(
            ["" if v is None else (v.isoformat(sep=" ") if isinstance(v, dt.datetime) else v) for v in line]
        )
    return out.getvalue()


def _csv(export: _Export, filename: str, funds: bool) -> Response:
    """A CSV streamed chunk by chunk (UTF-8 with BOM, so Excel shows the Chinese headers)."""

    async def body() -> AsyncIterator[bytes]:
        header = export.fund_header() if funds else export.service_header()
        yield ("\ufeff" + _csv_text([header])).encode()
        chunks = export.fund_chunks() if funds else export.service_chunks()
        async for lines in chunks:
            yield _csv_text(lines).encode()

    return StreamingResponse(body(), media_type="text/csv; charset=utf-8", headers=_disposition(filename))


def _disposition(filename: str) -> dict[str, str]:
    ascii_name = re.sub(r"[^A-Za-z0-9._-]", "_", filename)
    return {"Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"}


def _view(request: Request) -> bool | Response:
    view = request.query_params.get("view", "current").lower()
    if view not in ("current", "history"):
        return _refusal(400, "INVALID_ARGUMENT", "view 应为 current 或 history。")
    return view == "current"


def contract_export_route(authenticator: Authenticator, fmt: str) -> Callable[[Request], Any]:
    """``GET /ledgers/{contract}/export.xlsx|.csv``: one ledger, what the caller may read of it."""

    async def export_contract(request: Request) -> Response:
        principal = await _principal(authenticator, request, required=True)
        if isinstance(principal, Response):
            return principal
        current = _view(request)
        if isinstance(current, Response):
            return current
        contract = await visible_row(principal, Contract, request.path_params["contract"], "Contract")
        reads_service = contract is not None and in_contractor_domains(principal, "read", "ledger", contract)
        reads_funds = contract is not None and in_contractor_domains(principal, "read", "fund_entry", contract)
        if contract is None or not (reads_service or reads_funds):
            return _refusal(404, "NOT_FOUND", "台账不存在或无权访问。")
        export = _Export(
            principal=principal,
            service_qs=scoped(principal, ServiceEntry).filter(contract_id=contract.pk) if reads_service else None,
            fund_qs=scoped(principal, FundEntry).filter(contract_id=contract.pk) if reads_funds else None,
            current=current,
            contract_codes=None,
        )
        name = f"台账-{contract.code}"
        if fmt == "xlsx":
            return await _xlsx(export, f"{name}.xlsx")
        funds = request.query_params.get("entries", "service") == "fund"
        if (funds and export.fund_qs is None) or (not funds and export.service_qs is None):
            return _refusal(404, "NOT_FOUND", "无权访问该类台账记录。")
        return _csv(export, f"{name}-{'资金' if funds else '服务'}.csv", funds)

    return export_contract


def district_export_route(authenticator: Authenticator, fmt: str) -> Callable[[Request], Any]:
    """``GET /ledgers/export.xlsx|.csv?district=…``: every ledger of a district, for its implementing agency."""

    async def export_district(request: Request) -> Response:
        principal = await _principal(authenticator, request, required=True)
        if isinstance(principal, Response):
            return principal
        current = _view(request)
        if isinstance(current, Response):
            return current
        code = request.query_params.get("district", "")
        if not is_district_code(code):
            return _refusal(400, "INVALID_ARGUMENT", DISTRICT_CODE_HINT)
        if not allowed(principal, "export", "ledger", f"district:{code}"):
            return _refusal(403, "FORBIDDEN", "只有本区实施主体可以导出本区全部台账。")
        contracts = scoped(principal, Contract).filter(district_id=code)
        export = _Export(
            principal=principal,
            service_qs=scoped(principal, ServiceEntry).filter(district_id=code),
            fund_qs=scoped(principal, FundEntry).filter(district_id=code),
            current=current,
            contract_codes=dict(await contracts.values_list("id", "code")),
        )
        name = f"台账-{code}"
        if fmt == "xlsx":
            return await _xlsx(export, f"{name}.xlsx")
        funds = request.query_params.get("entries", "service") == "fund"
        return _csv(export, f"{name}-{'资金' if funds else '服务'}.csv", funds)

    return export_district


_TEMPLATE: bytes | None = None


async def template(_: Request) -> Response:
    """``GET /ledgers/template.xlsx``: no data in it, so anyone may download it."""
    global _TEMPLATE
    if _TEMPLATE is None:
        _TEMPLATE = await anyio.to_thread.run_sync(build_template)
    return Response(_TEMPLATE, media_type=XLSX, headers=_disposition("台账导入模板.xlsx"))


def ledger_routes(authenticator: Authenticator) -> list[Route]:
    """The workbook routes, authenticated like ``/graphql``."""
    return [
        Route("/ledgers/template.xlsx", template, methods=["GET"]),
        Route("/ledgers/export.xlsx", district_export_route(authenticator, "xlsx"), methods=["GET"]),
        Route("/ledgers/export.csv", district_export_route(authenticator, "csv"), methods=["GET"]),
        Route("/ledgers/{contract}/import", import_route(authenticator), methods=["POST"]),
        Route("/ledgers/{contract}/export.xlsx", contract_export_route(authenticator, "xlsx"), methods=["GET"]),
        Route("/ledgers/{contract}/export.csv", contract_export_route(authenticator, "csv"), methods=["GET"]),
    ]
