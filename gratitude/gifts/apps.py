"""App config for gifts: what givers reserve, buy or record."""

from django.apps import AppConfig


class GiftsConfig(AppConfig):
    name = "gratitude.gifts"
    label = "gifts"
