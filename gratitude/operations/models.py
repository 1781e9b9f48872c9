"""What operators control and see: send switches (halts and tripped breakers), alerts, the audit log."""

from __future__ import annotations

from django.conf import settings
from django.db import models

ALL_KINDS = "*"


class SendControl(models.Model):
    """A halt switch for one kind, or for every kind (`kind="*"`). Absent or not halted: sending runs.

    A breaker trip is a halt whose `source` is "breaker"; only an operator's resume clears it.
    """

    class Source(models.TextChoices):
        OPERATOR = "operator", "An operator"
        BREAKER = "breaker", "A tripped breaker"

    kind = models.CharField(max_length=40, unique=True)
    halted = models.BooleanField(default=False)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.OPERATOR)
    reason = models.CharField(max_length=500, blank=True)
    changed_at = models.DateTimeField()
    changed_by = models.CharField(max_length=200, blank=True)

    def __str__(self) -> str:
        state = f"halted by {self.source}: {self.reason}" if self.halted else "running"
        return f"{self.kind}: {state}"


class OperatorAlert(models.Model):
    """Something an operator must look at (a breaker tripped). Recorded and logged, never only logged."""

    kind = models.CharField(max_length=40)
    message = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.message


class AuditEntry(models.Model):
    """Append-only record of every operator action: who, when, what, why."""

    actor = models.CharField(max_length=200)
    action = models.CharField(max_length=60)
    target = models.CharField(max_length=200, blank=True)
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.actor} {self.action} {self.target}"
