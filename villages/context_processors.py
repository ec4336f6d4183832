from django.utils.functional import SimpleLazyObject

from villages.access import get_acting
from villages.cards import current_card


def acting(request):
    """`acting` in every template: the village the user acts in and their roles (lazy)."""
    return {"acting": SimpleLazyObject(lambda: get_acting(request))}


def card(request):
    """`card` in every template: the card of a card session, or None (lazy)."""
    return {"card": SimpleLazyObject(lambda: current_card(request))}
