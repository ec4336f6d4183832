from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from points import services
from points.models import Appeal, Claim, Entry, Review
from villages.admin import ReadOnlyAdmin


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))


@admin.register(Entry)
class EntryAdmin(ReadOnlyAdmin):
    """The ledger is append-only: nothing here edits or deletes; reversals go through the service."""

    list_display = ["occurred_on", "resident", "item", "points", "fine_yuan", "recorded_by", "recorded_at", "reverses"]
    list_filter = ["village", "item__kind"]
    search_fields = ["resident__name", "resident__name_pinyin", "item__code"]
    list_select_related = ["resident", "item", "recorded_by", "reverses"]
    date_hierarchy = "occurred_on"
    actions = ["reverse_selected"]

    @admin.action(description=_("Reverse the selected entries (asks for a reason)"))
    def reverse_selected(self, request, queryset):
        form = ReasonForm(request.POST if "reason" in request.POST else None)
        if form.is_valid():
            done = 0
            for entry in queryset.select_related("village"):
                try:
                    services.reverse_entry(entry=entry, author=request.user, reason=form.cleaned_data["reason"])
                    done += 1
                except ValidationError as error:
                    self.message_user(request, f"{entry}: {' '.join(error.messages)}", messages.ERROR)
            self.message_user(request, _("%(count)d entries reversed.") % {"count": done}, messages.SUCCESS)
            return None
        context = {**self.admin_site.each_context(request), "form": form, "entries": queryset, "opts": self.model._meta}
        return TemplateResponse(request, "admin/points/reverse_entries.html", context)


@admin.register(Appeal)
class AppealAdmin(ReadOnlyAdmin):
    list_display = ["entry", "status", "filed_at", "decided_by", "decided_at"]
    list_filter = ["status", "entry__village"]
    list_select_related = ["entry__resident", "entry__item", "decided_by"]


@admin.register(Review)
class ReviewAdmin(ReadOnlyAdmin):
    """Township reviews are requested and decided through points.services, never here."""

    list_display = ["appeal", "status", "requested_at", "decided_by", "decided_at"]
    list_filter = ["status"]
    list_select_related = ["appeal__entry__resident", "appeal__entry__item", "decided_by"]


@admin.register(Claim)
class ClaimAdmin(ReadOnlyAdmin):
    """Claims are confirmed (through record_entry) or declined by scorers and heads, never here."""

    list_display = ["resident", "item", "occurred_on", "status", "filed_at", "decided_by"]
    list_filter = ["status", "village"]
    list_select_related = ["resident", "item", "decided_by"]
