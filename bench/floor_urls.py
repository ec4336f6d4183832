"""The floors: the same stack (settings, middleware, signed-in session, URL resolver) doing the
least a request of each kind can do. Served only under bench.settings, never by the product.

- `floor_insert`: one INSERT into the ledger table (with all its indexes), as the signed-in scorer.
- `floor_select`: one SELECT of a resident by primary key, as the signed-in user.
- `floor_village_sums`: the village's one GROUP BY (every resident's counted points on a day), the
  least a dashboard of the village can read; the dashboard's floor.

Both are behind @login_required, like every real page: who is asking (the session and the user)
is part of the least an authenticated request can do. See BENCHMARKS.md.
"""

from django.contrib.auth.decorators import login_required
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import include, path
from django.utils import timezone
from django.views.decorators.http import require_POST

from points.models import Entry
from villages.models import Resident


@login_required
@require_POST
def floor_insert(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    entry = Entry.objects.create(
        village_id=int(request.POST["village"]),
        resident_id=int(request.POST["resident"]),
        item_id=int(request.POST["item"]),
        points_halves=2,
        occurred_on=today,
        counts_from=today,
        recorded_by=request.user,
    )
    return redirect(f"/bench-floor/done/{entry.pk}/")


@login_required
def floor_select(request: HttpRequest, pk: int) -> HttpResponse:
    name = Resident.objects.filter(pk=pk).values_list("name", flat=True).first()
    return HttpResponse(name or "", content_type="text/plain; charset=utf-8")


@login_required
def floor_village_sums(request: HttpRequest, pk: int) -> HttpResponse:
    today = timezone.localdate()
    sums = list(
        Entry.objects.filter(village_id=pk, counts_from__lte=today)
        .values("resident_id")
        .annotate(halves=Sum("points_halves"))
        .order_by()
        .values_list("halves", flat=True)
    )
    return HttpResponse(str(sum(sums)), content_type="text/plain; charset=utf-8")


floor_patterns = [
    path("insert/", floor_insert, name="insert"),
    path("select/<int:pk>/", floor_select, name="select"),
    path("village-sums/<int:pk>/", floor_village_sums, name="village_sums"),
]

urlpatterns = [
    path("bench-floor/", include((floor_patterns, "bench_floor"))),
    path("", include("config.urls")),
]
