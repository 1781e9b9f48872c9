"""Campaigns and corrections, from draft to done, under the two-person rule and a canary
(docs/safety.md promise 4).

draft -> (freeze: the audience is snapshotted) frozen -> (a second staff member approves; the approval is
bound to a hash of template version + audience definition + frozen count) approved -> (start: drift check,
then the canary slice is written) canary -> (after the wait: thresholds, drift) sending -> done. Any edit
before the first message is written returns the campaign to draft and voids the approval. A failed check
halts it with its reason and an operator alert. Every step is audited. See docs/operations.md, "Campaigns".

A campaign declares what its text speaks of (`speaks_of`: occasions, or none, chosen on purpose; quiet mode),
and a correction inherits what the messages it corrects spoke of (`recalled_occasions`). With the registry
occasions its audience is chosen by, that is `campaign_occasions`: whoever opted out of one of them is left
out of the frozen audience, and is refused again at send time (notifications/sending/occasion_opt_outs.py).
"""
