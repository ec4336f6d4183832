from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


def validate_half_step(value: Decimal) -> None:
    """Whole or half points, not negative. Zero is for warnings only (handbook.models.Item.clean)."""
    try:
        half_step = value.is_finite() and value >= 0 and (value * 2) % 1 == 0
    except InvalidOperation:  # too large to divide, such as 1e100
        half_step = False
    if not half_step:
        raise ValidationError(
            _("Points must be positive and in steps of 0.5, for example 0.5, 1 or 10."), code="half_step"
        )
