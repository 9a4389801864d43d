"""Districts (购买主体), townships (乡镇/街道) and communities (村/社区)."""

from __future__ import annotations

import strawberry

from models import Community as CommunityRow
from models import District as DistrictRow
from models import Township as TownshipRow
from schema import enums
from schema.base import load_children, load_one, model_type
from schema.context import Info
from schema.node import Node
from schema.pagination import After, Connection, First


@model_type(DistrictRow)
@strawberry.type(description="A district-level purchasing entity (购买主体, Art. 4) and its implementing agency.")
class District(Node):
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
class Township(Node):
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


@model_type(CommunityRow)
@strawberry.type(description="A village (村) or residential community (社区) of a township (Art. 17).")
class Community(Node):
    """村/社区."""

    name: str = strawberry.field(description="Name. 名称。")
    kind: enums.CommunityKind = strawberry.field(description="村 or 社区.")

    @strawberry.field(description="The township. 所属乡镇。")
    async def township(self, info: Info) -> Township | None:
        """Parent township."""
        return await load_one(info, Township, TownshipRow, self.row.township_id)
