"""Forms of the certificate registry: they validate and convert; points.services writes."""

from django import forms
from django.utils.translation import gettext_lazy as _

from villages.grades import Band


class RevokeForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is the certificate revoked?"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=500,
        error_messages={"required": _("Give a reason for revoking the certificate.")},
    )


class BatchForm(forms.Form):
    grades = forms.MultipleChoiceField(
        label=_("Only residents with these grades"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Tick none to issue a certificate to every resident in the scheme."),
    )

    def __init__(self, *args, bands: list[Band], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grades"].choices = [(band.grade, band.grade) for band in bands]
