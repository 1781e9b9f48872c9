"""URLs for registrants' registry pages, invitations, pausing, and the public search."""

from django.urls import path

from gratitude.registries import pause_views, views

app_name = "registries"

urlpatterns = [
    path("", views.registry_list, name="list"),
    path("new/", views.registry_new, name="new"),
    path("find/", views.search, name="search"),
    path("invitations/<str:token>/", views.invitation, name="invitation"),
    # The footer's "Pause all messages about this registry": works without signing in (pause_link.py).
    path("pause/<str:token>/", pause_views.pause_link, name="pause_link"),
    path("<int:registry_id>/", views.registry_detail, name="detail"),
    path("<int:registry_id>/items/", views.item_add, name="item_add"),
    path("<int:registry_id>/items/from-link/", views.item_from_link, name="item_from_link"),
    path("<int:registry_id>/items/manage/", views.items_manage, name="items"),
    path("<int:registry_id>/items/<int:item_id>/edit/", views.item_edit, name="item_edit"),
    path(
        "<int:registry_id>/items/<int:item_id>/move/<str:direction>/",
        views.item_move,
        name="item_move",
    ),
    path("<int:registry_id>/items/<int:item_id>/archive/", views.item_archive, name="item_archive"),
    path("<int:registry_id>/items/<int:item_id>/restore/", views.item_restore, name="item_restore"),
    path("<int:registry_id>/settings/", views.registry_settings, name="settings"),
    path("<int:registry_id>/archive/", views.registry_archive, name="archive"),
    path("<int:registry_id>/unarchive/", views.registry_unarchive, name="unarchive"),
    path("<int:registry_id>/people/", views.people, name="people"),
    path("<int:registry_id>/people/invite/", views.invite, name="invite"),
    path(
        "<int:registry_id>/people/invitations/<int:invitation_id>/withdraw/",
        views.invitation_revoke,
        name="invitation_revoke",
    ),
    path("<int:registry_id>/people/<int:member_id>/remove/", views.member_remove, name="member_remove"),
    path("<int:registry_id>/alerts/", views.alerts, name="alerts"),
    path("<int:registry_id>/share-link/qr.<str:fmt>", views.share_qr, name="share_qr"),
    path("<int:registry_id>/photo/", views.registry_photo, name="photo"),
    path("<int:registry_id>/share-link/reset/", views.share_link_reset, name="share_link_reset"),
    path("<int:registry_id>/pause/", pause_views.pause, name="pause"),
    path("<int:registry_id>/paused/", pause_views.paused, name="paused"),
    path("<int:registry_id>/resume/", pause_views.resume, name="resume"),
    path("<int:registry_id>/quiet/<int:member_id>/", pause_views.quiet_for, name="quiet_for"),
]
