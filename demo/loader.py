"""The demo: Dongdao Lu Jia with ~200 residents and a year of history, and a small second village
(Teng Jia) that proves isolation. Deterministic: the same seed and the same day give the same data.
Everything is written through the services, like any other caller."""

import random
from datetime import date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction

from demo.handbook_data import fill_with_demo_pages
from demo.store import load_demo_store
from handbook.models import Edition, Item
from points.models import Entry
from points.services import (
    PaperEntry,
    file_appeal,
    issue_certificate,
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
PROFILES = [("star", 10), ("good", 40), ("slip", 25), ("trouble", 17), ("bad", 8)]


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
        items = _handbook(village)
        residents = _residents(village, rng, count=200, households=60, consenting_by=users["admin"])
        _link_demo_residents(village, residents, users)
        _history(village, residents, items, rng, users)
        _demo_certificates(residents, users)
        load_demo_store(village, residents, users, rng)

        teng_users = {name: _user(name) for name in ["head_tj", "scorer_tj"]}
        teng = _village(
            "滕家村",
            "TJ",
            "滕家村村民委员会",
            {"admin": users["admin"], "head": teng_users["head_tj"], "scorer": teng_users["scorer_tj"]},
        )
        teng_items = _handbook(teng)
        teng_residents = _residents(teng, rng, count=12, households=4, consenting_by=users["admin"])
        _history(teng, teng_residents, teng_items, rng, {"scorer": teng_users["scorer_tj"]}, months=3)
        # A year of month-end snapshots, as beat would have taken them.
        month = village.today().replace(day=1)
        for _ in range(12):
            month = previous_month(month)
            take_monthly_snapshots(month=month)
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


def _handbook(village: Village) -> dict[str, Item]:
    """The 12-page handbook, published and in force since before the year of history."""
    edition = Edition.objects.create(village=village, number=1, title=f"{village.name}村民积分手册")
    fill_with_demo_pages(edition)
    # Published directly rather than through publish_edition, which (rightly) refuses past dates.
    edition.published_at = datetime.combine(village.today() - timedelta(days=400), time(9), tzinfo=village.tzinfo)
    edition.effective_from = village.today() - timedelta(days=400)
    edition.save(update_fields=["published_at", "effective_from"])
    return {item.code: item for item in Item.objects.filter(edition=edition)}


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
    ("1.5", 3, ""),
]


def _history(village, residents, items, rng, users, *, months: int = 12) -> None:
    today = village.today()
    deeds = [item for item in items.values() if item.kind == Item.Kind.DEED]
    small_deeds = [item for item in deeds if item.points <= 2]
    big_deeds = [item for item in deeds if item.points > 2]
    infractions = [item for item in items.values() if item.kind == Item.Kind.INFRACTION]
    heavy = [item for item in infractions if item.points >= 10]
    severe = [item for item in infractions if item.points >= 20]
    lines: list[PaperEntry] = []
    used: dict[tuple, int] = {}
    span = months * 30

    def add(resident, item, days_ago, note=""):
        occurred = today - timedelta(days=days_ago)
        if item.cap_count:
            period = (occurred.year, occurred.month if item.cap_period == Item.Period.MONTH else 0)
            key = (resident.pk, item.code, period)
            if used.get(key, 0) >= item.cap_count:
                return
            used[key] = used.get(key, 0) + 1
        recorded_at = datetime.combine(occurred, time(rng.randint(8, 18), rng.randint(0, 59)), tzinfo=village.tzinfo)
        lines.append(PaperEntry(resident, item, occurred, users["scorer"], recorded_at, note))

    weights = [w for _name, w in PROFILES]
    for resident in residents:
        if not resident.has_consented or resident.status != Resident.Status.ACTIVE:
            continue
        account = getattr(resident, "demo_account", "")
        if account == "resident":
            for code, days_ago, note in DEMO_RESIDENT_YEAR:
                add(resident, items[code], days_ago, note)
            continue
        if account:  # resident2 and resident3 each get a recent deduction they dispute
            add(resident, items["3.2" if account == "resident2" else "10.1"], 5)
        profile = rng.choices([name for name, _w in PROFILES], weights)[0]
        for _ in range(rng.randint(2, 10)):
            add(resident, rng.choice(small_deeds), rng.randrange(span))
        if profile == "star":
            for _ in range(rng.randint(6, 10)):
                add(resident, rng.choice(big_deeds), rng.randrange(span))
        elif profile == "slip":
            add(resident, rng.choice(infractions), rng.randrange(span))
        elif profile == "trouble":
            for _ in range(rng.randint(3, 6)):
                add(resident, rng.choice(heavy), rng.randrange(span))
        elif profile == "bad":
            for _ in range(rng.randint(7, 9)):
                add(resident, rng.choice(severe), rng.randrange(min(span, 300)))
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
        entry = Entry.objects.filter(resident=resident).order_by("-occurred_on").first()
        if entry is not None:
            file_appeal(entry=entry, resident_user=users[username], reason="那天我不在村里，记录有误。")


def _demo_certificates(residents, users) -> None:
    """Certificates for the three demo accounts and two more residents, so that verification can be
    tried at once; 王志强's (resident3) is revoked, as after a grade found wrong."""
    head = users["head"]
    for resident in residents[:5]:  # the first three are the demo accounts
        certificate = issue_certificate(resident=resident, issued_by=head)
        if getattr(resident, "demo_account", "") == "resident3":
            revoke_certificate(certificate=certificate, revoked_by=head, reason="等级有误，申诉处理后重新颁发。")
