"""Fetching ledger objects together with the check that the user may see them."""

from contextlib import suppress
from dataclasses import dataclass
from datetime import date

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import BigIntegerField, DateField, QuerySet, Subquery
from django.http import Http404, HttpRequest
from django.utils import timezone

from handbook.models import Edition, Item
from points.models import Appeal, CardSheet, Certificate, CertificateBatch, Claim, Entry
from villages.access import OFFICE, get_acting, get_in_acting_village, holds_role, require_role, session_village_id
from villages.cards import current_card
from villages.compiled import Slot, compiled, prepared
from villages.models import Membership, Resident, Village

SCORER_ONLY = (Membership.Role.SCORER,)


def get_own_resident(request: HttpRequest) -> Resident:
    """The resident of this request's card session, or the signed-in user's own resident record in
    the village they act in; otherwise 404."""
    card = current_card(request)
    if card is not None:
        return card.resident
    acting = get_acting(request)
    if acting is None or not acting.has(Membership.Role.RESIDENT):
        raise Http404
    try:
        return Resident.objects.select_related("village", "household").get(user=request.user, village=acting.village)
    except Resident.DoesNotExist:
        raise Http404 from None


def get_own_entry(request: HttpRequest, pk: int) -> Entry:
    """An original entry (not a reversal) in the signed-in resident's own ledger, or 404."""
    resident = get_own_resident(request)
    try:
        return Entry.objects.select_related("item", "recorded_by", "resident__village").get(
            pk=pk, resident=resident, reverses__isnull=True
        )
    except Entry.DoesNotExist:
        raise Http404 from None


# --- Volunteer scorers ----------------------------------------------------------------------


