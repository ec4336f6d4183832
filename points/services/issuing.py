"""Issuing, revoking and batch-printing stamped certificates."""

import contextlib
import os
import tempfile
import uuid
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import BigIntegerField, IntegerField, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from points import certificates, outbox
from points.models import Certificate, CertificateBatch
from points.services.entries import refuse
from points.standing import compute_standing, village_grades
from points.tasks import render_certificate_batch
from points.verification import Printing
from villages.access import OFFICE, has_role
from villages.audit import record_audit
from villages.compiled import Slot, compiled, insert_many, prepared
from villages.models import Resident, Village

# Certificates issued per transaction in a batch: small enough that the write lock is held briefly
# (about 10 ms: the chunk's statements are compiled once) and progress moves every second or so (a
# certificate renders in about 3 ms since its village's parts are a reusable form), large enough
# that the chunks' statements and commits are not the cost.
BATCH_CHUNK = 100


def _check_certifier(user: AbstractBaseUser, village: Village | int) -> None:
    if not has_role(user, village, *OFFICE):
        raise refuse(_("Only the village head or an administrator can issue or revoke certificates."), "not_allowed")


def issue_certificate(
    *, resident: Resident, issued_by: AbstractBaseUser, idempotency_key: uuid.UUID | None = None
) -> Certificate:
    """Issue a certificate of the resident's grade and balance today; the PDF is rendered from it.

    Only the village head or an administrator may; the resident must live in the village and have
    agreed to the scheme. Older certificates of the resident are superseded by this one. With an
    `idempotency_key` (the issue form's), the certificate already issued under that key is returned
    instead of a second one; a key used for another resident is refused."""
    _check_certifier(issued_by, resident.village_id)
    if resident.status != Resident.Status.ACTIVE:
        raise refuse(_("%(name)s no longer lives in the village."), "inactive", name=resident.name)
    if not resident.has_consented:
        raise refuse(_("%(name)s has not joined the points scheme."), "no_consent", name=resident.name)
    standing = compute_standing(resident=resident)
    (certificate,) = _issue(
        village=resident.village,
        grades={resident.pk: (standing.balance, standing.grade)},
        residents=[resident],
        issued_by=issued_by,
        idempotency_key=idempotency_key,
    )
    return certificate


def _issue(
    *,
    village: Village,
    residents: list[Resident],
    grades: dict[int, tuple[Decimal, str]],
    issued_by: AbstractBaseUser,
    batch: CertificateBatch | None = None,
    idempotency_key: uuid.UUID | None = None,
) -> list[Certificate]:
    """Issue certificates to `residents` in one transaction and return them in the same order.

    Serial numbers continue the village's sequence for the year without gaps: the village row is
    locked first (PostgreSQL; SQLite's IMMEDIATE transactions serialise writers anyway), so two
    issuers never draw the same number, and a rolled-back transaction gives its numbers back.
    In a batch, residents who already have its certificate get that one back: re-running a batch
    issues nothing twice (and the (batch, resident) constraint would refuse it). Likewise a single
    certificate already issued under `idempotency_key` is given back (looked up under the lock, so
    two posts of one form at once issue one)."""
    with transaction.atomic():
        village = compiled(_locked_village).get(pk=village.pk)
        existing = {}
        if idempotency_key is not None:
            earlier = Certificate.objects.filter(idempotency_key=idempotency_key).first()
            if earlier is not None and [earlier.resident_id] != [r.pk for r in residents]:
                raise refuse(_("This form was already used for another certificate. Reload the page."), "key_reused")
            if earlier is not None:
                existing = {earlier.resident_id: earlier}
        if batch is not None:
            chosen = {f"resident@{n}": r.pk for n, r in enumerate(residents)}
            issued = compiled(_issued_in_batch, len(chosen)).instances(batch=batch.pk, **chosen)
            existing = {c.resident_id: c for c in issued}
        now = timezone.now()
        year = now.astimezone(village.tzinfo).year
        [(last,)] = compiled(_last_sequence).rows(village=village.pk, year=year) or [(0,)]
        new = []
        for resident in residents:
            if resident.pk in existing:
                continue
            last += 1
            balance, grade = grades[resident.pk]
            new.append(
                Certificate(
                    village=village,
                    resident=resident,
                    year=year,
                    sequence=last,
                    serial=f"{village.code}-{year}-{last:04d}",
                    village_name=village.name,
                    seal_text=village.seal_text,
                    resident_name=resident.name,
                    grade=grade,
                    balance_halves=int(balance * 2),
                    issued_by=issued_by,
                    issued_at=now,
                    batch=batch,
                    idempotency_key=idempotency_key,
                )
            )
        insert_many(new)
        if batch is None:
            for certificate in new:
                record_audit(action="certificate.issue", actor=issued_by, village=village, target=certificate.serial)
    issued = existing | {c.resident_id: c for c in new}
    for certificate in issued.values():
        certificate.village = village
    return [issued[r.pk] for r in residents]


