"""Tortoise models per domain, their lifecycles and invariants. The business rules live here."""

from models.accounts import AuthSession, RoleAssignment, User
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
from models.ledgers import Beneficiary, FundEntry, Ledger, ServiceEntry
from models.plans import PlanLine, PurchasePlan
from models.procurement import ProcurementLot, ProcurementProject, ProcurementThreshold
from models.staffing import Coordinator, MutualAidAssociation, MutualAidSubsidy, StaffMember
from models.training import TrainingAttendance, TrainingSession

__all__ = [
    "Acceptance",
    "AuthSession",
    "Beneficiary",
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
    "ServiceEntry",
    "StaffMember",
    "Township",
    "TrainingAttendance",
    "TrainingSession",
    "User",
]
