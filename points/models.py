import uuid
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models.lookups import IsNull
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from handbook.models import Item
from villages.models import AppendOnlyModel, AppendOnlyQuerySet, Resident, Village


class _Unindexed(models.Func):
    """A column as a plain value. On SQLite `+column` keeps the planner from answering the term
    through an index on the column (sqlite.org/optoverview.html, "unary +"); elsewhere unchanged."""

    template = "%(expressions)s"

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, template="+%(expressions)s", **extra_context)


class EntryQuerySet(AppendOnlyQuerySet):
    def counting(self, *, on: date) -> "EntryQuerySet":
        """Rows whose points are part of the balance on `on` (a village-local date).

        Reversals are rows too (with the opposite points), so the balance is a plain SUM. The rule
        itself lives in points.standing.counting.
        """
        from points.standing import counting  # points.standing builds on these models

        return self.filter(counting(on))

    def originals(self) -> "EntryQuerySet":
        # Not `reverses__isnull=True`: on SQLite that term matches the UNIQUE index on reverses_id,
        # which the planner takes to return one row, so it walked every original entry of the whole
        # ledger instead of the resident's or village's index (the standing page's expiries: 20–40 ms
        # at 66,000 entries and growing with the county; 0.3 ms now). See bench/ and BENCHMARKS.md.
        return self.filter(IsNull(_Unindexed("reverses_id", output_field=models.BigIntegerField()), True))

    def not_reversed(self, *, on: date | None = None) -> "EntryQuerySet":
        """Entries with no reversal (counting by `on`, if given).

        NOT EXISTS rather than `reversal__isnull=True`: Django writes that as LEFT JOIN … WHERE
        T.id IS NULL, which PostgreSQL does not turn into an anti-join; it then expects one row
        and nests loops over the rest (the dashboard's monthly counts for a village of 100,000
        entries in a 1 M county: 5.7 s; 60 ms as an anti-join)."""
        reversals = self.model.objects.filter(reverses=models.OuterRef("pk"))
        if on is not None:
            reversals = reversals.filter(counts_from__lte=on)
        return self.filter(~models.Exists(reversals))


