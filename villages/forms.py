"""Forms of the village office: they check and convert what was typed; the services write."""

from datetime import date

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from villages.importing import MAX_BYTES, PHONE
from villages.models import Membership, Resident, Village


def _phone(value: str) -> str:
    value = value.strip()
    if value and not PHONE.match(value):
        raise forms.ValidationError(_("Enter a phone number: digits, spaces, + and - only."))
    return value


class DateInput(forms.DateInput):
    """The browser's date picker. It reads and writes only YYYY-MM-DD, whatever the language: a
    localised value (2026/12/07 in Chinese) would show as an empty field."""

    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class ResidentForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=60)
    household_number = forms.CharField(label=_("Household number"), max_length=20)
    address = forms.CharField(
        label=_("Address of the household"),
        max_length=200,
        required=False,
        help_text=_("Leave empty to keep the household's address."),
    )
    phone = forms.CharField(label=_("Phone"), max_length=30, required=False)
    born_on = forms.DateField(label=_("Date of birth"), required=False, widget=DateInput())

    def __init__(self, *args, village: Village, **kwargs):
        self.village = village
        super().__init__(*args, **kwargs)

    def clean_phone(self) -> str:
        return _phone(self.cleaned_data["phone"])

    def clean_born_on(self) -> date | None:
        born_on = self.cleaned_data["born_on"]
        if born_on and born_on > self.village.today():
            raise forms.ValidationError(_("The date of birth is in the future."))
        return born_on


