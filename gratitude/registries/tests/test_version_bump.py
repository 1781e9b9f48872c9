"""The bump after a commit is the one that retires share pages kept from older data (registries/versions.py):
a passing cache failure must not leave a registry just made private or paused showing its old page."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.core.cache import cache

from gratitude.registries import versions

pytestmark = pytest.mark.django_db


def _failing_set(failures: int) -> Any:
    real_set = cache.set
    calls = {"n": 0}

    def flaky(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] <= failures:
            raise ConnectionError("Redis blinked")
        return real_set(*args, **kwargs)

    return flaky


def test_the_bump_after_the_commit_is_tried_again_after_a_passing_failure(
    monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
):
    monkeypatch.setattr(versions.time, "sleep", lambda seconds: None)
    with django_capture_on_commit_callbacks() as callbacks:
        versions.registry_version_bump(41)
    before_commit = versions.registry_version(registry_id=41)
    monkeypatch.setattr(cache, "set", _failing_set(failures=2))

    for callback in callbacks:
        callback()

    assert versions.registry_version(registry_id=41) != before_commit


def test_a_bump_that_keeps_failing_is_logged_and_does_not_fail_the_committed_write(
    monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any, caplog: pytest.LogCaptureFixture
):
    monkeypatch.setattr(versions.time, "sleep", lambda seconds: None)
    with django_capture_on_commit_callbacks() as callbacks:
        versions.registry_version_bump(42)
    monkeypatch.setattr(cache, "set", _failing_set(failures=99))

    with caplog.at_level(logging.ERROR, logger="gratitude.registries"):
        for callback in callbacks:
            callback()  # no exception: the write it follows is already committed

    assert "registry-version:42 not changed after a commit" in caplog.text
