"""A resident's printable statement, for residents without a phone or a login."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.formats import date_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control

from points.chart import chart_with_standing
from points.ledger import Line, State, ledger_entries, lines
from points.statement_pdf import render_statement
from points.views.standing import upcoming_expiries
from villages.access import get_resident_for_office
from villages.templatetags.points_format import signed_points

LINES_PER_PAGE = 60  # about two printed A4 pages


@login_required
def statement(request: HttpRequest, pk: int) -> HttpResponse:
    """Standing, the 12-month chart as a table and the entries of those 12 months (a page of
    LINES_PER_PAGE at a time, newest first), laid out for A4."""
    resident = get_resident_for_office(request, pk)
    chart, current = chart_with_standing(resident=resident)
    entries = ledger_entries(resident).filter(occurred_on__gte=chart.first.month)
    # A page of lines at a time, so the statement of a resident with thousands of entries costs
    # what a short one does; each printed page carries the standing and says "page n of m".
    page = Paginator(entries, LINES_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "points/statement.html",
        {
            "resident": resident,
            "standing": current,
            "chart": chart,
            "expiries": upcoming_expiries(resident, on=current.on),
            "rows": _rows(lines(page.object_list, today=current.on, own=False)),
            "page": page,
            "printed_by": request.user,
            "appeal_window_days": settings.APPEAL_WINDOW_DAYS,
        },
    )


@login_required
@cache_control(private=True, no_cache=True)
def statement_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The statement as an A4 PDF with the font embedded, to print from any computer."""
    resident = get_resident_for_office(request, pk)
    chart, current = chart_with_standing(resident=resident)
    entries = ledger_entries(resident).filter(occurred_on__gte=chart.first.month)
    pdf = render_statement(
        resident=resident,
        standing=current,
        chart=chart,
        lines=lines(entries, today=current.on, own=False),
        printed_by=request.user.get_full_name() or request.user.get_username(),
        printed_on=current.on,
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="statement-{resident.pk}-{current.on:%Y%m%d}.pdf"'
    return response


def _rows(lines: list[Line]) -> SafeString:
    """The statement's table rows, drawn in one pass (as the dashboard's): a page of 60 lines was
    most of what the 2,000-entry resident's statement cost beyond a short one. Every text from the
    ledger is escaped; the rest are our own translations, dates and figures."""
    return mark_safe("".join(_row(line) for line in lines))


def _row(line: Line) -> str:
    entry = line.entry
    item = escape(f"{entry.item.code} {entry.item.title}")
    if entry.witness:
        item += f"<br><small>{escape(_('Witness:'))} {escape(entry.witness)}</small>"
    if entry.note:
        item += f"<br><small>{escape(entry.note)}</small>"
    fine = f"¥{entry.fine_yuan}" if entry.fine_yuan else ""
    return (
        f"<tr><td>{_short_date(entry.occurred_on)}</td><td>{item}</td>"
        f'<td class="num">{signed_points(entry.points)}</td><td class="num">{fine}</td>'
        f"<td>{escape(_name(entry.recorded_by))}</td><td>{_state(line)}</td></tr>"
    )


def _state(line: Line) -> str:
    if line.state == State.REVERSED:
        reversal = line.reversal
        return _("Reversed on %(date)s by %(name)s: %(reason)s") % {
            "date": _short_date(reversal.counts_from),
            "name": escape(_name(reversal.recorded_by)),
            "reason": escape(reversal.reason),
        }
    if line.state == State.UNDER_APPEAL:
        return escape(_("under appeal"))
    if line.state == State.EXPIRED:
        return _("expired on %(date)s") % {"date": _short_date(line.entry.expires_on)}
    return escape(_("counting"))


def _short_date(day) -> str:
    return escape(date_format(day, "SHORT_DATE_FORMAT"))


def _name(user) -> str:
    return user.get_full_name() or user.username
