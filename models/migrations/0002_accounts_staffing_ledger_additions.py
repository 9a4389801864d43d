from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from models.enums import Role
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AcceptanceWindow',
            fields=[
                ('created_at', fields.DatetimeField(description='When the row was created', auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(description='When the row last changed', auto_now=True, auto_now_add=False)),
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('district', fields.ForeignKeyField('models.District', source_field='district_id', db_index=True, db_constraint=True, to_field='code', related_name='windows', on_delete=OnDelete.RESTRICT)),
                ('township', fields.OneToOneField('models.Township', source_field='township_id', db_constraint=True, to_field='code', related_name='window', on_delete=OnDelete.RESTRICT)),
                ('location', fields.CharField(description='政务大厅/综合服务窗口 where it sits', max_length=200)),
                ('first_responsible_officer', fields.CharField(description='首问负责人', max_length=50)),
                ('phone', fields.CharField(default='', max_length=30)),
                ('promised_days', fields.IntField(description='限时办理: promised processing time in working days')),
                ('established_on', fields.DateField()),
            ],
            options={'table': 'acceptance_window', 'app': 'models', 'pk_attr': 'id', 'table_description': '一门受理、协同办理 window of a township (Art. 15): first-responsible officer and promised time.'},
            bases=['TimestampedModel', 'Owned'],
        ),
        ops.CreateModel(
            name='ApiKey',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(max_length=100)),
                ('prefix', fields.CharField(unique=True, description='Public part, shown in lists', max_length=16)),
                ('key_hash', fields.CharField(description='SHA-256 of the secret part', max_length=128)),
                ('role', fields.CharEnumField(description='DISTRICT_PURCHASER: district_purchaser\nDISTRICT_AGENCY: district_agency\nFINANCE: finance\nCITY_CIVIL_AFFAIRS: city_civil_affairs\nCONTRACTOR: contractor\nCITY_ADMIN: city_admin\nDISTRICT_ADMIN: district_admin\nCONTRACTOR_ADMIN: contractor_admin\nCONTRACTOR_LEDGER: contractor_ledger', enum_type=Role, max_length=32)),
                ('domain', fields.CharField(max_length=64)),
                ('created_by', fields.ForeignKeyField('models.User', source_field='created_by_id', null=True, db_index=True, db_constraint=True, to_field='id', related_name='api_keys', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'account_api_key', 'app': 'models', 'pk_attr': 'id', 'table_description': "A machine client's key (e.g. a contractor's ledger sync): shown once, stored hashed, expiring."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AssociationMember',
            fields=[
                ('created_at', fields.DatetimeField(description='When the row was created', auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(description='When the row last changed', auto_now=True, auto_now_add=False)),
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('association', fields.ForeignKeyField('models.MutualAidAssociation', source_field='association_id', db_index=True, db_constraint=True, to_field='id', related_name='members', on_delete=OnDelete.CASCADE)),
                ('district', fields.ForeignKeyField('models.District', source_field='district_id', db_index=True, db_constraint=True, to_field='code', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('name', fields.CharField(max_length=50)),
                ('role', fields.CharField(default='', description='会长/成员 …', max_length=50)),
                ('joined_on', fields.DateField()),
                ('left_on', fields.DateField(null=True)),
            ],
            options={'table': 'association_member', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A member of a mutual-aid association (社会救助互助会).'},
            bases=['TimestampedModel', 'Owned'],
        ),
        ops.CreateModel(
            name='LedgerSubmission',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('ledger', fields.ForeignKeyField('models.Ledger', source_field='ledger_id', db_index=True, db_constraint=True, to_field='id', related_name='submissions', on_delete=OnDelete.CASCADE)),
                ('contractor', fields.ForeignKeyField('models.Contractor', source_field='contractor_id', db_index=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('district', fields.ForeignKeyField('models.District', source_field='district_id', db_index=True, db_constraint=True, to_field='code', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('idempotency_key', fields.CharField(max_length=100)),
                ('request_hash', fields.CharField(description='SHA-256 of the canonical request', max_length=64)),
                ('result', fields.JSONField(description='What the first call answered', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('entry_count', fields.IntField(default=0)),
                ('ledger_version', fields.IntField(description='Ledger version after this submission')),
                ('submitted_by', fields.ForeignKeyField('models.User', source_field='submitted_by_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('submitted_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'ledger_submission', 'app': 'models', 'unique_together': (('contractor', 'idempotency_key'),), 'pk_attr': 'id', 'table_description': 'A bulk submission, remembered by its idempotency key so a retry returns the first result.'},
            bases=['Model', 'Owned'],
        ),
        ops.CreateModel(
            name='LoginAttempt',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('username', fields.CharField(max_length=64)),
                ('client_ip', fields.CharField(max_length=64)),
                ('succeeded', fields.BooleanField()),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'account_login_attempt', 'app': 'models', 'indexes': [Index(fields=['username', 'at']), Index(fields=['client_ip', 'at'])], 'pk_attr': 'id', 'table_description': 'A sign-in attempt (never the password): for throttling per account and per address, and audit.'},
            bases=['Model'],
        ),
        ops.AlterField(
            model_name='RoleAssignment',
            name='role',
            field=fields.CharEnumField(description='DISTRICT_PURCHASER: district_purchaser\nDISTRICT_AGENCY: district_agency\nFINANCE: finance\nCITY_CIVIL_AFFAIRS: city_civil_affairs\nCONTRACTOR: contractor\nCITY_ADMIN: city_admin\nDISTRICT_ADMIN: district_admin\nCONTRACTOR_ADMIN: contractor_admin\nCONTRACTOR_LEDGER: contractor_ledger', enum_type=Role, max_length=32),
        ),
        ops.AddField(
            model_name='User',
            name='created_by',
            field=fields.ForeignKeyField('models.User', source_field='created_by_id', null=True, description='Administrator who created it', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL),
        ),
        ops.AddField(
            model_name='User',
            name='password_changed_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
    ]
