from decimal import Decimal

from django import template
from django.utils.formats import number_format

register = template.Library()


@register.filter
def signed_points(value: Decimal | int) -> str:
    """+1, −10, +0.5: the sign always shown, a true minus sign, no trailing .0."""
    value = Decimal(value)
    text = number_format(abs(value).normalize() if value % 1 else int(abs(value)))
    return ("−" if value < 0 else "+") + text


@register.filter
def points(value: Decimal | int) -> str:
    """A balance: 1000, 999.5 (no sign unless negative)."""
    value = Decimal(value)
    return number_format(value.normalize() if value % 1 else int(value))
