from tortoise import migrations
from tortoise.migrations import operations as ops
from models.enums import AssistanceCategory, PeopleDimension
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0002_accounts_staffing_ledger_additions')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ServiceCategoryMonth',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('district', fields.ForeignKeyField('models.District', source_field='district_id', db_constraint=True, to_field='code', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('month', fields.DateField(description='First day of the month')),
                ('catalogue_item', fields.ForeignKeyField('models.CatalogueItem', source_field='catalogue_item_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('entries', fields.BigIntField(default=0, description='Entries, each reversal counted as minus one')),
                ('hours_cents', fields.BigIntField(default=0, description='Hours delivered, in hundredths')),
                ('visits_cents', fields.BigIntField(default=0, description='Visits delivered, in hundredths')),
                ('persons_cents', fields.BigIntField(default=0, description='Person-times delivered, in hundredths')),
                ('assistance_category', fields.CharEnumField(description='DIBAO: dibao\nTEKUN: tekun\nTEMPORARY: temporary\nMARGINAL: marginal', enum_type=AssistanceCategory, max_length=16)),
            ],
            options={'table': 'ledger_summary_category_month', 'app': 'models', 'unique_together': (('district_id', 'month', 'catalogue_item_id', 'assistance_category'),), 'pk_attr': 'id', 'table_description': 'Services of a month per catalogue item and assistance category (totals, months, items, categories).'},
            bases=['_MonthFigures'],
        ),
        ops.CreateModel(
            name='ServicePeopleMonth',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('district', fields.ForeignKeyField('models.District', source_field='district_id', db_constraint=True, to_field='code', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('month', fields.DateField(description='First day of the month')),
                ('dimension', fields.CharEnumField(description='CATALOGUE_ITEM: catalogue_item\nTOWNSHIP: township\nASSISTANCE_CATEGORY: assistance_category', enum_type=PeopleDimension, max_length=24)),
                ('value', fields.CharField(description='Catalogue item id, township code or category', max_length=16)),
                ('people', fields.BinaryField(default=b'', description='Portable Roaring bitmap of beneficiary ids')),
            ],
            options={'table': 'ledger_summary_people_month', 'app': 'models', 'unique_together': (('district_id', 'month', 'dimension', 'value'),), 'pk_attr': 'id', 'table_description': 'The beneficiaries served in one district and month under one catalogue item, township or category.'},
            bases=['Model', 'Owned'],
        ),
        ops.CreateModel(
            name='ServiceTownshipMonth',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('district', fields.ForeignKeyField('models.District', source_field='district_id', db_constraint=True, to_field='code', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('month', fields.DateField(description='First day of the month')),
                ('catalogue_item', fields.ForeignKeyField('models.CatalogueItem', source_field='catalogue_item_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('entries', fields.BigIntField(default=0, description='Entries, each reversal counted as minus one')),
                ('hours_cents', fields.BigIntField(default=0, description='Hours delivered, in hundredths')),
                ('visits_cents', fields.BigIntField(default=0, description='Visits delivered, in hundredths')),
                ('persons_cents', fields.BigIntField(default=0, description='Person-times delivered, in hundredths')),
                ('township', fields.ForeignKeyField('models.Township', source_field='township_id', db_constraint=True, to_field='code', related_name=False, on_delete=OnDelete.RESTRICT)),
            ],
            options={'table': 'ledger_summary_township_month', 'app': 'models', 'unique_together': (('month', 'township_id', 'catalogue_item_id'),), 'indexes': [Index(fields=['district_id', 'month'])], 'pk_attr': 'id', 'table_description': 'Services of a month per township and catalogue item (the by-township dashboard).'},
            bases=['_MonthFigures'],
        ),
        ops.AddIndex(
            model_name='ServiceEntry',
            index=Index(fields=['catalogue_item_id', 'service_date']),
        ),
        ops.AddIndex(
            model_name='ServiceEntry',
            index=Index(fields=['service_date']),
        ),
    ]
