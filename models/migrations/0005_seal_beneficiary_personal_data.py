from tortoise import migrations
from tortoise.migrations import operations as ops
from models.crypto import SealedCharField, is_sealed, seal, unseal

#: The sealed columns of the beneficiary table and their labels (models.crypto associated data).
COLUMNS = {"id_number": "beneficiary.id_number", "phone": "beneficiary.phone"}


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


async def _rewrite(schema_editor, change, wanted) -> None:
    client = schema_editor.client
    postgres = client.capabilities.dialect == "postgres"
    for column, label in COLUMNS.items():
        sql = f"UPDATE beneficiary SET {column} = {'$1' if postgres else '?'} WHERE id = {'$2' if postgres else '?'}"
        for row in await client.execute_query_dict(f"SELECT id, {column} FROM beneficiary"):
            value = row[column]
            if value is not None and is_sealed(value) != wanted:
                await client.execute_query(sql, [change(value, label), row["id"]])


async def seal_existing(apps, schema_editor):
    """Encrypt the ID numbers and phones stored in clear before this version (with the running command's key)."""
    await _rewrite(schema_editor, seal, wanted=True)


async def unseal_all(apps, schema_editor):
    """Back to clear text (for a downgrade)."""
    await _rewrite(schema_editor, unseal, wanted=False)


class Migration(migrations.Migration):
    dependencies = [('models', '0004_login_attempt_retention')]

    initial = False

    operations = [
        WidenColumn(
            model_name='Beneficiary',
            name='id_number',
            field=SealedCharField(unique=True, description='居民身份证号 (GB 11643), encrypted at rest (models.crypto)', max_length=64, label='beneficiary.id_number'),
        ),
        WidenColumn(
            model_name='Beneficiary',
            name='phone',
            field=SealedCharField(null=True, description='联系电话, encrypted at rest', max_length=96, label='beneficiary.phone'),
        ),
        ops.RunPython(seal_existing, unseal_all),
    ]
