"""Benefits by grade, for the village head and administrators: the list, offering one, ending one."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from store.access import get_benefit_for_office, require_store_office
from store.forms import BenefitForm
from villages.benefits import benefit_grades, end_benefit, offer_benefit
from villages.grades import bands_on
from villages.models import Benefit


@login_required
@require_http_methods(["GET", "POST"])
def benefits(request: HttpRequest) -> HttpResponse:
    village = require_store_office(request)
    today = village.today()
    bands = bands_on(village=village, on=today)
    form = BenefitForm(request.POST or None, grades=benefit_grades(bands), initial={"starts_on": today})
    if request.method == "POST" and form.is_valid():
        try:
            offer_benefit(village=village, author=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The benefit is offered."))
            return redirect("store:benefits")
    context = {
        "form": form,
        "bands": bands,
        "current": list(Benefit.objects.filter(village=village).on(today)),
        "other": list(Benefit.objects.filter(village=village).exclude(pk__in=Benefit.objects.on(today))),
    }
    return render(request, "store/benefits.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def benefit_end(request: HttpRequest, pk: int) -> HttpResponse:
    benefit = get_benefit_for_office(request, pk)
    end_benefit(benefit=benefit, author=request.user)
    messages.success(request, _("The benefit ends: from tomorrow it is no longer offered."))
    return redirect("store:benefits")
