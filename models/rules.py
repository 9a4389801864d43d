"""Rule violations: how ``models`` refuses a change, with a stable code, a Chinese explanation and
the article of 泰政办发〔2019〕53号 the rule comes from. ``schema`` turns them into payload errors."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Problem:
    """One reason a change is refused."""

    code: str
    message: str
    field: str | None = None
    article: str | None = None  # e.g. "第十一条"


class RuleViolation(Exception):
    """A change refused by a business rule; nothing was written."""

    def __init__(self, *problems: Problem) -> None:
        super().__init__("; ".join(p.message for p in problems))
        self.problems = list(problems)


def refuse(code: str, message: str, *, field: str | None = None, article: str | None = None) -> RuleViolation:
    """A :class:`RuleViolation` with one problem (``raise refuse(...)``)."""
    return RuleViolation(Problem(code, message, field, article))


@dataclass(frozen=True, slots=True)
class Actor:
    """Who makes a change (for history): the user id and a display name; ``account`` names the signed-in account
    or API key (``apikey:<prefix>``) for per-account limits."""

    user_id: int | None
    name: str
    account: str = ""
