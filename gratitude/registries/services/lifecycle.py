"""Archiving a registry, by hand and on schedule after its event, with the notice before."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from gratitude.accounts.models import User
from gratitude.registries import conf as registries_conf
from gratitude.registries.locks import lock_registry
from gratitude.registries.models import (
    Registry,
)
from gratitude.registries.services.shared import OWNER_ONLY, _require_role

ARCHIVE_NOTICE_DAYS = 14


def registry_archive(*, registry: Registry, by: User) -> Registry:
    """Archive a registry (owner only). Nothing is deleted: members can still read everything."""
    with transaction.atomic():
        locked = lock_registry(registry.pk)
        assert locked is not None
        _require_role(registry=locked, user=by, roles=OWNER_ONLY, action="archive the registry")
        if locked.archived_at is None:
            locked.archived_at = timezone.now()
            locked.archive_reason = "owner"
            locked.save(update_fields=["archived_at", "archive_reason"])
    return locked


def registry_unarchive(*, registry: Registry, by: User) -> Registry:
    """Reopen an archived registry (owner only). It will not archive itself again unless asked to."""
    with transaction.atomic():
        locked = lock_registry(registry.pk)
        assert locked is not None
        _require_role(registry=locked, user=by, roles=OWNER_ONLY, action="reopen the registry")
        locked.archived_at = None
        locked.archive_reason = ""
        locked.auto_archive = False
        locked.archive_on = None
        locked.save(update_fields=["archived_at", "archive_reason", "auto_archive", "archive_on"])
    return locked


def _midnight_utc(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _plan_archive(registry: Registry) -> None:
    """Work out when the registry archives itself, and schedule the step that sends the notice first.

    Archiving some days after the event keeps old registries from lingering in search and on share links,
    but it never happens without a notice to the owner at least ARCHIVE_NOTICE_DAYS ahead
    (registry_lifecycle_step enforces that, whatever the dates say).
    """
    from gratitude.registries.tasks import registry_lifecycle_step_task

    planned = None
    if registry.auto_archive and registry.event_date and registry.archived_at is None:
        planned = registry.event_date + timedelta(days=registries_conf.archive_after_days())
    if planned == registry.archive_on:
        return
    registry.archive_on = planned
    registry.save(update_fields=["archive_on"])
    if planned is not None:
        notice_day = planned - timedelta(days=ARCHIVE_NOTICE_DAYS)
        registry_lifecycle_step_task.using(run_after=max(_midnight_utc(notice_day), timezone.now())).enqueue(
            registry_id=registry.pk
        )


def registry_lifecycle_step(*, registry_id: int) -> str:
    """Send the archive notice when it is due, then archive once the notice has had its full 14 days.

    Safe to run any number of times, at any time: it only acts when the registry's own dates say so.
    """
    from gratitude.registries.notifications import archive_notice_enqueue
    from gratitude.registries.tasks import registry_lifecycle_step_task

    today = timezone.now().date()
    with transaction.atomic():
        registry = lock_registry(registry_id)
        if registry is None or registry.archived_at is not None:
            return "nothing to do"
        if not registry.auto_archive or registry.archive_on is None:
            return "nothing to do"
        if registry.archive_notice_for != registry.archive_on:
            if today < registry.archive_on - timedelta(days=ARCHIVE_NOTICE_DAYS):
                return "not yet"
            # However the dates moved, the owner gets the full notice period.
            registry.archive_on = max(registry.archive_on, today + timedelta(days=ARCHIVE_NOTICE_DAYS))
            registry.archive_notice_for = registry.archive_on
            registry.save(update_fields=["archive_on", "archive_notice_for"])
            archive_notice_enqueue(registry=registry)
            registry_lifecycle_step_task.using(run_after=_midnight_utc(registry.archive_on)).enqueue(
                registry_id=registry.pk
            )
            return "notice queued"
        if today < registry.archive_on:
            return "not yet"
        registry.archived_at = timezone.now()
        registry.archive_reason = "after_event"
        registry.save(update_fields=["archived_at", "archive_reason"])
        return "archived"
