"""The demo: Dongdao Lu Jia with ~200 residents and a year of history, and a small second village
(Teng Jia) that proves isolation. Deterministic: the same seed and the same day give the same data.
Everything is written through the services, like any other caller."""

import random
from datetime import date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction

from demo.cards import give_demo_cards
from demo.due_process import load_due_process
from demo.handbook_data import SECOND_EDITION_DAYS_AGO, fill_draft, fill_second_edition, fill_with_demo_pages
from demo.store import load_demo_store
from handbook.models import Edition, Item
from handbook.services import start_draft
from points import notices
from points.models import Appeal, Entry
from points.services import (
    PaperEntry,
    file_appeal,
    issue_certificate,
    publish_heads,
    record_paper_entries,
    reverse_entry,
    revoke_certificate,
)
from points.snapshots import previous_month, take_monthly_snapshots
from villages.grades import DONGDAO_LU_JIA_BANDS
from villages.models import Household, Membership, Resident, Village
from villages.services import create_village, grant_role, record_consent

PASSWORD = "village-demo"
Role = Membership.Role

SURNAMES = "刘刘刘刘刘刘王李张于孙姜林"
GIVEN = "建国秀英桂兰玉珍志强德明淑芬海燕春生立新丽娟文华永红金凤树林学军宝山晓东凤霞振华俊杰"

# Share of residents per profile; the profile decides what a year of their history looks like.
# As in the schemes modelled, deeds are what the ledger is mostly made of: most residents end the
# year at A or A+, some at B after a small slip, and heavy penalties are rare (the two residents
# below, one ending at C and one at D).
PROFILES = [("star", 30), ("good", 50), ("slip", 20)]
TROUBLED = ["trouble", "bad"]


def load_demo(*, seed: int = 2018) -> bool:
    """Load the demo villages unless they are there. Returns False if nothing was done."""
    if Village.objects.filter(code="DDLJ").exists():
        return False
    rng = random.Random(seed)
    with transaction.atomic():
        users = {name: _user(name) for name in ["admin", "head", "scorer", "resident", "resident2", "resident3"]}
        users["admin"].is_staff = users["admin"].is_superuser = True
        users["admin"].save(update_fields=["is_staff", "is_superuser"])
        village = _village("东岛刘家村", "DDLJ", "东岛刘家村村民委员会", users)
        editions = [_handbook(village), _second_edition(village, users["admin"])]
        residents = _residents(village, rng, count=200, households=60, consenting_by=users["admin"])
        _link_demo_residents(village, residents, users)
        _history(village, residents, editions, rng, users, troubled=TROUBLED)
        _demo_certificates(residents, users)
        give_demo_cards(village, users)
        fill_draft(start_draft(village=village, admin=users["admin"]), admin=users["admin"])
        load_demo_store(village, residents, users, rng)

        teng_users = {name: _user(name) for name in ["head_tj", "scorer_tj"]}
        teng = _village(
            "滕家村",
            "TJ",
            "滕家村村民委员会",
            {"admin": users["admin"], "head": teng_users["head_tj"], "scorer": teng_users["scorer_tj"]},
        )
        teng_editions = [_handbook(teng)]
        teng_residents = _residents(teng, rng, count=12, households=4, consenting_by=users["admin"])
        _history(teng, teng_residents, teng_editions, rng, {"scorer": teng_users["scorer_tj"]}, months=3)
        load_due_process(villages=[village, teng], reviewer=_user("township"), head=users["head"])
        # A year of month-end snapshots, as beat would have taken them.
        month = village.today().replace(day=1)
        for _ in range(12):
            month = previous_month(month)
            take_monthly_snapshots(month=month)
        publish_heads()  # each ended month's chain head, as beat would have published it
        _demo_notices(village, residents)
    return True


# What the ledger shows as "recorded by" and "decided by".
DISPLAY_NAMES = {
    "admin": "王文华",
    "head": "刘振华",
    "scorer": "于海燕",
    "resident": "刘建国",
    "resident2": "刘秀英",
    "resident3": "王志强",
    "head_tj": "滕立新",
    "scorer_tj": "滕春生",
    "township": "姜国栋",
}


def _user(username: str):
    user, _created = get_user_model().objects.get_or_create(username=username)
    user.first_name = DISPLAY_NAMES[username]
    user.set_password(PASSWORD)
    user.save()
    return user


def _village(name: str, code: str, seal: str, users: dict) -> Village:
    village = create_village(
        name=name, code=code, seal_text=seal, bands_from=date(2018, 7, 1), bands=DONGDAO_LU_JIA_BANDS
    )
    grant_role(user=users["admin"], village=village, role=Role.ADMIN)
    grant_role(user=users["head"], village=village, role=Role.HEAD)
    grant_role(user=users["scorer"], village=village, role=Role.SCORER)
    return village