class Entry(AppendOnlyModel):
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
    # Links the entry to the one written before it in its village (points.chain): editing or
    # deleting any row breaks the chain from there on, which `manage.py verify_ledger` reports.
    chain_hash = models.CharField(_("chain hash"), max_length=64, editable=False, default="")
    # The id of the LEDGER_CHAIN_KEYS key the hash was computed with (sealed too): keys can rotate.
    chain_key = models.CharField(_("chain key"), max_length=16, editable=False, default="")

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
            # The head of a village's hash chain at insert, and verify_ledger --village walking it.
            # On PostgreSQL it also holds what the dashboard's grades read of the entries written
            # since the last snapshots (points.standing.grade_tallies), so they come from it alone.
            models.Index(
                fields=["village", "id"],
                name="entry_village_chain",
                include=["counts_from", "resident", "expires_on", "points_halves"],
            ),
            # A scorer's last entries: their recent residents and most used items (points.pickers), My entries.
            # Ascending and ending in the id: read backwards it is "-recorded_at, -id", the order those
            # queries ask for, tie-break included, so neither database sorts (SQLite did, 0.25 ms a query).
            models.Index(fields=["recorded_by", "village", "recorded_at", "id"], name="entry_scorer_latest"),
            # The dashboard's deeds per handbook page of the months still open (office.dashboard):
            # their days only, and on SQLite without reading the table.
            models.Index(
                fields=["village", "occurred_on", "item", "points_halves", "reverses"], name="entry_village_day"
            ),
            # The dashboard's scorer activity: who recorded what in a village's month, from the index
            # alone (reading the table's rows was 60% of the query on SQLite).
            models.Index(
                fields=["village", "recorded_at", "recorded_by", "points_halves", "reverses"],
                name="entry_village_scorers",
            ),
            # The dashboard's grades now from the last settled month's (points.standing.grade_tallies):
            # the entries that started counting since, and the deductions that stopped (few have an
            # expiry: a partial index), not the village's whole ledger; each read from its index alone.
            models.Index(
                fields=["village", "counts_from", "resident", "expires_on", "points_halves", "id"],
                name="entry_village_counts_from",
            ),
            models.Index(
                fields=["village", "expires_on", "counts_from", "resident", "points_halves", "id"],
                name="entry_village_expiring",
                condition=models.Q(expires_on__isnull=False),
            ),
        ]
        constraints = [
            # Zero points only for a warning (and its withdrawal), which never carries a fine.
            models.CheckConstraint(
                condition=~models.Q(points_halves=0) | models.Q(fine_yuan__isnull=True),
                name="entry_zero_points_only_for_warnings",
            ),
            models.CheckConstraint(
                condition=models.Q(reverses__isnull=True) | ~models.Q(reason=""), name="reversal_has_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_on} {self.resident} {self.points:+}"

    @property
    def points(self) -> Decimal:
        return Decimal(self.points_halves) / 2

    @property
    def is_reversal(self) -> bool:
        return self.reverses_id is not None

    @property
    def is_warning(self) -> bool:
        return self.points_halves == 0


class PublishedHead(AppendOnlyModel):
    """A village's chain head at the end of a month as it was published (printed in the monthly
    report, exported by `manage.py chain_heads`): the last entry then, its hash and how many entries
    the chain held. Written once (points.heads), never changed; `verify_ledger` checks the chain
    still reaches it, so entries deleted from the end are found. No foreign key: the head must
    outlive the entry it names, or deleting the entry would take the evidence with it."""

    village = models.ForeignKey(Village, on_delete=models.PROTECT, related_name="+")
    month = models.DateField(_("month"))  # its first day
    entry_id = models.BigIntegerField(_("last entry"), null=True)  # None: no entry by then
    chain_hash = models.CharField(_("chain hash"), max_length=64)
    entries = models.PositiveIntegerField(_("entries"))
    published_at = models.DateTimeField(_("published at"), default=timezone.now)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("published chain head")
        verbose_name_plural = _("published chain heads")
        ordering = ["village", "month"]
        constraints = [models.UniqueConstraint(fields=["village", "month"], name="published_head_once_a_month")]

    def __str__(self) -> str:
        return f"{self.village} {self.month:%Y-%m} #{self.entry_id} {self.chain_hash[:12]}"


class Decided(models.Model):
    """What a decision on an appeal or a township review keeps: who, when and why. Open until
    decided; a decided one has its time and its reason (the constraint)."""

    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_reason = models.TextField(_("reason for the decision"), blank=True)

    class Meta:
        abstract = True
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status="open", decided_at__isnull=True)
                | (~models.Q(status="open") & models.Q(decided_at__isnull=False) & ~models.Q(decision_reason="")),
                name="decided_%(class)s_has_time_and_reason",
            ),
        ]


