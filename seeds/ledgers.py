"""Demo beneficiaries (救助对象) and service ledgers (台账, Art. 14).

Every contract from FILED on has a ledger (a terminated one keeps the ledger of its months in
performance). Service entries fall inside the service period (and before the demo's "today"), name
one of the contract's catalogue items and a beneficiary of the lot's area, and are submitted by the
contractor's clerk account. Two ledgers carry a correction: the original entry stays, a REVERSAL
entry (negative quantity, 红字冲销) cancels it, and an AMENDMENT entry records the right figure —
so summing every entry's quantity gives what was really delivered.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from models.accounts import User
from models.catalogue import CatalogueItem
from models.contracts import Payment
from models.enums import AssistanceCategory, ContractStatus, EntryKind, FundDirection, PaymentTrigger, ServiceUnit
from models.geography import District, Township
from models.ledgers import Beneficiary, FundEntry, Ledger, ServiceEntry
from models.service_summary import rebuild as rebuild_summaries
from seeds.accounts import clerk_username
from seeds.catalogue_text import ITEM_TEXT
from seeds.contracts import ContractRecord, reached
from seeds.helpers import AS_OF, add_workdays, at, id_number, mobile_phone, person_name, rng_for, spread_dates
from seeds.upsert import ensure

AC = AssistanceCategory
CS = ContractStatus

BENEFICIARIES_PER_DISTRICT = {
    "321202": 10,
    "321203": 7,
    "321204": 9,
    "321271": 5,
    "321281": 13,
    "321282": 7,
    "321283": 9,
}
CATEGORY_CYCLE = (AC.DIBAO, AC.TEKUN, AC.DIBAO, AC.TEMPORARY, AC.MARGINAL, AC.DIBAO, AC.TEKUN, AC.MARGINAL)
BIRTH_YEARS = {AC.TEKUN: (1936, 1958), AC.DIBAO: (1948, 2001), AC.TEMPORARY: (1965, 2004), AC.MARGINAL: (1958, 1994)}
#: items whose services go to one category first (照料护理 → 特困, 康复训练 → 低保, 跟踪巡访 → 支出型贫困)
PREFERRED = {"S06": AC.TEKUN, "A03": AC.TEKUN, "S07": AC.DIBAO, "S09": AC.MARGINAL}
ENTRY_COUNTS = {
    CS.IN_PERFORMANCE: (18, 26),
    CS.ACCEPTED: (20, 30),
    CS.CLOSED: (20, 30),
    CS.ACCEPTANCE_FAILED: (16, 20),
    CS.TERMINATED: (8, 10),
}
CORRECTED = ("TZ-321202-2026-001", "TZ-321281-2025-001")
OUTCOMES = (
    "服务对象生活状况稳定，已按计划完成服务",
    "已协助提交救助申请材料",
    "服务对象情绪明显好转",
    "发现新增困难情况，已反馈村（社区）跟进",
    "家庭困难情况已更新至社会救助信息系统",
)
SPENDING = ("社工人员工资及社会保险", "服务交通补贴", "服务物资采购", "宣传资料印制及活动场地", "专业督导及培训费")
TRIGGER_LABEL = {PaymentTrigger.SIGNING: "首期", PaymentTrigger.MILESTONE: "中期", PaymentTrigger.ACCEPTANCE: "尾款"}


async def load_beneficiaries() -> dict[str, list[Beneficiary]]:
    """Create the missing beneficiaries (valid GB 11643 ID numbers); returns them by district code."""
    result: dict[str, list[Beneficiary]] = {}
    for code, count in BENEFICIARIES_PER_DISTRICT.items():
        townships = await Township.filter(district_id=code).order_by("code")
        people: list[Beneficiary] = []
        for i in range(count):
            rng = rng_for("beneficiary", code, i)
            category = CATEGORY_CYCLE[i % len(CATEGORY_CYCLE)]
            low, high = BIRTH_YEARS[category]
            birth = dt.date(rng.randint(low, high), rng.randint(1, 12), rng.randint(1, 28))
            number = id_number(code, birth, 10 * i + rng.randint(1, 9))
            township = townships[(i * 7 + rng.randint(0, 2)) % len(townships)]
            beneficiary, _ = await ensure(
                Beneficiary,
                {"id_number": number},
                {
                    "district_id": code,
                    "township": township,
                    "name": person_name(rng, young=birth.year >= 1975),
                    "assistance_category": category,
                    "phone": None if i % 9 == 4 else mobile_phone(rng),
                },
            )
            people.append(beneficiary)
        result[code] = people
    return result


def worker_names(contractor_slug: str) -> list[str]:
    """The contractor's front-line workers, as named in service entries."""
    rng = rng_for("workers", contractor_slug)
    names: list[str] = []
    while len(names) < 6:
        name = person_name(rng)
        if name not in names:
            names.append(name)
    return names


