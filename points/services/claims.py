"""Residents claim deeds; a scorer or head of the village confirms (recording the entry) or declines."""

import uuid
from datetime import date
from typing import IO

from django.contrib.auth.models import AbstractBaseUser
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from handbook.models import Edition, Item
from points.models import Claim, Notification
from points.services.entries import check_current_and_recent, record_entry, refuse
from points.validators import CleanPhoto, clean_photo
from villages.access import has_role
from villages.models import Membership, Resident, ResidentCard

CONFIRMERS = (Membership.Role.SCORER, Membership.Role.HEAD)


def file_claim(
    *,
    resident: Resident,
    item: Item,
    occurred_on: date,
    words: str,
    idempotency_key: uuid.UUID,
    witness: str = "",
    photo: CleanPhoto | IO[bytes] | bytes | None = None,
    filed_by: AbstractBaseUser | None = None,
    card: ResidentCard | None = None,
) -> Claim:
    """The resident declares a deed for a scorer to confirm, signed in with their login (`filed_by`)
    or from their card (`card`, a usable one). Only deeds of the current handbook;
    the photo is checked like a scorer's (points.validators.clean_photo). The same key files once.
    Caps, consent and the backdating window are checked when the claim is confirmed."""
    existing = Claim.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing
    if card is not None:
        if card.resident_id != resident.pk or not ResidentCard.objects.usable().filter(pk=card.pk).exists():
            raise refuse(_("You can only claim deeds for yourself."), "not_allowed")
        filed = {"channel": Claim.Channel.CARD, "card": card}
    elif filed_by is not None and resident.user_id == filed_by.pk:
        filed = {"channel": Claim.Channel.ACCOUNT, "filed_by": filed_by}
    else:
        raise refuse(_("You can only claim deeds for yourself."), "not_allowed")
    village = resident.village
    if item.kind != Item.Kind.DEED:
        raise refuse(_("Only deeds can be claimed; infractions and warnings are for the scorers."), "not_a_deed")
    check_current_and_recent(village=village, item=item, occurred_on=occurred_on)
    words = words.strip()
    if not words:
        raise refuse(_("Say in a few words what you did."), "words_required")
    if photo is not None and not isinstance(photo, CleanPhoto):
        photo = clean_photo(photo)
    name = ""
    if photo is not None:
        name = default_storage.save(
            f"claims/{village.code}/{village.today():%Y/%m}/{uuid.uuid4().hex}.jpg", ContentFile(photo.jpeg)
        )
    try:
        with transaction.atomic():
            return Claim.objects.create(
                village=village,
                resident=resident,
                item=item,
                occurred_on=occurred_on,
                words=words,
                witness=witness.strip(),
                photo=name,
                **filed,
                idempotency_key=idempotency_key,
            )
    except IntegrityError:
        if name:
            default_storage.delete(name)
        existing = Claim.objects.filter(idempotency_key=idempotency_key).first()
        if existing is None:
            raise
        return existing


def _check_confirmer(claim: Claim, user: AbstractBaseUser) -> None:
    if not has_role(user, claim.village_id, *CONFIRMERS):
        raise refuse(_("Only a scorer or the head of the village confirms claimed deeds."), "not_allowed")
    if claim.resident.user_id == user.pk:
        raise refuse(_("You cannot confirm or decline your own claim."), "conflict")


def confirm_claim(*, claim: Claim, confirmer: AbstractBaseUser) -> Claim:
    """Record the claimed deed through record_entry, authored by the confirmer, and link the entry.

    Idempotent: the claim carries the entry's idempotency key, so confirming twice (a double tap,
    two scorers at once, a retry after a crash between the two steps) records one entry. The item
    is the one with the claim's code in the handbook in force today. Refusals of record_entry
    (cap reached, no consent, too old) come back as they are; the claim stays open to decline."""
    _check_confirmer(claim, confirmer)
    if claim.status == Claim.Status.DECLINED:
        raise refuse(_("This claim was declined."), "already_decided")
    if claim.status == Claim.Status.CONFIRMED:
        return claim
    village = claim.village
    edition = Edition.objects.in_force(village=village, on=village.today())
    item = edition.items.filter(code=claim.item.code, kind=Item.Kind.DEED).first() if edition else None
    if item is None:
        raise refuse(_("The claimed deed is no longer in the handbook; decline the claim."), "unknown_item")
    photo = None
    if claim.photo:
        with default_storage.open(claim.photo, "rb") as stored:
            photo = stored.read()
    entry = record_entry(
        scorer=confirmer,
        resident=claim.resident,
        item=item,
        occurred_on=claim.occurred_on,
        idempotency_key=claim.entry_key,
        note=claim.words,
        witness=claim.witness,
        photo=photo,
        confirming_claim=True,
    )
    with transaction.atomic():
        claim = Claim.objects.select_for_update().select_related("resident").get(pk=claim.pk)
        if claim.status == Claim.Status.OPEN:
            claim.status = Claim.Status.CONFIRMED
            claim.entry = entry
            claim.decided_by = confirmer
            claim.decided_at = timezone.now()
            claim.save(update_fields=["status", "entry", "decided_by", "decided_at"])
            _notify(claim)
    return claim


def decline_claim(*, claim: Claim, decider: AbstractBaseUser, reason: str) -> Claim:
    """Decline an open claim with a reason the resident reads. Writes no entry."""
    _check_confirmer(claim, decider)
    reason = reason.strip()
    if not reason:
        raise refuse(_("Say why the claim is declined; the resident will read it."), "reason_required")
    with transaction.atomic():
        claim = Claim.objects.select_for_update().select_related("resident").get(pk=claim.pk)
        if claim.status != Claim.Status.OPEN:
            raise refuse(_("This claim has already been decided."), "already_decided")
        claim.status = Claim.Status.DECLINED
        claim.decided_by = decider
        claim.decided_at = timezone.now()
        claim.decline_reason = reason
        claim.save(update_fields=["status", "decided_by", "decided_at", "decline_reason"])
        _notify(claim)
    return claim


def _notify(claim: Claim) -> None:
    if claim.resident.user_id is not None:
        Notification.objects.get_or_create(
            user_id=claim.resident.user_id, kind=Notification.Kind.CLAIM_DECIDED, claim=claim
        )