class Appeal(Decided):
    """A resident disputes an entry; the head upholds it (a reversal is recorded) or rejects it."""

    class Status(models.TextChoices):
        OPEN = "open", _("under appeal")
        UPHELD = "upheld", _("upheld")
        REJECTED = "rejected", _("rejected")

    class Channel(models.TextChoices):
        ACCOUNT = "account", _("from the resident's login")
        CARD = "card", _("from the resident's card")
        PAPER = "paper", _("on paper, at the village office")

    entry = models.ForeignKey(Entry, on_delete=models.PROTECT, related_name="appeals")
    # The resident's login; empty when filed from a card or recorded from paper by the office.
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    filed_at = models.DateTimeField(_("filed at"), default=timezone.now)
    reason = models.TextField(_("reason"))
    channel = models.CharField(_("filed"), max_length=10, choices=Channel.choices, default=Channel.ACCOUNT)
    card = models.ForeignKey(
        "villages.ResidentCard", on_delete=models.PROTECT, null=True, blank=True, related_name="appeals"
    )
    # A paper appeal: who at the office received it, on which day, and optionally a scan of the paper.
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("received by"),
    )
    received_on = models.DateField(_("received on"), null=True, blank=True)
    # Under MEDIA_ROOT, outside the web root, like entry photos.
    scan = models.FileField(_("scan"), upload_to="appeals/%Y/%m/", max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)

    class Meta:
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")
        ordering = ["filed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["entry"], condition=models.Q(status="open"), name="one_open_appeal_per_entry"
            ),
            *Decided.Meta.constraints,
            models.CheckConstraint(
                condition=models.Q(channel="account", filed_by__isnull=False)
                | models.Q(channel="card", card__isnull=False)
                | models.Q(channel="paper", received_by__isnull=False, received_on__isnull=False),
                name="appeal_says_who_filed_it",
            ),
        ]
        indexes = [
            # The head's queue: open appeals of a village, oldest first (joined through entry).
            models.Index(fields=["status", "filed_at"], name="appeal_queue"),
        ]

    def __str__(self) -> str:
        return f"{self.entry} · {self.get_status_display()}"


class Review(Decided):
    """The second level: a resident whose appeal was rejected asks the township to look again.
    A reviewer of the village's township upholds it (the entry is reversed, through the same
    service as the head's) or rejects it; either way with a reason the resident and head read."""

    class Status(models.TextChoices):
        OPEN = "open", _("waiting for the township")
        UPHELD = "upheld", _("upheld by the township")
        REJECTED = "rejected", _("rejected by the township")

    appeal = models.OneToOneField(Appeal, on_delete=models.PROTECT, related_name="review")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(_("asked for on"), default=timezone.now)
    reason = models.TextField(_("why the decision is wrong"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)

    class Meta:
        verbose_name = _("township review")
        verbose_name_plural = _("township reviews")
        ordering = ["requested_at"]
        constraints = [
            *Decided.Meta.constraints,
        ]
        indexes = [
            # The reviewer's queue: open reviews, oldest first (joined through appeal and entry).
            models.Index(fields=["status", "requested_at"], name="review_queue"),
        ]

    def __str__(self) -> str:
        return f"{self.appeal} · {self.get_status_display()}"


class Claim(models.Model):
    """A resident tells the village about a deed. A scorer or head confirms it, which records the
    entry through record_entry with the confirmer as author (linked here), or declines it with a
    reason. Only deeds can be claimed."""

    class Status(models.TextChoices):
        OPEN = "open", _("waiting for confirmation")
        CONFIRMED = "confirmed", _("confirmed")
        DECLINED = "declined", _("declined")

    class Channel(models.TextChoices):
        ACCOUNT = "account", _("from the resident's login")
        CARD = "card", _("from the resident's card")

    village = models.ForeignKey(Village, on_delete=models.PROTECT, related_name="claims")
    resident = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="claims")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="claims")
    occurred_on = models.DateField(_("date of the deed"))
    words = models.TextField(_("what happened"))
    witness = models.CharField(_("witness"), max_length=100, blank=True)
    # Under MEDIA_ROOT, outside the web root; served only by points.views.claims.claim_photo.
    photo = models.CharField(_("photo"), max_length=200, blank=True, editable=False)
    # The resident's login; empty when the claim was sent from their card (`card`).
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    channel = models.CharField(_("filed"), max_length=10, choices=Channel.choices, default=Channel.ACCOUNT)
    card = models.ForeignKey(
        "villages.ResidentCard", on_delete=models.PROTECT, null=True, blank=True, related_name="claims"
    )
    filed_at = models.DateTimeField(_("claimed at"), default=timezone.now)
    # Filing the same form twice files one claim; confirming twice records one entry (this key).
    idempotency_key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    entry_key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decline_reason = models.TextField(_("why it was declined"), blank=True)
    entry = models.OneToOneField(Entry, on_delete=models.PROTECT, null=True, blank=True, related_name="claim")

    class Meta:
        verbose_name = _("claimed deed")
        verbose_name_plural = _("claimed deeds")
        ordering = ["-filed_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status="open", decided_at__isnull=True, entry__isnull=True)
                | models.Q(status="confirmed", decided_at__isnull=False, entry__isnull=False)
                | (
                    models.Q(status="declined", decided_at__isnull=False, entry__isnull=True)
                    & ~models.Q(decline_reason="")
                ),
                name="claim_decision_is_complete",
            ),
            models.CheckConstraint(
                condition=models.Q(channel="account", filed_by__isnull=False)
                | models.Q(channel="card", card__isnull=False),
                name="claim_says_who_filed_it",
            ),
        ]
        indexes = [
            # The scorer's queue: a village's open claims, oldest first.
            models.Index(fields=["village", "status", "filed_at"], name="claim_queue"),
        ]

    def __str__(self) -> str:
        return f"{self.resident} · {self.item.code} · {self.get_status_display()}"


