"""A Hypothesis state machine for quiet mode and registry pause (docs/safety.md promise 9,
docs/quiet-mode.md).

Alex owns a baby registry (with a co-registrant, Pat, and a delegate member, Hal) and has named a trusted
delegate, Sam, who accepted and chose to receive must-go messages. Random sequences of: gifts recorded (by
guests, or by a store while the registry is paused), Alex giving to a friend's registry and asking for a
receipt, holds with a reminder, the periodic thank-you reminders and lifecycle step (archive notice),
invitations, a daily digest, quiet mode on and off (by Alex or Sam: Hal's registry role never reaches it),
pause and resume (by Pat, Alex or Hal), the real worker (`gratitude worker --drain`), and the clock moving
hours to weeks, past the event date.
Mail goes to a real SMTP server (aiosmtpd, gratitude/testing/smtp.py).

Checked at every worker run, against the world at that moment, for each message the SMTP server accepted:
- while Alex is quiet, nothing reaches Alex (a receipt Alex asked for reaches Sam instead);
- while the registry is paused, nothing about it reaches anyone, except the kind word to a giver whose hold
  the pause released;
- no message reads like a survey, a condolence or an "are you sure?".
After every step: every gift recorded is on the Thank You List, whatever was paused or quiet; a row that was
waiting when quiet mode or the pause ended was cancelled then, and is never sent. And after a full resume, a
new gift alerts Alex again.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone
from hypothesis import note
from hypothesis import strategies as st
from hypothesis.stateful import initialize, invariant, precondition, rule

from gratitude.accounts.models import QuietDelegate, User
from gratitude.accounts.services import quiet_mode_disable, quiet_mode_enable
from gratitude.core.errors import GratitudeError
from gratitude.gifts.models import Gift, GiftState
from gratitude.gifts.services import gift_record, reservation_create
from gratitude.notifications.models import FINAL_STATES, Notification, NotificationState
from gratitude.operations.models import SendControl
from gratitude.registries.models import Item, MemberRole, Registry
from gratitude.registries.services.invitations import registry_invitation_create
from gratitude.registries.services.lifecycle import registry_lifecycle_step
from gratitude.registries.services.members import registry_member_add, registry_member_set_alerts
from gratitude.registries.services.pause import registry_pause, registry_resume
from gratitude.testing.factories import make_item, make_registry, make_user
from gratitude.testing.smtp import SmtpSink
from gratitude.thanks.selectors import thank_you_list
from gratitude.thanks.services import thank_you_reminders_enqueue
from tests.properties.machine_support import (
    ClockedMachine,
    configure_sending,
    drain_worker,
    run_machine,
    tracked,
)

EVENT_IN = timedelta(days=21)
ARCHIVE_AFTER_DAYS = 21
START = datetime(2031, 5, 5, 9, 30, tzinfo=UTC)
# The caused-by-the-pause notice to a giver; everything else about a paused registry is held back.
PAUSE_NOTICE = "reservation_released"
UNKIND = ("survey", "feedback", "sorry", "condolence", "loss", "are you sure", "why did you", "tell us")
CLOCK_STEPS = st.one_of(
    st.integers(min_value=1, max_value=23).map(lambda h: timedelta(hours=h)),
    st.integers(min_value=1, max_value=6).map(lambda d: timedelta(days=d)),
    st.integers(min_value=1, max_value=3).map(lambda w: timedelta(weeks=w)),
)


class QuietModeMachine(ClockedMachine):
    sink: SmtpSink  # set by the test before the machine runs

    def __init__(self) -> None:
        super().__init__()
        self.seen = 0
        self.gifts: list[tuple[int, int]] = []  # (registry pk, gift pk)
        self.retired: set[int] = set()  # rows that were waiting when quiet mode or the pause ended
        self.was_stepped_back = False
        self.invites = 0

    # --- setup ------------------------------------------------------------------------------------------

    @initialize(alex_alerts=st.sampled_from(["instant", "digest"]))
    @tracked
    def open_registry(self, alex_alerts: str) -> None:
        self.start_example(START)
        self.sink.messages.clear()
        self.alex = make_user(display_name="Alex Rivera")
        self.pat = make_user(display_name="Pat Rivera")
        self.hal = make_user(display_name="Hal Helper")
        self.sam = make_user(display_name="Sam Trusted")
        self.friend = make_user(display_name="Fran Friend")
        self.givers = [make_user(display_name=f"Giver {n}") for n in range(3)]
        self.registry = make_registry(
            owner=self.alex,
            title="Baby Rivera",
            occasion="baby",
            event_date=(START + EVENT_IN).date(),
            visibility="public",
        )
        registry_member_set_alerts(member=self.registry.members.get(user=self.alex), alerts=alex_alerts)
        registry_member_add(registry=self.registry, user=self.pat)
        registry_member_add(registry=self.registry, user=self.hal, role=MemberRole.DELEGATE)
        QuietDelegate.objects.create(
            user=self.alex,
            email=self.sam.email,
            delegate=self.sam,
            accepted_at=timezone.now(),
            receives_must_go=True,
        )
        self.items = [make_item(registry=self.registry, quantity=500).pk for _ in range(2)]
        self.friends_registry = make_registry(owner=self.friend, title="Fran's housewarming")
        self.friends_item = make_item(registry=self.friends_registry, quantity=500).pk

    def final_check(self) -> None:
        assert self.clock is not None
        # Weeks past the event date: the lifecycle, the reminders and the worker all get their turn.
        self.clock.shift(EVENT_IN + timedelta(weeks=6))
        registry_lifecycle_step(registry_id=self.registry.pk)
        thank_you_reminders_enqueue()
        self.run_worker_now()
        self.check_thank_you_list()

    # --- the world as it is now -------------------------------------------------------------------------

    def quiet(self) -> bool:
        return User.objects.get(pk=self.alex.pk).quiet_since is not None

    def paused(self) -> bool:
        return Registry.objects.get(pk=self.registry.pk).paused_at is not None

    def archived(self) -> bool:
        return Registry.objects.get(pk=self.registry.pk).archived_at is not None

    def stepped_back(self) -> bool:
        return self.quiet() or self.paused()

    def actor(self, data: st.DataObject, people: list[User]) -> User:
        return data.draw(st.sampled_from(people), label="by")

    # --- rules: what happens in the world ----------------------------------------------------------------

    @precondition(lambda self: not self.archived())
    @rule(item=st.integers(0, 1), giver=st.integers(0, 2), store=st.booleans())
    @tracked
    def record_gift(self, item: int, giver: int, store: bool) -> None:
        # A guest cannot reach a registry that stepped back; a store's order already on its way still can.
        source = "store" if store or self.stepped_back() else "guest"
        person = self.givers[giver]
        gift = gift_record(
            item=Item.objects.get(pk=self.items[item]),
            giver_name=person.name,
            giver_email=person.email,
            source=source,
        )
        self.gifts.append((self.registry.pk, gift.pk))

    @rule()
    @tracked
    def alex_gives_to_a_friend_with_a_receipt(self) -> None:
        gift = gift_record(
            item=Item.objects.get(pk=self.friends_item),
            giver_name="Alex",
            giver_email=self.alex.email,
            send_receipt=True,
        )
        self.gifts.append((self.friends_registry.pk, gift.pk))

    @precondition(lambda self: not self.archived())
    @rule(giver=st.integers(0, 2))
    @tracked
    def reserve_with_a_reminder(self, giver: int) -> None:
        person = self.givers[giver]
        item = Item.objects.get(pk=self.items[0])
        if self.stepped_back():
            with pytest.raises(GratitudeError):
                reservation_create(item=item, giver_name=person.name, giver_email=person.email, remind=True)
            return
        reservation_create(item=item, giver_name=person.name, giver_email=person.email, remind=True)

    @rule()
    @tracked
    def periodic_jobs(self) -> None:
        thank_you_reminders_enqueue()
        registry_lifecycle_step(registry_id=self.registry.pk)

    @precondition(lambda self: not self.archived() and self.invites < 10)
    @rule()
    @tracked
    def pat_invites_someone(self) -> None:
        self.invites += 1
        registry_invitation_create(
            registry=self.registry,
            invited_by=self.pat,
            email=f"invitee{self.invites}@example.test",
            name="Kim",
        )

    @rule(data=st.data())
    @tracked
    def quiet_mode_on(self, data: st.DataObject) -> None:
        by = self.actor(data, [self.alex, self.sam])
        quiet_mode_enable(user=self.alex, by=by)
        self.was_stepped_back = True
        waiting = Notification.objects.filter(recipient=self.alex).exclude(state__in=FINAL_STATES)
        assert not waiting.exclude(kind="gift_receipt").exists(), "quiet mode left mail waiting for Alex"

    @rule(data=st.data())
    @tracked
    def quiet_mode_off(self, data: st.DataObject) -> None:
        by = self.actor(data, [self.alex, self.sam])
        was_quiet = self.quiet()
        before = self.waiting(recipient=self.alex)
        quiet_mode_disable(user=self.alex, by=by)
        if was_quiet:
            self.retire(before)

    @rule(data=st.data())
    @tracked
    def pause(self, data: st.DataObject) -> None:
        by = self.actor(data, [self.pat, self.alex, self.hal])
        registry_pause(registry=self.registry, by=by)
        self.was_stepped_back = True
        waiting = Notification.objects.filter(registry=self.registry).exclude(state__in=FINAL_STATES)
        assert not waiting.exclude(kind=PAUSE_NOTICE).exists(), "the pause left mail about it waiting"

    @rule(data=st.data())
    @tracked
    def resume(self, data: st.DataObject) -> None:
        by = self.actor(data, [self.pat, self.alex, self.hal])
        was_paused = self.paused()
        before = self.waiting(registry=self.registry)
        registry_resume(registry=self.registry, by=by)
        if was_paused:
            self.retire(before)

    def waiting(self, **about: Any) -> set[int]:
        """Rows not yet final that quiet mode or the pause was holding back."""
        rows = Notification.objects.filter(**about).exclude(state__in=FINAL_STATES)
        return set(rows.exclude(kind__in=["gift_receipt", PAUSE_NOTICE]).values_list("pk", flat=True))

    def retire(self, rows: set[int]) -> None:
        """Resuming replays nothing: what was held is cancelled at once, and stays so."""
        self.retired |= rows
        for pk, state, reason in Notification.objects.filter(pk__in=rows).values_list(
            "pk", "state", "reason"
        ):
            assert state == NotificationState.SUPPRESSED, f"row {pk} still {state} after resuming"
            assert reason in ("quiet_mode", "registry_paused"), reason

    @rule(step=CLOCK_STEPS)
    @tracked
    def time_passes(self, step: timedelta) -> None:
        assert self.clock is not None
        self.clock.shift(step)

    @rule()
    @tracked
    def run_worker(self) -> None:
        self.run_worker_now()

    @precondition(lambda self: self.was_stepped_back)
    @rule(data=st.data())
    @tracked
    def full_resume_then_a_new_gift_alerts_again(self, data: st.DataObject) -> None:
        assert self.clock is not None
        if self.archived():
            return
        quiet_mode_disable(user=self.alex, by=self.alex)
        registry_resume(registry=self.registry, by=self.pat)
        self.was_stepped_back = False
        gift = gift_record(item=Item.objects.get(pk=self.items[1]), giver_name="New Giver")
        self.gifts.append((self.registry.pk, gift.pk))
        row = Notification.objects.get(gift=gift, recipient=self.alex)
        for _ in range(4):  # settle, then perhaps the digest hour of the following day
            self.clock.shift(timedelta(hours=12))
            self.run_worker_now()
            row.refresh_from_db()
            if row.state == NotificationState.SENT:
                break
        assert row.state == NotificationState.SENT, (
            f"after a full resume a new gift did not alert: {row.reason}"
        )
        assert any(str(m["Message-ID"]) == row.message_id for m in self.sink.to(self.alex.email))

    # --- sending, and what reached the SMTP server ----------------------------------------------------------

    def run_worker_now(self) -> None:
        quiet, paused = self.quiet(), self.paused()
        drain_worker()
        fresh = self.sink.messages[self.seen :]
        self.seen = len(self.sink.messages)
        for message in fresh:
            self.check_message(message, quiet=quiet, paused=paused)

    def check_message(self, message: Any, *, quiet: bool, paused: bool) -> None:
        kind = str(message["X-Gratitude-Kind"])
        to = str(message["To"])
        row = Notification.objects.select_related("recipient").get(
            reference=str(message["X-Gratitude-Reference"])
        )
        note(f"sent {kind} to {to} (quiet={quiet}, paused={paused})")
        assert row.pk not in self.retired, (
            f"a {kind} held back by quiet mode or the pause went out after resuming"
        )
        if quiet:
            assert self.alex.email not in to, f"a {kind} reached Alex in quiet mode"
            if row.recipient_id == self.alex.pk:
                assert kind == "gift_receipt" and self.sam.email in to, (
                    f"a {kind} for quiet Alex went to {to}"
                )
        if paused and row.registry_id == self.registry.pk:
            assert kind == PAUSE_NOTICE, f"a {kind} about the paused registry went to {to}"
        text = " ".join(
            [
                str(message["Subject"]),
                message.get_body(preferencelist=("plain",)).get_content(),
            ]
        ).lower()
        # The words, not the links: a signed link's random letters could spell anything.
        text = re.sub(r"https?://\S+", "", text)
        for phrase in UNKIND:
            assert phrase not in text, f"a {kind} says {phrase!r}"

    # --- invariants ---------------------------------------------------------------------------------------

    @invariant()
    @tracked
    def every_gift_is_on_the_thank_you_list(self) -> None:
        if self.clock is not None:
            self.check_thank_you_list()

    def check_thank_you_list(self) -> None:
        for registry_pk, gift_pk in self.gifts:
            registry = Registry.objects.get(pk=registry_pk)
            assert thank_you_list(registry=registry).filter(pk=gift_pk).exists(), f"gift {gift_pk} is missing"
        assert not Gift.objects.exclude(state=GiftState.ACTIVE).exists()

    @invariant()
    @tracked
    def no_genuine_message_reads_as_forged(self) -> None:
        # Every row here comes from a service, for something that happened: a breaker tripped means a
        # send-time check mistook a real event for a forged one, and it would stop the kind for everyone.
        tripped = SendControl.objects.filter(halted=True).values_list("kind", "reason")
        assert not tripped.exists(), f"a genuine message tripped a breaker: {list(tripped)}"

    @invariant()
    @tracked
    def retired_rows_stay_cancelled(self) -> None:
        sent = Notification.objects.filter(pk__in=self.retired, state=NotificationState.SENT)
        assert not sent.exists(), "a row held back by quiet mode or the pause was sent after resuming"


@pytest.mark.django_db(transaction=True)
def test_quiet_mode_state_machine(settings: Any, smtp_settings: SmtpSink) -> None:
    configure_sending(settings, quiet_hours="off", digest_hour=18, allowlist=["*@example.test"])
    settings.GRATITUDE_ARCHIVE_AFTER_DAYS = ARCHIVE_AFTER_DAYS
    QuietModeMachine.sink = smtp_settings
    # Hunt harder locally with GRATITUDE_QUIET_PROPERTY_EXAMPLES=100; small here so it runs < 60 s.
    run_machine(QuietModeMachine, examples_env="GRATITUDE_QUIET_PROPERTY_EXAMPLES", examples=12, steps=20)
