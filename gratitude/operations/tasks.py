"""Background tasks of the operations app: ids in, a service call out."""

from __future__ import annotations

from django_tasks import task

from gratitude.operations.campaigns.canary import campaign_advance


@task()
def advance_campaign(campaign_id: int) -> str:
    """The canary's next step for one campaign; it schedules itself again while there is more to do."""
    return campaign_advance(campaign_id=campaign_id)
