"""Districts (购买主体), townships (乡镇/街道) and communities (村/社区)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated

import strawberry

from models import AcceptanceWindow as WindowRow
from models import Community as CommunityRow
from models import Coordinator as CoordinatorRow
from models import District as DistrictRow
from models import MutualAidAssociation as AssociationRow
from models import StaffMember as StaffMemberRow
from models import Township as TownshipRow
from schema import enums
from schema.base import from_row, load_children, load_one, model_type
from schema.context import Info
from schema.node import Historied
from schema.pagination import After, Connection, First

if TYPE_CHECKING:
    from schema.staffing import AcceptanceWindow, Coordinator, MutualAidAssociation, StaffMember, TownshipStaffing

StaffMemberType = Annotated["StaffMember", strawberry.lazy("schema.staffing")]
TownshipStaffingType = Annotated["TownshipStaffing", strawberry.lazy("schema.staffing")]
WindowType = Annotated["AcceptanceWindow", strawberry.lazy("schema.staffing")]
CoordinatorType = Annotated["Coordinator", strawberry.lazy("schema.staffing")]
AssociationType = Annotated["MutualAidAssociation", strawberry.lazy("schema.staffing")]


@model_type(DistrictRow)
@strawberry.type(description="A district-level purchasing entity (购买主体, Art. 4) and its implementing agency.")
class District(Historied):
    """区/市 purchasing entity."""

    code: str = strawberry.field(description="Statistical division code, e.g. 321202. 行政区划代码。")
    name: str = strawberry.field(description="District name, e.g. 海陵区. 名称。")
    kind: enums.DistrictKind = strawberry.field(description="People's government or 管委会.")
    purchaser_name: str = strawberry.field(description="The purchasing entity, e.g. 海陵区人民政府. 购买主体。")
    agency_name: str = strawberry.field(description="The implementing agency, e.g. 海陵区民政局. 实施主体。")

    @strawberry.field(description="Townships and streets of the district. 乡镇（街道）。")
    async def townships(
        self,
        info: Info,
        first: First = 20,
        after: After = None,
    ) -> Connection[Township]:
        """Townships of this district."""
        return await load_children(info, Township, TownshipRow, "district_id", self.row.pk, first, after)


@model_type(TownshipRow)
@strawberry.type(description="A township or street (乡镇/街道) with its population (Art. 16).")
class Township(Historied):
    """乡镇/街道."""

    code: str = strawberry.field(description="9-digit township code. 乡镇代码。")
    name: str = strawberry.field(description="Name. 名称。")
    kind: enums.TownshipKind = strawberry.field(description="街道 / 镇 / 乡.")
    population: int = strawberry.field(description="Resident population. 人口。")
    population_illustrative: bool = strawberry.field(
        description="True when the population is illustrative rather than officially reported."
    )

    @strawberry.field(description="The district this township belongs to. 所属区。")
    async def district(self, info: Info) -> District | None:
        """Parent district."""
        return await load_one(info, District, DistrictRow, self.row.district_id)

    @strawberry.field(description="Villages and communities of the township (村/社区). Null-free; may be empty.")
    async def communities(
        self,
        info: Info,
        first: First = 20,
        after: After = None,
    ) -> Connection[Community]:
        """Communities of this township."""
        return await load_children(info, Community, CommunityRow, "township_id", self.row.pk, first, after)

    @strawberry.field(
        description="Civil-affairs staff of the township, own and dispatched, past and present (Art. 16); "
        "empty when you may not see staffing. 乡镇（街道）民政工作人员。"
    )
    async def staff(self, info: Info, first: First = 20, after: After = None) -> Connection[StaffMemberType]:
        """Staff of this township."""
        from schema.staffing import StaffMember

        return await load_children(info, StaffMember, StaffMemberRow, "township_id", self.row.pk, first, after)

    @strawberry.field(
        description="Social-assistance coordinators of the township's villages and communities (Art. 17); "
        "empty when you may not see staffing. 社会救助协理员。"
    )
    async def coordinators(self, info: Info, first: First = 20, after: After = None) -> Connection[CoordinatorType]:
        """Coordinators of this township."""
        from schema.staffing import Coordinator

        return await load_children(info, Coordinator, CoordinatorRow, "township_id", self.row.pk, first, after)

    @strawberry.field(
        description="Mutual-aid associations of the township; empty when you may not see staffing. 社会救助互助会。"
    )
    async def associations(self, info: Info, first: First = 20, after: After = None) -> Connection[AssociationType]:
        """Mutual-aid associations of this township."""
        from schema.staffing import MutualAidAssociation

        return await load_children(info, MutualAidAssociation, AssociationRow, "township_id", self.row.pk, first, after)

    @strawberry.field(
        description="Staffing against the Art. 16 floor on a date (rule 10): required, actual (own + dispatched), "
        "shortfall and flags; null when you may not read this district's staffing. 民政工作人员配备情况。"
    )
    async def staffing(
        self,
        info: Info,
        on: Annotated[
            dt.date | None,
            strawberry.argument(description="The date to evaluate; today (Asia/Shanghai) when omitted. 统计日期。"),
        ] = None,
    ) -> TownshipStaffingType | None:
        """Rule 10 for this township."""
        from schema.staffing import township_staffing_of

        return await township_staffing_of(info, self.row, on)

    @strawberry.field(
        description="The township's one-window acceptance point (“一门受理、协同办理”, Art. 15); null when none "
        "is recorded or you may not read staffing. 一门受理窗口。"
    )
    async def window(self, info: Info) -> WindowType | None:
        """One-window acceptance point."""
        from schema.staffing import AcceptanceWindow

        row = await info.context.loaders.by_field(WindowRow, "township_id").load(self.row.pk)
        return None if row is None else from_row(AcceptanceWindow, row)


@model_type(CommunityRow)
@strawberry.type(description="A village (村) or residential community (社区) of a township (Art. 17).")
class Community(Historied):
    """村/社区."""

    name: str = strawberry.field(description="Name. 名称。")
    kind: enums.CommunityKind = strawberry.field(description="村 or 社区.")

    @strawberry.field(description="The township. 所属乡镇。")
    async def township(self, info: Info) -> Township | None:
        """Parent township."""
        return await load_one(info, Township, TownshipRow, self.row.township_id)
