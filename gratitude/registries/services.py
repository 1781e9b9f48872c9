"""Every change to registries, their members, invitations and items. See docs/registries.md."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Exists, Max, OuterRef
from django.utils import timezone

from gratitude.accounts.models import User, normalize_email_address
from gratitude.accounts.services import account_claim_for_invitation, account_for_address
from gratitude.core.bounds import DATE_RANGE_MESSAGE, date_in_range
from gratitude.core.errors import GratitudeError, PermissionDenied, refuse_links
from gratitude.registries import conf as registries_conf
from gratitude.registries import pictures
from gratitude.registries.fetch import ProductDetails, Resolver, clean_text, fetch_product
from gratitude.registries.locks import lock_items, lock_registry
from gratitude.registries.models import (
    FormerMember,
    InvitationState,
    Item,
    MemberRole,
    Occasion,
    Picture,
    Priority,
    Registry,
    RegistryInvitation,
    RegistryMember,
    RegistrySearchName,
    Surprise,
    Visibility,
    new_share_key,
    time_zone_names,
)

# Who may do what (docs/registries.md, "Roles"). Every member may read the registry and manage its items.
SETTINGS_ROLES = frozenset({MemberRole.OWNER, MemberRole.CO_REGISTRANT})
INVITE_ROLES = frozenset({MemberRole.OWNER, MemberRole.CO_REGISTRANT})
OWNER_ONLY = frozenset({MemberRole.OWNER})
# Names that make a public registry findable; a delegate helps, but it is not their registry.
SEARCHABLE_ROLES = (MemberRole.OWNER, MemberRole.CO_REGISTRANT)

PENDING_INVITATIONS_PER_REGISTRY = 20
# The most of one item a registry can want, or a gift or hold can be (forms say so too).
MAX_QUANTITY = 10_000
# Invite, withdraw, invite again must not become a way to mail someone over and over: an address gets at
# most this many invitations to one registry in INVITATION_WINDOW, and one person sends at most
# INVITATIONS_PER_INVITER_PER_DAY, whatever became of them (docs/registries.md, docs/safety.md promise 16).
INVITATIONS_PER_ADDRESS_PER_REGISTRY = 2
INVITATION_WINDOW = timedelta(days=30)
INVITATIONS_PER_INVITER_PER_DAY = 10
ARCHIVE_NOTICE_DAYS = 14


def _clean_and_save(obj: Registry | Item | RegistryMember) -> None:
    """Run the model's validators so a service called from the CLI or API refuses what a form would."""
    try:
        obj.full_clean()
    except ValidationError as exc:
        raise GratitudeError(_first_message(exc)) from exc
    obj.save()


def _first_message(exc: ValidationError) -> str:
    if hasattr(exc, "message_dict"):
        field, messages = next(iter(exc.message_dict.items()))
        return f"{field}: {messages[0]}"
    return exc.messages[0]


def _require_role(*, registry: Registry, user: User, roles: frozenset[str], action: str) -> RegistryMember:
    member = RegistryMember.objects.filter(registry_id=registry.pk, user_id=user.pk).first()
    if member is None or member.role not in roles:
        raise PermissionDenied(f"Only the {_role_names(roles)} may {action}.")
    return member


def _role_names(roles: frozenset[str]) -> str:
    labels = [MemberRole(role).label.lower() for role in MemberRole.values if role in roles]
    return " or ".join(labels)


def _require_open(registry: Registry) -> None:
    if registry.archived_at is not None:
        raise GratitudeError("This registry is archived: its owner can reopen it to make changes.")


# --- Search names ------------------------------------------------------------------------------


def search_terms(text: str) -> list[str]:
    """The words of a name, case- and accent-folded: "Zoë O'Brien" -> ["brien", "o", "zoe"]."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    folded = "".join(char for char in decomposed if not unicodedata.combining(char))
    return sorted({word[:60] for word in re.findall(r"\w+", folded)})


def registry_search_names_refresh(*, registry: Registry) -> None:
    """Index the display names of the registry's owner and co-registrants (never an email address)."""
    names = RegistryMember.objects.filter(registry_id=registry.pk, role__in=SEARCHABLE_ROLES).values_list(
        "user__display_name", flat=True
    )
    terms = sorted({term for name in names for term in search_terms(name or "")})
    with transaction.atomic():
        RegistrySearchName.objects.filter(registry_id=registry.pk).delete()
        RegistrySearchName.objects.bulk_create(
            RegistrySearchName(registry_id=registry.pk, term=term) for term in terms
        )


