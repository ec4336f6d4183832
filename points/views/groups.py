"""Group recording: one deed for many residents in one submission (a clean-up day, a volunteer team).

Step 1 picks the deed (the scorer's most used, or the handbook by page); step 2 ticks residents
(the scorer's recent residents, a search, or a whole household) in one form whose Search and
Household buttons post back to the same page, so the ticks survive every search; Record sends
the group to points.services.record_group and lists each resident as recorded or refused.
"""

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from points import services
from points.access import get_item_to_score, get_residents_to_score
from points.forms import GroupForm
from points.pickers import find_items, find_residents
from points.views.record import KEPT_MESSAGE
from villages.access import require_role
from villages.models import Membership, Resident, Village
from villages.signin import keep_post_when_signed_out, take_kept_post

SCORER = Membership.Role.SCORER
RECENT_FOR_GROUPS = 30


def _household_members(village: Village, number: str) -> list[Resident]:
    return list(
        Resident.objects.scorable()
        .filter(village=village, household__number=number)
        .select_related("village", "household")
        .order_by("name_pinyin", "pk")
    )


def _page_number(value: str) -> int | None:
    try:
        return int(value)
    except ValueError:
        return None


@keep_post_when_signed_out
@login_required
@require_http_methods(["GET", "POST"])
def record_group(request: HttpRequest) -> HttpResponse:
    village = require_role(request, SCORER)
    kept = take_kept_post(request) if request.method == "GET" else None
    if kept is not None:
        messages.info(request, KEPT_MESSAGE)
    data = kept if kept is not None else request.POST if request.method == "POST" else request.GET
    item = get_item_to_score(village, data["item"]) if data.get("item") else None
    if item is None:
        pick = find_items(
            village=village,
            scorer=request.user,
            query=data.get("iq", ""),
            page_number=_page_number(data.get("hp", "")),
            on=village.today(),
        )
        return render(request, "points/record_group.html", {"village": village, "pick": pick})

    chosen = get_residents_to_score(village, data.getlist("r"))
    if data.get("household"):
        chosen = list(dict.fromkeys(chosen + _household_members(village, data["household"])))
    if request.method == "POST":
        form = GroupForm(request.POST, village=village)
        recording = "do" not in request.POST and not request.POST.get("household")  # not a search
        if recording and form.is_valid():
            try:
                outcomes = services.record_group(
                    scorer=request.user, residents=chosen, item=item, **form.cleaned_data_for_entries
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                recorded = sum(outcome.recorded for outcome in outcomes)
                context = {"village": village, "item": item, "outcomes": outcomes, "recorded": recorded}
                return render(request, "points/record_group_done.html", context)
    else:
        initial = kept.dict() if kept is not None else {"item": item.pk, "idempotency_key": uuid.uuid4()}
        form = GroupForm(village=village, initial=initial)
    search = find_residents(
        village=village, scorer=request.user, query=data.get("q", ""), recent_limit=RECENT_FOR_GROUPS
    )
    picked = {resident.pk for resident in chosen}
    offered = [resident for resident in search.matches if resident.pk not in picked]
    context = {
        "village": village,
        "item": item,
        "form": form,
        "chosen": chosen,
        "search": search,
        "offered": offered,
        "capped_out": services.capped_out(residents=chosen + offered, item=item, occurred_on=village.today()),
        "households": list(dict.fromkeys(resident.household.number for resident in search.matches))[:5],
    }
    return render(request, "points/record_group.html", context)
