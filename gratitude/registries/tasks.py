"""Background tasks for registries: ids in, a service call out."""

from __future__ import annotations

from django_tasks import task

from gratitude.registries.services.lifecycle import registry_lifecycle_step


@task()
def registry_lifecycle_step_task(registry_id: int) -> str:
    """Send the archive notice, or archive, when the registry's dates say so (the service re-checks)."""
    return registry_lifecycle_step(registry_id=registry_id)
