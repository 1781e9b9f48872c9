"""Split gratitude/operations/campaigns.py (writes and reads of campaigns in one module) into a package:
`lifecycle` (the writes, draft to cancel, under the two-person rule), `canary` (writing slices and the
canary's checks between them), `preview` (what an operator sees before approving), the helpers both writers
share (`shared`); its reads go to gratitude/operations/selectors.py. No re-export shim.

Run from the repository root: `python tools/redesign/split_campaigns.py` (after notifications_layout.py).
Refuses (exit 1) when already applied or when it meets a top-level name the mapping does not place.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _moves import COPY, ROOT, Edits, Refusal, die, split_module

SOURCE = "gratitude.operations.campaigns"
P = SOURCE + "."
READS = "gratitude.operations.selectors"

# top-level name -> module. A name no longer in the source is skipped; a name missing here stops the script.
MAPPING = {
    # Reads: what a campaign is, speaks of and is bound to; how its canary went (appended to selectors).
    "_kind_category": READS,
    "campaign_audience": READS,
    "template_version": READS,
    "campaign_fingerprint": READS,
    "campaign_occasions": READS,
    "occasions_by_message": READS,
    "_declared": READS,
    "recalled_occasions": READS,
    "EDITABLE": READS,
    "campaign_editable": READS,
    "Drift": READS,
    "audience_drift": READS,
    "CanaryReport": READS,
    "canary_rows": READS,
    "canary_report": READS,
    # Helpers both writers use.
    "WRITE_BATCH": P + "shared",
    "_target": P + "shared",
    "_locked": P + "shared",
    "_halt": P + "shared",
    "_approval_holds": P + "shared",
    # Lifecycle: the writes, draft to cancel.
    "BAIT_WORDING": P + "lifecycle",
    "_check_text": P + "lifecycle",
    "_check_kind": P + "lifecycle",
    "campaign_create": P + "lifecycle",
    "correction_draft": P + "lifecycle",
    "UNDECLARED": P + "lifecycle",
    "_inherited": P + "lifecycle",
    "campaign_edit": P + "lifecycle",
    "_to_draft": P + "lifecycle",
    "campaign_freeze": P + "lifecycle",
    "campaign_approve": P + "lifecycle",
    "_approval_refusal": P + "lifecycle",
    "campaign_start": P + "lifecycle",
    "campaign_cancel": P + "lifecycle",
    # Canary: slices of the audience written, and the checks between them.
    "RECHECK": P + "canary",
    "_write_slice": P + "canary",
    "_schedule_advance": P + "canary",
    "campaign_advance": P + "canary",
    "_advance_canary": P + "canary",
    # Preview.
    "_labels": P + "preview",
    "Preview": P + "preview",
    "SAMPLE_SIZE": P + "preview",
    "campaign_preview": P + "preview",
    # Module-level values each part that uses them keeps its own copy of.
    "logger": COPY,
}

DOCSTRINGS = {
    SOURCE: "Campaigns and corrections, from draft to done, under the two-person rule and a canary "
    '(docs/safety.md promise 4, docs/operations.md "Campaigns").',
    P + "shared": "What the campaign writers share: the row lock, the audit target, halting, and whether an "
    "approval still holds.",
    P + "lifecycle": "A campaign's writes from draft to done: create, edit, freeze, approve (two people), "
    "start, cancel; a correction drafted from a recall.",
    P
    + "canary": "The canary: the first slice of the audience is written, checked after a wait, and only then "
    "the rest, paced.",
    P + "preview": "What an operator sees before approving: the message as a sample of its audience gets it.",
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
