"""The second level: residents send a rejected appeal up to the township; a reviewer decides."""

from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from points.models import Appeal, Entry, Notification, Review
from points.services.entries import refuse, write_reversal


def review_deadline(appeal: Appeal):
    """The last moment the resident may ask the township to review a rejected appeal."""
    return appeal.decided_at + timedelta(days=appeal.entry.village.review_window_days)


def request_review(*, appeal: Appeal, resident_user: AbstractBaseUser, reason: str) -> Review:
    """The resident asks the township to look again at their rejected appeal, within the village's
    review window (Village.review_window_days, 15 by default) of the rejection."""
    reason = reason.strip()
    entry = appeal.entry
    village = entry.village
    if entry.resident.user_id != resident_user.pk:
        raise refuse(_("You can only ask for a review of your own appeals."), "not_allowed")
    if appeal.status != Appeal.Status.REJECTED:
        raise refuse(_("Only a rejected appeal can be sent to the township."), "not_rejected")
    if not reason:
        raise refuse(_("Say why the village's decision is wrong."), "reason_required")
    if timezone.now() > review_deadline(appeal):
        raise refuse(
            _("A review can be asked for within %(days)d days of the rejection; that time has passed."),
            "too_late",
            days=village.review_window_days,
        )
    if village.township_id is None or not village.township.reviewers.exists():
        raise refuse(_("Your village has no township reviewer yet; ask the village office."), "no_reviewer")
    try:
        with transaction.atomic():
            return Review.objects.create(appeal=appeal, requested_by=resident_user, reason=reason)
    except IntegrityError:
        raise refuse(_("You have already asked the township to review this appeal."), "review_exists") from None


def decide_review(*, review: Review, reviewer: AbstractBaseUser, upheld: bool, reason: str) -> Review:
    """Uphold (the entry is reversed through the same service as the head's, authored by the
    reviewer) or reject a review. The resident and the head who rejected the appeal are told."""
    reason = reason.strip()
    village = review.appeal.entry.village
    if village.township_id is None or not village.township.reviewers.filter(pk=reviewer.pk).exists():
        raise refuse(_("Only a reviewer of the village's township decides this review."), "not_allowed")
    entry = review.appeal.entry
    if reviewer.pk in (entry.recorded_by_id, entry.resident.user_id):
        raise refuse(_("You cannot decide a case about your own entry."), "conflict")
    if not reason:
        raise refuse(
            _("Write the reason for your decision; the resident and the head will read it."), "reason_required"
        )
    with transaction.atomic():
        review = Review.objects.select_for_update().select_related("appeal__entry__village").get(pk=review.pk)
        if review.status != Review.Status.OPEN:
            raise refuse(_("This review has already been decided."), "already_decided")
        if upheld and not Entry.objects.filter(reverses=review.appeal.entry).exists():
            write_reversal(entry=review.appeal.entry, author=reviewer, reason=reason)
        review.status = Review.Status.UPHELD if upheld else Review.Status.REJECTED
        review.decided_by = reviewer
        review.decided_at = timezone.now()
        review.decision_reason = reason
        review.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
        appeal = review.appeal
        told = {appeal.entry.resident.user_id, appeal.decided_by_id} - {None}
        Notification.objects.bulk_create(
            [Notification(user_id=user_id, kind=Notification.Kind.REVIEW_DECIDED, appeal=appeal) for user_id in told],
            ignore_conflicts=True,
        )
    return review
