from tortoise import migrations
from tortoise.migrations import operations as ops
from models.crypto import SealedCharField, is_sealed, seal

LABEL = "beneficiary.id_number"


class WidenColumn(ops.AlterField):
    """AlterField, except on SQLite: there a VARCHAR length is not enforced, and Tortoise would remake the table,
    which fails (FOREIGN KEY constraint) once ledger entries point at beneficiaries. The migration state changes
    the same way on both."""

    async def database_forward(self, app_label, old_state, new_state, state_editor=None):
        if state_editor is not None and state_editor.client.capabilities.dialect == "sqlite":
            return
        await super().database_forward(app_label, old_state, new_state, state_editor)

    async def database_backward(self, app_label, old_state, new_state, state_editor=None):
        if state_editor is not None and state_editor.client.capabilities.dialect == "sqlite":
            return
        await super().database_backward(app_label, old_state, new_state, state_editor)


async def seal_existing(apps, schema_editor):
    """Encrypt the ID numbers stored in clear before this version (with the key of the running command)."""
    client = schema_editor.client
    mark = "$1" if client.capabilities.dialect == "postgres" else "?"
    other = "$2" if mark == "$1" else "?"
    for row in await client.execute_query_dict("SELECT id, id_number FROM beneficiary"):
        if not is_sealed(row["id_number"]):
            await client.execute_query(
                f"UPDATE beneficiary SET id_number = {mark} WHERE id = {other}", [seal(row["id_number"], LABEL), row["id"]]
            )


async def unseal_all(apps, schema_editor):
    """Back to clear text (for a downgrade)."""
    from models.crypto import unseal

    client = schema_editor.client
    mark = "$1" if client.capabilities.dialect == "postgres" else "?"
    other = "$2" if mark == "$1" else "?"
    for row in await client.execute_query_dict("SELECT id, id_number FROM beneficiary"):
        if is_sealed(row["id_number"]):
            await client.execute_query(
                f"UPDATE beneficiary SET id_number = {mark} WHERE id = {other}", [unseal(row["id_number"], LABEL), row["id"]]
            )

class Migration(migrations.Migration):
    dependencies = [('models', '0004_login_attempt_retention')]

    initial = False

    operations = [
        WidenColumn(
            model_name='Beneficiary',
            name='id_number',
            field=SealedCharField(unique=True, description='居民身份证号 (GB 11643), encrypted at rest (models.crypto)', max_length=64, label='beneficiary.id_number'),
        ),
        ops.RunPython(seal_existing, unseal_all),
    ]
