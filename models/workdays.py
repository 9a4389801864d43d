"""Working days in mainland China, for the disclosure deadlines of rule 7 (Art. 9(4), Art. 13).

Uses ``chinese-calendar`` (official holidays and make-up workdays 调休). Version 1.11.0 covers 2004–2026.
For a later year not yet in the package, weekends-only is used and :func:`calendar_covers` says so, so
the API can tell users the deadline is provisional until the package is updated.
"""

from __future__ import annotations

import datetime as dt

import chinese_calendar


def calendar_covers(day: dt.date) -> bool:
    """True when the official holiday calendar for ``day``'s year is known."""
    try:
        chinese_calendar.is_workday(day)
    except NotImplementedError:
        return False
    return True


def is_workday(day: dt.date) -> bool:
    """Official working day (falls back to Monday–Friday for years the calendar does not cover)."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return day.weekday() < 5


def add_workdays(start: dt.date, count: int) -> dt.date:
    """The date ``count`` working days after ``start`` (``start`` itself not counted)."""
    day = start
    remaining = count
    while remaining > 0:
        day += dt.timedelta(days=1)
        if is_workday(day):
            remaining -= 1
    return day
