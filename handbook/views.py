"""The handbook as residents and everyone else in the village read it."""

from django.db.models import Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from handbook.access import get_edition_for, get_item_for, get_reader_village
from handbook.models import Edition, Item
from villages.cards import card_or_login_required
from villages.search import clean_query

MAX_RESULTS = 50


@card_or_login_required
def index(request: HttpRequest) -> HttpResponse:
    """The edition in force today: its pages, or the items matching `?q=` (code, title or description)."""
    village = get_reader_village(request)
    edition = Edition.objects.in_force(village=village, on=village.today())
    q = clean_query(request.GET.get("q", ""))
    context = {"edition": edition, "q": q, "pages": [], "results": []}
    if edition is not None:
        if q:
            context["results"] = list(
                edition.items.filter(
                    Q(code__istartswith=q) | Q(title__icontains=q) | Q(description__icontains=q)
                ).select_related("page")[:MAX_RESULTS]
            )
        else:
            context["pages"] = edition.pages.prefetch_related(
                Prefetch("items", queryset=Item.objects.order_by("position", "code"))
            )
    template = "handbook/index.html#results" if request.htmx and not request.htmx.boosted else "handbook/index.html"
    return render(request, template, context)


@card_or_login_required
def page(request: HttpRequest, edition_pk: int, number: int) -> HttpResponse:
    """One page of a published edition, each item anchored as #item-<code>."""
    edition = get_edition_for(request, edition_pk)
    handbook_page = edition.pages.filter(number=number).first()
    if handbook_page is None:
        raise Http404
    pages = list(edition.pages.values_list("number", flat=True))
    index = pages.index(number)
    return render(
        request,
        "handbook/page.html",
        {
            "edition": edition,
            "page": handbook_page,
            "items": handbook_page.items.order_by("position", "code"),
            "previous": pages[index - 1] if index > 0 else None,
            "next": pages[index + 1] if index + 1 < len(pages) else None,
            "in_force": Edition.objects.in_force(village=edition.village, on=edition.village.today()),
        },
    )


@card_or_login_required
def item(request: HttpRequest, pk: int) -> HttpResponse:
    """One item as its edition states it: where a ledger line links to."""
    handbook_item = get_item_for(request, pk)
    village = handbook_item.edition.village
    return render(
        request,
        "handbook/item.html",
        {
            "item": handbook_item,
            "edition": handbook_item.edition,
            "in_force": Edition.objects.in_force(village=village, on=village.today()),
        },
    )
