"""Template context every page needs: the environment badge and the site's name."""

from django.http import HttpRequest

from gratitude.core import conf


def site(request: HttpRequest) -> dict[str, object]:
    return {
        "gratitude_env": conf.env(),
        "dev_mailbox_enabled": conf.dev_mailbox(),
    }