# Compiled once and prepared (villages.compiled): a batch of a thousand runs these ten times.


@prepared
def _locked_village() -> QuerySet:
    """The village (slot pk), row-locked while its serial numbers are drawn."""
    return Village.objects.select_for_update().filter(pk=Slot("pk", BigIntegerField()))


@prepared
def _issued_in_batch(residents: int) -> QuerySet:
    """The certificates a batch (slot batch) already issued to any of `residents` residents (slots
    resident@0, resident@1, …)."""
    chosen = [Slot(f"resident@{n}", BigIntegerField()) for n in range(residents)]
    return Certificate.objects.filter(batch_id=Slot("batch", BigIntegerField()), resident__id__in=chosen).order_by()


@prepared
def _last_sequence() -> QuerySet:
    """The village's (slot village) last serial number of a year (slot year), read from the end of
    the (village, year, sequence) unique index."""
    return (
        Certificate.objects.filter(village_id=Slot("village", BigIntegerField()), year=Slot("year", IntegerField()))
        .order_by("-sequence")
        .values_list("sequence")[:1]
    )


def revoke_certificate(*, certificate: Certificate, revoked_by: AbstractBaseUser, reason: str) -> Certificate:
    """Revoke a certificate with a reason: from now on it verifies as revoked (with the date)."""
    _check_certifier(revoked_by, certificate.village_id)
    reason = reason.strip()
    if not reason:
        raise refuse(_("Give a reason for revoking the certificate."), "reason_required")
    with transaction.atomic():
        certificate = Certificate.objects.select_for_update().select_related("village").get(pk=certificate.pk)
        if certificate.is_revoked:
            raise refuse(_("This certificate has already been revoked."), "already_revoked")
        certificate.revoked_at = timezone.now()
        certificate.revoked_by = revoked_by
        certificate.revoke_reason = reason
        certificate.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
        record_audit(
            action="certificate.revoke",
            actor=revoked_by,
            village=certificate.village,
            target=certificate.serial,
            after={"reason": reason},
        )
    return certificate


def start_batch(
    *, village: Village, requested_by: AbstractBaseUser, grades: list[str] | None = None
) -> CertificateBatch:
    """Start issuing certificates to every resident of the village (living there, in the scheme),
    or to those holding one of `grades` today. The residents are chosen now; the certificates are
    issued and rendered by a background task, enqueued once this transaction commits."""
    _check_certifier(requested_by, village)
    grades = sorted(set(grades or []))
    chosen = Resident.objects.filter(village=village).scorable().order_by("household__number", "name", "pk")
    if grades:
        residents = list(chosen)
        standings = village_grades(village=village, residents=residents)
        resident_ids = [r.pk for r in residents if standings[r.pk][1] in grades]
    else:
        resident_ids = list(chosen.values_list("pk", flat=True))
    if not resident_ids:
        raise refuse(_("No resident holds the chosen grades; nothing to issue."), "empty")
    with transaction.atomic():
        batch = CertificateBatch.objects.create(
            village=village,
            requested_by=requested_by,
            grades=grades,
            resident_ids=resident_ids,
            total=len(resident_ids),
        )
        record_audit(
            action="certificate.batch",
            actor=requested_by,
            village=village,
            target=str(batch.pk),
            after={"grades": grades, "residents": len(resident_ids)},
        )
        outbox.enqueue(render_certificate_batch, batch.pk)
    return batch


def resume_batch(*, batch: CertificateBatch, requested_by: AbstractBaseUser) -> CertificateBatch:
    """Enqueue an unfinished batch again (its worker died and the broker lost it, say). Harmless
    if it is still running: a batch never issues a certificate twice."""
    _check_certifier(requested_by, batch.village_id)
    if batch.status != CertificateBatch.Status.DONE:
        with transaction.atomic():
            outbox.enqueue(render_certificate_batch, batch.pk)
    return batch


# A running batch's worker beats after every chunk (seconds apart); one silent for this long died.
# With the job running every minute, a killed worker's batch goes on within three minutes and is
# done well inside the five that issue 21 allows (tests/integration/test_certificate_batch.py).
STALL_AFTER = timedelta(minutes=2)


