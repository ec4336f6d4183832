"""Forms of the volunteer scorer's screens. They validate and convert; points.services writes."""

import uuid
from datetime import timedelta

from django import forms
from django.utils.translation import gettext_lazy as _

from handbook.models import Item
from points.validators import CleanPhoto, clean_photo
from villages.forms import DateInput
from villages.models import Village


class RecordForm(forms.Form):
    """One entry. `resident` and `item` are ids the view resolves through points.access (404 for a
    tampered id); the idempotency key is minted when the form is first rendered and travels with
    every retry of the same submission."""

    resident = forms.IntegerField(widget=forms.HiddenInput)
    item = forms.IntegerField(widget=forms.HiddenInput)
    idempotency_key = forms.UUIDField(widget=forms.HiddenInput)
    occurred_on = forms.DateField(
        label=_("Date of the deed"),
        widget=DateInput(),
        error_messages={"required": _("Enter the day the deed happened."), "invalid": _("Enter a valid date.")},
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    witness = forms.CharField(label=_("Witness (optional)"), required=False, max_length=100)
    photo = forms.FileField(
        label=_("Photo (optional)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
        error_messages={"empty": _("The photo is empty. Take the photo again.")},
    )

    # An infraction takes one more deliberate tap: the box that repeats its points and fine.
    confirmed = forms.BooleanField(required=False)

    def __init__(self, *args, village: Village, item: Item | None = None, **kwargs) -> None:
        """`item`, when given, is the item being recorded: an infraction then needs `confirmed`."""
        super().__init__(*args, **kwargs)
        self.needs_confirmation = item is not None and item.kind == Item.Kind.INFRACTION
        today = village.today()
        date_field = self.fields["occurred_on"]
        date_field.widget.attrs.update(
            {"max": today.isoformat(), "min": (today - timedelta(days=village.backdate_days)).isoformat()}
        )
        if not self.is_bound:
            self.initial.setdefault("occurred_on", today)
            self.initial.setdefault("idempotency_key", uuid.uuid4())

    def clean_confirmed(self) -> bool:
        confirmed = self.cleaned_data.get("confirmed", False)
        if self.needs_confirmation and not confirmed:
            raise forms.ValidationError(
                _("This is a deduction. Tick the box to confirm the points and the fine."), code="not_confirmed"
            )
        return confirmed

    def clean_photo(self) -> CleanPhoto | None:
        upload = self.cleaned_data.get("photo")
        return clean_photo(upload) if upload else None

    @property
    def entry_values(self) -> dict:
        """The cleaned fields as services.record_entry takes them; the view adds the scorer and the
        resident and item it resolved itself."""
        fields = ("occurred_on", "idempotency_key", "note", "witness", "photo")
        return {name: self.cleaned_data[name] for name in fields}


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("Why are you withdrawing it?"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Say why you are withdrawing the entry, e.g. “wrong resident”.")},
    )


class GroupForm(forms.Form):
    """One deed for many residents: the fields every one of their entries shares. The ticked
    residents (`r`) are ids the view resolves through points.access. The key is minted on the
    first render and travels with every search and retry of the same group."""

    item = forms.IntegerField(widget=forms.HiddenInput)
    idempotency_key = forms.UUIDField(widget=forms.HiddenInput)
    occurred_on = RecordForm.base_fields["occurred_on"]
    note = RecordForm.base_fields["note"]
    witness = RecordForm.base_fields["witness"]

    def __init__(self, *args, village: Village, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        today = village.today()
        self.fields["occurred_on"].widget.attrs.update(
            {"max": today.isoformat(), "min": (today - timedelta(days=village.backdate_days)).isoformat()}
        )
        if not self.is_bound:
            self.initial.setdefault("occurred_on", today)
            self.initial.setdefault("idempotency_key", uuid.uuid4())

    @property
    def cleaned_data_for_entries(self) -> dict:
        """The cleaned fields as services.record_group takes them."""
        fields = ("occurred_on", "idempotency_key", "note", "witness")
        return {name: self.cleaned_data[name] for name in fields}
