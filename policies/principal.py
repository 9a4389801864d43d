"""Who is calling: a user with role assignments, or the anonymous public."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from models.enums import Role

PUBLIC_ROLE = "public"
CITY_WIDE = "district:*"

#: While an account must change its password (new account, or reset by an administrator), it may only see
#: itself, change its password and sign out: GraphQL holds it there field by field, every other route refuses it.
PASSWORD_CHANGE_REQUIRED = "PASSWORD_CHANGE_REQUIRED"
PASSWORD_CHANGE_MESSAGE = "请先修改密码（changeMyPassword）：管理员设置或重置的密码须在首次登录后修改。"


@dataclass(frozen=True, slots=True)
class Assignment:
    """A role held in a domain (``district:321202``, ``district:*``, ``contractor:7``)."""

    role: str
    domain: str

    @property
    def kind(self) -> str:
        """``district`` or ``contractor`` (or ``*``)."""
        return self.domain.partition(":")[0]

    @property
    def value(self) -> str:
        """The code or id after the colon; ``*`` for every one."""
        return self.domain.partition(":")[2]


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller of one request. Immutable; built from the database on every request."""

    user_id: int | None
    username: str
    display_name: str
    assignments: tuple[Assignment, ...]
    session_id: uuid.UUID | None = None
    must_change_password: bool = False
    _cache: dict = field(default_factory=dict, compare=False, hash=False, repr=False)

    @property
    def authenticated(self) -> bool:
        """False for the anonymous public."""
        return self.user_id is not None

    @property
    def actor_name(self) -> str:
        """Name written into change history."""
        return f"{self.display_name}（{self.username}）" if self.authenticated else "公众"

    def district_codes(self, role: Role | None = None) -> set[str]:
        """District codes the principal holds roles in (``*`` for city-wide)."""
        return {a.value for a in self.assignments if a.kind == "district" and (role is None or a.role == role)}

    def contractor_ids(self) -> set[int]:
        """Contractors the principal acts for."""
        return {int(a.value) for a in self.assignments if a.kind == "contractor" and a.value.isdigit()}


ANONYMOUS = Principal(
    user_id=None,
    username="anonymous",
    display_name="公众",
    assignments=(Assignment(PUBLIC_ROLE, "*"),),
)
