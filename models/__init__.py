"""Tortoise models per domain, their lifecycles and invariants. The business rules live here."""

from models.accounts import ApiKey, AuthSession, LoginAttempt, RoleAssignment, User
from models.beneficiary_matching import BeneficiaryMatchFailure
from models.catalogue import CatalogueItem
from models.contractors import Contractor, ContractorViolation, EligibilityAttestation
from models.contracts import (
    Acceptance,
    Contract,
    ContractAmendment,
    Inspection,
    Payment,
    PaymentInstalment,
)
from models.geography import Community, District, Township
from models.history import ChangeRecord
from models.ledgers import Beneficiary, FundEntry, Ledger, LedgerSubmission, ServiceEntry
from models.plans import PlanLine, PurchasePlan
from models.procurement import ProcurementLot, ProcurementProject, ProcurementThreshold
from models.service_summary import ServiceCategoryMonth, ServicePeopleMonth, ServiceTownshipMonth
from models.staffing import (
    AcceptanceWindow,
    AssociationMember,
    Coordinator,
    MutualAidAssociation,
    MutualAidSubsidy,
    StaffMember,
)
from models.training import TrainingAttendance, TrainingSession

__all__ = [
    "Acceptance",
    "AcceptanceWindow",
    "ApiKey",
    "AssociationMember",
    "AuthSession",
    "Beneficiary",
    "BeneficiaryMatchFailure",
    "CatalogueItem",
    "ChangeRecord",
    "Community",
    "Contract",
    "ContractAmendment",
    "Contractor",
    "ContractorViolation",
    "Coordinator",
    "District",
    "EligibilityAttestation",
    "FundEntry",
    "Inspection",
    "Ledger",
    "LedgerSubmission",
    "LoginAttempt",
    "MutualAidAssociation",
    "MutualAidSubsidy",
    "Payment",
    "PaymentInstalment",
    "PlanLine",
    "ProcurementLot",
    "ProcurementProject",
    "ProcurementThreshold",
    "PurchasePlan",
    "RoleAssignment",
    "ServiceCategoryMonth",
    "ServiceEntry",
    "ServicePeopleMonth",
    "ServiceTownshipMonth",
    "StaffMember",
    "Township",
    "TrainingAttendance",
    "TrainingSession",
    "User",
]