class Notification(models.Model):
    """An in-app notice for a user, shown on their Standing page (residents) or home page (heads)
    and marked read once seen. It is about an entry or an appeal; the text is rendered from `kind`
    when shown, so it reads in the viewer's language. At most one per user, kind and subject, so
    the jobs that create them are safe to run twice."""

    class Kind(models.TextChoices):
        APPEAL_DECIDED = "appeal_decided", _("appeal decided")
        ENTRY_RECORDED = "entry_recorded", _("new entry")
        ENTRY_WITHDRAWN = "entry_withdrawn", _("entry withdrawn")
        DEDUCTION_EXPIRED = "deduction_expired", _("deduction no longer counts")
        APPEAL_OVERDUE = "appeal_overdue", _("appeal waiting too long")
        REVIEW_DECIDED = "review_decided", _("township review decided")
        REVIEW_OVERDUE = "review_overdue", _("review waiting too long")
        CLAIM_DECIDED = "claim_decided", _("claimed deed decided")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, null=True, blank=True, related_name="notifications")
    claim = models.ForeignKey("Claim", on_delete=models.CASCADE, null=True, blank=True, related_name="notifications")
    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, null=True, blank=True, related_name="notifications")
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    # Set by the e-mail task once the message went out, so a second run of the task sends nothing.
    emailed_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at"]
        indexes = [
            # The Standing and home pages: a user's unread notices.
            models.Index(fields=["user", "read_at"], name="notification_unread"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(appeal__isnull=False)
                | models.Q(entry__isnull=False)
                | models.Q(claim__isnull=False),
                name="notification_has_a_subject",
            ),
            models.UniqueConstraint(
                fields=["user", "kind", "appeal"],
                condition=models.Q(appeal__isnull=False),
                name="notice_once_per_appeal",
            ),
            models.UniqueConstraint(
                fields=["user", "kind", "entry"], condition=models.Q(entry__isnull=False), name="notice_once_per_entry"
            ),
            models.UniqueConstraint(
                fields=["user", "kind", "claim"], condition=models.Q(claim__isnull=False), name="notice_once_per_claim"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_kind_display()}"


class MonthlySnapshot(models.Model):
    """A resident's balance and grade at the end of a month, for history and charts.
    Written set-based by points.snapshots.take_monthly_snapshots; one row per resident and month."""

    village = models.ForeignKey(Village, on_delete=models.PROTECT, related_name="+")
    resident = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="snapshots")
    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    balance_halves = models.IntegerField(_("balance (halves)"))
    grade = models.CharField(_("grade"), max_length=8)
    taken_at = models.DateTimeField(_("taken at"), default=timezone.now)

    class Meta:
        verbose_name = _("monthly snapshot")
        verbose_name_plural = _("monthly snapshots")
        ordering = ["resident", "month"]
        constraints = [models.UniqueConstraint(fields=["resident", "month"], name="snapshot_once_per_month")]
        indexes = [
            # Village-wide history (dashboards): one month of a village, its grades and balances
            # summed from the index alone.
            models.Index(fields=["village", "month", "grade", "balance_halves"], name="snapshot_village_month_grade"),
        ]

    def __str__(self) -> str:
        return f"{self.resident} {self.month:%Y-%m} {self.grade}"


