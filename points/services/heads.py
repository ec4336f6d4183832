"""Publishing each village's chain head at the end of a month (points.heads)."""

from datetime import date

from dateutil.relativedelta import relativedelta
from django.db import IntegrityError, transaction
from django.db.models import Min

from points.heads import Head, head_at
from points.models import Entry, PublishedHead
from villages.models import Village


def publish_head(*, village: Village, month: date) -> PublishedHead:
    """The village's head at the end of `month` (a month that has ended), published once: the first
    publication stands, whoever asks again gets it back unchanged (it may have been printed)."""
    month = month.replace(day=1)
    if month >= village.today().replace(day=1):
        raise ValueError(f"{month:%Y-%m} has not ended in {village.code}: only an ended month has a published head.")
    existing = PublishedHead.objects.filter(village=village, month=month).first()
    if existing is not None:
        return existing
    head = head_at(village=village, month=month)
    try:
        with transaction.atomic():
            return PublishedHead.objects.create(
                village=village, month=month, entry_id=head.entry_id, chain_hash=head.chain_hash, entries=head.entries
            )
    except IntegrityError:  # published meanwhile by another process
        return PublishedHead.objects.get(village=village, month=month)


def publish_heads(*, village: Village | None = None) -> list[PublishedHead]:
    """Publish every ended month since each village's first entry that has no head yet; return
    every head of those villages, oldest first. Beat runs it daily (a no-op but on the 1st)."""
    villages = [village] if village is not None else list(Village.objects.order_by("code"))
    for v in villages:
        first = Entry.objects.filter(village=v).aggregate(first=Min("recorded_at"))["first"]
        if first is None:
            continue
        done = set(PublishedHead.objects.filter(village=v).values_list("month", flat=True))
        month, this_month = first.astimezone(v.tzinfo).date().replace(day=1), v.today().replace(day=1)
        while month < this_month:
            if month not in done:
                publish_head(village=v, month=month)
            month += relativedelta(months=1)
    heads = PublishedHead.objects.filter(village__in=villages).select_related("village")
    return list(heads.order_by("village__code", "month"))


def report_head(*, village: Village, month: date) -> tuple[Head, bool]:
    """The head the monthly report prints, and whether it is final: an ended month's published
    head (published now if it was not yet), or the current month's head so far (not stored)."""
    month = month.replace(day=1)
    if month >= village.today().replace(day=1):
        return head_at(village=village, month=month), False
    head = publish_head(village=village, month=month)
    return Head(village.code, head.month, head.entry_id, head.chain_hash, head.entries), True
