"""The register of residents: list and search, add, edit, move, moved away / deceased, import
through the browser's form, export; audited; for the head and administrators only."""

import io
from datetime import date
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from openpyxl import load_workbook

from tests.factories import record
from villages.models import AuditEvent, Household, Resident
from villages.services import mark_deceased

SAMPLE = Path(__file__).resolve().parents[2] / "demo" / "sample_residents.csv"


def test_it_finds_residents_by_pinyin_initials_and_household(client, head, resident, other_resident):
    client.force_login(head)
    url = reverse("villages:residents")
    assert [r.name for r in client.get(url, {"q": "lw"}).context["page"].object_list] == ["李伟"]
    assert [r.name for r in client.get(url, {"q": "wangfang"}).context["page"].object_list] == ["王芳"]
    number = other_resident.household.number
    assert [r.name for r in client.get(url, {"q": number}).context["page"].object_list] == ["王芳"]


def test_the_search_answers_htmx_with_the_results_only(client, head, resident):
    client.force_login(head)
    response = client.get(reverse("villages:residents"), {"q": "lw"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="results"') and "李伟" in html


def test_the_head_adds_a_resident_who_cannot_be_scored_until_consent(client, clock, village, head):
    client.force_login(head)
    response = client.post(
        reverse("villages:resident_add"),
        {
            "name": "于春生",
            "household_number": "201",
            "address": "三组1号",
            "phone": "138 0000 0000",
            "born_on": "1990-01-02",
        },
    )
    resident = Resident.objects.get(village=village, name="于春生")
    assert response.url == reverse("villages:resident_detail", args=[resident.pk])
    assert (resident.household.number, resident.household.address, resident.name_initials) == ("201", "三组1号", "ycs")
    assert not resident.has_consented
    assert AuditEvent.objects.get(action="resident.create").actor == head


def test_it_refuses_a_birth_date_in_the_future(client, clock, head):
    client.force_login(head)
    response = client.post(
        reverse("villages:resident_add"), {"name": "于春生", "household_number": "201", "born_on": "2030-01-01"}
    )
    assert response.status_code == 200 and "The date of birth is in the future." in response.content.decode()


def test_editing_a_name_updates_the_pinyin_and_the_audit(client, clock, head, resident):
    client.force_login(head)
    client.post(reverse("villages:resident_detail", args=[resident.pk]), {"name": "李薇", "phone": "", "born_on": ""})
    resident.refresh_from_db()
    assert (resident.name, resident.name_pinyin) == ("李薇", "liwei")
    event = AuditEvent.objects.get(action="resident.update")
    assert (event.before["name"], event.after["name"]) == ("李伟", "李薇")


def test_moving_to_a_new_household_number_creates_the_household(client, clock, village, head, resident):
    client.force_login(head)
    client.post(reverse("villages:resident_move", args=[resident.pk]), {"household_number": "999", "address": "新村"})
    resident.refresh_from_db()
    assert (resident.household.number, resident.household.address) == ("999", "新村")
    assert Household.objects.filter(village=village, number="999").count() == 1


def test_a_resident_marked_deceased_keeps_the_ledger_and_is_no_longer_scored(clock, head, scorer, resident, deed):
    record(scorer=scorer, resident=resident, item=deed)
    mark_deceased(resident=resident, actor=head)
    with pytest.raises(ValidationError) as error:
        record(scorer=scorer, resident=resident, item=deed)
    assert error.value.code == "inactive"
    assert resident.entries.count() == 1
    assert AuditEvent.objects.get(action="resident.status").after == {"status": "deceased"}


def test_the_status_form_marks_moved_away_and_back(client, clock, head, resident):
    client.force_login(head)
    client.post(reverse("villages:resident_status", args=[resident.pk]), {"status": "moved"})
    resident.refresh_from_db()
    assert resident.status == Resident.Status.MOVED_AWAY
    client.post(reverse("villages:resident_status", args=[resident.pk]), {"status": "active"})
    resident.refresh_from_db()
    assert resident.status == Resident.Status.ACTIVE


def test_the_import_form_previews_then_writes_all_rows(client, clock, village, head):
    client.force_login(head)
    url = reverse("villages:resident_import")
    with SAMPLE.open("rb") as file:
        preview = client.post(url, {"file": file})
    assert preview.context["plan"].new == 12
    assert not Resident.objects.filter(village=village).exists(), "the preview writes nothing"
    token = preview.context["confirm"].initial["token"]
    done = client.post(url, {"token": token})
    assert done.url == reverse("villages:residents")
    assert Resident.objects.filter(village=village).count() == 12
    client.post(url, {"token": token})  # a second click on the same preview
    assert Resident.objects.filter(village=village).count() == 12


def test_the_import_form_names_the_bad_row_and_writes_nothing(client, clock, village, head):
    client.force_login(head)
    data = SAMPLE.read_text(encoding="utf-8").replace("孙桂兰", "").encode("gbk")
    response = client.post(reverse("villages:resident_import"), {"file": _upload(data, "村民.csv")})
    html = response.content.decode()
    assert "Row 5: the name is missing" in html
    assert "Nothing was imported" in html
    assert "plan" not in response.context
    assert not Resident.objects.filter(village=village).exists()


def test_the_import_errors_speak_chinese(client, clock, village, head, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    client.force_login(head)
    data = SAMPLE.read_text(encoding="utf-8").replace("孙桂兰", "").encode()
    response = client.post(reverse("villages:resident_import"), {"file": _upload(data, "村民.csv")})
    assert "第 5 行：缺少姓名" in response.content.decode()


def test_a_preview_token_cannot_be_confirmed_in_another_village(client, clock, village, other_village, head):
    from tests.factories import MembershipFactory

    MembershipFactory(user=head, village=other_village, role="head")
    client.force_login(head)
    url = reverse("villages:resident_import")
    with SAMPLE.open("rb") as file:
        token = client.post(url, {"file": file}).context["confirm"].initial["token"]
    client.post(reverse("villages:switch"), {"village": other_village.pk})
    client.post(url, {"token": token})
    assert not Resident.objects.filter(village=other_village).exists()


def _upload(data: bytes, name: str):
    file = io.BytesIO(data)
    file.name = name
    return file


def test_the_export_can_be_imported_again_without_changes(client, clock, village, head):
    client.force_login(head)
    url = reverse("villages:resident_import")
    with SAMPLE.open("rb") as file:
        client.post(url, {"token": client.post(url, {"file": file}).context["confirm"].initial["token"]})
    exported = b"".join(client.get(reverse("villages:resident_export", args=["csv"])).streaming_content)
    assert exported.startswith(b"\xef\xbb\xbf")
    preview = client.post(url, {"file": _upload(exported, "export.csv")})
    plan = preview.context["plan"]
    assert (plan.new, plan.updated, plan.same) == (0, 0, 12)


def test_the_excel_export_is_formula_safe(client, clock, village, head, resident):
    resident.name = "=HYPERLINK(1)"
    resident.save()
    client.force_login(head)
    response = client.get(reverse("villages:resident_export", args=["xlsx"]))
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:2] == ("户号", "姓名")
    assert rows[1][1] == "'=HYPERLINK(1)"
    assert rows[1][5] is not None and rows[1][5].date() == date(2018, 7, 1)


@pytest.mark.parametrize("name", ["residents", "resident_add", "resident_import"])
def test_the_register_is_for_the_head_and_administrators(client, admin, head, scorer, resident, name):
    url = reverse(f"villages:{name}")
    for user, status in [(head, 200), (admin, 200), (scorer, 403), (resident.user, 403)]:
        client.force_login(user)
        assert client.get(url).status_code == status, (user, name)


def test_a_resident_record_is_404_for_scorers_and_residents(client, scorer, resident, other_resident):
    for user in (scorer, resident.user):
        client.force_login(user)
        assert client.get(reverse("villages:resident_detail", args=[other_resident.pk])).status_code == 404