EditionItems = tuple[date, dict[str, Item]]  # (in force from, items by code)


def _handbook(village: Village) -> EditionItems:
    """The 12-page handbook, published and in force since before the year of history."""
    edition = Edition.objects.create(village=village, number=1, title=f"{village.name}村民积分手册")
    fill_with_demo_pages(edition)
    return _published(edition, days_ago=400)


def _second_edition(village: Village, admin) -> EditionItems:
    """Edition 2, drafted in the editor and in force for the last SECOND_EDITION_DAYS_AGO days: older
    entries show that they were recorded under an earlier edition."""
    draft = start_draft(village=village, admin=admin, title=f"{village.name}村民积分手册（第二版）")
    fill_second_edition(draft, admin=admin)
    return _published(draft, days_ago=SECOND_EDITION_DAYS_AGO, by=admin)


def _published(edition: Edition, *, days_ago: int, by=None) -> EditionItems:
    # Published directly rather than through publish_edition, which (rightly) refuses past dates.
    village = edition.village
    edition.effective_from = village.today() - timedelta(days=days_ago)
    edition.published_at = datetime.combine(edition.effective_from - timedelta(days=7), time(9), tzinfo=village.tzinfo)
    edition.published_by = by
    edition.save(update_fields=["published_at", "effective_from", "published_by"])
    return edition.effective_from, {item.code: item for item in Item.objects.filter(edition=edition)}


def _residents(village: Village, rng: random.Random, *, count: int, households: int, consenting_by) -> list[Resident]:
    homes = [
        Household.objects.create(village=village, number=f"{n:03d}", address=f"{village.name}{n}号")
        for n in range(1, households + 1)
    ]
    residents = []
    for n in range(count):
        home = homes[n % households] if n < households else rng.choice(homes)
        name = rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, rng.choice([1, 2])))
        residents.append(
            Resident.objects.create(
                village=village,
                household=home,
                name=name,
                born_on=date(rng.randint(1940, 2005), rng.randint(1, 12), rng.randint(1, 28)),
            )
        )
    # A few have not agreed to be scored, two have moved away: the scorer's search explains them.
    for resident in residents[:-6]:
        record_consent(resident=resident, given_on=date(2018, 7, 1), recorded_by=consenting_by)
    for resident in residents[-2:]:
        resident.status = Resident.Status.MOVED_AWAY
        resident.save(update_fields=["status"])
    return residents


def _link_demo_residents(village: Village, residents: list[Resident], users: dict) -> None:
    for username, resident, name in zip(
        ["resident", "resident2", "resident3"], residents[:3], ["刘建国", "刘秀英", "王志强"], strict=True
    ):
        resident.name = name
        resident.user = users[username]
        resident.save()
        grant_role(user=users[username], village=village, role=Role.RESIDENT)
        resident.demo_account = username


# 刘建国's year: deeds, a deduction about to expire, one already expired, a recent one to appeal,
# and a mistake (1.5) that the head reverses.
DEMO_RESIDENT_YEAR = [
    ("1.1", 320, "修剪了邻居刘秀英家的苹果树"),
    ("1.1", 200, ""),
    ("1.1", 45, ""),
    ("2.1", 150, "送王大爷去镇医院"),
    ("2.1", 20, "送王大爷赶集"),
    ("3.4", 60, ""),
    ("3.4", 12, ""),
    ("6.1", 90, "参加河道清理志愿活动"),
    ("3.2", 300, "鸡跑到了村道上"),
    ("4.1", 250, "门口堆放柴草"),
    ("3.3", 40, ""),
    ("9.3", 6, "在村道上晒玉米"),
    ("9.3", 184, "在村道上晒花生"),  # stopped counting a few days ago: a notice says so
    ("1.5", 3, ""),
]


