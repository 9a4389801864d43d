"""Matching the people named in ledger rows (服务对象) without telling a contractor who is registered.

A ledger row names a person by ID-card number and name. What a contractor legitimately needs (DOMAIN.md §2, §5):
record a service for someone it serves — a person it served before, a person registered in the contract's
district whom it can name correctly, or a new person (registered by that first row). What it must not learn is
the registration status of people it has not served: before, a row with an arbitrary number and a dummy name
answered ``BENEFICIARY_OUTSIDE_DISTRICT`` (registered in another district), ``BENEFICIARY_MISMATCH`` (registered
here) or nothing (unknown), for 500 numbers a request, unlimited.

Now:

* every row whose number is registered but cannot be used with the name given — registered in another district
  (whatever the name), registered here under another name, or named differently by an earlier row of the same
  submission — is refused with one error, :data:`NOT_MATCHED`, with one message and field;
* every such row is a *failed match*, stored in ``beneficiary_match_failure`` (the database, so all workers and
  hosts count together), per account and per contractor;
* at :data:`MAX_PER_ACCOUNT` failed matches of an account (or :data:`MAX_PER_CONTRACTOR` of all accounts and API
  keys of one contractor) within :data:`WINDOW`, a submission naming anyone the contractor has not served yet is
  refused whole with ``TOO_MANY_ATTEMPTS`` and the time to retry, before any lookup result is revealed (so the
  refusal itself says nothing about the rows); rows about people it already served still go through;
* a submission with more failed matches than the budget left is refused with ``TOO_MANY_ATTEMPTS`` only (no
  per-row answers), and its failures are counted: no request reveals more than the budget.

What stays observable: a number that is unknown is registered by the submission (success), which differs from
``NOT_MATCHED``. Refusing unknown people would stop contractors registering the people they serve, which they
must (policy: ``contractor, beneficiary, create``); each such registration writes a beneficiary and a ledger entry
that the district's agency sees in the ledger's history, and the failures that reveal registered people are
capped above.
"""

from __future__ import annotations

import datetime as dt

from tortoise import fields
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.models import Model

from models.rules import Problem, RuleViolation
from models.timeutil import SHANGHAI, now

NOT_MATCHED = "BENEFICIARY_NOT_MATCHED"
TOO_MANY_ATTEMPTS = "TOO_MANY_ATTEMPTS"
NOT_MATCHED_FIELD = "beneficiaryIdNumber"
NOT_MATCHED_MESSAGE = (
    "身份证号与姓名未能匹配为本合同可记录的服务对象：请核对身份证号和姓名；"
    "如确认无误，请联系本区实施主体（区民政局）核实。"
)
WINDOW = dt.timedelta(minutes=15)
MAX_PER_ACCOUNT = 20
MAX_PER_CONTRACTOR = 60


class BeneficiaryMatchFailure(Model):
    """One ledger row whose person could not be matched (never the number or the name): for throttling."""

    id = fields.BigIntField(primary_key=True)
    account = fields.CharField(max_length=100, description="username, or apikey:<prefix>")
    contractor_id = fields.IntField(null=True, description="the contractor whose ledger was written")
    at = fields.DatetimeField()

    class Meta:
        table = "beneficiary_match_failure"
        indexes = (("account", "at"), ("contractor_id", "at"), ("at",))


class MatchRefusal(RuleViolation):
    """A refused submission that failed ``failed_matches`` matches (to be counted after the rollback)."""

    def __init__(self, *problems: Problem, failed_matches: int) -> None:
        super().__init__(*problems)
        self.failed_matches = failed_matches


async def _recent(field: str, value: object, limit: int, since: dt.datetime, conn: BaseDBAsyncClient | None) -> list:
    return list(
        await BeneficiaryMatchFailure.filter(**{field: value, "at__gte": since})
        .using_db(conn)
        .order_by("-at")
        .limit(limit)
        .values_list("at", flat=True)
    )


async def budget(
    account: str, contractor_id: int | None, conn: BaseDBAsyncClient | None = None
) -> tuple[int, dt.datetime | None]:
    """``(failed matches still allowed now, when the lock ends if none)`` for ``account`` of ``contractor_id``."""
    current = now()
    since = current - WINDOW
    left, until = MAX_PER_ACCOUNT, None
    checks = [("account", account[:100], MAX_PER_ACCOUNT)]
    if contractor_id is not None:
        checks.append(("contractor_id", contractor_id, MAX_PER_CONTRACTOR))
    for field, value, limit in checks:
        recent = await _recent(field, value, limit, since, conn)
        left = min(left, limit - len(recent))
        if len(recent) >= limit:
            ends = min(recent) + WINDOW
            until = ends if until is None else max(until, ends)
    return max(left, 0), until


def too_many(until: dt.datetime | None) -> Problem:
    """``TOO_MANY_ATTEMPTS`` with the time to retry."""
    current = now()
    ends = until if until is not None and until > current else current + WINDOW
    minutes = max(1, -(-int((ends - current).total_seconds()) // 60))
    return Problem(
        TOO_MANY_ATTEMPTS,
        f"近15分钟内未能匹配的服务对象过多，已暂停登记新的服务对象。请核对身份证号和姓名后，"
        f"于 {ends.astimezone(SHANGHAI):%H:%M}（约{minutes}分钟后）再提交；已服务过的对象不受影响。",
        NOT_MATCHED_FIELD,
    )


async def record_failures(account: str, contractor_id: int | None, count: int) -> None:
    """Store ``count`` failed matches (at most what any limit needs) in their own statement, after the refused
    submission rolled back; rows older than the window go."""
    if count <= 0:
        return
    stamp = now()
    rows = [
        BeneficiaryMatchFailure(account=account[:100], contractor_id=contractor_id, at=stamp)
        for _ in range(min(count, max(MAX_PER_ACCOUNT, MAX_PER_CONTRACTOR)))
    ]
    await BeneficiaryMatchFailure.bulk_create(rows)
    await BeneficiaryMatchFailure.filter(at__lt=stamp - WINDOW).delete()
