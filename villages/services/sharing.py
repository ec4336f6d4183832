"""A resident's choices about being reached: sharing their standing with their household, and text
messages to a phone number. Both are recorded by the village office (the head or an administrator)
with the date, like consent to be scored, withdrawable, and audited.
"""

from datetime import date

import phonenumbers
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from villages.audit import record_audit
from villages.models import Resident
from villages.services.checks import check_office


def _audit(resident: Resident, *, action: str, actor: AbstractBaseUser, after: dict) -> None:
    record_audit(
        action=action, actor=actor, village=resident.village, target=f"{resident.name} #{resident.pk}", after=after
    )


@transaction.atomic
def record_household_sharing(*, resident: Resident, given_on: date, recorded_by: AbstractBaseUser) -> Resident:
    """The resident agrees that the other members of their household (with a card or a login) see
    their standing and ledger, read-only."""
    check_office(recorded_by, resident.village_id)
    if given_on > resident.village.today():
        raise ValidationError(_("Consent cannot be dated in the future."), code="future_date")
    resident.shares_with_household_since = given_on
    resident.share_recorded_by = recorded_by
    resident.save(update_fields=["shares_with_household_since", "share_recorded_by"])
    _audit(resident, action="sharing.record", actor=recorded_by, after={"since": given_on.isoformat()})
    return resident


@transaction.atomic
def withdraw_household_sharing(*, resident: Resident, recorded_by: AbstractBaseUser) -> Resident:
    """From the next request on, no other member of the household sees the resident's pages."""
    check_office(recorded_by, resident.village_id)
    resident.shares_with_household_since = None
    resident.share_recorded_by = None
    resident.save(update_fields=["shares_with_household_since", "share_recorded_by"])
    _audit(resident, action="sharing.withdraw", actor=recorded_by, after={})
    return resident


def normalise_phone(raw: str) -> str:
    """A mobile number in E.164 (+8613912345678), or ValidationError. Numbers without a country code
    are read in SMS_DEFAULT_REGION (China)."""
    try:
        number = phonenumbers.parse(raw, settings.SMS_DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        number = None
    mobile = (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)
    if number is None or not phonenumbers.is_valid_number(number) or phonenumbers.number_type(number) not in mobile:
        raise ValidationError(_("Enter a mobile phone number, e.g. 139 1234 5678."), code="bad_phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@transaction.atomic
def opt_in_sms(*, resident: Resident, phone: str, given_on: date, recorded_by: AbstractBaseUser) -> Resident:
    """The resident asks for text messages about their ledger at `phone`, from `given_on`."""
    check_office(recorded_by, resident.village_id)
    if given_on > resident.village.today():
        raise ValidationError(_("Consent cannot be dated in the future."), code="future_date")
    resident.sms_phone = normalise_phone(phone)
    resident.sms_opted_in_on = given_on
    resident.save(update_fields=["sms_phone", "sms_opted_in_on"])
    _audit(resident, action="sms.opt_in", actor=recorded_by, after={"since": given_on.isoformat()})
    return resident


@transaction.atomic
def opt_out_sms(*, resident: Resident, recorded_by: AbstractBaseUser) -> Resident:
    check_office(recorded_by, resident.village_id)
    resident.sms_phone = ""
    resident.sms_opted_in_on = None
    resident.save(update_fields=["sms_phone", "sms_opted_in_on"])
    _audit(resident, action="sms.opt_out", actor=recorded_by, after={})
    return resident
