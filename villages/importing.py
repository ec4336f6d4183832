"""Reading the village office's list of households and residents (CSV or XLSX) and planning an import.

Nothing here writes: `read_rows` turns a file into checked `ImportRow`s (or row-numbered errors in
the user's language), `plan_import` says what importing them would do. `villages.services.
import_residents` re-plans inside its transaction and writes everything or nothing.

The file is the one the office already keeps: a header row, then one resident per row, with the
columns name, household number, address, phone and date of birth, headed in Chinese or English
(姓名, 户号, 住址, 联系电话, 出生日期 …). Other columns are ignored — an ID-card column is never read,
because the scheme does not store ID numbers. An optional consent-date column records consent.
"""

import csv
import io
import re
import time
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from villages.models import Household, Resident, Village

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5000
MAX_COLUMNS = 50  # of a workbook row that are read; the register's columns come first
MAX_UNPACKED_BYTES = 16 * 1024 * 1024  # a workbook's parts, unpacked: 5,000 rows of a register need 2
MAX_SECONDS = 5  # reading a workbook, at most (its rows are checked as they stream)

# Header aliases, compared after lower-casing and removing spaces, brackets and punctuation.
COLUMNS = {
    "name": ["姓名", "名字", "村民姓名", "name", "fullname", "residentname"],
    "household_number": ["户号", "户编号", "门牌号", "户籍编号", "householdnumber", "household", "householdno"],
    "address": ["住址", "地址", "家庭住址", "居住地址", "address"],
    "phone": ["联系电话", "电话", "手机", "手机号", "手机号码", "电话号码", "phone", "mobile", "telephone"],
    "born_on": ["出生日期", "生日", "出生年月日", "dateofbirth", "birthdate", "born", "dob", "birthday"],
    "consent_given_on": ["同意日期", "知情同意日期", "consentgivenon", "consentdate", "consent"],
}
REQUIRED = ["name", "household_number"]
# The export writes these columns under their first (Chinese) heading, so importing it again
# changes nothing; the status column it adds is not an import column and is ignored.
EXPORT_COLUMNS = ["household_number", "name", "address", "phone", "born_on", "consent_given_on"]
EXPORT_HEADER = [COLUMNS[column][0] for column in EXPORT_COLUMNS] + ["状态"]

DATE_PATTERNS = [
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
]
PHONE = re.compile(r"^[0-9+()\- ]{3,30}$")
# Our own exports prefix these with a quote so that a spreadsheet never runs them as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class ImportRow:
    line: int  # the row number a spreadsheet shows (the header is row 1)
    name: str
    household_number: str
    address: str = ""
    phone: str = ""
    born_on: date | None = None
    consent_given_on: date | None = None

    @property
    def key(self) -> tuple[str, str, date | None]:
        """What identifies a resident across imports: household number, name and date of birth."""
        return (self.household_number, self.name, self.born_on)


@dataclass
class RowError:
    line: int  # 0: the file as a whole
    message: str


