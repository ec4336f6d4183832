"""Periodic jobs and derived work: notices, the outbox and monthly snapshots. Each job is safe to
run twice. (With real Redis and a real worker: tests/integration/test_outbox_and_jobs.py.)"""

import io
from datetime import date, datetime, timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from points import notices, outbox
from points.models import Appeal, MonthlyPageTally, MonthlySnapshot, Notification, OutboxMessage
from points.services import decide_appeal, file_appeal, reverse_entry
from points.snapshots import previous_month, take_monthly_snapshots, take_settled_snapshots
from points.standing import compute_standing
from points.tasks import remind_overdue_appeals
from tests.factories import ResidentFactory, record


def test_a_new_entry_notifies_its_resident_in_the_app_and_by_e_mail(
    resident, scorer, deed, django_capture_on_commit_callbacks
):
    resident.user.email = "liwei@example.org"
    resident.user.save()

    with django_capture_on_commit_callbacks(execute=True):
        entry = record(scorer=scorer, resident=resident, item=deed)

    notice = Notification.objects.get(entry=entry)
    assert (notice.user, notice.kind) == (resident.user, Notification.Kind.ENTRY_RECORDED)
    assert notice.emailed_at is not None
    assert len(mail.outbox) == 1 and "为邻居修剪树木" in mail.outbox[0].body
    assert OutboxMessage.objects.get(args=[entry.pk]).sent_at is not None


def test_a_resident_without_a_login_gets_no_notice_and_no_message_is_queued(village, scorer, deed):
    elder = ResidentFactory(village=village, user=None)
    record(scorer=scorer, resident=elder, item=deed)
    assert not Notification.objects.exists()
    assert not OutboxMessage.objects.exists()


def test_the_entry_stands_when_its_derived_work_fails_and_the_sweeper_delivers_it_later(
    resident, scorer, deed, settings, django_capture_on_commit_callbacks
):
    resident.user.email = "liwei@example.org"
    resident.user.save()
    # The mail server is unreachable at the moment of recording.
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 1

    with django_capture_on_commit_callbacks(execute=True):
        entry = record(scorer=scorer, resident=resident, item=deed)

    message = OutboxMessage.objects.get(args=[entry.pk])
    assert message.sent_at is None and message.attempts == 1
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert outbox.sweep(older_than=timedelta()) == 1
    assert outbox.sweep(older_than=timedelta()) == 0  # nothing left: sent once
    assert len(mail.outbox) == 1
    assert Notification.objects.filter(entry=entry).count() == 1


