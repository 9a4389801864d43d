"""Grassroots capacity (Art. 16–17): township civil-affairs staff (own and dispatched 派遣人员),
village/community social-assistance coordinators (社会救助协理员), mutual-aid associations
(社会救助互助会) and their subsidies."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

import strawberry
from tortoise.expressions import Q

from models import Community as CommunityRow
from models import Contract as ContractRow
from models import Contractor as ContractorRow
from models import Coordinator as CoordinatorRow
from models import District as DistrictRow
from models import MutualAidAssociation as AssociationRow
from models import MutualAidSubsidy as SubsidyRow
from models import StaffMember as StaffMemberRow
from models import Township as TownshipRow
from models.enums import Education as EducationValue
from models.enums import StaffKind as StaffKindValue
from policies.scope import scoped
from schema import enums
from schema.base import converter, load_children, load_one, model_type
from schema.context import Info
from schema.contractors import Contractor
from schema.errors import InvalidArgument
from schema.filters import district_code
from schema.geography import Community, District, Township
from schema.node import Node
from schema.pagination import After, Connection, First, paginate

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
    if not (len(code) == 9 and code.isdigit()):
        raise InvalidArgument("township 应为9位乡镇（街道）代码，例如 321202001。")
    return {"township_id": code}


def check_year(year: int | None) -> int | None:
    """A plausible calendar year (or ``None``)."""
    if year is not None and not 1900 <= year <= 9999:
        raise InvalidArgument(f"year 应为四位年份，当前为 {year}。")
    return year


def serving_on(day: dt.date) -> Q:
    """Rows whose ``start_date``/``end_date`` span ``day`` (an open end means still serving)."""
    return Q(start_date__lte=day) & (Q(end_date__isnull=True) | Q(end_date__gte=day))


@model_type(StaffMemberRow)
@strawberry.type(
    description="A township civil-affairs management/service staff member (乡镇（街道）民政工作人员, Art. 16): "
    "own staff, or personnel dispatched by a contractor under a contract (派遣人员)."
)
class StaffMember(Node):
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
class Coordinator(Node):
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
class MutualAidAssociation(Node):
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


@model_type(SubsidyRow)
@strawberry.type(description="A subsidy a district pays a mutual-aid association by its workload. 互助会补贴。")
class MutualAidSubsidy(Node):
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
            qs = qs.filter(serving_on(active_on))
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
