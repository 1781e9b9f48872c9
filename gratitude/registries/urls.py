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
    path("<id:registry_id>/", views.registry_detail, name="detail"),
    path("<id:registry_id>/items/", views.item_add, name="item_add"),
    path("<id:registry_id>/items/from-link/", views.item_from_link, name="item_from_link"),
    path("<id:registry_id>/items/manage/", views.items_manage, name="items"),
    path("<id:registry_id>/items/<id:item_id>/edit/", views.item_edit, name="item_edit"),
    path(
        "<id:registry_id>/items/<id:item_id>/move/<str:direction>/",
        views.item_move,
        name="item_move",
    ),
    path("<id:registry_id>/items/<id:item_id>/archive/", views.item_archive, name="item_archive"),
    path("<id:registry_id>/items/<id:item_id>/restore/", views.item_restore, name="item_restore"),
    path("<id:registry_id>/settings/", views.registry_settings, name="settings"),
    path("<id:registry_id>/archive/", views.registry_archive, name="archive"),
    path("<id:registry_id>/unarchive/", views.registry_unarchive, name="unarchive"),
    path("<id:registry_id>/people/", views.people, name="people"),
    path("<id:registry_id>/people/invite/", views.invite, name="invite"),
    path(
        "<id:registry_id>/people/invitations/<id:invitation_id>/withdraw/",
        views.invitation_revoke,
        name="invitation_revoke",
    ),
    path("<id:registry_id>/people/<id:member_id>/remove/", views.member_remove, name="member_remove"),
    path("<id:registry_id>/alerts/", views.alerts, name="alerts"),
    path("<id:registry_id>/share-link/qr.<str:fmt>", views.share_qr, name="share_qr"),
    path("<id:registry_id>/photo/", views.registry_photo, name="photo"),
    path("<id:registry_id>/share-link/reset/", views.share_link_reset, name="share_link_reset"),
    path("<id:registry_id>/pause/", pause_views.pause, name="pause"),
    path("<id:registry_id>/paused/", pause_views.paused, name="paused"),
    path("<id:registry_id>/resume/", pause_views.resume, name="resume"),
]
