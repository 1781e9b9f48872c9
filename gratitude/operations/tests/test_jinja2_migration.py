"""Migration 0004: mail templates became Jinja2 without changing a byte of what they render, so an approval
given under the Django sources is bound again to the same campaign under the Jinja2 ones, and nothing else."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

from gratitude.operations.campaigns import _approval_holds, campaign_fingerprint
from gratitude.operations.models import Campaign
from gratitude.operations.tests.support import approved, make_registrants, make_staff

pytestmark = pytest.mark.django_db

migration = importlib.import_module("gratitude.operations.migrations.0004_mail_templates_jinja2")


def test_the_frozen_jinja2_sources_are_the_templates_as_deployed():
    # If the templates change, this migration must not bind old approvals to new text: its copy is frozen.
    from gratitude.notifications.mail_templates import template_source

    for name, source in migration.JINJA_SOURCES.items():
        assert source == template_source(f"notifications/email/{name}"), name


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
