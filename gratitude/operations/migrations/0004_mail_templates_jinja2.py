"""Mail templates became Jinja2 (gratitude/notifications/rendering/template_engine.py): the campaign and correction
templates' source changed, not one byte of what they render (compared for every kind before the switch).
A campaign's approval is bound to its templates' source (operations.selectors.template_version), so without
this every approved or in-flight campaign would read as changed since approval: "approval_void", a breach,
the kind's breaker tripped on upgrade. An approval that held under the Django sources below is bound again to
the same campaign under the Jinja2 sources; any other approval stays as it was (void, as it already was).

Both sets of sources below are frozen copies (the Django templates as they were, the Jinja2 ones as they came),
and the fingerprint a frozen copy of operations.selectors.campaign_fingerprint, so later changes to either do
not change what this migration does: an approval is only ever re-bound to the text it was given for.
"""

import hashlib
import json

from django.db import migrations

DJANGO_SOURCES = {
    "campaign/subject.txt": "{% autoescape off %}{{ subject }}\n{% endautoescape %}\n",
    "campaign/body.txt": "{% autoescape off %}Hi {{ recipient.name }},\n\n{% for paragraph in paragraphs %}{{ paragraph }}\n\n{% endfor %}--\nReference code: {{ reference }}. Quote it if you contact us about this message.\nYou get this because you have an account on Gratitude and have not stopped news from this site.\n{% endautoescape %}\n",
    "campaign/body.html": '{% extends "notifications/email/base.html" %}\n{% block title %}{{ subject }}{% endblock %}\n{% block content %}\n<p>Hi {{ recipient.name }},</p>\n{% for paragraph in paragraphs %}<p>{{ paragraph }}</p>\n{% endfor %}{% endblock %}\n{% block why %}You get this because you have an account on Gratitude and have not stopped news from this site.{% endblock %}\n',
    "correction/subject.txt": "{% autoescape off %}{{ subject }}\n{% endautoescape %}\n",
    "correction/body.txt": '{% autoescape off %}Hi {{ recipient.name }},\n\nThis corrects {% if recalled|length == 1 %}an email{% else %}emails{% endif %} we sent you:\n{% for message in recalled %}- “{{ message.subject }}”, sent {{ message.sent_at|date:"j F Y, H:i e" }}, reference code {{ message.reference }}\n{% endfor %}\n{% for paragraph in paragraphs %}{{ paragraph }}\n\n{% endfor %}--\nReference code: {{ reference }}. Quote it if you contact us about this message.\nYou get this because we sent you the email this corrects.\n{% endautoescape %}\n',
    "correction/body.html": '{% extends "notifications/email/base.html" %}\n{% block title %}{{ subject }}{% endblock %}\n{% block content %}\n<p>Hi {{ recipient.name }},</p>\n<p>This corrects {% if recalled|length == 1 %}an email{% else %}emails{% endif %} we sent you:</p>\n<ul>{% for message in recalled %}<li>“{{ message.subject }}”, sent {{ message.sent_at|date:"j F Y, H:i e" }}, reference code <span class="code">{{ message.reference }}</span></li>{% endfor %}</ul>\n{% for paragraph in paragraphs %}<p>{{ paragraph }}</p>\n{% endfor %}{% endblock %}\n{% block why %}You get this because we sent you the email this corrects.{% endblock %}\n',
}

JINJA_SOURCES = {
    "campaign/subject.txt": "{{ subject }}\n",
    "campaign/body.txt": "Hi {{ recipient.name }},\n\n{% for paragraph in paragraphs %}{{ paragraph }}\n\n{% endfor %}--\nReference code: {{ reference }}. Quote it if you contact us about this message.\nYou get this because you have an account on Gratitude and have not stopped news from this site.\n",
    "campaign/body.html": '{% extends "notifications/email/base.html" %}\n{% block title %}{{ subject }}{% endblock %}\n{% block content %}\n<p>Hi {{ recipient.name }},</p>\n{% for paragraph in paragraphs %}<p>{{ paragraph }}</p>\n{% endfor %}{% endblock %}\n{% block why %}You get this because you have an account on Gratitude and have not stopped news from this site.{% endblock %}\n',
    "correction/subject.txt": "{{ subject }}\n",
    "correction/body.txt": 'Hi {{ recipient.name }},\n\nThis corrects {% if recalled|length == 1 %}an email{% else %}emails{% endif %} we sent you:\n{% for message in recalled %}- “{{ message.subject }}”, sent {{ message.sent_at|date("j F Y, H:i e") }}, reference code {{ message.reference }}\n{% endfor %}\n{% for paragraph in paragraphs %}{{ paragraph }}\n\n{% endfor %}--\nReference code: {{ reference }}. Quote it if you contact us about this message.\nYou get this because we sent you the email this corrects.\n',
    "correction/body.html": '{% extends "notifications/email/base.html" %}\n{% block title %}{{ subject }}{% endblock %}\n{% block content %}\n<p>Hi {{ recipient.name }},</p>\n<p>This corrects {% if recalled|length == 1 %}an email{% else %}emails{% endif %} we sent you:</p>\n<ul>{% for message in recalled %}<li>“{{ message.subject }}”, sent {{ message.sent_at|date("j F Y, H:i e") }}, reference code <span class="code">{{ message.reference }}</span></li>{% endfor %}</ul>\n{% for paragraph in paragraphs %}<p>{{ paragraph }}</p>\n{% endfor %}{% endblock %}\n{% block why %}You get this because we sent you the email this corrects.{% endblock %}\n',
}


def _template_version(campaign, source_of):
    digest = hashlib.sha256()
    for part in ("subject.txt", "body.txt", "body.html"):
        digest.update(source_of(f"{campaign.kind}/{part}").encode())
    digest.update(json.dumps([campaign.kind, campaign.subject, campaign.body, campaign.version]).encode())
    return digest.hexdigest()


def _fingerprint(campaign, source_of):
    payload = {
        "template_version": _template_version(campaign, source_of),
        "audience": campaign.audience,
        "speaks_of": campaign.speaks_of,
        "frozen_count": campaign.frozen_count,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def rebind_approvals(apps, schema_editor):
    Campaign = apps.get_model("operations", "Campaign")
    for campaign in Campaign.objects.exclude(approval_hash="").order_by("pk"):
        if campaign.approval_hash == _fingerprint(campaign, DJANGO_SOURCES.__getitem__):
            campaign.approval_hash = _fingerprint(campaign, JINJA_SOURCES.__getitem__)
            campaign.save(update_fields=["approval_hash"])


class Migration(migrations.Migration):
    dependencies = [
        ("operations", "0003_campaign_speaks_of"),
    ]

    operations = [
        migrations.RunPython(rebind_approvals, migrations.RunPython.noop),
    ]
