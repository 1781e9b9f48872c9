"""Template context every page needs: the environment badge and the site's name, and the CSRF placeholder
while a plain guest's page is being kept (core/guest_pages.py)."""

from django.http import HttpRequest

from gratitude.core import conf, guest_pages


def site(request: HttpRequest) -> dict[str, object]:
    context: dict[str, object] = {
        "gratitude_env": conf.env(),
        "dev_mailbox_enabled": conf.dev_mailbox(),
    }
    if guest_pages.is_keeping(request):
        # Overrides Django's own csrf processor, which runs first.
        context["csrf_token"] = guest_pages.CSRF_PLACEHOLDER
    return context
