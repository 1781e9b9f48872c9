"""Arrange gratitude/notifications as a package that shows the pipeline: outbox -> sending -> rendering ->
transport, the pages people reach from a message (web), and the dev-only pieces apart (devtools).

Run from the repository root: `python tools/redesign/notifications_layout.py`. Moves with `git mv` so history
follows, rewrites every reference, then ruff fixes imports and formats the touched files. Refuses (exit 1)
when the layout is already applied or when it meets a module the mapping does not place.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _moves import ROOT, Edits, Refusal, check_layout, die, move_modules, write_packages

PACKAGE = "gratitude.notifications"

# old module -> new place (dotted, under gratitude.notifications). A module missing from the disk is skipped
# (another change removed it); a module on disk missing here stops the script.
MOVES = {
    # The outbox: what a kind is, and writing rows (models stay in models.py).
    "kinds": "outbox.kinds",
    "refusals": "outbox.refusals",
    "services": "outbox.enqueue",
    "outbox": "outbox.writes",  # the generic outbox_write, if the ground-and-domains change added it
    "idempotency": "outbox.idempotency",
    "triggers": "outbox.triggers",
    "selectors": "outbox.selectors",
    # Sending: the worker's claim-guard-send loop and every send-time decision.
    "delivery": "sending.delivery",
    "guards": "sending.guards",
    "batch_facts": "sending.batch_facts",
    "blast_radius": "sending.blast_radius",
    "pacing": "sending.pacing",
    "care": "sending.quiet_mode",
    "occasions": "sending.occasion_opt_outs",
    "unconfirmed": "sending.unconfirmed_addresses",
    "suppression": "sending.suppression",
    "tasks": "sending.tasks",
    "ports": "sending.ports",
    "controls": "sending.controls",  # the halt switches and breaker trips (models, tables kept)
    "breakers": "sending.breakers",
    # Rendering: templates to a message, and the checks every message passes.
    "rendering": "rendering.messages",
    "mail_templates": "rendering.template_engine",
    "mail_checks": "rendering.bait_checks",
    "copy_lint": "rendering.copy_lint",
    # Transport: the bytes, the signature, the backends, and what the provider reports back.
    "wire": "transport.message_bytes",
    "dkim": "transport.dkim",
    "transport": "transport.backends",
    "webhooks": "transport.delivery_events",
    # Web: pages and links people reach from a message.
    "views": "web.views",
    "urls": "web.urls",
    "unsubscribe": "web.unsubscribe",
    "pause_link": "web.pause_link",
    "provider_webhooks": "web.provider_webhooks",
    "throttle": "web.rate_limit",
    # Dev and test only.
    "samples": "devtools.samples",
    "faults": "devtools.fault_points",
}

# Where Django (or the app's own convention) expects them.
KEEP = {"__init__", "models", "apps", "admin", "checks", "conf"}
KEEP_DIRS = {"migrations", "management", "templates", "tests", "static"}

PACKAGES = {
    "outbox": "The outbox: the kinds of message, and writing one row per intended message in the business "
    "transaction (docs/notifications.md).",
    "sending": "Sending: the worker claims due rows and decides, row by row, whether each may go now "
    "(docs/safety.md promises 3, 5, 9, 16).",
    "rendering": "Rendering: an outbox row to a message through the mail templates, with the checks every "
    "message passes (no bait, the copy lint).",
    "transport": "Transport: the bytes of a message, its DKIM signature, the mail backends, and the events "
    "the provider reports back.",
    "web": "Pages and links people reach from a message: the notification centre, unsubscribe, the pause "
    "link, the provider's webhook.",
    "devtools": "Dev and test only: sample messages for previews, and the fault points of the drills.",
}


def main() -> None:
    pkg_dir = ROOT / PACKAGE.replace(".", "/")
    if not pkg_dir.is_dir():
        die(f"run from the repository root ({pkg_dir} not found)")
    applied = [sub for sub in PACKAGES if (pkg_dir / sub).exists()]
    if applied:
        die("the layout is already applied (these folders exist):", [f"{pkg_dir / s}" for s in applied])
    check_layout(pkg_dir=pkg_dir, moves=MOVES, keep=KEEP, keep_dirs=KEEP_DIRS)
    present = {old: new for old, new in MOVES.items() if (pkg_dir / f"{old}.py").exists()}
    targets = list(present.values())
    clashes = sorted({t for t in targets if targets.count(t) > 1})
    if clashes:
        die("two modules on disk map to the same place:", clashes)
    edits = Edits()
    try:
        move_modules(package=PACKAGE, moves=present, edits=edits)
    except Refusal as exc:
        die(str(exc))
    write_packages(pkg_dir=pkg_dir, docstrings=PACKAGES, edits=edits)
    edits.finish()
    for old, new in present.items():
        print(f"moved notifications/{old}.py -> notifications/{new.replace('.', '/')}.py")


if __name__ == "__main__":
    main()