def registry_search_names_refresh_for_user(*, user: User) -> None:
    """Call after a person's display name changes, so their public registries are found by the new one."""
    registries = Registry.objects.filter(members__user=user, members__role__in=SEARCHABLE_ROLES)
    for registry in registries:
        registry_search_names_refresh(registry=registry)


# --- Registries --------------------------------------------------------------------------------


def _check_words_for_givers(*, title: str, welcome_note: str) -> None:
    # The title rides in every message's Subject and the note reaches givers: no links in either
    # (docs/safety.md promise 16).
    refuse_links(field="title", text=title, what="A registry's title")
    refuse_links(field="welcome_note", text=welcome_note, what="A note for your givers")


def registry_create(
    *,
    owner: User,
    title: str,
    occasion: str,
    event_date: date | None = None,
    visibility: str = Visibility.LINK,
    surprise: str = Surprise.SHOW_ALL,
    welcome_note: str = "",
    currency: str = "EUR",
) -> Registry:
    """Create a registry with its owner as the first member (alerts on, instantly)."""
    if occasion not in Occasion.values:
        raise GratitudeError(f"choose one of {', '.join(Occasion.values)}", field="occasion")
    _check_words_for_givers(title=title, welcome_note=welcome_note)
    _check_dates(event_date=event_date)
    with transaction.atomic():
        registry = Registry(
            title=title.strip(),
            occasion=occasion,
            event_date=event_date,
            visibility=visibility,
            surprise=surprise,
            welcome_note=welcome_note.strip(),
            time_zone=owner.timezone if owner.timezone in time_zone_names() else "UTC",
            currency=currency.strip().upper(),
        )
        _clean_and_save(registry)
        RegistryMember.objects.create(registry=registry, user=owner, role=MemberRole.OWNER)
        registry_search_names_refresh(registry=registry)
        _plan_archive(registry)
    return registry


def registry_update(
    *,
    registry: Registry,
    by: User,
    title: str,
    occasion: str,
    event_date: date | None,
    welcome_note: str = "",
    visibility: str = Visibility.LINK,
    surprise: str = Surprise.SHOW_ALL,
    reveal_on: date | None = None,
    shipping_address: str = "",
    city: str = "",
    region: str = "",
    show_city_region: bool = False,
    auto_archive: bool = True,
    time_zone: str = "",
    shipping_note: str = "",
    show_shipping_address: bool = False,
) -> Registry:
    """Change a registry's settings (owner and co-registrants). An empty `time_zone` keeps the current one."""
    if occasion not in Occasion.values:
        raise GratitudeError(f"choose one of {', '.join(Occasion.values)}", field="occasion")
    _check_words_for_givers(title=title, welcome_note=welcome_note)
    _check_dates(event_date=event_date, reveal_on=reveal_on)
    with transaction.atomic():
        locked = lock_registry(registry.pk)
        assert locked is not None
        _require_role(registry=locked, user=by, roles=SETTINGS_ROLES, action="change the registry's settings")
        _require_open(locked)
        locked.title = title.strip()
        locked.occasion = occasion
        locked.event_date = event_date
        locked.welcome_note = welcome_note.strip()
        locked.visibility = visibility
        locked.surprise = surprise
        locked.reveal_on = reveal_on
        locked.shipping_address = shipping_address.strip()
        locked.city = city.strip()
        locked.region = region.strip()
        locked.show_city_region = show_city_region
        locked.auto_archive = auto_archive
        if time_zone:
            locked.time_zone = time_zone
        locked.shipping_note = shipping_note.strip()
        locked.show_shipping_address = show_shipping_address
        _clean_and_save(locked)
        _plan_archive(locked)
    return locked


def _check_dates(*, event_date: date | None, reveal_on: date | None = None) -> None:
    # The archive plan adds days to the event date: a date near date.max would overflow (a 500).
    for field, value in (("event_date", event_date), ("reveal_on", reveal_on)):
        if not date_in_range(value):
            raise GratitudeError(DATE_RANGE_MESSAGE, field=field)


def registry_share_link_reset(*, registry: Registry) -> Registry:
    """Give the registry a new share key; every older link stops working at once."""
    registry.share_key = new_share_key()
    registry.save(update_fields=["share_key"])
    return registry


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


# --- Members and invitations -------------------------------------------------------------------


def registry_member_add(
    *, registry: Registry, user: User, role: str = MemberRole.CO_REGISTRANT
) -> RegistryMember:
    if role not in MemberRole.values:
        raise GratitudeError(f"choose one of {', '.join(MemberRole.values)}", field="role")
    with transaction.atomic():
        if RegistryMember.objects.filter(registry=registry, user=user).exists():
            raise GratitudeError(f"{user.email} is already a member of this registry.")
        # A delegate helps manage the registry but is not alerted unless they choose to be.
        alerts = "off" if role == MemberRole.DELEGATE else "instant"
        member = RegistryMember(registry=registry, user=user, role=role, alerts=alerts)
        _clean_and_save(member)
        registry_search_names_refresh(registry=registry)
    return member


