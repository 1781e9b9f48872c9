"""URLs for accounts."""

from django.contrib.auth import views as auth_views
from django.urls import path

from gratitude.accounts import views

app_name = "accounts"

urlpatterns = [
    path("signup/", views.signup, name="signup"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("verify/resend/", views.resend_verification, name="verify_resend"),
    path("verify/<str:token>/", views.verify_email, name="verify"),
    path("password-reset/", views.password_reset_request, name="password_reset"),
    path("emails/", views.mail_preferences, name="mail_preferences"),
    path(
        "reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
]
