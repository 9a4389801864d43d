"""Many clerks on one ledger (issue 18): appends do not fight over the version.

Clerks of one contractor submit batches to ONE ledger at the same moment, without a version or with the one they
read before the others wrote; each batch is also sent twice at once with its idempotency key (a retry racing its
first attempt). On PostgreSQL the app's pool runs these as concurrent transactions that queue on the ledger's row
lock; on SQLite transactions are serialised anyway. Either way: no refusal, every batch stored exactly once,
the versions the answers carry are 1..N with no gap or repeat (and so are the ledger's history and the
remembered submissions), and the monthly summaries equal a rebuild from the entries. A second ledger of the
same district writes at the same time, into the same summary rows.

Corrections still meet on the entry: two clerks correcting the same entry at once — one wins, the other is told
the entry was already corrected.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections import Counter
from typing import Any

from models import ChangeRecord, Ledger, LedgerSubmission, ServiceEntry, Township
from models.service_summary import rebuild
from models.timeutil import today
from tests.helpers import Api
from tests.test_ledger_bulk import submit
from tests.test_ledger_entries import CLERK, CORRECT, codes, gid, make_contract, new_id_number, service_input
from tests.test_service_summary import snapshot

CLERKS = 12
BATCHES_PER_CLERK = 2
ROWS = 8


async def _batch(tag: str, people: list[tuple[str, str]], towns: list[str]) -> list[dict[str, Any]]:
    """``ROWS`` entries whose content names the batch, over a few days, townships and (shared) people."""
    return [
        await service_input(
            serviceDate=(today() - dt.timedelta(days=1 + i % 40)).isoformat(),
            content=f"{tag}-{i}",
            quantity=f"{1 + i % 3}.5",
            township=towns[i % len(towns)],
            beneficiaryIdNumber=people[i % len(people)][0],
            beneficiaryName=people[i % len(people)][1],
        )
        for i in range(ROWS)
    ]


async def test_concurrent_appenders_on_one_ledger(api: Api) -> None:
    await rebuild()  # other tests write entries around the API; start from summaries that match the entries
    contract, ledger = await make_contract()
    neighbour, _ = await make_contract()
    assert ledger is not None
    towns = (
        await Township.filter(district_id=ledger.district_id).order_by("code").limit(3).values_list("code", flat=True)
    )
    people = [(new_id_number(), f"并发对象{n}") for n in range(5)]

    async def clerk(n: int) -> list[tuple[str, dict[str, Any]]]:
        answers = []
        for b in range(BATCHES_PER_CLERK):
            tag = f"clerk{n}-batch{b}"
            service = await _batch(tag, people, towns)
            key = uuid.uuid4().hex
            # Half send no version, half the one every clerk read at the start (0): both are plain appends.
            version = None if n % 2 else 0
            first, retry = await asyncio.gather(
                submit(api, contract, version=version, key=key, service=service),
                submit(api, contract, version=version, key=key, service=service),
            )
            assert retry == first
            answers.append((tag, first))
        return answers

    async def neighbour_clerk() -> None:
        for b in range(3):
            service = await _batch(f"neighbour-{b}", people, towns)
            assert (await submit(api, neighbour, version=None, service=service))["errors"] == []

    results = await asyncio.gather(*(clerk(n) for n in range(CLERKS)), neighbour_clerk())
    answers = [a for per_clerk in results[:CLERKS] for a in per_clerk]
    batches = CLERKS * BATCHES_PER_CLERK
    assert [payload["errors"] for _, payload in answers] == [[]] * batches  # not one conflict
    assert sorted(payload["version"] for _, payload in answers) == list(range(1, batches + 1))

    # Every batch stored exactly once, in its answer's entries.
    stored = Counter(await ServiceEntry.filter(ledger_id=ledger.pk).values_list("content", flat=True))
    assert stored == Counter(f"{tag}-{i}" for tag, _ in answers for i in range(ROWS))
    for tag, payload in answers:
        ids = [e["id"] for e in payload["serviceEntries"]]
        assert len(ids) == ROWS
        rows = await ServiceEntry.filter(ledger_id=ledger.pk, content__startswith=f"{tag}-").values_list(
            "id", flat=True
        )
        assert sorted(gid("ServiceEntry", pk) for pk in rows) == sorted(ids)

    # Versions contiguous: the ledger, its history and the remembered submissions agree.
    assert (await Ledger.get(pk=ledger.pk)).version == batches
    history = await ChangeRecord.filter(entity_type="Ledger", entity_id=str(ledger.pk)).values_list("after", flat=True)
    assert sorted(after["version"] for after in history) == list(range(1, batches + 1))
    remembered = await LedgerSubmission.filter(ledger_id=ledger.pk).values_list("ledger_version", flat=True)
    assert sorted(remembered) == list(range(1, batches + 1))

    # The summaries kept by every write equal a rebuild from the entries.
    kept = await snapshot()
    await rebuild()
    assert await snapshot() == kept


async def test_concurrent_corrections_of_one_entry(api: Api) -> None:
    contract, ledger = await make_contract()
    assert ledger is not None
    written = await submit(api, contract, version=None, service=[await service_input(quantity="4")])
    entry = written["serviceEntries"][0]["id"]

    async def amend(quantity: str) -> dict[str, Any]:
        variables = {
            "input": {"entry": entry, "kind": "AMENDMENT", "reason": "按签字单更正", "changes": {"quantity": quantity}}
        }
        return (await api.data(CORRECT, variables, as_user=CLERK))["correctServiceEntry"]

    answers = await asyncio.gather(amend("3"), amend("5"), amend("6"))
    outcomes = sorted(tuple(codes(a)) for a in answers)
    assert outcomes == [(), (("ALREADY_CORRECTED", "entry"),), (("ALREADY_CORRECTED", "entry"),)]
    # One reversal and one amendment were written, and the ledger moved once.
    assert await ServiceEntry.filter(ledger_id=ledger.pk).count() == 3
    assert (await Ledger.get(pk=ledger.pk)).version == 2
