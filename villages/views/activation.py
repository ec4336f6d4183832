"""Logins for many residents at once (activation slips to print) and the page where a resident
activates theirs with the code on the slip."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_http_methods, require_POST

from villages import cards
from villages.access import require_admin
from villages.activation_pdf import Slip, render_slips
from villages.forms import ActivateForm, parse_ids
from villages.models import Resident
from villages.services.activation import activate_login, create_resident_logins


@login_required
@require_POST
@cache_control(private=True, no_store=True)
def logins_for_selected(request: HttpRequest) -> HttpResponse:
    """Logins for the residents ticked in the register, all or none; answers with the slips to print."""
    village = require_admin(request)
    try:
        ids = parse_ids(request.POST.getlist("resident"))
    except ValueError:
        ids = []
    residents = list(Resident.objects.filter(village=village, pk__in=ids).select_related("household").order_by("pk"))
    try:
        made = create_resident_logins(village=village, residents=residents, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("villages:residents")
    activate_url = settings.SITE_URL + reverse("villages:activate")
    pdf = render_slips(
        Slip(
            village_name=village.name,
            resident_name=login_.resident.name,
            household_number=login_.resident.household.number,
            username=login_.username,
            code=login_.code_display,
            activate_url=activate_url,
        )
        for login_ in made
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{village.code}-logins.pdf"'
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def activate(request: HttpRequest) -> HttpResponse:
    """A resident sets their password with the user name and code from their slip, then is signed in."""
    form = ActivateForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            user = activate_login(
                request=request,
                username=form.cleaned_data["username"],
                code=form.cleaned_data["code"],
                password=form.cleaned_data["password1"],
            )
        except cards.CardLocked:
            form.add_error(None, _("Too many wrong codes. Try again in an hour, or ask the village office."))
            status = 429
        except ValidationError as error:
            form.add_error(None, error)
            status = 400
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Your password is set. Next time, sign in with it."))
            return redirect(settings.LOGIN_REDIRECT_URL)
    return render(request, "villages/activate.html", {"form": form}, status=status)
