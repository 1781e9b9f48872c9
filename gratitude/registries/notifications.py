"""What the registries domain's mail needs from it: who may receive it, how many may, and what it says.

Declared as the `registry_invitation` and `registry_archive_notice` kinds in gratitude/notifications/kinds.py.
Each row's trigger is named by its idempotency key (written only by notifications/services.py), and checked
against the registry as it is at send time.
"""

from __future__ import annotations

import re
from datetime import date
from typing import TYPE_CHECKING, Any

from gratitude.core.links import site_url
from gratitude.notifications.models import Notification
from gratitude.notifications.refusals import Refusal

if TYPE_CHECKING:
    from gratitude.registries.models import RegistryInvitation

_INVITATION_KEY = re.compile(r"^registry_invitation:invitation:(\d+)$")
_ARCHIVE_NOTICE_KEY = re.compile(
    r"^registry_archive_notice:registry:(\d+):on:(\d{4}-\d{2}-\d{2}):user:(\d+)$"
)


def _invitation_for(row: Notification) -> RegistryInvitation | None:
    from gratitude.registries.models import RegistryInvitation

    match = _INVITATION_KEY.match(row.idempotency_key)
    if match is None:
        return None
    return (
        RegistryInvitation.objects.select_related("registry", "invited_by")
        .filter(pk=int(match.group(1)))
        .first()
    )


def registry_invitation_provenance(row: Notification) -> Refusal | None:
    """The invitation exists, names this recipient, is still open, and whoever sent it still may."""
    from gratitude.registries.models import InvitationState, RegistryMember
    from gratitude.registries.services import INVITE_ROLES

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


def _archive_notice_parts(row: Notification) -> tuple[int, date, int] | None:
    match = _ARCHIVE_NOTICE_KEY.match(row.idempotency_key)
    if match is None:
        return None
    return int(match.group(1)), date.fromisoformat(match.group(2)), int(match.group(3))


def registry_archive_notice_provenance(row: Notification) -> Refusal | None:
    """The recipient owns the registry now, and it will still archive itself on the date the notice names."""
    from gratitude.registries.models import FormerMember, MemberRole, Registry, RegistryMember

    parts = _archive_notice_parts(row)
    if parts is None or row.gift_id is not None:
        return Refusal("no_registry", breach=True)
    registry_id, archive_on, user_id = parts
    registry = Registry.objects.filter(pk=registry_id).first()
    if registry is None or row.registry_id != registry_id:
        return Refusal("registry_mismatch", breach=True)
    if user_id != row.recipient_id:
        return Refusal("not_the_recipient", breach=True)
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
