import uuid
import zoneinfo
from datetime import date

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from villages.pinyin import pinyin_keys

TIME_ZONES = sorted((name, name) for name in zoneinfo.available_timezones())


class AppendOnlyError(Exception):
    """Raised when code tries to change or delete a row of an append-only table: the ledger
    (corrections are reversing entries) and the audit trail. On PostgreSQL a trigger refuses the
    same below the ORM."""


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError(f"{self.model._meta.verbose_name_plural} are never changed.")

    def delete(self):
        raise AppendOnlyError(f"{self.model._meta.verbose_name_plural} are never deleted.")


class AppendOnlyModel(models.Model):
    """Rows are inserted once, then never updated or deleted."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise AppendOnlyError(f"{self._meta.verbose_name_plural} are never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError(f"{self._meta.verbose_name_plural} are never deleted.")


class Township(models.Model):
    """A township (乡镇) over several villages. Its reviewers take the second look at appeals that
    residents send up after their village rejected them, and at appeals nobody in the village can
    decide without judging their own case. They see those cases only, never whole ledgers."""

    name = models.CharField(_("name"), max_length=100)
    reviewers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="townships", verbose_name=_("reviewers")
    )

    class Meta:
        verbose_name = _("township")
        verbose_name_plural = _("townships")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Village(models.Model):
    name = models.CharField(_("name"), max_length=100)
    code = models.CharField(
        _("code"),
        max_length=12,
        unique=True,
        validators=[RegexValidator(r"^[A-Z0-9]+$", _("Use capital letters and digits only."))],
        help_text=_("Short prefix for certificate serial numbers, e.g. DDLJ."),
    )
    seal_text = models.CharField(_("seal text"), max_length=60, blank=True)
    timezone = models.CharField(_("time zone"), max_length=64, choices=TIME_ZONES, default="Asia/Shanghai")
    starting_capital = models.PositiveIntegerField(_("starting capital"), default=1000)
    public_address = models.URLField(
        _("public address"),
        blank=True,
        help_text=_("The address villagers' phones reach this site at; certificates' QR codes point there."),
    )
    backdate_days = models.PositiveSmallIntegerField(
        _("days an entry may be backdated"),
        default=30,
        help_text=_("A deed older than this can no longer be recorded."),
    )
    township = models.ForeignKey(
        Township, on_delete=models.PROTECT, null=True, blank=True, related_name="villages", verbose_name=_("township")
    )
    review_window_days = models.PositiveSmallIntegerField(
        _("days to ask the township for review"),
        default=15,
        help_text=_("A resident whose appeal was rejected may ask the township to review it within this many days."),
    )
    # A new random value whenever the village's grade scales or benefits change (villages.terms.revise_terms),
    # under which villages.terms keeps them per process: never reused, so never stale.
    terms_revision = models.UUIDField(default=uuid.uuid4, editable=False)

    class Meta:
        verbose_name = _("village")
        verbose_name_plural = _("villages")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    def today(self) -> date:
        """The calendar date now in the village's own time zone."""
        return timezone.localdate(timezone=self.tzinfo)