def test_the_resident_reads_the_notice_of_a_new_entry_once(
    client, resident, scorer, deed, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        record(scorer=scorer, resident=resident, item=deed)
    client.force_login(resident.user)
    assert "recorded “为邻居修剪树木”" in client.get(reverse("points:standing")).content.decode()
    assert "recorded “为邻居修剪树木”" not in client.get(reverse("points:standing")).content.decode()


def test_residents_hear_when_a_deduction_stops_counting_once_however_often_the_job_runs(
    resident, scorer, infraction, clock
):
    entry = record(scorer=scorer, resident=resident, item=infraction)  # counts for 12 months
    clock.move_to(f"{entry.expires_on.isoformat()}T09:00+08:00")

    assert notices.deductions_expired() == 1
    assert notices.deductions_expired() == 1  # due again, written once
    notice = Notification.objects.get(kind=Notification.Kind.DEDUCTION_EXPIRED)
    assert (notice.user, notice.entry) == (resident.user, entry)


def test_a_deduction_that_still_counts_or_was_reversed_gets_no_expiry_notice(resident, scorer, head, infraction, clock):
    reversed_one = record(scorer=scorer, resident=resident, item=infraction)
    reverse_entry(entry=reversed_one, author=head, reason="记错了")
    still_counting = record(scorer=scorer, resident=resident, item=infraction)
    clock.move_to(still_counting.expires_on - timedelta(days=1))
    assert notices.deductions_expired() == 0


def test_heads_are_reminded_once_of_appeals_waiting_past_the_deadline(
    client, resident, scorer, head, outsider_head, infraction, clock, settings
):
    settings.APPEAL_DEADLINE_DAYS = 10
    entry = record(scorer=scorer, resident=resident, item=infraction)
    file_appeal(entry=entry, resident_user=resident.user, reason="我的鸡一直关着")
    clock.shift(timedelta(days=9))
    assert remind_overdue_appeals() == 0
    clock.shift(timedelta(days=2))
    assert remind_overdue_appeals() == 1
    assert remind_overdue_appeals() == 1
    assert list(Notification.objects.values_list("user", "kind")) == [(head.pk, Notification.Kind.APPEAL_OVERDUE)]

    client.force_login(head)
    # The home page says it as long as the appeal waits, and the reminder counts as read.
    assert "1 past the deadline" in client.get(reverse("office:home")).content.decode()
    assert not Notification.objects.filter(read_at__isnull=True).exists()


def test_a_decided_appeal_is_no_longer_reminded(resident, scorer, head, infraction, clock, settings):
    entry = record(scorer=scorer, resident=resident, item=infraction)
    appeal = file_appeal(entry=entry, resident_user=resident.user, reason="不是我")
    decide_appeal(appeal=appeal, head=head, upheld=False, reason="有证人")
    clock.shift(timedelta(days=settings.APPEAL_DEADLINE_DAYS + 1))
    assert remind_overdue_appeals() == 0
    assert Appeal.objects.get().status == Appeal.Status.REJECTED


def test_monthly_snapshots_match_the_standing_at_the_end_of_the_month(
    village, resident, other_resident, scorer, deed, infraction, clock
):
    record(scorer=scorer, resident=resident, item=deed)
    record(scorer=scorer, resident=other_resident, item=infraction)
    clock.shift(timedelta(days=20))  # into July
    month = previous_month(village.today())

    assert take_monthly_snapshots(month=month) == 2
    assert take_monthly_snapshots(month=month) == 0

    for snapshot in MonthlySnapshot.objects.select_related("resident__village"):
        standing = compute_standing(resident=snapshot.resident, on=date(2025, 6, 30))
        assert (snapshot.balance_halves, snapshot.grade) == (standing.balance * 2, standing.grade)
    assert MonthlySnapshot.objects.filter(resident=other_resident).get().grade == "B"


def test_the_daily_job_snapshots_a_month_only_once_nothing_can_be_backdated_into_it(
    village, resident, scorer, deed, clock
):
    assert village.backdate_days == 30
    record(scorer=scorer, resident=resident, item=deed)  # June 2025
    june = village.today().replace(day=1)
    clock.move_to(datetime(2025, 7, 30, 12, tzinfo=village.tzinfo))  # June 30 is still within 30 days
    take_settled_snapshots()
    assert not MonthlySnapshot.objects.filter(month=june).exists()
    record(scorer=scorer, resident=resident, item=deed, occurred_on=date(2025, 6, 30))  # backdated: allowed

    clock.move_to(datetime(2025, 7, 31, 12, tzinfo=village.tzinfo))  # June is settled now
    assert take_settled_snapshots() == 1
    snapshot = MonthlySnapshot.objects.get(month=june)
    assert snapshot.balance_halves == compute_standing(resident=resident, on=date(2025, 6, 30)).balance * 2 == 2004
    assert take_settled_snapshots() == 0


def test_a_resident_without_consent_has_no_snapshot(village, resident, clock):
    ResidentFactory(village=village, consent_given_on=None, consent_recorded_by=None)
    assert take_monthly_snapshots(month=previous_month(village.today())) == 1


@pytest.mark.parametrize("residents", [3, 30])
def test_snapshots_take_the_same_queries_for_any_number_of_residents(
    village, residents, django_assert_num_queries, clock
):
    ResidentFactory.create_batch(residents, village=village)
    # villages, then per village: bands, savepoint, the month's grade tally (none yet) and the
    # village's last entry, insert, release, the grade tally grouped from the rows and written,
    # and the month's page tally (one SELECT; its INSERT only for a month with entries)
    with django_assert_num_queries(10):
        take_monthly_snapshots(month=previous_month(village.today()))


def test_the_monthly_job_tallies_what_stands_per_page_and_kind_once(
    clock, village, head, scorer, resident, deed, infraction
):
    clock.shift(timedelta(days=-35))  # last month
    record(scorer=scorer, resident=resident, item=deed)
    record(scorer=scorer, resident=resident, item=deed)
    wrong = record(scorer=scorer, resident=resident, item=infraction)
    reverse_entry(entry=wrong, author=head, reason="认错了人")
    clock.shift(timedelta(days=35))
    month = wrong.occurred_on.replace(day=1)
    take_monthly_snapshots(month=month)
    take_monthly_snapshots(month=month)  # a second run changes nothing
    tallies = MonthlyPageTally.objects.filter(village=village, month=month)
    assert [(t.page_number, t.kind, t.entries, t.points_halves) for t in tallies] == [
        (deed.page.number, "deed", 2, 2 * deed.signed_halves)
    ]


def test_the_embedded_default_runs_every_periodic_job_from_one_command(resident, settings):
    out = io.StringIO()
    call_command("run_periodic_jobs", stdout=out)
    assert [line.split(":")[0] for line in out.getvalue().splitlines()] == [
        entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()
    ]
    assert MonthlySnapshot.objects.filter(resident=resident).count() == 1
