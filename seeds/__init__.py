"""Seed loaders: reference data (districts, townships, catalogue, thresholds) and the demo data set.

The functions assume Tortoise is initialised and the schema migrated (the caller's job), and are
idempotent: loading twice changes nothing.

- :func:`load_reference` — the 7 districts, 90 townships, 20 catalogue items, procurement thresholds;
  upserted from ``seeds/data/*.csv``.
- :func:`load_demo` — the demo data set (``seeds/demo.py``); its accounts are listed with their
  passwords in ``seeds/demo_accounts.csv``.
- :func:`load_all` — both.
"""

from __future__ import annotations

from seeds.demo import load_demo
from seeds.reference import load_reference


async def load_all(demo: bool = True) -> None:
    """Load the reference data and, unless ``demo`` is false, the demo data set."""
    await load_reference()
    if demo:
        await load_demo()


__all__ = ["load_all", "load_demo", "load_reference"]