class ResidentEditForm(ResidentForm):
    """Name, phone and date of birth; the household is changed by moving the resident."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["household_number"]
        del self.fields["address"]


class MoveForm(forms.Form):
    household_number = forms.CharField(
        label=_("Move to household number"),
        max_length=20,
        help_text=_("A new number creates the household."),
    )
    address = forms.CharField(label=_("Address of the household"), max_length=200, required=False)


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Resident.Status.choices)


class ConsentForm(forms.Form):
    given = forms.TypedChoiceField(
        choices=[("yes", _("Record consent")), ("no", _("Withdraw consent"))],
        coerce=lambda value: value == "yes",
        widget=forms.HiddenInput,
    )
    given_on = forms.DateField(label=_("Consent given on"), required=False, widget=DateInput())

    def clean(self) -> dict:
        data = super().clean()
        if data.get("given") and not data.get("given_on"):
            self.add_error("given_on", _("Enter the day the resident agreed to be scored."))
        return data


class SharingForm(ConsentForm):
    """Record (given=yes, with the date) or withdraw (given=no) sharing with the household."""

    given_on = forms.DateField(label=_("Agreed on"), required=False, widget=DateInput())

    def clean(self) -> dict:
        data = forms.Form.clean(self)
        if data.get("given") and not data.get("given_on"):
            self.add_error("given_on", _("Enter the day the resident agreed to share."))
        return data


class SmsForm(forms.Form):
    """Opt in to text messages (a phone number and the date) or out (wanted=no)."""

    wanted = forms.TypedChoiceField(
        choices=[("yes", _("Send text messages")), ("no", _("Stop text messages"))],
        coerce=lambda value: value == "yes",
        widget=forms.HiddenInput,
    )
    phone = forms.CharField(label=_("Mobile phone for text messages"), max_length=30, required=False)
    given_on = forms.DateField(label=_("Asked for on"), required=False, widget=DateInput())

    def clean(self) -> dict:
        data = super().clean()
        if data.get("wanted"):
            if not data.get("phone"):
                self.add_error("phone", _("Enter the mobile number the messages go to."))
            if not data.get("given_on"):
                self.add_error("given_on", _("Enter the day the resident asked for text messages."))
        return data


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("File of residents (CSV or Excel .xlsx)"),
        help_text=_(
            "One resident per row, with the headings 姓名 (name), 户号 (household number), and optionally "
            "住址 (address), 联系电话 (phone), 出生日期 (date of birth)."
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".csv", ".txt", ".xlsx", ".xlsm")):
            raise forms.ValidationError(_("Choose a .csv or .xlsx file."))
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than 2 MB. Split it into smaller files."))
        return upload


class ConfirmImportForm(forms.Form):
    token = forms.CharField(widget=forms.HiddenInput)


class AccountForm(forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=150)
    username = forms.RegexField(
        label=_("User name"),
        max_length=150,
        regex=r"^[\w.@+-]+\Z",
        help_text=_("What they type to sign in: letters, digits and . @ + - _ (e.g. the name in pinyin)."),
        error_messages={"invalid": _("Use letters, digits and . @ + - _ only.")},
    )
    role = forms.ChoiceField(label=_("Role"), choices=Membership.Role.choices)
    resident = forms.ModelChoiceField(
        label=_("Resident record"),
        queryset=Resident.objects.none(),
        required=False,
        help_text=_("Only for a resident's login: whose ledger they will see."),
    )
    email = forms.EmailField(label=_("E-mail (optional)"), required=False)

    def __init__(self, *args, village: Village, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["resident"].queryset = (
            Resident.objects.filter(village=village, user__isnull=True)
            .select_related("household")
            .order_by("household__number", "name")
        )
        self.fields["resident"].label_from_instance = lambda r: f"{r.name} · {r.household.number}"

    def clean(self) -> dict:
        data = super().clean()
        if data.get("role") == Membership.Role.RESIDENT and not data.get("resident"):
            self.add_error("resident", _("Choose the resident this login belongs to."))
        return data


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Membership.Role.choices)
    action = forms.ChoiceField(choices=[("grant", "grant"), ("revoke", "revoke")], widget=forms.HiddenInput)


class ExistingAccountForm(forms.Form):
    """Give a role here to someone who already has an account (e.g. a head of two villages)."""

    username = forms.CharField(label=_("User name of the existing account"), max_length=150)
    role = forms.ChoiceField(label=_("Role"), choices=[c for c in Membership.Role.choices if c[0] != "resident"])

    def clean_username(self):
        username = self.cleaned_data["username"].strip()
        user = get_user_model().objects.filter(username__iexact=username).first()
        if user is None:
            raise forms.ValidationError(_("There is no account with this user name."))
        return user


class SignInForm(AuthenticationForm):
    """Django's sign-in form, with a user name longer than any account's refused as an ordinary
    wrong sign-in before anyone (the lock-out's log among them) tries to look it up or store it.
    `remember` keeps a scorer signed in on their own phone (villages.signin.SignInView)."""

    remember = forms.BooleanField(label=_("Keep me signed in on this phone for 30 days"), required=False)

    def clean(self) -> dict:
        if len(self.cleaned_data.get("username") or "") > self.fields["username"].max_length:
            raise self.get_invalid_login_error()
        return super().clean()


MAX_ID = 2**31 - 1  # the largest primary key both databases store in an integer column


def parse_ids(values: list[str]) -> list[int]:
    """Row ids ticked in a list (`<input type=checkbox name=resident value=…>`); ValueError for
    anything that is not one."""
    ids = [int(value) for value in values]
    if any(not 0 < pk <= MAX_ID for pk in ids):
        raise ValueError("not a row id")
    return ids


class CardCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Card code"),
        max_length=30,
        help_text=_("The 12 letters and digits printed under the QR code, e.g. 4K7M-2Q9X-TR8C."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}),
    )


class ActivateForm(forms.Form):
    username = forms.CharField(label=_("User name"), max_length=150)
    code = forms.CharField(label=_("Activation code"), max_length=30)
    password1 = forms.CharField(label=_("New password"), widget=forms.PasswordInput)
    password2 = forms.CharField(label=_("The new password again"), widget=forms.PasswordInput)

    def clean(self) -> dict:
        data = super().clean()
        if data.get("password1") and data.get("password1") != data.get("password2"):
            self.add_error("password2", _("The two passwords differ."))
        return data
