"""The service catalogue of the policy's annex (附件, Art. 8)."""

from __future__ import annotations

import strawberry

from models import CatalogueItem as CatalogueItemRow
from schema import enums
from schema.base import model_type
from schema.node import Historied


@model_type(CatalogueItemRow)
@strawberry.type(description="A catalogue item (目录项目): only these may be bought (Art. 8). Public.")
class CatalogueItem(Historied):
    """目录项目."""

    code: str = strawberry.field(description="A01–A11 administrative, S01–S09 service. 编号。")
    category: enums.CatalogueCategory = strawberry.field(description="事务性工作 or 服务性工作. 类别。")
    name: str = strawberry.field(description="Item name. 项目名称。")
    target_groups: str = strawberry.field(description="Who the service is for. 服务对象。")
    is_active: bool = strawberry.field(description="Inactive items cannot be added to plans. 是否启用。")
