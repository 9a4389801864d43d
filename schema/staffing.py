"""Grassroots capacity (Art. 16–17): township civil-affairs staff (own and dispatched 派遣人员),
village/community social-assistance coordinators (社会救助协理员), mutual-aid associations
(社会救助互助会) and their subsidies."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

import strawberry

from models import AcceptanceWindow as WindowRow
from models import AssociationMember as MemberRow
from models import Community as CommunityRow
from models import Contract as ContractRow
from models import Contractor as ContractorRow
from models import Coordinator as CoordinatorRow
from models import District as DistrictRow
from models import MutualAidAssociation as AssociationRow
from models import MutualAidSubsidy as SubsidyRow
from models import StaffMember as StaffMemberRow
from models import Township as TownshipRow
from models import TrainingAttendance as AttendanceRow
from models import staffing as rules
from models.enums import Education as EducationValue
from models.enums import StaffKind as StaffKindValue
from models.geography import TOWNSHIP_CODE_HINT, is_township_code
from models.timeutil import today
from models.training import hours_by
from policies.principal import Principal
from policies.scope import scoped
from schema import enums
from schema.base import converter, load_children, load_one, model_type
from schema.context import Info
from schema.contractors import Contractor
from schema.errors import InvalidArgument
from schema.filters import check_year, district_code
from schema.geography import Community, District, Township
from schema.mutation_support import may_in_district
from schema.node import Historied
from schema.pagination import (
    After,
    Connection,
    Edge,
    First,
    PageInfo,
    check_first,
    decode_cursor,
    encode_cursor,
    paginate,
)

if TYPE_CHECKING:
    from schema.contracts import Contract

ContractType = Annotated["Contract", strawberry.lazy("schema.contracts")]

DistrictArg = Annotated[str | None, strawberry.argument(description="District code, e.g. 321202. 区代码。")]
TownshipArg = Annotated[
    str | None, strawberry.argument(description="Township code (9 digits), e.g. 321202001. 乡镇（街道）代码。")
]
YearArg = Annotated[int | None, strawberry.argument(description="Calendar year, e.g. 2024. 年度。")]


def township_code(code: str | None) -> dict[str, str]:
    """Filter by township code (9 digits)."""
    if code is None:
        return {}
    if not is_township_code(code):
        raise InvalidArgument(TOWNSHIP_CODE_HINT)
    return {"township_id": code}


OnArg = Annotated[
    dt.date | None,
    strawberry.argument(description="The date to evaluate; today (Asia/Shanghai) when omitted. 统计日期。"),
]
#: Longest flag list per township (dispatched staff below 大专, supplying contracts).
MAX_FLAGS = 50


def may_read_staffing(principal: Principal, district: str) -> bool:
    """True when ``principal`` reads the whole staffing of ``district`` (counts would mislead otherwise)."""
    return may_in_district(principal, "read", "staffing", district)


@model_type(StaffMemberRow)
@strawberry.type(
    description="A township civil-affairs management/service staff member (乡镇（街道）民政工作人员, Art. 16): "
    "own staff, or personnel dispatched by a contractor under a contract (派遣人员)."
)
class StaffMember(Historied):
    """乡镇（街道）民政工作管理服务人员."""

    name: str = strawberry.field(description="Name. 姓名。")
    kind: enums.StaffKind = strawberry.field(description="Own staff or dispatched personnel. 人员类别（自有/派遣）。")
    position: str = strawberry.field(description="Position or duties. 岗位。")
    education: enums.Education = strawberry.field(description="Highest education level. 学历。")
    social_work_background: bool = strawberry.field(
        description="Has a social-work education background. 是否具有社会工作教育背景。"
    )
    qualification: enums.SocialWorkQualification = strawberry.field(
        description="Social-worker professional qualification (NONE when none). 社会工作者职业资格。"
    )
    start_date: dt.date = strawberry.field(description="First day on staff. 到岗日期。")
    end_date: dt.date | None = strawberry.field(description="Last day on staff; null while serving. 离岗日期。")

    @strawberry.field(
        description="Meets the Art. 16 education standard: dispatched staff should hold an associate degree (大专) "
        "or above; own staff always true. 是否符合学历要求（派遣人员大专及以上）。"
    )
    def meets_education_standard(self) -> bool:
        """Rule 10: flag dispatched staff below 大专."""
        if StaffKindValue(self.row.kind) != StaffKindValue.DISPATCHED:
            return True
        return EducationValue(self.row.education).associate_or_above

    @strawberry.field(
        description="Training hours attended in a calendar year (Art. 19), counted over the attendance you may "
        "see (a contractor sees none). 年度参训学时。"
    )
    async def training_hours(
        self,
        info: Info,
        year: Annotated[int, strawberry.argument(description="Calendar year, e.g. 2026. 年度。")],
    ) -> Decimal:
        """Sum of the hours of the sessions attended in ``year``."""
        y = check_year(year)
        assert y is not None

        async def load(keys: Sequence[int]) -> list[Decimal]:
            found = await hours_by(scoped(info.context.principal, AttendanceRow), "staff_id", list(keys), y)
            return [found[k][0] if k in found else Decimal("0.0") for k in keys]

        return await info.context.loaders.custom(("training_hours", y), load).load(self.row.pk)

    @strawberry.field(description="The district. 所属区。")
    async def district(self, info: Info) -> District | None:
        """District."""
        return await load_one(info, District, DistrictRow, self.row.district_id)

    @strawberry.field(description="The township or street served. 所在乡镇（街道）。")
    async def township(self, info: Info) -> Township | None:
        """Township."""
        return await load_one(info, Township, TownshipRow, self.row.township_id)

    @strawberry.field(
        description="The contract under which the person is dispatched; null for own staff or when you may not "
        "see it. 派遣所依据的购买服务合同。"
    )
    async def contract(self, info: Info) -> ContractType | None:
        """Contract of a dispatched person."""
        from schema.contracts import Contract

        return await load_one(info, Contract, ContractRow, self.row.contract_id)

    @strawberry.field(
        description="The contractor that dispatches the person; null for own staff or when you may not see it. "
        "派遣单位（承接主体）。"
    )
    async def contractor(self, info: Info) -> Contractor | None:
        """Dispatching contractor."""
        return await load_one(info, Contractor, ContractorRow, self.row.contractor_id)


@model_type(CoordinatorRow)
@strawberry.type(
    description="A social-assistance coordinator of a village or community (社会救助协理员, Art. 17): full-time, "
    "or a village/residents' committee member serving concurrently."
)
class Coordinator(Historied):
    """社会救助协理员."""

    name: str = strawberry.field(description="Name. 姓名。")
    kind: enums.CoordinatorKind = strawberry.field(description="Full-time or concurrent. 专职/兼任。")
    grid: str = strawberry.field(description="Grid of responsibility. 网格责任。")
    start_date: dt.date = strawberry.field(description="First day in the role. 任职日期。")
    end_date: dt.date | None = strawberry.field(description="Last day in the role; null while serving. 离任日期。")

    @strawberry.field(description="The district. 所属区。")
    async def district(self, info: Info) -> District | None:
        """District."""
        return await load_one(info, District, DistrictRow, self.row.district_id)

    @strawberry.field(description="The township or street. 所属乡镇（街道）。")
    async def township(self, info: Info) -> Township | None:
        """Township."""
        return await load_one(info, Township, TownshipRow, self.row.township_id)

    @strawberry.field(description="The village or community served. 所在村（社区）。")
    async def community(self, info: Info) -> Community | None:
        """Community."""
        return await load_one(info, Community, CommunityRow, self.row.community_id)


@model_type(AssociationRow)
@strawberry.type(description="A social-assistance mutual-aid association (社会救助互助会) of a village or community.")
class MutualAidAssociation(Historied):
    """社会救助互助会."""

    name: str = strawberry.field(description="Name. 名称。")
    established_on: dt.date = strawberry.field(description="Date established. 成立日期。")
    member_count: int = strawberry.field(description="Number of members. 会员人数。")

    @strawberry.field(description="The district. 所属区。")
    async def district(self, info: Info) -> District | None:
        """District."""
        return await load_one(info, District, DistrictRow, self.row.district_id)

    @strawberry.field(description="The township or street. 所属乡镇（街道）。")
    async def township(self, info: Info) -> Township | None:
        """Township."""
        return await load_one(info, Township, TownshipRow, self.row.township_id)

    @strawberry.field(description="The village or community; null for a township-wide association. 所在村（社区）。")
    async def community(self, info: Info) -> Community | None:
        """Community."""
        return await load_one(info, Community, CommunityRow, self.row.community_id)

    @strawberry.field(description="Subsidies paid to the association, within what you may see. 互助会补贴。")
    async def subsidies(self, info: Info, first: First = 20, after: After = None) -> Connection[MutualAidSubsidy]:
        """Subsidies."""
        return await load_children(info, MutualAidSubsidy, SubsidyRow, "association_id", self.row.pk, first, after)

    @strawberry.field(
        description="Registered members, past and present (a member who left keeps the date). 互助会会员。"
    )
    async def members(self, info: Info, first: First = 20, after: After = None) -> Connection[AssociationMember]:
        """Members."""
        return await load_children(info, AssociationMember, MemberRow, "association_id", self.row.pk, first, after)


@model_type(MemberRow)
@strawberry.type(
    description="A registered member of a mutual-aid association (e.g. 老干部、老教师、老党员). 互助会会员。"
)
class AssociationMember(Historied):
    """互助会会员."""

    name: str = strawberry.field(description="Name. 姓名。")
    role: str = strawberry.field(description="Role in the association, e.g. 会长; may be empty. 职务。")
    joined_on: dt.date = strawberry.field(description="Date joined. 入会日期。")
    left_on: dt.date | None = strawberry.field(description="Last day as a member; null while a member. 退会日期。")

    @strawberry.field(description="The association. 所属互助会。")
    async def association(self, info: Info) -> MutualAidAssociation | None:
        """Association."""
        return await load_one(info, MutualAidAssociation, AssociationRow, self.row.association_id)


@model_type(WindowRow)
@strawberry.type(
    description="A township's one-window acceptance point (“一门受理、协同办理”窗口, Art. 15): where it is, the "
    "first-responsible officer (首问负责) and the promised processing time (限时办理)."
)
class AcceptanceWindow(Historied):
    """一门受理窗口."""

    location: str = strawberry.field(description="Where the window is (政务大厅/综合服务窗口). 窗口位置。")
    first_responsible_officer: str = strawberry.field(description="First-responsible officer. 首问负责人。")
    phone: str = strawberry.field(description="Window phone; may be empty. 联系电话。")
    promised_days: int = strawberry.field(
        description="Promised processing time in working days (1–30). 限时办理时限（工作日）。"
    )
    established_on: dt.date = strawberry.field(description="Date the window was set up. 设立日期。")

    @strawberry.field(description="The township. 所属乡镇（街道）。")
    async def township(self, info: Info) -> Township | None:
        """Township."""
        return await load_one(info, Township, TownshipRow, self.row.township_id)

    @strawberry.field(description="The district. 所属区。")
    async def district(self, info: Info) -> District | None:
        """District."""
        return await load_one(info, District, DistrictRow, self.row.district_id)


@model_type(SubsidyRow)
@strawberry.type(description="A subsidy a district pays a mutual-aid association by its workload. 互助会补贴。")
class MutualAidSubsidy(Historied):
    """互助会补贴."""

    year: int = strawberry.field(description="Year the subsidy is for. 年度。")
    amount: Decimal = strawberry.field(description="Amount in yuan, exact. 补贴金额（元）。")
    workload: str = strawberry.field(description="Workload it is based on. 工作量依据。")
    paid_on: dt.date | None = strawberry.field(description="Date paid; null while unpaid. 发放日期。")

    @strawberry.field(description="The paying district. 所属区。")
    async def district(self, info: Info) -> District | None:
        """District."""
        return await load_one(info, District, DistrictRow, self.row.district_id)

    @strawberry.field(
        description="The association it was paid to; null when you may not see it (e.g. finance). 互助会。"
    )
    async def association(self, info: Info) -> MutualAidAssociation | None:
        """Association."""
        return await load_one(info, MutualAidAssociation, AssociationRow, self.row.association_id)


# --- Compliance (rule 10, Art. 15–16) --------------------------------------------------------------------

ContractList = list[ContractType]


@strawberry.type(
    description="Rule 10 (Art. 16) for one township on one date: required staff (3 under 50,000 people, 4 at "
    "50,000 or more), actual (own + dispatched), shortfall, flags, and its one-window point (Art. 15). "
    "乡镇（街道）民政工作人员配备情况。"
)
class TownshipStaffing:
    """Staffing compliance of one township."""

    stats: strawberry.Private[rules.TownshipStaffing]

    @strawberry.field(description="The township. 乡镇（街道）。")
    async def township(self, info: Info) -> Township | None:
        """Township."""
        return await load_one(info, Township, TownshipRow, self.stats.township_code)

    @strawberry.field(description="The date evaluated. 统计日期。")
    def on(self) -> dt.date:
        """Date."""
        return self.stats.on

    @strawberry.field(description="Resident population. 人口。")
    def population(self) -> int:
        """Population."""
        return self.stats.population

    @strawberry.field(
        description="Staff required: 3 under 50,000 people, 4 at 50,000 or more (exactly 50,000 takes the "
        "stricter 4). 应配人数。"
    )
    def required_staff(self) -> int:
        """Required."""
        return self.stats.required

    @strawberry.field(description="Staff on staff on the date, own plus dispatched. 实配人数。")
    def actual_staff(self) -> int:
        """Actual."""
        return self.stats.actual

    @strawberry.field(description="Own staff on the date. 自有人员数。")
    def own_staff(self) -> int:
        """Own."""
        return self.stats.own

    @strawberry.field(description="Dispatched personnel (派遣人员) on the date. 派遣人员数。")
    def dispatched_staff(self) -> int:
        """Dispatched."""
        return self.stats.dispatched

    @strawberry.field(description="Staff missing to reach the floor; 0 when compliant. 缺额。")
    def shortfall(self) -> int:
        """Shortfall."""
        return self.stats.shortfall

    @strawberry.field(description="True when actual ≥ required. 是否达标。")
    def compliant(self) -> bool:
        """Compliant."""
        return self.stats.compliant

    @strawberry.field(description="True when the township has a one-window acceptance point (Art. 15). 是否设立窗口。")
    def has_window(self) -> bool:
        """Has a window."""
        return self.stats.has_window

    @strawberry.field(
        description="Number of dispatched staff on the date below an associate degree (大专). 大专以下派遣人员数。"
    )
    def dispatched_below_associate_count(self) -> int:
        """Flag count."""
        return self.stats.below_associate

    @strawberry.field(
        description=f"Dispatched staff on the date below an associate degree (Art. 16 asks for 大专 or above), "
        f"oldest record first, at most {MAX_FLAGS}. 学历低于大专的派遣人员。"
    )
    async def dispatched_below_associate(self, info: Info) -> list[StaffMember]:
        """Flag list (one statement for every township of the request)."""
        day = self.stats.on

        async def load(keys: Sequence[str]) -> list[list[StaffMemberRow]]:
            rows = await (
                scoped(info.context.principal, StaffMemberRow)
                .filter(rules.below_associate_q(day), township_id__in=list(keys))
                .order_by("id")
            )
            grouped: dict[str, list[StaffMemberRow]] = defaultdict(list)
            for row in rows:
                grouped[row.township_id].append(row)
            return [grouped.get(k, []) for k in keys]

        rows = await info.context.loaders.custom(("below_associate", day), load).load(self.stats.township_code)
        return [converter(StaffMember)(row) for row in rows[:MAX_FLAGS]]

    @strawberry.field(
        description=f"The contracts under which the township's dispatched staff serve on the date (and so the "
        f"contractors that supply them), within what you may see, at most {MAX_FLAGS}. 派遣人员所依据的合同。"
    )
    async def supplying_contracts(self, info: Info) -> ContractList:
        """Contracts (one statement for every township of the request)."""
        from schema.contracts import Contract

        ids = self.stats.contract_ids[:MAX_FLAGS]
        rows = await info.context.loaders.by_id(ContractRow).load_many(ids)
        return [converter(Contract)(row) for row in rows if row is not None]

    @strawberry.field(description="The one-window acceptance point; null when none. 一门受理窗口。")
    async def window(self, info: Info) -> AcceptanceWindow | None:
        """Window."""
        row = await info.context.loaders.by_field(WindowRow, "township_id").load(self.stats.township_code)
        return None if row is None else converter(AcceptanceWindow)(row)


@strawberry.type(
    description="Rule 10 and Art. 15/19 summed over one district on one date: townships short, total shortfall, "
    "townships without a window, training in the date's year. 区民政工作人员配备汇总。"
)
class DistrictStaffingSummary:
    """Staffing compliance of one district."""

    stats: strawberry.Private[rules.DistrictStaffing]
    training: strawberry.Private[tuple[Decimal, int]]

    @strawberry.field(description="The district. 区。")
    async def district(self, info: Info) -> District | None:
        """District."""
        return await load_one(info, District, DistrictRow, self.stats.district_code)

    @strawberry.field(description="The date evaluated. 统计日期。")
    def on(self) -> dt.date:
        """Date."""
        return self.stats.on

    @strawberry.field(description="Number of townships and streets. 乡镇（街道）数。")
    def township_count(self) -> int:
        """Townships."""
        return len(self.stats.townships)

    @strawberry.field(description="Number of townships below the staffing floor. 未达标乡镇（街道）数。")
    def townships_short(self) -> int:
        """Short townships."""
        return self.stats.short

    @strawberry.field(description="Staff missing over all townships. 缺额合计。")
    def total_shortfall(self) -> int:
        """Total shortfall."""
        return self.stats.shortfall

    @strawberry.field(description="Staff required over all townships. 应配人数合计。")
    def required_staff(self) -> int:
        """Required."""
        return sum(t.required for t in self.stats.townships)

    @strawberry.field(description="Staff on staff on the date over all townships. 实配人数合计。")
    def actual_staff(self) -> int:
        """Actual."""
        return sum(t.actual for t in self.stats.townships)

    @strawberry.field(description="Dispatched staff below 大专 over all townships. 大专以下派遣人员数。")
    def dispatched_below_associate(self) -> int:
        """Flags."""
        return sum(t.below_associate for t in self.stats.townships)

    @strawberry.field(
        description="Townships without a one-window acceptance point (Art. 15). 未设立一门受理窗口的乡镇（街道）数。"
    )
    def townships_without_window(self) -> int:
        """Without window."""
        return self.stats.without_window

    @strawberry.field(description="The calendar year of the training figures: the year of `on`. 培训统计年度。")
    def training_year(self) -> int:
        """Year."""
        return self.stats.on.year

    @strawberry.field(
        description="Training hours attended by the district's staff in that year, summed per person (Art. 19). "
        "年度参训学时合计（人·学时）。"
    )
    def training_hours(self) -> Decimal:
        """Person-hours."""
        return self.training[0]

    @strawberry.field(description="Distinct staff who attended at least one session in that year. 参训人数。")
    def trained_staff(self) -> int:
        """People trained."""
        return self.training[1]


@strawberry.type(description="Staffing compliance on one date (rule 10). 民政工作人员配备达标情况。")
class StaffingCompliance:
    """Township rows and district summaries."""

    items: strawberry.Private[list[rules.TownshipStaffing]]
    summaries: strawberry.Private[list[DistrictStaffingSummary]]
    day: strawberry.Private[dt.date]

    @strawberry.field(description="The date evaluated. 统计日期。")
    def on(self) -> dt.date:
        """Date."""
        return self.day

    @strawberry.field(
        description="One row per township in your scope, by township code (90 townships in all). 各乡镇（街道）。"
    )
    def townships(self, first: First = 100, after: After = None) -> Connection[TownshipStaffing]:
        """A page of township rows (computed together; paging only trims the answer)."""
        limit = check_first(first)
        after_code = decode_cursor(after, TownshipRow)
        rest = [t for t in self.items if after_code is None or t.township_code > after_code]
        page = rest[:limit]
        edges = [Edge(cursor=encode_cursor(t.township_code), node=TownshipStaffing(stats=t)) for t in page]
        total = len(self.items)

        async def count() -> int:
            return total

        return Connection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=len(rest) > limit,
                has_previous_page=after_code is not None,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
            count_fn=count,
        )

    @strawberry.field(description="One summary per district in your scope (at most the 7 districts). 各区汇总。")
    def districts(self) -> list[DistrictStaffingSummary]:
        """District summaries."""
        return self.summaries


async def township_staffing_of(info: Info, township: TownshipRow, on: dt.date | None) -> TownshipStaffing | None:
    """``Township.staffing``: batched per request and date (two statements for all townships asked)."""
    principal = info.context.principal
    if not may_read_staffing(principal, township.district_id):
        return None
    day = on or today()

    async def load(keys: Sequence[tuple[str, str, int]]) -> list[rules.TownshipStaffing]:
        found = await rules.township_staffing(
            keys, scoped(principal, StaffMemberRow), scoped(principal, WindowRow), day
        )
        return [found[code] for code, _, _ in keys]

    loader = info.context.loaders.custom(("township_staffing", day), load)
    stats = await loader.load((township.code, township.district_id, township.population))
    return TownshipStaffing(stats=stats)


async def staffing_compliance(info: Info, district: str | None, on: dt.date | None) -> StaffingCompliance:
    """Every township of the districts whose staffing the caller reads, with district summaries: five
    statements whatever the number of districts (townships, grouped staff, windows, training)."""
    principal = info.context.principal
    day = on or today()
    townships = await (
        scoped(principal, TownshipRow)
        .filter(**district_code(district))
        .order_by("code")
        .values_list("code", "district_id", "population")
    )
    readable = [t for t in townships if may_read_staffing(principal, t[1])]
    found = await rules.township_staffing(
        readable, scoped(principal, StaffMemberRow), scoped(principal, WindowRow), day
    )
    items = [found[code] for code, _, _ in readable]
    districts = sorted({t[1] for t in readable})
    training = await hours_by(scoped(principal, AttendanceRow), "district_id", list(districts), day.year)
    summaries = [
        DistrictStaffingSummary(stats=d, training=training.get(d.district_code, (Decimal("0.0"), 0)))
        for d in rules.by_district(items, districts, day)
    ]
    return StaffingCompliance(items=items, summaries=summaries, day=day)


@strawberry.type(description="Staffing reads (Art. 16–17). 基层经办能力查询。")
class StaffingQuery:
    """Root fields for staffing; merged into ``Query``."""

    @strawberry.field(
        description="Township civil-affairs staff in your scope (district roles: their district; city roles: all; "
        "a contractor: the staff it dispatches). 乡镇（街道）民政工作人员。"
    )
    async def staff_members(
        self,
        info: Info,
        first: First = 20,
        after: After = None,
        district: DistrictArg = None,
        township: TownshipArg = None,
        kind: Annotated[
            enums.StaffKind | None, strawberry.argument(description="Only own or only dispatched staff. 人员类别。")
        ] = None,
        active_on: Annotated[
            dt.date | None,
            strawberry.argument(
                description="Only those on staff on this date (start ≤ date ≤ end, open end = serving). 在岗日期。"
            ),
        ] = None,
    ) -> Connection[StaffMember]:
        """Staff members."""
        qs = scoped(info.context.principal, StaffMemberRow).filter(**district_code(district), **township_code(township))
        if kind is not None:
            qs = qs.filter(kind=kind)
        if active_on is not None:
            qs = qs.filter(rules.serving_on(active_on))
        return await paginate(qs, first, after, converter(StaffMember))

    @strawberry.field(description="Village/community social-assistance coordinators in your scope. 社会救助协理员。")
    async def coordinators(
        self,
        info: Info,
        first: First = 20,
        after: After = None,
        district: DistrictArg = None,
        township: TownshipArg = None,
    ) -> Connection[Coordinator]:
        """Coordinators."""
        qs = scoped(info.context.principal, CoordinatorRow).filter(**district_code(district), **township_code(township))
        return await paginate(qs, first, after, converter(Coordinator))

    @strawberry.field(description="Mutual-aid associations in your scope. 社会救助互助会。")
    async def mutual_aid_associations(
        self, info: Info, first: First = 20, after: After = None, district: DistrictArg = None
    ) -> Connection[MutualAidAssociation]:
        """Associations."""
        qs = scoped(info.context.principal, AssociationRow).filter(**district_code(district))
        return await paginate(qs, first, after, converter(MutualAidAssociation))

    @strawberry.field(
        description="Subsidies paid to mutual-aid associations in your scope (also readable by finance). 互助会补贴。"
    )
    async def mutual_aid_subsidies(
        self, info: Info, first: First = 20, after: After = None, district: DistrictArg = None, year: YearArg = None
    ) -> Connection[MutualAidSubsidy]:
        """Subsidies."""
        qs = scoped(info.context.principal, SubsidyRow).filter(**district_code(district))
        if (y := check_year(year)) is not None:
            qs = qs.filter(year=y)
        return await paginate(qs, first, after, converter(MutualAidSubsidy))

    @strawberry.field(
        description="Staffing compliance (rule 10, Art. 16) on a date for every township whose district's staffing "
        "you read (district roles: their own; the city: all; others: none), with one summary per district incl. "
        "one-window points (Art. 15) and training hours (Art. 19). 民政工作人员配备达标情况。"
    )
    async def staffing_compliance(
        self, info: Info, district: DistrictArg = None, on: OnArg = None
    ) -> StaffingCompliance:
        """Compliance rows and summaries."""
        return await staffing_compliance(info, district, on)
