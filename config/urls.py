"""The site's URL map; each app owns its own urls.py."""

from django.contrib import admin
from django.urls import include, path

from gratitude.core.views import home
from gratitude.notifications.views import dev_mailbox, dev_mailbox_message

urlpatterns = [
    path("", home, name="home"),
    path("accounts/", include("gratitude.accounts.urls")),
    path("registries/", include("gratitude.registries.urls")),
    path("registries/", include("gratitude.thanks.urls")),
    path("r/", include("gratitude.gifts.urls")),
    # Both answer 404 outside dev (see notifications/views.py).
    path("dev/mailbox/", dev_mailbox, name="dev_mailbox"),
    path("dev/mailbox/<str:name>/", dev_mailbox_message, name="dev_mailbox_message"),
    path("admin/", admin.site.urls),
]
