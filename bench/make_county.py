"""A synthetic county for the benchmarks, deterministic from a seed.

    python -m bench.make_county                       # small: SQLite, well under a minute
    python -m bench.make_county --size medium         # 10 villages × 1,000 residents × 100 entries
    DATABASE_URL=postgres://… python -m bench.make_county --size large --reset   # 10 M entries

Runs under bench.settings (its own SQLite file, var/bench.sqlite3, unless DATABASE_URL is set).
Every village has the demo handbook (12 pages, published long ago), an administrator, a head,
`scorers` volunteer scorers and `residents` residents in households of four, each with `entries`
ledger entries spread over the last two years. The first resident of village V001 (the *heavy*
resident) has `heavy` entries instead, for the standing page. A tiny village (VT, ten residents)
is always added, to show that query counts do not grow with the data.

Every account's password is `village-demo`. Names, dates, items and idempotency keys all come from
random.Random(seed), so the same seed and the same day give the same county.
"""

import argparse
import os
import random
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache

PASSWORD = "village-demo"
HISTORY_DAYS = 730
TINY_CODE = "VT"

SIZES = {
    # name: (villages, residents per village, entries per resident, entries of the heavy resident)
    "tiny": (2, 20, 5, 50),
    "small": (3, 1_000, 20, 2_000),
    "medium": (10, 1_000, 100, 2_000),
    "large": (100, 1_000, 100, 2_000),
}

SURNAMES = "刘王李张于孙姜林赵陈杨黄周吴徐朱胡郭何高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "建国秀英桂兰玉珍志强德明淑芬海燕春生立新丽娟文华永红金凤树林学军宝山晓东凤霞振华俊杰伟芳敏静磊洋勇艳"


@dataclass(frozen=True)
class CountySize:
    villages: int
    residents: int
    entries: int
    heavy: int
    scorers: int = 16

    @property
    def total_entries(self) -> int:
        return self.villages * (self.residents - 1) * self.entries + self.villages * self.heavy


def village_code(number: int) -> str:
    return f"V{number:03d}"


def head_username(code: str) -> str:
    return f"head-{code.lower()}"


def scorer_username(code: str, number: int) -> str:
    return f"scorer-{code.lower()}-{number:02d}"


def admin_username(code: str) -> str:
    return f"admin-{code.lower()}"


@cache
def _pinyin(name: str) -> tuple[str, str]:
    from villages.pinyin import pinyin_keys

    return pinyin_keys(name)


def make_county(*, size: CountySize, seed: int = 2018, log=None) -> dict:
    """Write the county into the (empty) default database and return what was made."""
    from django.db import connection

    from villages.models import Village

    if Village.objects.exists():
        raise SystemExit("The database already holds villages; run with --reset to empty it first.")
    say = log or (lambda message: None)
    started = time.perf_counter()
    password = _password_hash()
    for number in range(1, size.villages + 1):
        _make_village(
            code=village_code(number),
            name=f"第{number}村",
            size=size,
            rng=random.Random(f"{seed}-{number}"),
            password=password,
        )
        say(f"  village {number}/{size.villages} done after {time.perf_counter() - started:.1f} s")
    _make_village(
        code=TINY_CODE,
        name="小村",
        size=CountySize(villages=1, residents=10, entries=5, heavy=5, scorers=1),
        rng=random.Random(f"{seed}-tiny"),
        password=password,
    )
    if connection.vendor == "postgresql":
        # Fresh tables have no planner statistics until autovacuum comes by, and no visibility map
        # (index-only scans read the table too); a county that has been live for two years would
        # have both: autovacuum vacuums an append-only table after enough inserts.
        with connection.cursor() as cursor:
            # VACUUM cannot run in a transaction (the smoke test's): ANALYZE alone there.
            cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE")
    return {"seconds": time.perf_counter() - started, "entries": size.total_entries + 50}


def _password_hash() -> str:
    # One PBKDF2 hash for every account: hashing per user would take most of the generator's time.
    from django.contrib.auth.hashers import make_password

    return make_password(PASSWORD)


