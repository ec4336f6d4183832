"""A handbook edition as a YAML file a person can read and edit, so a township can pass a handbook
from one village to another. Export, edit in any text editor, import as a new draft.

    title: 东岛刘家村村民积分手册
    pages:
      - title: 邻里互助
        items:
          - code: '1.1'
            title: 为邻居修剪树木
            kind: deed            # deed or infraction
            points: 1             # positive, in steps of 0.5
            fine: 200             # optional, whole yuan
            cap: 2 per month      # optional: "N per month" or "N per year"
            counts_for_months: 12 # optional, infractions only
            warning_days: 30      # optional: a warning shows this long; an infraction needs one this recent
            warns_for: '1.3'      # warnings only: the infraction the warning comes before

Import reads the file into plain text values (no YAML type guessing, so code 1.10 stays "1.10"),
checks every page and item, and writes nothing unless all of them pass.
"""

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import yaml
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from handbook.models import Edition, Item, Page
from handbook.services import check_handbook_admin
from villages.audit import record_audit
from villages.models import Village

FORMAT = "village-points-handbook/1"
MAX_NESTING = 20  # levels of lists, mappings or indentation; a handbook file uses four
MAX_BYTES = 1_000_000
MAX_ERRORS = 30
EDITION_KEYS = {"format", "title", "pages"}
PAGE_KEYS = {"title", "items"}
ITEM_KEYS = {
    "code",
    "title",
    "description",
    "kind",
    "points",
    "fine",
    "cap",
    "counts_for_months",
    "warning_days",
    "warns_for",
}
CAP_PATTERN = re.compile(r"^\s*(\d+)\s*(?:per|/)\s*(month|year)\s*$", re.IGNORECASE)

HEADER = """\
# Village Points handbook. Edit the values, keep the layout; then import it as a new draft.
# Each item: code (unique in the handbook), title, optional description,
#   kind: deed, infraction or warning, points: in steps of 0.5 (infractions are deducted, warnings 0),
#   optional fine: whole yuan, optional cap: "2 per month" or "5 per year",
#   optional counts_for_months: a deduction stops counting after that many months,
#   optional warning_days: how long a warning shows / how recent a warning an infraction needs,
#   warns_for (warnings): the code of the infraction the warning comes before.
"""


# --- Export -------------------------------------------------------------------------------------


class _Dumper(yaml.SafeDumper):
    """Multi-line descriptions as literal blocks, which read like the text itself."""


def _str_representer(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str_representer)


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def export_edition(edition: Edition) -> str:
    """The edition as YAML text. Two queries."""
    pages = []
    items_by_page: dict[int, list[Item]] = {}
    for item in edition.items.order_by("page__number", "position", "code"):
        items_by_page.setdefault(item.page_id, []).append(item)
    for page in edition.pages.order_by("number"):
        pages.append({"title": page.title, "items": [_export_item(item) for item in items_by_page.get(page.pk, [])]})
    document = {"format": FORMAT, "title": edition.title, "pages": pages}
    return HEADER + yaml.dump(document, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100)


def _export_item(item: Item) -> dict:
    row: dict = {"code": item.code, "title": item.title}
    if item.description:
        row["description"] = item.description
    row["kind"] = item.kind
    row["points"] = _number(item.points)
    if item.fine_yuan is not None:
        row["fine"] = item.fine_yuan
    if item.cap_count is not None:
        row["cap"] = f"{item.cap_count} per {item.cap_period}"
    if item.validity_months is not None:
        row["counts_for_months"] = item.validity_months
    if item.warning_days is not None:
        row["warning_days"] = item.warning_days
    if item.warns_for:
        row["warns_for"] = item.warns_for
    return row


# --- Import -------------------------------------------------------------------------------------


@dataclass
class ParsedPage:
    title: str
    items: list[Item] = field(default_factory=list)


@dataclass
class ParsedEdition:
    title: str
    pages: list[ParsedPage]


class _Errors(list):
    def add(self, node: yaml.Node | None, message: str, code: str = "") -> None:
        line = node.start_mark.line + 1 if node is not None else 0
        if code:
            self.append(
                _("Line %(line)d, item %(code)s: %(message)s") % {"line": line, "code": code, "message": message}
            )
        else:
            self.append(_("Line %(line)d: %(message)s") % {"line": line, "message": message})


