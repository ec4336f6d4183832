"""Monthly standing snapshots, written set-based: one INSERT … SELECT per village."""

from datetime import date, timedelta

from django.db import connection, transaction
from django.utils import timezone

from points.models import Entry, MonthlySnapshot
from villages.grades import bands_on
from villages.models import Resident, Village


def previous_month(today: date) -> date:
    return (today.replace(day=1) - timedelta(days=1)).replace(day=1)


def take_monthly_snapshots(*, month: date) -> int:
    """Record every consenting resident's balance and grade as of the last day of `month`
    (its first day). Safe to run twice: existing rows are left alone. Returns rows written."""
    last_day = (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    written = 0
    for village in Village.objects.all():
        written += _snapshot_village(village=village, month=month, last_day=last_day)
    return written


def _snapshot_village(*, village: Village, month: date, last_day: date) -> int:
    bands = bands_on(village=village, on=last_day)
    whens, grade_params = [], []
    for band in bands:
        if band.min_points is not None:
            whens.append("WHEN t.balance >= %s THEN %s")
            grade_params += [band.min_points * 2, band.grade]
    grade_sql = f"CASE {' '.join(whens)} ELSE %s END" if whens else "%s"
    grade_params.append(bands[-1].grade if bands else "")
    snapshot, entry, resident = MonthlySnapshot._meta.db_table, Entry._meta.db_table, Resident._meta.db_table
    sql = f"""
        INSERT INTO {snapshot} (village_id, resident_id, month, balance_halves, grade, taken_at)
        SELECT %s, t.id, %s, t.balance, {grade_sql}, %s
        FROM (
            SELECT r.id AS id, %s + COALESCE(SUM(e.points_halves), 0) AS balance
            FROM {resident} r
            LEFT JOIN {entry} e ON e.resident_id = r.id AND e.counts_from <= %s
                 AND (e.expires_on IS NULL OR e.expires_on > %s)
            WHERE r.village_id = %s AND r.consent_given_on IS NOT NULL AND r.consent_given_on <= %s
            GROUP BY r.id
        ) t
        WHERE true  -- SQLite needs a WHERE before ON CONFLICT in INSERT … SELECT
        ON CONFLICT (resident_id, month) DO NOTHING
    """
    params = [
        village.pk,
        month,
        *grade_params,
        timezone.now(),
        village.starting_capital * 2,
        last_day,
        last_day,
        village.pk,
        last_day,
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        return max(cursor.rowcount, 0)
