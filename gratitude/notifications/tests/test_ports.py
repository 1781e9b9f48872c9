"""The sending path's ports are plugged in by the apps that own the facts, and its send switches kept their
tables when they moved from operations (notifications/sending/ports.py, notifications/sending/controls.py)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured

from gratitude.notifications.sending import ports
from gratitude.notifications.sending.controls import OperatorAlert, SendControl
from gratitude.testing.factories import make_registry, make_user


def test_every_port_is_plugged_in_once_the_apps_are_ready() -> None:
    assert ports.registry_facts().paused_among is not None
    assert ports.people_facts().must_go_delegates is not None
    assert ports.campaign_facts().occasions_by_message is not None


def test_a_port_nobody_plugged_in_is_a_configuration_error(monkeypatch: pytest.MonkeyPatch) -> None:
    # The guards never guess an answer: a missing owner is raised, not read as "not paused".
    monkeypatch.setattr(ports, "_registry_facts", None)
    with pytest.raises(ImproperlyConfigured):
        ports.registry_facts()


def test_the_send_switches_kept_their_tables() -> None:
    assert SendControl._meta.app_label == "notifications"
    assert SendControl._meta.db_table == "operations_sendcontrol"
    assert OperatorAlert._meta.db_table == "operations_operatoralert"


@pytest.mark.django_db
def test_the_facts_answer_for_a_whole_batch_in_one_query(django_assert_num_queries: Any) -> None:
    owner = make_user()
    registry = make_registry(owner=owner)
    with django_assert_num_queries(1):
        assert ports.registry_facts().paused_among([registry.pk, registry.pk + 1]) == set()
    with django_assert_num_queries(1):
        assert ports.registry_facts().members_of_paused([owner.pk]) == set()
    with django_assert_num_queries(1):
        assert ports.people_facts().must_go_delegates([owner.pk]) == {}
