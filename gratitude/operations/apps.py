"""App config for the operators' controls: send switches, breakers, alerts and the audit log."""

from django.apps import AppConfig


class OperationsConfig(AppConfig):
    name = "gratitude.operations"
    label = "operations"

    def ready(self) -> None:
        from gratitude.notifications.sending.ports import CampaignFacts, register_campaign_facts
        from gratitude.operations.selectors import occasions_by_message

        # The send-time occasion opt-out asks what a campaign row speaks of
        # (notifications/sending/occasion_opt_outs.py).
        register_campaign_facts(CampaignFacts(occasions_by_message=occasions_by_message))