def _service_entries(
    record: ContractRecord,
    ledger: Ledger,
    people: list[Beneficiary],
    items: dict[int, CatalogueItem],
    clerk: User | None,
) -> list[ServiceEntry]:
    contract = record.contract
    assert contract.service_start is not None
    assert contract.service_end is not None
    end = min(contract.service_end, contract.terminated_on or AS_OF, AS_OF - dt.timedelta(days=1))
    if end < contract.service_start:
        return []
    rng = rng_for("ledger", contract.code)
    low, high = ENTRY_COUNTS[contract.status]
    local = [p for p in people if p.township_id in record.township_codes]
    pool = local if len(local) >= 3 else people
    workers = worker_names(record.contractor_slug)
    entries = []
    for n, day in enumerate(spread_dates(rng, contract.service_start, end, rng.randint(low, high)), start=1):
        item = items[rng.choice(record.item_ids)]
        text = ITEM_TEXT[item.code]
        beneficiary = None
        if text.personal:
            wanted = [p for p in pool if p.assistance_category == PREFERRED.get(item.code)]
            beneficiary = rng.choice(wanted or pool)
        if text.entry_unit == ServiceUnit.VISITS:
            quantity = Decimal(rng.choice((1, 1, 1, 2)))
        elif text.entry_unit == ServiceUnit.HOURS:
            quantity = Decimal(rng.choice(("1.5", "2", "2.5", "3", "4")))
        else:
            quantity = Decimal(rng.randint(8, 60))
        entries.append(
            ServiceEntry(
                ledger=ledger,
                contract=contract,
                district_id=contract.district_id,
                contractor_id=contract.contractor_id,
                service_date=day,
                catalogue_item=item,
                beneficiary=beneficiary,
                assistance_category=beneficiary.assistance_category if beneficiary else rng.choice(list(AC)),
                township_id=beneficiary.township_id if beneficiary else rng.choice(record.township_codes),
                content=text.entry_content,
                quantity=quantity.quantize(Decimal("0.01")),
                unit=text.entry_unit,
                staff="、".join(rng.sample(workers, rng.choice((1, 1, 2)))),
                outcome=rng.choice(OUTCOMES) if beneficiary else "活动按计划完成",
                satisfaction=rng.choice((5, 5, 5, 4, 4, 3)) if beneficiary else None,
                evidence_refs=[f"{contract.code}/照片-{n:03d}", f"{contract.code}/签字单-{n:03d}"],
                submitted_by=clerk,
                submitted_at=at(min(day + dt.timedelta(days=rng.randint(0, 3)), AS_OF), 17, rng.randint(0, 59)),
            )
        )
    return entries


