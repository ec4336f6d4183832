"""Forms of the administrator's handbook editor. They check and convert input; the services write."""

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from handbook.interchange import MAX_BYTES
from handbook.models import MAX_VALIDITY_MONTHS, MAX_WARNING_DAYS, Edition, Item, Page
from handbook.services import ITEM_FIELDS
from handbook.validators import validate_half_step
from villages.forms import DateInput


class TitleForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=120)


class ItemForm(forms.Form):
    """An item's values. Whether they fit together (a cap needs a period, codes unique in the
    edition) is checked by the service against the whole edition; its errors land on these fields."""

    code = forms.CharField(
        label=_("Code"), max_length=10, help_text=_("Such as 3.2; unique in the handbook."), widget=forms.TextInput()
    )
    title = forms.CharField(label=_("Title"), max_length=120)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    kind = forms.ChoiceField(label=_("Kind"), choices=Item.Kind.choices)
    points = forms.DecimalField(
        label=_("Points"),
        max_digits=6,
        decimal_places=1,
        validators=[validate_half_step],
        help_text=_("In steps of 0.5. Infractions are deducted. A warning is worth 0."),
        widget=forms.NumberInput(attrs={"step": "0.5", "min": "0", "inputmode": "decimal"}),
    )
    fine_yuan = forms.IntegerField(
        label=_("Fine (yuan)"), required=False, min_value=1, widget=forms.NumberInput(attrs={"inputmode": "numeric"})
    )
    cap_count = forms.IntegerField(
        label=_("At most"),
        required=False,
        min_value=1,
        help_text=_("Leave empty for no cap."),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    cap_period = forms.ChoiceField(label=_("Per"), required=False, choices=[("", _("no cap")), *Item.Period.choices])
    validity_months = forms.IntegerField(
        label=_("Counts for (months)"),
        required=False,
        min_value=1,
        max_value=MAX_VALIDITY_MONTHS,
        help_text=_("Infractions only: the deduction stops counting after this many months. Empty: always."),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    warning_days = forms.IntegerField(
        label=_("Warning period (days)"),
        required=False,
        min_value=1,
        max_value=MAX_WARNING_DAYS,
        help_text=_(
            "Warnings: how many days the warning shows. Infractions: a deduction needs a warning "
            "for this item within this many days before. Empty: no warning needed."
        ),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    warns_for = forms.CharField(
        label=_("Warning for item"),
        required=False,
        max_length=10,
        help_text=_("Warnings only: the code of the infraction this warning comes before."),
    )
    page = forms.ModelChoiceField(label=_("Page"), queryset=Page.objects.none(), empty_label=None)

    def __init__(self, *args, edition: Edition, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["page"].queryset = edition.pages.order_by("number")
        self.fields["page"].label_from_instance = lambda page: f"{page.number}. {page.title}"

    @classmethod
    def for_item(cls, item: Item, data=None) -> "ItemForm":
        initial = {name: getattr(item, name) for name in ITEM_FIELDS}
        initial["points"] = Decimal(item.points).normalize() if item.points % 1 else int(item.points)
        initial["page"] = item.page_id
        initial["warns_for"] = item.warns_for
        return cls(data, edition=item.edition, initial=initial, prefix=f"item-{item.pk}")

    @property
    def values(self) -> dict:
        """The cleaned item fields, as the services take them."""
        return {name: self.cleaned_data[name] for name in ITEM_FIELDS}


class PublishForm(forms.Form):
    effective_from = forms.DateField(
        label=_("In force from"),
        help_text=_("Today or later. Entries recorded from that day use the new values."),
        widget=DateInput(),
    )


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Handbook file (YAML)"))

    def clean_file(self) -> bytes:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise ValidationError(_("The file is too large for a handbook (at most 1 MB)."))
        return upload.read()
