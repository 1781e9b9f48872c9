"""App config for demo: the demo data `make run` loads (`gratitude demo_data`), on top of every domain app."""

from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "gratitude.demo"
    label = "demo"
