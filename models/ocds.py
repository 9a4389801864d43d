"""Open Contracting Data Standard (OCDS 1.1) export of the procurement projects (第九条、第十三条).

One procurement project (采购项目) is one contracting process, identified by ``ocid = OCID_PREFIX + project code``.
Its releases are derived from the rows as they stand, one per disclosed event, in date order:

- ``<ocid>-planning-<published>`` [planning]: the budget and goals disclosed (第九条第（二）项);
- ``<ocid>-tender-<published>`` [tender]: the notice published, tender ``active``, its lots as items;
- ``<ocid>-award-<lot>-<awarded>`` [award]: a lot (分包) awarded; the last award of an AWARDED project completes the
  tender;
- ``<ocid>-tender-<published>-unsuccessful`` [tenderUpdate, award]: 流标 — tender ``unsuccessful``, the lots still
  open get ``unsuccessful`` awards with the reason;
- ``<ocid>-contract-<code>`` [contract]: a contract published (公示, 第九条第（四）项), status ``active``;
- ``<ocid>-contract-<code>-acceptance-<id>`` [implementation]: an acceptance result published (第九条第（六）项), as
  an ``assessment`` milestone met / not met;
- ``<ocid>-contract-<code>-payment-<id>`` [implementation]: a payment, as a transaction (only where the reader may
  read payments);
- ``<ocid>-contract-<code>-closed`` / ``-terminated`` [contractTermination]: fully paid and closed / ended early,
  status ``terminated``.

Release ids are stable: each names its event, and the event's date where the event can recur (a republished
notice starts a new round with new ids; the rows keep only the current round, so the releases describe it).
Dates are RFC 3339 at +08:00; date-only events are at midnight (a period's end at 23:59:59). The time of 流标 and of
closing are not columns: they come from the transition's change-history record (only its time and new status
are read), else from the row's ``updated_at``.

What goes in is what the ``rows`` function passed to the loader lets through — ``policies.scope.public_rows`` for
every public route — plus the disclosure rule of each event: contracts and acceptance results only once
published. Payments appear as ``implementation.transactions`` only when ``rows(Payment)`` yields them; the public
policy (``policies/policy.csv``) gives the public no payment rows today, so public exports carry no transactions.

Parties: the district's purchasing entity (购买主体, ``buyer``, and ``payer`` of transactions), its implementing
agency (实施主体, ``procuringEntity``) and the contractors (承接主体, ``tenderer`` + ``supplier``, ``payee``) with their
unified social credit code (统一社会信用代码). Party roles are cumulative in every release, because OCDS merging
replaces arrays of strings.

Amounts are ``Decimal`` inside the document; :func:`dumps` writes them as exact JSON numbers. :func:`jsonable`
turns them into floats for GraphQL's JSON scalar, which is exact for amounts below 10^13 yuan (15 significant
digits).

``OCID_PREFIX`` is a placeholder: before publishing to the world the publisher must register a prefix
(``ocds-xxxxxx``) with the Open Contracting Partnership and set it here. ``USCC_SCHEME`` likewise follows the
org-id.guide naming convention (country + register) and must be checked against org-id.guide before going live.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

from tortoise.expressions import Q
from tortoise.models import Model
from tortoise.queryset import QuerySet

from models.catalogue import CatalogueItem
from models.contractors import Contractor
from models.contracts import Acceptance, Contract, Payment, grade_for
from models.enums import (
    AcceptanceResult,
    AwardCriteria,
    ChangeAction,
    ContractStatus,
    LotStatus,
    ProcurementMethod,
    ProcurementStatus,
)
from models.geography import District
from models.history import ChangeRecord
from models.procurement import METHOD_NAMES, ProcurementLot, ProcurementProject
from models.timeutil import SHANGHAI

M = TypeVar("M", bound=Model)
#: Which rows of a model the export may use (e.g. ``policies.scope.public_rows``): models never import policies.
RowsOf = Callable[[type[M]], QuerySet[M]]

OCID_PREFIX = "ocds-jiuzhu-"
OCDS_VERSION = "1.1"
CURRENCY = "CNY"
LANGUAGE = "zh"
PUBLISHER = {"name": "泰州市民政局（泰州市政府购买社会救助服务信息平台）"}
#: Scheme of the contractors' identifiers: 统一社会信用代码 (GB 32100-2015).
USCC_SCHEME = "CN-USCC"
#: Scheme of the contract items' classification: the catalogue of 泰政办发〔2019〕53号 附件 (A01–A11, S01–S09).
CATALOGUE_SCHEME = "X-TZ-2019-53"

#: Art. 9(3) methods on the closed OCDS ``method`` codelist; the Chinese name goes in procurementMethodDetails.
#: 竞争性谈判/磋商 negotiate with suppliers the purchaser admits, and 自行采购 below the threshold is run under the
#: purchaser's own rules: both are ``limited``; 邀请招标 invites qualified suppliers only (``selective``).
METHOD_CODES: dict[ProcurementMethod, str] = {
    ProcurementMethod.OPEN_TENDER: "open",
    ProcurementMethod.INVITED_TENDER: "selective",
    ProcurementMethod.COMPETITIVE_NEGOTIATION: "limited",
    ProcurementMethod.COMPETITIVE_CONSULTATION: "limited",
    ProcurementMethod.SINGLE_SOURCE: "direct",
    ProcurementMethod.SELF_ORGANISED: "limited",
}
AWARD_CRITERIA: dict[AwardCriteria, tuple[str, str]] = {
    AwardCriteria.QUALITY_WEIGHTED: ("ratedCriteria", "综合评分法"),
    AwardCriteria.LOWEST_PRICE: ("priceOnly", "最低评标价法"),
}
#: The order roles are listed in (any role not here sorts last).
ROLE_ORDER = ("buyer", "procuringEntity", "payer", "tenderer", "supplier", "payee")


def ocid_of(project_code: str) -> str:
    """The Open Contracting ID of a project."""
    return f"{OCID_PREFIX}{project_code}"


# --- the rows one contracting process needs ---------------------------------------------------------------------


@dataclass(slots=True)
class Process:
    """A published procurement project and the rows its releases are made of."""

    project: ProcurementProject
    district: District
    lots: list[ProcurementLot] = field(default_factory=list)
    contracts: list[Contract] = field(default_factory=list)
    contractors: dict[int, Contractor] = field(default_factory=dict)
    acceptances: list[Acceptance] = field(default_factory=list)
    payments: list[Payment] = field(default_factory=list)
    #: contract id → [(catalogue code, name)]
    items: dict[int, list[tuple[str, str]]] = field(default_factory=dict)
    #: (entity type, id) → {new status: when} from the transitions' history records
    transitions: dict[tuple[str, int], dict[str, dt.datetime]] = field(default_factory=dict)


async def load_processes(project_ids: Iterable[int], rows: RowsOf) -> dict[int, Process]:
    """The published projects among ``project_ids`` that ``rows`` shows, with everything their releases need.

    At most 9 queries whatever the number of projects, lots, contracts or payments.
    """
    ids = sorted(set(project_ids))
    if not ids:
        return {}
    projects = await rows(ProcurementProject).filter(id__in=ids, published_on__isnull=False)
    if not projects:
        return {}
    districts = {d.code: d for d in await rows(District).filter(code__in={p.district_id for p in projects})}
    processes = {p.pk: Process(p, districts[p.district_id]) for p in projects if p.district_id in districts}
    for lot in await rows(ProcurementLot).filter(project_id__in=list(processes)).order_by("number"):
        processes[lot.project_id].lots.append(lot)
    contracts = await rows(Contract).filter(project_id__in=list(processes), published_on__isnull=False).order_by("id")
    for contract in contracts:
        processes[contract.project_id].contracts.append(contract)
    by_contract = {c.pk: processes[c.project_id] for c in contracts}
    contractor_ids = {c.contractor_id for c in contracts}
    contractor_ids |= {lot.awarded_contractor_id for p in processes.values() for lot in p.lots}
    contractor_ids.discard(None)
    if contractor_ids:
        contractors = {c.pk: c for c in await rows(Contractor).filter(id__in=contractor_ids)}
        for process in processes.values():
            process.contractors = contractors
    if by_contract:
        await _load_contract_children(by_contract, rows)
    await _load_transitions(processes, contracts)
    return processes


async def _load_contract_children(by_contract: dict[int, Process], rows: RowsOf) -> None:
    keys = list(by_contract)
    published = rows(Acceptance).filter(contract_id__in=keys, published_on__isnull=False)
    for acceptance in await published.order_by("accepted_on", "id"):
        by_contract[acceptance.contract_id].acceptances.append(acceptance)
    for payment in await rows(Payment).filter(contract_id__in=keys).order_by("paid_on", "id"):
        by_contract[payment.contract_id].payments.append(payment)
    linked = rows(CatalogueItem).filter(contracts__id__in=keys).order_by("code")
    for contract_id, code, name in await linked.values_list("contracts__id", "code", "name"):
        by_contract[contract_id].items.setdefault(contract_id, []).append((code, name))


async def _load_transitions(processes: dict[int, Process], contracts: list[Contract]) -> None:
    """When projects failed and contracts closed or ended: only the time and new status of the transitions."""
    failed = [str(p.project.pk) for p in processes.values() if p.project.status == ProcurementStatus.FAILED]
    ended = [str(c.pk) for c in contracts if c.status in (ContractStatus.CLOSED, ContractStatus.TERMINATED)]
    clauses = []
    if failed:
        clauses.append(Q(entity_type=ProcurementProject.__name__, entity_id__in=failed))
    if ended:
        clauses.append(Q(entity_type=Contract.__name__, entity_id__in=ended))
    if not clauses:
        return
    where = clauses[0] if len(clauses) == 1 else clauses[0] | clauses[1]
    records = ChangeRecord.filter(where, action=ChangeAction.TRANSITION).order_by("id")
    owner = {("ProcurementProject", p.project.pk): p for p in processes.values()}
    owner |= {("Contract", c.pk): processes[c.project_id] for c in contracts}
    for entity_type, entity_id, at, after in await records.values_list("entity_type", "entity_id", "at", "after"):
        status = (after or {}).get("status") if isinstance(after, dict) else None
        key = (entity_type, int(entity_id))
        if status and key in owner:
            owner[key].transitions.setdefault(key, {})[status] = at


async def load_process(project_code: str, rows: RowsOf) -> Process | None:
    """The published project with this code, if ``rows`` shows it (one query more than :func:`load_processes`)."""
    if not project_code or len(project_code) > 40 or not project_code.isprintable():  # NUL cannot reach PostgreSQL
        return None
    ids = await rows(ProcurementProject).filter(code=project_code).values_list("id", flat=True)
    found = await load_processes(ids, rows)
    return next(iter(found.values()), None)


# --- releases ---------------------------------------------------------------------------------------------------


def _at(day: dt.date, *, end_of_day: bool = False) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(23, 59, 59) if end_of_day else dt.time(), SHANGHAI)


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def rfc3339(moment: dt.datetime | dt.date, *, end_of_day: bool = False) -> str:
    """``2025-02-17T00:00:00+08:00``: a date at midnight (or 23:59:59), an instant in Shanghai time, whole seconds."""
    if not isinstance(moment, dt.datetime):
        moment = _at(moment, end_of_day=end_of_day)
    return _aware(moment).astimezone(SHANGHAI).replace(microsecond=0).isoformat()


def value(amount: Decimal | None) -> dict[str, Any] | None:
    """An OCDS Value in yuan."""
    return None if amount is None else {"amount": Decimal(amount), "currency": CURRENCY}


@dataclass(slots=True)
class _Release:
    when: dt.datetime
    stage: int
    body: dict[str, Any]


class _Builder:
    """Makes the releases of one :class:`Process`."""

    def __init__(self, process: Process) -> None:
        self.p = process
        self.project = process.project
        self.ocid = ocid_of(process.project.code)
        code = process.district.code
        self.buyer = {"id": f"{code}-purchaser", "name": process.district.purchaser_name}
        self.agency = {"id": f"{code}-agency", "name": process.district.agency_name}
        self.address = {"region": "江苏省泰州市", "locality": process.district.name, "countryName": "中国"}
        self.awards_by_lot = {lot.pk: self.award_id(lot) for lot in process.lots}
        self.releases: list[_Release] = []

    # parties and references

    def award_id(self, lot: ProcurementLot) -> str:
        return f"{self.project.code}-lot-{lot.number}"

    def supplier(self, contractor_id: int | None) -> dict[str, Any] | None:
        contractor = self.p.contractors.get(contractor_id) if contractor_id is not None else None
        if contractor is None:
            return None
        return {
            "id": f"{USCC_SCHEME}-{contractor.credit_code}",
            "name": contractor.name,
            "identifier": {"scheme": USCC_SCHEME, "id": contractor.credit_code, "legalName": contractor.name},
        }

    def party(self, org: dict[str, Any], *roles: str) -> dict[str, Any]:
        extra = {"address": self.address} if org["id"] in (self.buyer["id"], self.agency["id"]) else {}
        return {**org, **extra, "roles": list(roles)}

    @staticmethod
    def ref(org: dict[str, Any]) -> dict[str, str]:
        return {"id": org["id"], "name": org["name"]}

    def emit(self, suffix: str, when: dt.datetime, stage: int, tags: list[str], **sections: Any) -> None:
        parties = sections.pop("parties", [])
        body = {
            "ocid": self.ocid,
            "id": f"{self.ocid}-{suffix}",
            "date": rfc3339(when),
            "tag": tags,
            "initiationType": "tender",
            "language": LANGUAGE,
            "parties": _by_id([self.party(self.buyer, "buyer"), self.party(self.agency, "procuringEntity"), *parties]),
            "buyer": self.ref(self.buyer),
            **sections,
        }
        self.releases.append(_Release(when, stage, body))

    # the stages

    def build(self) -> list[dict[str, Any]]:
        published = self.project.published_on
        assert published is not None
        stamp = published.strftime("%Y%m%d")
        self.emit(f"planning-{stamp}", _at(published), 0, ["planning"], planning=self.planning())
        self.emit(f"tender-{stamp}", _at(published), 1, ["tender"], tender=self.tender())
        self.awards()
        if self.project.status == ProcurementStatus.FAILED:
            self.failure(stamp)
        for contract in self.p.contracts:
            self.contract(contract)
        return finish(self.releases)

    def planning(self) -> dict[str, Any]:
        project = self.project
        budget = {
            "id": f"{project.code}-budget",
            "description": "政府购买社会救助服务预算资金（第九条第（二）项、第十一条）",
            "amount": value(project.budget),
            "project": project.title,
            "projectID": project.code,
        }
        planning: dict[str, Any] = {"budget": budget}
        if project.goals:
            planning["rationale"] = project.goals
        return planning

    def tender(self) -> dict[str, Any]:
        project = self.project
        tender: dict[str, Any] = {
            "id": project.code,
            "title": project.title,
            "description": project.content,
            "status": "active",
            "procuringEntity": self.ref(self.agency),
            "value": value(project.budget),
            "mainProcurementCategory": "services",
            "tenderPeriod": {"startDate": rfc3339(_at(project.published_on))},  # type: ignore[arg-type]
            "items": [
                {
                    "id": f"lot-{lot.number}",
                    "description": lot.title,
                    "quantity": 1,
                    "unit": {"name": "包", "value": value(lot.budget)},
                }
                for lot in self.p.lots
            ],
        }
        if project.method is not None:
            method = ProcurementMethod(project.method)
            tender["procurementMethod"] = METHOD_CODES[method]
            tender["procurementMethodDetails"] = METHOD_NAMES[method]
            rationale = [project.single_source_justification.strip()]
            if project.method_approval_ref.strip():
                rationale.append(f"审批文号：{project.method_approval_ref.strip()}")
            if any(rationale):
                tender["procurementMethodRationale"] = "；".join(r for r in rationale if r)
        if project.award_criteria is not None:
            code, details = AWARD_CRITERIA[AwardCriteria(project.award_criteria)]
            tender["awardCriteria"] = code
            tender["awardCriteriaDetails"] = details
        if project.acceptance_standards:
            tender["eligibilityCriteria"] = project.acceptance_standards
        return tender

    def awards(self) -> None:
        awarded = [lot for lot in self.p.lots if lot.status == LotStatus.AWARDED and lot.awarded_on is not None]
        awarded.sort(key=lambda lot: (lot.awarded_on, lot.number))
        for index, lot in enumerate(awarded):
            assert lot.awarded_on is not None
            supplier = self.supplier(lot.awarded_contractor_id)
            award: dict[str, Any] = {
                "id": self.award_id(lot),
                "title": lot.title,
                "status": "active",
                "date": rfc3339(lot.awarded_on),
                "value": value(lot.award_amount),
                "items": [{"id": f"lot-{lot.number}", "description": lot.title, "quantity": 1}],
            }
            tender: dict[str, Any] = {"id": self.project.code}
            parties = []
            if supplier is not None:
                award["suppliers"] = [self.ref(supplier)]
                tender["tenderers"] = [self.ref(supplier)]
                parties.append(self.party(supplier, "tenderer", "supplier"))
            last = index == len(awarded) - 1
            if last and self.project.status == ProcurementStatus.AWARDED:
                tender["status"] = "complete"
                tender["awardPeriod"] = {"endDate": rfc3339(lot.awarded_on, end_of_day=True)}
            suffix = f"award-{lot.number}-{lot.awarded_on.strftime('%Y%m%d')}"
            self.emit(suffix, _at(lot.awarded_on), 2, ["award"], parties=parties, tender=tender, awards=[award])

    def failure(self, stamp: str) -> None:
        project = self.project
        when = self.p.transitions.get(("ProcurementProject", project.pk), {}).get(ProcurementStatus.FAILED.value)
        when = max(_aware(when or project.updated_at), _at(project.published_on))  # type: ignore[arg-type]
        reason = f"流标：{project.failure_reason}" if project.failure_reason else "流标"
        awards = [
            {"id": self.award_id(lot), "title": lot.title, "status": "unsuccessful", "description": reason}
            for lot in self.p.lots
            if lot.status == LotStatus.FAILED
        ]
        sections: dict[str, Any] = {"tender": {"id": project.code, "status": "unsuccessful"}}
        if awards:
            sections["awards"] = awards
            tags = ["tenderUpdate", "award"]
        else:
            tags = ["tenderUpdate"]
        self.emit(f"tender-{stamp}-unsuccessful", when, 3, tags, **sections)

    def contract(self, contract: Contract) -> None:
        assert contract.published_on is not None
        supplier = self.supplier(contract.contractor_id)
        award_id = self.awards_by_lot.get(contract.lot_id) if contract.lot_id else None
        award_id = award_id or f"{self.project.code}-contract-{contract.code}"
        parties = [self.party(supplier, "tenderer", "supplier")] if supplier is not None else []
        head = {"id": contract.code, "awardID": award_id}
        description = "\n".join(
            f"{label}：{text}"
            for label, text in (("范围", contract.scope), ("标的", contract.subject), ("数量", contract.quantity))
            if text
        )
        body: dict[str, Any] = {
            **head,
            "title": contract.title,
            "status": "active",
            "value": value(contract.amount),
            "items": [
                {
                    "id": code,
                    "description": name,
                    "classification": {"scheme": CATALOGUE_SCHEME, "id": code, "description": name},
                }
                for code, name in self.p.items.get(contract.pk, [])
            ],
        }
        if description:
            body["description"] = description
        if contract.service_start or contract.service_end:
            body["period"] = {
                k: v
                for k, v in (
                    ("startDate", contract.service_start and rfc3339(contract.service_start)),
                    ("endDate", contract.service_end and rfc3339(contract.service_end, end_of_day=True)),
                )
                if v
            }
        if contract.signed_on:
            body["dateSigned"] = rfc3339(contract.signed_on)
        self.emit(
            f"contract-{contract.code}", _at(contract.published_on), 4, ["contract"], parties=parties, contracts=[body]
        )
        self.implementation(contract, head, supplier)
        self.ending(contract, head)

    def implementation(self, contract: Contract, head: dict[str, str], supplier: dict[str, Any] | None) -> None:
        for acceptance in (a for a in self.p.acceptances if a.contract_id == contract.pk):
            assert acceptance.published_on is not None
            passed = acceptance.result == AcceptanceResult.PASS
            score = Decimal(acceptance.score)
            verdict = "合格" if passed else "不合格"
            milestone: dict[str, Any] = {
                "id": f"acceptance-{acceptance.pk}",
                "title": "履约验收（第九条第（六）项）",
                "type": "assessment",
                "code": "acceptance",
                "description": f"验收结论：{verdict}；绩效评分{score}分，等次：{grade_for(score)}",
                "status": "met" if passed else "notMet",
                "dateModified": rfc3339(acceptance.accepted_on),
            }
            if passed:
                milestone["dateMet"] = rfc3339(acceptance.accepted_on)
            suffix = f"contract-{contract.code}-acceptance-{acceptance.pk}"
            contracts = [{**head, "implementation": {"milestones": [milestone]}}]
            self.emit(suffix, _at(acceptance.published_on), 5, ["implementation"], contracts=contracts)
        for payment in (p for p in self.p.payments if p.contract_id == contract.pk):
            transaction: dict[str, Any] = {
                "id": f"payment-{payment.pk}",
                "date": rfc3339(payment.paid_on),
                "value": value(payment.amount),
                "payer": self.ref(self.buyer),
            }
            parties = [self.party(self.buyer, "buyer", "payer")]
            if supplier is not None:
                transaction["payee"] = self.ref(supplier)
                parties.append(self.party(supplier, "tenderer", "supplier", "payee"))
            suffix = f"contract-{contract.code}-payment-{payment.pk}"
            contracts = [{**head, "implementation": {"transactions": [transaction]}}]
            self.emit(suffix, _at(payment.paid_on), 5, ["implementation"], parties=parties, contracts=contracts)

    def ending(self, contract: Contract, head: dict[str, str]) -> None:
        if contract.status == ContractStatus.TERMINATED and contract.terminated_on is not None:
            when, suffix = _at(contract.terminated_on), "terminated"
        elif contract.status == ContractStatus.CLOSED:
            history = self.p.transitions.get(("Contract", contract.pk), {}).get(ContractStatus.CLOSED.value)
            paid = [_at(p.paid_on) for p in self.p.payments if p.contract_id == contract.pk]
            when, suffix = history or (max(paid) if paid else contract.updated_at), "closed"
        else:
            return
        when = max(_aware(when), _at(contract.published_on))  # type: ignore[arg-type]
        contracts = [{**head, "status": "terminated"}]
        self.emit(f"contract-{contract.code}-{suffix}", when, 6, ["contractTermination"], contracts=contracts)


def _by_id(parties: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One entry per party id, its roles joined (a party listed twice would break ``uniqueItems``)."""
    merged: dict[str, dict[str, Any]] = {}
    for party in parties:
        if party["id"] in merged:
            roles = merged[party["id"]]["roles"]
            roles += [r for r in party["roles"] if r not in roles]
        else:
            merged[party["id"]] = {**party, "roles": list(party["roles"])}
    return list(merged.values())


