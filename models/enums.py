"""Enumerations of the domain. Values are stable English codes; labels are the Chinese terms."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """Roles of DOMAIN.md §1 and §5, a role is held in a domain (see ``policies``)."""

    DISTRICT_PURCHASER = "district_purchaser"  # 购买主体 user (people's government / 管委会)
    DISTRICT_AGENCY = "district_agency"  # 实施主体: the district's 民政局
    FINANCE = "finance"  # 财政局, city-wide or one district
    CITY_CIVIL_AFFAIRS = "city_civil_affairs"  # 泰州市民政局
    CONTRACTOR = "contractor"  # 承接主体 staff
    CITY_ADMIN = "city_admin"  # manages every account
    DISTRICT_ADMIN = "district_admin"  # manages the accounts of one district
    CONTRACTOR_ADMIN = "contractor_admin"  # manages its organisation's staff and API keys
    CONTRACTOR_LEDGER = "contractor_ledger"  # machine clients (API keys): ledger sync only


class DistrictKind(StrEnum):
    """购买主体的类型 (Art. 4)."""

    PEOPLES_GOVERNMENT = "peoples_government"  # 人民政府
    MANAGEMENT_COMMITTEE = "management_committee"  # 管委会


class TownshipKind(StrEnum):
    """乡镇/街道."""

    SUBDISTRICT = "subdistrict"  # 街道
    TOWN = "town"  # 镇
    TOWNSHIP = "township"  # 乡


class CatalogueCategory(StrEnum):
    """附件目录的两类 (Art. 8)."""

    ADMINISTRATIVE = "administrative"  # 事务性工作
    SERVICE = "service"  # 服务性工作


class ContractorKind(StrEnum):
    """承接主体的类型 (Art. 5)."""

    SOCIAL_ORGANISATION = "social_organisation"  # 社会组织
    PUBLIC_INSTITUTION = "public_institution"  # 公益二类事业单位
    ENTERPRISE = "enterprise"  # 企业及其他社会力量


class CreditStatus(StrEnum):
    """信用状况."""

    GOOD = "good"  # 良好
    WARNING = "warning"  # 关注
    BAD = "bad"  # 失信


class EligibilityCondition(StrEnum):
    """The eight conditions of Art. 6 (第六条(一)–(八))."""

    LEGALLY_ESTABLISHED = "c1_legally_established"  # 依法设立，具有独立承担民事责任的能力
    GOVERNANCE = "c2_governance"  # 治理结构健全，内部管理和监督制度完善
    FINANCIAL_MANAGEMENT = "c3_financial_management"  # 独立、健全的财务管理、会计核算和资产管理制度
    CAPACITY = "c4_capacity"  # 具备提供服务所必需的设施、人员和专业技术能力
    TAX_AND_SOCIAL_SECURITY = "c5_tax_social_security"  # 依法缴纳税收和社会保险的良好记录
    CLEAN_RECORD = "c6_clean_record"  # 三年内无重大违法行为，年检/年报，信用良好，未列入异常名录
    SEPARATION = "c7_separation"  # 政事分开、政社分开、政企分开
    OTHER_CONDITIONS = "c8_other_conditions"  # 购买主体确定的其他条件


class PlanStatus(StrEnum):
    """年度购买计划 lifecycle (DOMAIN.md §3)."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    RETURNED = "returned"


class FundingSource(StrEnum):
    """Plan line funding source (Art. 11)."""

    WORK_FUNDS = "work_funds"  # 社会救助工作经费
    ASSISTANCE_FUNDS = "assistance_funds"  # 社会救助资金
    FINANCE_TOP_UP = "finance_top_up"  # 市（区）财政补足


class ProcurementStatus(StrEnum):
    """采购项目 lifecycle."""

    PREPARING = "preparing"
    PUBLISHED = "published"
    AWARDED = "awarded"
    FAILED = "failed"  # 流标


class ProcurementMethod(StrEnum):
    """Procurement methods of Art. 9(3) (rule 5)."""

    OPEN_TENDER = "open_tender"  # 公开招标
    INVITED_TENDER = "invited_tender"  # 邀请招标
    COMPETITIVE_NEGOTIATION = "competitive_negotiation"  # 竞争性谈判
    COMPETITIVE_CONSULTATION = "competitive_consultation"  # 竞争性磋商
    SINGLE_SOURCE = "single_source"  # 单一来源采购
    SELF_ORGANISED = "self_organised"  # 自行采购


