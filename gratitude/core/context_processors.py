"""Template context every page needs: the environment badge and the site's name."""

from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict[str, object]:
    return {
        "gratitude_env": settings.GRATITUDE_ENV,
        "dev_mailbox_enabled": settings.GRATITUDE_DEV_MAILBOX,
    }
