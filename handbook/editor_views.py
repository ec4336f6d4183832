"""The administrator's handbook editor: editions, the draft's pages and items (edited in place with
htmx, and as plain forms without it), the diff and publishing, import and export, the booklet.
Every view starts from handbook.access, which lets only administrators of the acting village in."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRefresh

from handbook import services
from handbook.access import (
    get_draft_to_edit,
    get_edition_to_edit,
    get_editor_village,
    get_item_to_edit,
    get_page_to_edit,
)
from handbook.booklet import render_booklet
from handbook.editor_display import describe_diff
from handbook.forms import ImportForm, ItemForm, PublishForm, TitleForm
from handbook.interchange import export_edition, import_edition
from handbook.models import Edition, Item, Page

DRAFT = "handbook/editor/draft.html"


def _ordered_items() -> Prefetch:
    return Prefetch("items", queryset=Item.objects.order_by("position", "code"))


def _draft_url(anchor: str = "") -> str:
    return reverse("handbook:editor_draft") + (f"#{anchor}" if anchor else "")


def _refused(request: HttpRequest, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


def _add_errors(form: ItemForm, error: ValidationError) -> None:
    """A service's refusal on the form: on the field it names, or above the form."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.error_dict.items():
        form.add_error(field if field in form.fields else None, errors)


# --- Editions ---------------------------------------------------------------------------------


@login_required
@require_GET
def editor(request: HttpRequest) -> HttpResponse:
    """Every edition of the village: the one in force, the draft, scheduled and past ones."""
    village = get_editor_village(request)
    return _editor_page(request, village, ImportForm())


def _editor_page(request: HttpRequest, village, import_form: ImportForm, *, status: int = 200) -> HttpResponse:
    today = village.today()
    editions = list(Edition.objects.filter(village=village).select_related("published_by").order_by("-number"))
    in_force = Edition.objects.in_force(village=village, on=today)
    context = {
        "village": village,
        "editions": editions,
        "in_force": in_force,
        "draft": next((edition for edition in editions if edition.is_draft), None),
        "today": today,
        "import_form": import_form,
    }
    return render(request, "handbook/editor/index.html", context, status=status)


@login_required
@require_POST
def start(request: HttpRequest) -> HttpResponse:
    village = get_editor_village(request)
    try:
        services.start_draft(village=village, admin=request.user)
    except ValidationError as error:
        _refused(request, error)
        return redirect("handbook:editor")
    messages.success(request, _("A new draft was started as a copy of the edition in force."))
    return redirect("handbook:editor_draft")


@login_required
@require_POST
def discard(request: HttpRequest) -> HttpResponse:
    draft = get_draft_to_edit(request)
    if draft is not None:
        services.discard_draft(edition=draft, admin=request.user)
        messages.success(request, _("The draft was discarded."))
    return redirect("handbook:editor")


@login_required
@require_POST
def import_file(request: HttpRequest) -> HttpResponse:
    village = get_editor_village(request)
    form = ImportForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            import_edition(village=village, admin=request.user, text=form.cleaned_data["file"])
        except ValidationError as error:
            form.add_error("file", error)
        else:
            messages.success(request, _("The file was imported as a new draft. Check it, then publish it."))
            return redirect("handbook:editor_draft")
    return _editor_page(request, village, form, status=400)


