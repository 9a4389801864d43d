"""Reference data: the 7 districts, the 90 townships, the 20 catalogue items, procurement thresholds.

Everything is upserted by its natural key (code, year), so loading twice changes nothing, and a
corrected CSV row updates the stored one. Catalogue items keep their ``is_active`` flag: the city
civil affairs bureau may have deactivated one, and reloading must not bring it back.
"""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

from tortoise.transactions import in_transaction

from models.catalogue import CatalogueItem
from models.enums import CatalogueCategory, DistrictKind, TownshipKind
from models.geography import District, Township
from models.procurement import ProcurementThreshold
from seeds.upsert import upsert

DATA_DIR = Path(__file__).parent / "data"

#: 泰州医药高新区 is run by a 管委会 (Art. 4), every other district by its people's government.
MANAGEMENT_COMMITTEES = frozenset({"321271"})

#: The name the district goes by in the titles of its offices (the CSV carries the full name).
SHORT_NAMES = {"321271": "泰州医药高新区"}

CATEGORIES = {"事务性工作": CatalogueCategory.ADMINISTRATIVE, "服务性工作": CatalogueCategory.SERVICE}
TOWNSHIP_KINDS = {"街道": TownshipKind.SUBDISTRICT, "镇": TownshipKind.TOWN, "乡": TownshipKind.TOWNSHIP}

#: Rule 5: the national 2020 figures for services, kept for every year until a newer notice changes them.
THRESHOLD_YEARS = range(2020, 2028)
DECENTRALISED_THRESHOLD = Decimal("1000000.00")
OPEN_TENDER_THRESHOLD = Decimal("2000000.00")


def read_csv(name: str) -> list[dict[str, str]]:
    """Rows of ``seeds/data/<name>`` as dicts (UTF-8, header row)."""
    with (DATA_DIR / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def short_name(code: str, name: str) -> str:
    """海陵区 → 海陵区, 泰州医药高新技术产业开发区 → 泰州医药高新区."""
    return SHORT_NAMES.get(code, name)


async def load_districts() -> None:
    """The 7 purchasing entities with their implementing agencies (Art. 4)."""
    for row in read_csv("taizhou_districts.csv"):
        code, name = row["code"], row["name"]
        short = short_name(code, name)
        committee = code in MANAGEMENT_COMMITTEES
        await upsert(
            District,
            {"code": code},
            {
                "name": name,
                "kind": DistrictKind.MANAGEMENT_COMMITTEE if committee else DistrictKind.PEOPLES_GOVERNMENT,
                "purchaser_name": f"{short}管委会" if committee else f"{short}人民政府",
                "agency_name": f"{short}民政局",
            },
        )


async def load_townships() -> None:
    """The 90 乡镇/街道; populations marked ``reported: …`` in the CSV are official, the rest illustrative."""
    for row in read_csv("taizhou_townships.csv"):
        await upsert(
            Township,
            {"code": row["code"]},
            {
                "name": row["name"],
                "kind": TOWNSHIP_KINDS[row["kind"]],
                "district_id": row["district_code"],
                "population": int(row["population"]),
                "population_illustrative": not row["population_source"].startswith("reported"),
            },
        )


async def load_catalogue() -> None:
    """The 20 items of the policy's annex (附件, Art. 8)."""
    for row in read_csv("catalogue.csv"):
        await upsert(
            CatalogueItem,
            {"code": row["code"]},
            {
                "category": CATEGORIES[row["category"]],
                "name": row["name"],
                "target_groups": row["target_groups"],
            },
        )


async def load_thresholds() -> None:
    """Procurement thresholds per year (rule 5)."""
    for year in THRESHOLD_YEARS:
        await upsert(
            ProcurementThreshold,
            {"year": year},
            {
                "decentralised_threshold": DECENTRALISED_THRESHOLD,
                "open_tender_threshold": OPEN_TENDER_THRESHOLD,
            },
        )


async def load_reference() -> None:
    """Load (or bring up to date) all reference data, in one transaction. Tortoise must be initialised and migrated."""
    async with in_transaction():
        await load_districts()
        await load_townships()
        await load_catalogue()
        await load_thresholds()