def _role_rank(role: str) -> tuple[int, str]:
    return (ROLE_ORDER.index(role) if role in ROLE_ORDER else len(ROLE_ORDER), role)


def finish(releases: list[_Release]) -> list[dict[str, Any]]:
    """Sort releases by date (then stage), and give every party its roles so far (OCDS replaces string arrays)."""
    ordered = sorted(releases, key=lambda r: (r.when, r.stage))
    roles: dict[str, set[str]] = {}
    out = []
    for release in ordered:
        for party in release.body["parties"]:
            seen = roles.setdefault(party["id"], set())
            seen.update(party["roles"])
            party["roles"] = sorted(seen, key=_role_rank)
        out.append(release.body)
    return out


def build_releases(process: Process) -> list[dict[str, Any]]:
    """The releases of one contracting process, oldest first (see the module docstring)."""
    return _Builder(process).build()


# --- compiling, packaging, serialising ------------------------------------------------------------------------


def _merge(target: dict[str, Any], update: dict[str, Any]) -> None:
    """OCDS merge: objects merge field by field, arrays of objects with ids merge by id, other values replace,
    null removes."""
    for key, new in update.items():
        if new is None:
            target.pop(key, None)
        elif isinstance(new, dict):
            old = target.get(key)
            merged = old if isinstance(old, dict) else {}
            _merge(merged, new)
            target[key] = merged
        elif isinstance(new, list) and new and all(isinstance(i, dict) and "id" in i for i in new):
            old = target.get(key)
            items = {i["id"]: i for i in old} if isinstance(old, list) and all(isinstance(i, dict) for i in old) else {}
            for item in new:
                merged = items.get(item["id"], {})
                _merge(merged, item)
                items[item["id"]] = merged
            target[key] = list(items.values())
        else:
            target[key] = copy.deepcopy(new)