def resume_stalled_batches(*, stalled_for: timedelta = STALL_AFTER) -> int:
    """Enqueue again every unfinished batch whose worker has shown no sign of life for `stalled_for`
    (killed mid-batch: the broker would hold its task until the visibility timeout, an hour). The
    periodic job runs every minute, so such a batch goes on within about three minutes. Harmless if
    the old worker is alive after all: a batch never issues a certificate twice. Returns how many."""
    cutoff = timezone.now() - stalled_for
    stalled = CertificateBatch.objects.exclude(status=CertificateBatch.Status.DONE).filter(
        Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, requested_at__lt=cutoff)
    )
    resumed = 0
    for pk in list(stalled.values_list("pk", flat=True)):
        with transaction.atomic():
            # Claimed by moving the heartbeat: the next run of the job leaves it to this resumption.
            if CertificateBatch.objects.filter(pk=pk).update(heartbeat_at=timezone.now()):
                outbox.enqueue(render_certificate_batch, pk)
                resumed += 1
    return resumed


def batch_pdf_path(batch: CertificateBatch) -> Path:
    return Path(settings.MEDIA_ROOT) / "certificates" / f"batch-{batch.pk}.pdf"


def discard_old_batch_pdfs(*, older_than: timedelta) -> int:
    """Remove the printable PDFs of batches finished longer ago than `older_than`. The certificates
    stay in the registry and each can still be reprinted from its record. Returns files removed."""
    old = CertificateBatch.objects.filter(
        status=CertificateBatch.Status.DONE, finished_at__lt=timezone.now() - older_than
    ).exclude(pdf="")
    removed = 0
    for batch in old:
        with contextlib.suppress(FileNotFoundError):
            (Path(settings.MEDIA_ROOT) / batch.pdf).unlink()
            removed += 1
        CertificateBatch.objects.filter(pk=batch.pk).update(pdf="")
    return removed


def _remove_stale_temporaries(target: Path) -> None:
    """Temporary files left by runs whose worker was killed. Only those older than the task time
    limit: a younger one may belong to a run still going."""
    cutoff = timezone.now().timestamp() - settings.CELERY_TASK_TIME_LIMIT
    for path in target.parent.glob(f".{target.name}.*"):
        with contextlib.suppress(FileNotFoundError):
            if path.stat().st_mtime < cutoff:
                path.unlink()


def run_certificate_batch(*, batch_id: int) -> CertificateBatch | None:
    """Issue the batch's certificates and render them into one PDF; the task's body.

    Idempotent and resumable: each chunk of residents is issued in its own transaction, and
    residents already issued by an earlier, interrupted run get their certificate back rather than
    a new one. Every run renders the whole PDF again (rendering is reproducible), then writes it
    under MEDIA_ROOT atomically (a temporary file renamed over the old one), so a reader never
    sees half a file. Progress (`done` of `total`) is stored after each chunk. Rendering happens
    outside the transactions."""
    batch = CertificateBatch.objects.select_related("village", "requested_by").filter(pk=batch_id).first()
    if batch is None or batch.status == CertificateBatch.Status.DONE:
        return batch
    CertificateBatch.objects.filter(pk=batch.pk).update(
        status=CertificateBatch.Status.RUNNING, done=0, heartbeat_at=timezone.now()
    )
    village = batch.village
    found = Resident.objects.filter(pk__in=batch.resident_ids).in_bulk()
    residents = [found[pk] for pk in batch.resident_ids if pk in found]
    standings = village_grades(village=village, residents=residents)
    printing = Printing(village)

    target = batch_pdf_path(batch)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=target.parent, prefix=f".{target.name}.", delete=False) as handle:
        try:
            canvas = certificates.new_canvas(handle)
            for start in range(0, len(residents), BATCH_CHUNK):
                chunk = residents[start : start + BATCH_CHUNK]
                issued = _issue(
                    village=village, residents=chunk, grades=standings, issued_by=batch.requested_by, batch=batch
                )
                for data in [printing.data(certificate) for certificate in issued]:
                    certificates.draw_certificate(canvas, data)
                    canvas.showPage()
                CertificateBatch.objects.filter(pk=batch.pk).update(
                    done=start + len(chunk), heartbeat_at=timezone.now()
                )
            canvas.save()
            handle.flush()
            os.fsync(handle.fileno())
        except BaseException:
            os.unlink(handle.name)
            raise
    os.replace(handle.name, target)
    _remove_stale_temporaries(target)
    CertificateBatch.objects.filter(pk=batch.pk).update(
        status=CertificateBatch.Status.DONE,
        done=batch.total,
        finished_at=timezone.now(),
        pdf=str(target.relative_to(settings.MEDIA_ROOT)),
    )
    batch.refresh_from_db()
    return batch
