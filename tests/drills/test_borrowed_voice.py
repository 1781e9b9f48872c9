"""Nobody borrows our voice (docs/safety.md promise 16): words typed by a giver, or by anyone but the reader,
never become a live off-site link, an address or a domain a mail client would link, nor reach a Subject.

The attack as it was found: on a public registry a giver named "PayPal: action required -
paypal-secure.example" left "PayPal Security: verify your account at https://paypal-secure.example/verify";
our DKIM-signed gift alert carried both, the name in its Subject. Here the page refuses it, and the same
words written straight into the database (as if they predated the rule) reach the real SMTP server
defanged, by the real worker. A Hypothesis test then plants random hostile text in every typed field of
every kind of message and reads each message the way a mail client would (gratitude/testing/mail_links.py).
"""

from __future__ import annotations

from email import message_from_bytes
from email.policy import default as default_policy
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from gratitude.accounts.models import User
from gratitude.gifts.models import Gift, Reservation
from gratitude.notifications.devtools.samples import sample_rows
from gratitude.notifications.models import Notification, NotificationState
from gratitude.notifications.outbox.kinds import KINDS
from gratitude.notifications.rendering.messages import build_email, render
from gratitude.operations.models import RecalledMessage
from gratitude.registries.models import Item, Registry
from gratitude.testing.factories import make_gift, make_item, make_registry, make_user
from gratitude.testing.mail_links import linked_in_html, linked_in_text, message_parts, off_site

PAYPAL_NAME = "PayPal: action required - paypal-secure.example"
PAYPAL_MESSAGE = "PayPal Security: verify your account at https://paypal-secure.example/verify"


def _site_host() -> str:
    return (urlsplit(settings.SITE_URL).hostname or "").lower()


def _live_off_site(subject: str, text: str, html: str, *, own: set[str]) -> set[str]:
    found = linked_in_text(subject) | linked_in_text(text) | linked_in_html(html)
    return off_site(found, site_host=_site_host(), own_addresses=own)


@pytest.mark.django_db
def test_the_paypal_giver_is_refused_on_the_page_with_the_reason_on_each_field(client):
    registry = make_registry(title="Alex & Sam's wedding", visibility="public")
    item = make_item(registry=registry, title="Wooden salad bowl", quantity=2)

    response = client.post(
        reverse("gifts:give", args=[registry.share_key, item.pk]),
        {"giver_name": PAYPAL_NAME, "quantity": "1", "message": PAYPAL_MESSAGE},
    )

    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors["giver_name"] == ["A name can't contain links or web or email addresses"]
    assert Gift.objects.count() == 0
    # The name is checked first; with a plain name the message is refused on its own field.
    response = client.post(
        reverse("gifts:give", args=[registry.share_key, item.pk]),
        {"giver_name": "Robin", "quantity": "1", "message": PAYPAL_MESSAGE},
    )
    assert response.status_code == 400
    assert response.context["form"].errors["message"] == [
        "A gift message can't contain links or web or email addresses"
    ]
    assert Gift.objects.count() == 0
    assert not Notification.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_paypal_gift_that_predates_the_rule_reaches_the_smtp_server_with_no_live_off_site_host(
    smtp_settings,
):
    owner = make_user(display_name="Alex Rivera", email="alex@example.test")
    registry = make_registry(owner=owner, title="Alex & Sam's wedding", visibility="public")
    gift = make_gift(item=make_item(registry=registry, title="Wooden salad bowl"), giver_name="Robin")
    Gift.objects.filter(pk=gift.pk).update(giver_name=PAYPAL_NAME, message=PAYPAL_MESSAGE)

    call_command("worker", drain=True, verbosity=0)

    alert = Notification.objects.get(kind="gift_alert", gift=gift)
    assert alert.state == NotificationState.SENT, alert.reason
    [message] = [m for m in smtp_settings.messages if m["X-Gratitude-Kind"] == "gift_alert"]
    subject, text, html = message_parts(message)
    assert subject == "A gift from “Alex & Sam's wedding”"
    assert "paypal" not in subject.lower()
    assert _live_off_site(subject, text, html, own={owner.email}) == set()
    # Still readable: the registrant sees what was typed, inert.
    assert "paypal-secure[.]example" in text and "hxxps[://]paypal-secure[.]example/verify" in text
    assert "paypal-secure[.]example" in html


