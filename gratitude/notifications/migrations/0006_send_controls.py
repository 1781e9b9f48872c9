# SendControl and OperatorAlert move from operations to notifications: the worker reads the halts and trips
# breakers itself (notifications/sending/controls.py). State only: the tables keep their names (db_table), so no
# data moves. Existing content types (and so permissions granted on them) follow the models.

from django.db import migrations, models


def _content_types_follow(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in ("sendcontrol", "operatoralert"):
        if not ContentType.objects.filter(app_label="notifications", model=model).exists():
            ContentType.objects.filter(app_label="operations", model=model).update(app_label="notifications")


def _content_types_return(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in ("sendcontrol", "operatoralert"):
        if not ContentType.objects.filter(app_label="operations", model=model).exists():
            ContentType.objects.filter(app_label="notifications", model=model).update(app_label="operations")


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("notifications", "0005_fill_trigger_columns"),
        # The tables were created by operations; they must exist before this app claims them.
        ("operations", "0004_mail_templates_jinja2"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="SendControl",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("kind", models.CharField(max_length=40, unique=True)),
                        ("halted", models.BooleanField(default=False)),
                        (
                            "source",
                            models.CharField(
                                choices=[("operator", "An operator"), ("breaker", "A tripped breaker")],
                                default="operator",
                                max_length=10,
                            ),
                        ),
                        ("reason", models.CharField(blank=True, max_length=500)),
                        ("changed_at", models.DateTimeField()),
                        ("changed_by", models.CharField(blank=True, max_length=200)),
                    ],
                    options={"db_table": "operations_sendcontrol"},
                ),
                migrations.CreateModel(
                    name="OperatorAlert",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("kind", models.CharField(max_length=40)),
                        ("message", models.TextField()),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("acknowledged_at", models.DateTimeField(blank=True, null=True)),
                        ("acknowledged_by", models.CharField(blank=True, max_length=200)),
                    ],
                    options={"db_table": "operations_operatoralert", "ordering": ["-created_at"]},
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(_content_types_follow, _content_types_return),
    ]
