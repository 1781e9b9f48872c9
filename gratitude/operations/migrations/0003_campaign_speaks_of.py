"""A campaign declares what it speaks of (quiet mode): `Campaign.speaks_of`.

Before this, a campaign's occasions were only its audience filter's registry occasions. A campaign that has
written messages keeps exactly that meaning (its declaration becomes its audience's occasions, which it
still speaks of anyway, or nothing for a correction), and an approval that held just before keeps holding:
it is bound again to the same campaign with the declaration added to the fingerprint, or every in-flight
message would fail provenance as "approval_void" and trip the kind's breaker on upgrade. A campaign that
has written nothing yet stays undeclared: its author must choose before freezing it, and an approval it had
is void at start (back to draft), as after any edit.

The fingerprints below are frozen copies of operations.selectors.campaign_fingerprint as it was before and
after this migration, so later changes to that function do not change what this migration did.
"""

import hashlib
import json

from django.db import migrations, models
from django.template import engines


def _template_version(campaign):
    digest = hashlib.sha256()
    # Mail templates are the "mail" engine's (Jinja2, gratitude/notifications/rendering/template_engine.py): their
    # source as that engine reads it, which is what the hash was always made of.
    env = engines["mail"].env
    for part in ("subject.txt", "body.txt", "body.html"):
        # Both operator kinds' template folders are named after the kind.
        source, _, _ = env.loader.get_source(env, f"notifications/email/{campaign.kind}/{part}")
        digest.update(source.encode())
    digest.update(json.dumps([campaign.kind, campaign.subject, campaign.body, campaign.version]).encode())
    return digest.hexdigest()


def _fingerprint(campaign, *, with_speaks_of):
    # The audience is stored as its definition's canonical JSON (AudienceFilter/RecallAudience.to_json).
    payload = {
        "template_version": _template_version(campaign),
        "audience": campaign.audience,
        "frozen_count": campaign.frozen_count,
    }
    if with_speaks_of:
        payload["speaks_of"] = campaign.speaks_of
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def declare_what_was_sent(apps, schema_editor):
    Campaign = apps.get_model("operations", "Campaign")
    CampaignRecipient = apps.get_model("operations", "CampaignRecipient")
    written = CampaignRecipient.objects.filter(notification__isnull=False).values("campaign_id")
    for campaign in Campaign.objects.filter(pk__in=written).order_by("pk"):
        held = bool(campaign.approval_hash) and campaign.approval_hash == _fingerprint(
            campaign, with_speaks_of=False
        )
        occasions = [] if "recall" in campaign.audience else campaign.audience.get("occasions", [])
        campaign.speaks_of = sorted(set(occasions))
        if held:
            campaign.approval_hash = _fingerprint(campaign, with_speaks_of=True)
        campaign.save(update_fields=["speaks_of", "approval_hash"])


class Migration(migrations.Migration):
    dependencies = [
        ("operations", "0002_campaigns_recalls"),
    ]

    operations = [
        migrations.AddField(
            model_name="campaign",
            name="speaks_of",
            field=models.JSONField(blank=True, default=None, null=True),
        ),
        migrations.RunPython(declare_what_was_sent, migrations.RunPython.noop),
    ]
