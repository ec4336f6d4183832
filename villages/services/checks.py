"""Who may change what in the village's register and accounts, for the services (which get a user,
not a request). Each check raises ValidationError with a message the office can read."""

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from villages.access import OFFICE, has_role
from villages.models import Membership, Village


def check_office(actor: AbstractBaseUser, village: Village | int) -> None:
    """The actor is the village's head or one of its administrators."""
    if not has_role(actor, village, *OFFICE):
        raise ValidationError(
            _("Only the village head or an administrator can change the register of residents."), code="not_allowed"
        )


def check_admin(actor: AbstractBaseUser, village: Village | int) -> None:
    """The actor is one of the village's administrators."""
    if not has_role(actor, village, Membership.Role.ADMIN):
        raise ValidationError(_("Only an administrator of the village can manage accounts."), code="not_allowed")