class MonthlyPageTally(models.Model):
    """How many entries that stand (originals, not reversed) a village recorded in a month, per
    handbook page and kind of item, by the day of the deed: the head's dashboard reads settled
    months from here instead of counting the ledger again. Written with the monthly snapshots
    (points.snapshots); one row per village, month, page number and kind."""

    village = models.ForeignKey(Village, on_delete=models.PROTECT, related_name="+")
    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    page_number = models.PositiveSmallIntegerField(_("page"))
    page_title = models.CharField(_("title"), max_length=120)
    kind = models.CharField(_("kind"), max_length=10)
    entries = models.IntegerField(_("entries"))
    points_halves = models.IntegerField(_("points (halves)"))
    taken_at = models.DateTimeField(_("taken at"), default=timezone.now)

    class Meta:
        verbose_name = _("monthly page tally")
        verbose_name_plural = _("monthly page tallies")
        ordering = ["village", "month", "page_number", "kind"]
        constraints = [
            # Also the index of the dashboard's read (a village's months).
            models.UniqueConstraint(fields=["village", "month", "page_number", "kind"], name="tally_once_per_month")
        ]

    def __str__(self) -> str:
        return f"{self.village_id} {self.month:%Y-%m} {self.page_number} {self.kind} {self.entries}"


class MonthlyGradeTally(models.Model):
    """A village's residents and summed balances per grade at the end of a month, and what its
    monthly snapshots were taken from: written with them (points.snapshots), one row per village
    and month that has snapshots. The dashboard reads settled months from here (a dozen rows, not
    a row per resident), and the months still open as the last settled month's snapshots plus
    what changed since (points.standing.grade_tallies), which needs `starting_capital` and
    `through_entry`: the snapshots of `taken_at` counted the village's entries up to that id."""

    village = models.ForeignKey(Village, on_delete=models.PROTECT, related_name="+")
    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    # {grade: [residents, summed balances in halves]}, every snapshot row of the month.
    grades = models.JSONField(_("grades"), default=dict)
    # Null for snapshots taken before this row existed: they are not a base for the open months.
    starting_capital = models.PositiveIntegerField(_("starting capital"), null=True)
    through_entry = models.BigIntegerField(_("through entry"), null=True)
    taken_at = models.DateTimeField(_("taken at"), default=timezone.now)

    class Meta:
        verbose_name = _("monthly grade tally")
        verbose_name_plural = _("monthly grade tallies")
        ordering = ["village", "month"]
        constraints = [models.UniqueConstraint(fields=["village", "month"], name="grade_tally_once_per_month")]

    def __str__(self) -> str:
        return f"{self.village_id} {self.month:%Y-%m}"


class OutboxMessage(models.Model):
    """A task to run once the transaction that wrote it has committed. Published right after the
    commit; if the broker is down then, the sweeper (points.tasks.send_outbox) publishes it later.
    Tasks sent this way are idempotent, so a message published twice still acts once."""

    task = models.CharField(max_length=200)
    args = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["created_at"]
        indexes = [
            # The sweeper: unsent messages, oldest first.
            models.Index(fields=["sent_at", "created_at"], name="outbox_pending"),
        ]

    def __str__(self) -> str:
        return f"{self.task}{tuple(self.args)}"


