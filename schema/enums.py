"""GraphQL enums, one per domain enum of ``models.enums`` (names are the members, e.g. ``IN_PERFORMANCE``)."""

from __future__ import annotations

import strawberry

from models import enums as e

Role = strawberry.enum(e.Role, description="A role of DOMAIN.md §5. 角色。")
DistrictKind = strawberry.enum(e.DistrictKind, description="人民政府 or 管委会 (Art. 4).")
TownshipKind = strawberry.enum(e.TownshipKind, description="街道 / 镇 / 乡.")
CatalogueCategory = strawberry.enum(
    e.CatalogueCategory, description="事务性工作 (administrative) / 服务性工作 (service)."
)
ContractorKind = strawberry.enum(
    e.ContractorKind, description="社会组织 / 公益二类事业单位 / 企业及其他社会力量 (Art. 5)."
)
CreditStatus = strawberry.enum(e.CreditStatus, description="信用状况.")
EligibilityCondition = strawberry.enum(
    e.EligibilityCondition, description="The eight conditions of Art. 6. 承接主体条件。"
)
PlanStatus = strawberry.enum(e.PlanStatus, description="Annual plan state. 计划状态。")
FundingSource = strawberry.enum(e.FundingSource, description="社会救助工作经费 / 社会救助资金 / 财政补足 (Art. 11).")
ProcurementStatus = strawberry.enum(e.ProcurementStatus, description="Procurement state (FAILED = 流标).")
ProcurementMethod = strawberry.enum(e.ProcurementMethod, description="Procurement method of Art. 9(3). 采购方式。")
AwardCriteria = strawberry.enum(e.AwardCriteria, description="综合评分 / 最低评标价.")
LotStatus = strawberry.enum(e.LotStatus, description="State of a lot (分包).")
ContractStatus = strawberry.enum(e.ContractStatus, description="Contract state (DOMAIN.md §3). 合同状态。")
PaymentTrigger = strawberry.enum(
    e.PaymentTrigger, description="What a payment is tied to: signing, milestone, acceptance."
)
AcceptanceResult = strawberry.enum(e.AcceptanceResult, description="验收结论: pass / fail.")
AmendmentStatus = strawberry.enum(e.AmendmentStatus, description="State of a contract amendment.")
AssistanceCategory = strawberry.enum(e.AssistanceCategory, description="低保 / 特困 / 临时救助 / 低保边缘·支出型贫困.")
ServiceUnit = strawberry.enum(e.ServiceUnit, description="Unit of a service quantity: hours, visits, persons.")
EntryKind = strawberry.enum(e.EntryKind, description="Ledger entry kind: original, reversal (冲销), amendment (更正).")
FundDirection = strawberry.enum(e.FundDirection, description="Fund entry direction: received / spent.")
StaffKind = strawberry.enum(e.StaffKind, description="Own staff or dispatched personnel (派遣人员, Art. 16).")
Education = strawberry.enum(e.Education, description="学历.")
SocialWorkQualification = strawberry.enum(e.SocialWorkQualification, description="社会工作者职业资格.")
CommunityKind = strawberry.enum(e.CommunityKind, description="村 / 社区.")
CoordinatorKind = strawberry.enum(e.CoordinatorKind, description="协理员: full-time or concurrent (Art. 17).")
TrainingForm = strawberry.enum(e.TrainingForm, description="Training form of Art. 19. 培训形式。")
OrganiserLevel = strawberry.enum(e.OrganiserLevel, description="City- or district-level training.")
