"""URLs for accounts."""

from django.contrib.auth import views as auth_views
from django.urls import path

from gratitude.accounts import delegate_views, views

app_name = "accounts"

urlpatterns = [
    path("signup/", views.signup, name="signup"),
    path("signup/sent/", views.signup_sent, name="signup_sent"),
    path("signup/existing/", views.existing_account, name="existing_account"),
    path("login/", views.login_page, name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("verify/resend/", views.resend_verification, name="verify_resend"),
    path("verify/<str:token>/", views.verify_email, name="verify"),
    path("password-reset/", views.password_reset_request, name="password_reset"),
    path("name/", views.account_name, name="name"),
    path("emails/", views.mail_preferences, name="mail_preferences"),
    path("emails/occasions/", views.occasion_opt_outs, name="occasion_opt_outs"),
    path("quiet/", views.quiet, name="quiet"),
    path("quiet/on/", views.quiet_on, name="quiet_on"),
    path("quiet/off/", views.quiet_off, name="quiet_off"),
    path("quiet/trusted/", views.quiet_delegate_invite, name="quiet_delegate_invite"),
    path(
        "quiet/trusted/<id:delegation_id>/withdraw/",
        views.quiet_delegate_revoke,
        name="quiet_delegate_revoke",
    ),
    path("quiet/for/<id:person_id>/", views.quiet_for, name="quiet_for"),
    path("trusted/accepted/", delegate_views.quiet_delegate_done, name="quiet_delegate_done"),
    path("trusted/<str:token>/", delegate_views.quiet_delegate, name="quiet_delegate"),
    path(
        "reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
]
