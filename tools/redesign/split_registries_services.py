"""Split gratitude/registries/services.py (one module held together by `# ---` banners) into a package with
one module per sub-domain: registries, their lifecycle and pause, members, invitations, items, adding from a
store, search names, and the helpers several share (`shared`). No re-export shim: callers import from the
module that holds the name.

Run from the repository root: `python tools/redesign/split_registries_services.py` (after
notifications_layout.py). Refuses (exit 1) when already applied or when it meets a top-level name the
mapping does not place.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _moves import COPY, ROOT, Edits, Refusal, die, split_module

SOURCE = "gratitude.registries.services"
P = SOURCE + "."

# top-level name -> module. A name no longer in the source is skipped; a name missing here stops the script.
MAPPING = {
    # Who may do what, and the checks every write shares.
    "SETTINGS_ROLES": P + "shared",
    "INVITE_ROLES": P + "shared",
    "OWNER_ONLY": P + "shared",
    "_clean_and_save": P + "shared",
    "_first_message": P + "shared",
    "_require_role": P + "shared",
    "_role_names": P + "shared",
    "_require_open": P + "shared",
    # Search names.
    "SEARCHABLE_ROLES": P + "search",
    "search_terms": P + "search",
    "registry_search_names_refresh": P + "search",
    "registry_search_names_refresh_for_user": P + "search",
    # A registry's own settings.
    "_check_words_for_givers": P + "registries",
    "registry_create": P + "registries",
    "registry_update": P + "registries",
    "_check_dates": P + "registries",
    "registry_share_link_reset": P + "registries",
    "registry_photo_set": P + "registries",
    "registry_photo_remove": P + "registries",
    # Archiving, by hand and on schedule.
    "ARCHIVE_NOTICE_DAYS": P + "lifecycle",
    "archive_after_days": P + "lifecycle",
    "registry_archive": P + "lifecycle",
    "registry_unarchive": P + "lifecycle",
    "_midnight_utc": P + "lifecycle",
    "_plan_archive": P + "lifecycle",
    "registry_lifecycle_step": P + "lifecycle",
    # Pause (docs/quiet-mode.md).
    "PAUSE_ROLES": P + "pause",
    "registry_pause": P + "pause",
    "registry_resume": P + "pause",
    # Members.
    "registry_member_add": P + "members",
    "registry_member_remove": P + "members",
    "registry_member_set_alerts": P + "members",
    # Invitations.
    "PENDING_INVITATIONS_PER_REGISTRY": P + "invitations",
    "INVITATIONS_PER_ADDRESS_PER_REGISTRY": P + "invitations",
    "INVITATION_WINDOW": P + "invitations",
    "INVITATIONS_PER_INVITER_PER_DAY": P + "invitations",
    "invitation_days": P + "invitations",
    "account_for_address": P + "invitations",
    "_check_address": P + "invitations",
    "registry_invitation_create": P + "invitations",
    "registry_invitation_revoke": P + "invitations",
    "_open_invitation": P + "invitations",
    "registry_invitation_accept": P + "invitations",
    "registry_invitation_accept_with_new_password": P + "invitations",
    # Items.
    "MAX_QUANTITY": P + "items",
    "check_quantity": P + "items",
    "_check_group_gift": P + "items",
    "item_add": P + "items",
    "_check_picture": P + "items",
    "item_update": P + "items",
    "item_move": P + "items",
    "item_archive": P + "items",
    "item_restore": P + "items",
    "item_add_off_list": P + "items",
    # Add from any store, and pictures (docs/registries.md).
    "picture_create_from_upload": P + "add_from_store",
    "picture_create_from_url": P + "add_from_store",
    "product_fetch": P + "add_from_store",
    "item_add_from_url": P + "add_from_store",
    "UNUSED_PICTURE_HOURS": P + "add_from_store",
    "pictures_unused_clear": P + "add_from_store",
    "item_pasted_picture_fetch": P + "add_from_store",
    # Module-level values each part that uses them keeps its own copy of.
    "logger": COPY,
}

DOCSTRINGS = {
    SOURCE: "Every change to registries, their members, invitations and items, one module per sub-domain "
    "(docs/registries.md).",
    P
    + "shared": 'Who may do what (docs/registries.md, "Roles"), and the checks every registry write shares.',
    P + "search": "The names a registry is found by: its registrants' names, kept in step with them.",
    P + "registries": "Creating a registry and changing its own settings: title, dates, sharing, photo.",
    P + "lifecycle": "Archiving a registry, by hand and on schedule after its event, with the notice before.",
    P + "pause": "Pausing a registry: no message about it goes out until it is resumed (docs/quiet-mode.md).",
    P + "members": "Adding and removing a registry's members, and the alerts each one chooses.",
    P + "invitations": "Inviting someone to a registry by address, and accepting or revoking the invitation.",
    P + "items": "A registry's items: adding, editing, ordering, archiving and restoring them.",
    P
    + "add_from_store": "Adding an item from any store's page, and the pictures items and registries carry.",
}


def main() -> None:
    path = ROOT / (SOURCE.replace(".", "/") + ".py")
    if path.with_suffix("").is_dir():
        die(f"already applied: {path.with_suffix('')} is a package")
    if not path.exists():
        die(f"{path} not found (run from the repository root)")
    edits = Edits()
    try:
        split_module(source=SOURCE, targets=MAPPING, docstrings=DOCSTRINGS, edits=edits)
    except Refusal as exc:
        die(str(exc))
    edits.finish()
    print(f"split {SOURCE} into {sorted({m for m in MAPPING.values() if m != COPY})}")


if __name__ == "__main__":
    main()
