"""Importing a register of residents (villages.importing reads and plans the file) and the signed
token that carries a checked preview to its confirmation."""

from dataclasses import asdict, dataclass
from datetime import date

from django.contrib.auth.models import AbstractBaseUser
from django.core import signing
from django.db import transaction

from villages.audit import record_audit
from villages.importing import ImportRow, plan_import
from villages.models import Household, Resident, Village
from villages.pinyin import pinyin_keys
from villages.services.checks import check_office


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    unchanged: int
    households_created: int
    consents: int


def import_residents(
    *, village: Village, actor: AbstractBaseUser, rows: list[ImportRow], source: str = ""
) -> ImportResult:
    """Write checked rows (villages.importing.read_rows) into the register: all of them in one
    transaction, or nothing. Re-plans inside the transaction, so a file imported twice, or by two
    people at once, adds each resident once. One audit event sums the import up.

    A constant number of queries for the new rows (bulk inserts); one more per updated resident.
    """
    check_office(actor, village)
    with transaction.atomic():
        plan = plan_import(village=village, rows=rows)
        Household.objects.bulk_create(
            Household(village=village, number=number, address=plan.household_addresses.get(number, ""))
            for number in plan.new_households
        )
        households = {h.number: h for h in Household.objects.filter(village=village)}
        for number, address in plan.household_addresses.items():
            household = households[number]
            if household.address != address:
                household.address = address
                household.save(update_fields=["address"])
        new = []
        for planned in plan.rows:
            row = planned.row
            consent = (
                {"consent_given_on": row.consent_given_on, "consent_recorded_by": actor}
                if (planned.records_consent)
                else {}
            )
            if planned.action == "new":
                full, initials = pinyin_keys(row.name)
                new.append(
                    Resident(
                        village=village,
                        household=households[row.household_number],
                        name=row.name,
                        name_pinyin=full,
                        name_initials=initials,
                        phone=row.phone,
                        born_on=row.born_on,
                        **consent,
                    )
                )
            elif planned.action == "update":
                resident = planned.resident
                if "phone" in planned.changes:
                    resident.phone = row.phone
                for name, value in consent.items():
                    setattr(resident, name, value)
                resident.save(update_fields=["phone", *consent])
        # Bulk: Resident.save (which fills the pinyin keys) is not called, so they are set above.
        Resident.objects.bulk_create(new)
        result = ImportResult(
            created=plan.new,
            updated=plan.updated,
            unchanged=plan.same,
            households_created=len(plan.new_households),
            consents=plan.consents,
        )
        record_audit(action="resident.import", actor=actor, village=village, target=source, after=asdict(result))
    return result


# --- The preview token -------------------------------------------------------------------------
# The preview carries the checked rows in a signed hidden field, so nothing is stored between the
# upload and the confirmation.

IMPORT_TOKEN_MAX_AGE = 60 * 60  # seconds between the preview and the confirmation


def _token_salt(*, village: Village, user: AbstractBaseUser) -> str:
    # Bound to the village and the user: a preview cannot be confirmed elsewhere or by someone else.
    return f"villages.import:{village.pk}:{user.pk}"


def sign_import(*, rows: list[ImportRow], source: str, village: Village, user: AbstractBaseUser) -> str:
    """The checked rows of a preview as a signed, compressed token for the confirmation form."""
    data = [
        [r.line, r.name, r.household_number, r.address, r.phone, _iso(r.born_on), _iso(r.consent_given_on)]
        for r in rows
    ]
    return signing.dumps({"source": source, "rows": data}, salt=_token_salt(village=village, user=user), compress=True)


def unsign_import(*, token: str, village: Village, user: AbstractBaseUser) -> tuple[list[ImportRow], str]:
    """The rows and file name a token carries. Raises signing.BadSignature if it was tampered with,
    signed for another village or user, or is older than IMPORT_TOKEN_MAX_AGE."""
    data = signing.loads(token, salt=_token_salt(village=village, user=user), max_age=IMPORT_TOKEN_MAX_AGE)
    rows = [
        ImportRow(
            line=line,
            name=name,
            household_number=number,
            address=address,
            phone=phone,
            born_on=_date(born_on),
            consent_given_on=_date(consent),
        )
        for line, name, number, address, phone, born_on, consent in data["rows"]
    ]
    return rows, data["source"]


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None