async def _correct(ledger: Ledger, clerk: User | None) -> None:
    """Reverse the ledger's first hours-based (else first) entry and record the corrected figure."""
    original = await ServiceEntry.filter(ledger=ledger, unit=ServiceUnit.HOURS).order_by("id").first()
    original = original or await ServiceEntry.filter(ledger=ledger).order_by("id").first()
    if original is None:
        return
    fixed = max(Decimal("1.00"), original.quantity - 1)
    when = at(min(original.service_date + dt.timedelta(days=6), AS_OF), 10)
    common = {
        name: getattr(original, name)
        for name in (
            "ledger_id",
            "contract_id",
            "district_id",
            "contractor_id",
            "service_date",
            "catalogue_item_id",
            "beneficiary_id",
            "assistance_category",
            "township_id",
            "content",
            "unit",
            "staff",
            "outcome",
            "satisfaction",
            "evidence_refs",
        )
    }
    await ServiceEntry.create(
        **{**common, "quantity": -original.quantity},
        kind=EntryKind.REVERSAL,
        corrects=original,
        correction_reason=f"服务时长误录为{original.quantity}，红字冲销原记录。",
        submitted_by=clerk,
        submitted_at=when,
    )
    await ServiceEntry.create(
        **{**common, "quantity": fixed},
        kind=EntryKind.AMENDMENT,
        corrects=original,
        correction_reason=f"按服务签字单更正服务时长为{fixed}。",
        submitted_by=clerk,
        submitted_at=when,
    )


async def _fund_entries(record: ContractRecord, ledger: Ledger, district: District, clerk: User | None) -> None:
    contract = record.contract
    rng = rng_for("funds", contract.code)
    entries: list[FundEntry] = []
    common = {
        "ledger": ledger,
        "contract": contract,
        "district_id": contract.district_id,
        "contractor_id": contract.contractor_id,
        "submitted_by": clerk,
    }
    received = Decimal("0.00")
    for n, payment in enumerate(await Payment.filter(contract=contract).order_by("paid_on"), start=1):
        day = min(add_workdays(payment.paid_on, 1), AS_OF)
        received += payment.amount
        entries.append(
            FundEntry(
                **common,
                entry_date=day,
                amount=payment.amount,
                direction=FundDirection.RECEIVED,
                purpose=f"收到{district.agency_name}拨付合同{TRIGGER_LABEL[payment.trigger]}款",
                voucher_number=f"收{day.year}-{n:04d}",
                submitted_at=at(day, 16),
            )
        )
    assert contract.service_start is not None
    assert contract.service_end is not None
    end = min(contract.service_end, contract.terminated_on or AS_OF, AS_OF)
    months: list[dt.date] = []
    month = contract.service_start.replace(day=25)
    while month <= end:
        months.append(month)
        month = (month + dt.timedelta(days=31)).replace(day=25)
    budget = received * Decimal("0.85")
    spent = Decimal("0.00")
    for n, day in enumerate(months, start=1):
        amount = (budget / len(months) * Decimal(str(round(rng.uniform(0.6, 1.2), 2))) / 10).quantize(Decimal(1)) * 10
        if spent + amount > budget:
            break
        spent += amount
        entries.append(
            FundEntry(
                **common,
                entry_date=day,
                amount=amount.quantize(Decimal("0.01")),
                direction=FundDirection.SPENT,
                purpose=f"{day.month}月{rng.choice(SPENDING)}",
                voucher_number=f"付{day.year}-{n:04d}",
                submitted_at=at(day, 16),
            )
        )
    await FundEntry.bulk_create(entries)


async def load_ledgers(
    contracts: list[ContractRecord],
    beneficiaries: dict[str, list[Beneficiary]],
    districts: dict[str, District],
    items: dict[int, CatalogueItem],
    users: dict[str, User],
) -> None:
    """Create the ledgers (with their entries) that do not exist yet, then recompute the services summaries
    (the entries are bulk-loaded here, not written through ``models.ledgers.submit``)."""
    loaded = False
    for record in contracts:
        contract = record.contract
        if not reached(contract.status, CS.FILED):
            continue
        ledger, created = await ensure(
            Ledger,
            {"contract": contract},
            {"district_id": contract.district_id, "contractor_id": contract.contractor_id},
        )
        if not created:
            continue
        clerk = users.get(clerk_username(record.contractor_slug))
        if contract.status != CS.FILED:
            people = beneficiaries[contract.district_id]
            await ServiceEntry.bulk_create(_service_entries(record, ledger, people, items, clerk))
            if contract.code in CORRECTED:
                await _correct(ledger, clerk)
        await _fund_entries(record, ledger, districts[contract.district_id], clerk)
        loaded = True
    if loaded:
        await rebuild_summaries()
