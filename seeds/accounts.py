"""Demo accounts, read from ``seeds/demo_accounts.csv`` (the single list of who may sign in to the demo):
the district, finance, city and contractor users, and one administrator per scope (``city_admin``, a
``<district>_admin`` per district, and two contractor administrators).

The CSV names a contractor by its credit code (``contractor:<credit_code>``), because row ids differ
between databases; the role assignment stores ``contractor:<id>`` as ``policies`` expects. Passwords
are hashed only for accounts that do not exist yet (Argon2 takes ~0.15 s a hash), in threads.
"""

from __future__ import annotations

import asyncio
import csv
from dataclasses import dataclass
from pathlib import Path

from models.accounts import RoleAssignment, User, hash_password
from models.contractors import Contractor
from models.enums import Role
from models.geography import District
from seeds.reference import short_name

ACCOUNTS_CSV = Path(__file__).parent / "demo_accounts.csv"
CITY_WIDE = "district:*"


@dataclass(frozen=True, slots=True)
class DemoAccount:
    """One row of ``demo_accounts.csv``."""

    username: str
    password: str
    role: Role
    scope: str


def read_accounts() -> list[DemoAccount]:
    """The demo accounts, in file order."""
    with ACCOUNTS_CSV.open(encoding="utf-8", newline="") as fh:
        return [
            DemoAccount(row["username"], row["password"], Role(row["role"]), row["scope"]) for row in csv.DictReader(fh)
        ]


async def _resolve(account: DemoAccount, districts: dict[str, District]) -> tuple[str, str]:
    """The stored domain and the Chinese display name of ``account``."""
    kind, _, value = account.scope.partition(":")
    if kind == "contractor":
        contractor = await Contractor.get(credit_code=value)
        job = "账号管理员" if account.role == Role.CONTRACTOR_ADMIN else "台账填报员"
        return f"contractor:{contractor.id}", f"{contractor.name}{job}"
    if account.role == Role.CITY_ADMIN:
        return account.scope, "泰州市政府购买救助服务系统管理员"
    if account.scope == CITY_WIDE:
        office = "泰州市财政局" if account.role == Role.FINANCE else "泰州市民政局"
        return account.scope, f"{office}经办人"
    district = districts[value]
    if account.role == Role.DISTRICT_ADMIN:
        return account.scope, f"{short_name(district.code, district.name)}账号管理员"
    office = {
        Role.DISTRICT_PURCHASER: district.purchaser_name,
        Role.DISTRICT_AGENCY: district.agency_name,
        Role.FINANCE: f"{short_name(district.code, district.name)}财政局",
    }[account.role]
    return account.scope, f"{office}经办人"


async def load_accounts() -> dict[str, User]:
    """Create the missing demo users and role assignments; returns every demo user by username."""
    accounts = read_accounts()
    districts = {d.code: d for d in await District.all()}
    existing = {u.username: u for u in await User.filter(username__in=[a.username for a in accounts])}
    missing = [a for a in accounts if a.username not in existing]
    hashes = await asyncio.gather(*(asyncio.to_thread(hash_password, a.password) for a in missing))
    password_hash = {a.username: h for a, h in zip(missing, hashes, strict=True)}
    users: dict[str, User] = {}
    for account in accounts:
        domain, display_name = await _resolve(account, districts)
        user = existing.get(account.username)
        if user is None:
            user = await User.create(
                username=account.username,
                password_hash=password_hash[account.username],
                display_name=display_name,
            )
        if not await RoleAssignment.exists(user=user, role=account.role, domain=domain):
            await RoleAssignment.create(user=user, role=account.role, domain=domain)
        users[account.username] = user
    return users


def clerk_username(contractor_slug: str) -> str:
    """The demo account that keeps a contractor's ledgers."""
    return f"{contractor_slug}_clerk"
