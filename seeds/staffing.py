"""Demo grassroots capacity (Art. 15–17): township staff, communities, coordinators, mutual-aid associations.

Every township gets its Art. 16 floor (3, or 4 from 50,000 people) give or take one: every sixth is
one short, about a third have one extra. Where a contract of the district is in performance, up to two
of the staff are dispatched (派遣) by its contractor — the contract whose lot covers the township
when there is one — and some dispatched staff only finished secondary school (flagged: Art. 16 asks for
大专). Some townships also list people who have left (end date in the past), e.g. staff dispatched
under a closed contract.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from models.contracts import Contract
from models.enums import CommunityKind, ContractStatus, CoordinatorKind, Education, SocialWorkQualification, StaffKind
from models.geography import Community, Township
from models.staffing import (
    AcceptanceWindow,
    Coordinator,
    MutualAidAssociation,
    MutualAidSubsidy,
    StaffMember,
    required_staff,
)
from seeds.contracts import ContractRecord
from seeds.helpers import AS_OF, mobile_phone, person_name, rng_for, unique_names
from seeds.upsert import ensure

E = Education
Q = SocialWorkQualification
OWN_EDUCATION = (E.BACHELOR, E.BACHELOR, E.BACHELOR, E.ASSOCIATE, E.ASSOCIATE, E.POSTGRADUATE, E.SECONDARY)
DISPATCHED_EDUCATION = (E.ASSOCIATE, E.ASSOCIATE, E.BACHELOR, E.BACHELOR, E.BACHELOR)
QUALIFICATIONS = (Q.NONE, Q.NONE, Q.ASSISTANT, Q.ASSISTANT, Q.SOCIAL_WORKER, Q.SENIOR)
OWN_POSITIONS = ("社会事业局（民政办）负责人", "社会救助专干", "民政助理", "社会事务办科员")
DISPATCHED_POSITIONS = ("社会救助经办员", "驻点社工", "救助信息采集员")

COMMUNITY_NAMES = [
    "幸福",
    "和平",
    "新华",
    "光明",
    "永安",
    "春晖",
    "建设",
    "友谊",
    "育才",
    "东风",
    "向阳",
    "梅兰",
    "凤凰",
    "海光",
    "稻河",
    "园林",
]
VILLAGE_NAMES = [
    "朱庄",
    "王庄",
    "陈堡",
    "刘家",
    "徐垛",
    "周巷",
    "张郭",
    "顾庄",
    "河横",
    "唐庄",
    "严家",
    "仓场",
    "沙洲",
    "蒋垛",
    "孔桥",
    "北汤",
]
COMMUNITY_TOWNSHIPS_PER_DISTRICT = 3


def _dispatch_contract(records: list[ContractRecord], township: Township) -> Contract | None:
    """The running contract whose lot covers ``township`` (else any running one of the district)."""
    running = [
        r
        for r in records
        if r.contract.district_id == township.district_id and r.contract.status == ContractStatus.IN_PERFORMANCE
    ]
    covering = [r for r in running if township.code in r.township_codes]
    chosen = covering or running
    return chosen[-1].contract if chosen else None


def _closed_contract(records: list[ContractRecord], district_code: str) -> Contract | None:
    """The most recent finished contract of the district (its dispatched staff have left)."""
    done = [
        r.contract
        for r in records
        if r.contract.district_id == district_code
        and r.contract.status in (ContractStatus.CLOSED, ContractStatus.ACCEPTED)
    ]
    return max(done, key=lambda c: c.service_start or dt.date.min) if done else None


def _township_staff(township: Township, index: int, records: list[ContractRecord]) -> list[StaffMember]:
    rng = rng_for("staff", township.code)
    target = required_staff(township.population) + (-1 if index % 6 == 2 else int(rng.random() < 0.35))
    dispatch = _dispatch_contract(records, township)
    dispatched = min(2, target - 2) if dispatch else 0
    past = _closed_contract(records, township.district_id) if index % 6 == 0 else None
    leaver = index % 8 == 5
    names = unique_names(rng, target + int(past is not None) + int(leaver))
    common = {"district_id": township.district_id, "township": township}
    staff: list[StaffMember] = []
    for n in range(target - dispatched):
        staff.append(
            StaffMember(
                **common,
                name=names.pop(),
                kind=StaffKind.OWN,
                position=OWN_POSITIONS[n % len(OWN_POSITIONS)],
                education=rng.choice(OWN_EDUCATION),
                social_work_background=rng.random() < 0.3,
                qualification=rng.choice(QUALIFICATIONS),
                start_date=dt.date(rng.randint(2008, 2023), rng.randint(1, 12), 1),
            )
        )
    for n in range(dispatched):
        assert dispatch is not None
        assert dispatch.service_start is not None
        staff.append(
            StaffMember(
                **common,
                name=names.pop(),
                kind=StaffKind.DISPATCHED,
                contract=dispatch,
                contractor_id=dispatch.contractor_id,
                position=DISPATCHED_POSITIONS[n % len(DISPATCHED_POSITIONS)],
                # every fourth township's first dispatched worker only finished secondary school
                education=E.SECONDARY if n == 0 and index % 4 == 0 else rng.choice(DISPATCHED_EDUCATION),
                social_work_background=rng.random() < 0.6,
                qualification=rng.choice(QUALIFICATIONS[:4]),
                start_date=dispatch.service_start,
            )
        )
    if past is not None and past.service_start is not None:
        staff.append(
            StaffMember(
                **common,
                name=names.pop(),
                kind=StaffKind.DISPATCHED,
                contract=past,
                contractor_id=past.contractor_id,
                position=DISPATCHED_POSITIONS[0],
                education=rng.choice(DISPATCHED_EDUCATION),
                qualification=Q.ASSISTANT,
                start_date=past.service_start,
                end_date=past.service_end,
            )
        )
    if leaver:
        staff.append(
            StaffMember(
                **common,
                name=names.pop(),
                kind=StaffKind.OWN,
                position="民政助理",
                education=E.BACHELOR,
                start_date=dt.date(2016, 3, 1),
                end_date=dt.date(2025, rng.randint(1, 12), 28),
            )
        )
    return staff


async def load_staff(records: list[ContractRecord]) -> None:
    """Create the missing township staff (natural key: township and name)."""
    existing = set(await StaffMember.all().values_list("township_id", "name"))
    new: list[StaffMember] = []
    by_district: dict[str, int] = {}
    for township in await Township.all().order_by("code"):
        index = by_district.get(township.district_id, 0)
        by_district[township.district_id] = index + 1
        new += [s for s in _township_staff(township, index, records) if (township.code, s.name) not in existing]
    await StaffMember.bulk_create(new)


def _community_names(township: Township) -> list[tuple[str, CommunityKind]]:
    rng = rng_for("communities", township.code)
    community = rng.choice(COMMUNITY_NAMES) + "社区"
    if township.kind == "subdistrict":
        other = rng.choice([n for n in COMMUNITY_NAMES if n + "社区" != community]) + "社区"
        return [(community, CommunityKind.COMMUNITY), (other, CommunityKind.COMMUNITY)]
    return [(community, CommunityKind.COMMUNITY), (rng.choice(VILLAGE_NAMES) + "村", CommunityKind.VILLAGE)]


async def load_communities() -> None:
    """Two villages/communities in the first townships of each district, with coordinators and associations."""
    townships = await Township.all().order_by("code")
    seen: dict[str, int] = {}
    for township in townships:
        seen[township.district_id] = seen.get(township.district_id, 0) + 1
        if seen[township.district_id] > COMMUNITY_TOWNSHIPS_PER_DISTRICT:
            continue
        for n, (name, kind) in enumerate(_community_names(township)):
            community, created = await ensure(
                Community,
                {"township": township, "name": name},
                {"district_id": township.district_id, "kind": kind},
            )
            if created:
                await _community_people(township, community, n)


async def _community_people(township: Township, community: Community, n: int) -> None:
    rng = rng_for("community", township.code, community.name)
    common = {"district_id": township.district_id, "township": township, "community": community}
    names = unique_names(rng, 2, young=True)
    await Coordinator.create(
        **common,
        name=names[0],
        kind=CoordinatorKind.FULL_TIME if n == 0 else CoordinatorKind.CONCURRENT,
        grid=f"{community.name}第{rng.randint(1, 6)}网格",
        start_date=dt.date(rng.randint(2019, 2023), rng.randint(1, 12), 1),
    )
    if n == 1 and rng.random() < 0.5:  # a predecessor who has handed over
        await Coordinator.create(
            **common,
            name=names[1],
            kind=CoordinatorKind.CONCURRENT,
            grid=f"{community.name}第1网格",
            start_date=dt.date(2018, 1, 1),
            end_date=dt.date(2024, 12, 31),
        )
    members = rng.randint(20, 80)
    association = await MutualAidAssociation.create(
        **common,
        name=f"{township.name}{community.name}社会救助互助会",
        established_on=dt.date(rng.randint(2020, 2022), rng.randint(1, 12), 15),
        member_count=members,
    )
    for year in (2025, 2026):
        visits = members * rng.randint(3, 6)
        paid = dt.date(year, 12, 20) if year == 2025 else (dt.date(2026, 11, 20) if rng.random() < 0.5 else None)
        await MutualAidSubsidy.create(
            association=association,
            district_id=township.district_id,
            year=year,
            amount=Decimal(2000 + visits * 10).quantize(Decimal("0.01")),
            workload=f"全年结对走访困难家庭{visits}户次，开展邻里互助活动{rng.randint(4, 12)}场",
            paid_on=paid if paid is None or paid <= AS_OF else None,
        )


async def load_windows() -> None:
    """一门受理、协同办理 windows (Art. 15) for most townships; those whose serial is a multiple of 7 (e.g.
    321202007) have none yet, so dashboards show gaps."""
    for township in await Township.all().order_by("code"):
        if int(township.code[-3:]) % 7 == 0:
            continue
        rng = rng_for("window", township.code)
        await ensure(
            AcceptanceWindow,
            {"township_id": township.code},
            {
                "district_id": township.district_id,
                "location": f"{township.name}便民服务中心社会救助窗口",
                "first_responsible_officer": person_name(rng),
                "phone": mobile_phone(rng),
                "promised_days": rng.choice([3, 5, 5, 7, 10]),
                "established_on": dt.date(2020, rng.randint(1, 12), rng.randint(1, 28)),
            },
        )
