from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


def validate_half_step(value: Decimal) -> None:
    """Whole or half points, not negative. Zero is for warnings only (handbook.models.Item.clean)."""
    if value < 0 or (value * 2) % 1 != 0:
        raise ValidationError(
            _("Points must be positive and in steps of 0.5, for example 0.5, 1 or 10."), code="half_step"
        )
