"""The sending path's own switches: halts (by an operator or a tripped breaker) and the alerts a trip raises.

The worker reads these before every message and trips a breaker itself (sending/guards.py,
sending/breakers.py), so they belong to the sending machinery, not to the operators' app above it
(docs/architecture.md, the layers). Operations keeps the console, the commands and
`sends_halt`/`sends_resume`, and imports them from here. The tables keep the names they had under operations
(`db_table`), so moving them moved no data (migrations notifications 0004 and operations 0005).
"""

from __future__ import annotations

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

    class Meta:
        db_table = "operations_sendcontrol"

    def __str__(self) -> str:
        state = f"halted by {self.source}: {self.reason}" if self.halted else "running"
        return f"{self.kind}: {state}"


class OperatorAlert(models.Model):
    """Something an operator must look at (a breaker tripped). Recorded and logged, never only logged."""

    kind = models.CharField(max_length=40)
    message = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.CharField(max_length=200, blank=True)

    class Meta:
        db_table = "operations_operatoralert"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.message