def registry_member_remove(*, member: RegistryMember, by: User | None = None) -> None:
    """Remove a member. `by` (when a person asks) must be the owner, or the member leaving themselves."""
    if member.role == MemberRole.OWNER:
        raise GratitudeError("The owner cannot be removed from their own registry.")
    with transaction.atomic():
        if by is not None and by.pk != member.user_id:
            _require_role(registry=member.registry, user=by, roles=OWNER_ONLY, action="remove people")
        FormerMember.objects.create(
            registry_id=member.registry_id, user_id=member.user_id, left_at=timezone.now()
        )
        member.delete()
        registry_search_names_refresh(registry=member.registry)


def registry_member_set_alerts(*, member: RegistryMember, alerts: str) -> RegistryMember:
    """A member's own choice: instant, daily digest, or off (gifts still reach the Thank You List)."""
    member.alerts = alerts
    _clean_and_save(member)
    return member


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


# --- Items -------------------------------------------------------------------------------------


def check_quantity(quantity: int) -> None:
    """A quantity of an item, a gift or a hold: a whole number from 1 to MAX_QUANTITY. The cap keeps numbers
    like 2**31 or 2**63 - 1 from ever reaching the database (an error there, not a clear answer)."""
    # bool is an int in Python; a quantity of True is a bug in the caller, not "1".
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
        raise GratitudeError("must be a whole number of at least 1", field="quantity")
    if quantity > MAX_QUANTITY:
        raise GratitudeError(f"at most {MAX_QUANTITY:,}", field="quantity")


def _check_group_gift(*, group_gift: bool, price: Decimal | None, quantity: int) -> None:
    if group_gift and (price is None or price <= 0):
        raise GratitudeError(
            "a group gift needs a price, so givers can see how far it has come", field="price"
        )
    if group_gift and quantity != 1:
        raise GratitudeError(
            "a group gift is one item that several givers pay for together", field="quantity"
        )


def item_add(
    *,
    registry: Registry,
    title: str,
    quantity: int = 1,
    price: Decimal | None = None,
    url: str = "",
    currency: str = "",
    priority: str = Priority.NORMAL,
    notes: str = "",
    picture: Picture | None = None,
    group_gift: bool = False,
) -> Item:
    """Put an item at the end of the list. Whether it is a group gift is decided here, once.

    `currency` defaults to the registry's; `picture` must be one of this registry's kept pictures.
    """
    check_quantity(quantity)
    _check_group_gift(group_gift=group_gift, price=price, quantity=quantity)
    _check_picture(registry=registry, picture=picture)
    with transaction.atomic():
        _require_open(registry)
        last = Item.objects.filter(registry=registry).aggregate(last=Max("position"))["last"]
        item = Item(
            registry=registry,
            title=title.strip(),
            quantity=quantity,
            price=price,
            url=url.strip(),
            currency=(currency.strip() or registry.currency).upper(),
            priority=priority,
            notes=notes.strip(),
            picture=picture,
            group_gift=group_gift,
            position=(last or 0) + 1,
        )
        _clean_and_save(item)
    return item


def _check_picture(*, registry: Registry, picture: Picture | None) -> None:
    # A picture belongs to the registry it was made for: another registry's would show its owner's photo.
    if picture is not None and picture.registry_id != registry.pk:
        raise GratitudeError("that picture belongs to another registry", field="picture")


def item_update(
    *,
    item: Item,
    title: str,
    quantity: int,
    price: Decimal | None,
    url: str = "",
    currency: str = "",
    priority: str = Priority.NORMAL,
    notes: str = "",
    picture: Picture | None = None,
    remove_picture: bool = False,
) -> Item:
    """Edit an item. Lowering the quantity below what givers already took is allowed: it shows as covered.

    (Refusing it would tell a registrant who keeps gifts a surprise how many were given.) A new `picture`
    replaces the old one; `remove_picture` drops it; neither keeps it.
    """
    check_quantity(quantity)
    with transaction.atomic():
        [locked] = lock_items([item.pk])
        _require_open(locked.registry)
        _check_group_gift(group_gift=locked.group_gift, price=price, quantity=quantity)
        _check_picture(registry=locked.registry, picture=picture)
        locked.title = title.strip()
        locked.quantity = quantity
        locked.price = price
        locked.url = url.strip()
        locked.currency = (currency.strip() or locked.registry.currency).upper()
        locked.priority = priority
        locked.notes = notes.strip()
        if picture is not None:
            locked.picture = picture
        elif remove_picture:
            locked.picture = None
        _clean_and_save(locked)
    return locked


