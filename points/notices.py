"""In-app notices created by background work. Each function is safe to run twice: a notice
exists at most once per user, kind and subject (database constraints), and bulk inserts skip
the ones already there."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from points import sms
from points.models import Appeal, Entry, Notification, Review, SmsNotice
from villages.models import Membership, Village

# How far back the daily expiry job looks, so a missed day or two still gets its notices.
EXPIRY_LOOKBACK = timedelta(days=7)


def entry_recorded(entry_id: int) -> Notification | None:
    """The notice that a new line is in the resident's ledger (None if the resident has no login)."""
    entry = Entry.objects.select_related("resident").filter(pk=entry_id).first()
    if entry is None or entry.resident.user_id is None:
        return None
    notification, _created = Notification.objects.get_or_create(
        user_id=entry.resident.user_id, kind=Notification.Kind.ENTRY_RECORDED, entry=entry
    )
    return notification


def deductions_expired() -> int:
    """Tell residents which of their deductions stopped counting (credit repair). One query per
    village to find them, one insert for all. Returns how many notices were due (new or not)."""
    due = []
    for village in Village.objects.all():
        rows = _newly_expired(village).filter(resident__user__isnull=False).values_list("pk", "resident__user_id")
        due += [
            Notification(user_id=user_id, kind=Notification.Kind.DEDUCTION_EXPIRED, entry_id=pk) for pk, user_id in rows
        ]
    Notification.objects.bulk_create(due, ignore_conflicts=True)
    _texts_for_expired_deductions()
    return len(due)


def _newly_expired(village: Village):
    """The village's deductions (not reversed) that stopped counting within the last EXPIRY_LOOKBACK."""
    today = village.today()
    return (
        Entry.objects.originals()
        .not_reversed(on=today)
        .filter(
            village=village,
            points_halves__lt=0,
            expires_on__gt=today - EXPIRY_LOOKBACK,
            expires_on__lte=today,
        )
    )


def _texts_for_expired_deductions() -> None:
    """A text message to each resident who opted in, about each deduction that stopped counting."""
    for village in Village.objects.all():
        expired = (
            _newly_expired(village)
            .filter(resident__sms_opted_in_on__isnull=False)
            .exclude(pk__in=SmsNotice.objects.filter(kind=SmsNotice.Kind.DEDUCTION_EXPIRED).values("entry"))
        )
        with transaction.atomic():
            for entry in expired:
                sms.notify_deduction_expired(entry)


def appeals_overdue() -> int:
    """Remind each head of the appeals in their village waiting longer than APPEAL_DEADLINE_DAYS.
    Returns how many reminders were due (new or not)."""
    cutoff = timezone.now() - timedelta(days=settings.APPEAL_DEADLINE_DAYS)
    appeals = list(
        Appeal.objects.filter(status=Appeal.Status.OPEN, filed_at__lt=cutoff).values_list("pk", "entry__village_id")
    )
    heads: dict[int, list[int]] = {}
    for village_id, user_id in Membership.objects.filter(
        role=Membership.Role.HEAD, village_id__in={village_id for _pk, village_id in appeals}
    ).values_list("village_id", "user_id"):
        heads.setdefault(village_id, []).append(user_id)
    due = [
        Notification(user_id=user_id, kind=Notification.Kind.APPEAL_OVERDUE, appeal_id=pk)
        for pk, village_id in appeals
        for user_id in heads.get(village_id, [])
    ]
    Notification.objects.bulk_create(due, ignore_conflicts=True)
    return len(due)


def take_overdue_reminders(*, user, village: Village) -> int:
    """How many unread overdue-appeal reminders the head has in `village`; they count as read now."""
    unread = Notification.objects.filter(
        user=user, kind=Notification.Kind.APPEAL_OVERDUE, read_at__isnull=True, appeal__entry__village=village
    )
    return unread.update(read_at=timezone.now())


def take_unread_for_resident(*, user, resident) -> list[Notification]:
    """The user's unread notices about `resident`'s ledger, oldest first; they count as read now,
    so each is shown once. Two queries."""
    notices = list(
        Notification.objects.filter(user=user, read_at__isnull=True)
        .filter(Q(appeal__entry__resident=resident) | Q(entry__resident=resident) | Q(claim__resident=resident))
        .select_related(
            "appeal__entry__item",
            "appeal__review",
            "entry__item",
            "entry__recorded_by",
            "entry__reversal",
            "claim__item",
        )
        .order_by("created_at")
    )
    if notices:
        Notification.objects.filter(pk__in=[n.pk for n in notices]).update(read_at=timezone.now())
    return notices


def reviews_overdue() -> int:
    """Remind each reviewer of the township reviews waiting longer than APPEAL_DEADLINE_DAYS (the same
    deadline as the first level). Returns how many reminders were due (new or not)."""
    cutoff = timezone.now() - timedelta(days=settings.APPEAL_DEADLINE_DAYS)
    rows = Review.objects.filter(status=Review.Status.OPEN, requested_at__lt=cutoff).values_list(
        "appeal_id", "appeal__entry__village__township__reviewers"
    )
    due = [
        Notification(user_id=user_id, kind=Notification.Kind.REVIEW_OVERDUE, appeal_id=appeal_id)
        for appeal_id, user_id in rows
        if user_id is not None
    ]
    Notification.objects.bulk_create(due, ignore_conflicts=True)
    return len(due)


def take_review_decisions(*, user, village: Village) -> list[Notification]:
    """The township's decisions on appeals the head (or administrator) decided in `village`, not yet
    seen; they count as read now. Two queries."""
    notices = list(
        Notification.objects.filter(
            user=user, kind=Notification.Kind.REVIEW_DECIDED, read_at__isnull=True, appeal__entry__village=village
        )
        .select_related("appeal__entry__item", "appeal__entry__resident", "appeal__review")
        .order_by("created_at")
    )
    if notices:
        Notification.objects.filter(pk__in=[n.pk for n in notices]).update(read_at=timezone.now())
    # An entry recorded and then withdrawn is announced once, as withdrawn, never as recorded.
    withdrawn = {n.entry_id for n in notices if n.kind == Notification.Kind.ENTRY_WITHDRAWN}
    return [n for n in notices if not (n.kind == Notification.Kind.ENTRY_RECORDED and n.entry_id in withdrawn)]
