"""Forms of the village office: the month a report covers, grade bands and the starting capital.
They check and convert input; the services write."""

import re
from datetime import date

from django import forms
from django.utils.translation import gettext_lazy as _

from villages.forms import DateInput
from villages.grades import Band
from villages.models import Village
from villages.services import MAX_BANDS, MAX_BOUND, MAX_STARTING_CAPITAL

MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class CapitalForm(forms.Form):
    starting_capital = forms.IntegerField(
        label=_("Starting capital"),
        min_value=1,
        max_value=MAX_STARTING_CAPITAL,
        help_text=_("Every resident's balance starts from this many points. Changing it moves every balance."),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )


class BandRowForm(forms.Form):
    grade = forms.CharField(label=_("Grade"), max_length=8, required=False)
    min_points = forms.IntegerField(
        label=_("Lowest balance"), required=False, min_value=-MAX_BOUND, max_value=MAX_BOUND
    )


class BaseBandFormSet(forms.BaseFormSet):
    def clean(self) -> None:
        if any(self.errors):
            return
        for form in self.forms:
            grade, bound = form.cleaned_data.get("grade", "").strip(), form.cleaned_data.get("min_points")
            if bound is not None and not grade:
                form.add_error("grade", _("Name the grade of this band, or clear its lower bound."))

    @property
    def bands(self) -> list[Band]:
        """The filled rows, top to bottom; empty rows are ignored."""
        return [
            Band(form.cleaned_data["grade"].strip(), form.cleaned_data.get("min_points"))
            for form in self.forms
            if form.cleaned_data.get("grade", "").strip()
        ]


BandFormSet = forms.formset_factory(BandRowForm, formset=BaseBandFormSet, extra=0, max_num=MAX_BANDS)


def band_formset(data=None, *, bands: list[Band]) -> BaseBandFormSet:
    """A form row for every band, then empty rows up to eight (or one more than the bands)."""
    rows = [{"grade": band.grade, "min_points": band.min_points} for band in bands]
    rows += [{}] * max(8 - len(rows), 1)
    return BandFormSet(data, initial=rows[:MAX_BANDS], prefix="band")


class ScaleForm(forms.Form):
    effective_from = forms.DateField(
        label=_("In force from"),
        help_text=_("Today or later. Standings from that day are graded on the new scale."),
        widget=DateInput(),
    )


class MonthForm(forms.Form):
    """A month as YYYY-MM (what <input type="month"> sends); the current month if empty or later."""

    month = forms.CharField(label=_("Month"), required=False, widget=forms.TextInput(attrs={"type": "month"}))

    def __init__(self, *args, village: Village, **kwargs):
        self.village = village
        super().__init__(*args, **kwargs)

    def clean_month(self) -> date:
        today = self.village.today()
        match = MONTH.match(self.cleaned_data["month"].strip())
        if not match:
            return today.replace(day=1)
        year, month = int(match.group(1)), int(match.group(2))
        if not (1 <= month <= 12 and year >= 2000):
            raise forms.ValidationError(_("Enter a month such as 2025-06."))
        return min(date(year, month, 1), today.replace(day=1))

    def month_or_current(self) -> date:
        if self.is_valid():
            return self.cleaned_data["month"]
        return self.village.today().replace(day=1)


class AddressForm(forms.Form):
    public_address = forms.CharField(
        label=_("Public address"),
        required=False,
        max_length=200,
        help_text=_(
            "The address a villager's phone opens this site at, e.g. https://points.example.org. "
            "Certificates' QR codes point there. Leave empty to use the server's setting."
        ),
        widget=forms.URLInput(attrs={"inputmode": "url", "autocomplete": "url", "spellcheck": "false"}),
    )
