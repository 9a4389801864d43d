"""A large data set in a fresh PostgreSQL database, for the dashboard benchmark (issue 6, item 5).

    .venv/bin/python -m tests.benchmarks.generate_large [--url postgres://…/jiuzhu_bench] [--entries 1000000]

Drops and recreates the database, applies the migrations, loads the reference data and the demo set (for the
demo accounts), then adds with ``COPY`` (asyncpg ``copy_records_to_table``): for the 7 districts, plans of
2019–2023, 2,000 contracts (with a project and lot each, catalogue items, payments, inspections, acceptances and
a few signed amendments), ~28,000 beneficiaries, a ledger per contract from FILED on and 1,000,000 service
entries (1 % of them corrected: a reversal and an amendment), plus township staff and training; then the
services summaries are rebuilt from the entries (``models.service_summary.rebuild``, as ``jiuzhu
rebuild-summaries``) and ``VACUUM ANALYZE`` tells the planner the sizes. Deterministic (seeded); about 45 s.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import time
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import asyncpg
from stdnum.cn import uscc

from api.cli import migrate_database, rebuild_summaries, seed_database
from models.crypto import seal

PG_SERVER = os.environ.get("JIUZHU_TEST_PG", "postgres://postgres@127.0.0.1:5432")
DEFAULT_URL = os.environ.get("JIUZHU_BENCH_URL", f"{PG_SERVER}/jiuzhu_bench_large")
YEARS = range(2019, 2024)  # the demo set holds 2024–2026
CONTRACTS = 2_000
ENTRIES = 1_000_000
EXTRA_CONTRACTORS = 60
BENEFICIARIES_PER_TOWNSHIP = 310
CORRECTED_SHARE = 0.01
NOW = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)
CENT = Decimal("0.01")

#: Final states of a 2019–2023 contract (weights): most are done by now.
STATES = (
    ("closed", 60),
    ("accepted", 12),
    ("acceptance_failed", 6),
    ("terminated", 6),
    ("in_performance", 10),
    ("filed", 3),
    ("published", 1),
    ("signed", 1),
    ("draft", 1),
)
LEDGER_STATES = {"filed", "in_performance", "acceptance_failed", "accepted", "closed", "terminated"}
CATEGORIES = ("dibao", "tekun", "temporary", "marginal")


@dataclass
class Ids:
    """Next free primary key per table (after the demo rows)."""

    next: dict[str, int] = field(default_factory=dict)

    def take(self, table: str) -> int:
        value = self.next[table]
        self.next[table] = value + 1
        return value


def stamp(row: dict[str, Any]) -> dict[str, Any]:
    """Add the created/updated timestamps."""
    return {"created_at": NOW, "updated_at": NOW, **row}


async def copy(conn: asyncpg.Connection, table: str, rows: list[dict[str, Any]]) -> None:
    """``COPY`` ``rows`` (dicts with the same keys) into ``table``."""
    if not rows:
        return
    columns = list(rows[0])
    await conn.copy_records_to_table(table, records=[tuple(r[c] for c in columns) for r in rows], columns=columns)


def workdays_after(day: dt.date, n: int) -> dt.date:
    """Monday–Friday arithmetic (good enough for generated dates)."""
    while n:
        day += dt.timedelta(days=1)
        if day.weekday() < 5:
            n -= 1
    return day


def credit_code(rng: random.Random) -> str:
    """A unified social credit code with a valid check character (GB 32100-2015)."""
    body = "52" + "3212" + f"{rng.randint(0, 99):02d}" + "MJ" + "".join(rng.choice("0123456789") for _ in range(7))
    return body + uscc.calc_check_digit(body)


async def _prepare(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    server = url.rsplit("/", 1)[0]
    conn = await asyncpg.connect(f"{server}/postgres")
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    await migrate_database(url)
    await seed_database(url, demo=True)


async def generate(url: str = DEFAULT_URL, *, contracts: int = CONTRACTS, entries: int = ENTRIES) -> dict[str, int]:
    """Build the data set in a fresh database at ``url``; returns the row counts added per table."""
    started = time.perf_counter()
    await _prepare(url)
    print(f"migrated and seeded in {time.perf_counter() - started:.1f} s", flush=True)
    rng = random.Random(2071)
    conn = await asyncpg.connect(url)
    added: dict[str, int] = defaultdict(int)
    try:
        ids = Ids()
        for table in (
            "contractor",
            "purchase_plan",
            "plan_line",
            "procurement_project",
            "procurement_lot",
            "contract",
            "contract_amendment",
            "payment",
            "inspection",
            "acceptance",
            "ledger",
            "beneficiary",
            "ledger_service_entry",
            "staff_member",
            "training_session",
            "training_attendance",
        ):
            ids.next[table] = (await conn.fetchval(f"SELECT COALESCE(MAX(id), 0) FROM {table}")) + 1
        districts = [r["code"] for r in await conn.fetch("SELECT code FROM district ORDER BY code")]
        townships: dict[str, list[tuple[str, int]]] = defaultdict(list)
        for r in await conn.fetch("SELECT code, district_id, population FROM township ORDER BY code"):
            townships[r["district_id"]].append((r["code"], r["population"]))
        items = [(r["id"], r["code"]) for r in await conn.fetch("SELECT id, code FROM catalogue_item ORDER BY code")]
        clerk = await conn.fetchval("SELECT id FROM account_user WHERE username = 'xinyuan_clerk'")

        # Contractors: the demo's 11 plus 60 more.
        rows = []
        for i in range(EXTRA_CONTRACTORS):
            rows.append(
                stamp(
                    {
                        "id": ids.take("contractor"),
                        "name": f"泰州市基准测试社会工作服务中心{i + 1:02d}",
                        "credit_code": credit_code(rng),
                        "kind": "social_organisation",
                        "registration_authority": "泰州市民政局",
                        "contact_person": "测试",
                        "contact_phone": "0523-86000000",
                        "address": "泰州市",
                        "credit_status": "good",
                        "on_abnormal_list": False,
                        "on_serious_violation_list": False,
                    }
                )
            )
        await copy(conn, "contractor", rows)
        added["contractor"] = len(rows)
        contractor_ids = [r["id"] for r in await conn.fetch("SELECT id FROM contractor ORDER BY id")]

        # Plans of 2019–2023 with lines of 10 catalogue items each.
        plans: dict[tuple[str, int], int] = {}
        plan_rows, line_rows = [], []
        for district in districts:
            base = Decimal(rng.randint(20_000_000, 120_000_000))
            for year in YEARS:
                pk = ids.take("purchase_plan")
                plans[(district, year)] = pk
                dibao = (base * Decimal(1 + (year - 2019) * 0.04)).quantize(CENT)
                temporary = (dibao * Decimal("0.18")).quantize(CENT)
                budget = Decimal(0)
                for item_id, _ in rng.sample(items, 10):
                    amount = Decimal(rng.randint(100_000, 600_000)).quantize(CENT)
                    budget += amount
                    line_rows.append(
                        stamp(
                            {
                                "id": ids.take("plan_line"),
                                "plan_id": pk,
                                "district_id": district,
                                "catalogue_item_id": item_id,
                                "content": "基准测试服务内容",
                                "service_standard": "",
                                "requirements": "",
                                "quantity": Decimal("100.00"),
                                "unit": "户",
                                "budget": amount,
                                "funding_source": "work_funds",
                            }
                        )
                    )
                plan_rows.append(
                    stamp(
                        {
                            "id": pk,
                            "district_id": district,
                            "year": year,
                            "status": "approved",
                            "prev_year_dibao_funds": dibao,
                            "prev_year_temporary_funds": temporary,
                            "approved_budget": budget,
                            "submitted_at": NOW,
                            "decided_at": NOW,
                            "finance_comment": "",
                        }
                    )
                )
        await copy(conn, "purchase_plan", plan_rows)
        await copy(conn, "plan_line", line_rows)
        added["purchase_plan"], added["plan_line"] = len(plan_rows), len(line_rows)

        # Contracts, each with its own project and lot.
        state_names = [s for s, _ in STATES]
        state_weights = [w for _, w in STATES]
        project_rows, lot_rows, contract_rows, item_rows = [], [], [], []
        amendment_rows, payment_rows, inspection_rows, acceptance_rows, ledger_rows = [], [], [], [], []
        ledgers: list[dict[str, Any]] = []
        for n in range(contracts):
            district = districts[n % len(districts)]
            year = YEARS[(n // len(districts)) % len(YEARS)]
            contractor = rng.choice(contractor_ids[: 8 + (n % 40)])  # a few contractors win most
            state = rng.choices(state_names, state_weights)[0]
            amount = Decimal(rng.randint(80_000, 900_000)).quantize(CENT)
            project_id, lot_id, contract_id = (
                ids.take("procurement_project"),
                ids.take("procurement_lot"),
                ids.take("contract"),
            )
            start = dt.date(year, rng.randint(1, 6), 1)
            end = start.replace(year=start.year + 1) - dt.timedelta(days=1)
            signed = start - dt.timedelta(days=rng.randint(15, 40))
            late = rng.random() < 0.08
            published = None if state == "draft" or state == "signed" else workdays_after(signed, 3 if late else 1)
            filed = None if state in ("draft", "signed", "published") else workdays_after(signed, 9 if late else 4)
            project_rows.append(
                stamp(
                    {
                        "id": project_id,
                        "district_id": district,
                        "plan_id": plans[(district, year)],
                        "code": f"BENCH-P-{n:05d}",
                        "title": f"基准测试采购项目{n}",
                        "budget": amount,
                        "content": "基准测试",
                        "acceptance_standards": "",
                        "goals": "",
                        "status": "awarded",
                        "method": "competitive_consultation",
                        "award_criteria": "quality_weighted",
                        "invited_suppliers": "[]",
                        "single_source_justification": "",
                        "method_approval_ref": "",
                        "published_on": signed - dt.timedelta(days=30),
                        "failure_reason": "",
                    }
                )
            )
            lot_rows.append(
                stamp(
                    {
                        "id": lot_id,
                        "project_id": project_id,
                        "district_id": district,
                        "number": 1,
                        "title": "第1包",
                        "budget": amount,
                        "status": "awarded",
                        "awarded_contractor_id": contractor,
                        "award_amount": amount,
                        "awarded_on": signed - dt.timedelta(days=7),
                    }
                )
            )
            contract_items = rng.sample(items, rng.choice((1, 2, 2, 3)))
            contract_rows.append(
                stamp(
                    {
                        "id": contract_id,
                        "district_id": district,
                        "contractor_id": contractor,
                        "project_id": project_id,
                        "lot_id": lot_id,
                        "code": f"BENCH-{district}-{year}-{n:05d}",
                        "title": f"基准测试合同{n}",
                        "scope": "基准测试",
                        "subject": "基准测试",
                        "quantity": "100户",
                        "quality_requirements": "满意度不低于90%",
                        "service_start": start,
                        "service_end": end,
                        "term_reason": "",
                        "amount": amount,
                        "payment_method": "分三期支付",
                        "rights_obligations": "按约",
                        "breach_liability": "按约",
                        "status": state,
                        "signed_on": None if state == "draft" else signed,
                        "published_on": published,
                        "filed_on": filed,
                        "terminated_on": start + dt.timedelta(days=200) if state == "terminated" else None,
                        "termination_reason": "基准测试终止" if state == "terminated" else "",
                    }
                )
            )
            item_rows.extend({"contract_id": contract_id, "catalogueitem_id": i} for i, _ in contract_items)
            owner = {"contract_id": contract_id, "district_id": district, "contractor_id": contractor}
            if state != "draft" and rng.random() < 0.05:
                amendment_rows.append(
                    stamp(
                        {
                            "id": ids.take("contract_amendment"),
                            **owner,
                            "reason": "基准测试变更",
                            "changes": json.dumps({"amount": {"before": str(amount), "after": str(amount)}}),
                            "amount_delta": Decimal(rng.randint(1_000, 40_000)).quantize(CENT),
                            "status": "signed",
                            "signed_on": start + dt.timedelta(days=90),
                        }
                    )
                )
            if state not in LEDGER_STATES:
                continue
            shares = [(Decimal("0.30"), "signing", start)]
            if state != "filed":
                shares.append((Decimal("0.40"), "milestone", start + dt.timedelta(days=185)))
            if state == "closed":
                shares.append((Decimal("0.30"), "acceptance", end + dt.timedelta(days=30)))
            for share, trigger, day in shares:
                payment_rows.append(
                    stamp(
                        {
                            "id": ids.take("payment"),
                            **owner,
                            "instalment_id": None,
                            "amount": (amount * share).quantize(CENT),
                            "paid_on": day,
                            "trigger": trigger,
                            "is_final": trigger == "acceptance",
                        }
                    )
                )
            if state != "filed":
                for k in range(3):
                    rectify = rng.random() < 0.12
                    inspection_rows.append(
                        stamp(
                            {
                                "id": ids.take("inspection"),
                                **owner,
                                "inspected_on": start + dt.timedelta(days=90 * (k + 1)),
                                "inspector": "基准测试",
                                "findings": "",
                                "progress_percent": 25 * (k + 1),
                                "rectification_required": rectify,
                                "rectification_due": start + dt.timedelta(days=90 * (k + 1) + 30) if rectify else None,
                            }
                        )
                    )
            if state in ("accepted", "closed", "acceptance_failed"):
                results = (
                    ["fail"]
                    if state == "acceptance_failed"
                    else (["fail", "pass"] if rng.random() < 0.05 else ["pass"])
                )
                for k, result in enumerate(results):
                    score = Decimal(rng.randint(4500, 5900) if result == "fail" else rng.randint(6000, 9900)) / 100
                    day = end + dt.timedelta(days=10 + 40 * k)
                    acceptance_rows.append(
                        stamp(
                            {
                                "id": ids.take("acceptance"),
                                **owner,
                                "accepted_on": day,
                                "panel": "基准测试验收小组",
                                "result": result,
                                "score": score,
                                "findings": "",
                                "report_sent_on": day + dt.timedelta(days=3),
                                "published_on": day + dt.timedelta(days=2) if rng.random() < 0.9 else None,
                            }
                        )
                    )
            ledger_id = ids.take("ledger")
            ledger_rows.append(stamp({"id": ledger_id, **owner, "version": 0}))
            stop = min(end, start + dt.timedelta(days=200) if state == "terminated" else end)
            ledgers.append(
                {
                    **owner,
                    "ledger_id": ledger_id,
                    "start": start,
                    "days": (stop - start).days + 1,
                    "items": [i for i, _ in contract_items],
                }
            )
        for table, rows in (
            ("procurement_project", project_rows),
            ("procurement_lot", lot_rows),
            ("contract", contract_rows),
            ("contract_catalogue_item", item_rows),
            ("contract_amendment", amendment_rows),
            ("payment", payment_rows),
            ("inspection", inspection_rows),
            ("acceptance", acceptance_rows),
            ("ledger", ledger_rows),
        ):
            await copy(conn, table, rows)
            added[table] = len(rows)
        print(f"contracts and what hangs off them: {time.perf_counter() - started:.1f} s", flush=True)

        # Beneficiaries per township.
        people: dict[str, list[tuple[int, str, str]]] = defaultdict(list)
        rows = []
        for district in districts:
            for township, _ in townships[district]:
                for _ in range(BENEFICIARIES_PER_TOWNSHIP):
                    pk = ids.take("beneficiary")
                    category = rng.choice(CATEGORIES)
                    people[district].append((pk, township, category))
                    rows.append(
                        stamp(
                            {
                                "id": pk,
                                "district_id": district,
                                "township_id": township,
                                "name": "测试对象",
                                "id_number": seal(f"B{pk:017d}", "beneficiary.id_number"),
                                "assistance_category": category,
                                "phone": None,
                            }
                        )
                    )
        await copy(conn, "beneficiary", rows)
        added["beneficiary"] = len(rows)

        # Service entries: originals spread over the ledgers, 1 % corrected (reversal + amendment). The table's
        # secondary indexes are dropped for the load and rebuilt after it from their own definitions, and the
        # foreign-key triggers are off for this session (the generated keys are consistent by construction).
        index_defs = [
            r["indexdef"]
            for r in await conn.fetch(
                "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = 'ledger_service_entry' "
                "AND i.indexname NOT IN (SELECT conname FROM pg_constraint WHERE contype IN ('p', 'u'))"
            )
        ]
        for r in await conn.fetch(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'ledger_service_entry' "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE contype IN ('p', 'u'))"
        ):
            await conn.execute(f'DROP INDEX "{r["indexname"]}"')
        await conn.execute("SET session_replication_role = replica")
        corrected = int(entries * CORRECTED_SHARE / 2)
        originals = entries - 2 * corrected
        per_ledger = originals // len(ledgers)
        units = ("hours", "hours", "visits", "visits", "persons")
        batch: list[tuple[Any, ...]] = []
        columns = (
            "id", "ledger_id", "contract_id", "district_id", "contractor_id", "service_date", "catalogue_item_id",
            "beneficiary_id", "assistance_category", "township_id", "content", "quantity", "unit", "staff", "outcome",
            "satisfaction", "evidence_refs", "kind", "corrects_id", "correction_reason", "submitted_by_id",
            "submitted_at",
        )  # fmt: skip
        made = 0
        to_correct: list[tuple[Any, ...]] = []
        for index, ledger in enumerate(ledgers):
            count = per_ledger + (1 if index < originals - per_ledger * len(ledgers) else 0)
            pool = people[ledger["district_id"]]
            for _ in range(count):
                unit = rng.choice(units)
                day = ledger["start"] + dt.timedelta(days=rng.randrange(ledger["days"]))
                if unit == "persons":
                    person, township, category = (
                        None,
                        rng.choice(townships[ledger["district_id"]])[0],
                        rng.choice(CATEGORIES),
                    )
                    quantity = Decimal(rng.randint(8, 60))
                else:
                    person, township, category = rng.choice(pool)
                    quantity = (
                        Decimal(rng.choice(("1", "1", "2")))
                        if unit == "visits"
                        else Decimal(rng.choice(("1.5", "2", "2.5", "3", "4")))
                    )
                row = (
                    ids.take("ledger_service_entry"), ledger["ledger_id"], ledger["contract_id"],
                    ledger["district_id"], ledger["contractor_id"], day, rng.choice(ledger["items"]), person, category,
                    township, "基准测试服务", quantity.quantize(CENT), unit, "测试社工", "", None, "[]", "original",
                    None, "", clerk, NOW,
                )  # fmt: skip
                batch.append(row)
                if len(to_correct) < corrected and rng.random() < CORRECTED_SHARE:
                    to_correct.append(row)
                made += 1
            if len(batch) >= 100_000:
                await conn.copy_records_to_table("ledger_service_entry", records=batch, columns=columns)
                batch = []
        for row in to_correct:
            original_id, quantity = row[0], row[11]
            reversal = (ids.take("ledger_service_entry"), *row[1:11], -quantity, *row[12:17], "reversal", original_id,
                        "冲销", *row[20:])  # fmt: skip
            amendment = (ids.take("ledger_service_entry"), *row[1:11], max(quantity - 1, Decimal("1.00")),
                         *row[12:17], "amendment", original_id, "更正", *row[20:])  # fmt: skip
            batch.extend((reversal, amendment))
        await conn.copy_records_to_table("ledger_service_entry", records=batch, columns=columns)
        await conn.execute("SET session_replication_role = DEFAULT")
        for definition in index_defs:
            await conn.execute(definition)
        added["ledger_service_entry"] = made + 2 * len(to_correct)
        print(f"service entries: {time.perf_counter() - started:.1f} s", flush=True)

        # Township staff (own and dispatched) and training.
        staff_rows, session_rows, attendance_rows = [], [], []
        by_district: dict[str, list[int]] = defaultdict(list)
        for district in districts:
            for township, population in townships[district]:
                for k in range(rng.randint(2, 5) + (population >= 50_000)):
                    pk = ids.take("staff_member")
                    by_district[district].append(pk)
                    staff_rows.append(
                        stamp(
                            {
                                "id": pk,
                                "district_id": district,
                                "township_id": township,
                                "name": f"测试人员{pk}",
                                "kind": "own",
                                "contract_id": None,
                                "contractor_id": None,
                                "position": "",
                                "education": rng.choice(("bachelor", "associate", "secondary")),
                                "social_work_background": k == 0,
                                "qualification": "none",
                                "start_date": dt.date(2015, 1, 1),
                                "end_date": None,
                            }
                        )
                    )
            for year in range(2019, 2027):
                for _ in range(6):
                    pk = ids.take("training_session")
                    session_rows.append(
                        stamp(
                            {
                                "id": pk,
                                "level": "district",
                                "district_id": district,
                                "held_on": dt.date(year, rng.randint(1, 12), rng.randint(1, 28)),
                                "form": "case_study",
                                "topic": "基准测试培训",
                                "hours": Decimal("2.5"),
                            }
                        )
                    )
                    for staff in rng.sample(by_district[district], min(10, len(by_district[district]))):
                        attendance_rows.append(
                            {
                                "id": ids.take("training_attendance"),
                                "session_id": pk,
                                "staff_id": staff,
                                "district_id": district,
                                "attendee_name": f"测试人员{staff}",
                            }
                        )
        for table, rows in (
            ("staff_member", staff_rows),
            ("training_session", session_rows),
            ("training_attendance", attendance_rows),
        ):
            await copy(conn, table, rows)
            added[table] = len(rows)

        for table in ids.next:
            await conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")
        # The entries were copied in around the ledger write path: summarise them as `jiuzhu rebuild-summaries`.
        summary_start = time.perf_counter()
        added.update(await rebuild_summaries(url))
        print(f"services summaries: {time.perf_counter() - summary_start:.1f} s", flush=True)
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()
    print(f"done in {time.perf_counter() - started:.1f} s: {dict(added)}", flush=True)
    return dict(added)


def main() -> None:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=DEFAULT_URL, help=f"database to (re)create (default {DEFAULT_URL})")
    parser.add_argument("--contracts", type=int, default=CONTRACTS)
    parser.add_argument("--entries", type=int, default=ENTRIES)
    args = parser.parse_args()
    asyncio.run(generate(args.url, contracts=args.contracts, entries=args.entries))


if __name__ == "__main__":
    main()


__all__ = ["DEFAULT_URL", "generate"]
