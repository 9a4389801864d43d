"""Benchmark (on demand: ``JIUZHU_TEST_DB=postgres make bench``): ledger write and workbook throughput.

Prints, for the session's database (PostgreSQL is the one that counts):

- bulk submission throughput (entries/s) with ``submitLedgerEntries`` at 500 service entries per call, each call
  naming 50 people (new ones registered, known ones found: one lookup per batch), as the ledger grows to
  ``JIUZHU_BENCH_LEDGER_ENTRIES`` (default 200,000): per tenth of the run, ms per call, entries/s and statements
  per call as the database executes them;
- the time to import a 100,000-row workbook through ``POST /ledgers/{contract}/import``, and to export that
  ledger to .xlsx and .csv.

Not a pass/fail timing test: the only assertions are that everything succeeds and nothing is duplicated.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import statistics
import time
import uuid

from openpyxl import Workbook

from api.ledger_files import SERVICE_COLUMNS
from models import ServiceEntry
from models.timeutil import today
from tests.conftest import BACKEND
from tests.helpers import Api
from tests.test_ledger_bulk import count_executions
from tests.test_ledger_entries import AGENCY, CLERK, gid, make_contract, new_id_number, township

#: The write and its outcome only (what a syncing client asks for), so the figures are the write path's.
WRITE = """
mutation($input: SubmitLedgerEntriesInput!) {
  submitLedgerEntries(input: $input) { version errors { code message row field } }
}
"""
PER_CALL = 500
#: The ledger grows to this many entries, ``PER_CALL`` at a time (issue 14: flat from 0 to 200,000).
LEDGER_ENTRIES = int(os.environ.get("JIUZHU_BENCH_LEDGER_ENTRIES", "200000"))
SEGMENTS = 10
WORKBOOK_ROWS = 100_000


async def test_bulk_submission_throughput(api: Api) -> None:
    """``submitLedgerEntries`` with 500 service entries per call (each naming 50 people, half of them met in
    the previous call) until the ledger holds ``LEDGER_ENTRIES``: per tenth of the run, the ledger's size,
    ms per call, entries/s and statements per call — flat as the ledger grows is the goal."""
    contract, ledger = await make_contract(year=2094, start=today() - dt.timedelta(days=360))
    assert ledger is not None
    code = await township()
    calls = max(LEDGER_ENTRIES // PER_CALL, SEGMENTS)
    people = [(new_id_number(), f"对象{i}") for i in range(calls * 25 + 25)]
    timings: list[float] = []
    statements: list[int] = []
    with count_executions() as counter:
        for call in range(calls):
            named = people[call * 25 : call * 25 + 50]
            entries = [
                {
                    "serviceDate": (today() - dt.timedelta(days=1 + (call * PER_CALL + i) % 350)).isoformat(),
                    "catalogueItemCode": "S06",
                    "assistanceCategory": "TEKUN",
                    "township": code,
                    "content": "上门探访，协助整理家务",
                    "quantity": "2",
                    "unit": "HOURS",
                    "staff": "王芳",
                    "beneficiaryIdNumber": named[i % len(named)][0],
                    "beneficiaryName": named[i % len(named)][1],
                    "evidenceRefs": [f"照片-{i}"],
                }
                for i in range(PER_CALL)
            ]
            variables = {
                "input": {
                    "contract": gid("Contract", contract.pk),
                    "idempotencyKey": uuid.uuid4().hex,
                    "serviceEntries": entries,
                }
            }
            token = await api.token(CLERK)  # signed in before the clock starts
            counter.count = 0
            start = time.perf_counter()
            response = await api.post(WRITE, variables, token)
            timings.append(time.perf_counter() - start)
            statements.append(counter.count)
            payload = response.json()["data"]["submitLedgerEntries"]
            assert payload["errors"] == [], payload["errors"][:3]
    total = calls * PER_CALL
    assert await ServiceEntry.filter(ledger_id=ledger.pk).count() == total
    print(
        f"\n== ledger bulk submission ({BACKEND}): {calls} calls × {PER_CALL} entries (50 people each, 25 new),"
        f" the ledger growing to {total:,} entries"
        f"\n   overall {total / sum(timings):7.0f} entries/s   per call p50 {statistics.median(timings) * 1000:5.0f} ms"
        f"   max {max(timings) * 1000:5.0f} ms"
    )
    size = calls // SEGMENTS
    for segment in range(SEGMENTS):
        part = timings[segment * size : (segment + 1) * size]
        counted = statements[segment * size : (segment + 1) * size]
        print(
            f"   ledger {segment * size * PER_CALL:8,}–{(segment + 1) * size * PER_CALL:8,} entries:"
            f" {statistics.mean(part) * 1000:5.0f} ms/call (p50 {statistics.median(part) * 1000:5.0f})"
            f"  {PER_CALL * len(part) / sum(part):7.0f} entries/s"
            f"  {statistics.mean(counted):5.0f} statements/call"
        )


def _workbook(rows: int, code: str) -> bytes:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("服务记录")
    ws.append(list(SERVICE_COLUMNS))
    people = [(new_id_number(), f"对象{i}") for i in range(1000)]
    first = today() - dt.timedelta(days=350)
    for i in range(rows):
        number, name = people[i % len(people)]
        ws.append(
            [
                first + dt.timedelta(days=i % 340),
                "S06" if i % 3 else "S07",
                number,
                name,
                "特困" if i % 2 else "低保",
                code,
                "上门探访，协助整理家务",
                2,
                "小时",
                "王芳",
                "生活状况稳定",
                5,
                f"照片-{i}；签字单-{i}",
            ]
        )
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


async def test_workbook_import_and_export_of_100k_rows(api: Api) -> None:
    contract, ledger = await make_contract(year=2094, start=today() - dt.timedelta(days=360))
    assert ledger is not None
    start = time.perf_counter()
    data = _workbook(WORKBOOK_ROWS, await township())
    built = time.perf_counter() - start

    headers = {
        "Authorization": f"Bearer {await api.token(CLERK)}",
        "Idempotency-Key": uuid.uuid4().hex,
        "If-Match": '"0"',
    }
    url = f"/ledgers/{gid('Contract', contract.pk)}/import"
    start = time.perf_counter()
    response = await api.client.post(url, files={"file": ("台账.xlsx", data)}, headers=headers, timeout=None)
    imported = time.perf_counter() - start
    assert response.status_code == 200, response.text[:1000]
    assert response.json()["serviceEntries"] == WORKBOOK_ROWS

    agency = {"Authorization": f"Bearer {await api.token(AGENCY)}"}
    timings = {}
    for fmt in ("xlsx", "csv"):
        start = time.perf_counter()
        export = await api.client.get(
            f"/ledgers/{gid('Contract', contract.pk)}/export.{fmt}", headers=agency, timeout=None
        )
        timings[fmt] = (time.perf_counter() - start, len(export.content))
        assert export.status_code == 200
    print(
        f"\n== ledger workbook, {WORKBOOK_ROWS:,} rows ({BACKEND})"
        f"\n   workbook built by the test in {built:5.1f} s, {len(data) / 1024 / 1024:5.1f} MiB"
        f"\n   import (parse + check + write) {imported:6.1f} s   ({WORKBOOK_ROWS / imported:7.0f} rows/s)"
        f"\n   export .xlsx {timings['xlsx'][0]:6.1f} s ({timings['xlsx'][1] / 1024 / 1024:5.1f} MiB)"
        f"   export .csv {timings['csv'][0]:6.1f} s ({timings['csv'][1] / 1024 / 1024:5.1f} MiB)"
    )