def _history(village, residents, editions, rng, users, *, months: int = 12, troubled=()) -> None:
    """A year of paper-ledger lines, each under the edition in force on its day. `troubled`: the
    profiles given to as many residents (after the demo accounts), whatever the random draw."""
    today = village.today()
    lines: list[PaperEntry] = []
    used: dict[tuple, int] = {}
    span = months * 30

    def items_on(day: date) -> dict[str, Item]:
        return [items for start, items in editions if start <= day][-1]

    def add(resident, code_or_pick, days_ago, note=""):
        occurred = today - timedelta(days=days_ago)
        items = items_on(occurred)
        item = items[code_or_pick] if isinstance(code_or_pick, str) else code_or_pick(list(items.values()))
        if item.cap_count:
            period = (occurred.year, occurred.month if item.cap_period == Item.Period.MONTH else 0)
            key = (resident.pk, item.code, period)
            if used.get(key, 0) >= item.cap_count:
                return
            used[key] = used.get(key, 0) + 1
        recorded_at = datetime.combine(occurred, time(rng.randint(8, 18), rng.randint(0, 59)), tzinfo=village.tzinfo)
        lines.append(PaperEntry(resident, item, occurred, users["scorer"], recorded_at, note))

    def pick(kind, low=0, high=100):
        return lambda items: rng.choice([i for i in items if i.kind == kind and low <= i.points <= high])

    small_deed, big_deed = pick(Item.Kind.DEED, high=2), pick(Item.Kind.DEED, low=3)
    light_infraction = pick(Item.Kind.INFRACTION, high=5)

    scorable = [r for r in residents if r.has_consented and r.status == Resident.Status.ACTIVE]
    others = [r for r in scorable if not getattr(r, "demo_account", "")]
    middle = len(others) // 2  # not the first residents, who hold the demo certificates
    forced = dict(zip([r.pk for r in others[middle : middle + len(troubled)]], troubled, strict=False))
    weights = [w for _name, w in PROFILES]
    for resident in scorable:
        account = getattr(resident, "demo_account", "")
        if account == "resident":
            for code, days_ago, note in DEMO_RESIDENT_YEAR:
                add(resident, code, days_ago, note)
            continue
        if account == "resident2":  # a recent deduction they dispute
            add(resident, "3.2", 5)
        elif account == "resident3":  # disputed three weeks ago; the appeal is past its deadline
            add(resident, "10.1", 21)
        profile = forced.get(resident.pk) or rng.choices([name for name, _w in PROFILES], weights)[0]
        for _ in range(rng.randint(4, 14)):
            add(resident, small_deed, rng.randrange(span))
        if profile == "star":
            for _ in range(rng.randint(8, 16)):
                add(resident, small_deed, rng.randrange(span))
            for _ in range(rng.randint(4, 8)):
                add(resident, big_deed, rng.randrange(span))
        elif profile == "slip":  # small lapses, still counting
            for _ in range(2):
                add(resident, light_infraction, rng.randrange(min(span, 150)))
        elif profile == "trouble":  # ends the year at C
            for code, days_ago in [("4.2", 200), ("8.1", 40), ("5.1", 60), ("3.3", 20)]:
                add(resident, code, days_ago)
        elif profile == "bad":  # ends the year at D
            for code, days_ago in [("4.2", 200), ("4.2", 100), ("8.1", 160), ("8.1", 60), ("8.1", 12), ("5.1", 75)]:
                add(resident, code, days_ago)
            for code, days_ago in [("5.1", 30), ("10.3", 50), ("9.1", 130), ("9.1", 25), ("3.2", 8)]:
                add(resident, code, days_ago)
    admin = Membership.objects.filter(village=village, role=Role.ADMIN).first().user
    record_paper_entries(village=village, transcribed_by=admin, entries=lines)

    if "resident" in users:
        _demo_corrections(village, residents, users)


def _demo_corrections(village, residents, users) -> None:
    """A withdrawn mistake for the demo resident and two open appeals for the head's queue."""
    demo = next(r for r in residents if getattr(r, "demo_account", "") == "resident")
    mistake = Entry.objects.filter(resident=demo, item__code="1.5").first()
    reverse_entry(entry=mistake, author=users["head"], reason="信息员记错了人，已更正。")
    for username in ["resident2", "resident3"]:
        resident = next(r for r in residents if getattr(r, "demo_account", "") == username)
        entry = Entry.objects.filter(resident=resident, points_halves__lt=0).order_by("-occurred_on").first()
        appeal = file_appeal(entry=entry, resident_user=users[username], reason="那天我不在村里，记录有误。")
        if username == "resident3":
            # Filed two weeks ago and still waiting: the head's queue and home flag it as overdue.
            filed_at = entry.recorded_at + timedelta(days=7)
            Appeal.objects.filter(pk=appeal.pk).update(filed_at=filed_at)


def _demo_notices(village: Village, residents: list[Resident]) -> None:
    """What the periodic jobs would have said by now: the demo resident's latest entries, the
    deduction of theirs that just stopped counting, and the head's reminder of the overdue appeal."""
    demo = next(r for r in residents if getattr(r, "demo_account", "") == "resident")
    since = village.today() - timedelta(days=7)
    for entry_id in Entry.objects.filter(resident=demo, counts_from__gte=since).values_list("pk", flat=True):
        notices.entry_recorded(entry_id)
    notices.deductions_expired()
    notices.appeals_overdue()


def _demo_certificates(residents, users) -> None:
    """Certificates for the three demo accounts and two more residents, so that verification can be
    tried at once; 王志强's (resident3) is revoked, as after a grade found wrong."""
    head = users["head"]
    for resident in residents[:5]:  # the first three are the demo accounts
        certificate = issue_certificate(resident=resident, issued_by=head)
        if getattr(resident, "demo_account", "") == "resident3":
            revoke_certificate(certificate=certificate, revoked_by=head, reason="等级有误，申诉处理后重新颁发。")
