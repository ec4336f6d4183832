"""Resident cards: issuing (one, or a whole sheet as a background job) and revoking.

A card's secrets exist in clear only while it is being printed: issue_card returns them with the
card, and the sheet job renders them straight into its PDF."""

import contextlib
import os
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from points import card_pdf, certificates, outbox, sms
from points.models import CardSheet
from points.services.entries import refuse
from points.tasks import render_card_sheet
from villages import cards
from villages.access import has_role
from villages.audit import record_audit
from villages.models import Membership, Resident, ResidentCard, Village


@dataclass(frozen=True)
class IssuedCard:
    card: ResidentCard
    secrets: cards.CardSecrets

    def face(self) -> card_pdf.CardFace:
        resident = self.card.resident
        return card_pdf.CardFace(
            village_name=resident.village.name,
            resident_name=resident.name,
            household_number=resident.household.number,
            url=cards.card_url(self.secrets),
            code=self.secrets.code_display,
            enter_url=settings.SITE_URL + reverse("villages:card_enter"),
        )


def _check_office(user: AbstractBaseUser, village: Village | int) -> None:
    if not has_role(user, village, Membership.Role.HEAD, Membership.Role.ADMIN):
        raise refuse(_("Only the village head or an administrator can issue or revoke cards."), "not_allowed")


def _check_may_have_card(resident: Resident) -> None:
    if resident.status != Resident.Status.ACTIVE:
        raise refuse(_("%(name)s no longer lives in the village."), "inactive", name=resident.name)
    if not resident.has_consented:
        raise refuse(_("%(name)s has not joined the points scheme."), "no_consent", name=resident.name)


def issue_card(
    *, resident: Resident, issued_by: AbstractBaseUser, card_secrets: cards.CardSecrets | None = None
) -> IssuedCard:
    """Issue a new card to the resident; their previous card (if any) stops working at once.
    `card_secrets` is for the demo village only (known addresses); otherwise they are random."""
    _check_office(issued_by, resident.village_id)
    _check_may_have_card(resident)
    (issued,) = issue_cards(
        village=resident.village, residents=[resident], issued_by=issued_by, card_secrets=[card_secrets]
    )
    return issued


def issue_cards(
    *,
    village: Village,
    residents: list[Resident],
    issued_by: AbstractBaseUser,
    card_secrets: list[cards.CardSecrets | None] | None = None,
) -> list[IssuedCard]:
    """Issue cards to all `residents` in one transaction, or to none: their live cards are revoked
    first. Five queries whatever the number. Each resident is told by text message (if they opted in)."""
    _check_office(issued_by, village)
    made = [(s or cards.new_secrets()) for s in (card_secrets or [None] * len(residents))]
    with transaction.atomic():
        # The typed code's first group finds the card, so it is unique; draw again on a clash.
        taken = set(
            ResidentCard.objects.filter(lookup__in=[s.code[: cards.LOOKUP_LENGTH] for s in made]).values_list(
                "lookup", flat=True
            )
        )
        seen: set[str] = set()
        for index, card_secrets_ in enumerate(made):
            while card_secrets_.code[: cards.LOOKUP_LENGTH] in taken | seen:
                card_secrets_ = cards.new_secrets()
            made[index] = card_secrets_
            seen.add(card_secrets_.code[: cards.LOOKUP_LENGTH])
        now = timezone.now()
        ResidentCard.objects.filter(resident__in=residents, revoked_at__isnull=True).update(
            revoked_at=now, revoked_by=issued_by
        )
        new = ResidentCard.objects.bulk_create(
            [
                ResidentCard(
                    village=village, resident=resident, issued_by=issued_by, issued_at=now, **cards.card_fields(s)
                )
                for resident, s in zip(residents, made, strict=True)
            ]
        )
        record_audit(
            action="card.issue",
            actor=issued_by,
            village=village,
            target=residents[0].name if len(residents) == 1 else str(len(residents)),
            after={"residents": [r.pk for r in residents]},
        )
        sms.notify_card_issued(resident_ids=[r.pk for r in residents])
    for card, resident in zip(new, residents, strict=True):
        card.resident = resident
    return [IssuedCard(card=card, secrets=s) for card, s in zip(new, made, strict=True)]


