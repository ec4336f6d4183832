"""Who acts in which village. Every view that shows village data starts here."""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.db.models import BigIntegerField, Exists, IntegerField, OuterRef, Q, QuerySet
from django.http import Http404, HttpRequest

from villages.compiled import Slot, compiled, prepared
from villages.models import Membership, Resident, Village

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
    memberships = compiled(_memberships).instances(user=request.user.pk)
    if not memberships:
        return None
    villages = {m.village_id: m.village for m in memberships}
    village_id = request.session.get(SESSION_KEY)
    if village_id not in villages:
        # Kept, so that a request needing only the acting village's id can read it from the
        # session and check the user's role there in a statement of its own (session_village_id).
        village_id = request.session[SESSION_KEY] = memberships[0].village_id
    return Acting(
        village=villages[village_id],
        roles=frozenset(m.role for m in memberships if m.village_id == village_id),
        villages=tuple(sorted(villages.values(), key=lambda v: v.name)),
    )


def session_village_id(request: HttpRequest) -> int | None:
    """The id of the village the user acted in at their last request, as the session keeps it;
    None before any. Not checked: it is the acting village only while the user holds a role there,
    which whoever uses it must check (points.access.get_item_to_record checks the scorer's role
    in the statement that reads the item)."""
    return request.session.get(SESSION_KEY)


@prepared
def _memberships() -> QuerySet:
    """The user's (slot user) memberships with their villages: every request that shows village
    data asks, so the query is compiled once (villages.compiled)."""
    return Membership.objects.filter(user_id=Slot("user", IntegerField())).select_related("village")


def has_role(user: AbstractBaseUser, village: Village | int, *roles: Membership.Role) -> bool:
    """Whether `user` holds one of `roles` in `village` (one query). For services, which get a user
    rather than a request; views use `require_role` or an access fetch."""
    village_id = village if isinstance(village, int) else village.pk
    return bool(compiled(_role_held, tuple(sorted(roles))).rows(user=user.pk, village=village_id))


@prepared
def _role_held(roles: tuple[str, ...]) -> QuerySet:
    """A membership of the user (slot user) in the village (slot village) with one of `roles`:
    asked by every service that records or decides, so compiled once per set of roles."""
    return Membership.objects.filter(
        user_id=Slot("user", IntegerField()), village_id=Slot("village", BigIntegerField()), role__in=roles
    ).values_list("pk")[:1]


def holds_role(user: AbstractBaseUser, village: OuterRef, *roles: Membership.Role) -> Exists:
    """has_role as an expression (`village` an OuterRef to a village id), for a service that reads
    the village in a query anyway and folds the check into it."""
    return Exists(Membership.objects.filter(user=user, village_id=village, role__in=roles))


def require_role(request: HttpRequest, *roles: Membership.Role) -> Village:
    """The acting village, if the user holds one of `roles` there; otherwise PermissionDenied."""
    acting = get_acting(request)
    if acting is None or not acting.has(*roles):
        raise PermissionDenied
    return acting.village


def get_in_acting_village(request: HttpRequest, rows: QuerySet, pk: int, *roles: Membership.Role):
    """The row `pk` of `rows` that belongs to the acting village, for a holder of one of `roles`
    there; 404 for anyone else and for a row of another village (its existence is not revealed).
    The row's village is the acting one, already read with the roles: `rows` need not join it."""
    village = _acting_village_for(request, *roles)
    try:
        row = rows.get(pk=pk, village=village)
    except rows.model.DoesNotExist:
        raise Http404 from None
    if not type(row).village.is_cached(row):
        row.village = village
    return row


def _acting_village_for(request: HttpRequest, *roles: Membership.Role) -> Village:
    """The acting village, for a holder of one of `roles` there; 404 for anyone else."""
    acting = get_acting(request)
    if acting is None or not acting.has(*roles):
        raise Http404
    return acting.village


def choose_village(request: HttpRequest, village_id: int) -> bool:
    """Act in another of the user's villages from the next request on. False if they hold no role there."""
    if not Membership.objects.filter(user=request.user, village_id=village_id).exists():
        return False
    request.session[SESSION_KEY] = village_id
    return True


# --- The village office: heads and administrators ----------------------------------------------
# Heads and administrators both keep the register of residents (add, edit, move, consent, import);
# only administrators manage accounts and roles. Heads and administrators see the dashboard and
# the reports. Scorers and residents get 403 on the pages and 404 on any object.

OFFICE = (Membership.Role.HEAD, Membership.Role.ADMIN)  # the one spelling of "head or administrator"


def require_office(request: HttpRequest) -> Village:
    """The acting village, for its head or an administrator; otherwise PermissionDenied."""
    return require_role(request, *OFFICE)


def require_admin(request: HttpRequest) -> Village:
    return require_role(request, Membership.Role.ADMIN)


def get_resident_for_office(request: HttpRequest, pk: int) -> Resident:
    """A resident of the acting village, for its head or an administrator. 404 for anyone else and
    for a resident of another village, so that its existence is not revealed. Its village is the
    acting one (get_in_acting_village); the query is compiled once, as every page of a resident asks."""
    village = _acting_village_for(request, *OFFICE)
    try:
        resident = compiled(_resident_in_village).get(pk=pk, village=village.pk)
    except Resident.DoesNotExist:
        raise Http404 from None
    resident.village = village
    return resident


@prepared
def _resident_in_village() -> QuerySet:
    """The resident (slot pk) of the village (slot village), with household and accounts."""
    return (
        Resident.objects.select_related("household", "user", "consent_recorded_by")
        .filter(pk=Slot("pk", BigIntegerField()), village_id=Slot("village", BigIntegerField()))
        .order_by()
    )


def get_account_for_admin(request: HttpRequest, pk: int) -> AbstractBaseUser:
    """A user who holds a role in, or is a resident of, the acting village, for its administrators;
    404 for anyone else (accounts of other villages stay invisible)."""
    acting = get_acting(request)
    if acting is None or not acting.has(Membership.Role.ADMIN):
        raise Http404
    users = get_user_model().objects.filter(
        Q(memberships__village=acting.village) | Q(resident__village=acting.village), pk=pk
    )
    user = users.distinct().first()
    if user is None:
        raise Http404
    return user