@dataclass
class ParsedFile:
    rows: list[ImportRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    encoding: str = ""


# --- Reading the file --------------------------------------------------------------------------


def decode(data: bytes) -> tuple[str, str]:
    """The text of a CSV file and the encoding it was in: UTF-8 (with or without the BOM that Excel
    writes), else GB18030, the superset of GBK that Chinese Excel and WPS save by default."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "UTF-8"
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "GBK"
    except UnicodeDecodeError:
        raise ValidationError(
            _("The file could not be read. Save it from Excel as “CSV UTF-8” or as an .xlsx workbook."),
            code="encoding",
        ) from None


def _csv_table(data: bytes) -> tuple[list[list[str]], str]:
    text, encoding = decode(data)
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t，")
    except csv.Error:
        dialect = csv.excel
    try:
        return [list(row) for row in csv.reader(io.StringIO(text), dialect)], encoding
    except csv.Error:  # a cell over the csv module's limit (131,072 characters), or a broken quote
        raise ValidationError(
            _("The file could not be read as a table: a cell is too long or a quote is not closed."),
            code="csv",
        ) from None


def _xlsx_table(data: bytes) -> list[list[object]]:
    from openpyxl import load_workbook  # imported here: only an upload of a workbook needs it

    # A few kilobytes of workbook can unpack into hundreds of megabytes of cells: refuse that
    # before anything parses it, from the sizes the zip's directory declares.
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError):
        unpacked = 0  # not a zip: openpyxl says so below
    if unpacked > MAX_UNPACKED_BYTES:
        raise ValidationError(
            _("The workbook unpacks to more than %(mb)d MB, far more than a register needs. Save it as CSV."),
            code="too_big",
            params={"mb": MAX_UNPACKED_BYTES // (1024 * 1024)},
        )

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a damaged or mislabelled file
        raise ValidationError(
            _("The workbook could not be opened. Check that it is an .xlsx file, or save it as CSV."), code="xlsx"
        ) from None
    try:
        sheet = workbook.worksheets[0]
        deadline = time.monotonic() + MAX_SECONDS
        rows = []
        # Streamed row by row (read-only mode), at most MAX_COLUMNS cells of each, against a deadline.
        for row in sheet.iter_rows(values_only=True, max_row=MAX_ROWS + 50, max_col=MAX_COLUMNS):
            if time.monotonic() > deadline:
                raise ValidationError(
                    _("The workbook takes too long to read. Save it as CSV, or remove empty columns and rows."),
                    code="too_slow",
                )
            rows.append(list(row))
        return rows
    finally:
        workbook.close()


def _header_key(value: object) -> str:
    return re.sub(r"[\s_\-()（）:：*]+", "", str(value or "")).lower()


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a household number typed as a number comes back as 12.0
    if isinstance(value, datetime):
        value = value.date()
    text = str(value).replace("\x00", "").strip()  # NUL is never meant, and no database stores it
    if text.startswith("'") and text[1:2] in FORMULA_START:
        text = text[1:]
    return text


def _parse_date(value: object, *, today: date) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        found = value.date()
    elif isinstance(value, date):
        found = value
    else:
        text = _cell_text(value)
        found = None
        for pattern in DATE_PATTERNS:
            match = pattern.match(text)
            if match:
                try:
                    found = date(*(int(part) for part in match.groups()))
                except ValueError:
                    found = None
                break
        if found is None:
            raise ValueError
    if found > today or found.year < 1900:
        raise ValueError
    return found


def read_rows(*, data: bytes, filename: str, today: date) -> ParsedFile:
    """Check every row of the uploaded file and return the rows or, if any row is wrong, the errors
    (all of them, each with its row number). Raises ValidationError if the file itself is unreadable."""
    if len(data) > MAX_BYTES:
        raise ValidationError(
            _("The file is larger than %(mb)d MB. Split it into smaller files."), code="too_big", params={"mb": 2}
        )
    if filename.lower().endswith((".xlsx", ".xlsm")):
        table, encoding = _xlsx_table(data), "XLSX"
    else:
        table, encoding = _csv_table(data)
    parsed = ParsedFile(encoding=encoding)

    # The header is the first row that is not empty.
    start = next((i for i, row in enumerate(table) if any(_cell_text(cell) for cell in row)), None)
    if start is None:
        raise ValidationError(_("The file is empty."), code="empty")
    columns: dict[str, int] = {}
    for index, heading in enumerate(table[start]):
        key = _header_key(heading)
        column = next((name for name, aliases in COLUMNS.items() if key in aliases), None)
        if column is not None and column not in columns:
            columns[column] = index
        elif key:
            parsed.ignored_columns.append(_cell_text(heading))
    missing = [column for column in REQUIRED if column not in columns]
    if missing:
        raise ValidationError(
            _(
                "The first row must name the columns. Could not find: %(missing)s. "
                "Use the headings 姓名 (name) and 户号 (household number); "
                "address, phone and date of birth are optional."
            ),
            code="header",
            params={"missing": ", ".join({"name": "姓名", "household_number": "户号"}[m] for m in missing)},
        )
    body = table[start + 1 :]
    if len(body) > MAX_ROWS:
        raise ValidationError(
            _("The file has more than %(count)d rows. Split it into smaller files."),
            code="too_many",
            params={"count": MAX_ROWS},
        )

    seen: dict[tuple, int] = {}
    for offset, row in enumerate(body):
        line = start + offset + 2
        cells = {column: (row[index] if index < len(row) else None) for column, index in columns.items()}
        if not any(_cell_text(value) for value in cells.values()):
            continue  # blank lines at the end of a sheet
        row_or_errors = _check_row(line, cells, today=today)
        if isinstance(row_or_errors, list):
            parsed.errors.extend(RowError(line, message) for message in row_or_errors)
            continue
        if row_or_errors.key in seen:
            parsed.errors.append(
                RowError(
                    line,
                    _("the same resident as row %(row)d (household, name and date of birth)")
                    % {"row": seen[row_or_errors.key]},
                )
            )
            continue
        seen[row_or_errors.key] = line
        parsed.rows.append(row_or_errors)
    if not parsed.rows and not parsed.errors:
        raise ValidationError(_("The file has a header but no residents."), code="empty")
    return parsed


def _check_row(line: int, cells: dict[str, object], *, today: date) -> ImportRow | list[str]:
    errors = []
    name = _cell_text(cells.get("name"))
    number = _cell_text(cells.get("household_number"))
    address = _cell_text(cells.get("address"))
    phone = _cell_text(cells.get("phone"))
    if not name:
        errors.append(_("the name is missing"))
    elif len(name) > Resident._meta.get_field("name").max_length:
        errors.append(_("the name is longer than 60 characters"))
    if not number:
        errors.append(_("the household number is missing"))
    elif len(number) > Household._meta.get_field("number").max_length:
        errors.append(_("the household number is longer than 20 characters"))
    if len(address) > Household._meta.get_field("address").max_length:
        errors.append(_("the address is longer than 200 characters"))
    if phone and not PHONE.match(phone):
        errors.append(_("“%(phone)s” is not a phone number (digits, spaces, + and - only)") % {"phone": phone})
    dates = {}
    for column, label in [("born_on", _("date of birth")), ("consent_given_on", _("consent date"))]:
        try:
            dates[column] = _parse_date(cells.get(column), today=today)
        except ValueError:
            errors.append(
                _("the %(what)s “%(value)s” is not a past date such as 1965-03-02")
                % {
                    "what": label,
                    "value": _cell_text(cells.get(column)),
                }
            )
    if errors:
        return errors
    return ImportRow(line=line, name=name, household_number=number, address=address, phone=phone, **dates)


# --- Planning ----------------------------------------------------------------------------------


@dataclass
class PlannedRow:
    row: ImportRow
    action: str  # "new", "update" or "same"
    resident: Resident | None = None  # the existing resident it matches
    changes: list[str] = field(default_factory=list)  # field names that will change
    new_household: bool = False
    records_consent: bool = False


@dataclass
class ImportPlan:
    rows: list[PlannedRow]
    new_households: list[str]
    household_addresses: dict[str, str]  # number → address to set (new or changed)

    def count(self, action: str) -> int:
        return sum(1 for planned in self.rows if planned.action == action)

    @property
    def new(self) -> int:
        return self.count("new")

    @property
    def updated(self) -> int:
        return self.count("update")

    @property
    def same(self) -> int:
        return self.count("same")

    @property
    def consents(self) -> int:
        return sum(1 for planned in self.rows if planned.records_consent)

    @property
    def has_changes(self) -> bool:
        return bool(self.new or self.updated or self.household_addresses or self.consents)


def plan_import(*, village: Village, rows: list[ImportRow]) -> ImportPlan:
    """What importing `rows` into `village` would do. Two queries, whatever the number of rows.

    A row matches an existing resident with the same household number, name and date of birth;
    a match is updated (phone) or left alone, so importing the same file twice adds nobody. A
    household's address is the first one given for it in the file."""
    households = {h.number: h for h in Household.objects.filter(village=village)}
    existing = {
        (r.household.number, r.name, r.born_on): r
        for r in Resident.objects.filter(village=village).select_related("household")
    }
    addresses: dict[str, str] = {}
    for row in rows:
        if row.address and row.household_number not in addresses:
            addresses[row.household_number] = row.address
    household_addresses = {
        number: address
        for number, address in addresses.items()
        if number not in households or households[number].address != address
    }
    new_households = sorted({row.household_number for row in rows} - households.keys())
    planned = []
    for row in rows:
        resident = existing.get(row.key)
        consent = row.consent_given_on is not None and (resident is None or not resident.has_consented)
        if resident is None:
            planned.append(
                PlannedRow(
                    row=row,
                    action="new",
                    new_household=row.household_number in new_households,
                    records_consent=consent,
                )
            )
            continue
        changes = ["phone"] if row.phone and row.phone != resident.phone else []
        planned.append(
            PlannedRow(
                row=row,
                action="update" if changes or consent else "same",
                resident=resident,
                changes=changes,
                records_consent=consent,
            )
        )
    return ImportPlan(rows=planned, new_households=new_households, household_addresses=household_addresses)


def export_row(resident: Resident) -> list[object]:
    """A resident as a row under EXPORT_HEADER (their household must be loaded)."""
    household = resident.household
    values = {
        "household_number": household.number,
        "name": resident.name,
        "address": household.address,
        "phone": resident.phone,
        "born_on": resident.born_on,
        "consent_given_on": resident.consent_given_on,
    }
    return [values[column] for column in EXPORT_COLUMNS] + [resident.get_status_display()]
