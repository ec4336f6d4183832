from django.utils.functional import SimpleLazyObject

from villages.access import get_acting


def acting(request):
    """`acting` in every template: the village the user acts in and their roles (lazy)."""
    return {"acting": SimpleLazyObject(lambda: get_acting(request))}