def parse_edition(text: str | bytes) -> ParsedEdition:
    """Read and check a whole file. Raises ValidationError with one message per problem (each naming
    its line and item code), or returns unsaved pages and items that pass every model check."""
    if isinstance(text, bytes):
        if len(text) > MAX_BYTES:
            raise ValidationError(_("The file is too large for a handbook (at most 1 MB)."), code="too_large")
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValidationError(
                _("The file is not UTF-8 text. Save it as UTF-8 and try again."), code="encoding"
            ) from None
    if _nesting(text) > MAX_NESTING:
        raise ValidationError(
            _("The file nests lists or indentation more than %(depth)d levels deep; a handbook needs four.")
            % {"depth": MAX_NESTING},
            code="too_deep",
        )
    try:
        # Aliases could make a small file expand into millions of rows; a handbook never needs them.
        if any(isinstance(token, yaml.AliasToken) for token in yaml.scan(text, Loader=yaml.SafeLoader)):
            raise ValidationError(_("The file uses YAML aliases (*name); write every item out in full."), code="alias")
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = _("line %(line)d") % {"line": mark.line + 1} if mark else ""
        raise ValidationError(
            _("The file is not valid YAML (%(where)s): %(problem)s")
            % {"where": where, "problem": getattr(error, "problem", None) or error},
            code="yaml",
        ) from None
    errors = _Errors()
    top = _mapping(root, EDITION_KEYS, errors)
    if top is None:
        raise ValidationError(errors or [_("The file is empty.")], code="structure")
    if "format" in top and _text(top["format"]) != FORMAT:
        errors.add(
            top["format"], _("This is not a Village Points handbook file (format %(format)s).") % {"format": FORMAT}
        )
    title = _text(top.get("title"))
    if not title:
        errors.add(root, _("The handbook needs a title."))
    elif len(title) > 120:
        errors.add(top["title"], _("The title is longer than 120 characters."))
    page_nodes = top.get("pages")
    if not isinstance(page_nodes, yaml.SequenceNode) or not page_nodes.value:
        errors.add(page_nodes or root, _("The handbook needs a list of pages."))
        raise ValidationError(errors, code="structure")

    pages = []
    seen: dict[str, int] = {}
    for page_node in page_nodes.value:
        page_map = _mapping(page_node, PAGE_KEYS, errors)
        if page_map is None:
            continue
        page = ParsedPage(title=_text(page_map.get("title")))
        if not page.title:
            errors.add(page_node, _("Every page needs a title."))
        elif len(page.title) > 120:
            errors.add(page_map["title"], _("The page title is longer than 120 characters."))
        item_nodes = page_map.get("items")
        if item_nodes is not None and not _is_null(item_nodes):
            if not isinstance(item_nodes, yaml.SequenceNode):
                errors.add(item_nodes, _("A page's items must be a list."))
                item_nodes = None
            for item_node in item_nodes.value if item_nodes is not None and not _is_null(item_nodes) else []:
                item = _parse_item(item_node, errors)
                if item is None:
                    continue
                line = item_node.start_mark.line + 1
                if item.code in seen:
                    errors.add(
                        item_node,
                        _("The code is already used on line %(line)d; every code appears once.")
                        % {"line": seen[item.code]},
                        item.code,
                    )
                else:
                    seen[item.code] = line
                page.items.append(item)
        pages.append(page)
    if errors:
        raise ValidationError(errors[:MAX_ERRORS], code="invalid")
    return ParsedEdition(title=title, pages=pages)


def _parse_item(node: yaml.Node, errors: _Errors) -> Item | None:
    row = _mapping(node, ITEM_KEYS, errors)
    if row is None:
        return None
    code = _text(row.get("code"))
    count = len(errors)
    for key in ("code", "title", "kind", "points"):
        if not _text(row.get(key)):
            errors.add(node, _("“%(field)s” is missing.") % {"field": key}, code)
    kind = _text(row.get("kind"))
    if kind and kind not in Item.Kind.values:
        errors.add(node, _("kind must be “deed”, “infraction” or “warning”."), code)
    points = _decimal(row.get("points"), "points", errors, code, node)
    fine = _whole(row.get("fine"), "fine", errors, code, node)
    if fine == 0:
        errors.add(node, _("A fine of 0 yuan is no fine: leave it out."), code)
    validity = _whole(row.get("counts_for_months"), "counts_for_months", errors, code, node)
    warning_days = _whole(row.get("warning_days"), "warning_days", errors, code, node)
    cap_count, cap_period = None, ""
    cap = _text(row.get("cap"))
    if cap:
        match = CAP_PATTERN.match(cap)
        if match is None:
            errors.add(node, _("Write the cap as “2 per month” or “5 per year”."), code)
        else:
            cap_count, cap_period = int(match[1]), match[2].lower()
            if cap_count == 0:
                errors.add(node, _("A cap of 0 allows nothing; leave the cap out or allow at least 1."), code)
    if len(errors) > count:
        return None
    item = Item(
        code=code,
        title=_text(row.get("title")),
        description=_text(row.get("description")),
        kind=kind,
        points=points,
        fine_yuan=fine,
        cap_count=cap_count,
        cap_period=cap_period,
        validity_months=validity,
        warning_days=warning_days,
        warns_for=_text(row.get("warns_for")),
    )
    try:
        item.clean_fields(exclude=["edition", "page", "position"])
        item.clean()
    except ValidationError as error:
        for key, messages in error.message_dict.items():
            for message in messages:
                errors.add(node, f"{_file_key(key)}: {message}" if key != "__all__" else message, code)
        return None
    return item


