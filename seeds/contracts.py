"""Demo contracts (Art. 9(4)) from the awarded lots, with payment schedules, payments, inspections
(Art. 9(5)), acceptances (Art. 9(6)) and one signed amendment.

Dates follow the lifecycle: signed a week after the award, published (公示) the next working day and
filed (备案) three working days later — except the lots marked ``late``, published or filed after the
deadlines of rule 7 so the overdue flags show. The service year starts on the first of the month after
filing. Payments follow rule 8: 30% after filing, 40% at mid-term, the final 30% only after a passed
acceptance (so ACCEPTED contracts still wait for it, CLOSED ones are fully paid).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from models.base import money
from models.catalogue import CatalogueItem
from models.contractors import Contractor
from models.contracts import (
    Acceptance,
    Contract,
    ContractAmendment,
    Inspection,
    Payment,
    PaymentInstalment,
)
from models.enums import AcceptanceResult, AmendmentStatus, ContractStatus, PaymentTrigger
from models.geography import District
from seeds.helpers import (
    AS_OF,
    add_workdays,
    first_of_next_month,
    one_year_from,
    person_name,
    rng_for,
    workday_on_or_after,
)
from seeds.procurement import LotRecord
from seeds.upsert import ensure

CS = ContractStatus
#: The lifecycle in order; TERMINATED is placed after IN_PERFORMANCE (it ended a running contract).
ORDER = (CS.DRAFT, CS.SIGNED, CS.PUBLISHED, CS.FILED, CS.IN_PERFORMANCE)
FINISHED = (CS.ACCEPTANCE_FAILED, CS.ACCEPTED, CS.CLOSED)
AMENDED = "TZ-321202-2026-001"  # one signed amendment (amount +5%)
TWICE_ACCEPTED = "TZ-321282-2025-001"  # failed its first acceptance, passed after rectification
UNPUBLISHED_ACCEPTANCE = "TZ-321281-2025-002"  # accepted, result not yet published (rule 7 flag)

INSTALMENTS = (
    (Decimal("0.30"), PaymentTrigger.SIGNING, "合同签订并完成财政备案后支付"),
    (Decimal("0.40"), PaymentTrigger.MILESTONE, "服务满六个月且中期检查合格后支付"),
    (Decimal("0.30"), PaymentTrigger.ACCEPTANCE, "终期验收合格后支付（尾款）"),
)

QUALITY = (
    "服务人员持证上岗，社会工作专业人员占比不低于50%；服务记录真实完整，台账按月更新并报送；"
    "服务对象满意度不低于90%；严格遵守救助对象个人信息保护规定。"
)
PAYMENT_METHOD = (
    "分三期支付：合同签订并完成财政备案后支付合同金额的30%；服务满六个月经中期检查合格后支付40%；"
    "服务期满经终期验收合格后支付剩余30%。资金通过国库集中支付方式直接拨付至乙方银行账户。"
)
BREACH = (
    "乙方未按合同约定提供服务或服务质量不达标的，甲方有权要求限期整改，并按未完成服务量扣减相应服务费用；"
    "经整改仍不合格或将服务项目转包的，甲方有权解除合同并追回已支付资金，乙方承担相应赔偿责任；"
    "甲方无正当理由逾期支付的，按同期贷款市场报价利率向乙方支付逾期利息。"
)
PASS_FINDINGS = "服务台账完整，服务数量和质量达到合同约定，服务对象满意度调查良好。"
FAIL_FINDINGS = "服务台账记录不完整，部分服务人次无法核实，服务对象满意度低于合同约定的90%，需限期整改后重新验收。"
TERMINATION_REASON = (
    "乙方服务人员严重不足，连续两次督查发现服务台账与实际服务不符，经限期整改仍未达到合同约定要求，"
    "双方协商一致解除合同，已支付资金按实际服务量结算。"
)


@dataclass(slots=True)
class ContractRecord:
    """A demo contract with what its ledger needs."""

    contract: Contract
    contractor_slug: str
    item_ids: list[int]
    township_codes: list[str]


@dataclass(frozen=True, slots=True)
class Timeline:
    """The dates of a contract, planned as if it ran its full course."""

    awarded: dt.date
    signed: dt.date
    published: dt.date
    filed: dt.date
    start: dt.date
    end: dt.date


def timeline(record: LotRecord) -> Timeline:
    """Planned dates of the contract of ``record`` (rule 7 deadlines met unless the lot is ``late``)."""
    awarded = record.lot.awarded_on
    assert awarded is not None
    signed = add_workdays(awarded, 5)
    published = add_workdays(signed, 4 if record.spec.late == "publish" else 1)
    filed = add_workdays(published, 9 if record.spec.late == "file" else 3)
    start = first_of_next_month(filed)
    return Timeline(awarded, signed, published, filed, start, one_year_from(start))


def reached(status: ContractStatus, step: ContractStatus) -> bool:
    """True when a contract in ``status`` has gone through ``step``."""
    if status in FINISHED or status == CS.TERMINATED:
        return True
    return ORDER.index(status) >= ORDER.index(step)


def _content(record: LotRecord, district: District, contractor: Contractor, item_names: list[str]) -> dict[str, str]:
    area = "、".join(t.name for t in record.townships)
    items = "、".join(item_names)
    amount = record.lot.award_amount
    assert amount is not None
    households = int(amount / 1500)
    return {
        "scope": f"{area}（共{len(record.townships)}个镇、街道）范围内的{items}等社会救助服务",
        "subject": f"为上述范围内的低保、特困、临时救助及低保边缘家庭等社会救助对象提供{items}服务",
        "quantity": f"服务对象不少于{households}户，全年服务不少于{households * 6}人次",
        "quality_requirements": QUALITY,
        "payment_method": PAYMENT_METHOD,
        "rights_obligations": (
            f"甲方（{district.purchaser_name}）委托{district.agency_name}负责合同履行的监督管理、检查考核和验收，"
            f"按约定及时支付服务资金；乙方（{contractor.name}）按合同约定的范围、标准和期限提供服务，"
            "建立服务台账，接受甲方及财政、审计部门的监督检查，不得将服务项目转包。"
        ),
        "breach_liability": BREACH,
    }


async def load_contracts(
    lots: list[LotRecord],
    contractors: dict[str, Contractor],
    districts: dict[str, District],
    items: dict[int, CatalogueItem],
) -> list[ContractRecord]:
    """Create the missing contracts and their children; returns every demo contract."""
    records: list[ContractRecord] = []
    sequence: dict[tuple[str, int], int] = {}
    for lot in lots:
        code, year = lot.plan.district_id, lot.plan.year
        sequence[(code, year)] = sequence.get((code, year), 0) + 1
        status = lot.spec.contract
        slug = lot.spec.contractor
        assert status is not None
        assert slug is not None
        contractor = contractors[slug]
        district = districts[code]
        item_ids = sorted({line.catalogue_item_id for line in lot.lines})
        plan_dates = timeline(lot)
        terminated = status == CS.TERMINATED
        contract, created = await ensure(
            Contract,
            {"code": f"TZ-{code}-{year}-{sequence[(code, year)]:03d}"},
            {
                "district": district,
                "contractor": contractor,
                "project": lot.project,
                "lot": lot.lot,
                "title": f"{lot.project.title}（{lot.lot.title}）服务合同",
                **_content(lot, district, contractor, [items[i].name for i in item_ids]),
                "service_start": plan_dates.start,
                "service_end": plan_dates.end,
                "amount": lot.lot.award_amount,
                "status": status,
                "signed_on": plan_dates.signed if reached(status, CS.SIGNED) else None,
                "published_on": plan_dates.published if reached(status, CS.PUBLISHED) else None,
                "filed_on": plan_dates.filed if reached(status, CS.FILED) else None,
                "terminated_on": plan_dates.start + dt.timedelta(days=197) if terminated else None,
                "termination_reason": TERMINATION_REASON if terminated else "",
            },
        )
        records.append(ContractRecord(contract, slug, item_ids, [t.code for t in lot.townships]))
        if not created:
            continue
        await contract.catalogue_items.add(*[items[i] for i in item_ids])
        instalments = await _instalments(contract)
        acceptances = await _acceptances(contract, district)
        await _inspections(contract, district, acceptances)
        await _payments(contract, instalments, acceptances)
        if contract.code == AMENDED:
            await _amend(contract)
    return records


def _owned(contract: Contract) -> dict[str, object]:
    return {"contract": contract, "district_id": contract.district_id, "contractor_id": contract.contractor_id}


async def _instalments(contract: Contract) -> list[PaymentInstalment]:
    amounts = [money(contract.amount * share) for share, _, _ in INSTALMENTS[:-1]]
    amounts.append(contract.amount - sum(amounts))
    return [
        await PaymentInstalment.create(
            **_owned(contract),
            sequence=n,
            amount=amount,
            trigger=trigger,
            condition=condition,
            is_final=n == len(INSTALMENTS),
        )
        for n, (amount, (_, trigger, condition)) in enumerate(zip(amounts, INSTALMENTS, strict=True), start=1)
    ]


def _panel(district: District, rng_key: str) -> str:
    rng = rng_for("panel", rng_key)
    return (
        f"{district.agency_name}{person_name(rng)}（组长）、财政局{person_name(rng)}、"
        f"泰州市社会工作协会评估专家{person_name(rng)}、服务对象代表{person_name(rng, young=False)}"
    )


async def _acceptances(contract: Contract, district: District) -> list[Acceptance]:
    """Acceptances of a finished contract, in date order (the last one decides)."""
    if contract.status not in FINISHED:
        return []
    assert contract.service_end is not None
    rng = rng_for("acceptance", contract.code)
    day = workday_on_or_after(contract.service_end + dt.timedelta(days=rng.randint(10, 20)))
    if contract.status == CS.ACCEPTANCE_FAILED:
        rounds = [AcceptanceResult.FAIL]
    elif contract.code == TWICE_ACCEPTED:
        rounds = [AcceptanceResult.FAIL, AcceptanceResult.PASS]
    else:
        rounds = [AcceptanceResult.PASS]
    unpublished = contract.code == UNPUBLISHED_ACCEPTANCE
    result: list[Acceptance] = []
    for n, outcome in enumerate(rounds):
        passed = outcome == AcceptanceResult.PASS
        score = Decimal(str(round(rng.uniform(78, 97) if passed else rng.uniform(50, 59), 1)))
        result.append(
            await Acceptance.create(
                **_owned(contract),
                accepted_on=day,
                panel=_panel(district, f"{contract.code}:{n}"),
                result=outcome,
                score=score,
                findings=PASS_FINDINGS if passed else FAIL_FINDINGS,
                report_sent_on=add_workdays(day, 3),
                published_on=None if unpublished else add_workdays(day, 5),
            )
        )
        day = workday_on_or_after(day + dt.timedelta(days=45))
    return result


async def _inspections(contract: Contract, district: District, acceptances: list[Acceptance]) -> None:
    if not reached(contract.status, CS.IN_PERFORMANCE):
        return
    assert contract.service_start is not None
    assert contract.service_end is not None
    rng = rng_for("inspection", contract.code)
    stop = min(contract.service_end, contract.terminated_on or AS_OF, AS_OF - dt.timedelta(days=3))
    term = (contract.service_end - contract.service_start).days
    inspector = f"{district.agency_name} {person_name(rng)}、{person_name(rng)}"
    day = contract.service_start + dt.timedelta(days=75)
    n = 0
    while day <= stop:
        day = workday_on_or_after(day)
        n += 1
        progress = min(100, round(100 * (day - contract.service_start).days / term) + rng.randint(-4, 3))
        rectify = contract.status == CS.TERMINATED or (n == 2 and rng.random() < 0.4)
        await Inspection.create(
            **_owned(contract),
            inspected_on=day,
            inspector=inspector,
            findings="服务人员到岗不足，部分服务记录缺少服务对象签字确认，需限期整改。"
            if rectify
            else "服务按计划推进，台账记录规范，抽查服务对象反映良好。",
            progress_percent=max(progress, 5),
            rectification_required=rectify,
            rectification_due=day + dt.timedelta(days=15) if rectify else None,
        )
        day += dt.timedelta(days=rng.randint(80, 100))
    for acceptance in acceptances:
        if acceptance.result == AcceptanceResult.FAIL:
            day = workday_on_or_after(acceptance.accepted_on + dt.timedelta(days=20))
            await Inspection.create(
                **_owned(contract),
                inspected_on=day,
                inspector=inspector,
                findings="验收未通过后复查：台账补正工作正在进行，服务对象回访尚未完成。",
                progress_percent=100,
                rectification_required=True,
                rectification_due=day + dt.timedelta(days=30),
            )


async def _payments(contract: Contract, instalments: list[PaymentInstalment], acceptances: list[Acceptance]) -> None:
    if not reached(contract.status, CS.FILED):
        return
    assert contract.filed_on is not None
    assert contract.service_start is not None
    signing, milestone, final = instalments
    due: list[tuple[PaymentInstalment, dt.date]] = [(signing, add_workdays(contract.filed_on, 7))]
    mid = workday_on_or_after(contract.service_start + dt.timedelta(days=190))
    if contract.status in FINISHED or (contract.status == CS.IN_PERFORMANCE and mid <= AS_OF):
        due.append((milestone, mid))
    if contract.status == CS.CLOSED:
        due.append((final, add_workdays(acceptances[-1].accepted_on, 15)))
    for instalment, paid_on in due:
        await Payment.create(
            **_owned(contract),
            instalment=instalment,
            amount=instalment.amount,
            paid_on=paid_on,
            trigger=instalment.trigger,
            is_final=instalment.is_final,
        )


async def _amend(contract: Contract) -> None:
    """Signed amendment: more home visits for more beneficiaries (amount up 5%)."""
    assert contract.service_start is not None
    delta = (contract.amount * Decimal("0.05") / 100).quantize(Decimal(1)) * 100
    await ContractAmendment.create(
        **_owned(contract),
        reason="辖区新增特困、低保边缘对象，经双方协商增加上门巡访服务频次。",
        changes={
            "quantity": {"before": contract.quantity, "after": contract.quantity + "，另增加上门巡访不少于300人次"},
            "amount": {"before": str(contract.amount), "after": str(contract.amount + delta)},
        },
        amount_delta=delta.quantize(Decimal("0.01")),
        status=AmendmentStatus.SIGNED,
        signed_on=workday_on_or_after(contract.service_start + dt.timedelta(days=110)),
    )
