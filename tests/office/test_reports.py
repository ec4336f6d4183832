"""The monthly village report (PDF, Chinese glyphs embedded) and the formula-safe ledger export."""

import csv
import io
import shutil
import subprocess
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from points.models import Entry, PublishedHead
from points.services import file_appeal
from tests.factories import record


@pytest.fixture
def ledger(clock, scorer, resident, other_resident, deed, infraction):
    record(scorer=scorer, resident=resident, item=deed, note="=cmd|' /C calc'!A0")
    record(scorer=scorer, resident=other_resident, item=infraction, witness="@SUM(1)")


def test_the_monthly_report_is_a_pdf_with_the_village_font_embedded(client, head, ledger, tmp_path):
    client.force_login(head)
    response = client.get(reverse("office:report_monthly"), {"month": "2025-06"})
    assert response["Content-Type"] == "application/pdf"
    pdf = response.content
    assert pdf.startswith(b"%PDF") and b"FontFile2" in pdf, "a TrueType font embedded, not a CID font by name"
    if shutil.which("pdftotext"):
        path = tmp_path / "report.pdf"
        path.write_bytes(pdf)
        text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
        assert "东岛刘家村" in text and "邻里互助" in text


def test_the_csv_ledger_export_is_formula_safe(client, head, ledger):
    client.force_login(head)
    response = client.get(reverse("office:ledger_export", args=["csv"]))
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:2] == ["Entry", "Date of the deed"]
    notes = {row[13] for row in rows[1:]}
    witnesses = {row[14] for row in rows[1:]}
    assert "'=cmd|' /C calc'!A0" in notes and "'@SUM(1)" in witnesses
    assert {row[7] for row in rows[1:]} == {"1", "-10"}, "numbers stay numbers"


def test_the_xlsx_export_of_one_resident(client, head, resident, ledger):
    client.force_login(head)
    response = client.get(reverse("office:ledger_export", args=["xlsx"]), {"resident": resident.pk})
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert len(rows) == 2
    assert rows[1][3] == "李伟" and rows[1][13] == "'=cmd|' /C calc'!A0" and rows[1][7] == 1


@pytest.mark.parametrize("name,args", [("reports", []), ("report_monthly", []), ("ledger_export", ["csv"])])
def test_reports_are_for_the_head_and_administrators(client, admin, head, scorer, resident, name, args):
    url = reverse(f"office:{name}", args=args)
    for user, status in [(head, 200), (admin, 200), (scorer, 403), (resident.user, 403)]:
        client.force_login(user)
        assert client.get(url).status_code == status, (user, name)


def test_names_and_titles_in_the_monthly_report_are_printed_as_written_never_as_markup(
    client, clock, head, scorer, resident, infraction, tmp_path
):
    scorer.first_name = "a <br> b"
    scorer.save()
    resident.name = '<img src="/etc/passwd"/>'
    resident.save()
    entry = record(scorer=scorer, resident=resident, item=infraction)
    file_appeal(entry=entry, resident_user=resident.user, reason="not me")
    client.force_login(head)
    month = resident.village.today().strftime("%Y-%m")
    response = client.get(reverse("office:report_monthly"), {"month": month})
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    path = tmp_path / "report.pdf"
    path.write_bytes(response.content)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    joined = "".join(text.split())  # table cells wrap long words
    assert '<imgsrc="/etc/passwd"/>' in joined
    assert "a<br>b" in joined


def _pdf_text(response, tmp_path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(response.content)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return "".join(text.split())  # table cells wrap long words


def test_the_monthly_report_prints_the_ledger_s_chain_head_at_the_end_of_an_ended_month(
    client, clock, head, scorer, resident, deed, tmp_path
):
    clock.move_to(datetime(2025, 5, 28, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai")))
    may = [record(scorer=scorer, resident=resident, item=deed) for _ in range(2)]
    clock.move_to(datetime(2025, 6, 16, 12, 0, tzinfo=ZoneInfo("Asia/Shanghai")))
    record(scorer=scorer, resident=resident, item=deed)  # June's: not in May's head
    client.force_login(head)

    text = _pdf_text(client.get(reverse("office:report_monthly"), {"month": "2025-05"}), tmp_path)

    assert "Ledgerchainhead" in text and may[-1].chain_hash in text
    assert "Keepthispage" in text
    published = PublishedHead.objects.get(village=resident.village)
    assert (published.month, published.entry_id, published.entries) == (date(2025, 5, 1), may[-1].pk, 2)
    # Printed again, the same head: the first publication stands.
    client.get(reverse("office:report_monthly"), {"month": "2025-05"})
    assert PublishedHead.objects.count() == 1


def test_the_current_month_s_report_prints_the_head_so_far_and_publishes_nothing(client, head, ledger, tmp_path):
    client.force_login(head)
    text = _pdf_text(client.get(reverse("office:report_monthly"), {"month": "2025-06"}), tmp_path)
    newest = Entry.objects.order_by("-pk").first()
    assert newest.chain_hash in text and "thisistheheadsofar" in text
    assert not PublishedHead.objects.exists()
