"""The site's URL map; each app owns its own urls.py."""

from django.contrib import admin
from django.urls import include, path, re_path

from gratitude.api.v1 import api as api_v1
from gratitude.core.media import media_picture
from gratitude.core.views import favicon
from gratitude.notifications.web.views import (
    dev_mailbox,
    dev_mailbox_message,
    dev_mailbox_message_html,
    mail_preview,
    mail_previews,
)
from gratitude.registries.home_views import home

urlpatterns = [
    path("", home, name="home"),
    # Browsers ask for /favicon.ico on their own (feeds, bookmarks, pages without our <head>).
    path("favicon.ico", favicon),
    path("accounts/", include("gratitude.accounts.urls")),
    path("registries/", include("gratitude.registries.urls")),
    path("registries/", include("gratitude.thanks.urls")),
    path("registries/", include("gratitude.gifts.member_urls")),
    path("r/", include("gratitude.gifts.urls")),
    path("t/", include("gratitude.thanks.giver_urls")),
    # Both answer 404 outside dev (see notifications/web/views.py).
    path("dev/mailbox/", dev_mailbox, name="dev_mailbox"),
    path("dev/mailbox/<str:name>/", dev_mailbox_message, name="dev_mailbox_message"),
    path("dev/mailbox/<str:name>/html/", dev_mailbox_message_html, name="dev_mailbox_message_html"),
    path("dev/mail-previews/", mail_previews, name="dev_mail_previews"),
    path("dev/mail-previews/<str:kind>/", mail_preview, name="dev_mail_preview"),
    # The notification centre, "Is this email from us?", one-click unsubscribe, provider webhooks.
    path("mail/", include("gratitude.notifications.web.urls")),
    # The operator console (staff only): sending, halts, alerts, audit log, campaigns, recall.
    path("ops/", include("gratitude.operations.urls")),
    # The JSON API (OpenAPI at /api/v1/openapi.json, docs at /api/v1/docs), store webhooks, and the API app's
    # pages: personal tokens (/accounts/api-tokens/) and store events for operators (/ops/stores/).
    path("api/v1/", api_v1.urls),
    path("", include("gratitude.api.urls")),
    path("admin/", admin.site.urls),
    # Kept pictures (core/media.py): in dev and prod alike, with year-long immutable caching.
    re_path(
        r"^media/pictures/(?P<key>[A-Za-z0-9_-]{8,32})/(?P<width>[0-9]{2,4})\.webp$",
        media_picture,
        name="media_picture",
    ),
]