def compile_release(releases: list[dict[str, Any]]) -> dict[str, Any]:
    """The compiled release: the newest value of every field (releases must be sorted oldest first)."""
    compiled: dict[str, Any] = {}
    for release in releases:
        _merge(compiled, {k: v for k, v in release.items() if k not in ("id", "date", "tag")})
    last = releases[-1]
    return {"ocid": last["ocid"], "id": f"{last['ocid']}-{last['date']}", "date": last["date"], "tag": ["compiled"]} | {
        k: v for k, v in compiled.items() if k != "ocid"
    }


def release_package(releases: list[dict[str, Any]], *, uri: str) -> dict[str, Any]:
    """An OCDS release package; ``publishedDate`` is the newest release's date, so the package is stable."""
    return {
        "uri": uri,
        "version": OCDS_VERSION,
        "publishedDate": max(r["date"] for r in releases),
        "publisher": PUBLISHER,
        "releases": releases,
    }


def record_package(releases: list[dict[str, Any]], *, uri: str, release_package_uri: str) -> dict[str, Any]:
    """An OCDS record package with one record: every release embedded, and the compiled release."""
    return {
        "uri": uri,
        "version": OCDS_VERSION,
        "publishedDate": max(r["date"] for r in releases),
        "publisher": PUBLISHER,
        "packages": [release_package_uri],
        "records": [{"ocid": releases[0]["ocid"], "releases": releases, "compiledRelease": compile_release(releases)}],
    }


def _encode(value: Any, out: list[str]) -> None:
    if isinstance(value, dict):
        out.append("{")
        for index, (key, item) in enumerate(value.items()):
            out.append("," if index else "")
            out.append(json.dumps(str(key), ensure_ascii=False))
            out.append(":")
            _encode(item, out)
        out.append("}")
    elif isinstance(value, list | tuple):
        out.append("[")
        for index, item in enumerate(value):
            out.append("," if index else "")
            _encode(item, out)
        out.append("]")
    elif isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"not a JSON number: {value}")
        out.append(format(value, "f"))
    else:
        out.append(json.dumps(value, ensure_ascii=False))


def dumps(document: Any) -> str:
    """JSON text with every ``Decimal`` written exactly as a JSON number (``1234.50``, never a float)."""
    out: list[str] = []
    _encode(document, out)
    return "".join(out)


def jsonable(document: Any) -> Any:
    """The document with ``Decimal`` as float, for GraphQL's JSON scalar (exact below 10^13 yuan)."""
    if isinstance(document, dict):
        return {k: jsonable(v) for k, v in document.items()}
    if isinstance(document, list | tuple):
        return [jsonable(v) for v in document]
    if isinstance(document, Decimal):
        return float(document)
    return document