@login_required
@require_GET
def export(request: HttpRequest, pk: int) -> HttpResponse:
    edition = get_edition_to_edit(request, pk)
    response = HttpResponse(export_edition(edition), content_type="application/yaml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="handbook-{edition.village.code}-{edition.number}.yaml"'
    return response


@login_required
@require_GET
def booklet(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """The A5 booklet of an edition; without `pk`, of the edition in force today."""
    if pk is None:
        village = get_editor_village(request)
        edition = Edition.objects.in_force(village=village, on=village.today())
        if edition is None:
            messages.error(request, _("The village has not published a handbook yet."))
            return redirect("handbook:editor")
    else:
        edition = get_edition_to_edit(request, pk)
    response = HttpResponse(render_booklet(edition), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="handbook-{edition.village.code}-{edition.number}.pdf"'
    return response


# --- The draft ----------------------------------------------------------------------------------


@login_required
@require_GET
def draft(request: HttpRequest) -> HttpResponse:
    """The draft's pages and items, each item editable in place. Four queries whatever its size."""
    edition = get_draft_to_edit(request)
    if edition is None:
        messages.info(request, _("There is no draft. Start one from the edition in force."))
        return redirect("handbook:editor")
    pages = edition.pages.order_by("number").prefetch_related(_ordered_items())
    return render(
        request,
        DRAFT,
        {"draft": edition, "pages": pages, "title_form": TitleForm(initial={"title": edition.title})},
    )


@login_required
@require_POST
def rename(request: HttpRequest) -> HttpResponse:
    edition = get_draft_to_edit(request)
    form = TitleForm(request.POST)
    if edition is not None and form.is_valid():
        try:
            services.rename_edition(edition=edition, admin=request.user, title=form.cleaned_data["title"])
        except ValidationError as error:
            _refused(request, error)
    elif edition is not None:
        messages.error(request, _("Give the handbook a title of at most 120 characters."))
    return redirect("handbook:editor_draft")


@login_required
@require_POST
def page_add(request: HttpRequest) -> HttpResponse:
    edition = get_draft_to_edit(request)
    form = TitleForm(request.POST)
    if edition is None:
        return redirect("handbook:editor")
    if not form.is_valid():
        messages.error(request, _("Give the new page a title of at most 120 characters."))
        return redirect("handbook:editor_draft")
    page = services.add_page(edition=edition, admin=request.user, title=form.cleaned_data["title"])
    return redirect(_draft_url(f"page-{page.pk}"))


@login_required
@require_POST
def page_rename(request: HttpRequest, pk: int) -> HttpResponse:
    page = get_page_to_edit(request, pk)
    form = TitleForm(request.POST)
    if form.is_valid():
        services.rename_page(page=page, admin=request.user, title=form.cleaned_data["title"])
    else:
        messages.error(request, _("Give the page a title of at most 120 characters."))
    return redirect(_draft_url(f"page-{page.pk}"))


@login_required
@require_POST
def page_move(request: HttpRequest, pk: int) -> HttpResponse:
    page = get_page_to_edit(request, pk)
    services.move_page(page=page, admin=request.user, direction=_direction(request))
    return redirect(_draft_url(f"page-{page.pk}"))


@login_required
@require_POST
def page_remove(request: HttpRequest, pk: int) -> HttpResponse:
    page = get_page_to_edit(request, pk)
    try:
        services.remove_page(page=page, admin=request.user)
    except ValidationError as error:
        _refused(request, error)
        return redirect(_draft_url(f"page-{page.pk}"))
    messages.success(request, _("The page was removed."))
    return redirect("handbook:editor_draft")


def _direction(request: HttpRequest) -> services.Direction:
    return "up" if request.POST.get("direction") == "up" else "down"


def _page_section(request: HttpRequest, page: Page, *, new_form: ItemForm | None = None) -> HttpResponse:
    page = Page.objects.select_related("edition").prefetch_related(_ordered_items()).get(pk=page.pk)
    return render(request, f"{DRAFT}#page-section", {"draft": page.edition, "page": page, "new_form": new_form})


@login_required
@require_GET
def page_section(request: HttpRequest, pk: int) -> HttpResponse:
    """A page of the draft as its section of the editor (htmx); without htmx, the editor at that page."""
    page = get_page_to_edit(request, pk)
    if not request.htmx:
        return redirect(_draft_url(f"page-{page.pk}"))
    return _page_section(request, page)


# --- Items -------------------------------------------------------------------------------------


@login_required
def item_add(request: HttpRequest, pk: int) -> HttpResponse:
    page = get_page_to_edit(request, pk)
    form = ItemForm(
        request.POST or None,
        edition=page.edition,
        initial={"page": page.pk, "kind": Item.Kind.DEED},
        prefix=f"new-{page.pk}",
    )
    if request.method == "POST" and form.is_valid():
        try:
            item = services.add_item(page=form.cleaned_data["page"], admin=request.user, **form.values)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            if not request.htmx:
                return redirect(_draft_url(f"item-{item.pk}"))
            if item.page_id != page.pk:
                return HttpResponseClientRefresh()
            return _page_section(request, page)
    if request.htmx:
        return _page_section(request, page, new_form=form)
    return render(request, "handbook/editor/item.html", {"draft": page.edition, "page": page, "form": form})


@login_required
@require_GET
def item_row(request: HttpRequest, pk: int) -> HttpResponse:
    """One item as a row of the editor (htmx, e.g. after Cancel); without htmx, the editor at that item."""
    item = get_item_to_edit(request, pk)
    if not request.htmx:
        return redirect(_draft_url(f"item-{item.pk}"))
    return render(request, f"{DRAFT}#item-row", {"draft": item.edition, "item": item})


@login_required
def item_edit(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_item_to_edit(request, pk)
    form = ItemForm.for_item(item, request.POST or None)
    if request.method == "POST" and form.is_valid():
        page_before = item.page_id
        try:
            item = services.update_item(item=item, admin=request.user, page=form.cleaned_data["page"], **form.values)
        except ValidationError as error:
            _add_errors(form, error)
            item = get_item_to_edit(request, pk)  # the values as saved, not as typed
        else:
            if not request.htmx:
                return redirect(_draft_url(f"item-{item.pk}"))
            if item.page_id != page_before:
                return HttpResponseClientRefresh()  # the row now belongs to another page's section
            return render(request, f"{DRAFT}#item-row", {"draft": item.edition, "item": item})
    context = {"draft": item.edition, "item": item, "form": form}
    if request.htmx:
        return render(request, f"{DRAFT}#item-form", context)
    return render(request, "handbook/editor/item.html", context)


@login_required
@require_POST
def item_move(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_item_to_edit(request, pk)
    services.move_item(item=item, admin=request.user, direction=_direction(request))
    if request.htmx:
        return _page_section(request, item.page)
    return redirect(_draft_url(f"item-{item.pk}"))


@login_required
@require_POST
def item_remove(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_item_to_edit(request, pk)
    page = item.page
    services.remove_item(item=item, admin=request.user)
    if request.htmx:
        return _page_section(request, page)
    messages.success(request, _("Item %(code)s was removed from the draft.") % {"code": item.code})
    return redirect(_draft_url(f"page-{page.pk}"))


# --- Diff and publishing ----------------------------------------------------------------------


@login_required
def diff(request: HttpRequest) -> HttpResponse:
    """What the draft changes compared with the edition in force; publishing is a form on this page."""
    edition = get_draft_to_edit(request)
    if edition is None:
        return redirect("handbook:editor")
    village = edition.village
    current = Edition.objects.in_force(village=village, on=village.today())
    form = PublishForm(request.POST or None, initial={"effective_from": village.today()})
    if request.method == "POST" and form.is_valid():
        try:
            services.publish_edition(
                edition=edition, admin=request.user, effective_from=form.cleaned_data["effective_from"]
            )
        except ValidationError as error:
            form.add_error("effective_from" if error.code == "past_date" else None, error)
        else:
            messages.success(
                request,
                _("Edition %(number)d is published. Entries from %(date)s on use its values; past entries keep theirs.")
                % {"number": edition.number, "date": form.cleaned_data["effective_from"].isoformat()},
            )
            return redirect("handbook:editor")
    changes = services.diff_editions(draft=edition, current=current)
    return render(
        request,
        "handbook/editor/diff.html",
        {"draft": edition, "current": current, "diff": changes, "changed": describe_diff(changes), "form": form},
        status=400 if form.errors else 200,
    )
