"""Fetching ledger objects together with the check that the user may see them."""

from django.http import Http404, HttpRequest

from villages.access import get_acting
from villages.models import Membership, Resident


def get_own_resident(request: HttpRequest) -> Resident:
    """The signed-in user's own resident record in the village they act in, or 404."""
    acting = get_acting(request)
    if acting is None or not acting.has(Membership.Role.RESIDENT):
        raise Http404
    try:
        return Resident.objects.select_related("village", "household").get(user=request.user, village=acting.village)
    except Resident.DoesNotExist:
        raise Http404 from None
