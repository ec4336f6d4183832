import time_machine
from dateutil.relativedelta import relativedelta
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from points.services import reverse_entry
from points.services.appeals import file_appeal
from tests.factories import ResidentFactory, record


def test_it_prints_the_statement_of_a_resident_without_a_login(client, head, village, scorer, deed, infraction):
    elder = ResidentFactory(village=village, name="刘静", user=None)
    record(scorer=scorer, resident=elder, item=deed, witness="王芳")
    record(scorer=scorer, resident=elder, item=infraction)
    client.force_login(head)
    response = client.get(reverse("points:statement", args=[elder.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "刘静" in html
    assert "Points statement" in html
    assert "Grade B" in html
    assert "991 points" in html
    assert "1.3 鸡跑出鸡舍" in html
    assert "王芳" in html
    assert '<div class="">{# ' not in html
    assert 'class="sr-only"' not in html  # the month-by-month figures are printed, not hidden
    assert "stops counting on" in html
    assert "Printed by" in html


def test_it_lists_only_the_last_12_months(client, head, resident, scorer, deed):
    today = resident.village.today()
    with time_machine.travel((today - relativedelta(months=13)).isoformat() + " 12:00 +0800", tick=False):
        record(scorer=scorer, resident=resident, item=deed, note="long ago")
    record(scorer=scorer, resident=resident, item=deed, note="this month")
    client.force_login(head)
    response = client.get(reverse("points:statement", args=[resident.pk]))
    html = response.content.decode()
    assert "this month" in html
    assert "long ago" not in html
    assert "1002 points" in html  # both still count


def test_the_print_stylesheet_is_a4():
    from pathlib import Path

    css = (Path(__file__).resolve().parents[2] / "static/css/site.css").read_text()
    print_block = css[css.index("@media print") :]
    assert "@page { size: A4" in print_block


def test_the_administrator_may_print_too(client, admin, resident):
    client.force_login(admin)
    assert client.get(reverse("points:statement", args=[resident.pk])).status_code == 200


def test_it_prints_a_long_ledger_a_page_at_a_time_with_constant_queries(client, head, resident, scorer, deed):
    from points.views.statement import LINES_PER_PAGE

    client.force_login(head)
    url = reverse("points:statement", args=[resident.pk])

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            client.get(url)
        return len(captured)

    record(scorer=scorer, resident=resident, item=deed, note="line 0")
    short = queries()
    for n in range(1, LINES_PER_PAGE + 5):
        record(scorer=scorer, resident=resident, item=deed, note=f"line {n}")

    assert queries() == short
    html = client.get(url).content.decode()
    assert html.count("<small>line ") == LINES_PER_PAGE
    assert f"<small>line {LINES_PER_PAGE + 4}</small>" in html and "<small>line 0</small>" not in html
    assert "Page 1 of 2" in html
    older = client.get(url, {"page": 2}).content.decode()
    assert older.count("<small>line ") == 5 and "<small>line 0</small>" in older and "Page 2 of 2" in older


def test_each_line_says_its_state_and_prints_what_was_typed_as_text(
    client, head, resident, scorer, deed, infraction, settings
):
    record(scorer=scorer, resident=resident, item=deed, note="<b>fence</b> & gate", witness="王<芳>")
    withdrawn = record(scorer=scorer, resident=resident, item=deed)
    reverse_entry(entry=withdrawn, author=head, reason="<i>wrong person</i>")
    disputed = record(scorer=scorer, resident=resident, item=infraction)
    file_appeal(entry=disputed, reason="not my chickens", resident_user=resident.user)
    client.force_login(head)
    url = reverse("points:statement", args=[resident.pk])

    html = client.get(url).content.decode()
    assert "&lt;b&gt;fence&lt;/b&gt; &amp; gate" in html and "<b>fence</b>" not in html
    assert "Witness: 王&lt;芳&gt;" in html
    assert "by head: &lt;i&gt;wrong person&lt;/i&gt;</td>" in html and "<i>wrong" not in html
    assert "under appeal</td>" in html and "counting</td>" in html

    html = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "证明人： 王&lt;芳&gt;" in html
    assert "由head冲销：&lt;i&gt;wrong person&lt;/i&gt;</td>" in html
    assert "申诉中</td>" in html and "计入中</td>" in html
