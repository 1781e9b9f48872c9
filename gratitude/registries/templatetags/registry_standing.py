"""`{% registry_standing registry as standing %}`: a registry's true state on every member page (see
selectors.registry_standing), so the shared sub-navigation can say it without each view passing it."""

from __future__ import annotations

from django import template

from gratitude.registries import selectors
from gratitude.registries.models import Registry

register = template.Library()


@register.simple_tag
def registry_standing(registry: Registry) -> selectors.RegistryStanding:
    return selectors.registry_standing(registry=registry)
