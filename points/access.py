"""Fetching ledger objects together with the check that the user may see them."""

from django.http import Http404, HttpRequest

from handbook.models import Item
from points.models import Appeal, Certificate, CertificateBatch, Entry
from villages.access import OFFICE, get_acting, require_role
from villages.models import Membership, Resident, Village


def get_own_resident(request: HttpRequest) -> Resident:
    """The signed-in user's own resident record in the village they act in, or 404."""
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


def get_appeal_for_head(request: HttpRequest, pk: int) -> Appeal:
    """An appeal about an entry in the acting village, for the village head (who decides appeals), or 404."""
    acting = get_acting(request)
    if acting is None or not acting.has(Membership.Role.HEAD):
        raise Http404
    try:
        return Appeal.objects.select_related(
            "entry__item__page", "entry__resident__household", "entry__recorded_by", "filed_by", "decided_by"
        ).get(pk=pk, entry__village=acting.village)
    except Appeal.DoesNotExist:
        raise Http404 from None


# --- Volunteer scorers ----------------------------------------------------------------------


def get_resident_to_score(village: Village, pk: int | str) -> Resident:
    """A resident of the scorer's acting village (whatever their status: record_entry explains a
    refusal), or 404 for any other id, so a tampered form cannot reach another village."""
    try:
        return Resident.objects.select_related("village", "household").get(pk=pk, village=village)
    except (Resident.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def get_item_to_score(village: Village, pk: int | str) -> Item:
    """A handbook item of one of the village's editions, or 404. Whether it is in force is for
    record_entry to say."""
    try:
        return Item.objects.select_related("page", "edition").get(pk=pk, edition__village=village)
    except (Item.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


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
    acting = get_acting(request)
    if acting is None:
        raise Http404
    entry = Entry.objects.filter(pk=pk, village=acting.village).exclude(photo="").select_related("resident").first()
    if entry is None:
        raise Http404
    allowed = (
        acting.has(*OFFICE)
        or entry.recorded_by_id == request.user.pk
        or (entry.resident.user_id is not None and entry.resident.user_id == request.user.pk)
    )
    if not allowed:
        raise Http404
    return entry


# --- Certificates ---------------------------------------------------------------------------


def get_certificate_for(request: HttpRequest, pk: int, *, manage: bool = False) -> Certificate:
    """A certificate of the acting village: any of them for its head and administrators; with
    `manage=False` also a resident's own. 404 for everyone and everything else."""
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
    acting = get_acting(request)
    if acting is None or not acting.has(*OFFICE):
        raise Http404
    try:
        return CertificateBatch.objects.select_related("village").get(pk=pk, village=acting.village)
    except CertificateBatch.DoesNotExist:
        raise Http404 from None
