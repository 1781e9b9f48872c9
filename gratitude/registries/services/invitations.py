"""Inviting someone to a registry by address, and accepting or revoking the invitation."""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from gratitude.accounts.models import User, normalize_email_address
from gratitude.accounts.services import account_claim_for_invitation, account_for_address
from gratitude.core.errors import GratitudeError, PermissionDenied
from gratitude.registries import conf as registries_conf
from gratitude.registries.locks import lock_registry
from gratitude.registries.models import (
    InvitationState,
    MemberRole,
    Registry,
    RegistryInvitation,
    RegistryMember,
)
from gratitude.registries.services.members import registry_member_add
from gratitude.registries.services.shared import INVITE_ROLES, _require_open, _require_role

PENDING_INVITATIONS_PER_REGISTRY = 20


# Invite, withdraw, invite again must not become a way to mail someone over and over: an address gets at
# most this many invitations to one registry in INVITATION_WINDOW, and one person sends at most
# INVITATIONS_PER_INVITER_PER_DAY, whatever became of them (docs/registries.md, docs/safety.md promise 16).
INVITATIONS_PER_ADDRESS_PER_REGISTRY = 2


INVITATION_WINDOW = timedelta(days=30)


INVITATIONS_PER_INVITER_PER_DAY = 10


def _check_address(email: str) -> str:
    address = normalize_email_address(email)
    try:
        validate_email(address)
    except ValidationError as exc:
        raise GratitudeError("enter a valid email address", field="email") from exc
    return address


def registry_invitation_create(
    *,
    registry: Registry,
    invited_by: User,
    email: str,
    name: str,
    role: str = MemberRole.CO_REGISTRANT,
) -> RegistryInvitation:
    """Invite someone by email to help run the registry; the mail goes out through the outbox."""
    from gratitude.registries.notifications import registry_invitation_enqueue

    address = _check_address(email)
    if not name.strip():
        raise GratitudeError("say how we should greet them", field="name")
    if len(name.strip()) > 120:
        raise GratitudeError("at most 120 characters", field="name")
    if role not in (MemberRole.CO_REGISTRANT, MemberRole.DELEGATE):
        raise GratitudeError("invite a co-registrant or a trusted delegate", field="role")
    now = timezone.now()
    with transaction.atomic():
        locked = lock_registry(registry.pk)
        assert locked is not None
        _require_role(registry=locked, user=invited_by, roles=INVITE_ROLES, action="invite people")
        _require_open(locked)
        if RegistryMember.objects.filter(registry=locked, user__email=address).exists():
            raise GratitudeError(f"{address} is already a member of this registry.")
        locked.invitations.filter(state=InvitationState.PENDING, expires_at__lte=now).update(
            state=InvitationState.EXPIRED
        )
        pending = locked.invitations.filter(state=InvitationState.PENDING)
        if pending.filter(email=address).exists():
            raise GratitudeError(f"{address} is already invited. Withdraw that invitation to send a new one.")
        if pending.count() >= PENDING_INVITATIONS_PER_REGISTRY:
            raise GratitudeError("Too many invitations are waiting for an answer; withdraw some first.")
        recent_to_address = locked.invitations.filter(email=address, created_at__gte=now - INVITATION_WINDOW)
        if recent_to_address.count() >= INVITATIONS_PER_ADDRESS_PER_REGISTRY:
            raise GratitudeError(
                f"{address} was already invited to this registry {INVITATIONS_PER_ADDRESS_PER_REGISTRY} "
                "times this month; we send no more. Ask them yourself, then invite them again later."
            )
        sent_today = RegistryInvitation.objects.filter(
            invited_by=invited_by, created_at__gte=now - timedelta(days=1)
        )
        if sent_today.count() >= INVITATIONS_PER_INVITER_PER_DAY:
            raise GratitudeError(
                f"You sent {INVITATIONS_PER_INVITER_PER_DAY} invitations today, the most we send for one "
                "person in a day. Try again tomorrow."
            )
        invitation = RegistryInvitation.objects.create(
            registry=locked,
            email=address,
            invitee=account_for_address(email=address),
            invited_by=invited_by,
            role=role,
            expires_at=now + timedelta(days=registries_conf.invitation_days()),
        )
        registry_invitation_enqueue(invitation=invitation)
    return invitation


def registry_invitation_revoke(*, invitation: RegistryInvitation, by: User) -> RegistryInvitation:
    """Withdraw an invitation; its link stops working and its mail, if still queued, is never sent."""
    with transaction.atomic():
        locked = RegistryInvitation.objects.select_for_update().get(pk=invitation.pk)
        _require_role(registry=locked.registry, user=by, roles=INVITE_ROLES, action="withdraw invitations")
        if locked.state == InvitationState.PENDING:
            locked.state = InvitationState.REVOKED
            locked.answered_at = timezone.now()
            locked.save(update_fields=["state", "answered_at"])
    return locked


def _open_invitation(invitation: RegistryInvitation) -> RegistryInvitation:
    locked = RegistryInvitation.objects.select_for_update().select_related("registry").get(pk=invitation.pk)
    if locked.state == InvitationState.ACCEPTED:
        raise GratitudeError("This invitation has already been accepted.")
    if locked.state == InvitationState.REVOKED:
        raise GratitudeError("This invitation was withdrawn. Ask for a new one if you still want to help.")
    if not locked.is_open():
        raise GratitudeError("This invitation has expired. Ask for a new one if you still want to help.")
    if locked.registry.archived_at is not None:
        raise GratitudeError("This registry has been archived, so it no longer takes new members.")
    return locked


def registry_invitation_accept(*, invitation: RegistryInvitation, user: User) -> RegistryMember:
    """Join the registry. Only the person the invitation was sent to may accept it."""
    with transaction.atomic():
        locked = _open_invitation(invitation)
        if user.pk != locked.invitee_id:
            raise PermissionDenied("This invitation was sent to a different email address.")
        member = RegistryMember.objects.filter(registry_id=locked.registry_id, user=user).first()
        if member is None:
            member = registry_member_add(registry=locked.registry, user=user, role=locked.role)
        locked.state = InvitationState.ACCEPTED
        locked.answered_at = timezone.now()
        locked.save(update_fields=["state", "answered_at"])
        if user.email_verified_at is None:
            # The signed link only ever went to this address, so following it proves the address.
            user.email_verified_at = timezone.now()
            user.save(update_fields=["email_verified_at"])
    return member


def registry_invitation_accept_with_new_password(
    *, invitation: RegistryInvitation, display_name: str, password: str
) -> User:
    """Accept for an invitee who has no password yet: they choose their name and a password first."""
    with transaction.atomic():
        locked = _open_invitation(invitation)
        user = account_claim_for_invitation(
            invitee=locked.invitee, display_name=display_name, password=password
        )
        registry_invitation_accept(invitation=locked, user=user)
    return user
