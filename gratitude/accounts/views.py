"""Sign up, verify an address, log in and out, reset a forgotten password; the person's preferences about
mail: categories, occasion opt-outs, quiet mode and the people they trust with it (docs/quiet-mode.md)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from gratitude.accounts import selectors, services
from gratitude.accounts.forms import (
    DisplayNameForm,
    LoginForm,
    OccasionOptOutsForm,
    PasswordResetRequestForm,
    QuietDelegateForm,
    QuietModeForm,
    SignupFinishForm,
    SignupForm,
)
from gratitude.accounts.models import User
from gratitude.core.errors import GratitudeError, PermissionDenied, show_on_form
from gratitude.core.guest_pages import kept_for_plain_guests
from gratitude.notifications.sending.occasion_opt_outs import occasion_opt_outs_set, opt_outs_of


def _person(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # every view that calls this is login_required
    return user


@kept_for_plain_guests  # the empty form, rendered once per process for plain guests (core/guest_pages.py)
def signup(request: HttpRequest) -> HttpResponse:
    """One answer whatever the address's state (new, an invitee's or a giver's account with no password,
    someone's account, a deactivated one): nobody is logged in, one message goes to the address, and the
    visitor is sent to the same "Check your email" page. Whoever types an address learns nothing about it;
    the message itself says what happens next (services.user_signup). When nothing was sent (the address
    had several sign-up messages this hour), the page says so instead of "we sent"."""
    if request.user.is_authenticated:
        return redirect("home")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        address = form.cleaned_data["email"]
        if not services.user_signup(email=address):
            return render(request, "accounts/signup_not_sent.html", {"address": address})
        # Echo the address, so the person can spot a typing mistake in it.
        messages.info(request, f"We sent a message to {address}.")
        # A redirect, so reloading the page does not sign up (and mail) again.
        return redirect("accounts:signup_sent")
    return render(request, "accounts/signup.html", {"form": form})


def signup_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/signup_sent.html")


def existing_account(request: HttpRequest) -> HttpResponse:
    """Where the "you already have an account" message (the `signup_existing` kind) leads: the ways back into
    an account. It names no address and shows everyone the same, so it tells nobody anything."""
    if request.user.is_authenticated:
        return redirect("home")
    return render(request, "accounts/existing_account.html")


@never_cache
def verify_email(request: HttpRequest, token: str) -> HttpResponse:
    """GET confirms the address, or, for a sign-up waiting for its link, shows the form where the person who
    opened it chooses their name and password; POST (that form) finishes the sign-up."""
    if request.method == "POST":
        return _signup_finish(request, token)
    user = services.user_verify_email(token=token)
    if user is None:
        return render(request, "accounts/verify_failed.html", status=400)
    if services.signup_awaits_password(user=user):
        return render(request, "accounts/signup_finish.html", {"form": SignupFinishForm()})
    messages.success(request, f"Thank you: {user.email} is confirmed.")
    return redirect("home")


def _signup_finish(request: HttpRequest, token: str) -> HttpResponse:
    form = SignupFinishForm(request.POST)
    if form.is_valid():
        try:
            user = services.user_signup_finish(
                token=token,
                display_name=form.cleaned_data["display_name"],
                password=form.cleaned_data["password"],
            )
        except services.SignupLinkInvalid:
            return render(request, "accounts/verify_failed.html", status=400)
        except GratitudeError as exc:
            show_on_form(form, exc)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, f"Thank you: {user.email} is confirmed, and your account is ready.")
            return redirect("home")
    return render(request, "accounts/signup_finish.html", {"form": form}, status=400)


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
    form_class = LoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


# A plain guest's login page is rendered once per process (core/guest_pages.py); never_cache outside, so a
# kept answer carries the same "do not store" headers as a rendered one.
login_page = never_cache(kept_for_plain_guests(LoginView.as_view()))


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:login")

    def form_valid(self, form):  # type: ignore[no-untyped-def]
        messages.success(self.request, "Your password is changed. Log in with the new one.")
        return super().form_valid(form)


@login_required
def account_name(request: HttpRequest) -> HttpResponse:
    """Every account can choose, and change, the name it is greeted by (accounts made for a giver or an
    invitee start with none: docs/safety.md promise 16)."""
    user = _person(request)
    form = DisplayNameForm(request.POST or None, initial={"display_name": user.display_name})
    if request.method == "POST" and form.is_valid():
        try:
            services.user_rename(user=user, display_name=form.cleaned_data["display_name"])
        except GratitudeError as exc:
            show_on_form(form, exc)
        else:
            messages.success(request, "Saved your name.")
            return redirect("accounts:name")
    status = 400 if request.method == "POST" else 200
    return render(request, "accounts/name.html", {"form": form}, status=status)


@login_required
def mail_preferences(request: HttpRequest) -> HttpResponse:
    """Which categories of mail this person gets, and which occasions they never want to hear about.
    Transactional mail (their own requests) always comes."""
    from gratitude.notifications.sending.suppression import category_resubscribe, category_unsubscribe
    from gratitude.notifications.web.unsubscribe import choice_for

    user = _person(request)
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
    return _preferences_page(request, user)


def _preferences_page(
    request: HttpRequest, user: User, *, occasions_form: OccasionOptOutsForm | None = None, status: int = 200
) -> HttpResponse:
    from gratitude.notifications.sending.suppression import unsubscribed_categories
    from gratitude.notifications.web.unsubscribe import UNSUBSCRIBABLE

    stopped = unsubscribed_categories(user=user)
    choices = [{"choice": choice, "on": choice.category not in stopped} for choice in UNSUBSCRIBABLE]
    if occasions_form is None:
        occasions_form = OccasionOptOutsForm(initial={"occasions": sorted(opt_outs_of(user))})
    return render(
        request,
        "accounts/mail_preferences.html",
        {"choices": choices, "occasions_form": occasions_form, "quiet": user.quiet_since is not None},
        status=status,
    )


@login_required
@require_POST
def occasion_opt_outs(request: HttpRequest) -> HttpResponse:
    """ "Never send me anything about ...": the whole set of ticked occasions, each time."""
    user = _person(request)
    form = OccasionOptOutsForm(request.POST)
    if not form.is_valid():
        return _preferences_page(request, user, occasions_form=form, status=400)
    occasion_opt_outs_set(user=user, occasions=form.cleaned_data["occasions"])
    messages.success(request, "Saved. We never send you anything about the occasions you ticked.")
    return redirect("accounts:mail_preferences")


# --- Quiet mode and trusted delegates (docs/quiet-mode.md) ---------------------------------------------
#
# One button each way, no question asked: the optional note is never required, and nothing here asks
# "are you sure?". The confirmation says what is now quiet and offers the one button that undoes it.


@login_required
def quiet(request: HttpRequest) -> HttpResponse:
    return _quiet_page(request, _person(request))


def _quiet_page(
    request: HttpRequest,
    user: User,
    *,
    quiet_form: QuietModeForm | None = None,
    delegate_form: QuietDelegateForm | None = None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "accounts/quiet.html",
        {
            "quiet_form": quiet_form or QuietModeForm(),
            "delegate_form": delegate_form or QuietDelegateForm(),
            "delegates": selectors.quiet_delegates_of(user=user),
            "trusting": selectors.people_trusting(user=user),
        },
        status=status,
    )


@login_required
def quiet_on(request: HttpRequest) -> HttpResponse:
    """POST switches quiet mode on; GET is the calm page that says so (and offers the way back)."""
    user = _person(request)
    if request.method == "POST":
        form = QuietModeForm(request.POST)
        if not form.is_valid():
            return _quiet_page(request, user, quiet_form=form, status=400)
        services.quiet_mode_enable(user=user, reason=form.cleaned_data["reason"])
        return redirect("accounts:quiet_on")
    if user.quiet_since is None:
        return redirect("accounts:quiet")
    return render(request, "accounts/quiet_on.html")


@login_required
@require_POST
def quiet_off(request: HttpRequest) -> HttpResponse:
    services.quiet_mode_disable(user=_person(request))
    messages.success(
        request, "Quiet mode is off. New events bring messages again; nothing from the quiet time is sent."
    )
    return redirect("accounts:quiet")


@login_required
@require_POST
def quiet_delegate_invite(request: HttpRequest) -> HttpResponse:
    user = _person(request)
    form = QuietDelegateForm(request.POST)
    if form.is_valid():
        try:
            delegation = services.quiet_delegate_invite(user=user, **form.cleaned_data)
        except GratitudeError as exc:
            show_on_form(form, exc)
        else:
            if delegation.accepted_at is not None:
                messages.success(request, f"Saved your choice for {delegation.email}.")
            else:
                messages.success(request, f"We asked {delegation.email} to accept.")
            return redirect("accounts:quiet")
    return _quiet_page(request, user, delegate_form=form, status=400)


@login_required
@require_POST
def quiet_delegate_revoke(request: HttpRequest, delegation_id: int) -> HttpResponse:
    """The person withdraws someone they named, or a delegate steps down."""
    user = _person(request)
    delegation = selectors.quiet_delegate_for(user=user, delegation_id=delegation_id)
    services.quiet_delegate_revoke(delegation=delegation, by=user)
    if delegation.user_id == user.pk:
        messages.success(request, f"{delegation.email} can no longer switch quiet mode for you.")
    else:
        messages.success(request, f"You no longer switch quiet mode for {delegation.user.name}.")
    return redirect("accounts:quiet")


@login_required
@require_POST
def quiet_for(request: HttpRequest, person_id: int) -> HttpResponse:
    """A trusted delegate switches quiet mode on or off for the person who named them."""
    user = _person(request)
    person = selectors.person_trusting(user=user, person_id=person_id)
    action = request.POST.get("action")
    try:
        if action == "on":
            services.quiet_mode_enable(user=person, by=user)
            messages.success(
                request, f"Quiet mode is on for {person.name}: no messages about any registry reach them."
            )
        elif action == "off":
            services.quiet_mode_disable(user=person, by=user)
            messages.success(request, f"Quiet mode is off for {person.name}.")
        else:
            return HttpResponseBadRequest("Unknown action")
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    return redirect("accounts:quiet")
