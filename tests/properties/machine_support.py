"""What the Hypothesis state machines in tests/properties share: a frozen clock each example starts and
stops, an empty database at the start of each example, the guard that keeps teardown's final check from
masking a step's failure, the real worker, and the settings both run under.

Each machine keeps its own rules, invariants and model; nothing here decides what is checked.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

import time_machine
from django.apps import apps
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection
from django_tasks_db.models import DBTaskResult
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from hypothesis.stateful import RuleBasedStateMachine, run_state_machine_as_test

# The pacing both machines run under: a gift settles for ten minutes, one message per digest window.
SETTLE = timedelta(seconds=600)
WINDOW = timedelta(seconds=3600)

F = TypeVar("F", bound=Callable[..., Any])


def tracked(fn: F) -> F:
    """Mark the machine unclean while a step runs: teardown's final check must never mask a failure."""

    @functools.wraps(fn)
    def wrapper(self: ClockedMachine, *args: Any, **kwargs: Any) -> Any:
        self.clean = False
        result = fn(self, *args, **kwargs)
        self.clean = True
        return result

    return wrapper  # type: ignore[return-value]


def reset_database() -> None:
    """Empty every table of the project's models (and the task queue) between examples.

    A flush of the tables rather than ORM deletes: the PROTECT foreign keys between the outbox, gifts and
    registries need no ordering, and models that other apps add later are emptied too.
    """
    labels = {config.label for config in apps.get_app_configs() if config.name.startswith("gratitude.")}
    labels.add(DBTaskResult._meta.app_label)
    existing = set(connection.introspection.table_names())
    tables = [
        model._meta.db_table
        for model in apps.get_models(include_auto_created=True)
        if model._meta.app_label in labels and model._meta.db_table in existing
    ]
    statements = connection.ops.sql_flush(no_style(), tables, allow_cascade=True)
    connection.ops.execute_sql_flush(statements)


def drain_worker() -> None:
    """The real worker, in-process: `gratitude worker --drain`."""
    call_command("worker", drain=True, verbosity=0)


class ClockedMachine(RuleBasedStateMachine):
    """A state machine whose examples each start on an empty database with the clock frozen at a chosen
    instant, and end, unless a step already failed, with the subclass's `final_check`."""

    def __init__(self) -> None:
        super().__init__()
        self.clean = True
        self.traveller: time_machine.travel | None = None
        self.clock: time_machine.Traveller | None = None

    def start_example(self, at: datetime) -> None:
        """Empty the database and freeze the clock at `at`; it moves only when a rule shifts it."""
        reset_database()
        self.traveller = time_machine.travel(at, tick=False)
        self.clock = self.traveller.start()

    def final_check(self) -> None:
        """What must hold once an example that got this far without a failure is over."""

    def teardown(self) -> None:
        try:
            if self.clean and self.clock is not None:
                self.final_check()
        finally:
            if self.traveller is not None:
                self.traveller.stop()


def configure_sending(settings: Any, *, quiet_hours: str, digest_hour: int, allowlist: list[str]) -> None:
    """The send settings a machine runs under: SETTLE and WINDOW, its quiet and digest hours, no blast-radius
    floor a legitimate sequence could reach, and which addresses may receive mail."""
    settings.GRATITUDE_ALERT_SETTLE_SECONDS = int(SETTLE.total_seconds())
    settings.GRATITUDE_DIGEST_WINDOW_SECONDS = int(WINDOW.total_seconds())
    settings.GRATITUDE_QUIET_HOURS = quiet_hours
    settings.GRATITUDE_DIGEST_HOUR = digest_hour
    settings.GRATITUDE_BLAST_FLOOR_PER_HOUR = 1_000_000
    settings.GRATITUDE_MAIL_ALLOWLIST = allowlist


def run_machine(
    machine: type[RuleBasedStateMachine], *, examples_env: str, examples: int, steps: int
) -> None:
    """Run `machine` for `examples` examples (or as many as the environment variable `examples_env` says)
    of up to `steps` steps, with no deadline: a step runs the real worker and may take a while."""
    run_state_machine_as_test(
        machine,
        settings=hypothesis_settings(
            max_examples=int(os.environ.get(examples_env, str(examples))),
            stateful_step_count=steps,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        ),
    )