# --- Every kind, every typed field, random hostile words ----------------------------------------------

_HOSTILE = [
    "paypal-secure.example",
    "https://paypal-secure.example/verify",
    "HTTP://EVIL.EXAMPLE",
    "www.evil.example",
    "evil.example/path?x=1",
    "bob@evil.example",
    "mailto:bob@evil.example",
    "xn--pypal-4ve.com",
    "пример.рф",
    "evil\uff0ecom",
    "evil\u3002com",
    "evil\uff61com",
    "ｅｖｉｌ．ｃｏｍ",
    "ev\u200bil.com",
    "evil\u202e.com",
    "192.168.10.20",
    "ftp://files.evil.example",
    "<a href='https://evil.example'>click</a>",
    "\r\nBcc: victim@evil.example",
    "\nX-Injected: 1",
    "\r",
    "\u2028",
    " ",
    ".",
    "@",
]
# Text a browser can post and a database can store: no NUL (Django's forms refuse it, PostgreSQL cannot
# store it) and no lone surrogates (not UTF-8).
_ANY_BUT_NUL = st.text(
    alphabet=st.characters(exclude_characters="\x00", exclude_categories=["Cs"]), max_size=6
)
hostile_text = st.lists(st.one_of(st.sampled_from(_HOSTILE), _ANY_BUT_NUL), min_size=1, max_size=6).map(
    "".join
)


def _plant(rows: list[Notification], words: str) -> list[Notification]:
    """Write `words` into every field someone other than a reader types, for the rows' objects (as if it
    predated the refusal at input), and read the rows back fresh."""
    line = words[:120] or "x"
    gift_ids = [row.gift_id for row in rows if row.gift_id]
    registry_ids = {row.registry_id for row in rows if row.registry_id}
    gifts = Gift.objects.filter(pk__in=gift_ids)
    registry_ids |= set(gifts.values_list("registry_id", flat=True))
    gifts.update(giver_name=line, message=words[:2000], giver_address=words[:500])
    Registry.objects.filter(pk__in=registry_ids).update(title=line, welcome_note=words[:2000])
    Item.objects.filter(registry_id__in=registry_ids).update(title=line)
    Reservation.objects.filter(item__registry_id__in=registry_ids).update(giver_name=line)
    # Everyone else's name (an inviter, a registrant asking for an address, a quiet person); the reader's
    # own name is theirs, chosen by them (and refused with a link in it when they choose it).
    User.objects.exclude(pk=rows[0].recipient_id).update(display_name=line)
    # A correction quotes the Subjects of the messages it corrects, which may predate the rule.
    RecalledMessage.objects.update(subject=line)
    return list(Notification.objects.filter(pk__in=[row.pk for row in rows]).order_by("pk"))


_EXPECTED_HEADERS = {
    "subject",
    "from",
    "to",
    "date",
    "message-id",
    "mime-version",
    "content-type",
    "x-gratitude-kind",
    "x-gratitude-reference",
    "auto-submitted",
    "list-unsubscribe",
    "list-unsubscribe-post",
}


@pytest.mark.django_db
@pytest.mark.parametrize("kind_name", sorted(KINDS))
def test_no_message_of_any_kind_carries_a_typed_live_host_or_an_injected_header(kind_name):
    with sample_rows(kind_name) as (kind, sample):

        @hypothesis_settings(
            max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
        )
        @given(words=hostile_text)
        def check(words: str) -> None:
            rows = _plant(sample, words)
            recipient = rows[0].recipient
            rendered = render(rows, kind)
            raw = build_email(rows[0], kind, rendered).message().as_bytes()
            parsed = message_from_bytes(raw, policy=default_policy)

            assert {name.lower() for name in parsed} <= _EXPECTED_HEADERS, parsed.keys()
            assert len(parsed.get_all("Subject") or []) == 1
            subject, text, html = message_parts(parsed)
            assert "\r" not in subject and "\n" not in subject
            assert _live_off_site(subject, text, html, own={recipient.email}) == set(), (words, subject)

        check()
