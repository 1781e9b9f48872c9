"""Who released a hold (`Reservation.released_by`). For holds released before this field existed, the rule
the send-time check used until now decides: released at or after the moment the registry stepped back
(paused, or an owner in quiet mode) is a step-back release, anything else the giver's own."""

from django.db import migrations, models


def classify_earlier_releases(apps, schema_editor):
    Reservation = apps.get_model("gifts", "Reservation")
    RegistryMember = apps.get_model("registries", "RegistryMember")
    released = Reservation.objects.filter(state="released", released_by="").select_related("item__registry")
    for reservation in released.iterator():
        registry = reservation.item.registry
        quiet_owners = RegistryMember.objects.filter(
            registry_id=registry.pk, role="owner", user__quiet_since__isnull=False
        ).values_list("user__quiet_since", flat=True)
        times = [when for when in [registry.paused_at, *quiet_owners] if when is not None]
        stepped_back = min(times) if times else None
        by_step_back = stepped_back is not None and reservation.ended_at is not None and (
            reservation.ended_at >= stepped_back
        )
        reservation.released_by = "step_back" if by_step_back else "giver"
        reservation.save(update_fields=["released_by"])


class Migration(migrations.Migration):
    dependencies = [
        ("gifts", "0003_reservations_contributions"),
        ("registries", "0005_quiet_mode"),
        ("accounts", "0004_pending_signup"),
    ]

    operations = [
        migrations.AddField(
            model_name="reservation",
            name="released_by",
            field=models.CharField(
                blank=True,
                choices=[("giver", "The giver"), ("step_back", "The registry stepped back")],
                max_length=10,
            ),
        ),
        migrations.RunPython(classify_earlier_releases, migrations.RunPython.noop),
    ]
