"""Who acts in which village. Every view that shows village data starts here."""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from villages.models import Membership, Village

SESSION_KEY = "acting_village_id"


@dataclass(frozen=True)
class Acting:
    """The village the signed-in user acts in for this request, and their roles there."""

    village: Village
    roles: frozenset[str]
    villages: tuple[Village, ...]  # every village the user holds a role in, for the switcher

    @property
    def role_names(self) -> list[str]:
        return [label for value, label in Membership.Role.choices if value in self.roles]

    def has(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))


def get_acting(request: HttpRequest) -> Acting | None:
    """The user's acting village and roles, worked out once per request.

    One query. The village comes from the session if the user still holds a role there,
    otherwise it is the first village they hold a role in."""
    if not hasattr(request, "_acting"):
        request._acting = _resolve(request)
    return request._acting


def _resolve(request: HttpRequest) -> Acting | None:
    if not request.user.is_authenticated:
        return None
    memberships = list(Membership.objects.filter(user=request.user).select_related("village"))
    if not memberships:
        return None
    villages = {m.village_id: m.village for m in memberships}
    village_id = request.session.get(SESSION_KEY)
    if village_id not in villages:
        village_id = memberships[0].village_id
    return Acting(
        village=villages[village_id],
        roles=frozenset(m.role for m in memberships if m.village_id == village_id),
        villages=tuple(sorted(villages.values(), key=lambda v: v.name)),
    )


def require_role(request: HttpRequest, *roles: Membership.Role) -> Village:
    """The acting village, if the user holds one of `roles` there; otherwise PermissionDenied."""
    acting = get_acting(request)
    if acting is None or not acting.has(*roles):
        raise PermissionDenied
    return acting.village


def choose_village(request: HttpRequest, village_id: int) -> bool:
    """Act in another of the user's villages from the next request on. False if they hold no role there."""
    if not Membership.objects.filter(user=request.user, village_id=village_id).exists():
        return False
    request.session[SESSION_KEY] = village_id
    return True
