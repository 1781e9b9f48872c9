"""Migration 0004: mail templates became Jinja2 without changing a byte of what they render, so an approval
given under the Django sources is bound again to the same campaign under the Jinja2 ones, and nothing else."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

from gratitude.operations.campaigns.shared import _approval_holds
from gratitude.operations.models import Campaign
from gratitude.operations.selectors import campaign_fingerprint
from gratitude.operations.tests.support import approved, make_registrants, make_staff

pytestmark = pytest.mark.django_db

migration = importlib.import_module("gratitude.operations.migrations.0004_mail_templates_jinja2")


@pytest.fixture(autouse=True)
def templates_as_this_release_shipped_them(monkeypatch):
    """The campaign templates as they were when this migration was written (its frozen Jinja2 copy), so
    these tests hold however the templates change later, as an upgrade from that release would see them."""
    from gratitude.operations import selectors

    live = selectors.template_source
    prefix = "notifications/email/"

    def shipped(name: str) -> str:
        frozen = migration.JINJA_SOURCES.get(name.removeprefix(prefix))
        return frozen if frozen is not None else live(name)

    monkeypatch.setattr(selectors, "template_source", shipped)


def test_an_approval_given_under_the_django_templates_holds_after_the_upgrade_and_no_other():
    make_registrants(3)
    author, approver = make_staff("Author"), make_staff("Approver")
    before_upgrade = approved(author, approver)
    tampered = approved(author, approver, subject="Another subject")
    # As approved before the upgrade: bound to the Django sources (the tampered one to another campaign's).
    old_approval = migration._fingerprint(before_upgrade, migration.DJANGO_SOURCES.__getitem__)
    before_upgrade.approval_hash = old_approval
    before_upgrade.save(update_fields=["approval_hash"])
    tampered.approval_hash = old_approval
    tampered.save(update_fields=["approval_hash"])
    assert not _approval_holds(before_upgrade) and not _approval_holds(tampered)

    migration.rebind_approvals(apps, None)

    before_upgrade = Campaign.objects.get(pk=before_upgrade.pk)
    tampered = Campaign.objects.get(pk=tampered.pk)
    assert _approval_holds(before_upgrade)
    assert before_upgrade.approval_hash == campaign_fingerprint(before_upgrade)
    assert not _approval_holds(tampered)
