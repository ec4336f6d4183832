from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from handbook.validators import validate_half_step
from villages.models import Village


class EditionQuerySet(models.QuerySet):
    def published(self) -> "EditionQuerySet":
        return self.filter(published_at__isnull=False)

    def in_force(self, *, village: Village, on: date) -> "Edition | None":
        """The edition whose rules apply on `on`: the latest published one effective by then."""
        return self.in_force_first(village=village, on=on).first()

    def in_force_first(self, *, village: Village | models.OuterRef, on: date) -> "EditionQuerySet":
        """The published editions effective by `on`, the one in force first: `in_force` as a
        queryset, for a subquery (`village` may be an OuterRef)."""
        return self.published().filter(village=village, effective_from__lte=on).order_by("-effective_from", "-number")


# Sensible caps: no more often than once a day, on average; deductions count for at most ten years.
MAX_CAP = {"month": 31, "year": 366}
MAX_VALIDITY_MONTHS = 120
MAX_WARNING_DAYS = 365


class Edition(models.Model):
    """A version of a village's handbook. Drafts are edited; once published an edition is frozen,
    so every entry recorded under one of its items keeps meaning what it meant."""

    village = models.ForeignKey(Village, on_delete=models.PROTECT, related_name="editions")
    number = models.PositiveIntegerField(_("edition"))
    title = models.CharField(_("title"), max_length=120)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    effective_from = models.DateField(_("effective from"), null=True, blank=True)

    objects = EditionQuerySet.as_manager()

    class Meta:
        verbose_name = _("handbook edition")
        verbose_name_plural = _("handbook editions")
        ordering = ["village", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["village", "number"], name="edition_number_unique"),
            models.CheckConstraint(
                condition=models.Q(published_at__isnull=True) | models.Q(effective_from__isnull=False),
                name="published_edition_has_effective_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.number})"

    @property
    def is_draft(self) -> bool:
        return self.published_at is None


class Page(models.Model):
    edition = models.ForeignKey(Edition, on_delete=models.CASCADE, related_name="pages")
    number = models.PositiveSmallIntegerField(_("page"))
    title = models.CharField(_("title"), max_length=120)

    class Meta:
        verbose_name = _("handbook page")
        verbose_name_plural = _("handbook pages")
        ordering = ["edition", "number"]
        constraints = [models.UniqueConstraint(fields=["edition", "number"], name="page_number_unique")]

    def __str__(self) -> str:
        return f"{self.number}. {self.title}"


class Item(models.Model):
    class Kind(models.TextChoices):
        DEED = "deed", _("deed")
        INFRACTION = "infraction", _("infraction")
        # Worth nothing: it tells the resident once before an infraction can cost them points.
        WARNING = "warning", _("warning")

    class Period(models.TextChoices):
        MONTH = "month", _("per calendar month")
        YEAR = "year", _("per calendar year")

    # `edition` repeats page.edition so that codes can be unique per edition in the database.
    edition = models.ForeignKey(Edition, on_delete=models.CASCADE, related_name="items")
    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    code = models.CharField(_("code"), max_length=10)
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    points = models.DecimalField(_("points"), max_digits=6, decimal_places=1, validators=[validate_half_step])
    fine_yuan = models.PositiveIntegerField(_("fine (yuan)"), null=True, blank=True)
    cap_count = models.PositiveSmallIntegerField(_("at most"), null=True, blank=True)
    cap_period = models.CharField(_("per"), max_length=5, choices=Period.choices, blank=True)
    validity_months = models.PositiveSmallIntegerField(
        _("counts for (months)"),
        null=True,
        blank=True,
        help_text=_("A deduction stops counting after this many months. Empty: it always counts."),
    )
    # On a warning: how many days it shows in the resident's ledger. On an infraction: a deduction
    # needs a warning for it recorded within this many days before (empty: no warning needed).
    warning_days = models.PositiveSmallIntegerField(
        _("warning period (days)"),
        null=True,
        blank=True,
        help_text=_(
            "Warnings: how many days the warning shows. Infractions: a deduction needs a warning "
            "for this item within this many days before. Empty: no warning needed."
        ),
    )
    warns_for = models.CharField(
        _("warning for item"),
        max_length=10,
        blank=True,
        help_text=_("Warnings only: the code of the infraction this warning comes before."),
    )

    class Meta:
        verbose_name = _("handbook item")
        verbose_name_plural = _("handbook items")
        ordering = ["page__number", "position", "code"]
        constraints = [
            models.UniqueConstraint(fields=["edition", "code"], name="item_code_unique_per_edition"),
            models.CheckConstraint(
                condition=models.Q(cap_count__isnull=True, cap_period="")
                | models.Q(cap_count__gt=0, cap_period__in=["month", "year"]),
                name="item_cap_has_count_and_period",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    def save(self, *args, **kwargs) -> None:
        if not self.edition.is_draft:
            raise ValidationError(_("A published edition cannot change; start a new draft instead."))
        super().save(*args, **kwargs)

    def clean(self) -> None:
        if self.page_id and self.edition_id and self.page.edition_id != self.edition_id:
            raise ValidationError({"page": _("The page belongs to another edition.")})
        if (self.cap_count is None) != (not self.cap_period):
            raise ValidationError({"cap_period": _("A cap needs both a number and a period.")})
        if self.cap_count is not None and self.cap_count > MAX_CAP[self.cap_period]:
            if self.cap_period == self.Period.YEAR:
                message = _("A cap can allow at most %(max)d times a year.")
            else:
                message = _("A cap can allow at most %(max)d times a month.")
            raise ValidationError({"cap_count": message % {"max": MAX_CAP[self.cap_period]}})
        if self.validity_months is not None and not 1 <= self.validity_months <= MAX_VALIDITY_MONTHS:
            raise ValidationError(
                {
                    "validity_months": _("Enter between 1 and %(max)d months, or leave it empty.")
                    % {"max": MAX_VALIDITY_MONTHS}
                }
            )
        if self.validity_months and self.kind == self.Kind.DEED:
            raise ValidationError({"validity_months": _("Only deductions stop counting; leave this empty for deeds.")})
        self._clean_warning()

    def _clean_warning(self) -> None:
        """A warning is worth nothing and shows for a while; only infractions need one first."""
        if self.warning_days is not None and not 1 <= self.warning_days <= MAX_WARNING_DAYS:
            raise ValidationError(
                {"warning_days": _("Enter between 1 and %(max)d days, or leave it empty.") % {"max": MAX_WARNING_DAYS}}
            )
        if self.kind != self.Kind.WARNING:
            if self.points is not None and self.points <= 0:
                raise ValidationError({"points": _("Deeds and infractions are worth at least 0.5 points.")})
            if self.warns_for:
                raise ValidationError({"warns_for": _("Only a warning comes before another item; leave this empty.")})
            if self.warning_days is not None and self.kind == self.Kind.DEED:
                raise ValidationError({"warning_days": _("Deeds need no warning; leave this empty.")})
            return
        if self.points:
            raise ValidationError({"points": _("A warning is worth 0 points.")})
        if self.fine_yuan or self.cap_count is not None or self.validity_months is not None:
            raise ValidationError({"fine_yuan": _("A warning has no fine, no cap and no period of counting.")})
        if self.warning_days is None:
            raise ValidationError({"warning_days": _("Say for how many days the warning shows.")})

    @property
    def signed_halves(self) -> int:
        """The item's points as a signed whole number of half points (deductions negative)."""
        halves = int(self.points * 2)  # 0 for a warning
        return -halves if self.kind == self.Kind.INFRACTION else halves

    @property
    def is_warning(self) -> bool:
        return self.kind == self.Kind.WARNING

    @property
    def signed_points(self) -> Decimal:
        return Decimal(self.signed_halves) / 2
