"""How points are written, everywhere: pages, PDFs (booklet, certificates, monthly report) and the
handbook editor. A true minus sign, no trailing zeros (1000, 999.5, +0.5, −10)."""

from decimal import Decimal

from django import template

register = template.Library()


def format_points(value: Decimal | int, *, signed: bool = False, grouped: bool = False) -> str:
    """`value` as people read points: 1000, 999.5, −10; with `signed` the plus sign too (+1, +0.5);
    with `grouped` thousands separated by commas (1,023.5, for the certificate)."""
    value = Decimal(value)
    if value % 1:
        text = f"{abs(value).normalize():,f}" if grouped else f"{abs(value).normalize():f}"
    else:
        text = f"{int(abs(value)):,}" if grouped else str(int(abs(value)))
    if value < 0:
        return "−" + text
    return "+" + text if signed else text


@register.filter
def signed_points(value: Decimal | int) -> str:
    """+1, −10, +0.5: the sign always shown."""
    return format_points(value, signed=True)


@register.filter
def points(value: Decimal | int) -> str:
    """A balance: 1000, 999.5 (no sign unless negative)."""
    return format_points(value)
