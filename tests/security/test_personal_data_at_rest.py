"""Beneficiaries' ID numbers are sealed in the database (models.crypto): a copy of a table or a backup shows
none (the write path is tested in tests/test_beneficiaries.py; this package's tests only read)."""

from __future__ import annotations

import importlib
from types import SimpleNamespace

import pytest
from tortoise import connections

from models import Beneficiary
from models.crypto import DEV_DATA_KEY, SealError, configure, is_sealed, seal, unseal
from tests.helpers import Api, raw_rows

LABEL = "beneficiary.id_number"


async def test_no_number_is_stored_in_clear(api: Api) -> None:
    """Every beneficiary row (the demo data's and any written since) holds a sealed number (and phone) that opens."""
    rows = await raw_rows("SELECT id_number, phone FROM beneficiary")
    assert rows
    assert all(is_sealed(r["id_number"]) for r in rows)
    assert all(len(unseal(r["id_number"], LABEL)) == 18 for r in rows)
    phones = [r["phone"] for r in rows if r["phone"] is not None]
    assert phones, "the demo data must hold phone numbers"
    assert all(is_sealed(p) and unseal(p, "beneficiary.phone").isdigit() for p in phones)


def test_a_sealed_value_is_bound_to_its_key_and_column() -> None:
    sealed = seal("321202193101010012", LABEL)
    assert unseal(sealed, LABEL) == "321202193101010012"
    with pytest.raises(SealError):
        unseal(sealed, "beneficiary.phone")  # moved to another column
    tampered = sealed[:-2] + ("A" if sealed[-2] != "A" else "B") + sealed[-1]
    with pytest.raises(SealError):
        unseal(tampered, LABEL)
    try:
        configure(DEV_DATA_KEY[::-1])
        with pytest.raises(SealError):
            unseal(sealed, LABEL)  # another key
        assert seal("321202193101010012", LABEL) != sealed
    finally:
        configure(DEV_DATA_KEY)


async def test_the_migration_seals_numbers_stored_in_clear(api: Api) -> None:
    """A database from before the sealing: `jiuzhu migrate` encrypts its numbers in place."""
    person = await Beneficiary.filter(district_id="321202").first()
    assert person is not None
    clear = person.id_number
    await raw_rows("UPDATE beneficiary SET id_number = ? WHERE id = ?", clear, person.pk)
    migration = importlib.import_module("models.migrations.0005_seal_beneficiary_personal_data")
    try:
        editor = SimpleNamespace(client=connections.get("default"))
        await migration.seal_existing(None, editor)
    finally:
        stored = (await raw_rows("SELECT id_number FROM beneficiary WHERE id = ?", person.pk))[0]["id_number"]
        if not is_sealed(stored):  # leave the session's data as it was
            await raw_rows("UPDATE beneficiary SET id_number = ? WHERE id = ?", seal(clear, LABEL), person.pk)
    assert is_sealed(stored)
    assert (await Beneficiary.get(pk=person.pk)).id_number == clear


async def test_readiness_fails_when_the_data_key_cannot_open_the_stored_numbers(api: Api) -> None:
    assert (await api.client.get("/readyz")).json() == {"ready": True}
    try:
        configure(DEV_DATA_KEY[::-1])  # a process started with another key
        response = await api.client.get("/readyz")
    finally:
        configure(DEV_DATA_KEY)
    assert response.status_code == 503
    assert response.json() == {"ready": False, "dataKey": "does not open the stored personal data"}
