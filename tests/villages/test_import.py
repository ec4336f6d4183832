"""Importing the village office's list of residents: every row checked first, all or nothing,
idempotent, in the encodings Chinese spreadsheets save."""

import io
from datetime import date
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from openpyxl import Workbook

from bench.workbooks import workbook_bomb
from villages.importing import MAX_BYTES, read_rows
from villages.models import AuditEvent, Household, Resident
from villages.services import import_residents

SAMPLE = Path(__file__).resolve().parents[2] / "demo" / "sample_residents.csv"
TODAY = date(2025, 6, 16)


def _import(village, actor, data: bytes, filename: str = "residents.csv"):
    parsed = read_rows(data=data, filename=filename, today=TODAY)
    assert not parsed.errors, parsed.errors
    return import_residents(village=village, actor=actor, rows=parsed.rows, source=filename)


def test_it_imports_a_valid_file(village, head):
    result = _import(village, head, SAMPLE.read_bytes())
    assert (result.created, result.households_created) == (12, 6)
    liu = Resident.objects.get(village=village, name="刘建国")
    assert (liu.household.number, liu.household.address) == ("101", "东岛刘家村一组1号")
    assert (liu.phone, liu.born_on, liu.name_initials) == ("13805451101", date(1958, 3, 12), "ljg")
    assert not liu.has_consented, "an imported resident cannot be scored until consent is recorded"
    assert AuditEvent.objects.filter(village=village, action="resident.import", actor=head).count() == 1


def test_it_writes_nothing_when_one_row_is_bad_and_names_the_row(village, head):
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    lines[5] = "102,于德明,东岛刘家村一组2号,,1947-13-45"  # row 6 of the sheet
    parsed = read_rows(data="\n".join(lines).encode(), filename="bad.csv", today=TODAY)
    assert [error.line for error in parsed.errors] == [6]
    assert "1947-13-45" in parsed.errors[0].message
    assert parsed.rows, "the good rows were read, but the view offers no import while any row is wrong"
    assert not Resident.objects.filter(village=village).exists()
    assert not Household.objects.filter(village=village).exists()


def test_it_reports_every_bad_row_at_once(village):
    data = "姓名,户号,出生日期\n,101,1950-01-01\n张三,,\n李四,103,明天\n张三,104,\n张三,104,\n".encode()
    parsed = read_rows(data=data, filename="bad.csv", today=TODAY)
    assert [error.line for error in parsed.errors] == [2, 3, 4, 6]


def test_importing_the_same_file_twice_creates_no_duplicates(village, head):
    _import(village, head, SAMPLE.read_bytes())
    again = _import(village, head, SAMPLE.read_bytes())
    assert (again.created, again.updated, again.unchanged, again.households_created) == (0, 0, 12, 0)
    assert Resident.objects.filter(village=village).count() == 12
    assert Household.objects.filter(village=village).count() == 6


def test_a_second_import_updates_a_changed_phone_and_adds_only_the_new_resident(village, head):
    _import(village, head, SAMPLE.read_bytes())
    text = SAMPLE.read_text(encoding="utf-8").replace("13805451101", "13800000000") + "107,于春生,,,1990-01-01\n"
    result = _import(village, head, text.encode())
    assert (result.created, result.updated, result.unchanged) == (1, 1, 11)
    assert Resident.objects.get(village=village, name="刘建国").phone == "13800000000"


def test_it_reads_a_gbk_encoded_file(village, head):
    gbk = SAMPLE.read_text(encoding="utf-8").encode("gbk")
    parsed = read_rows(data=gbk, filename="residents.csv", today=TODAY)
    assert parsed.encoding == "GBK"
    assert [row.name for row in parsed.rows][:2] == ["刘建国", "王秀英"]
    _import(village, head, gbk)
    assert Resident.objects.filter(village=village, name="孙桂兰").exists()


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"], ids=["utf-8", "utf-8 with BOM"])
def test_it_reads_a_utf8_file_with_or_without_bom(village, head, bom):
    parsed = read_rows(data=bom + SAMPLE.read_bytes(), filename="residents.csv", today=TODAY)
    assert parsed.encoding == "UTF-8"
    assert parsed.rows[0].household_number == "101", "the BOM must not stick to the first heading"
    assert len(parsed.rows) == 12


