"""Calendar helpers: dates are calendar dates in Asia/Shanghai (DOMAIN.md §2)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def now() -> dt.datetime:
    """The current instant, timezone-aware."""
    return dt.datetime.now(tz=SHANGHAI)


def today() -> dt.date:
    """Today's date in Taizhou."""
    return now().date()
