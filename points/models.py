import uuid
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from handbook.models import Item
from villages.models import Resident, Village


class AppendOnlyError(Exception):
    """Raised when code tries to change or delete a ledger row: corrections are reversing entries."""


class EntryQuerySet(models.QuerySet):
    def counting(self, *, on: date) -> "EntryQuerySet":
        """Rows whose points are part of the balance on `on` (a village-local date).

        Reversals are rows too (with the opposite points), so the balance is a plain SUM.
        """
        return self.filter(counts_from__lte=on).filter(models.Q(expires_on__isnull=True) | models.Q(expires_on__gt=on))

    def originals(self) -> "EntryQuerySet":
        return self.filter(reverses__isnull=True)

    def not_reversed(self, *, on: date | None = None) -> "EntryQuerySet":
        if on is None:
            return self.filter(reversal__isnull=True)
        return self.exclude(reversal__counts_from__lte=on)

    def update(self, **kwargs):
        raise AppendOnlyError("Ledger entries are never updated; record a reversal.")

    def delete(self):
        raise AppendOnlyError("Ledger entries are never deleted; record a reversal.")


class Entry(models.Model):
    """One line of a resident's ledger. Append-only: written by points.services, never changed.

    Points and fine are copied from the handbook item at recording, so a later edition cannot
    change what the entry was worth. A reversal is an entry of its own with the opposite points,
    pointing at the entry it reverses; it counts from the day it was recorded and expires with
    the original, so together they sum to zero from then on.
    """

    village = models.ForeignKey(Village, on_delete=models.PROTECT, related_name="entries")
    resident = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="entries")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="entries")
    points_halves = models.IntegerField(_("points (halves)"))
    fine_yuan = models.PositiveIntegerField(_("fine (yuan)"), null=True, blank=True)
    occurred_on = models.DateField(_("date of the deed"))
    counts_from = models.DateField(_("counts from"))
    expires_on = models.DateField(_("stops counting on"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("recorded by")
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    note = models.TextField(_("note"), blank=True)
    witness = models.CharField(_("witness"), max_length=100, blank=True)
    # Stored under MEDIA_ROOT, outside the web root; only points.views.photos serves it, after
    # points.access.get_entry_photo_for checked who asks. Written by record_entry, never replaced.
    photo = models.FileField(_("photo"), upload_to="photos/%Y/%m/", max_length=200, blank=True, editable=False)
    idempotency_key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reverses = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversal",
        verbose_name=_("reverses"),
    )
    reason = models.TextField(_("reason"), blank=True)

    objects = EntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ["-occurred_on", "-recorded_at"]
        indexes = [
            # A resident's balance on a day: SUM over counting rows, answered from the index.
            models.Index(
                fields=["resident", "counts_from", "expires_on", "points_halves"], name="entry_resident_balance"
            ),
            # Village-wide standings (overview, snapshots): per-resident sums without the table.
            models.Index(fields=["village", "resident", "counts_from", "points_halves"], name="entry_village_balance"),
            # A resident's ledger page, newest first.
            models.Index(fields=["resident", "-occurred_on", "-recorded_at"], name="entry_resident_ledger"),
        ]
        constraints = [
            models.CheckConstraint(condition=~models.Q(points_halves=0), name="entry_points_not_zero"),
            models.CheckConstraint(
                condition=models.Q(reverses__isnull=True) | ~models.Q(reason=""), name="reversal_has_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_on} {self.resident} {self.points:+}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise AppendOnlyError("Ledger entries are never updated; record a reversal.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Ledger entries are never deleted; record a reversal.")

    @property
    def points(self) -> Decimal:
        return Decimal(self.points_halves) / 2

    @property
    def is_reversal(self) -> bool:
        return self.reverses_id is not None


class Appeal(models.Model):
    """A resident disputes an entry; the head upholds it (a reversal is recorded) or rejects it."""

    class Status(models.TextChoices):
        OPEN = "open", _("under appeal")
        UPHELD = "upheld", _("upheld")
        REJECTED = "rejected", _("rejected")

    entry = models.ForeignKey(Entry, on_delete=models.PROTECT, related_name="appeals")
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    filed_at = models.DateTimeField(_("filed at"), default=timezone.now)
    reason = models.TextField(_("reason"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_reason = models.TextField(_("reason for the decision"), blank=True)

    class Meta:
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")
        ordering = ["filed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["entry"], condition=models.Q(status="open"), name="one_open_appeal_per_entry"
            ),
            models.CheckConstraint(
                condition=models.Q(status="open", decided_at__isnull=True)
                | (~models.Q(status="open") & models.Q(decided_at__isnull=False) & ~models.Q(decision_reason="")),
                name="decided_appeal_has_time_and_reason",
            ),
        ]
        indexes = [
            # The head's queue: open appeals of a village, oldest first (joined through entry).
            models.Index(fields=["status", "filed_at"], name="appeal_queue"),
        ]

    def __str__(self) -> str:
        return f"{self.entry} · {self.get_status_display()}"


class Notification(models.Model):
    """An in-app notice for a user, shown on their Standing page and marked read once seen.

    The text is rendered from `kind` and the appeal when shown, so it reads in the viewer's language.
    """

    class Kind(models.TextChoices):
        APPEAL_DECIDED = "appeal_decided", _("appeal decided")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="notifications")
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    # Set by the e-mail task once the message went out, so a second run of the task sends nothing.
    emailed_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at"]
        indexes = [
            # The Standing page: a user's unread notices.
            models.Index(fields=["user", "read_at"], name="notification_unread"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_kind_display()}"