class CertificateBatch(models.Model):
    """A background run that issues a certificate to every resident chosen at its start and
    renders them into one printable PDF (points.services.run_certificate_batch)."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("waiting to start")
        RUNNING = "running", _("running")
        DONE = "done", _("done")

    village = models.ForeignKey(Village, on_delete=models.PROTECT, related_name="certificate_batches")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("requested by")
    )
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    grades = models.JSONField(_("grades"), default=list, blank=True, help_text=_("Empty for every grade."))
    # Chosen once at the start, so a run resumed after a worker died issues to the same residents.
    resident_ids = models.JSONField(default=list, editable=False)
    total = models.PositiveIntegerField(_("certificates to issue"), default=0)
    done = models.PositiveIntegerField(_("certificates done"), default=0)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # The last sign of life of the worker running it (at the start and after each chunk): a batch
    # not finished whose heartbeat stopped is resumed by the resume_stalled_batches job.
    heartbeat_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Under MEDIA_ROOT, outside the web root; served only by points.views.certificates.batch_pdf.
    pdf = models.CharField(max_length=200, blank=True, editable=False)

    class Meta:
        verbose_name = _("certificate batch")
        verbose_name_plural = _("certificate batches")
        ordering = ["-requested_at"]
        indexes = [
            # The registry's recent batches of a village.
            models.Index(fields=["village", "-requested_at"], name="batch_village_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.village} {self.requested_at:%Y-%m-%d %H:%M}"

    @property
    def percent(self) -> int:
        return 100 if not self.total else min(100, self.done * 100 // self.total)


class Certificate(models.Model):
    """A stamped certificate of a resident's grade, as issued. The PDF is rendered from this row
    (points.certificates) and verified publicly by a signed code (points.verification).

    What the certificate shows is copied at issue (names included), so a reprint is the document
    that was handed out, whatever changed since. Written by points.services; only revocation changes it.
    """

    village = models.ForeignKey(Village, on_delete=models.PROTECT, related_name="certificates")
    resident = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="certificates")
    year = models.PositiveSmallIntegerField(_("year"))
    sequence = models.PositiveIntegerField(_("number in the year"))
    serial = models.CharField(_("serial number"), max_length=32, unique=True)
    village_name = models.CharField(_("village"), max_length=100)
    seal_text = models.CharField(_("seal text"), max_length=60, blank=True)
    resident_name = models.CharField(_("name"), max_length=60)
    grade = models.CharField(_("grade"), max_length=8)
    balance_halves = models.IntegerField(_("balance (halves)"))
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("issued by")
    )
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now)
    batch = models.ForeignKey(
        CertificateBatch, on_delete=models.PROTECT, null=True, blank=True, related_name="certificates"
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    revoke_reason = models.TextField(_("reason for revoking"), blank=True)
    # The issue form's key: the same form posted twice (a double tap, a retry) issues one certificate.
    idempotency_key = models.UUIDField(_("idempotency key"), null=True, blank=True, unique=True, editable=False)

    class Meta:
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        ordering = ["-issued_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["village", "year", "sequence"], name="certificate_sequence_unique"),
            # A batch issues each of its residents exactly one certificate, however often it runs.
            models.UniqueConstraint(fields=["batch", "resident"], name="certificate_once_per_batch"),
            models.CheckConstraint(
                condition=models.Q(revoked_at__isnull=True, revoked_by__isnull=True, revoke_reason="")
                | (models.Q(revoked_at__isnull=False, revoked_by__isnull=False) & ~models.Q(revoke_reason="")),
                name="revoked_certificate_has_time_author_and_reason",
            ),
        ]
        indexes = [
            # The registry: a village's certificates, newest first.
            models.Index(fields=["village", "-issued_at"], name="certificate_village_recent"),
            # A resident's certificates, and "is there a newer one?" when verifying.
            models.Index(fields=["resident", "issued_at"], name="certificate_resident"),
        ]

    def __str__(self) -> str:
        return self.serial

    @property
    def balance(self) -> Decimal:
        return Decimal(self.balance_halves) / 2

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class CardSheet(models.Model):
    """A background run that issues resident cards to the residents chosen at its start and renders
    them into one printable PDF (points.services.cards.run_card_sheet), like a certificate batch.

    The cards' secrets exist in clear only in the run that renders them, so a run that starts again
    (its worker died) issues the whole sheet again, in one transaction, revoking the cards of the
    interrupted run, which were never printed. `attempt` names the run that owns the sheet."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("waiting to start")
        RUNNING = "running", _("running")
        DONE = "done", _("done")

    village = models.ForeignKey(Village, on_delete=models.PROTECT, related_name="card_sheets")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("requested by")
    )
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    resident_ids = models.JSONField(default=list, editable=False)
    total = models.PositiveIntegerField(_("cards to print"), default=0)
    done = models.PositiveIntegerField(_("cards done"), default=0)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempt = models.UUIDField(null=True, blank=True, editable=False)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # Under MEDIA_ROOT, outside the web root; served only by points.views.cards.sheet_pdf.
    pdf = models.CharField(max_length=200, blank=True, editable=False)

    class Meta:
        verbose_name = _("card sheet")
        verbose_name_plural = _("card sheets")
        ordering = ["-requested_at"]

    def __str__(self) -> str:
        return f"{self.village} {self.requested_at:%Y-%m-%d %H:%M}"

    @property
    def percent(self) -> int:
        return 100 if not self.total else min(100, self.done * 100 // self.total)


class SmsMessage(models.Model):
    """One text message to a resident who opted in: a single notice or the day's digest. Written
    before it is sent; `sent_at` is set once the gateway took it, so a retried or repeated task
    never sends it twice (its id goes to the gateway as the reference, for gateways that dedupe)."""

    village = models.ForeignKey(Village, on_delete=models.PROTECT, related_name="+")
    resident = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="sms_messages")
    phone = models.CharField(max_length=20)
    text = models.CharField(max_length=70)
    day = models.DateField(help_text="The village-local day the message is about.")
    is_digest = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["created_at"]
        indexes = [
            # "Was this resident already texted today?" and the day's digest.
            models.Index(fields=["resident", "day"], name="sms_resident_day"),
        ]

    def __str__(self) -> str:
        return self.text


