from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0003_service_summaries')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='LoginAttempt',
            index=Index(fields=['at']),
        ),
    ]
