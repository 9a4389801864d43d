"""Contract lifecycle through the API (Art. 9(4)–(6), rules 6 and 8): draft → sign → publish → file → perform →
inspect → accept → pay → close, each step by the role that owns it and recorded in history; every rule's refusal
is typed and changes nothing; roles that may not act are refused without side effects; races have one winner.

Fixtures are built directly in the database (plans of years 2050–2054 only), never from the seeded demo rows.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from models import (
    Acceptance,
    CatalogueItem,
    ChangeRecord,
    Contract,
    ContractAmendment,
    Contractor,
    Inspection,
    Ledger,
    Payment,
    PaymentInstalment,
    PlanLine,
    ProcurementLot,
    ProcurementProject,
    PurchasePlan,
)
from models.enums import (
    AwardCriteria,
    FundingSource,
    LotStatus,
    PlanStatus,
    ProcurementMethod,
    ProcurementStatus,
)
from models.timeutil import today
from schema.relay import encode_id
from tests.helpers import Api

HAILING = "321202"
GAOXIN = "321271"
XINYUAN = "52321200MJ5083166C"  # the contractor of xinyuan_clerk (eligible)
AWARDED_ON = dt.date(2026, 1, 5)

ERRORS = "errors { code message field article }"
CONTRACT = (
    "id code status amount effectiveAmount paidAmount signedOn publishedOn filedOn terminatedOn terminationReason "
    "scope serviceEnd"
)
INPUT_TYPES = {
    "draftContract": "DraftContractInput",
    "updateContract": "UpdateContractInput",
    "signContract": "SignContractInput",
    "publishContract": "PublishContractInput",
    "fileContract": "FileContractInput",
    "startPerformance": "StartPerformanceInput",
    "terminateContract": "TerminateContractInput",
    "proposeAmendment": "ProposeAmendmentInput",
    "signAmendment": "SignAmendmentInput",
    "recordInspection": "RecordInspectionInput",
    "recordAcceptance": "RecordAcceptanceInput",
    "reportAcceptanceToFinance": "ReportAcceptanceInput",
    "publishAcceptance": "PublishAcceptanceInput",
    "recordPayment": "RecordPaymentInput",
}
SELECTIONS = {
    "proposeAmendment": "amendment { id status amountDelta changes signedOn reason }",
    "signAmendment": "amendment { id status amountDelta changes signedOn reason }",
    "recordInspection": "inspection { id inspectedOn progressPercent rectificationRequired rectificationDue }",
    "recordAcceptance": f"acceptance {{ id result score grade acceptedOn }} contract {{ {CONTRACT} }}",
    "reportAcceptanceToFinance": f"acceptance {{ id reportSentOn publishedOn }} contract {{ {CONTRACT} }}",
    "publishAcceptance": f"acceptance {{ id reportSentOn publishedOn }} contract {{ {CONTRACT} }}",
    "recordPayment": f"payment {{ id amount isFinal trigger }} contract {{ {CONTRACT} }}",
}
HISTORY = """
query($id: ID!) { node(id: $id) { ... on Contract { status history(first: 50) { totalCount nodes {
  action note actorName before after
} } } } }
"""
CONTRACT_BY_ID = f"query($id: ID!) {{ node(id: $id) {{ ... on Contract {{ {CONTRACT} }} }} }}"


# --- fixtures built in the database ----------------------------------------------------------------------------


async def approved_plan(district: str, year: int, budget: Decimal = Decimal("50000000.00")) -> PurchasePlan:
    """An APPROVED plan of ``district`` for ``year`` (2050–2059: no other test uses them)."""
    assert 2050 <= year <= 2059
    plan = await PurchasePlan.get_or_none(district_id=district, year=year)
    if plan is None:
        plan = await PurchasePlan.create(
            district_id=district,
            year=year,
            status=PlanStatus.APPROVED,
            prev_year_dibao_funds=Decimal("100000000.00"),
            prev_year_temporary_funds=Decimal("20000000.00"),
            approved_budget=budget,
        )
    return plan


async def items(n: int = 3) -> list[CatalogueItem]:
    """The first ``n`` active catalogue items."""
    return await CatalogueItem.filter(is_active=True).order_by("code").limit(n)


async def awarded_lot(
    district: str = HAILING,
    year: int = 2050,
    *,
    award: Decimal = Decimal("300000.00"),
    plan_items: int = 2,
    status: LotStatus = LotStatus.AWARDED,
    budget: Decimal = Decimal("50000000.00"),
) -> ProcurementLot:
    """A new AWARDED project with one lot awarded to xinyuan, buying the first ``plan_items`` catalogue items."""
    plan = await approved_plan(district, year, budget)
    contractor = await Contractor.get(credit_code=XINYUAN)
    lines = []
    for item in await items(plan_items):
        line = await PlanLine.get_or_none(plan=plan, catalogue_item=item)
        if line is None:
            line = await PlanLine.create(
                plan=plan,
                district_id=district,
                catalogue_item=item,
                content=f"{item.name}服务",
                quantity=Decimal("100.00"),
                unit="户",
                budget=Decimal("1000000.00"),
                funding_source=FundingSource.WORK_FUNDS,
            )
        lines.append(line)
    project = await ProcurementProject.create(
        district_id=district,
        plan=plan,
        code=f"T-{uuid.uuid4().hex[:12]}",
        title="测试采购项目",
        budget=award,
        content="测试内容",
        status=ProcurementStatus.AWARDED,
        method=ProcurementMethod.OPEN_TENDER,
        award_criteria=AwardCriteria.QUALITY_WEIGHTED,
        published_on=dt.date(2025, 12, 1),
    )
    await project.plan_lines.add(*lines)
    awarded = status == LotStatus.AWARDED
    return await ProcurementLot.create(
        project=project,
        district_id=district,
        number=1,
        title="第1包",
        budget=award,
        status=status,
        awarded_contractor=contractor if awarded else None,
        award_amount=award if awarded else None,
        awarded_on=AWARDED_ON if awarded else None,
    )


def gid(type_name: str, pk: object) -> str:
    """Global ID."""
    return encode_id(type_name, pk)


async def draft_input(lot: ProcurementLot, amount: str = "300000.00", **overrides: Any) -> dict[str, Any]:
    """A complete draft: every Art. 9(4) item, a 1-year term and a 30/40/30 schedule."""
    total = Decimal(amount)
    first, second = (
        (total * Decimal("0.3")).quantize(Decimal("0.01")),
        (total * Decimal("0.4")).quantize(Decimal("0.01")),
    )
    line_items = await CatalogueItem.filter(plan_lines__projects__id=lot.project_id).distinct()  # type: ignore[attr-defined]
    values: dict[str, Any] = {
        "lot": gid("ProcurementLot", lot.pk),
        "title": "社会救助服务合同（测试）",
        "scope": "海陵区城东街道范围内的社会救助服务",
        "subject": "为低保、特困对象提供探访照料服务",
        "quantity": "服务对象不少于200户",
        "qualityRequirements": "服务对象满意度不低于90%",
        "serviceStart": "2026-02-15",
        "serviceEnd": "2026-11-15",
        "amount": amount,
        "paymentMethod": "分三期支付：30%、40%、30%（尾款验收合格后支付）",
        "rightsObligations": "甲方监督考核，乙方按约提供服务并建立台账",
        "breachLiability": "服务不达标的限期整改，经整改仍不合格的解除合同",
        "catalogueItems": [gid("CatalogueItem", i.pk) for i in line_items[:2]],
        "instalments": [
            {"amount": str(first), "trigger": "SIGNING", "condition": "备案后支付"},
            {"amount": str(second), "trigger": "MILESTONE", "condition": "中期检查合格后支付"},
            {"amount": str(total - first - second), "trigger": "ACCEPTANCE", "condition": "验收合格", "isFinal": True},
        ],
    }
    values.update(overrides)
    return {k: v for k, v in values.items() if v is not None}


# --- API helpers -------------------------------------------------------------------------------------------------


async def call(api: Api, name: str, variables: dict[str, Any], user: str | None) -> dict[str, Any]:
    """Run mutation ``name`` with ``input`` as ``user``; returns its payload."""
    selection = SELECTIONS.get(name, f"contract {{ {CONTRACT} }}")
    document = f"mutation($input: {INPUT_TYPES[name]}!) {{ {name}(input: $input) {{ {selection} {ERRORS} }} }}"
    return (await api.data(document, {"input": variables}, as_user=user))[name]


async def ok(api: Api, name: str, variables: dict[str, Any], user: str | None) -> dict[str, Any]:
    """Run a mutation that must succeed."""
    payload = await call(api, name, variables, user)
    assert payload["errors"] == [], (name, user, payload["errors"])
    return payload


def codes(payload: dict[str, Any]) -> list[tuple[str, str | None]]:
    """(code, field) of each error."""
    assert all(e["message"] for e in payload["errors"])
    return [(e["code"], e["field"]) for e in payload["errors"]]


async def footprint(contract_pk: int | None = None) -> dict[str, Any]:
    """Everything a refused mutation must leave untouched."""
    out: dict[str, Any] = {
        "history": await ChangeRecord.all().count(),
        "contracts": await Contract.all().count(),
        "amendments": await ContractAmendment.all().count(),
        "inspections": await Inspection.all().count(),
        "acceptances": await Acceptance.all().count(),
        "payments": await Payment.all().count(),
        "instalments": await PaymentInstalment.all().count(),
        "ledgers": await Ledger.all().count(),
    }
    if contract_pk is not None:
        row = await Contract.get(pk=contract_pk)
        out["row"] = {k: getattr(row, k) for k in row._meta.db_fields if k != "updated_at"}
        out["items"] = sorted(await row.catalogue_items.all().values_list("id", flat=True))
    return out


async def refused(
    api: Api, name: str, variables: dict[str, Any], user: str | None, expected: list[tuple[str, str | None]]
) -> dict[str, Any]:
    """Run a mutation that must be refused with ``expected`` errors and change nothing."""
    pk = None
    target = variables.get("contract")
    if target:
        try:
            from schema.relay import decode_id

            kind, raw = decode_id(target)
            pk = int(raw) if kind == "Contract" and await Contract.filter(pk=int(raw)).exists() else None
        except Exception:
            pk = None
    before = await footprint(pk)
    payload = await call(api, name, variables, user)
    assert codes(payload) == expected, (name, user, payload["errors"])
    first_key = next(k for k in payload if k != "errors")
    assert payload[first_key] is None
    assert await footprint(pk) == before, (name, user)
    return payload


async def drafted(api: Api, lot: ProcurementLot | None = None, **overrides: Any) -> dict[str, Any]:
    """A drafted contract (as hailing_agency unless the lot is elsewhere)."""
    lot = lot or await awarded_lot()
    agency = {HAILING: "hailing_agency", GAOXIN: "gaoxin_agency"}[lot.district_id]
    return (await ok(api, "draftContract", await draft_input(lot, **overrides), agency))["contract"]


async def signed(api: Api, **overrides: Any) -> dict[str, Any]:
    """A contract signed on 2026-01-30."""
    contract = await drafted(api, **overrides)
    return (await ok(api, "signContract", {"contract": contract["id"], "signedOn": "2026-01-30"}, "hailing_purchaser"))[
        "contract"
    ]


async def performing(api: Api, **overrides: Any) -> dict[str, Any]:
    """A contract in performance (signed 2026-01-30, published 02-02, filed 02-09)."""
    contract = await signed(api, **overrides)
    cid = {"contract": contract["id"]}
    await ok(api, "publishContract", {**cid, "publishedOn": "2026-02-02"}, "hailing_agency")
    await ok(api, "fileContract", {**cid, "filedOn": "2026-02-09"}, "hailing_finance")
    return (await ok(api, "startPerformance", cid, "hailing_agency"))["contract"]


def pk(global_id: str) -> int:
    """Primary key inside a global ID."""
    from schema.relay import decode_id

    return int(decode_id(global_id)[1])


# --- the whole path ------------------------------------------------------------------------------------------------


async def test_whole_path_draft_to_closed_by_the_owning_roles(api: Api) -> None:
    lot = await awarded_lot(year=2050)
    contract = await drafted(api, lot, scope=None)
    cid = {"contract": contract["id"]}
    assert contract["status"] == "DRAFT"
    assert contract["code"].startswith("TZ-321202-2050-")
    assert contract["amount"] == contract["effectiveAmount"] == "300000.00"

    updated = await ok(api, "updateContract", {**cid, "scope": "海陵区城东、城西街道"}, "hailing_agency")
    assert updated["contract"]["scope"] == "海陵区城东、城西街道"

    contract = (await ok(api, "signContract", {**cid, "signedOn": "2026-01-30"}, "hailing_purchaser"))["contract"]
    assert (contract["status"], contract["signedOn"]) == ("SIGNED", "2026-01-30")
    contract = (await ok(api, "publishContract", {**cid, "publishedOn": "2026-02-02"}, "hailing_agency"))["contract"]
    assert (contract["status"], contract["publishedOn"]) == ("PUBLISHED", "2026-02-02")
    contract = (await ok(api, "fileContract", {**cid, "filedOn": "2026-02-09"}, "hailing_finance"))["contract"]
    assert (contract["status"], contract["filedOn"]) == ("FILED", "2026-02-09")
    assert not await Ledger.filter(contract_id=pk(contract["id"])).exists()
    contract = (await ok(api, "startPerformance", cid, "hailing_agency"))["contract"]
    assert contract["status"] == "IN_PERFORMANCE"
    ledger = await Ledger.get(contract_id=pk(contract["id"]))
    assert (ledger.district_id, ledger.contractor_id) == (HAILING, (await Contractor.get(credit_code=XINYUAN)).pk)

    instalments = await PaymentInstalment.filter(contract_id=pk(contract["id"])).order_by("sequence")
    assert [i.amount for i in instalments] == [Decimal("90000.00"), Decimal("120000.00"), Decimal("90000.00")]
    assert [i.is_final for i in instalments] == [False, False, True]
    paid = await ok(
        api,
        "recordPayment",
        {
            **cid,
            "instalment": gid("PaymentInstalment", instalments[0].pk),
            "amount": "90000.00",
            "paidOn": "2026-02-20",
            "trigger": "SIGNING",
        },
        "hailing_agency",
    )
    assert paid["contract"]["paidAmount"] == "90000.00"

    inspection = {**cid, "inspector": "海陵区民政局 王芳", "findings": "按计划推进", "progressPercent": 50}
    await ok(api, "recordInspection", {**inspection, "inspectedOn": "2026-06-10"}, "hailing_agency")
    await ok(
        api,
        "recordPayment",
        {
            **cid,
            "instalment": gid("PaymentInstalment", instalments[1].pk),
            "amount": "120000.00",
            "paidOn": "2026-06-20",
            "trigger": "MILESTONE",
        },
        "hailing_agency",
    )

    # The final instalment before a passed acceptance: refused, nothing written.
    final = {
        **cid,
        "instalment": gid("PaymentInstalment", instalments[2].pk),
        "amount": "90000.00",
        "paidOn": "2026-11-16",
        "trigger": "ACCEPTANCE",
    }
    failed_acceptance = {**cid, "panel": "验收小组：张三、李四、王五", "findings": "台账不完整"}
    await refused(api, "recordPayment", final, "hailing_agency", [("ACCEPTANCE_REQUIRED", "isFinal")])

    result = await ok(
        api,
        "recordAcceptance",
        {**failed_acceptance, "acceptedOn": "2026-11-16", "result": "FAIL", "score": "55.5"},
        "hailing_agency",
    )
    assert result["acceptance"]["grade"] == "差"
    assert result["contract"]["status"] == "ACCEPTANCE_FAILED"
    await refused(api, "recordPayment", final, "hailing_agency", [("ACCEPTANCE_REQUIRED", "isFinal")])

    # Re-acceptance needs a rectification inspection dated after the failed acceptance.
    passing = {**failed_acceptance, "acceptedOn": "2026-11-25", "result": "PASS", "score": "91", "findings": "合格"}
    payload = await refused(
        api, "recordAcceptance", passing, "hailing_agency", [("RECTIFICATION_NOT_INSPECTED", "contract")]
    )
    assert payload["errors"][0]["article"] == "第九条第（五）项"
    await ok(
        api,
        "recordInspection",
        {
            **inspection,
            "inspectedOn": "2026-11-20",
            "progressPercent": 100,
            "findings": "整改复查：台账已补正",
            "rectificationRequired": True,
            "rectificationDue": "2026-11-24",
        },
        "hailing_agency",
    )
    result = await ok(api, "recordAcceptance", passing, "hailing_agency")
    assert (result["acceptance"]["grade"], result["contract"]["status"]) == ("优", "ACCEPTED")
    acceptance_id = result["acceptance"]["id"]

    # Not public until published; then the public reads the result.
    public_read = "query($id: ID!) { node(id: $id) { ... on Acceptance { result score grade publishedOn } } }"
    assert (await api.data(public_read, {"id": acceptance_id}))["node"] is None
    reported = await ok(
        api, "reportAcceptanceToFinance", {"acceptance": acceptance_id, "sentOn": "2026-11-26"}, "hailing_agency"
    )
    assert reported["acceptance"]["reportSentOn"] == "2026-11-26"
    await refused(
        api,
        "reportAcceptanceToFinance",
        {"acceptance": acceptance_id},
        "hailing_agency",
        [("INVALID_STATE", "acceptance")],
    )
    published = await ok(
        api, "publishAcceptance", {"acceptance": acceptance_id, "publishedOn": "2026-11-27"}, "hailing_agency"
    )
    assert published["acceptance"]["publishedOn"] == "2026-11-27"
    public = (await api.data(public_read, {"id": acceptance_id}))["node"]
    assert public == {"result": "PASS", "score": "91.00", "grade": "优", "publishedOn": "2026-11-27"}

    # The final payment closes the contract in the same transaction.
    closed = await ok(api, "recordPayment", final, "hailing_agency")
    assert closed["payment"]["isFinal"] is True
    assert (closed["contract"]["status"], closed["contract"]["paidAmount"]) == ("CLOSED", "300000.00")

    history = (await api.data(HISTORY, {"id": contract["id"]}, as_user="hailing_purchaser"))["node"]
    steps = [
        (n["action"], n["note"], n["after"].get("status") if n["after"] else None) for n in history["history"]["nodes"]
    ]
    assert steps == [
        ("CREATE", "起草合同", "draft"),
        ("UPDATE", "修改合同草稿", None),
        ("TRANSITION", "签订合同", "signed"),
        ("TRANSITION", "公示合同", "published"),
        ("TRANSITION", "合同备案", "filed"),
        ("TRANSITION", "开始履约", "in_performance"),
        ("TRANSITION", "验收不合格", "acceptance_failed"),
        ("TRANSITION", "验收通过", "accepted"),
        ("TRANSITION", "全额支付，合同关闭", "closed"),
    ]
    actors = [n["actorName"] for n in history["history"]["nodes"]]
    assert "hailing_agency" in actors[0]
    assert "hailing_purchaser" in actors[2]
    assert "hailing_finance" in actors[4]
    assert "hailing_agency" in actors[-1]
    # every child row was recorded too
    for model in (Inspection, Acceptance, Payment, PaymentInstalment):
        rows = await model.filter(contract_id=pk(contract["id"])).values_list("id", flat=True)
        recorded = await ChangeRecord.filter(entity_type=model.__name__, entity_id__in=[str(r) for r in rows]).count()
        assert recorded >= len(rows) > 0, model.__name__


# --- rule 6: content and term at signing ---------------------------------------------------------------------------


async def test_signing_without_the_content_of_article_9_4_is_refused_per_missing_item(api: Api) -> None:
    contract = await drafted(
        api, scope=None, quantity="  ", qualityRequirements=None, serviceEnd=None, breachLiability=None
    )
    payload = await refused(
        api,
        "signContract",
        {"contract": contract["id"], "signedOn": "2026-01-30"},
        "hailing_purchaser",
        [
            ("MISSING_CONTENT", "scope"),
            ("MISSING_CONTENT", "quantity"),
            ("MISSING_CONTENT", "qualityRequirements"),
            ("MISSING_CONTENT", "serviceEnd"),
            ("MISSING_CONTENT", "breachLiability"),
        ],
    )
    assert {e["article"] for e in payload["errors"]} == {"第九条第（四）项"}
    again = (await api.data(CONTRACT_BY_ID, {"id": contract["id"]}, as_user="hailing_agency"))["node"]
    assert (again["status"], again["signedOn"]) == ("DRAFT", None)


async def test_term_over_one_year_needs_a_reason_and_never_exceeds_three(api: Api) -> None:
    long = await drafted(api, serviceStart="2026-01-01", serviceEnd="2027-01-02")  # 367 days
    sign = {"contract": long["id"], "signedOn": "2026-01-30"}
    await refused(api, "signContract", sign, "hailing_purchaser", [("TERM_REASON_REQUIRED", "termReason")])
    await ok(api, "updateContract", {"contract": long["id"], "termReason": "服务对象需连续跟踪"}, "hailing_agency")
    assert (await ok(api, "signContract", sign, "hailing_purchaser"))["contract"]["status"] == "SIGNED"

    leap = await drafted(api, serviceStart="2028-01-01", serviceEnd="2028-12-31")  # 366 days: one leap year is fine
    await ok(api, "signContract", {"contract": leap["id"], "signedOn": "2026-01-30"}, "hailing_purchaser")

    too_long = await drafted(api, serviceStart="2026-01-01", serviceEnd="2029-01-10", termReason="长期项目")
    await refused(
        api,
        "signContract",
        {"contract": too_long["id"], "signedOn": "2026-01-30"},
        "hailing_purchaser",
        [("TERM_TOO_LONG", "serviceEnd")],
    )
    lot = await awarded_lot()
    await refused(
        api,
        "draftContract",
        await draft_input(lot, serviceStart="2026-05-01", serviceEnd="2026-04-30"),
        "hailing_agency",
        [("INVALID_PERIOD", "serviceEnd")],
    )
    # a future signing date, or one before the award, is refused
    await refused(
        api,
        "signContract",
        {"contract": too_long["id"], "signedOn": "2025-12-31"},
        "hailing_purchaser",
        [("TERM_TOO_LONG", "serviceEnd"), ("INVALID_DATE", "signedOn")],
    )


async def test_draft_refusals_are_typed_and_write_nothing(api: Api) -> None:
    lot = await awarded_lot()
    agency = "hailing_agency"
    await refused(
        api, "draftContract", await draft_input(lot, amount="300000.01"), agency, [("AMOUNT_EXCEEDS_AWARD", "amount")]
    )
    other = (await items(5))[4]
    await refused(
        api,
        "draftContract",
        await draft_input(lot, catalogueItems=[gid("CatalogueItem", other.pk)]),
        agency,
        [("CATALOGUE_ITEM_NOT_IN_PLAN", "catalogueItems")],
    )
    await refused(
        api, "draftContract", await draft_input(lot, catalogueItems=[]), agency, [("INVALID", "catalogueItems")]
    )
    mismatched = await draft_input(lot)
    mismatched["instalments"][0]["amount"] = "1.00"
    await refused(api, "draftContract", mismatched, agency, [("INSTALMENTS_MISMATCH", "instalments")])
    too_many = await draft_input(lot)
    too_many["instalments"] = [{"amount": "1.00", "trigger": "MILESTONE"}] * 13
    await refused(api, "draftContract", too_many, agency, [("INVALID", "instalments")])
    open_lot = await awarded_lot(status=LotStatus.OPEN)
    await refused(api, "draftContract", await draft_input(open_lot), agency, [("LOT_NOT_AWARDED", "lot")])

    first = await drafted(api, lot)
    await refused(api, "draftContract", await draft_input(lot), agency, [("LOT_ALREADY_CONTRACTED", "lot")])
    await refused(
        api,
        "draftContract",
        await draft_input(await awarded_lot(), code=first["code"]),
        agency,
        [("CODE_TAKEN", "code")],
    )
    # updating anything but a draft is refused; an empty update is refused
    await refused(api, "updateContract", {"contract": first["id"]}, agency, [("NOTHING_TO_CHANGE", None)])
    await ok(api, "signContract", {"contract": first["id"], "signedOn": "2026-01-30"}, "hailing_purchaser")
    await refused(
        api, "updateContract", {"contract": first["id"], "scope": "改"}, agency, [("INVALID_STATE", "status")]
    )


async def test_signing_beyond_the_plan_budget_is_refused(api: Api) -> None:
    lot = await awarded_lot(GAOXIN, 2051, award=Decimal("300000.00"), budget=Decimal("500000.00"))
    first = await drafted(api, lot)
    await ok(api, "signContract", {"contract": first["id"], "signedOn": "2026-01-30"}, "gaoxin_purchaser")
    second = await drafted(api, await awarded_lot(GAOXIN, 2051, award=Decimal("300000.00")))
    payload = await refused(
        api,
        "signContract",
        {"contract": second["id"], "signedOn": "2026-01-30"},
        "gaoxin_purchaser",
        [("PLAN_BUDGET_EXCEEDED", "amount")],
    )
    assert payload["errors"][0]["article"] == "第九条第（一）项"


# --- who may act ---------------------------------------------------------------------------------------------------


async def test_roles_that_may_not_act_are_refused_without_side_effects(api: Api) -> None:
    contract = await drafted(api)
    cid = {"contract": contract["id"], "signedOn": "2026-01-30"}
    await refused(api, "signContract", cid, "xinyuan_clerk", [("FORBIDDEN", "contract")])  # its own contract
    await refused(api, "signContract", cid, "hailing_agency", [("FORBIDDEN", "contract")])
    await refused(api, "signContract", cid, "hailing_finance", [("FORBIDDEN", "contract")])
    await refused(api, "signContract", cid, "gaogang_purchaser", [("NOT_FOUND", "contract")])
    await refused(api, "signContract", cid, "anhe_clerk", [("NOT_FOUND", "contract")])
    await refused(api, "signContract", cid, None, [("NOT_FOUND", "contract")])  # the public never sees drafts
    edit = {"contract": contract["id"], "scope": "x"}
    await refused(api, "updateContract", edit, "hailing_purchaser", [("FORBIDDEN", "contract")])
    lot = await awarded_lot()
    for user, code in (
        ("hailing_purchaser", "FORBIDDEN"),
        ("gaogang_agency", "NOT_FOUND"),
        ("city_finance", "FORBIDDEN"),
    ):
        await refused(api, "draftContract", await draft_input(lot), user, [(code, "lot")])

    await ok(api, "signContract", cid, "hailing_purchaser")
    publish = {"contract": contract["id"], "publishedOn": "2026-02-02"}
    await refused(api, "publishContract", publish, "hailing_finance", [("FORBIDDEN", "contract")])
    await refused(api, "publishContract", publish, "hailing_purchaser", [("FORBIDDEN", "contract")])
    await refused(api, "publishContract", publish, "xinghua_agency", [("NOT_FOUND", "contract")])
    await ok(api, "publishContract", publish, "hailing_agency")
    filing = {"contract": contract["id"], "filedOn": "2026-02-09"}
    await refused(api, "fileContract", filing, "hailing_agency", [("FORBIDDEN", "contract")])
    await refused(api, "fileContract", filing, None, [("FORBIDDEN", "contract")])  # published: visible, not writable
    await ok(api, "fileContract", filing, "city_finance")
    await refused(
        api, "startPerformance", {"contract": contract["id"]}, "hailing_purchaser", [("FORBIDDEN", "contract")]
    )
    await ok(api, "startPerformance", {"contract": contract["id"]}, "hailing_agency")
    inspection = {"contract": contract["id"], "inspectedOn": "2026-03-01", "inspector": "甲", "progressPercent": 10}
    await refused(api, "recordInspection", inspection, "hailing_purchaser", [("FORBIDDEN", "contract")])
    await refused(api, "recordInspection", inspection, "xinyuan_clerk", [("FORBIDDEN", "contract")])
    payment = {"contract": contract["id"], "amount": "1.00", "paidOn": "2026-03-01", "trigger": "SIGNING"}
    await refused(api, "recordPayment", payment, "hailing_finance", [("FORBIDDEN", "contract")])
    await refused(api, "recordPayment", payment, None, [("FORBIDDEN", "contract")])
    terminate = {"contract": contract["id"], "reason": "测试"}
    await refused(api, "terminateContract", terminate, "hailing_agency", [("FORBIDDEN", "contract")])
    await refused(api, "terminateContract", terminate, None, [("FORBIDDEN", "contract")])
    await refused(api, "terminateContract", terminate, "xinyuan_clerk", [("FORBIDDEN", "contract")])


# --- state machine -------------------------------------------------------------------------------------------------


async def test_transitions_from_the_wrong_state_are_refused(api: Api) -> None:
    contract = await drafted(api)
    cid = {"contract": contract["id"]}
    await refused(api, "publishContract", cid, "hailing_agency", [("INVALID_STATE", "status")])
    await refused(api, "fileContract", cid, "hailing_finance", [("INVALID_STATE", "status")])
    await refused(api, "startPerformance", cid, "hailing_agency", [("INVALID_STATE", "status")])
    await refused(api, "terminateContract", cid | {"reason": "x"}, "hailing_purchaser", [("INVALID_STATE", "status")])
    await refused(
        api,
        "recordInspection",
        cid | {"inspectedOn": "2026-03-01", "inspector": "甲", "progressPercent": 10},
        "hailing_agency",
        [("INVALID_STATE", "status")],
    )
    await refused(
        api,
        "recordPayment",
        cid | {"amount": "1.00", "paidOn": "2026-03-01", "trigger": "SIGNING"},
        "hailing_agency",
        [("INVALID_STATE", "status")],
    )
    await ok(api, "signContract", cid | {"signedOn": "2026-01-30"}, "hailing_purchaser")
    await refused(api, "signContract", cid, "hailing_purchaser", [("INVALID_STATE", "status")])
    await refused(
        api,
        "recordAcceptance",
        cid | {"acceptedOn": "2026-03-01", "panel": "甲", "result": "PASS", "score": "90"},
        "hailing_agency",
        [("INVALID_STATE", "status")],
    )
    await refused(
        api, "publishContract", cid | {"publishedOn": "2026-01-29"}, "hailing_agency", [("INVALID_DATE", "publishedOn")]
    )


async def test_inspection_and_acceptance_input_rules(api: Api) -> None:
    contract = await performing(api)
    cid = {"contract": contract["id"]}
    base = cid | {"inspectedOn": "2026-03-01", "inspector": "甲", "progressPercent": 10}
    await refused(
        api, "recordInspection", base | {"progressPercent": 101}, "hailing_agency", [("INVALID", "progressPercent")]
    )
    await refused(
        api,
        "recordInspection",
        base | {"rectificationRequired": True},
        "hailing_agency",
        [("REQUIRED", "rectificationDue")],
    )
    await refused(api, "recordInspection", base | {"inspector": " "}, "hailing_agency", [("REQUIRED", "inspector")])
    future = (today() + dt.timedelta(days=3)).isoformat()
    await refused(
        api, "recordInspection", base | {"inspectedOn": future}, "hailing_agency", [("INVALID_DATE", "inspectedOn")]
    )
    acceptance = cid | {"acceptedOn": "2026-03-01", "panel": "甲", "result": "PASS", "score": "100.5"}
    await refused(api, "recordAcceptance", acceptance, "hailing_agency", [("INVALID", "score")])
    await refused(
        api, "recordAcceptance", acceptance | {"score": "80", "panel": ""}, "hailing_agency", [("REQUIRED", "panel")]
    )


# --- amendments and termination -----------------------------------------------------------------------------------


async def test_amendment_is_its_own_record_and_raises_the_effective_amount_once_signed(api: Api) -> None:
    contract = await performing(api)
    cid = {"contract": contract["id"]}
    proposal = cid | {
        "reason": "新增服务对象，增加巡访频次",
        "changes": {"serviceEnd": "2026-12-31", "quantity": "服务对象不少于260户", "amount": "330000.00"},
    }
    amendment = (await ok(api, "proposeAmendment", proposal, "hailing_agency"))["amendment"]
    assert (amendment["status"], amendment["amountDelta"]) == ("DRAFT", "30000.00")
    assert amendment["changes"]["service_end"] == {"before": "2026-11-15", "after": "2026-12-31"}
    assert amendment["changes"]["amount"] == {"before": "300000.00", "after": "330000.00"}
    unsigned = (await api.data(CONTRACT_BY_ID, {"id": contract["id"]}, as_user="hailing_agency"))["node"]
    assert unsigned["effectiveAmount"] == "300000.00"

    sign = {"amendment": amendment["id"], "signedOn": "2026-06-01"}
    await refused(api, "signAmendment", sign, "hailing_agency", [("FORBIDDEN", "amendment")])
    await refused(api, "signAmendment", sign, "gaogang_purchaser", [("NOT_FOUND", "amendment")])
    signed_amendment = (await ok(api, "signAmendment", sign, "hailing_purchaser"))["amendment"]
    assert (signed_amendment["status"], signed_amendment["signedOn"]) == ("SIGNED", "2026-06-01")
    await refused(api, "signAmendment", sign, "hailing_purchaser", [("INVALID_STATE", "status")])

    after = (await api.data(CONTRACT_BY_ID, {"id": contract["id"]}, as_user="hailing_finance"))["node"]
    # the contract row is untouched: the amendment is the record of the change
    assert (after["amount"], after["serviceEnd"], after["effectiveAmount"]) == ("300000.00", "2026-11-15", "330000.00")
    public = (await api.data(CONTRACT_BY_ID, {"id": contract["id"]}))["node"]
    assert public["effectiveAmount"] == "330000.00"
    assert public["paidAmount"] is None

    # payments may now reach the effective amount, not beyond
    await ok(
        api,
        "recordPayment",
        cid | {"amount": "320000.00", "paidOn": "2026-06-02", "trigger": "MILESTONE"},
        "hailing_agency",
    )
    await refused(
        api,
        "recordPayment",
        cid | {"amount": "10000.01", "paidOn": "2026-06-02", "trigger": "MILESTONE"},
        "hailing_agency",
        [("OVERPAID", "amount")],
    )
    # an amendment may not bring the amount below what has been paid, nor change other fields
    await refused(
        api,
        "proposeAmendment",
        cid | {"reason": "减少", "amountDelta": "-20000.00"},
        "hailing_agency",
        [("AMOUNT_BELOW_PAID", "amountDelta")],
    )
    await refused(
        api,
        "proposeAmendment",
        cid | {"reason": "改名", "changes": {"contractor": "别家"}},
        "hailing_agency",
        [("AMENDMENT_FIELD_NOT_ALLOWED", "changes")],
    )
    await refused(
        api,
        "proposeAmendment",
        cid | {"reason": " ", "amountDelta": "1.00"},
        "hailing_agency",
        [("REQUIRED", "reason")],
    )
    await refused(
        api,
        "proposeAmendment",
        cid | {"reason": "无", "changes": {}},
        "hailing_agency",
        [("NOTHING_TO_CHANGE", "changes")],
    )
    await refused(
        api,
        "proposeAmendment",
        cid | {"reason": "延长", "changes": {"serviceEnd": "2029-12-31"}},
        "hailing_agency",
        [("TERM_TOO_LONG", "serviceEnd")],
    )
    await refused(
        api,
        "proposeAmendment",
        cid | {"reason": "x", "amountDelta": "1.00"},
        "hailing_purchaser",
        [("FORBIDDEN", "contract")],
    )


async def test_termination_needs_a_reason_and_stops_payments(api: Api) -> None:
    contract = await performing(api)
    cid = {"contract": contract["id"]}
    await refused(api, "terminateContract", cid | {"reason": "  "}, "hailing_purchaser", [("REQUIRED", "reason")])
    done = (
        await ok(
            api,
            "terminateContract",
            cid | {"reason": "服务严重不达标", "terminatedOn": "2026-05-01"},
            "hailing_purchaser",
        )
    )["contract"]
    assert (done["status"], done["terminatedOn"], done["terminationReason"]) == (
        "TERMINATED",
        "2026-05-01",
        "服务严重不达标",
    )
    await refused(
        api, "terminateContract", cid | {"reason": "再次"}, "hailing_purchaser", [("INVALID_STATE", "status")]
    )
    await refused(
        api,
        "recordPayment",
        cid | {"amount": "1.00", "paidOn": "2026-05-02", "trigger": "MILESTONE"},
        "hailing_agency",
        [("INVALID_STATE", "status")],
    )
    await refused(
        api,
        "proposeAmendment",
        cid | {"reason": "x", "amountDelta": "1.00"},
        "hailing_agency",
        [("INVALID_STATE", "status")],
    )
    # the lot may be contracted again once its contract is terminated
    lot = await ProcurementLot.get(pk=(await Contract.get(pk=pk(contract["id"]))).lot_id)
    again = await drafted(api, lot)
    assert again["status"] == "DRAFT"


async def test_payment_rules(api: Api) -> None:
    contract = await signed(api)
    cid = {"contract": contract["id"]}
    pay = cid | {"paidOn": "2026-02-01", "trigger": "SIGNING"}
    await refused(api, "recordPayment", pay | {"amount": "300000.01"}, "hailing_agency", [("OVERPAID", "amount")])
    await refused(api, "recordPayment", pay | {"amount": "0"}, "hailing_agency", [("INVALID", "amount")])
    await refused(api, "recordPayment", pay | {"amount": "1.001"}, "hailing_agency", [("INVALID", "amount")])
    await refused(
        api,
        "recordPayment",
        pay | {"amount": "1.00", "paidOn": "2026-01-29"},
        "hailing_agency",
        [("INVALID_DATE", "paidOn")],
    )
    await refused(
        api,
        "recordPayment",
        pay | {"amount": "1.00", "isFinal": True},
        "hailing_agency",
        [("ACCEPTANCE_REQUIRED", "isFinal")],
    )
    # paying the whole amount is the final payment, whatever the flag says
    await refused(
        api, "recordPayment", pay | {"amount": "300000.00"}, "hailing_agency", [("ACCEPTANCE_REQUIRED", "isFinal")]
    )
    first = await PaymentInstalment.get(contract_id=pk(contract["id"]), sequence=1)
    await refused(
        api,
        "recordPayment",
        pay | {"amount": "90000.01", "instalment": gid("PaymentInstalment", first.pk)},
        "hailing_agency",
        [("INSTALMENT_EXCEEDED", "amount")],
    )
    foreign = await PaymentInstalment.exclude(contract_id=pk(contract["id"])).first()
    assert foreign is not None
    await refused(
        api,
        "recordPayment",
        pay | {"amount": "1.00", "instalment": gid("PaymentInstalment", foreign.pk)},
        "hailing_agency",
        [("INVALID", "instalment")],
    )
    done = await ok(api, "recordPayment", pay | {"amount": "90000.00"}, "hailing_agency")
    assert (done["payment"]["isFinal"], done["contract"]["status"], done["contract"]["paidAmount"]) == (
        False,
        "SIGNED",
        "90000.00",
    )


# --- races ---------------------------------------------------------------------------------------------------------


async def test_two_concurrent_signatures_exactly_one_wins(api: Api) -> None:
    contract = await drafted(api)
    sign = {"contract": contract["id"], "signedOn": "2026-01-30"}
    before = await ChangeRecord.filter(entity_type="Contract", entity_id=str(pk(contract["id"]))).count()
    results = await asyncio.gather(*(call(api, "signContract", sign, "hailing_purchaser") for _ in range(2)))
    outcomes = sorted(codes(r)[0][0] if r["errors"] else "OK" for r in results)
    assert outcomes == ["INVALID_STATE", "OK"]
    assert (await Contract.get(pk=pk(contract["id"]))).status == "signed"
    after = await ChangeRecord.filter(entity_type="Contract", entity_id=str(pk(contract["id"]))).count()
    assert after == before + 1


async def test_two_concurrent_payments_that_together_overpay_one_is_refused(api: Api) -> None:
    contract = await signed(api)
    pay = {"contract": contract["id"], "amount": "160000.00", "paidOn": "2026-02-01", "trigger": "SIGNING"}
    results = await asyncio.gather(*(call(api, "recordPayment", pay, "hailing_agency") for _ in range(2)))
    outcomes = sorted(codes(r)[0][0] if r["errors"] else "OK" for r in results)
    assert outcomes == ["OK", "OVERPAID"]
    amounts = await Payment.filter(contract_id=pk(contract["id"])).values_list("amount", flat=True)
    assert [Decimal(a) for a in amounts] == [Decimal("160000.00")]
