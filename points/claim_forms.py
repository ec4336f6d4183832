"""Forms for deeds residents claim and the scorer's answer. They validate and convert; services write."""

import uuid
from datetime import timedelta

from django import forms
from django.utils.translation import gettext_lazy as _

from handbook.models import Edition, Item
from points.forms import RecordForm
from points.validators import CleanPhoto, clean_photo
from villages.models import Village


class ClaimForm(forms.Form):
    item = forms.ModelChoiceField(
        label=_("Which deed?"),
        queryset=Item.objects.none(),
        empty_label=_("Choose the deed"),
        error_messages={"required": _("Choose the deed from the handbook.")},
    )
    occurred_on = RecordForm.base_fields["occurred_on"]
    words = forms.CharField(
        label=_("What did you do? (a few words)"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Say in a few words what you did.")},
    )
    witness = forms.CharField(label=_("Witness (optional)"), required=False, max_length=100)
    photo = forms.FileField(
        label=_("Photo (optional)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
        error_messages={"empty": _("The photo is empty. Take the photo again.")},
    )
    idempotency_key = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args, village: Village, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        today = village.today()
        edition = Edition.objects.in_force(village=village, on=today)
        items = Item.objects.filter(edition=edition, kind=Item.Kind.DEED) if edition else Item.objects.none()
        self.fields["item"].queryset = items.order_by("page__number", "position", "code")
        self.fields["item"].label_from_instance = lambda item: f"{item.code} {item.title} (+{item.points.normalize()})"
        self.fields["occurred_on"].widget.attrs.update(
            {"max": today.isoformat(), "min": (today - timedelta(days=village.backdate_days)).isoformat()}
        )
        if not self.is_bound:
            self.initial.setdefault("occurred_on", today)
            self.initial.setdefault("idempotency_key", uuid.uuid4())

    def clean_photo(self) -> CleanPhoto | None:
        upload = self.cleaned_data.get("photo")
        return clean_photo(upload) if upload else None

    @property
    def claim_values(self) -> dict:
        fields = ("item", "occurred_on", "words", "witness", "photo", "idempotency_key")
        return {name: self.cleaned_data[name] for name in fields}


class ClaimAnswerForm(forms.Form):
    CONFIRM, DECLINE = "confirm", "decline"

    answer = forms.ChoiceField(
        choices=[(CONFIRM, _("Confirm")), (DECLINE, _("Decline"))],
        error_messages={"required": _("Choose whether to confirm or decline the claim.")},
    )
    reason = forms.CharField(
        label=_("If you decline: why (the resident will read it)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
