"""The occasions a registry can be for: vocabulary shared by registries, opt-outs and campaigns.

A registry declares one (registries.models.Registry.occasion); people opt out of hearing about them and
campaigns declare which they speak of (notifications/sending/occasion_opt_outs.py). The list lives in core so
that the sending path can name occasions without importing the registries app above it (docs/architecture.md).
"""

from django.db import models


class Occasion(models.TextChoices):
    BABY = "baby", "Baby"
    WEDDING = "wedding", "Wedding"
    BIRTHDAY = "birthday", "Birthday"
    HOUSEWARMING = "housewarming", "Housewarming"
    GRADUATION = "graduation", "Graduation"
    OTHER = "other", "Other"
