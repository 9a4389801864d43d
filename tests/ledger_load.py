"""Building ledger submissions against a running server (shared by the shutdown test and the load benchmark)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from tests.servers import Instance

TARGETS = """
{ contracts(first: 100, filter: {status: [IN_PERFORMANCE]}) { nodes {
  id serviceStart serviceEnd catalogueItems { code } ledger { version }
  district { townships(first: 1) { nodes { code } } }
} } }
"""
SUBMIT = """
mutation($i: SubmitLedgerEntriesInput!) { submitLedgerEntries(input: $i) {
  version errors { code message row field currentVersion }
} }
"""


@dataclass
class Target:
    """An in-performance contract a clerk may write to."""

    contract: str
    version: int
    start: dt.date
    end: dt.date
    item: str
    township: str


async def targets(server: Instance, token: str) -> list[Target]:
    """The caller's contracts open for ledger entries (rule 9)."""
    nodes = (await server.data(TARGETS, token=token))["contracts"]["nodes"]
    out = []
    for n in nodes:
        if n["ledger"] is None or not n["catalogueItems"]:
            continue
        out.append(
            Target(
                contract=n["id"],
                version=n["ledger"]["version"],
                start=dt.date.fromisoformat(n["serviceStart"]),
                end=min(dt.date.fromisoformat(n["serviceEnd"]), dt.date.today()),
                item=n["catalogueItems"][0]["code"],
                township=n["district"]["townships"]["nodes"][0]["code"],
            )
        )
    return out


def submission(target: Target, entries: int, key: str | None = None) -> dict[str, Any]:
    """Variables for one bulk submission of ``entries`` service entries."""
    span = max((target.end - target.start).days, 0)
    rows = [
        {
            "serviceDate": (target.start + dt.timedelta(days=i % (span + 1))).isoformat(),
            "catalogueItemCode": target.item,
            "assistanceCategory": "DIBAO",
            "township": target.township,
            "content": f"上门探访第{i + 1}次",
            "quantity": "1.5",
            "unit": "HOURS",
            "staff": "负载测试社工",
        }
        for i in range(entries)
    ]
    return {
        "i": {
            "contract": target.contract,
            "expectedVersion": target.version,
            "idempotencyKey": key or uuid.uuid4().hex,
            "serviceEntries": rows,
            "fundEntries": [],
        }
    }
