"""Forms of the store's pages. They validate and convert; store.services writes."""

import re
import uuid
from datetime import date

from django import forms
from django.utils.translation import gettext_lazy as _

from points.validators import CleanPhoto, clean_photo
from store.models import Goods, StockMovement, StoreSettings
from villages.models import Village

MAX_QUANTITY = 99
MAX_LINES = 100  # articles on one receipt, far beyond any counter's
QUANTITY = re.compile(r"^q([1-9][0-9]{0,8})$")  # ids fit any integer column
MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class BasketForm(forms.Form):
    """How many of each article (`q<goods id>`), and the idempotency key minted when the
    confirmation is first shown: a second tap of Confirm sends the same key.

    With `goods=None` (the Confirm POST) the articles are those named in the data, read without a
    query: store.services.redeem fetches them anyway, with their lock, and refuses goods that are
    not the village's. `show(goods)` then gives the form the catalogue to show again."""

    idempotency_key = forms.UUIDField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, goods: list[Goods] | None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.goods: list[Goods] = []
        if goods is None:
            named = (QUANTITY.match(key) for key in self.data)
            self._add_fields([int(match.group(1)) for match in named if match][:MAX_LINES])
        else:
            self.show(goods)

    def show(self, goods: list[Goods]) -> None:
        self.goods = goods
        self._add_fields([article.pk for article in goods], labels={article.pk: str(article) for article in goods})

    def _add_fields(self, ids: list[int], labels: dict[int, str] | None = None) -> None:
        for pk in ids:
            if f"q{pk}" in self.fields:
                continue
            self.fields[f"q{pk}"] = forms.IntegerField(
                label=(labels or {}).get(pk, ""),
                min_value=0,
                max_value=MAX_QUANTITY,
                required=False,
                widget=forms.NumberInput(attrs={"inputmode": "numeric", "min": 0, "max": MAX_QUANTITY}),
            )

    @property
    def rows(self) -> list[tuple[Goods, forms.BoundField]]:
        """Each article with its quantity field, for the pick list."""
        return [(article, self[f"q{article.pk}"]) for article in self.goods]

    @property
    def basket(self) -> dict[int, int]:
        """goods id → quantity, for the articles picked."""
        return {int(name[1:]): quantity for name, quantity in self.cleaned_data.items() if name[0] == "q" and quantity}

    @property
    def lines(self) -> list[tuple[Goods, int, int]]:
        """(goods, quantity, points) for the articles picked, in catalogue order."""
        return [(a, q, a.price_points * q) for a in self.goods if (q := self.basket.get(a.pk))]

    @property
    def total(self) -> int:
        return sum(points for _goods, _quantity, points in self.lines)

    @property
    def key(self) -> uuid.UUID:
        return self.cleaned_data.get("idempotency_key") or uuid.uuid4()


class CardForm(forms.Form):
    """What the resident's card carries, as the counter receives it: the QR's address (read by the
    camera, or typed by a barcode scanner acting as a keyboard) or the 12-character typed code."""

    card = forms.CharField(
        label=_("Card address or code"),
        max_length=300,  # the page writes the field itself: a scanner's keystrokes go straight in
        error_messages={"required": _("Scan the card, or type the code printed on it.")},
    )


class ReturnForm(forms.Form):
    reason = forms.CharField(
        label=_("Why are the goods coming back?"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Say why, e.g. “the bottle leaks”.")},
    )


class GoodsForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=80)
    unit = forms.CharField(label=_("Unit"), max_length=20, required=False, help_text=_("e.g. bottle, bag, 5 kg"))
    price_points = forms.IntegerField(
        label=_("Price in store points"),
        min_value=1,
        max_value=100_000,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    active = forms.BooleanField(label=_("On offer"), required=False, initial=True)
    photo = forms.FileField(
        label=_("Photo (optional)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )

    def clean_photo(self) -> CleanPhoto | None:
        upload = self.cleaned_data.get("photo")
        return clean_photo(upload) if upload else None


class StockForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("What happened"),
        choices=[(StockMovement.Kind.DELIVERY, _("Delivered")), (StockMovement.Kind.WRITE_OFF, _("Written off"))],
        widget=forms.RadioSelect,
        initial=StockMovement.Kind.DELIVERY,
    )
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, max_value=100_000)
    reason = forms.CharField(label=_("Reason"), max_length=200, help_text=_("The supplier, or what happened."))


class StoreSettingsForm(forms.ModelForm):
    class Meta:
        model = StoreSettings
        fields = ["credits_from", "points_per_deed_point", "recognise_after_days", "expires_at_year_end"]
        widgets = {"credits_from": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}


class BenefitForm(forms.Form):
    grade = forms.ChoiceField(label=_("From grade"), help_text=_("This grade and every higher grade."))
    text = forms.CharField(label=_("Benefit"), max_length=200)
    provider = forms.CharField(label=_("Provided by"), max_length=100)
    starts_on = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    ends_on = forms.DateField(
        label=_("Until (optional)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("The first day it is no longer offered."),
    )

    def __init__(self, *args, grades: list[str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # The lowest grade is not offered: a benefit is a reward, and the lowest grade gets none.
        self.fields["grade"].choices = [(grade, grade) for grade in grades]


class MonthForm(forms.Form):
    """A month as YYYY-MM; the current month if empty, invalid or later."""

    month = forms.CharField(label=_("Month"), required=False, widget=forms.TextInput(attrs={"type": "month"}))

    def __init__(self, *args, village: Village, **kwargs) -> None:
        self.village = village
        super().__init__(*args, **kwargs)

    def chosen_month(self) -> date:
        this_month = self.village.today().replace(day=1)
        match = MONTH.match((self.data.get("month") or "").strip())
        if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 2000:
            return this_month
        return min(date(int(match.group(1)), int(match.group(2)), 1), this_month)