def revoke_card(*, card: ResidentCard, revoked_by: AbstractBaseUser) -> ResidentCard:
    """The card stops working at once: its QR address and code answer 404, open sessions end."""
    _check_office(revoked_by, card.village_id)
    with transaction.atomic():
        updated = ResidentCard.objects.filter(pk=card.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now(), revoked_by=revoked_by
        )
        if updated:
            record_audit(action="card.revoke", actor=revoked_by, village=card.village, target=str(card.resident))
    card.refresh_from_db()
    return card


# --- A sheet of cards for many residents, as a background job ------------------------------------


def start_card_sheet(
    *, village: Village, requested_by: AbstractBaseUser, resident_ids: list[int] | None = None
) -> CardSheet:
    """Print cards for every consenting resident living in the village, or for those of
    `resident_ids` among them. The residents are chosen now; the cards are issued and rendered by a
    background task, enqueued once this transaction commits."""
    _check_office(requested_by, village)
    residents = Resident.objects.filter(village=village).scorable()
    if resident_ids is not None:
        residents = residents.filter(pk__in=resident_ids)
    ids = list(residents.order_by("household__number", "name", "pk").values_list("pk", flat=True))
    if not ids:
        raise refuse(_("None of the chosen residents can have a card (living here, in the scheme)."), "empty")
    with transaction.atomic():
        sheet = CardSheet.objects.create(village=village, requested_by=requested_by, resident_ids=ids, total=len(ids))
        record_audit(
            action="card.sheet",
            actor=requested_by,
            village=village,
            target=str(sheet.pk),
            after={"residents": len(ids)},
        )
        outbox.enqueue(render_card_sheet, sheet.pk)
    return sheet


def card_sheet_path(sheet: CardSheet) -> Path:
    return Path(settings.MEDIA_ROOT) / "cards" / f"sheet-{sheet.pk}.pdf"


def run_card_sheet(*, sheet_id: int) -> CardSheet | None:
    """Issue the sheet's cards (all in one transaction) and render them into one PDF; the task's body.

    A run claims the sheet with a fresh `attempt`; a run that finds the sheet claimed by a later one
    stops without writing. The PDF is written atomically (temporary file, then rename). Progress
    (`done` of `total`) is stored every ten cards. Rendering happens outside the transaction."""
    attempt = uuid.uuid4()
    claimed = CardSheet.objects.filter(pk=sheet_id).exclude(status=CardSheet.Status.DONE)
    if not claimed.update(status=CardSheet.Status.RUNNING, done=0, attempt=attempt):
        return CardSheet.objects.filter(pk=sheet_id).first()
    sheet = CardSheet.objects.select_related("village", "requested_by").get(pk=sheet_id)
    found = Resident.objects.select_related("village", "household").filter(pk__in=sheet.resident_ids).in_bulk()
    residents = [found[pk] for pk in sheet.resident_ids if pk in found]
    issued = issue_cards(village=sheet.village, residents=residents, issued_by=sheet.requested_by)

    def progress(number: int) -> None:
        if number % card_pdf.PER_PAGE == 0:
            CardSheet.objects.filter(pk=sheet.pk, attempt=attempt).update(done=number)

    target = card_sheet_path(sheet)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=target.parent, prefix=f".{target.name}.", delete=False) as handle:
        try:
            canvas = card_pdf.new_sheet_canvas(handle)
            position = card_pdf.draw_cards(canvas, (i.face() for i in issued), on_card=progress)
            card_pdf.finish(canvas, position)
            handle.flush()
            os.fsync(handle.fileno())
        except BaseException:
            os.unlink(handle.name)
            raise
        finally:
            certificates._qr_runs.cache_clear()  # the QR codes hold tokens: keep none in memory
    with transaction.atomic():
        mine = CardSheet.objects.select_for_update().filter(pk=sheet.pk, attempt=attempt).exists()
        if not mine:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(handle.name)
            return sheet
        os.replace(handle.name, target)
        CardSheet.objects.filter(pk=sheet.pk).update(
            status=CardSheet.Status.DONE,
            done=sheet.total,
            finished_at=timezone.now(),
            pdf=str(target.relative_to(settings.MEDIA_ROOT)),
        )
    sheet.refresh_from_db()
    return sheet