class SmsNotice(models.Model):
    """Something a resident who opted in is to be told by text message. The first of a day goes out
    at once; later ones that day wait for the evening digest (points.sms). At most one per
    resident, kind and subject, so the jobs that create them are safe to run twice."""

    class Kind(models.TextChoices):
        ENTRY_RECORDED = "entry_recorded", _("new entry")
        ENTRY_WITHDRAWN = "entry_withdrawn", _("entry withdrawn")
        APPEAL_DECIDED = "appeal_decided", _("appeal decided")
        DEDUCTION_EXPIRED = "deduction_expired", _("deduction no longer counts")
        CARD_ISSUED = "card_issued", _("new card")

    resident = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="sms_notices")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    entry = models.ForeignKey(Entry, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    appeal = models.ForeignKey(Appeal, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    card = models.ForeignKey("villages.ResidentCard", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    day = models.DateField()
    created_at = models.DateTimeField(default=timezone.now)
    message = models.ForeignKey(SmsMessage, on_delete=models.PROTECT, null=True, blank=True, related_name="notices")

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["resident", "kind", "entry"], condition=models.Q(entry__isnull=False), name="sms_once_per_entry"
            ),
            models.UniqueConstraint(
                fields=["resident", "kind", "appeal"],
                condition=models.Q(appeal__isnull=False),
                name="sms_once_per_appeal",
            ),
            models.UniqueConstraint(
                fields=["resident", "kind", "card"], condition=models.Q(card__isnull=False), name="sms_once_per_card"
            ),
        ]
        indexes = [
            # The digest: a day's notices not yet in a message.
            models.Index(fields=["day", "message"], name="sms_notice_pending"),
        ]

    def __str__(self) -> str:
        return f"{self.resident} · {self.kind}"