def test_it_reads_an_excel_workbook_with_numbers_and_dates_as_excel_stores_them(village, head):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["序号", "户号", "姓名", "身份证号", "出生日期", "联系电话"])
    sheet.append([1, 101, "刘建国", "370000195803120000", date(1958, 3, 12), 13805451101])
    sheet.append([2, "012", "王秀英", "", "1961/7/2", None])
    buffer = io.BytesIO()
    workbook.save(buffer)
    parsed = read_rows(data=buffer.getvalue(), filename="村民.xlsx", today=TODAY)
    assert not parsed.errors
    assert [(r.household_number, r.name, r.born_on, r.phone) for r in parsed.rows] == [
        ("101", "刘建国", date(1958, 3, 12), "13805451101"),
        ("012", "王秀英", date(1961, 7, 2), ""),
    ]
    assert "身份证号" in parsed.ignored_columns, "ID numbers are never stored"


def test_it_accepts_english_headings(village):
    data = b"Name,Household number,Phone,Date of birth\nAnna Wang,7,+86 138 0000 0000,1990-01-02\n"
    (row,) = read_rows(data=data, filename="r.csv", today=TODAY).rows
    assert (row.name, row.household_number, row.phone) == ("Anna Wang", "7", "+86 138 0000 0000")


def test_it_refuses_a_file_without_the_name_and_household_columns(village):
    with pytest.raises(ValidationError) as error:
        read_rows(data="姓名,电话\n张三,1\n".encode(), filename="r.csv", today=TODAY)
    assert error.value.code == "header"


def test_it_refuses_an_unreadable_file(village):
    with pytest.raises(ValidationError) as error:
        read_rows(data=b"\x81\xff\xfe\x00garbage", filename="r.csv", today=TODAY)
    assert error.value.code == "encoding"


def test_only_the_head_or_an_administrator_may_import(village, scorer):
    parsed = read_rows(data=SAMPLE.read_bytes(), filename="r.csv", today=TODAY)
    with pytest.raises(ValidationError):
        import_residents(village=village, actor=scorer, rows=parsed.rows)
    assert not Resident.objects.filter(village=village).exists()


def test_an_optional_consent_column_records_consent_by_the_importer(village, admin):
    data = "户号,姓名,出生日期,同意日期\n101,刘建国,1958-03-12,2025-05-01\n".encode()
    result = _import(village, admin, data)
    assert result.consents == 1
    liu = Resident.objects.get(village=village, name="刘建国")
    assert (liu.consent_given_on, liu.consent_recorded_by) == (date(2025, 5, 1), admin)


def test_it_drops_nul_characters_from_cells(village, head):
    parsed = read_rows(data="姓名,户号\n张\x00三,0\x0012\n".encode(), filename="r.csv", today=TODAY)
    (row,) = parsed.rows
    assert (row.name, row.household_number) == ("张三", "012")
    import_residents(village=village, actor=head, rows=parsed.rows)
    assert village.residents.get().name == "张三"


def test_it_refuses_a_cell_longer_than_a_csv_reader_takes_with_a_clear_message(village):
    data = ("姓名,户号\n" + "张" * 200_000 + ",012\n").encode()
    with pytest.raises(ValidationError) as refused:
        read_rows(data=data, filename="r.csv", today=TODAY)
    assert refused.value.code == "csv"


@pytest.mark.parametrize(("rows", "columns"), [(5000, 400), (100, 100_000)])
def test_it_refuses_a_workbook_that_unpacks_to_far_more_than_a_register_at_once(village, rows, columns):
    data = workbook_bomb(rows, columns)
    assert len(data) <= MAX_BYTES  # it passes the upload limit
    with pytest.raises(ValidationError) as refused:
        read_rows(data=data, filename="bomb.xlsx", today=TODAY)
    # "too_big" is the unpacked-size check, made before a single row is parsed (how fast that is
    # belongs in bench/, not in a test's wall clock).
    assert refused.value.code == "too_big"


def test_it_reads_a_wide_but_small_workbook_by_its_first_columns(village):
    parsed = read_rows(data=workbook_bomb(3, 200), filename="wide.xlsx", today=TODAY)
    assert [(row.name, row.household_number) for row in parsed.rows] == [("x", "x")]
    assert [error.line for error in parsed.errors] == [3, 4]  # the same resident again
