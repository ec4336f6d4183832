"""Demo data for due process: the township over both demo villages with its reviewer (account
`township`), a deed 刘建国 claimed for the scorer to confirm, and a rejected appeal of 刘秀英 sent up
to the township."""

import uuid

from handbook.models import Edition, Item
from points.models import Appeal, Entry
from points.services import decide_appeal, file_appeal, file_claim, request_review
from villages.models import Resident, Township, Village


def load_due_process(*, villages: list[Village], reviewer, head) -> None:
    township = Township.objects.create(name="东岛镇")
    township.reviewers.add(reviewer)
    Village.objects.filter(pk__in=[v.pk for v in villages]).update(township=township)
    village = Village.objects.get(pk=villages[0].pk)
    today = village.today()
    edition = Edition.objects.in_force(village=village, on=today)
    deed = (
        edition.items.filter(kind=Item.Kind.DEED, cap_count__isnull=True).order_by("page__number", "position").first()
    )
    claimant = Resident.objects.get(user__username="resident")
    file_claim(
        resident=claimant,
        filed_by=claimant.user,
        item=deed,
        occurred_on=today,
        words="帮邻居把倒在路上的树枝清走了",
        witness="刘秀英",
        idempotency_key=uuid.uuid5(uuid.NAMESPACE_URL, "demo-claim"),
    )
    appellant = Resident.objects.get(user__username="resident2")
    entry = (
        Entry.objects.originals()
        .not_reversed()
        .filter(resident=appellant, points_halves__lt=0)
        .exclude(appeals__status=Appeal.Status.OPEN)
        .order_by("-recorded_at")
        .first()
    )
    if entry is None:
        return
    appeal = file_appeal(entry=entry, resident_user=appellant.user, reason="那天我在镇上赶集，不在村里。")
    appeal = decide_appeal(appeal=appeal, head=head, upheld=False, reason="信息员当场看见，有照片为证。")
    request_review(appeal=appeal, resident_user=appellant.user, reason="照片上的人不是我，请镇里核实。")