class GradeBand(models.Model):
    """One grade of a village's scale. A scale is the set of bands sharing an effective date;
    the scale in force on a day is the one with the latest effective date on or before it."""

    village = models.ForeignKey(Village, on_delete=models.CASCADE, related_name="grade_bands")
    effective_from = models.DateField(_("effective from"))
    grade = models.CharField(_("grade"), max_length=8)
    min_points = models.IntegerField(
        _("lowest balance"), null=True, blank=True, help_text=_("Empty for the lowest grade.")
    )

    class Meta:
        verbose_name = _("grade band")
        verbose_name_plural = _("grade bands")
        ordering = ["village", "-effective_from", models.F("min_points").desc(nulls_last=True)]
        constraints = [
            models.UniqueConstraint(fields=["village", "effective_from", "grade"], name="grade_unique_per_scale"),
            models.UniqueConstraint(
                fields=["village", "effective_from", "min_points"], name="grade_bound_unique_per_scale"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.grade} ≥ {self.min_points}" if self.min_points is not None else self.grade


class BenefitQuerySet(models.QuerySet):
    def on(self, day: date) -> "BenefitQuerySet":
        """Benefits offered on `day`: started and not yet ended."""
        return self.filter(starts_on__lte=day).filter(models.Q(ends_on__isnull=True) | models.Q(ends_on__gt=day))


class Benefit(models.Model):
    """Something a village offers residents of a grade and every higher grade (deposit-free renting,
    priority in a service). A reward only: villages.benefits never gives one to the lowest grade of
    the scale in force, so a low grade means no benefit, never a loss.

    Kept once offered: the certificate printed on a day lists the benefits of that day, so a
    benefit is ended (ends_on), never edited or deleted; a changed offer is a new benefit."""

    village = models.ForeignKey(Village, on_delete=models.PROTECT, related_name="benefits")
    grade = models.CharField(_("from grade"), max_length=8, help_text=_("This grade and every higher grade."))
    text = models.CharField(_("benefit"), max_length=200)
    provider = models.CharField(_("provided by"), max_length=100)
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"), null=True, blank=True, help_text=_("The first day it is no longer offered."))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    objects = BenefitQuerySet.as_manager()

    class Meta:
        verbose_name = _("benefit")
        verbose_name_plural = _("benefits")
        ordering = ["village", "starts_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__isnull=True) | models.Q(ends_on__gt=models.F("starts_on")),
                name="benefit_ends_after_it_starts",
            )
        ]

    def __str__(self) -> str:
        return f"{self.grade}: {self.text}"