def get_resident_to_score(village: Village, pk: int | str) -> Resident:
    """A resident of the scorer's acting village (whatever their status: record_entry explains a
    refusal), or 404 for any other id, so a tampered form cannot reach another village."""
    try:
        return Resident.objects.select_related("village", "household").get(pk=pk, village=village)
    except (Resident.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def get_resident_id_to_score(village: Village, pk: int | str) -> Resident:
    """get_resident_to_score without joining the village and household: for the item picker's
    caps left, on every keystroke. The resident's `village` is the acting village given (it was
    just checked to be theirs)."""
    try:
        resident = compiled(_resident_in_village).get(pk=pk, village=village.pk)
    except Resident.DoesNotExist:
        raise Http404 from None
    resident.village = village
    return resident


@prepared
def _resident_in_village() -> QuerySet:
    """The resident (slot pk) of the village (slot village): on every keystroke of the item picker,
    so compiled once (villages.compiled)."""
    return Resident.objects.filter(
        pk=Slot("pk", BigIntegerField()), village_id=Slot("village", BigIntegerField())
    ).order_by()


def get_residents_to_score(village: Village, pks: list[str]) -> list[Resident]:
    """Residents of the scorer's acting village, in the order of `pks` (each once), or 404 if any
    id is not one of them: a tampered group form reaches nobody."""
    try:
        wanted = list(dict.fromkeys(int(pk) for pk in pks))
    except (ValueError, TypeError):
        raise Http404 from None
    found = Resident.objects.select_related("village", "household").filter(pk__in=wanted, village=village)
    by_pk = {resident.pk: resident for resident in found}
    if len(by_pk) != len(wanted):
        raise Http404
    return [by_pk[pk] for pk in wanted]


@dataclass(frozen=True)
class Scoring:
    """What a recording reads before its lock, for one scorer, village and item (`item_to_record`):
    the item, whether the scorer holds a role that may record it, and the village's edition in
    force on `today`. record_entry takes it in place of the item and does not read them again."""

    scorer_id: int
    village: Village
    item: Item
    roles: tuple[str, ...]
    may_score: bool
    in_force: int | None
    today: date


def item_to_record(*, scorer: AbstractBaseUser, village: Village | int, pk: int | str | None) -> Scoring:
    """The item `pk` of one of `village`'s editions (Item.DoesNotExist for any other, or for an id
    no row can have), read in one statement with whether `scorer` is a scorer there and the edition
    in force today: one round trip for the three (issue 18). Whoever records with it checks
    `may_score` (get_item_to_record); record_entry checks it again.

    `village` may be an id not yet read (the acting village as the session keeps it,
    villages.access.session_village_id): the village is then read in the same statement, and
    "today" is the site's day until its time zone is known (record_entry reads the edition again
    if the village's own day is another)."""
    by_id = not isinstance(village, Village)
    today = timezone.localdate() if by_id else village.today()
    item = compiled(_item_with_role_and_edition, SCORER_ONLY, by_id).get(
        pk=pk, village=village if by_id else village.pk, user=scorer.pk, on=today
    )
    return Scoring(
        scorer_id=scorer.pk,
        village=item.edition.village if by_id else village,
        item=item,
        roles=SCORER_ONLY,
        may_score=item.may_score,
        in_force=item.in_force,
        today=today,
    )


@prepared
def _item_with_role_and_edition(roles: tuple[str, ...], with_village: bool) -> QuerySet:
    """The item (slot pk) of one of the village's (slot village) editions (items_in_village), with
    whether the user (slot user) holds one of `roles` there and the pk of the village's
    edition in force on a day (slot on), and the village itself if `with_village`: one statement,
    compiled once."""
    village = Slot("village", BigIntegerField())
    items = (
        items_in_village(pk=Slot("pk", BigIntegerField()), village=village)
        .order_by()  # one row: without the default ordering's join to the page and its sort
        .annotate(**role_and_edition_columns(roles, village))
    )
    return items.select_related("edition__village") if with_village else items


def role_and_edition_columns(roles: tuple[str, ...], village) -> dict:
    """`may_score`: whether the user (slot user) holds one of `roles` in `village` (a slot or an
    OuterRef to a village id); `in_force`: the pk of its edition in force on a day (slot on)."""
    in_force = Edition.objects.in_force_first(village=village, on=Slot("on", DateField())).values("pk")[:1]
    return {"may_score": holds_role(Slot("user", BigIntegerField()), village, *roles), "in_force": Subquery(in_force)}


def get_item_to_record(request: HttpRequest) -> Scoring:
    """The Record POST's item, read with the scorer's role and the edition in force (which
    record_entry then need not read), in the acting village: 403 for anyone but one of its scorers,
    404 for an item of another village, before the form is read. (A resident of another village is
    a 404 from record_entry's lock, or from the page's own fetch when the form is shown again.)

    The acting village as the session names it, if the user is a scorer there, is read in the same
    statement as the item: a round trip fewer for every entry recorded (issue 18). Otherwise, and
    on a miss, the acting village is worked out first, as every page does (require_role)."""
    pk = request.POST.get("item")
    village_id = session_village_id(request)
    if village_id is not None:
        with suppress(Item.DoesNotExist):
            scoring = item_to_record(scorer=request.user, village=village_id, pk=pk)
            if scoring.may_score:
                return scoring
    village = require_role(request, Membership.Role.SCORER)
    try:
        return item_to_record(scorer=request.user, village=village, pk=pk)
    except Item.DoesNotExist:
        raise Http404 from None


def get_item_to_score(village: Village, pk: int | str) -> Item:
    """A handbook item of one of the village's editions, or 404. Whether it is in force is for
    record_entry to say."""
    try:
        return compiled(_item_in_village).get(pk=pk, village=village.pk)
    except Item.DoesNotExist:
        raise Http404 from None


@prepared
def _item_in_village() -> QuerySet:
    """The item (slot pk) of one of the village's (slot village) editions, compiled once."""
    return items_in_village(pk=Slot("pk", BigIntegerField()), village=Slot("village", BigIntegerField())).order_by()


def items_in_village(*, pk, village) -> QuerySet:
    """The item `pk` if it belongs to one of `village`'s editions (ids, or slots of a compiled
    query): the rule of which items a scorer of the village may pick."""
    return Item.objects.filter(pk=pk, edition__village_id=village)


def get_entry_recorded_by(request: HttpRequest, pk: int) -> Entry:
    """An entry the signed-in scorer recorded in their acting village; 403 for non-scorers, 404 for
    anyone else's entry."""
    village = require_role(request, Membership.Role.SCORER)
    try:
        return Entry.objects.select_related("item", "resident__household", "village", "reversal").get(
            pk=pk, village=village, recorded_by=request.user, reverses__isnull=True
        )
    except Entry.DoesNotExist:
        raise Http404 from None


def get_entry_photo_for(request: HttpRequest, pk: int) -> Entry:
    """An entry with a photo that the user may see: the resident themself, the village's head and
    administrators, and the scorer who recorded it. 404 for everyone else."""
    return _with_photo(
        request,
        Entry.objects.filter(pk=pk),
        allowed=lambda entry, acting: acting.has(*OFFICE) or entry.recorded_by_id == request.user.pk,
    )


def _with_photo(request: HttpRequest, rows, *, allowed):
    """The one row of `rows` (entries or claims) that has a photo and is about the card holder or
    the signed-in user's own resident record, or that `allowed(row, acting)` lets the user see in
    the village they act in; 404 otherwise."""
    rows = rows.exclude(photo="")
    card = current_card(request)
    if card is not None:
        row = rows.filter(resident=card.resident).first()
    else:
        acting = get_acting(request)
        row = None if acting is None else rows.filter(village=acting.village).select_related("resident").first()
        own = row is not None and row.resident.user_id is not None and row.resident.user_id == request.user.pk
        if row is not None and not (own or allowed(row, acting)):
            row = None
    if row is None:
        raise Http404
    return row


# --- Certificates ---------------------------------------------------------------------------


def get_certificate_for(request: HttpRequest, pk: int, *, manage: bool = False) -> Certificate:
    """A certificate of the acting village: any of them for its head and administrators; with
    `manage=False` also a resident's own. 404 for everyone and everything else."""
    card = current_card(request)
    if card is not None:
        certificate = Certificate.objects.select_related("village", "resident").filter(pk=pk, resident=card.resident)
        if manage or not certificate:
            raise Http404
        return certificate[0]
    acting = get_acting(request)
    if acting is None:
        raise Http404
    certificate = (
        Certificate.objects.select_related("village", "resident").filter(pk=pk, village=acting.village).first()
    )
    if certificate is None:
        raise Http404
    if acting.has(*OFFICE):
        return certificate
    own = certificate.resident.user_id is not None and certificate.resident.user_id == request.user.pk
    if manage or not own or not acting.has(Membership.Role.RESIDENT):
        raise Http404
    return certificate


def get_batch_for(request: HttpRequest, pk: int) -> CertificateBatch:
    """A certificate batch of the acting village, for its head and administrators; 404 otherwise."""
    return get_in_acting_village(request, CertificateBatch.objects.select_related("village"), pk, *OFFICE)


# --- Households and cards ------------------------------------------------------------------------


def get_household_member_for(request: HttpRequest, pk: int) -> Resident:
    """Another member of the viewer's household (viewer: a card session or a signed-in resident)
    who agreed to share with the household; 404 for anyone else."""
    own = get_own_resident(request)
    try:
        return (
            Resident.objects.select_related("village", "household")
            .exclude(pk=own.pk)
            .get(pk=pk, household_id=own.household_id, shares_with_household_since__isnull=False)
        )
    except Resident.DoesNotExist:
        raise Http404 from None


def household_sharing_with(resident: Resident) -> list[Resident]:
    """The other members of the resident's household who share their standing with it. One query."""
    return list(
        Resident.objects.filter(household_id=resident.household_id, shares_with_household_since__isnull=False)
        .exclude(pk=resident.pk)
        .order_by("name", "pk")
    )


def get_entry_for_office(request: HttpRequest, pk: int) -> Entry:
    """An original entry of the acting village, for its head or an administrator (a paper appeal
    about it); 404 otherwise."""
    rows = Entry.objects.originals().select_related("item", "recorded_by", "resident__household", "village")
    return get_in_acting_village(request, rows, pk, *OFFICE)


def get_card_sheet_for(request: HttpRequest, pk: int) -> CardSheet:
    """A card sheet of the acting village, for its head and administrators; 404 otherwise."""
    return get_in_acting_village(request, CardSheet.objects.select_related("village"), pk, *OFFICE)


# --- Who decides an appeal: nobody judges their own case --------------------------------------


class Conflict:
    """Why someone may not decide an appeal (None: no conflict)."""

    RECORDED = "recorded"  # they recorded the entry
    SELF = "self"  # the entry is in their own ledger
    HOUSEHOLD = "household"  # the entry is in the ledger of someone in their household


@dataclass(frozen=True)
class Decider:
    user_id: int
    role: str
    household_id: int | None


@dataclass(frozen=True)
class Route:
    """Who decides an appeal: `level` is "head" (the village's heads), "admin" (heads all have a
    conflict), "township" (so has every administrator) or "nobody" (no township reviewer either)."""

    level: str
    deciders: frozenset[int]


class AppealDeciders:
    """The village office (heads and administrators, with their households) and its township's
    reviewers, loaded once for a village: routing any number of its appeals costs no more queries."""

    def __init__(self, village: Village) -> None:
        office = list(
            Membership.objects.filter(
                village=village, role__in=[Membership.Role.HEAD, Membership.Role.ADMIN]
            ).values_list("user_id", "role")
        )
        households = dict(
            Resident.objects.filter(user_id__in={user_id for user_id, _role in office}).values_list(
                "user_id", "household_id"
            )
        )
        self.office = [Decider(user_id, role, households.get(user_id)) for user_id, role in office]
        self.households = households
        self.reviewers = (
            frozenset(village.township.reviewers.values_list("pk", flat=True)) if village.township_id else frozenset()
        )

    def conflict(self, appeal: Appeal, user_id: int) -> str | None:
        entry = appeal.entry
        if entry.recorded_by_id == user_id:
            return Conflict.RECORDED
        if entry.resident.user_id == user_id:
            return Conflict.SELF
        household = self.households.get(user_id)
        if household is not None and household == entry.resident.household_id:
            return Conflict.HOUSEHOLD
        return None

    def route(self, appeal: Appeal) -> Route:
        for role, level in ((Membership.Role.HEAD, "head"), (Membership.Role.ADMIN, "admin")):
            free = {d.user_id for d in self.office if d.role == role and self.conflict(appeal, d.user_id) is None}
            if free:
                return Route(level, frozenset(free))
        free = {user_id for user_id in self.reviewers if self.conflict(appeal, user_id) is None}
        return Route("township", frozenset(free)) if free else Route("nobody", frozenset())


def appeal_route(appeal: Appeal) -> Route:
    """Who may decide `appeal` now (points.services.decide_appeal asks this). Three queries."""
    return AppealDeciders(appeal.entry.village).route(appeal)


def get_appeal_for_office(request: HttpRequest, pk: int) -> Appeal:
    """An appeal about an entry in the acting village, for its heads and administrators (who see
    every appeal; whether they may decide it is `appeal_route`'s answer), or 404."""
    acting = get_acting(request)
    if acting is None or not acting.has(*OFFICE):
        raise Http404
    try:
        return Appeal.objects.select_related(
            "entry__item__page__edition",
            "entry__resident__household",
            "entry__recorded_by",
            "entry__village__township",
            "filed_by",
            "decided_by",
        ).get(pk=pk, entry__village=acting.village)
    except Appeal.DoesNotExist:
        raise Http404 from None


# --- Township reviewers ------------------------------------------------------------------------


def reviewed_villages(user) -> list[int]:
    """Ids of the villages in the townships `user` reviews for (empty for everyone else)."""
    if not user.is_authenticated:
        return []
    return list(Village.objects.filter(township__reviewers=user).values_list("pk", flat=True))


def is_reviewer(user) -> bool:
    return bool(user.is_authenticated and user.townships.exists())


def get_case_for_reviewer(request: HttpRequest, pk: int) -> Appeal:
    """An appeal a township reviewer may open: in a village of their township, and either sent up
    by the resident after a rejection or routed to the township because nobody in the village can
    decide it without a conflict. 404 for everything else (and for everyone else): a reviewer never
    browses a village's appeals or ledgers."""
    villages = reviewed_villages(request.user)
    appeal = (
        Appeal.objects.select_related(
            "entry__item__page__edition",
            "entry__resident__household",
            "entry__recorded_by",
            "entry__village__township",
            "filed_by",
            "decided_by",
            "review__decided_by",
        )
        .filter(pk=pk, entry__village_id__in=villages)
        .first()
    )
    if appeal is None:
        raise Http404
    if hasattr(appeal, "review"):
        return appeal
    if appeal.status == Appeal.Status.OPEN and request.user.pk in appeal_route(appeal).deciders:
        return appeal
    raise Http404


def get_own_appeal(request: HttpRequest, pk: int) -> Appeal:
    """An appeal about an entry in the signed-in resident's own ledger, or 404."""
    resident = get_own_resident(request)
    try:
        return Appeal.objects.select_related("entry__item", "entry__village__township", "entry__resident").get(
            pk=pk, entry__resident=resident
        )
    except Appeal.DoesNotExist:
        raise Http404 from None


# --- Claimed deeds -------------------------------------------------------------------------------

CONFIRMERS = (Membership.Role.SCORER, Membership.Role.HEAD)


def get_claim_for_confirmer(request: HttpRequest, pk: int) -> Claim:
    """A claim of the acting village, for its scorers and heads (who confirm or decline); 404 otherwise."""
    rows = Claim.objects.select_related("item", "resident__household", "village", "filed_by", "decided_by", "entry")
    return get_in_acting_village(request, rows, pk, *CONFIRMERS)


def get_claim_photo_for(request: HttpRequest, pk: int) -> Claim:
    """A claim with a photo, for the resident who claimed it (signed in or from their card) and the
    village's scorers and heads; 404 otherwise."""
    return _with_photo(request, Claim.objects.filter(pk=pk), allowed=lambda _claim, acting: acting.has(*CONFIRMERS))