def _make_village(*, code: str, name: str, size: CountySize, rng: random.Random, password: str) -> None:
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from villages.grades import DONGDAO_LU_JIA_BANDS
    from villages.models import Household, Membership, Resident
    from villages.services import create_village

    User = get_user_model()
    Role = Membership.Role
    with transaction.atomic():
        village = create_village(
            name=name,
            code=code,
            seal_text=f"{name}村民委员会",
            bands_from=date(2018, 7, 1),
            bands=DONGDAO_LU_JIA_BANDS,
        )
        today = village.today()
        names = [admin_username(code), head_username(code)] + [
            scorer_username(code, n) for n in range(1, size.scorers + 1)
        ]
        User.objects.bulk_create(User(username=username, password=password) for username in names)
        users = {u.username: u for u in User.objects.filter(username__in=names)}
        admin, head = users[admin_username(code)], users[head_username(code)]
        scorers = [users[scorer_username(code, n)] for n in range(1, size.scorers + 1)]
        Membership.objects.bulk_create(
            [
                Membership(user=admin, village=village, role=Role.ADMIN),
                Membership(user=head, village=village, role=Role.HEAD),
                *(Membership(user=s, village=village, role=Role.SCORER) for s in scorers),
            ]
        )
        items = _handbook(village, today)

        households = Household.objects.bulk_create(
            Household(village=village, number=f"{n:04d}", address=f"{name}{n}号")
            for n in range(1, size.residents // 4 + 2)
        )
        residents = []
        for n in range(size.residents):
            resident_name = rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, rng.choice([1, 2])))
            pinyin, initials = _pinyin(resident_name)
            consenting = n == 0 or rng.random() > 0.02  # a few have not agreed to be scored
            residents.append(
                # bulk_create skips Resident.save(), which sets the pinyin keys: set them here.
                Resident(
                    village=village,
                    household=households[n // 4],
                    name=resident_name,
                    name_pinyin=pinyin,
                    name_initials=initials,
                    born_on=date(rng.randint(1940, 2005), rng.randint(1, 12), rng.randint(1, 28)),
                    consent_given_on=date(2018, 7, 1) if consenting else None,
                    consent_recorded_by=admin if consenting else None,
                )
            )
        residents = Resident.objects.bulk_create(residents, batch_size=2000)
        _history(village=village, residents=residents, items=items, scorers=scorers, size=size, rng=rng, today=today)


def _handbook(village, today: date) -> list:
    """The demo handbook, published and in force since before the history starts."""
    from demo.handbook_data import fill_with_demo_pages
    from handbook.models import Edition, Item

    edition = Edition.objects.create(village=village, number=1, title=f"{village.name}村民积分手册")
    fill_with_demo_pages(edition)
    # Published directly rather than through publish_edition, which (rightly) refuses past dates.
    published = today - timedelta(days=HISTORY_DAYS + 30)
    Edition.objects.filter(pk=edition.pk).update(
        published_at=datetime.combine(published, datetime.min.time(), tzinfo=village.tzinfo),
        effective_from=published,
    )
    return list(Item.objects.filter(edition=edition).order_by("pk"))


def _history(*, village, residents, items, scorers, size: CountySize, rng: random.Random, today: date) -> None:
    """Two years of entries under the handbook's uncapped items (so no cap is exceeded).

    The ledger is written with Entry.objects.bulk_create, bypassing points.services: allowed ONLY
    here, because this fabricates a past that no scorer recorded (the services check "today"'s
    rules, a backdating window and caps per row, one transaction each). The rows are what
    record_entry would have written, sealed into each village's hash chain (points.chain) like
    every writer's, so `manage.py verify_ledger` passes on the county.
    """
    from dateutil.relativedelta import relativedelta
    from django.db import transaction

    from handbook.models import Item
    from points import chain
    from points.models import Entry

    def write(rows: list[Entry]) -> None:
        with transaction.atomic():
            chain.seal(rows, village_id=village.pk)  # bulk_create inserts in list order: the chain's
            Entry.objects.bulk_create(rows, batch_size=5_000)

    uncapped = [item for item in items if item.cap_count is None]
    deeds = [item for item in uncapped if item.kind == Item.Kind.DEED]
    infractions = [item for item in uncapped if item.kind == Item.Kind.INFRACTION]
    expiry = {
        item.pk: relativedelta(months=item.validity_months) for item in infractions if item.validity_months is not None
    }
    tz = village.tzinfo
    days = [today - timedelta(days=n) for n in range(1, HISTORY_DAYS + 1)]
    midnight = {day: datetime.combine(day, datetime.min.time(), tzinfo=tz) for day in days}
    batch: list[Entry] = []
    for n, resident in enumerate(residents):
        if resident.consent_given_on is None:
            continue
        count = size.heavy if n == 0 else size.entries
        for _ in range(count):
            item = rng.choice(deeds) if rng.random() < 0.85 else rng.choice(infractions)
            day = rng.choice(days)
            delta = expiry.get(item.pk)
            batch.append(
                Entry(
                    village_id=village.pk,
                    resident_id=resident.pk,
                    item_id=item.pk,
                    points_halves=item.signed_halves,
                    fine_yuan=item.fine_yuan,
                    occurred_on=day,
                    counts_from=day,
                    expires_on=day + delta if delta is not None else None,
                    recorded_by_id=rng.choice(scorers).pk,
                    recorded_at=midnight[day] + timedelta(seconds=rng.randrange(8 * 3600, 19 * 3600)),
                    idempotency_key=uuid.UUID(int=rng.getrandbits(128), version=4),
                )
            )
        if len(batch) >= 20_000:
            write(batch)
            batch = []
    write(batch)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", choices=SIZES, default="small")
    parser.add_argument("--villages", type=int)
    parser.add_argument("--residents", type=int, help="residents per village")
    parser.add_argument("--entries", type=int, help="entries per resident")
    parser.add_argument("--heavy", type=int, help="entries of the heavy resident (V001's first)")
    parser.add_argument("--scorers", type=int, default=16, help="volunteer scorers per village")
    parser.add_argument("--seed", type=int, default=2018)
    parser.add_argument("--reset", action="store_true", help="empty the benchmark database first")
    args = parser.parse_args(argv)
    villages, residents, entries, heavy = SIZES[args.size]
    size = CountySize(
        villages=args.villages or villages,
        residents=args.residents or residents,
        entries=args.entries if args.entries is not None else entries,
        heavy=args.heavy if args.heavy is not None else heavy,
        scorers=args.scorers,
    )

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
    if args.reset and connection.vendor == "postgresql":
        # The ledger's tables refuse TRUNCATE (an append-only trigger), so flush cannot empty them:
        # the benchmark database's schema is dropped and migrated again (as the tables' owner).
        with connection.cursor() as cursor:
            cursor.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    call_command("migrate", verbosity=0, interactive=False)
    if args.reset and connection.vendor != "postgresql":
        call_command("flush", verbosity=0, interactive=False)
    print(
        f"making {size.villages} villages × {size.residents:,} residents × {size.entries} entries "
        f"(+ a resident with {size.heavy:,}) = {size.total_entries:,} entries, seed {args.seed}"
    )
    made = make_county(size=size, seed=args.seed, log=print)
    print(f"done: {made['entries']:,} entries in {made['seconds']:.1f} s")


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    main()