# --- Add from any store, and pictures (docs/registries.md) -----------------------------------------


def picture_create_from_upload(*, registry: Registry, data: bytes) -> Picture:
    """Keep an uploaded picture for this registry (checked, stripped, re-encoded: pictures.py)."""
    return pictures.store(pictures.prepare(data), registry=registry)


def picture_create_from_url(*, registry: Registry, url: str, resolver: Resolver | None = None) -> Picture:
    """Fetch a store's picture (with fetch.py's checks) and keep it for this registry."""
    data = pictures.fetch_picture_bytes(url, resolver=resolver)
    return pictures.store(pictures.prepare(data), registry=registry, source_url=url)


def product_fetch(*, registry: Registry, url: str, resolver: Resolver | None = None) -> ProductDetails:
    """Read a store's product page for the "add from a link" form; FetchError says why it could not."""
    _require_open(registry)
    return fetch_product(url, resolver=resolver)


def item_add_from_url(*, registry: Registry, url: str, quantity: int = 1) -> Item:
    """Fetch the product page, keep its picture, and add the item, in one step.

    A page that is not a product, too large, too slow, unreachable or pointing into a private network
    raises FetchError. A picture that cannot be kept does not stop the item: it is added without one.
    """
    check_quantity(quantity)
    product = product_fetch(registry=registry, url=url)
    picture = None
    if product.image_url:
        try:
            picture = picture_create_from_url(registry=registry, url=product.image_url)
        except GratitudeError:
            picture = None
    try:
        return item_add(
            registry=registry,
            title=clean_text(product.title),
            quantity=quantity,
            price=product.price,
            url=product.url,
            currency=product.currency or registry.currency,
            picture=picture,
        )
    except GratitudeError:
        if picture is not None:
            pictures.delete(picture)
        raise


# A picture kept from a store link waits this long for the registrant to confirm the item.
UNUSED_PICTURE_HOURS = 24


def pictures_unused_clear() -> int:
    """Delete pictures no item and no registry uses, a day after they were kept (a store link fetched but
    never confirmed, a replaced picture). Run hourly by the worker; safe to run any number of times."""
    cutoff = timezone.now() - timedelta(hours=UNUSED_PICTURE_HOURS)
    unused = (
        Picture.objects.filter(created_at__lt=cutoff)
        .exclude(Exists(Item.objects.filter(picture_id=OuterRef("pk"))))
        .exclude(Exists(Registry.objects.filter(photo_id=OuterRef("pk"))))
    )
    count = 0
    for picture in unused.iterator():
        with transaction.atomic():
            pictures.delete(picture)
        count += 1
    return count


def item_pasted_picture_fetch(*, item: Item) -> Item:
    """Turn a picture link pasted before pictures were kept by us into a kept picture, through the same
    checks as "add from any store". The link is cleared either way: it is never shown, and a link we could
    not fetch safely once is not retried."""
    if not item.pasted_image_url:
        return item
    picture = None
    try:
        picture = picture_create_from_url(registry=item.registry, url=item.pasted_image_url)
    finally:
        with transaction.atomic():
            [locked] = lock_items([item.pk])
            locked.pasted_image_url = ""
            if picture is not None and locked.picture_id is None:
                locked.picture = picture
            locked.save(update_fields=["pasted_image_url", "picture"])
    return locked


def registry_photo_set(*, registry: Registry, by: User, data: bytes) -> Registry:
    """The registrants' photo on the giver's page and in link previews (owner and co-registrants)."""
    _require_role(registry=registry, user=by, roles=SETTINGS_ROLES, action="change the registry's photo")
    _require_open(registry)
    photo = picture_create_from_upload(registry=registry, data=data)
    with transaction.atomic():
        locked = lock_registry(registry.pk)
        assert locked is not None
        old = locked.photo
        locked.photo = photo
        locked.save(update_fields=["photo"])
        if old is not None:
            pictures.delete(old)
    return locked


def registry_photo_remove(*, registry: Registry, by: User) -> Registry:
    _require_role(registry=registry, user=by, roles=SETTINGS_ROLES, action="change the registry's photo")
    with transaction.atomic():
        locked = lock_registry(registry.pk)
        assert locked is not None
        if locked.photo is not None:
            old = locked.photo
            locked.photo = None
            locked.save(update_fields=["photo"])
            pictures.delete(old)
    return locked