class AwardCriteria(StrEnum):
    """评审方法."""

    QUALITY_WEIGHTED = "quality_weighted"  # 综合评分
    LOWEST_PRICE = "lowest_price"  # 最低评标价


class LotStatus(StrEnum):
    """分包 state."""

    OPEN = "open"
    AWARDED = "awarded"
    FAILED = "failed"


class ContractStatus(StrEnum):
    """购买服务合同 lifecycle (DOMAIN.md §3)."""

    DRAFT = "draft"
    SIGNED = "signed"
    PUBLISHED = "published"  # 公示
    FILED = "filed"  # 备案
    IN_PERFORMANCE = "in_performance"
    ACCEPTANCE_FAILED = "acceptance_failed"  # under rectification
    ACCEPTED = "accepted"
    CLOSED = "closed"
    TERMINATED = "terminated"


class PaymentTrigger(StrEnum):
    """What a payment instalment is tied to."""

    SIGNING = "signing"
    MILESTONE = "milestone"
    ACCEPTANCE = "acceptance"


class AcceptanceResult(StrEnum):
    """验收结论."""

    PASS = "pass"
    FAIL = "fail"


class AmendmentStatus(StrEnum):
    """合同变更 state."""

    DRAFT = "draft"
    SIGNED = "signed"


class AssistanceCategory(StrEnum):
    """救助类别 of a beneficiary."""

    DIBAO = "dibao"  # 低保
    TEKUN = "tekun"  # 特困
    TEMPORARY = "temporary"  # 临时救助
    MARGINAL = "marginal"  # 低保边缘/支出型贫困


class ServiceUnit(StrEnum):
    """Unit of a service entry's quantity."""

    HOURS = "hours"  # 小时
    VISITS = "visits"  # 次
    PERSONS = "persons"  # 人


class EntryKind(StrEnum):
    """Ledger entries are append-only: a correction is a new entry (Art. 14)."""

    ORIGINAL = "original"
    REVERSAL = "reversal"  # 冲销
    AMENDMENT = "amendment"  # 更正


class FundDirection(StrEnum):
    """Direction of a fund entry."""

    RECEIVED = "received"
    SPENT = "spent"


class StaffKind(StrEnum):
    """Township civil-affairs staff (Art. 16)."""

    OWN = "own"  # 在编/自有人员
    DISPATCHED = "dispatched"  # 派遣人员


class Education(StrEnum):
    """学历."""

    POSTGRADUATE = "postgraduate"  # 研究生
    BACHELOR = "bachelor"  # 本科
    ASSOCIATE = "associate"  # 大专
    SECONDARY = "secondary"  # 高中/中专
    BELOW_SECONDARY = "below_secondary"  # 初中及以下

    @property
    def associate_or_above(self) -> bool:
        """大专及以上 (Art. 16, dispatched staff)."""
        return self in (Education.POSTGRADUATE, Education.BACHELOR, Education.ASSOCIATE)


class SocialWorkQualification(StrEnum):
    """社会工作者职业资格."""

    NONE = "none"
    ASSISTANT = "assistant"  # 助理社会工作师
    SOCIAL_WORKER = "social_worker"  # 社会工作师
    SENIOR = "senior"  # 高级社会工作师


class CommunityKind(StrEnum):
    """村/居委会."""

    VILLAGE = "village"  # 村
    COMMUNITY = "community"  # 社区（居委会）


class CoordinatorKind(StrEnum):
    """社会救助协理员 (Art. 17)."""

    FULL_TIME = "full_time"  # 专职
    CONCURRENT = "concurrent"  # 村（居）委会成员兼任


class TrainingForm(StrEnum):
    """培训形式 (Art. 19)."""

    POLICY_BRIEFING = "policy_briefing"  # 政策解读
    EXPERT_LECTURE = "expert_lecture"  # 专家授课
    EXPERIENCE_SHARING = "experience_sharing"  # 经验介绍
    CASE_STUDY = "case_study"  # 案例分析
    INTERACTIVE = "interactive"  # 互动参与


class OrganiserLevel(StrEnum):
    """Who organised a training session."""

    CITY = "city"
    DISTRICT = "district"


class ChangeAction(StrEnum):
    """Kinds of change in the history."""

    CREATE = "create"
    UPDATE = "update"
    TRANSITION = "transition"
    DELETE = "delete"


class PeopleDimension(StrEnum):
    """What a beneficiaries bitmap of the services summaries (``models.service_summary``) is grouped by."""

    CATALOGUE_ITEM = "catalogue_item"
    TOWNSHIP = "township"
    ASSISTANCE_CATEGORY = "assistance_category"
