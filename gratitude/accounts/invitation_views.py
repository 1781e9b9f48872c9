"""The one way an invitation's page answers a POST, for both kinds of invitation (a registry's co-registrant
or delegate, a trusted delegate for quiet mode): an invitee without a password chooses a name and a password
(`account_claim_for_invitation`) and is logged in; one who is signed in simply accepts.

Each page keeps its own URL, template and words; this holds what they share: the form, which refusal goes
where (a named field on the form, anything else above it), and the status (400 whenever something was
refused).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse

from gratitude.accounts.forms import AcceptWithPasswordForm
from gratitude.accounts.models import User
from gratitude.core.errors import GratitudeError, show_on_form


@dataclass
class InvitationAnswer:
    """What the page shows after a GET or a refused POST; `done` is the redirect after an acceptance."""

    form: AcceptWithPasswordForm
    error: str = ""
    done: HttpResponse | None = None

    @property
    def status(self) -> int:
        return 400 if (self.error or self.form.errors) else 200


def invitation_answer(
    request: HttpRequest,
    *,
    needs_password: bool,
    may_answer: bool,
    accept_with_new_password: Callable[..., User],
    accept: Callable[[User], Any] | None,
    accepted: Callable[[], HttpResponse],
    initial_name: str = "",
) -> InvitationAnswer:
    """Answer an invitation page's request. GET only shows it (mail scanners follow links); a POST accepts.

    `needs_password`: the invitee's account has none yet, so the form chooses one and
    `accept_with_new_password(display_name=, password=)` accepts. Otherwise `accept(viewer)` accepts for the
    signed-in viewer (None: this viewer may not). `may_answer` False (already answered) ignores the POST.
    """
    form = AcceptWithPasswordForm(request.POST or None, initial={"display_name": initial_name})
    answer = InvitationAnswer(form=form)
    if request.method != "POST" or not may_answer:
        return answer
    try:
        if needs_password:
            if form.is_valid():
                user = accept_with_new_password(**form.cleaned_data)
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                answer.done = accepted()
        elif accept is not None and isinstance(request.user, User):
            accept(request.user)
            answer.done = accepted()
    except GratitudeError as exc:
        if exc.field and exc.field in form.fields:
            show_on_form(form, exc)
        else:
            answer.error = str(exc)
    return answer