def item_move(*, item: Item, direction: str) -> Item:
    """Move an item one place up or down the list the givers see."""
    if direction not in ("up", "down"):
        raise GratitudeError("up or down", field="direction")
    with transaction.atomic():
        _require_open(item.registry)
        on_list = Item.objects.filter(registry_id=item.registry_id, archived_at__isnull=True, off_list=False)
        # Renumbering touches several items: lock them all, in primary-key order.
        locked = {row.pk: row for row in lock_items(on_list.values_list("pk", flat=True))}
        ordered = sorted(locked.values(), key=lambda row: (row.position, row.pk))
        index = next((i for i, row in enumerate(ordered) if row.pk == item.pk), None)
        if index is None:
            raise GratitudeError("Only items on the list can be moved.")
        target = index - 1 if direction == "up" else index + 1
        if 0 <= target < len(ordered):
            ordered[index], ordered[target] = ordered[target], ordered[index]
        changed = []
        for position, row in enumerate(ordered, start=1):
            if row.position != position:
                row.position = position
                changed.append(row)
        Item.objects.bulk_update(changed, ["position"])
    return locked[item.pk]


def item_archive(*, item: Item) -> Item:
    """Take an item off the list. Its gifts stay on the Thank You List; it can be restored."""
    with transaction.atomic():
        [locked] = lock_items([item.pk])
        _require_open(locked.registry)
        if locked.archived_at is None:
            locked.archived_at = timezone.now()
            locked.save(update_fields=["archived_at"])
    return locked


def item_restore(*, item: Item) -> Item:
    """Put an archived item back, at the end of the list."""
    with transaction.atomic():
        [locked] = lock_items([item.pk])
        _require_open(locked.registry)
        if locked.archived_at is not None:
            last = Item.objects.filter(registry_id=locked.registry_id).aggregate(last=Max("position"))["last"]
            locked.archived_at = None
            locked.position = (last or 0) + 1
            locked.save(update_fields=["archived_at", "position"])
    return locked


def item_add_off_list(*, registry: Registry, title: str, quantity: int = 1) -> Item:
    """An item for a gift that came off the registry: it exists for the Thank You List, never for givers."""
    check_quantity(quantity)
    item = Item(registry=registry, title=title.strip(), quantity=quantity, off_list=True)
    with transaction.atomic():
        _clean_and_save(item)
    return item


# --- Pause (issue 7, docs/quiet-mode.md) --------------------------------------------------------------

# Pausing is a way to step back from an occasion: anyone who runs the registry may do it for everyone.
PAUSE_ROLES = frozenset({MemberRole.OWNER, MemberRole.CO_REGISTRANT, MemberRole.DELEGATE})


def registry_pause(*, registry: Registry, by: User) -> Registry:
    """Stop every message about the registry, to anyone, now; hide it from search and show a short neutral
    page on its share link. No question asked, no reason needed. Idempotent: pausing again changes nothing.

    In one transaction: mark it paused, cancel its waiting messages (`registry_paused`), and release its
    open holds (their givers are told kindly, if they asked for mail). Gifts still being recorded, like a
    store's order already on its way, land silently on the Thank You List.
    """
    from gratitude.gifts.services import reservations_release_for_step_back
    from gratitude.notifications.care import suppress_queued

    with transaction.atomic():
        locked = lock_registry(registry.pk)
        assert locked is not None
        _require_role(registry=locked, user=by, roles=PAUSE_ROLES, action="pause the registry")
        if locked.paused_at is None:
            locked.paused_at = timezone.now()
            locked.paused_by = by
            locked.save(update_fields=["paused_at", "paused_by"])
        suppress_queued(registry=locked)
        reservations_release_for_step_back(registry=locked)
    registry.paused_at, registry.paused_by = locked.paused_at, locked.paused_by
    return locked


def registry_resume(*, registry: Registry, by: User) -> Registry:
    """Let the registry be seen and talked about again. Nothing held while paused is sent afterwards:
    whatever is still waiting from the paused time is cancelled first; new events alert again. Idempotent.
    """
    from gratitude.notifications.care import suppress_queued

    with transaction.atomic():
        locked = lock_registry(registry.pk)
        assert locked is not None
        _require_role(registry=locked, user=by, roles=PAUSE_ROLES, action="resume the registry")
        if locked.paused_at is not None:
            # Still paused while this runs, so every row written during the pause is cancelled.
            suppress_queued(registry=locked)
            locked.paused_at = None
            locked.paused_by = None
            locked.save(update_fields=["paused_at", "paused_by"])
    registry.paused_at, registry.paused_by = None, None
    return locked
