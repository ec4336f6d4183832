"""Forms for the resident's ledger, appeals and the head's decisions. They validate; services write."""

from datetime import date

from django import forms
from django.utils.translation import gettext_lazy as _

from handbook.models import Item
from villages.forms import DateInput


class LedgerFilterForm(forms.Form):
    """`?month=2026-05&kind=infraction`; anything unknown is ignored rather than refused."""

    month = forms.ChoiceField(label=_("Month"), required=False)
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("Deeds and infractions")), *Item.Kind.choices]
    )

    def __init__(self, *args, months: list[date], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["month"].choices = [("", _("All months"))] + [(m.strftime("%Y-%m"), m) for m in months]

    def cleaned_month(self) -> date | None:
        value = self.cleaned_data.get("month") if self.is_valid() else ""
        if not value:
            return None
        year, month = value.split("-")
        return date(int(year), int(month), 1)

    def cleaned_kind(self) -> str:
        return (self.cleaned_data.get("kind") or "") if self.is_valid() else ""


class AppealForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is this entry wrong?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("Say why the entry is wrong, so the village head can look into it.")},
    )


class DecisionForm(forms.Form):
    UPHOLD, REJECT = "uphold", "reject"

    decision = forms.ChoiceField(
        choices=[(UPHOLD, _("Uphold")), (REJECT, _("Reject"))],
        error_messages={"required": _("Choose whether to uphold or reject the appeal.")},
    )
    reason = forms.CharField(
        label=_("Reason for your decision (the resident will read it)"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("Write the reason for your decision; the resident will read it.")},
    )

    @property
    def upheld(self) -> bool:
        return self.cleaned_data["decision"] == self.UPHOLD


class PaperAppealForm(forms.Form):
    """An appeal the resident handed in on paper, recorded by the office in the resident's words."""

    received_on = forms.DateField(label=_("Received on"), widget=DateInput())
    reason = forms.CharField(
        label=_("The resident's words"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("Copy what the resident wrote on the paper.")},
    )
    scan = forms.FileField(label=_("Photo of the paper (optional)"), required=False)

    def clean_scan(self):
        from points.validators import clean_photo

        upload = self.cleaned_data.get("scan")
        return clean_photo(upload) if upload else None


class ReviewRequestForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is the village's decision wrong?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("Say why the village's decision is wrong, so the township can look into it.")},
    )
