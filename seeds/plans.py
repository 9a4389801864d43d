"""Demo annual purchase plans (Art. 9(1)) of every district for 2024–2026, with their lines.

2024 and 2025 are approved everywhere; 2026 is spread over the lifecycle. Budgets are set from the
Art. 11 floor (2% of last year's 低保 + 临时救助 funds): most plans clear it, two fall short (高港区 2025,
approved with a shortfall to top up, and 泰州医药高新区 2026, still a draft).
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from models.catalogue import CatalogueItem
from models.enums import FundingSource, PlanStatus
from models.plans import PlanLine, PurchasePlan, funding_floor
from seeds.catalogue_text import ITEM_TEXT, REQUIREMENTS, SERVICE_STANDARD
from seeds.helpers import at, rng_for
from seeds.upsert import ensure

YEARS = (2024, 2025, 2026)

#: 2023 funds per district (yuan): 低保资金, 临时救助资金. Later years grow from these.
FUNDS_2023: dict[str, tuple[int, int]] = {
    "321202": (38_600_000, 3_200_000),
    "321203": (21_800_000, 1_650_000),
    "321204": (45_200_000, 3_900_000),
    "321271": (8_600_000, 720_000),
    "321281": (98_500_000, 7_400_000),
    "321282": (34_800_000, 2_600_000),
    "321283": (71_200_000, 5_300_000),
}

STATUS_2026: dict[str, PlanStatus] = {
    "321202": PlanStatus.APPROVED,
    "321203": PlanStatus.SUBMITTED,
    "321204": PlanStatus.APPROVED,
    "321271": PlanStatus.DRAFT,
    "321281": PlanStatus.APPROVED,
    "321282": PlanStatus.RETURNED,
    "321283": PlanStatus.SUBMITTED,
}

#: Plans deliberately below the Art. 11 floor: budget as a share of the floor.
BELOW_FLOOR: dict[tuple[str, int], Decimal] = {
    ("321203", 2025): Decimal("0.88"),
    ("321271", 2026): Decimal("0.81"),
}

#: Plans with one line topped up by the district's finance (Art. 11 ¶3).
TOP_UP = frozenset({("321203", 2025), ("321282", 2024), ("321283", 2026)})

THOUSAND = Decimal(1000)
HUNDRED = Decimal(100)


def _round_to(value: Decimal, unit: Decimal) -> Decimal:
    return ((value / unit).quantize(Decimal(1), rounding=ROUND_HALF_UP) * unit).quantize(Decimal("0.01"))


def prev_year_funds(code: str, year: int) -> tuple[Decimal, Decimal]:
    """Year ``year - 1`` 低保 and 临时救助 funds of district ``code``."""
    dibao, temporary = FUNDS_2023[code]
    rng = rng_for("funds", code, year)
    growth = Decimal("1.035") ** (year - 2024)
    return (
        _round_to(Decimal(dibao) * growth, HUNDRED),
        _round_to(Decimal(temporary) * Decimal(str(round(rng.uniform(0.9, 1.15), 3))), HUNDRED),
    )


def plan_status(code: str, year: int) -> PlanStatus:
    """Where the demo plan of ``code`` for ``year`` is in its lifecycle."""
    return STATUS_2026[code] if year == 2026 else PlanStatus.APPROVED


def _line_budgets(total: Decimal, count: int, rng_key: tuple[object, ...]) -> list[Decimal]:
    rng = rng_for(*rng_key)
    weights = [Decimal(str(round(rng.uniform(0.6, 1.6), 3))) for _ in range(count)]
    budgets = [_round_to(total * w / sum(weights), THOUSAND) for w in weights[:-1]]
    return [*budgets, total - sum(budgets)]


def _decision(code: str, year: int, status: PlanStatus, total: Decimal, floor: Decimal) -> dict[str, object]:
    """submitted_at / decided_at / approved_budget / finance_comment for a plan in ``status``."""
    if status == PlanStatus.DRAFT:
        return {}
    if status == PlanStatus.SUBMITTED:  # 2026 latecomers, waiting for finance
        return {"submitted_at": at(dt.date(2026, 11, 16) + dt.timedelta(days=int(code[-1]) % 4), 10)}
    if status == PlanStatus.RETURNED:
        return {
            "submitted_at": at(dt.date(2026, 10, 20), 10),
            "decided_at": at(dt.date(2026, 11, 3), 15),
            "finance_comment": "退回修改：部分计划项目的服务标准和数量不明确，请细化后重新报送。",
        }
    submitted = (dt.date(year - 1, 12, 10) if year < 2026 else dt.date(2026, 1, 12)) + dt.timedelta(
        days=int(code[-2:]) % 7
    )
    return {
        "submitted_at": at(submitted, 10),
        "decided_at": at(submitted + dt.timedelta(days=16), 15),
        "approved_budget": total,
        "finance_comment": "同意。计划总额低于第十一条保底标准，差额部分由区财政年内补足。"
        if total < floor
        else "同意。",
    }


async def load_plans(districts: list[str]) -> dict[tuple[str, int], tuple[PurchasePlan, list[PlanLine]]]:
    """Create the missing plans (with their lines); returns every plan and its lines by (district, year)."""
    items = {item.code: item for item in await CatalogueItem.all()}
    codes = sorted(ITEM_TEXT)  # the annex's 20 items, whatever the city has added since
    result: dict[tuple[str, int], tuple[PurchasePlan, list[PlanLine]]] = {}
    for code in districts:
        for year in YEARS:
            dibao, temporary = prev_year_funds(code, year)
            floor = funding_floor(dibao, temporary)
            rng = rng_for("plan", code, year)
            ratio = BELOW_FLOOR.get((code, year), Decimal(str(round(rng.uniform(1.03, 1.28), 3))))
            total = _round_to(floor * ratio, THOUSAND)
            status = plan_status(code, year)
            plan, created = await ensure(
                PurchasePlan,
                {"district_id": code, "year": year},
                {
                    "status": status,
                    "prev_year_dibao_funds": dibao,
                    "prev_year_temporary_funds": temporary,
                    **_decision(code, year, status, total, floor),
                },
            )
            if not created:
                result[(code, year)] = (plan, await PlanLine.filter(plan=plan).order_by("id"))
                continue
            picked = sorted(rng.sample(codes, rng.randint(3, 6)))
            budgets = _line_budgets(total, len(picked), ("lines", code, year))
            lines = []
            for index, (item_code, budget) in enumerate(zip(picked, budgets, strict=True)):
                text = ITEM_TEXT[item_code]
                quantity = max(Decimal(1), (budget / text.unit_price).quantize(Decimal(1)))
                source = [FundingSource.WORK_FUNDS, FundingSource.ASSISTANCE_FUNDS][index % 2]
                if (code, year) in TOP_UP and index == len(picked) - 1:
                    source = FundingSource.FINANCE_TOP_UP
                lines.append(
                    await PlanLine.create(
                        plan=plan,
                        district_id=code,
                        catalogue_item=items[item_code],
                        content=f"{items[item_code].name}：{text.plan_content}",
                        service_standard=SERVICE_STANDARD,
                        requirements=REQUIREMENTS,
                        quantity=quantity.quantize(Decimal("0.01")),
                        unit=text.plan_unit,
                        budget=budget,
                        funding_source=source,
                    )
                )
            result[(code, year)] = (plan, lines)
    return result
