"""Text messages to residents who opted in (Resident.sms_phone, sms_opted_in_on).

Each event (an entry recorded or withdrawn, an appeal decided, a deduction that stopped counting, a
new card) writes an SmsNotice in the caller's transaction and sends it through the outbox. The first
notice of a resident's day goes out at once as its own message; later ones that day wait for the
digest (send_digests, hourly from SMS_DIGEST_HOUR village time), one message for all of them.

Messages are in Chinese whatever the screen language (they are read on a basic phone), fit one SMS
(70 characters), and never name anyone: not the scorer, not another resident.
"""

import logging
from collections import Counter
from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from points import outbox
from points.models import Appeal, Entry, SmsMessage, SmsNotice
from points.sms_backends import Sms, get_backend
from villages.models import Resident, ResidentCard, Village

log = logging.getLogger(__name__)

SMS_LENGTH = 70
VILLAGE_NAME_LENGTH = 8  # 【东岛刘家村】 fits; longer names are cut so the text still fits


def _notify(*, resident_ids: list[int], kind: str, **subject) -> None:
    """An SmsNotice for each resident who opted in, sent through the outbox. In the caller's transaction."""
    from points.tasks import send_sms_notice  # tasks import this module

    residents = Resident.objects.filter(pk__in=resident_ids, sms_opted_in_on__isnull=False).select_related("village")
    for resident in residents:
        notice, created = SmsNotice.objects.get_or_create(
            resident=resident, kind=kind, **subject, defaults={"day": resident.village.today()}
        )
        if created:
            outbox.enqueue(send_sms_notice, notice.pk)


def notify_entry_recorded(entry: Entry) -> None:
    _notify(resident_ids=[entry.resident_id], kind=SmsNotice.Kind.ENTRY_RECORDED, entry=entry)


def notify_entry_withdrawn(entry: Entry) -> None:
    """`entry` is the original that was withdrawn."""
    _notify(resident_ids=[entry.resident_id], kind=SmsNotice.Kind.ENTRY_WITHDRAWN, entry=entry)


def notify_appeal_decided(appeal: Appeal) -> None:
    _notify(resident_ids=[appeal.entry.resident_id], kind=SmsNotice.Kind.APPEAL_DECIDED, appeal=appeal)


def notify_deduction_expired(entry: Entry) -> None:
    _notify(resident_ids=[entry.resident_id], kind=SmsNotice.Kind.DEDUCTION_EXPIRED, entry=entry)


def notify_card_issued(*, resident_ids: list[int]) -> None:
    cards = ResidentCard.objects.filter(resident__in=resident_ids, revoked_at__isnull=True).values_list(
        "resident_id", "pk"
    )
    for resident_id, card_id in cards:
        _notify(resident_ids=[resident_id], kind=SmsNotice.Kind.CARD_ISSUED, card_id=card_id)


# --- Texts --------------------------------------------------------------------------------------


def _village(name: str) -> str:
    return name if len(name) <= VILLAGE_NAME_LENGTH else name[:VILLAGE_NAME_LENGTH]


def _points(halves: int) -> str:
    return f"{halves / 2:+.1f}" if halves % 2 else f"{halves // 2:+d}"


def _day(value: date) -> str:
    return f"{value.month}月{value.day}日"


def notice_text(notice: SmsNotice) -> str:
    """The single message for one notice, in Chinese, at most 70 characters."""
    with translation.override("zh-hans"):
        village = _village(notice.resident.village.name)
        entry = notice.entry or (notice.appeal.entry if notice.appeal else None)
        params = {"village": village}
        if entry is not None:
            params |= {"code": entry.item.code, "points": _points(entry.points_halves), "date": _day(entry.occurred_on)}
        kind = notice.kind
        if kind == SmsNotice.Kind.ENTRY_RECORDED:
            text = _("[%(village)s] New in your points ledger: item %(code)s, %(points)s points (%(date)s).")
        elif kind == SmsNotice.Kind.ENTRY_WITHDRAWN:
            text = _("[%(village)s] Item %(code)s (%(points)s points, %(date)s) was withdrawn and does not count.")
        elif kind == SmsNotice.Kind.APPEAL_DECIDED and notice.appeal.status == Appeal.Status.UPHELD:
            text = _("[%(village)s] Your appeal about item %(code)s was upheld; it no longer counts.")
        elif kind == SmsNotice.Kind.APPEAL_DECIDED:
            text = _("[%(village)s] Your appeal about item %(code)s was rejected; it still counts.")
        elif kind == SmsNotice.Kind.DEDUCTION_EXPIRED:
            text = _("[%(village)s] The deduction for item %(code)s (%(points)s points) no longer counts.")
        else:
            text = _("[%(village)s] A new resident card was issued to you; any older card no longer works.")
        return (text % params)[:SMS_LENGTH]


