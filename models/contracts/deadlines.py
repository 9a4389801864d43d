"""Rule 7: disclosure deadlines of a signed contract — publication (公示) and filing (备案) — flagged, never
blocking (Art. 9(4), Art. 13)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from models.contracts.records import Contract
from models.workdays import add_workdays, calendar_covers

#: Rule 7: publication within 2 working days of signing, filing with finance within 7 (Art. 9(4), Art. 13).
PUBLICATION_WORKDAYS = 2
FILING_WORKDAYS = 7


def publication_due(signed_on: dt.date) -> dt.date:
    """公示 deadline: 2 working days after signing (Art. 9(4), Art. 13)."""
    return add_workdays(signed_on, PUBLICATION_WORKDAYS)


def filing_due(signed_on: dt.date) -> dt.date:
    """备案 deadline: 7 working days after signing (Art. 9(4))."""
    return add_workdays(signed_on, FILING_WORKDAYS)


def overdue(due: dt.date, done_on: dt.date | None, today: dt.date) -> bool:
    """Not done by the due date: done after it, or still not done and the due date has passed."""
    return done_on > due if done_on is not None else today > due


def disclosure_overdue(
    signed_on: dt.date | None, published_on: dt.date | None, filed_on: dt.date | None, today: dt.date
) -> bool:
    """Rule 7: publication (2 working days) or filing (7 working days) late, or not done and past due."""
    if signed_on is None:
        return False
    return overdue(publication_due(signed_on), published_on, today) or overdue(filing_due(signed_on), filed_on, today)


def deadlines_provisional(signed_on: dt.date) -> bool:
    """True when the official holiday calendar does not cover the deadline window (Mon–Fri fallback used)."""
    return not (calendar_covers(signed_on) and calendar_covers(filing_due(signed_on)))


@dataclass(frozen=True, slots=True)
class Deadlines:
    """Rule 7 deadlines of one signed contract."""

    publication_due: dt.date
    filing_due: dt.date
    publication_overdue: bool
    filing_overdue: bool
    provisional: bool


def deadlines_of(contract: Contract, today: dt.date) -> Deadlines | None:
    """The deadlines of ``contract`` as of ``today``; ``None`` before it is signed."""
    if contract.signed_on is None:
        return None
    pub, fil = publication_due(contract.signed_on), filing_due(contract.signed_on)
    return Deadlines(
        publication_due=pub,
        filing_due=fil,
        publication_overdue=overdue(pub, contract.published_on, today),
        filing_overdue=overdue(fil, contract.filed_on, today),
        provisional=deadlines_provisional(contract.signed_on),
    )
