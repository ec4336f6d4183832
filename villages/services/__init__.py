"""Domain operations on villages, residents and roles, by resource. Every change to the register of
residents, consent, accounts and roles is written with its audit event in the same transaction.
Callers import from `villages.services`."""

from villages.services.accounts import (
    PASSWORD_ALPHABET,
    create_account,
    deactivate_account,
    generate_password,
    grant_role,
    reset_password,
    revoke_role,
)
from villages.services.address import set_public_address
from villages.services.checks import check_admin, check_office
from villages.services.imports import IMPORT_TOKEN_MAX_AGE, ImportResult, import_residents, sign_import, unsign_import
from villages.services.residents import (
    create_resident,
    mark_deceased,
    mark_living_here,
    mark_moved_away,
    move_resident,
    record_consent,
    update_resident,
    withdraw_consent,
)
from villages.services.scale import (
    MAX_BANDS,
    MAX_BOUND,
    MAX_STARTING_CAPITAL,
    check_bands,
    create_village,
    set_grade_bands,
    set_starting_capital,
)
from villages.services.sharing import (
    normalise_phone,
    opt_in_sms,
    opt_out_sms,
    record_household_sharing,
    withdraw_household_sharing,
)

__all__ = [
    "IMPORT_TOKEN_MAX_AGE",
    "MAX_BANDS",
    "MAX_BOUND",
    "MAX_STARTING_CAPITAL",
    "PASSWORD_ALPHABET",
    "ImportResult",
    "check_admin",
    "check_bands",
    "check_office",
    "create_account",
    "create_resident",
    "create_village",
    "deactivate_account",
    "generate_password",
    "grant_role",
    "import_residents",
    "mark_deceased",
    "mark_living_here",
    "mark_moved_away",
    "move_resident",
    "normalise_phone",
    "opt_in_sms",
    "opt_out_sms",
    "record_consent",
    "record_household_sharing",
    "reset_password",
    "revoke_role",
    "set_grade_bands",
    "set_public_address",
    "set_starting_capital",
    "sign_import",
    "unsign_import",
    "update_resident",
    "withdraw_consent",
    "withdraw_household_sharing",
]
