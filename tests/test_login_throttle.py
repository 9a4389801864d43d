"""Sign-in abuse: every attempt is recorded (never the password); 5 recent failures for a username, or 20 from one
client address, refuse further attempts for 15 minutes before any password check. The counts live in the
database, so every worker sees them (tests/test_policy_propagation.py shows it across two processes).

Each test signs in from client addresses of its own (the ASGI ``client``), so the failures it causes never count
against the 127.0.0.1 every other test uses, and uses throwaway accounts."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from models import AuthSession, LoginAttempt, User
from models.accounts import ATTEMPT_RETENTION, hash_password
from models.timeutil import now
from tests.helpers import Api

PASSWORD = "Throttle-Test-42"
CHANGE = """
mutation($old: String!, $new: String!) {
  changeMyPassword(input: {oldPassword: $old, newPassword: $new}) { errors { code message } }
}
"""


@asynccontextmanager
async def _from(app: object, address: str) -> AsyncIterator[Api]:
    transport = httpx.ASGITransport(app=app, client=(address, 5000))  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield Api(client)


def _address() -> str:
    n = uuid.uuid4().int
    return f"10.{n % 250 + 1}.{n // 250 % 250 + 1}.{n // 62500 % 250 + 1}"


async def _throwaway() -> User:
    """An active account of this test only (no roles: it just signs in)."""
    return await User.create(
        username=f"t_{uuid.uuid4().hex[:10]}", password_hash=hash_password(PASSWORD), display_name="节流测试"
    )


async def test_attempts_are_recorded_without_the_password(api: Api, app: object) -> None:
    user = await _throwaway()
    address = _address()
    async with _from(app, address) as client:
        assert (await client.login(user.username, "Wrong-Password-1"))["token"] is None
        assert (await client.login(user.username, PASSWORD))["token"]
    rows = await LoginAttempt.filter(username=user.username).order_by("id")
    assert [(r.client_ip, r.succeeded) for r in rows] == [(address, False), (address, True)]
    for row in rows:
        assert "Wrong-Password-1" not in str(vars(row))
        assert PASSWORD not in str(vars(row))


async def test_five_failures_lock_the_username_for_fifteen_minutes_from_any_address(api: Api, app: object) -> None:
    user = await _throwaway()
    async with _from(app, _address()) as client:
        for _ in range(5):
            payload = await client.login(user.username, "Wrong-Password-1")
            assert payload["errors"][0]["code"] == "INVALID_CREDENTIALS"
        recorded = await LoginAttempt.filter(username=user.username).count()
        sessions = await AuthSession.filter(user_id=user.pk).count()
        # The right password no longer helps: refused before it is checked.
        refused = await client.login(user.username, PASSWORD)
    assert refused["token"] is None
    [error] = refused["errors"]
    assert error["code"] == "TOO_MANY_ATTEMPTS"
    assert "分钟后" in error["message"]
    assert "再试" in error["message"]
    async with _from(app, _address()) as elsewhere:
        assert (await elsewhere.login(user.username, PASSWORD))["errors"][0]["code"] == "TOO_MANY_ATTEMPTS"
    assert await LoginAttempt.filter(username=user.username).count() == recorded  # refusals are not counted
    assert await AuthSession.filter(user_id=user.pk).count() == sessions

    # Fifteen minutes later the lock is gone.
    await LoginAttempt.filter(username=user.username).update(at=now() - dt.timedelta(minutes=15, seconds=5))
    async with _from(app, _address()) as client:
        assert (await client.login(user.username, PASSWORD))["token"]


async def test_a_success_resets_the_username_count(api: Api, app: object) -> None:
    user = await _throwaway()
    async with _from(app, _address()) as client:
        for _ in range(4):
            await client.login(user.username, "Wrong-Password-1")
        assert (await client.login(user.username, PASSWORD))["token"]
        for _ in range(4):
            await client.login(user.username, "Wrong-Password-1")
        assert (await client.login(user.username, PASSWORD))["token"]


async def test_twenty_failures_lock_the_client_address_for_every_username(api: Api, app: object) -> None:
    user = await _throwaway()
    noisy = _address()
    async with _from(app, noisy) as client:
        for _ in range(20):
            payload = await client.login(f"t_nobody_{uuid.uuid4().hex[:8]}", "Wrong-Password-1")
            assert payload["errors"][0]["code"] == "INVALID_CREDENTIALS"
        refused = await client.login(user.username, PASSWORD)
        assert refused["errors"][0]["code"] == "TOO_MANY_ATTEMPTS"
    async with _from(app, _address()) as quiet:
        assert (await quiet.login(user.username, PASSWORD))["token"]


async def test_guessing_the_current_password_through_change_my_password_counts_too(api: Api, app: object) -> None:
    user = await _throwaway()
    async with _from(app, _address()) as client:
        token = (await client.login(user.username, PASSWORD))["token"]
        for _ in range(5):
            body = (await client.post(CHANGE, {"old": "Guess-Number-1", "new": "New-Password-77"}, token)).json()
            assert body["data"]["changeMyPassword"]["errors"][0]["code"] == "WRONG_PASSWORD"
        body = (await client.post(CHANGE, {"old": PASSWORD, "new": "New-Password-77"}, token)).json()
        assert body["data"]["changeMyPassword"]["errors"][0]["code"] == "TOO_MANY_ATTEMPTS"
        assert (await client.login(user.username, PASSWORD))["errors"][0]["code"] == "TOO_MANY_ATTEMPTS"
    assert (await User.get(pk=user.pk)).password_hash == user.password_hash


async def test_attempts_older_than_the_retention_are_dropped_on_the_next_sign_in(api: Api, app: object) -> None:
    user = await _throwaway()
    async with _from(app, _address()) as client:
        assert (await client.login(user.username, "Wrong-Password-1"))["token"] is None
        await LoginAttempt.filter(username=user.username).update(at=now() - ATTEMPT_RETENTION - dt.timedelta(hours=1))
        kept = await LoginAttempt.create(
            username=user.username, client_ip="192.0.2.1", succeeded=False
        )  # inside the retention
        await LoginAttempt.filter(pk=kept.pk).update(at=now() - ATTEMPT_RETENTION + dt.timedelta(hours=1))
        assert (await client.login(user.username, PASSWORD))["token"]
    rows = await LoginAttempt.filter(username=user.username).order_by("id").values_list("id", "succeeded")
    assert list(rows) == [(kept.pk, False), (rows[-1][0], True)]
