"""The registries domain's mail, the `registry_invitation` and `registry_archive_notice` kinds: who may
receive it, how many may, what it says, its outbox writes and its preview samples.

Each row's trigger is named by its trigger columns (written only through notifications/outbox/writes.py), and
checked against the registry as it is at send time.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING, Any

from gratitude.accounts.notifications import sample_address, sample_person
from gratitude.core.links import site_url
from gratitude.notifications.models import Notification
from gratitude.notifications.outbox.kinds import Category, Kind, Pacing, one_recipient, register
from gratitude.notifications.outbox.refusals import Refusal
from gratitude.notifications.outbox.writes import Trigger, outbox_write

if TYPE_CHECKING:
    from gratitude.accounts.models import User
    from gratitude.registries.models import Registry, RegistryInvitation


def _invitation_for(row: Notification) -> RegistryInvitation | None:
    from gratitude.registries.models import RegistryInvitation

    if row.trigger_type != "invitation" or row.trigger_id is None:
        return None
    return (
        RegistryInvitation.objects.select_related("registry", "invited_by").filter(pk=row.trigger_id).first()
    )


def registry_invitation_provenance(row: Notification) -> Refusal | None:
    """The invitation exists, names this recipient, is still open, and whoever sent it still may."""
    from gratitude.registries.models import InvitationState, RegistryMember
    from gratitude.registries.services.shared import INVITE_ROLES

    invitation = _invitation_for(row)
    if invitation is None or row.gift_id is not None:
        return Refusal("no_invitation", breach=True)
    if row.registry_id != invitation.registry_id:
        return Refusal("registry_mismatch", breach=True)
    if row.recipient_id != invitation.invitee_id:
        return Refusal("not_the_invitee", breach=True)
    if invitation.state == InvitationState.REVOKED:
        return Refusal("invitation_revoked")
    if invitation.state == InvitationState.ACCEPTED:
        return Refusal("invitation_accepted")
    if not invitation.is_open():
        return Refusal("invitation_expired")
    if invitation.registry.archived_at is not None:
        return Refusal("registry_archived")
    still_allowed = invitation.invited_by_id is not None and (
        RegistryMember.objects.filter(
            registry_id=invitation.registry_id, user_id=invitation.invited_by_id, role__in=INVITE_ROLES
        ).exists()
    )
    if not still_allowed:
        return Refusal("inviter_left")
    if not row.recipient.is_active:
        return Refusal("recipient_inactive")
    return None


def registry_invitation_context(rows: list[Notification]) -> dict[str, Any]:
    from gratitude.registries.tokens import make_invitation_token

    invitation = _invitation_for(rows[0])
    assert invitation is not None  # provenance has checked the row before rendering
    inviter = invitation.invited_by
    return {
        "invitation": invitation,
        "registry": invitation.registry,
        "inviter_name": (inviter.verified_name if inviter is not None else "") or "A registrant",
        "role_label": invitation.get_role_display().lower(),
        # Made at send time and bound to this invitation and address; it works until the invitation ends.
        "accept_url": site_url("registries:invitation", make_invitation_token(invitation)),
    }


def _archive_notice_parts(row: Notification) -> tuple[int, date] | None:
    """The registry the notice is about and the archive date it gives notice of (its trigger's moment)."""
    if row.trigger_type != "registry" or row.trigger_id is None or row.trigger_at is None:
        return None
    return row.trigger_id, row.trigger_at.astimezone(UTC).date()


def registry_archive_notice_provenance(row: Notification) -> Refusal | None:
    """The recipient owns the registry now, and it will still archive itself on the date the notice names."""
    from gratitude.registries.models import FormerMember, MemberRole, Registry, RegistryMember

    parts = _archive_notice_parts(row)
    if parts is None or row.gift_id is not None:
        return Refusal("no_registry", breach=True)
    registry_id, archive_on = parts
    registry = Registry.objects.filter(pk=registry_id).first()
    if registry is None or row.registry_id != registry_id:
        return Refusal("registry_mismatch", breach=True)
    member = RegistryMember.objects.filter(registry_id=registry_id, user_id=row.recipient_id).first()
    if member is None:
        left_since = FormerMember.objects.filter(
            registry_id=registry_id, user_id=row.recipient_id, left_at__gte=row.created_at
        ).exists()
        return Refusal("member_left") if left_since else Refusal("not_a_member", breach=True)
    if member.role != MemberRole.OWNER:
        return Refusal("not_owner")
    if registry.archived_at is not None:
        return Refusal("already_archived")
    if not registry.auto_archive:
        return Refusal("auto_archive_off")
    if registry.archive_on != archive_on or registry.archive_notice_for != archive_on:
        return Refusal("archive_date_changed")
    if not row.recipient.is_active:
        return Refusal("recipient_inactive")
    if not row.recipient.email_verified:
        return Refusal("email_unverified")
    return None


def registry_archive_notice_context(rows: list[Notification]) -> dict[str, Any]:
    registry = rows[0].registry
    assert registry is not None  # provenance has checked the row before rendering
    return {
        "registry": registry,
        "archive_on": registry.archive_on,
        "settings_url": site_url("registries:settings", registry.pk),
    }


# --- The outbox writes (only registries.services calls these, in the event's transaction) ---------------


def registry_invitation_enqueue(*, invitation: RegistryInvitation) -> Notification:
    """The invitation mail, to the account of the address invited (the invitation names it)."""
    return outbox_write(
        kind=REGISTRY_INVITATION.name,
        trigger=Trigger(type="invitation", id=invitation.pk),
        recipients=[invitation.invitee_id],
        key=lambda user_id: f"registry_invitation:invitation:{invitation.pk}",
        registry_id=invitation.registry_id,
    )[0]


def archive_notice_enqueue(*, registry: Registry) -> list[Notification]:
    """The notice before a registry archives itself, to its owner (taken from the registry)."""
    from gratitude.registries.models import MemberRole, RegistryMember

    archive_on = registry.archive_notice_for
    if archive_on is None:
        raise ValueError("the registry has no archive date to give notice of")
    owners = RegistryMember.objects.filter(registry_id=registry.pk, role=MemberRole.OWNER).order_by("pk")
    # The date is part of the trigger: a notice for a date since moved is refused at send time.
    notice_for = datetime.combine(archive_on, time.min, tzinfo=UTC)
    return outbox_write(
        kind=REGISTRY_ARCHIVE_NOTICE.name,
        trigger=Trigger(type="registry", id=registry.pk, at=notice_for),
        recipients=list(owners.values_list("user_id", flat=True)),
        key=lambda user_id: (
            f"registry_archive_notice:registry:{registry.pk}:on:{archive_on.isoformat()}:user:{user_id}"
        ),
        registry_id=registry.pk,
    )


# --- Preview samples (notifications/devtools/samples.py rolls each back)
# -----------------------------------------


def sample_wedding(owner: User, *, event_date: date = date(2031, 6, 14)) -> Registry:
    """The registry the samples of every domain are about."""
    from gratitude.registries.services.registries import registry_create

    title = "Alex & Sam's wedding"
    return registry_create(owner=owner, title=title, occasion="wedding", event_date=event_date)


def _registry_invitation_sample() -> list[Notification]:
    from gratitude.registries.services.invitations import registry_invitation_create

    owner = sample_person("alex.rivera", "Alex Rivera")
    registry = sample_wedding(owner)
    registry_invitation_create(
        registry=registry, invited_by=owner, email=sample_address("sam.okafor"), name="Sam Okafor"
    )
    return list(Notification.objects.filter(kind="registry_invitation", registry=registry))


def _registry_archive_notice_sample() -> list[Notification]:
    from datetime import timedelta

    from django.utils import timezone

    from gratitude.registries.services.lifecycle import registry_lifecycle_step

    owner = sample_person("alex.rivera", "Alex Rivera")
    registry_id = sample_wedding(owner, event_date=timezone.now().date() - timedelta(days=365)).pk
    registry_lifecycle_step(registry_id=registry_id)
    return list(Notification.objects.filter(kind="registry_archive_notice", registry_id=registry_id))


# --- The kinds ------------------------------------------------------------------------------------------

# An invitation to help run a registry, to an address that may have no account yet; written only by
# registries.services.invitations.registry_invitation_create (docs/registries.md).
REGISTRY_INVITATION = register(
    Kind(
        name="registry_invitation",
        category=Category.EVENT,
        trigger="invitation",
        provenance=registry_invitation_provenance,
        recipients_per_trigger=one_recipient,
        template="registry_invitation",
        context=registry_invitation_context,
        event_backed=True,
        label="an invitation to help run a registry",
        sample=_registry_invitation_sample,
        occasions=("registry",),
    )
)
# Fourteen days before a registry archives itself after its event, to its owner. Written only by
# registries.services.lifecycle.registry_lifecycle_step.
REGISTRY_ARCHIVE_NOTICE = register(
    Kind(
        name="registry_archive_notice",
        category=Category.REMINDER,
        trigger="registry",
        provenance=registry_archive_notice_provenance,
        recipients_per_trigger=one_recipient,
        template="registry_archive_notice",
        context=registry_archive_notice_context,
        event_backed=True,
        label="a notice that a registry will be archived",
        sample=_registry_archive_notice_sample,
        occasions=("registry",),
        pacing=Pacing(respects_quiet_hours=True),
    )
)
