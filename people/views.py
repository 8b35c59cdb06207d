"""The "Your settings" page, linked from the user's name in the top bar."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from infra.roles import AuthenticatedHttpRequest, bookkeeper_required
from people.forms import UserSettingsForm
from people.selectors import preferences_of
from people.services import user_settings_update
from people.times import in_zone, zone_of


@bookkeeper_required
@require_http_methods(["GET", "POST"])
def user_settings(request: AuthenticatedHttpRequest) -> HttpResponse:
    current = preferences_of(request.user)
    if request.method == "POST":
        form = UserSettingsForm(request.POST)
        if form.is_valid():
            try:
                user_settings_update(user=request.user, time_zone=form.cleaned_data["time_zone"],
                                     language=form.cleaned_data["language"])
            except ValidationError as exc:
                for field, errors in getattr(exc, "message_dict", {"__all__": exc.messages}
                                             ).items():
                    for error in errors:
                        form.add_error(field if field in form.fields else None, error)
            else:
                messages.success(request, "Your settings are saved: times are now shown in "
                                          f"{form.cleaned_data['time_zone']}.")
                return redirect("people:settings")
    else:
        form = UserSettingsForm(initial={"time_zone": current.time_zone,
                                         "language": current.language})
    # The zone the list shows selected: the one posted when it is a real zone, else the saved one.
    posted = str(form["time_zone"].value() or "")
    chosen = posted if posted and zone_of(posted).key == posted else current.time_zone
    now_text, zone = in_zone(timezone.now(), current.time_zone)
    return render(request, "people/settings.html", {
        "form": form, "current": current, "chosen": chosen, "now_text": now_text, "zone": zone,
        "chosen_listed": form.is_listed(chosen),
    }, status=400 if form.is_bound and form.errors else 200)
