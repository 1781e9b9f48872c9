# SendControl and OperatorAlert now belong to notifications (its migration 0004): state only, the tables
# (operations_sendcontrol, operations_operatoralert) stay where they are, with their rows.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0006_send_controls"),
        ("operations", "0004_mail_templates_jinja2"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="SendControl"),
                migrations.DeleteModel(name="OperatorAlert"),
            ],
            database_operations=[],
        ),
    ]
