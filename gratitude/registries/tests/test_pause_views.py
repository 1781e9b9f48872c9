"""The registry's "Pause all messages" (docs/safety.md promise 9): linked from every page of the registry,
one button pauses it, a second, separate one switches quiet mode on for the person; a calm confirmation with
one button to resume; a delegate member pauses the registry but never switches anyone's account-wide quiet
mode. Non-members get 404."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from gratitude.registries.models import MemberRole
from gratitude.registries.services.members import registry_member_add
from gratitude.testing.factories import make_registry, make_user

pytestmark = pytest.mark.django_db

UNKIND = (b"sorry", b"are you sure", b"loss", b"condolence", b"survey", b"why are you")


@pytest.fixture
def registry():
    return make_registry(owner=make_user(display_name="Alex Rivera"), title="Alex & Sam")


def _owner(registry):
    return registry.members.get(role=MemberRole.OWNER).user


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    "page",
    [
        "registries:detail",
        "registries:items",
        "registries:people",
        "registries:alerts",
        "registries:settings",
        "member_gifts:list",
    ],
)
def test_every_registry_page_links_to_pause_all_messages(registry, page):
    response = _client(_owner(registry)).get(reverse(page, args=[registry.pk]))

    assert response.status_code == 200
    link = f'<a href="{reverse("registries:pause", args=[registry.pk])}" data-testid="pause-link">'
    assert link.encode() + b"Pause messages and giving</a>" in response.content


def test_the_pause_page_offers_two_separate_buttons_and_asks_nothing(registry):
    response = _client(_owner(registry)).get(reverse("registries:pause", args=[registry.pk]))

    content = response.content
    assert b"Pause all messages about this registry and close it to givers</button>" in content
    assert b"Quiet mode: no messages about any registry" in content
    assert b"Switch on quiet mode for me</button>" in content
    assert b"(optional)" in content and b"required" not in content
    for unkind in UNKIND:
        assert unkind not in content.lower()


def test_one_press_pauses_then_a_calm_page_says_so_with_one_button_to_resume(registry):
    owner = _owner(registry)
    client = _client(owner)

    response = client.post(reverse("registries:paused", args=[registry.pk]))

    assert response.status_code == 302
    assert response["Location"] == reverse("registries:paused", args=[registry.pk])
    registry.refresh_from_db()
    assert registry.paused_at is not None and registry.paused_by == owner
    done = client.get(response["Location"])
    main = done.content.split(b"<main>")[1].split(b"</main>")[0]
    assert b"Messages are paused" in main
    assert b"Thank You List" in main
    assert main.count(b"<button") == 1 and b"Resume messages</button>" in main
    for unkind in UNKIND:
        assert unkind not in main.lower()
    # Every page of the registry says it is paused, and where to resume.
    detail = client.get(reverse("registries:detail", args=[registry.pk]))
    assert b'data-testid="paused-notice"' in detail.content

    resumed = client.post(reverse("registries:resume", args=[registry.pk]))

    assert resumed["Location"] == reverse("registries:detail", args=[registry.pk])
    registry.refresh_from_db()
    assert registry.paused_at is None


def test_the_confirmation_page_of_a_registry_that_is_not_paused_leads_to_the_pause_page(registry):
    response = _client(_owner(registry)).get(reverse("registries:paused", args=[registry.pk]))
    assert response["Location"] == reverse("registries:pause", args=[registry.pk])


def test_quiet_mode_from_the_registry_page_is_for_the_signed_in_person_only(registry):
    owner = _owner(registry)
    client = _client(owner)

    response = client.post(reverse("accounts:quiet_on"), {"reason": ""})

    assert response["Location"] == reverse("accounts:quiet_on")
    owner.refresh_from_db()
    assert owner.quiet_since is not None and owner.quiet_by == owner and owner.quiet_reason == ""
    registry.refresh_from_db()
    assert registry.paused_at is None
    page = client.get(reverse("registries:pause", args=[registry.pk]))
    assert b"Quiet mode is on for you" in page.content


@pytest.mark.parametrize("page", ["registries:pause", "registries:paused"])
def test_non_members_get_404(registry, page):
    assert _client(make_user()).get(reverse(page, args=[registry.pk])).status_code == 404
    assert _client(make_user()).post(reverse("registries:paused", args=[registry.pk])).status_code == 404
    assert _client(make_user()).post(reverse("registries:resume", args=[registry.pk])).status_code == 404
    registry.refresh_from_db()
    assert registry.paused_at is None


def test_signed_out_visitors_are_sent_to_log_in(registry):
    response = Client().post(reverse("registries:paused", args=[registry.pk]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_csrf_is_required(registry):
    client = Client(enforce_csrf_checks=True)
    client.force_login(_owner(registry))
    assert client.post(reverse("registries:paused", args=[registry.pk])).status_code == 403
    registry.refresh_from_db()
    assert registry.paused_at is None


# --- A delegate member -----------------------------------------------------------------------------------


def test_a_delegate_member_pauses_the_registry_but_is_offered_no_one_elses_quiet_mode(registry):
    owner = _owner(registry)
    helper = make_user(display_name="Robin")
    registry_member_add(registry=registry, user=helper, role=MemberRole.DELEGATE)
    client = _client(helper)

    page = client.get(reverse("registries:pause", args=[registry.pk]))
    assert b"Alex Rivera" not in page.content
    assert b'data-testid="quiet-for-registrants"' not in page.content
    assert client.post(reverse("registries:paused", args=[registry.pk])).status_code == 302

    registry.refresh_from_db()
    owner.refresh_from_db()
    assert registry.paused_at is not None
    assert owner.quiet_since is None


def test_the_registry_route_that_switched_a_members_quiet_mode_is_gone(registry):
    """The route a registry's delegate used to switch a registrant's account-wide quiet mode no longer
    exists: posting to its old address changes nothing."""
    owner = _owner(registry)
    helper = make_user()
    registry_member_add(registry=registry, user=helper, role=MemberRole.DELEGATE)
    owner_member = registry.members.get(user=owner)

    response = _client(helper).post(f"/registries/{registry.pk}/quiet/{owner_member.pk}/", {"action": "on"})

    assert response.status_code == 404
    owner.refresh_from_db()
    assert owner.quiet_since is None
