"""The dev mailbox (/dev/mailbox/) exists only when GRATITUDE_DEV_MAILBOX is on, so it never exposes mail
in production."""

from __future__ import annotations

import pytest
from django.urls import reverse

from gratitude.testing.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def mailbox_dir(settings, tmp_path):
    settings.DEV_MAILBOX_DIR = tmp_path
    (tmp_path / "0001-hello.eml").write_bytes(
        b"From: alerts@gratitude.example\r\nTo: alex@example.test\r\nSubject: Hello there\r\n"
        b"X-Gratitude-Kind: gift_alert\r\n\r\nA captured body.\r\n"
    )
    return tmp_path


@pytest.mark.parametrize("logged_in", [False, True], ids=["anonymous", "logged-in"])
def test_the_dev_mailbox_answers_404_when_switched_off(client, settings, mailbox_dir, logged_in):
    settings.GRATITUDE_DEV_MAILBOX = False
    if logged_in:
        operator = make_user()
        operator.is_staff = operator.is_superuser = True
        operator.save(update_fields=["is_staff", "is_superuser"])
        client.force_login(operator)

    listing = client.get(reverse("dev_mailbox"))
    message = client.get(reverse("dev_mailbox_message", args=["0001-hello"]))

    assert listing.status_code == 404
    assert message.status_code == 404
    assert b"Hello there" not in listing.content + message.content
    assert b"A captured body" not in message.content


def test_the_dev_mailbox_shows_captured_mail_when_switched_on(client, settings, mailbox_dir):
    """The control for the test above: the same request with the switch on finds the message."""
    settings.GRATITUDE_DEV_MAILBOX = True

    listing = client.get(reverse("dev_mailbox"))
    message = client.get(reverse("dev_mailbox_message", args=["0001-hello"]))

    assert listing.status_code == 200
    assert b"Hello there" in listing.content
    assert message.status_code == 200
    assert b"A captured body." in message.content


def test_the_dev_mailbox_link_is_hidden_when_switched_off(client, settings):
    settings.GRATITUDE_DEV_MAILBOX = False

    response = client.get(reverse("home"))

    assert reverse("dev_mailbox").encode() not in response.content


@pytest.mark.parametrize("name", ["..", "missing"])
def test_the_dev_mailbox_refuses_names_outside_the_mailbox(client, settings, mailbox_dir, name):
    settings.GRATITUDE_DEV_MAILBOX = True

    response = client.get(reverse("dev_mailbox_message", args=[name]))

    assert response.status_code == 404


@pytest.fixture
def html_mail(settings, tmp_path):
    from email.message import EmailMessage

    settings.DEV_MAILBOX_DIR = tmp_path
    settings.GRATITUDE_DEV_MAILBOX = True
    message = EmailMessage()
    message["From"] = "alerts@gratitude.example"
    message["To"] = "alex@example.test"
    message["Subject"] = "Two parts"
    message.set_content("The text part.\n")
    message.add_alternative(
        '<p class="x">The HTML part.</p><script>parent.document.title = "owned"</script>', subtype="html"
    )
    (tmp_path / "0002-two-parts.eml").write_bytes(bytes(message))
    return "0002-two-parts"


def test_a_message_page_frames_the_html_part_sandboxed_beside_the_text_part(client, html_mail):
    page = client.get(reverse("dev_mailbox_message", args=[html_mail])).content.decode()

    html_url = reverse("dev_mailbox_message_html", args=[html_mail])
    # `sandbox` with no allow-* token: no scripts, no forms, no same-origin access to this page.
    assert f' sandbox src="{html_url}"' in page
    assert "allow-scripts" not in page and "srcdoc" not in page
    assert "The text part." in page and "The HTML part." not in page


def test_the_html_part_is_served_with_a_policy_that_runs_no_script_and_loads_nothing(client, html_mail):
    response = client.get(reverse("dev_mailbox_message_html", args=[html_mail]))

    assert response.status_code == 200
    assert b"The HTML part." in response.content
    policy = response["Content-Security-Policy"]
    assert policy.startswith("sandbox;") and "default-src 'none'" in policy and "script-src" not in policy
    assert response["X-Frame-Options"] == "SAMEORIGIN"


def test_the_html_part_answers_404_when_switched_off_or_missing(client, settings, html_mail, mailbox_dir):
    text_only = client.get(reverse("dev_mailbox_message_html", args=["0001-hello"]))
    assert text_only.status_code == 404
    settings.GRATITUDE_DEV_MAILBOX = False
    assert client.get(reverse("dev_mailbox_message_html", args=[html_mail])).status_code == 404