def _file_key(model_field: str) -> str:
    return {"fine_yuan": "fine", "cap_count": "cap", "cap_period": "cap", "validity_months": "counts_for_months"}.get(
        model_field, model_field
    )


def _mapping(node: yaml.Node | None, keys: set[str], errors: _Errors) -> dict[str, yaml.Node] | None:
    if node is None or not isinstance(node, yaml.MappingNode):
        errors.add(node, _("Expected “key: value” lines here."))
        return None
    result = {}
    for key_node, value_node in node.value:
        key = _text(key_node)
        if key not in keys:
            errors.add(
                key_node,
                _("Unknown field “%(field)s”; use %(fields)s.") % {"field": key, "fields": ", ".join(sorted(keys))},
            )
            continue
        result[key] = value_node
    return result


def _is_null(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null"


def _text(node: yaml.Node | None) -> str:
    if node is None or _is_null(node) or not isinstance(node, yaml.ScalarNode):
        return ""
    return node.value.strip()


def _nesting(text: str) -> int:
    """How deep the file nests, counted before the YAML parser sees it (which would recurse once per
    level and take minutes over 200,000 `[`): open brackets outside quotes, or indentation in
    steps of two spaces, whichever is deeper. Linear in the length of the text."""
    deepest = depth = 0
    quote = ""
    for char in text:
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth = max(depth - 1, 0)
        elif char == "\n":
            quote = ""  # a quote never spans lines in a handbook file; an apostrophe in prose ends here
    indent = max((len(line) - len(line.lstrip(" -")) for line in text.splitlines()), default=0)
    return max(deepest, indent // 2)


def _decimal(node: yaml.Node | None, key: str, errors: _Errors, code: str, row: yaml.Node) -> Decimal | None:
    value = _text(node)
    if not value:
        return None
    try:
        number = Decimal(value)
    except InvalidOperation:
        errors.add(row, _("%(field)s must be a number such as 1 or 0.5.") % {"field": key}, code)
        return None
    if not number.is_finite():
        errors.add(row, _("%(field)s must be a number such as 1 or 0.5.") % {"field": key}, code)
        return None
    return number


def _whole(node: yaml.Node | None, key: str, errors: _Errors, code: str, row: yaml.Node) -> int | None:
    value = _text(node)
    if not value:
        return None
    if not value.isdigit():
        errors.add(row, _("%(field)s must be a whole number such as 12.") % {"field": key}, code)
        return None
    return int(value)


@transaction.atomic
def import_edition(*, village: Village, admin: AbstractBaseUser, text: str | bytes) -> Edition:
    """A new draft edition from a handbook file. Every row is checked first (parse_edition); if
    any fails, ValidationError lists them and nothing is written. Refused while a draft exists."""
    parsed = parse_edition(text)
    check_handbook_admin(admin, village)
    if Edition.objects.filter(village=village, published_at__isnull=True).exists():
        raise ValidationError(
            _("There is already a draft edition; publish or discard it before importing."), code="draft_exists"
        )
    number = (Edition.objects.filter(village=village).aggregate(n=Max("number"))["n"] or 0) + 1
    draft = Edition.objects.create(village=village, number=number, title=parsed.title)
    items = []
    for page_number, parsed_page in enumerate(parsed.pages, start=1):
        page = Page.objects.create(edition=draft, number=page_number, title=parsed_page.title)
        for position, item in enumerate(parsed_page.items, start=1):
            item.edition, item.page, item.position = draft, page, position
            items.append(item)
    Item.objects.bulk_create(items)
    record_audit(
        action="handbook.import",
        actor=admin,
        village=village,
        target=str(draft),
        after={"edition": draft.number, "pages": len(parsed.pages), "items": [item.code for item in items]},
    )
    return draft
