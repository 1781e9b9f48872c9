"""Sign up, verify an address, log in and out, reset a forgotten password."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.views.decorators.http import require_POST

from gratitude.accounts import services
from gratitude.accounts.forms import PasswordResetRequestForm, SignupForm
from gratitude.accounts.models import User
from gratitude.core.errors import GratitudeError


def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("home")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.user_signup(
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password"],
                display_name=form.cleaned_data["display_name"],
            )
        except GratitudeError as exc:
            form.add_error("email", str(exc))
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(
                request, f"Welcome! We sent a link to {user.email}: open it to confirm your address."
            )
            return redirect("home")
    return render(request, "accounts/signup.html", {"form": form})


def verify_email(request: HttpRequest, token: str) -> HttpResponse:
    user = services.user_verify_email(token=token)
    if user is None:
        return render(request, "accounts/verify_failed.html", status=400)
    messages.success(request, f"Thank you: {user.email} is confirmed.")
    return redirect("home")


@login_required
@require_POST
def resend_verification(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    if not user.email_verified:
        try:
            services.verification_resend(user=user)
        except GratitudeError as exc:
            messages.error(request, str(exc))
        else:
            messages.info(request, f"We sent a new confirmation link to {user.email}.")
    return redirect("home")


def password_reset_request(request: HttpRequest) -> HttpResponse:
    form = PasswordResetRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.password_reset_request(email=form.cleaned_data["email"])
        # The same answer whether or not the address has an account: no account discovery.
        return render(request, "accounts/password_reset_sent.html", {"email": form.cleaned_data["email"]})
    return render(request, "accounts/password_reset_request.html", {"form": form})


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:login")

    def form_valid(self, form):  # type: ignore[no-untyped-def]
        messages.success(self.request, "Your password is changed. Log in with the new one.")
        return super().form_valid(form)


@login_required
def mail_preferences(request: HttpRequest) -> HttpResponse:
    """Which categories of mail this person gets. Transactional mail (their own requests) always comes."""
    from gratitude.notifications.suppression import (
        category_resubscribe,
        category_unsubscribe,
        unsubscribed_categories,
    )
    from gratitude.notifications.unsubscribe import UNSUBSCRIBABLE, choice_for

    user = request.user
    assert isinstance(user, User)
    if request.method == "POST":
        choice = choice_for(request.POST.get("category", ""))
        if choice is None:
            return HttpResponseBadRequest("Unknown category")
        if request.POST.get("action") == "stop":
            category_unsubscribe(user=user, category=choice.category, source="preferences")
            messages.success(request, f"You get no more {choice.label.lower()}.")
        else:
            category_resubscribe(user=user, category=choice.category)
            messages.success(request, f"You get {choice.label.lower()} again.")
        return redirect("accounts:mail_preferences")
    stopped = unsubscribed_categories(user=user)
    choices = [{"choice": choice, "on": choice.category not in stopped} for choice in UNSUBSCRIBABLE]
    return render(request, "accounts/mail_preferences.html", {"choices": choices})