class Household(models.Model):
    village = models.ForeignKey(Village, on_delete=models.PROTECT, related_name="households")
    number = models.CharField(_("household number"), max_length=20)
    address = models.CharField(_("address"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        ordering = ["village", "number"]
        constraints = [models.UniqueConstraint(fields=["village", "number"], name="household_number_unique")]

    def __str__(self) -> str:
        return self.number

    @property
    def label(self) -> str:
        """The household as every page names it ("Household 12", "户号 12"): a property rather than
        a {% blocktranslate %} in each row of the scorer's search and the register's lists."""
        return gettext("Household %(number)s") % {"number": self.number}


class ResidentQuerySet(models.QuerySet):
    def scorable(self) -> "ResidentQuerySet":
        """Residents a scorer may record for: living in the village and consenting."""
        return self.filter(status=Resident.Status.ACTIVE, consent_given_on__isnull=False)


class Resident(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("lives in the village")
        MOVED_AWAY = "moved", _("moved away")
        DECEASED = "deceased", _("deceased")

    village = models.ForeignKey(Village, on_delete=models.PROTECT, related_name="residents")
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="residents")
    name = models.CharField(_("name"), max_length=60)
    name_pinyin = models.CharField(max_length=200, editable=False, db_index=True)
    name_initials = models.CharField(max_length=60, editable=False, db_index=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    born_on = models.DateField(_("date of birth"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="resident",
        verbose_name=_("login"),
    )
    # Scoring needs the resident's informed consent (Rongcheng's later rules): without
    # these two fields set, nobody can record an entry for them.
    consent_given_on = models.DateField(_("consent given on"), null=True, blank=True)
    consent_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("consent recorded by"),
    )

    # Whether the other members of the household (with a card or a login) may see this resident's
    # standing and ledger: a consent recorded like scoring consent, and withdrawable.
    shares_with_household_since = models.DateField(_("shares with the household since"), null=True, blank=True)
    share_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("sharing recorded by"),
    )
    # Text messages: only to a resident who opted in, with the number they gave (E.164) and the date.
    sms_phone = models.CharField(_("phone for text messages"), max_length=20, blank=True)
    sms_opted_in_on = models.DateField(_("text messages since"), null=True, blank=True)

    objects = ResidentQuerySet.as_manager()

    class Meta:
        verbose_name = _("resident")
        verbose_name_plural = _("residents")
        ordering = ["village", "household__number", "name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(consent_given_on__isnull=True, consent_recorded_by__isnull=True)
                | models.Q(consent_given_on__isnull=False, consent_recorded_by__isnull=False),
                name="consent_has_date_and_recorder",
            ),
            models.CheckConstraint(
                condition=models.Q(shares_with_household_since__isnull=True, share_recorded_by__isnull=True)
                | models.Q(shares_with_household_since__isnull=False, share_recorded_by__isnull=False),
                name="household_share_has_date_and_recorder",
            ),
            models.CheckConstraint(
                condition=models.Q(sms_opted_in_on__isnull=True, sms_phone="")
                | (models.Q(sms_opted_in_on__isnull=False) & ~models.Q(sms_phone="")),
                name="sms_opt_in_has_phone_and_date",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        self.name_pinyin, self.name_initials = pinyin_keys(self.name)
        super().save(*args, **kwargs)

    @property
    def has_consented(self) -> bool:
        return self.consent_given_on is not None

    @property
    def shares_with_household(self) -> bool:
        return self.shares_with_household_since is not None

    @property
    def wants_sms(self) -> bool:
        return self.sms_opted_in_on is not None


class Membership(models.Model):
    """A role a user holds in one village. Nobody acts outside the villages they hold a role in."""

    class Role(models.TextChoices):
        ADMIN = "admin", _("administrator")
        HEAD = "head", _("village head")
        SCORER = "scorer", _("volunteer scorer")
        RESIDENT = "resident", _("resident")
        STORE_KEEPER = "keeper", _("store keeper")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    village = models.ForeignKey(Village, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=10, choices=Role.choices)
    since = models.DateTimeField(_("since"), default=timezone.now)

    class Meta:
        verbose_name = _("role in a village")
        verbose_name_plural = _("roles in villages")
        ordering = ["village", "role"]
        constraints = [models.UniqueConstraint(fields=["user", "village", "role"], name="membership_unique")]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.village}"


class AuditEvent(AppendOnlyModel):
    """Who changed what, when, with the values before and after. Append-only, written only by
    villages.audit.record_audit, shown to administrators."""

    village = models.ForeignKey(Village, on_delete=models.PROTECT, null=True, blank=True, related_name="audit")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(_("when"), default=timezone.now)
    action = models.CharField(_("action"), max_length=60)
    target = models.CharField(_("what"), max_length=200, blank=True)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    address = models.GenericIPAddressField(_("address"), null=True, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-at"]
        indexes = [
            # The administrator's audit page: a village's events, newest first.
            models.Index(fields=["village", "-at"], name="audit_village_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.target}"


class ResidentCardQuerySet(models.QuerySet):
    def usable(self) -> "ResidentCardQuerySet":
        """Cards that open a card session: not revoked, for a resident still living in the village."""
        return self.filter(revoked_at__isnull=True, resident__status=Resident.Status.ACTIVE)


class ResidentCard(models.Model):
    """A printed card that opens one resident's own pages without an account (villages.cards).

    Neither secret is stored: the QR token only as its SHA-256, the typed code's secret part only
    as an HMAC-SHA256 under the site's key. `lookup` (the first group of the typed code) is not a
    secret; it finds the card, and wrong codes are counted against it. Reissuing revokes the old card.
    """

    village = models.ForeignKey(Village, on_delete=models.PROTECT, related_name="cards")
    resident = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="cards")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    lookup = models.CharField(max_length=8, unique=True, editable=False)
    code_hash = models.CharField(max_length=64, editable=False)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("issued by")
    )
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = ResidentCardQuerySet.as_manager()

    class Meta:
        verbose_name = _("resident card")
        verbose_name_plural = _("resident cards")
        ordering = ["-issued_at", "-pk"]
        constraints = [
            # At most one card of a resident opens their pages; a reissue revokes the old one first.
            models.UniqueConstraint(
                fields=["resident"], condition=models.Q(revoked_at__isnull=True), name="one_live_card_per_resident"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.resident} · {self.lookup}"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class CardCodeAttempts(models.Model):
    """Wrong typed card codes, counted per address and per card (`key`), like sign-in attempts:
    CARD_CODE_FAILURE_LIMIT in a row lock the key for CARD_CODE_COOLOFF_HOURS (villages.cards)."""

    key = models.CharField(max_length=100, unique=True)
    failures = models.PositiveIntegerField(default=0)
    last_failure_at = models.DateTimeField(default=timezone.now)
    locked_until = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.key}: {self.failures}"


class ActivationCode(models.Model):
    """A one-time code, printed on paper, with which a resident sets the password of the login the
    office created for them (villages.services.accounts.create_resident_logins). Stored only as an
    HMAC-SHA256 under the site's key, like a card's typed code; used once, then spent."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="activation_codes")
    code_hash = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("activation code")
        verbose_name_plural = _("activation codes")

    def __str__(self) -> str:
        return f"{self.user} · {self.created_at:%Y-%m-%d}"
