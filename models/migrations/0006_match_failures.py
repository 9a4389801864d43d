from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0005_seal_beneficiary_personal_data')]

    initial = False

    operations = [
        ops.CreateModel(
            name='BeneficiaryMatchFailure',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account', fields.CharField(description='username, or apikey:<prefix>', max_length=100)),
                ('contractor_id', fields.IntField(null=True, description='the contractor whose ledger was written')),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'beneficiary_match_failure', 'app': 'models', 'indexes': [Index(fields=['account', 'at']), Index(fields=['contractor_id', 'at']), Index(fields=['at'])], 'pk_attr': 'id', 'table_description': 'One ledger row whose person could not be matched (never the number or the name): for throttling.'},
            bases=['Model'],
        ),
    ]
