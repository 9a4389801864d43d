"""Contracts (购买服务合同, Art. 9(4)) and what hangs off them: payment schedule, amendments,
inspections (Art. 9(5)), acceptance (Art. 9(6)) and payments.

The lifecycle (DOMAIN.md §3: DRAFT → SIGNED → PUBLISHED → FILED → IN_PERFORMANCE → ACCEPTED |
ACCEPTANCE_FAILED → … → CLOSED, TERMINATED) and rules 6–8: pure checks that return
:class:`~models.rules.Problem` lists, then the services the mutations call inside one transaction.

One module per part of the contract lifecycle; everything public is re-exported here, so
``from models.contracts import X`` and ``models.contracts.X`` work as before:

- :mod:`~models.contracts.records` — the Tortoise models (Contract, PaymentInstalment, ContractAmendment,
  Inspection, Acceptance, Payment) and the acceptance grade (``grade_for``);
- :mod:`~models.contracts.checks` — policy articles, state sets, required content and editable terms,
  the pure rule-6 checks (content, term, text, payment schedule) and the helpers the services share;
- :mod:`~models.contracts.deadlines` — rule 7: publication and filing deadlines (flagged, never blocking);
- :mod:`~models.contracts.amounts` — effective amount, what has been paid, the contract row lock, and the
  plan's committed money against its approved budget (rule 3);
- :mod:`~models.contracts.drafting` — draft and edit a DRAFT contract;
- :mod:`~models.contracts.lifecycle` — sign, publish (公示), file (备案), start performance, terminate;
- :mod:`~models.contracts.amendments` — 合同变更, their own records, and the effective terms;
- :mod:`~models.contracts.acceptance` — inspections (Art. 9(5)), acceptance (Art. 9(6)), report and disclosure;
- :mod:`~models.contracts.payments` — payments (rule 8: pay for performance).

Plans, procurement and ledgers are imported inside the functions that use them: those modules may come to
import this package.
"""

from models.contracts.acceptance import (
    publish_acceptance,
    record_acceptance,
    record_inspection,
    report_acceptance,
)
from models.contracts.amendments import effective_terms, propose_amendment, sign_amendment
from models.contracts.amounts import committed_amount, effective_amount, lock_contract, paid_total, signed_deltas
from models.contracts.checks import (
    ACTIVE_STATES,
    AMENDABLE,
    ART_ACCEPTANCE,
    ART_CATALOGUE,
    ART_CONTRACT,
    ART_PERFORMANCE,
    ART_PLAN,
    COMMITTED_STATES,
    DATE_FIELDS,
    MAX_CATALOGUE_ITEMS,
    MAX_INSTALMENTS,
    MAX_TERM_DAYS,
    NORMAL_TERM_DAYS,
    PAYABLE_STATES,
    PERFORMING_STATES,
    REQUIRED_CONTENT,
    TERM_FIELDS,
    TEXT_LIMITS,
    InstalmentSpec,
    content_problems,
    date_problem,
    instalment_problems,
    money_problem,
    period_problems,
    term_days,
    term_problems,
    text_problems,
)
from models.contracts.deadlines import (
    FILING_WORKDAYS,
    PUBLICATION_WORKDAYS,
    Deadlines,
    deadlines_of,
    deadlines_provisional,
    disclosure_overdue,
    filing_due,
    overdue,
    publication_due,
)
from models.contracts.drafting import draft_contract, update_contract
from models.contracts.lifecycle import (
    file_contract,
    publish_contract,
    sign_contract,
    start_performance,
    terminate_contract,
)
from models.contracts.payments import paid_total_of_instalment, record_payment
from models.contracts.records import (
    Acceptance,
    Contract,
    ContractAmendment,
    Inspection,
    Payment,
    PaymentInstalment,
    grade_for,
)

__all__ = [
    "ACTIVE_STATES",
    "AMENDABLE",
    "ART_ACCEPTANCE",
    "ART_CATALOGUE",
    "ART_CONTRACT",
    "ART_PERFORMANCE",
    "ART_PLAN",
    "COMMITTED_STATES",
    "DATE_FIELDS",
    "FILING_WORKDAYS",
    "MAX_CATALOGUE_ITEMS",
    "MAX_INSTALMENTS",
    "MAX_TERM_DAYS",
    "NORMAL_TERM_DAYS",
    "PAYABLE_STATES",
    "PERFORMING_STATES",
    "PUBLICATION_WORKDAYS",
    "REQUIRED_CONTENT",
    "TERM_FIELDS",
    "TEXT_LIMITS",
    "Acceptance",
    "Contract",
    "ContractAmendment",
    "Deadlines",
    "Inspection",
    "InstalmentSpec",
    "Payment",
    "PaymentInstalment",
    "committed_amount",
    "content_problems",
    "date_problem",
    "deadlines_of",
    "deadlines_provisional",
    "disclosure_overdue",
    "draft_contract",
    "effective_amount",
    "effective_terms",
    "file_contract",
    "filing_due",
    "grade_for",
    "instalment_problems",
    "lock_contract",
    "money_problem",
    "overdue",
    "paid_total",
    "paid_total_of_instalment",
    "period_problems",
    "propose_amendment",
    "publication_due",
    "publish_acceptance",
    "publish_contract",
    "record_acceptance",
    "record_inspection",
    "record_payment",
    "report_acceptance",
    "sign_amendment",
    "sign_contract",
    "signed_deltas",
    "start_performance",
    "term_days",
    "term_problems",
    "terminate_contract",
    "text_problems",
    "update_contract",
]