def digest_text(notices: list[SmsNotice]) -> str:
    """One message for the day's waiting notices: how many of each kind."""
    with translation.override("zh-hans"):
        counts = Counter(n.kind for n in notices)
        labels = {
            SmsNotice.Kind.ENTRY_RECORDED: lambda n: ngettext("%(n)d new entry", "%(n)d new entries", n),
            SmsNotice.Kind.ENTRY_WITHDRAWN: lambda n: ngettext("%(n)d withdrawn", "%(n)d withdrawn", n),
            SmsNotice.Kind.APPEAL_DECIDED: lambda n: ngettext("%(n)d appeal decided", "%(n)d appeals decided", n),
            SmsNotice.Kind.DEDUCTION_EXPIRED: lambda n: ngettext("%(n)d expired", "%(n)d expired", n),
            SmsNotice.Kind.CARD_ISSUED: lambda n: ngettext("%(n)d new card", "%(n)d new cards", n),
        }
        parts = [labels[kind](count) % {"n": count} for kind, count in counts.items()]
        text = _("[%(village)s] Also today in your points: %(parts)s. Open your card for details.") % {
            "village": _village(notices[0].resident.village.name),
            "parts": _(", ").join(parts),
        }
        return text[:SMS_LENGTH]


# --- Sending ------------------------------------------------------------------------------------


def prepare_notice(notice_id: int) -> int | None:
    """The message that carries this notice: a new one if it is the resident's first of its day,
    otherwise None (it waits for the digest). Returns the message id. Safe to run twice."""
    with transaction.atomic():
        notice = (
            SmsNotice.objects.select_for_update(of=("self",))
            .select_related("resident__village", "entry__item", "appeal__entry__item")
            .filter(pk=notice_id)
            .first()
        )
        if notice is None:
            return None
        if notice.message_id is not None:
            return notice.message_id
        resident = Resident.objects.select_for_update().get(pk=notice.resident_id)
        if not resident.wants_sms:
            return None
        if SmsMessage.objects.filter(resident=resident, day=notice.day).exists():
            return None  # the second thing today: the digest will tell
        message = SmsMessage.objects.create(
            village_id=resident.village_id,
            resident=resident,
            phone=resident.sms_phone,
            text=notice_text(notice),
            day=notice.day,
        )
        notice.message = message
        notice.save(update_fields=["message"])
        return message.pk


def deliver(message_id: int) -> bool:
    """Hand the message to the gateway unless it was sent already. Raises SmsError if the gateway
    failed (the task retries). Only the message id goes into the log, never the text or the number."""
    message = SmsMessage.objects.filter(pk=message_id).first()
    if message is None or message.sent_at is not None:
        return False
    SmsMessage.objects.filter(pk=message_id).update(attempts=message.attempts + 1)
    get_backend().send(Sms(to=message.phone, text=message.text, reference=f"vp-{message.pk}"))
    SmsMessage.objects.filter(pk=message_id).update(sent_at=timezone.now())
    log.info("sms %s sent", message.pk)
    return True


def send_digests(*, now=None) -> int:
    """Put each resident's waiting notices of a finished day (or of today, once SMS_DIGEST_HOUR has
    passed in the village) into one digest message, sent through the outbox. Returns how many."""
    from points.tasks import deliver_sms  # tasks import this module

    now = now or timezone.now()
    made = 0
    for village in Village.objects.all():
        local = now.astimezone(village.tzinfo)
        last_day = local.date() if local.hour >= settings.SMS_DIGEST_HOUR else local.date() - timedelta(days=1)
        with transaction.atomic():
            waiting = list(
                SmsNotice.objects.select_for_update(of=("self",))
                .filter(resident__village=village, message__isnull=True, day__lte=last_day)
                .select_related("resident__village")
                .order_by("resident", "day", "pk")
            )
            groups: dict[tuple[int, date], list[SmsNotice]] = {}
            for notice in waiting:
                if notice.resident.wants_sms:
                    groups.setdefault((notice.resident_id, notice.day), []).append(notice)
            for (_resident_id, day), notices in groups.items():
                resident = notices[0].resident
                message = SmsMessage.objects.create(
                    village=village,
                    resident=resident,
                    phone=resident.sms_phone,
                    text=digest_text(notices),
                    day=day,
                    is_digest=True,
                )
                SmsNotice.objects.filter(pk__in=[n.pk for n in notices]).update(message=message)
                outbox.enqueue(deliver_sms, message.pk)
                made += 1
    return made
