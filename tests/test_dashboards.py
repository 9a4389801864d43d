"""Dashboards (DOMAIN.md §6) against hand-computed figures, scoping per role, and SQL statement counts.

The fixture is built directly in the database for budget year 2071 (no other test or seed uses 2071): plans,
contracts, amendments, payments, inspections, acceptances and ledgers in 海陵区 (A, 321202) and 高港区 (B, 321203)
for 心缘 (X, xinyuan_clerk) and 安和 (N, anhe_clerk), service entries dated 2071, training sessions of 2071 and
staff who served only in 1989–1990. Contract dates lie in the past (September–November 2026) so that the rule-7
flags are settled. Every expected number below is worked out by hand from the fixture, written next to it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from tortoise.transactions import in_transaction

from models import (
    Acceptance,
    Beneficiary,
    CatalogueItem,
    Contract,
    ContractAmendment,
    Contractor,
    Inspection,
    Ledger,
    Payment,
    PlanLine,
    ProcurementLot,
    ProcurementProject,
    PurchasePlan,
    ServiceEntry,
    StaffMember,
    Township,
    TrainingAttendance,
    TrainingSession,
)
from models.enums import (
    AcceptanceResult,
    AmendmentStatus,
    AssistanceCategory,
    AwardCriteria,
    ContractStatus,
    Education,
    EntryKind,
    FundingSource,
    LotStatus,
    OrganiserLevel,
    PaymentTrigger,
    PlanStatus,
    ProcurementMethod,
    ProcurementStatus,
    ServiceUnit,
    StaffKind,
    TrainingForm,
)
from models.service_summary import record as summarise
from models.staffing import required_staff
from schema.relay import encode_id
from seeds.helpers import id_number
from tests.helpers import Api, count_sql

YEAR = 2071
A, B = "321202", "321203"
X_CODE, N_CODE = "52321200MJ5083166C", "52321202MJ5120473G"  # 心缘 (xinyuan_clerk), 安和 (anhe_clerk)
PREFIX = "DASH2071"


@dataclass(frozen=True)
class Fixture:
    """What the assertions need to name."""

    x: int
    n: int
    item1: int
    item2: int
    ta1: str
    ta2: str
    tb1: str
    tb1_population: int


async def _plan(district: str, dibao: str, temp: str, status: PlanStatus, approved: str | None) -> PurchasePlan:
    return await PurchasePlan.create(
        district_id=district,
        year=YEAR,
        status=status,
        prev_year_dibao_funds=Decimal(dibao),
        prev_year_temporary_funds=Decimal(temp),
        approved_budget=None if approved is None else Decimal(approved),
    )


async def _line(plan: PurchasePlan, item: CatalogueItem, budget: str) -> None:
    await PlanLine.create(
        plan=plan,
        district_id=plan.district_id,
        catalogue_item=item,
        content=f"{item.name}（看板测试）",
        quantity=Decimal("10.00"),
        unit="户",
        budget=Decimal(budget),
        funding_source=FundingSource.WORK_FUNDS,
    )


async def _contract(
    code: str,
    plan: PurchasePlan,
    contractor: Contractor,
    amount: str,
    status: ContractStatus,
    items: list[CatalogueItem],
    signed: str | None = None,
    published: str | None = None,
    filed: str | None = None,
) -> Contract:
    """A contract with its own awarded project and lot (the records stay consistent for public reads)."""
    project = await ProcurementProject.create(
        district_id=plan.district_id,
        plan=plan,
        code=f"{PREFIX}-P-{code}",
        title=f"看板测试采购项目{code}",
        budget=Decimal(amount),
        content="看板测试",
        status=ProcurementStatus.AWARDED,
        method=ProcurementMethod.COMPETITIVE_CONSULTATION,
        award_criteria=AwardCriteria.QUALITY_WEIGHTED,
        published_on=dt.date(2026, 8, 3),
    )
    lot = await ProcurementLot.create(
        project=project,
        district_id=plan.district_id,
        number=1,
        title="第1包",
        budget=Decimal(amount),
        status=LotStatus.AWARDED,
        awarded_contractor=contractor,
        award_amount=Decimal(amount),
        awarded_on=dt.date(2026, 8, 24),
    )
    contract = await Contract.create(
        district_id=plan.district_id,
        contractor=contractor,
        project=project,
        lot=lot,
        code=f"{PREFIX}-{code}",
        title=f"看板测试合同{code}",
        scope="看板测试",
        subject="看板测试",
        quantity="10户",
        quality_requirements="满意度不低于90%",
        service_start=dt.date(2026, 9, 15),
        service_end=dt.date(2027, 9, 14),
        amount=Decimal(amount),
        payment_method="分期",
        rights_obligations="按约",
        breach_liability="按约",
        status=status,
        signed_on=None if signed is None else dt.date.fromisoformat(signed),
        published_on=None if published is None else dt.date.fromisoformat(published),
        filed_on=None if filed is None else dt.date.fromisoformat(filed),
        terminated_on=dt.date(2026, 10, 9) if status == ContractStatus.TERMINATED else None,
    )
    await contract.catalogue_items.add(*items)
    return contract


async def _pay(contract: Contract, amount: str, on: str, trigger: PaymentTrigger = PaymentTrigger.SIGNING) -> None:
    await Payment.create(
        contract=contract,
        district_id=contract.district_id,
        contractor_id=contract.contractor_id,
        amount=Decimal(amount),
        paid_on=dt.date.fromisoformat(on),
        trigger=trigger,
    )


async def _accept(contract: Contract, on: str, result: AcceptanceResult, score: str, **dates: str) -> None:
    await Acceptance.create(
        contract=contract,
        district_id=contract.district_id,
        contractor_id=contract.contractor_id,
        accepted_on=dt.date.fromisoformat(on),
        panel="看板测试验收小组",
        result=result,
        score=Decimal(score),
        **{k: dt.date.fromisoformat(v) for k, v in dates.items()},
    )


async def _inspect(contract: Contract, on: str, rectify: bool) -> None:
    await Inspection.create(
        contract=contract,
        district_id=contract.district_id,
        contractor_id=contract.contractor_id,
        inspected_on=dt.date.fromisoformat(on),
        inspector="看板测试",
        progress_percent=50,
        rectification_required=rectify,
        rectification_due=dt.date(2026, 12, 1) if rectify else None,
    )


async def _beneficiary(district: str, township: str, seq: int, category: AssistanceCategory) -> Beneficiary:
    number = id_number(district, dt.date(1961, 3, seq), 900 + seq)
    row, _ = await Beneficiary.get_or_create(
        id_number=number,
        defaults={
            "district_id": district,
            "township_id": township,
            "name": "看板测试",
            "assistance_category": category,
        },
    )
    return row


async def _entries(ledger: Ledger, contract: Contract, rows: list[tuple[Any, ...]]) -> None:
    """Entries in order: (date, township, item, category, beneficiary, quantity, unit, kind, corrects-index)."""
    made: list[ServiceEntry] = []
    for day, township, item, category, person, quantity, unit, kind, corrects in rows:
        made.append(
            await ServiceEntry.create(
                ledger=ledger,
                contract=contract,
                district_id=contract.district_id,
                contractor_id=contract.contractor_id,
                service_date=dt.date.fromisoformat(day),
                catalogue_item=item,
                beneficiary=person,
                assistance_category=category,
                township_id=township,
                content="看板测试服务",
                quantity=Decimal(quantity),
                unit=unit,
                staff="测试社工",
                kind=kind,
                corrects=None if corrects is None else made[corrects],
            )
        )
    async with in_transaction() as conn:  # written around ``models.ledgers.submit``: summarise them as it would
        await summarise(made, conn)


async def _staff(
    township: Township, name: str, kind: StaffKind, start: str, end: str, contract: Contract | None
) -> Any:
    return await StaffMember.create(
        district_id=township.district_id,
        township=township,
        name=name,
        kind=kind,
        contract=contract,
        contractor_id=None if contract is None else contract.contractor_id,
        education=Education.BACHELOR,
        start_date=dt.date.fromisoformat(start),
        end_date=dt.date.fromisoformat(end),
    )


async def dashboard_fixture() -> Fixture:
    """Build the 2071 fixture once per database (later calls only read it back)."""
    x = await Contractor.get(credit_code=X_CODE)
    n = await Contractor.get(credit_code=N_CODE)
    item1, item2 = await CatalogueItem.filter(is_active=True).order_by("code").limit(2)
    ta1, ta2 = await Township.filter(district_id=A).order_by("code").limit(2)
    tb1 = await Township.filter(district_id=B).order_by("code").first()
    assert tb1 is not None
    fixture = Fixture(x.pk, n.pk, item1.pk, item2.pk, ta1.code, ta2.code, tb1.code, tb1.population)
    if await Contract.filter(code=f"{PREFIX}-C1").exists():
        return fixture

    # Plans. A: floor 2% × (10,000,000.00 + 2,345,678.90) = 246,913.578 → 246,913.58; lines 100,000.10 (item 1)
    # + 150,000.05 (item 2) = 250,000.15 ≥ floor; approved 240,000.00. B: floor 2% × 25,000,000.00 = 500,000.00;
    # one line 300,000.00 (item 1); submitted, not approved; shortfall 200,000.00.
    plan_a = await _plan(A, "10000000.00", "2345678.90", PlanStatus.APPROVED, "240000.00")
    await _line(plan_a, item1, "100000.10")
    await _line(plan_a, item2, "150000.05")
    plan_b = await _plan(B, "20000000.00", "5000000.00", PlanStatus.SUBMITTED, None)
    await _line(plan_b, item1, "300000.00")

    # Contracts. Rule 7: publication due 2 working days, filing 7 working days after signing.
    # C1 (A, X): signed Tue 1 Sep, published 2 Sep, filed 4 Sep — on time. +10,000.01 signed amendment.
    c1 = await _contract(
        "C1",
        plan_a,
        x,
        "120000.10",
        ContractStatus.IN_PERFORMANCE,
        [item1, item2],
        "2026-09-01",
        "2026-09-02",
        "2026-09-04",
    )
    # C2 (A, N): signed Mon 7 Sep; publication due 9 Sep, published 10 Sep (late); filing due 16 Sep, filed 17 Sep
    # (late).
    c2 = await _contract(
        "C2", plan_a, n, "80000.20", ContractStatus.CLOSED, [item2], "2026-09-07", "2026-09-10", "2026-09-17"
    )
    # C3 (A, X): signed Mon 14 Sep, published 15 Sep (on time), never filed (past due) — terminated.
    c3 = await _contract("C3", plan_a, x, "50000.00", ContractStatus.TERMINATED, [item1], "2026-09-14", "2026-09-15")
    # C4 (B, N): signed Mon 12 Oct, published 13 Oct, filed 14 Oct — on time.
    c4 = await _contract(
        "C4", plan_b, n, "200000.00", ContractStatus.FILED, [item1], "2026-10-12", "2026-10-13", "2026-10-14"
    )
    # C5 (A, X): a draft.
    await _contract("C5", plan_a, x, "70000.00", ContractStatus.DRAFT, [item1])
    for delta, status in (("10000.01", AmendmentStatus.SIGNED), ("999.00", AmendmentStatus.DRAFT)):
        await ContractAmendment.create(
            contract=c1,
            district_id=A,
            contractor=x,
            reason="看板测试变更",
            amount_delta=Decimal(delta),
            status=status,
            signed_on=dt.date(2026, 10, 1) if status == AmendmentStatus.SIGNED else None,
        )

    # Payments: A = 36,000.03 + 12,000.01 (C1) + 80,000.20 (C2) + 15,000.00 (C3) = 143,000.24; B = 60,000.00.
    await _pay(c1, "36000.03", "2026-09-20")
    await _pay(c1, "12000.01", "2026-10-20", PaymentTrigger.MILESTONE)
    await _pay(c2, "80000.20", "2026-10-30", PaymentTrigger.ACCEPTANCE)
    await _pay(c3, "15000.00", "2026-09-16")
    await _pay(c4, "60000.00", "2026-10-20")

    # Acceptances: X — C1 failed 55.50 (差, reported 12 Oct, unpublished), C1 passed 85.25 (良, published, not
    # reported); N — C2 passed 92.00 (优, published and reported), C4 passed 78.00 (中, neither).
    await _accept(c1, "2026-10-10", AcceptanceResult.FAIL, "55.50", report_sent_on="2026-10-12")
    await _accept(c1, "2026-11-01", AcceptanceResult.PASS, "85.25", published_on="2026-11-02")
    await _accept(
        c2, "2026-10-25", AcceptanceResult.PASS, "92.00", published_on="2026-10-26", report_sent_on="2026-10-26"
    )
    await _accept(c4, "2026-11-05", AcceptanceResult.PASS, "78.00")
    # Inspections: X — C1 twice (one with rectification), C3 once; N — C4 once with rectification.
    await _inspect(c1, "2026-09-30", rectify=True)
    await _inspect(c1, "2026-10-30", rectify=False)
    await _inspect(c3, "2026-10-05", rectify=False)
    await _inspect(c4, "2026-10-28", rectify=True)

    # Ledgers (dated 2071, the services' calendar year).
    b1 = await _beneficiary(A, ta1.code, 1, AssistanceCategory.DIBAO)
    b2 = await _beneficiary(A, ta1.code, 2, AssistanceCategory.TEKUN)
    b3 = await _beneficiary(A, ta1.code, 3, AssistanceCategory.MARGINAL)
    b4 = await _beneficiary(B, tb1.code, 4, AssistanceCategory.DIBAO)
    ledger1 = await Ledger.create(contract=c1, district_id=A, contractor=x)
    ledger4 = await Ledger.create(contract=c4, district_id=B, contractor=n)
    h, v, p = ServiceUnit.HOURS, ServiceUnit.VISITS, ServiceUnit.PERSONS
    o, rev, amd = EntryKind.ORIGINAL, EntryKind.REVERSAL, EntryKind.AMENDMENT
    dibao, tekun, temp, marginal = (
        AssistanceCategory.DIBAO,
        AssistanceCategory.TEKUN,
        AssistanceCategory.TEMPORARY,
        AssistanceCategory.MARGINAL,
    )
    await _entries(
        ledger1,
        c1,
        [
            ("2071-03-05", ta1.code, item1, dibao, b1, "2.50", h, o, None),  # e0
            ("2071-03-20", ta1.code, item1, tekun, b2, "1.00", v, o, None),  # e1
            ("2071-04-02", ta2.code, item2, dibao, b1, "3.00", h, o, None),  # e2: reversed and amended
            ("2071-04-02", ta2.code, item2, dibao, b1, "-3.00", h, rev, 2),  # e3
            ("2071-04-02", ta2.code, item2, dibao, b1, "2.00", h, amd, 2),  # e4
            ("2071-04-15", ta2.code, item2, temp, None, "25.00", p, o, None),  # e5: an activity, nobody named
            ("2071-05-01", ta1.code, item1, marginal, b3, "0.10", h, o, None),  # e6: reversed, not delivered
            ("2071-05-01", ta1.code, item1, marginal, b3, "-0.10", h, rev, 6),  # e7
            ("2070-12-31", ta1.code, item1, dibao, b1, "5.00", h, o, None),  # e8: outside 2071
        ],
    )
    await _entries(
        ledger4,
        c4,
        [
            ("2071-03-10", tb1.code, item1, dibao, b4, "4.00", h, o, None),
            ("2071-05-10", tb1.code, item1, dibao, b4, "1.00", v, o, None),
        ],
    )

    # Staff of B's first township on 30 Jun 1990: two own and one dispatched (C4) serving; one who left in January
    # and one who starts in July do not count. Training in 2071: a district session of 2.5 h attended by two of
    # them and a city session of 3.0 h attended by one → 8.0 person-hours, 2 people.
    s1 = await _staff(tb1, "看板甲", StaffKind.OWN, "1989-01-01", "1990-12-31", None)
    s2 = await _staff(tb1, "看板乙", StaffKind.OWN, "1989-06-01", "1990-12-31", None)
    await _staff(tb1, "看板丙", StaffKind.DISPATCHED, "1990-03-01", "1990-12-31", c4)
    await _staff(tb1, "看板丁", StaffKind.OWN, "1989-01-01", "1990-01-31", None)
    await _staff(tb1, "看板戊", StaffKind.OWN, "1990-07-01", "1990-12-31", None)
    district_session = await TrainingSession.create(
        level=OrganiserLevel.DISTRICT,
        district_id=B,
        held_on=dt.date(2071, 3, 1),
        form=TrainingForm.CASE_STUDY,
        topic="看板测试培训",
        hours=Decimal("2.5"),
    )
    city_session = await TrainingSession.create(
        level=OrganiserLevel.CITY,
        district_id=None,
        held_on=dt.date(2071, 4, 1),
        form=TrainingForm.POLICY_BRIEFING,
        topic="看板测试市级培训",
        hours=Decimal("3.0"),
    )
    for session, staff in ((district_session, s1), (district_session, s2), (city_session, s1)):
        await TrainingAttendance.create(session=session, staff=staff, district_id=B, attendee_name=staff.name)
    return fixture


@pytest.fixture
async def fixture(api: Api) -> Fixture:
    """The 2071 data (``api`` first: the app's lifespan opens the database)."""
    return await dashboard_fixture()


def by_key(points: list[dict[str, Any]]) -> dict[str, Any]:
    """``{key: value}`` of a list of points."""
    return {p["key"]: p["value"] for p in points}


def gid(type_name: str, pk: object) -> str:
    """Global ID."""
    return encode_id(type_name, pk)


# --- Money ------------------------------------------------------------------------------------------------------------

MONEY = """
query($f: DashboardFilter) { dashboard { money(filter: $f) {
  rows { key label districtCode year floor planned planTotal approved contracted paid shortfall floorCompliant }
  series { key label points { key label value } }
  floorCompliance { key value }
} } }
"""


async def money(api: Api, user: str, **f: Any) -> dict[str, Any]:
    """The money panel."""
    return (await api.data(MONEY, {"f": f}, as_user=user))["dashboard"]["money"]


async def test_money_per_district_and_year(api: Api, fixture: Fixture) -> None:
    m = await money(api, "city_finance", year=YEAR)
    rows = {r["key"]: r for r in m["rows"]}
    assert set(rows) == {f"{A}:{YEAR}", f"{B}:{YEAR}"}
    assert rows[f"{A}:{YEAR}"] == {
        "key": f"{A}:{YEAR}",
        "label": f"海陵区 {YEAR}年",
        "districtCode": A,
        "year": YEAR,
        "floor": "246913.58",
        "planned": "250000.15",
        "planTotal": "250000.15",
        "approved": "240000.00",
        "contracted": "210000.31",  # C1 120,000.10 + 10,000.01 + C2 80,000.20 (C3 terminated, C5 draft)
        "paid": "143000.24",
        "shortfall": "0.00",
        "floorCompliant": True,
    }
    assert rows[f"{B}:{YEAR}"] == {
        "key": f"{B}:{YEAR}",
        "label": f"高港区 {YEAR}年",
        "districtCode": B,
        "year": YEAR,
        "floor": "500000.00",
        "planned": "300000.00",
        "planTotal": "300000.00",
        "approved": None,
        "contracted": "200000.00",
        "paid": "60000.00",
        "shortfall": "200000.00",
        "floorCompliant": False,
    }
    series = {s["key"]: by_key(s["points"]) for s in m["series"]}
    assert list(series) == ["floor", "planned", "approved", "contracted", "paid", "shortfall"]
    assert series["approved"] == {f"{A}:{YEAR}": "240000.00"}  # B's plan is not approved: no point
    assert series["paid"] == {f"{A}:{YEAR}": "143000.24", f"{B}:{YEAR}": "60000.00"}
    assert by_key(m["floorCompliance"]) == {"compliant": 1, "short": 1}


async def test_money_filters(api: Api, fixture: Fixture) -> None:
    # Catalogue item 2: planned is item 2's line; contracts covering item 2 are C1 and C2 (C3 and C4 cover item 1);
    # floor and compliance stay with the whole plan.
    m = await money(api, "city_civil_affairs", year=YEAR, catalogueItem=gid("CatalogueItem", fixture.item2))
    rows = {r["districtCode"]: r for r in m["rows"]}
    assert (rows[A]["planned"], rows[A]["planTotal"], rows[A]["contracted"], rows[A]["paid"]) == (
        "150000.05",
        "250000.15",
        "210000.31",
        "128000.24",  # 36,000.03 + 12,000.01 + 80,000.20
    )
    assert (rows[B]["planned"], rows[B]["contracted"], rows[B]["paid"], rows[B]["floorCompliant"]) == (
        "0.00",
        "0.00",
        "0.00",
        False,
    )
    # October 2026: contracts signed in it (C4 only) and payments made in it.
    m = await money(api, "city_civil_affairs", year=YEAR, dateFrom="2026-10-01", dateTo="2026-10-31")
    rows = {r["districtCode"]: r for r in m["rows"]}
    assert (rows[A]["contracted"], rows[A]["paid"]) == ("0.00", "92000.21")  # 12,000.01 + 80,000.20
    assert (rows[B]["contracted"], rows[B]["paid"]) == ("200000.00", "60000.00")
    # The district filter.
    m = await money(api, "city_civil_affairs", year=YEAR, district=B)
    assert [r["districtCode"] for r in m["rows"]] == [B]


async def test_money_sums_are_exact_at_the_top_of_the_range(api: Api, fixture: Fixture) -> None:
    """SQLite keeps decimals as text and a plain SUM is a float: 3 × ~3·10^13 yuan would lose the fen."""
    plan = await PurchasePlan.get_or_none(district_id="321204", year=2079)
    if plan is None:
        plan = await _plan("321204", "1.00", "1.00", PlanStatus.DRAFT, None)
        await PurchasePlan.filter(pk=plan.pk).update(year=2079)
        plan = await PurchasePlan.get(pk=plan.pk)
        item1 = await CatalogueItem.get(pk=fixture.item1)
        for budget in ("30000000000000.01", "30000000000000.02", "30000000000000.04"):
            await _line(plan, item1, budget)
    m = await money(api, "jiangyan_agency", year=2079)
    assert [(r["planned"], r["floor"], r["floorCompliant"]) for r in m["rows"]] == [("90000000000000.07", "0.04", True)]


# --- Contracts --------------------------------------------------------------------------------------------------------

CONTRACTS = """
query($f: DashboardFilter) { dashboard { contracts(filter: $f) {
  byState { key label value } byDistrict { key label value }
  overdue { publication filing either acceptanceUnpublished }
  overdueByDistrict { key points { key value } }
} } }
"""


async def contracts(api: Api, user: str, **f: Any) -> dict[str, Any]:
    """The contracts panel."""
    return (await api.data(CONTRACTS, {"f": f}, as_user=user))["dashboard"]["contracts"]


async def test_contracts_by_state_and_overdue(api: Api, fixture: Fixture) -> None:
    c = await contracts(api, "city_finance", year=YEAR)
    assert [p["key"] for p in c["byState"]] == [
        "DRAFT",
        "SIGNED",
        "PUBLISHED",
        "FILED",
        "IN_PERFORMANCE",
        "ACCEPTANCE_FAILED",
        "ACCEPTED",
        "CLOSED",
        "TERMINATED",
    ]
    assert {k: v for k, v in by_key(c["byState"]).items() if v} == {
        "DRAFT": 1,
        "IN_PERFORMANCE": 1,
        "CLOSED": 1,
        "TERMINATED": 1,
        "FILED": 1,
    }
    assert by_key(c["byDistrict"]) == {A: 4, B: 1}
    # Publication late: C2. Filing late or past due: C2, C3. Unpublished acceptance results: C1's failure, C4's.
    assert c["overdue"] == {"publication": 1, "filing": 2, "either": 2, "acceptanceUnpublished": 2}
    series = {s["key"]: by_key(s["points"]) for s in c["overdueByDistrict"]}
    assert series == {
        "publication": {A: 1, B: 0},
        "filing": {A: 2, B: 0},
        "acceptanceUnpublished": {A: 1, B: 1},
    }
    # Signed in September 2026: C1, C2, C3 (the draft has no signing date).
    c = await contracts(api, "city_finance", year=YEAR, dateFrom="2026-09-01", dateTo="2026-09-30")
    assert by_key(c["byDistrict"]) == {A: 3}


# --- Services ---------------------------------------------------------------------------------------------------------

SERVICES = """
query($f: DashboardFilter) { dashboard { services(filter: $f) {
  totals { entries hours visits persons beneficiaries }
  byMonth { entries { key label value } hours { key value } visits { key value } persons { key value }
            beneficiaries { key value } }
  byTownship { entries { key value } hours { key value } beneficiaries { key value } }
  byCatalogueItem { entries { key label value } hours { key value } }
  byAssistanceCategory { entries { key label value } hours { key value } visits { key value }
                         persons { key value } beneficiaries { key value } }
} } }
"""


async def services(api: Api, user: str, **f: Any) -> dict[str, Any]:
    """The services panel."""
    return (await api.data(SERVICES, {"f": f}, as_user=user))["dashboard"]["services"]


async def test_services_net_of_corrections(api: Api, fixture: Fixture) -> None:
    s = await services(api, "hailing_agency", year=YEAR)
    # Ledger of C1 in 2071: entries e0 e1 e2 e4 e5 e6 stand or correct (6) minus reversals e3 e7 (2) = 4;
    # hours 2.50 + 3.00 − 3.00 + 2.00 + 0.10 − 0.10 = 4.50; visits 1.00; persons 25.00; people of the entries
    # that stand (e0 b1, e1 b2, e4 b1) = 2 — b3's only entry was reversed. e8 is dated 2070.
    assert s["totals"] == {"entries": 4, "hours": "4.50", "visits": "1.00", "persons": "25.00", "beneficiaries": 2}
    month = s["byMonth"]
    assert [(p["key"], p["label"], p["value"]) for p in month["entries"]] == [
        ("2071-03", "2071年3月", 2),
        ("2071-04", "2071年4月", 2),
        ("2071-05", "2071年5月", 0),
    ]
    assert by_key(month["hours"]) == {"2071-03": "2.50", "2071-04": "2.00", "2071-05": "0.00"}
    assert by_key(month["visits"]) == {"2071-03": "1.00", "2071-04": "0.00", "2071-05": "0.00"}
    assert by_key(month["persons"]) == {"2071-03": "0.00", "2071-04": "25.00", "2071-05": "0.00"}
    assert by_key(month["beneficiaries"]) == {"2071-03": 2, "2071-04": 1, "2071-05": 0}
    town = s["byTownship"]
    assert by_key(town["entries"]) == {fixture.ta1: 2, fixture.ta2: 2}
    assert by_key(town["hours"]) == {fixture.ta1: "2.50", fixture.ta2: "2.00"}
    assert by_key(town["beneficiaries"]) == {fixture.ta1: 2, fixture.ta2: 1}
    item = s["byCatalogueItem"]
    assert by_key(item["entries"]) == {gid("CatalogueItem", fixture.item1): 2, gid("CatalogueItem", fixture.item2): 2}
    assert by_key(item["hours"]) == {
        gid("CatalogueItem", fixture.item1): "2.50",
        gid("CatalogueItem", fixture.item2): "2.00",
    }
    category = s["byAssistanceCategory"]
    assert {p["key"]: p["label"] for p in category["entries"]} == {
        "DIBAO": "低保",
        "TEKUN": "特困",
        "TEMPORARY": "临时救助",
        "MARGINAL": "低保边缘/支出型贫困",
    }
    assert [p["key"] for p in category["entries"]] == ["DIBAO", "TEKUN", "TEMPORARY", "MARGINAL"]
    assert by_key(category["entries"]) == {"DIBAO": 2, "TEKUN": 1, "TEMPORARY": 1, "MARGINAL": 0}
    assert by_key(category["hours"]) == {"DIBAO": "4.50", "TEKUN": "0.00", "TEMPORARY": "0.00", "MARGINAL": "0.00"}
    assert by_key(category["visits"])["TEKUN"] == "1.00"
    assert by_key(category["persons"])["TEMPORARY"] == "25.00"
    assert by_key(category["beneficiaries"]) == {"DIBAO": 1, "TEKUN": 1, "TEMPORARY": 0, "MARGINAL": 0}


async def test_services_filters(api: Api, fixture: Fixture) -> None:
    # Item 2 only: e2, e3, e4, e5 → 2 entries, 2.00 hours, 25 persons, b1.
    s = await services(api, "city_civil_affairs", year=YEAR, catalogueItem=gid("CatalogueItem", fixture.item2))
    assert s["totals"] == {"entries": 2, "hours": "2.00", "visits": "0.00", "persons": "25.00", "beneficiaries": 1}
    # March 2071 in both districts: e0, e1 (A) and B's 4.00 hours → 3 entries, 3 people.
    s = await services(api, "city_civil_affairs", dateFrom="2071-03-01", dateTo="2071-03-31")
    assert s["totals"] == {"entries": 3, "hours": "6.50", "visits": "1.00", "persons": "0.00", "beneficiaries": 3}
    # The 2070 entry on its own.
    s = await services(api, "hailing_agency", year=2070, district=A, catalogueItem=gid("CatalogueItem", fixture.item1))
    assert s["totals"]["hours"] == "5.00"


# --- Performance ------------------------------------------------------------------------------------------------------

PERFORMANCE = """
query($f: DashboardFilter) { dashboard { performance(filter: $f) {
  contractors { key label acceptances passed failed averageScore grades { key value } inspections rectifications }
  averageScore { key value } failed { key value } rectifications { key value } grades { key value }
} } }
"""


async def performance(api: Api, user: str, **f: Any) -> dict[str, Any]:
    """The performance panel."""
    return (await api.data(PERFORMANCE, {"f": f}, as_user=user))["dashboard"]["performance"]


async def test_contractor_performance(api: Api, fixture: Fixture) -> None:
    p = await performance(api, "city_civil_affairs", year=YEAR)
    rows = {r["key"]: r for r in p["contractors"]}
    x, n = gid("Contractor", fixture.x), gid("Contractor", fixture.n)
    assert set(rows) == {x, n}
    # X: 55.50 (差, failed) and 85.25 (良) → mean 70.375 → 70.38; inspections C1 ×2 (one rectification) + C3.
    assert {k: v for k, v in rows[x].items() if k not in ("key", "label")} == {
        "acceptances": 2,
        "passed": 1,
        "failed": 1,
        "averageScore": "70.38",
        "grades": [
            {"key": "优", "value": 0},
            {"key": "良", "value": 1},
            {"key": "中", "value": 0},
            {"key": "差", "value": 1},
        ],
        "inspections": 3,
        "rectifications": 1,
    }
    # N: 92.00 (优) and 78.00 (中) → 85.00; C4 inspected once, with rectification.
    assert {k: v for k, v in rows[n].items() if k not in ("key", "label", "grades")} == {
        "acceptances": 2,
        "passed": 2,
        "failed": 0,
        "averageScore": "85.00",
        "inspections": 1,
        "rectifications": 1,
    }
    assert by_key(p["averageScore"]) == {x: "70.38", n: "85.00"}
    assert by_key(p["failed"]) == {x: 1, n: 0}
    assert by_key(p["rectifications"]) == {x: 1, n: 1}
    assert by_key(p["grades"]) == {"优": 1, "良": 1, "中": 1, "差": 1}
    # Accepted in October 2026 only: X's failure and N's 92.00.
    p = await performance(api, "city_civil_affairs", year=YEAR, dateFrom="2026-10-01", dateTo="2026-10-31")
    assert by_key(p["averageScore"]) == {x: "55.50", n: "92.00"}


# --- Staffing and training --------------------------------------------------------------------------------------------

STAFFING = """
query($f: DashboardFilter) { dashboard { staffing(filter: $f) {
  on trainingYear required { key value } actual { key value } shortfall { key value }
  compliantTownships { key value } shortTownships { key value } townshipShortfall { key label value }
  trainingHours { key label value } trainedStaff { key value }
} } }
"""


async def staffing(api: Api, user: str, **f: Any) -> dict[str, Any]:
    """The staffing panel."""
    return (await api.data(STAFFING, {"f": f}, as_user=user))["dashboard"]["staffing"]


async def test_staffing_and_training(api: Api, fixture: Fixture) -> None:
    s = await staffing(api, "gaogang_agency", year=YEAR, district=B, dateTo="1990-06-30")
    assert (s["on"], s["trainingYear"]) == ("1990-06-30", YEAR)
    required = {
        code: required_staff(p) for code, p in await Township.filter(district_id=B).values_list("code", "population")
    }
    # On 30 Jun 1990 only the fixture's 2 own + 1 dispatched staff serve, all in B's first township: every other
    # township is short of its whole requirement (3 below 50,000 people, 4 from 50,000).
    first_short = max(required[fixture.tb1] - 3, 0)
    shortfalls = {code: r for code, r in required.items() if code != fixture.tb1} | (
        {fixture.tb1: first_short} if first_short else {}
    )
    assert by_key(s["required"]) == {B: sum(required.values())}
    assert by_key(s["actual"]) == {B: 3}
    assert by_key(s["shortfall"]) == {B: sum(shortfalls.values())}
    assert by_key(s["shortTownships"]) == {B: len(shortfalls)}
    assert by_key(s["compliantTownships"]) == {B: len(required) - len(shortfalls)}
    assert by_key(s["townshipShortfall"]) == shortfalls
    # Training in 2071: 2 × 2.5 h (district session) + 3.0 h (city session) = 8.0 person-hours, 2 people.
    assert [(p["key"], p["label"], p["value"]) for p in s["trainingHours"]] == [(B, "高港区", "8.0")]
    assert by_key(s["trainedStaff"]) == {B: 2}


# --- Concentration ----------------------------------------------------------------------------------------------------

CONCENTRATION = """
query($f: DashboardFilter) { dashboard { concentration(filter: $f) {
  total hhi shares { key label value share }
  byDistrict { key label total hhi shares { key value share } } hhiByDistrict { key value }
} } }
"""


async def concentration(api: Api, user: str, **f: Any) -> dict[str, Any]:
    """The concentration panel."""
    return (await api.data(CONCENTRATION, {"f": f}, as_user=user))["dashboard"]["concentration"]


async def test_concentration(api: Api, fixture: Fixture) -> None:
    x, n = gid("Contractor", fixture.x), gid("Contractor", fixture.n)
    c = await concentration(api, "city_finance", year=YEAR)
    # X: C1 130,000.11; N: C2 80,000.20 + C4 200,000.00 = 280,000.20; total 410,000.31.
    # Shares 280,000.20 / 410,000.31 = 0.68292… → 0.6829 and 0.31707… → 0.3171;
    # HHI 68.2925² + 31.7074² = 4,663.87 + 1,005.36 = 5,669.
    assert (c["total"], c["hhi"]) == ("410000.31", 5669)
    assert [(s["key"], s["value"], s["share"]) for s in c["shares"]] == [
        (n, "280000.20", "0.6829"),
        (x, "130000.11", "0.3171"),
    ]
    districts = {d["key"]: d for d in c["byDistrict"]}
    # A: 130,000.11 / 210,000.31 = 0.6190, 80,000.20 / 210,000.31 = 0.3810; HHI 3,832.18 + 1,451.25 = 5,283.
    assert (districts[A]["total"], districts[A]["hhi"]) == ("210000.31", 5283)
    assert [(s["key"], s["share"]) for s in districts[A]["shares"]] == [(x, "0.6190"), (n, "0.3810")]
    assert (districts[B]["total"], districts[B]["hhi"], districts[B]["label"]) == ("200000.00", 10000, "高港区")
    assert by_key(c["hhiByDistrict"]) == {A: 5283, B: 10000}


# --- Scoping: the same query, different and correct totals ------------------------------------------------------------

SCOPED = """
query($f: DashboardFilter) { dashboard {
  money(filter: $f) { rows { districtCode floor contracted paid } }
  contracts(filter: $f) { byDistrict { key value } overdue { filing } }
  services(filter: $f) { totals { entries hours visits persons beneficiaries } }
  performance(filter: $f) { contractors { key acceptances inspections } }
  staffing(filter: {year: 2071, dateTo: "1990-06-30"}) { actual { key value } trainingHours { key value } }
  concentration(filter: $f) { total hhi }
} }
"""


async def scoped_view(api: Api, user: str) -> dict[str, Any]:
    """Every panel for ``user``, year 2071."""
    return (await api.data(SCOPED, {"f": {"year": YEAR}}, as_user=user))["dashboard"]


async def test_same_query_scoped_per_role(api: Api, fixture: Fixture) -> None:
    x, n = gid("Contractor", fixture.x), gid("Contractor", fixture.n)
    # The district (海陵区): A only.
    d = await scoped_view(api, "hailing_agency")
    assert d["money"]["rows"] == [
        {"districtCode": A, "floor": "246913.58", "contracted": "210000.31", "paid": "143000.24"}
    ]
    assert by_key(d["contracts"]["byDistrict"]) == {A: 4}
    assert d["contracts"]["overdue"] == {"filing": 2}
    assert d["services"]["totals"] == {
        "entries": 4,
        "hours": "4.50",
        "visits": "1.00",
        "persons": "25.00",
        "beneficiaries": 2,
    }
    assert {r["key"]: (r["acceptances"], r["inspections"]) for r in d["performance"]["contractors"]} == {
        x: (2, 3),
        n: (1, 0),
    }
    assert d["staffing"]["actual"] == [{"key": A, "value": 0}]  # its own district's staffing only
    assert d["staffing"]["trainingHours"] == []
    assert (d["concentration"]["total"], d["concentration"]["hhi"]) == ("210000.31", 5283)

    # City finance: both districts' money, contracts and acceptances; never service detail, staff or inspections.
    f = await scoped_view(api, "city_finance")
    assert [(r["districtCode"], r["contracted"], r["paid"]) for r in f["money"]["rows"]] == [
        (A, "210000.31", "143000.24"),
        (B, "200000.00", "60000.00"),
    ]
    assert by_key(f["contracts"]["byDistrict"]) == {A: 4, B: 1}
    assert f["contracts"]["overdue"] == {"filing": 2}
    assert f["services"]["totals"] == {
        "entries": 0,
        "hours": "0.00",
        "visits": "0.00",
        "persons": "0.00",
        "beneficiaries": 0,
    }
    assert {r["key"]: (r["acceptances"], r["inspections"]) for r in f["performance"]["contractors"]} == {
        x: (2, 0),
        n: (2, 0),
    }
    assert f["staffing"] == {"actual": [], "trainingHours": []}
    assert (f["concentration"]["total"], f["concentration"]["hhi"]) == ("410000.31", 5669)

    # District finance (海陵区财政局): A's money only.
    hf = await scoped_view(api, "hailing_finance")
    assert [(r["districtCode"], r["paid"]) for r in hf["money"]["rows"]] == [(A, "143000.24")]

    # A contractor (心缘): its own contracts C1, C3, C5 — no plans, no deadlines, its own ledger.
    c = await scoped_view(api, "xinyuan_clerk")
    assert c["money"]["rows"] == [{"districtCode": A, "floor": None, "contracted": "130000.11", "paid": "63000.04"}]
    assert by_key(c["contracts"]["byDistrict"]) == {A: 3}
    assert c["contracts"]["overdue"] is None
    assert c["services"]["totals"] == {
        "entries": 4,
        "hours": "4.50",
        "visits": "1.00",
        "persons": "25.00",
        "beneficiaries": 2,
    }
    assert {r["key"]: (r["acceptances"], r["inspections"]) for r in c["performance"]["contractors"]} == {x: (2, 3)}
    assert c["staffing"] == {"actual": [], "trainingHours": []}
    assert (c["concentration"]["total"], c["concentration"]["hhi"]) == ("130000.11", 10000)

    # The other contractor (安和): C2 and C4 in both districts.
    other = await scoped_view(api, "anhe_clerk")
    assert [(r["districtCode"], r["contracted"]) for r in other["money"]["rows"]] == [
        (A, "80000.20"),
        (B, "200000.00"),
    ]
    assert other["services"]["totals"] == {
        "entries": 2,
        "hours": "4.00",
        "visits": "1.00",
        "persons": "0.00",
        "beneficiaries": 1,
    }


async def test_the_public_sees_aggregates_of_published_records_only(api: Api, fixture: Fixture) -> None:
    body = await api.gql(SCOPED, {"f": {"year": YEAR}})
    assert "errors" not in body, body
    d = body["data"]["dashboard"]
    # Published contracts C1–C4 (not the draft), no plans, no payments, no ledgers, no deadlines.
    assert by_key(d["contracts"]["byDistrict"]) == {A: 3, B: 1}
    assert d["contracts"]["overdue"] is None
    assert [(r["districtCode"], r["floor"], r["paid"]) for r in d["money"]["rows"]] == [
        (A, None, "0.00"),
        (B, None, "0.00"),
    ]
    assert d["services"]["totals"]["entries"] == 0
    assert d["staffing"] == {"actual": [], "trainingHours": []}
    # Published acceptance results only: C1's pass and C2's; never an inspection.
    x, n = gid("Contractor", fixture.x), gid("Contractor", fixture.n)
    assert {r["key"]: (r["acceptances"], r["inspections"]) for r in d["performance"]["contractors"]} == {
        x: (1, 0),
        n: (1, 0),
    }


async def test_invalid_filters_are_typed_errors(api: Api, fixture: Fixture) -> None:
    for f, code in (
        ({"district": "3212"}, "INVALID_ARGUMENT"),
        ({"year": 1800}, "INVALID_ARGUMENT"),
        ({"dateFrom": "2071-02-01", "dateTo": "2071-01-01"}, "INVALID_ARGUMENT"),
        ({"catalogueItem": gid("Contract", 1)}, "INVALID_ID"),
    ):
        body = await api.gql(MONEY, {"f": f}, as_user="city_finance")
        assert body["errors"][0]["extensions"]["code"] == code, (f, body)


# --- Cost -------------------------------------------------------------------------------------------------------------

EVERYTHING = """
query($f: DashboardFilter) { dashboard {
  money(filter: $f) { rows { key floor planned approved contracted paid } series { key points { key value } } }
  contracts(filter: $f) { byState { key value } overdue { either } overdueByDistrict { key points { key value } } }
  services(filter: $f) { totals { entries } byMonth { hours { key value } } byTownship { entries { key value } }
                         byCatalogueItem { beneficiaries { key value } }
                         byAssistanceCategory { persons { key value } } }
  performance(filter: $f) { contractors { key averageScore grades { key value } rectifications } }
  staffing(filter: $f) { required { key value } actual { key value } trainingHours { key value } }
  concentration(filter: $f) { total hhi shares { key share } byDistrict { key hhi } }
} }
"""


async def statements(api: Api, user: str, f: dict[str, Any]) -> int:
    """SQL statements of the whole dashboard for ``user`` (the token is fetched before counting)."""
    await api.token(user)
    with count_sql() as sql:
        await api.data(EVERYTHING, {"f": f}, as_user=user)
    return len(sql)


@pytest.mark.parametrize("user", ["hailing_agency", "city_civil_affairs", "city_finance", "xinyuan_clerk"])
async def test_statement_count_is_constant(api: Api, fixture: Fixture, user: str) -> None:
    small = await statements(api, user, {"year": YEAR})
    everything = await statements(api, user, {})
    assert small == everything, (small, everything)
    # Six panels of a few grouped statements each (32 for a district user, sign-in lookups included).
    assert small <= 40, small
    # More rows do not mean more statements.
    c1 = await Contract.get(code=f"{PREFIX}-C1")
    ledger = await Ledger.get(contract=c1)
    extra = await ServiceEntry.create(
        ledger=ledger,
        contract=c1,
        district_id=A,
        contractor_id=fixture.x,
        service_date=dt.date(2071, 6, 1),
        catalogue_item_id=fixture.item1,
        assistance_category=AssistanceCategory.TEMPORARY,
        township_id=fixture.ta2,
        content="看板测试：计数",
        quantity=Decimal("0.00"),
        unit=ServiceUnit.VISITS,
        staff="测试",
        kind=EntryKind.ORIGINAL,
    )
    try:
        assert await statements(api, user, {"year": YEAR}) == small
    finally:
        await extra.delete()
