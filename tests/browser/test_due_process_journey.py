"""On 390×844 phones: a resident claims a deed with a photo and the scorer confirms it; a rejected
appeal is sent to the township and upheld by the reviewer; the resident sees the whole trail."""

import re

import pytest
from playwright.sync_api import expect

from points.models import Claim, Entry, Review
from points.services import decide_appeal, file_appeal
from tests.browser.conftest import sign_in
from tests.factories import UserFactory, jpeg_bytes, record
from villages.models import Township

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_a_resident_claims_a_deed_with_a_photo_and_the_scorer_confirms_it(
    live_server, new_page, artifacts, tmp_path, resident, scorer, deed
):
    photo = tmp_path / "fence.jpg"
    photo.write_bytes(jpeg_bytes())

    page = new_page()
    sign_in(page, live_server, "resident")
    page.get_by_role("link", name="Claim a deed").click()
    page.get_by_label("Which deed?").select_option(str(deed.pk))
    page.get_by_label("What did you do? (a few words)").fill("帮王奶奶修好了被风吹倒的篱笆")
    page.get_by_label("Witness (optional)").fill("王奶奶")
    page.get_by_label("Photo (optional)").set_input_files(photo)
    page.screenshot(path=artifacts / "1-resident-claim-form.png", full_page=True)
    page.get_by_role("button", name="Send the claim").click()
    expect(page.get_by_role("status")).to_contain_text("Your claim has been sent.")
    expect(page.locator(".claims")).to_contain_text("waiting for confirmation")
    page.screenshot(path=artifacts / "2-resident-claim-sent.png", full_page=True)
    claim = Claim.objects.get()

    scorer_phone = new_page()
    sign_in(scorer_phone, live_server, "scorer")
    scorer_phone.get_by_role("link", name="Claimed deeds").click()
    scorer_phone.get_by_role("link", name=re.compile("李伟")).click()
    expect(scorer_phone.locator("img.claim-photo")).to_be_visible()
    assert scorer_phone.locator("img.claim-photo").evaluate("img => img.naturalWidth") > 0
    scorer_phone.screenshot(path=artifacts / "3-scorer-claim.png", full_page=True)
    scorer_phone.get_by_role("button", name="Confirm: record the deed").click()
    expect(scorer_phone.get_by_role("status")).to_contain_text("Confirmed")
    expect(scorer_phone.get_by_text("No claims are waiting.")).to_be_visible()
    scorer_phone.screenshot(path=artifacts / "4-scorer-confirmed.png", full_page=True)

    entry = Entry.objects.get()
    claim.refresh_from_db()
    assert (claim.entry, entry.recorded_by, entry.witness) == (entry, scorer, "王奶奶") and entry.photo

    page.get_by_role("link", name="My standing").click()
    expect(page.locator(".notices")).to_contain_text("was confirmed and is in your ledger")
    page.screenshot(path=artifacts / "5-resident-told.png", full_page=True)
    page.get_by_role("link", name="My ledger").click()
    expect(page.locator(f"#entry-{entry.pk}")).to_contain_text("帮王奶奶修好了被风吹倒的篱笆")
    page.screenshot(path=artifacts / "6-resident-ledger.png", full_page=True)

    zh = new_page(locale="zh-CN")
    sign_in(zh, live_server, "resident")
    zh.get_by_role("link", name="申报善行").click()
    expect(zh.locator(".claims")).to_contain_text("已确认")
    zh.screenshot(path=artifacts / "7-resident-claims-zh.png", full_page=True)


def test_a_rejected_appeal_is_sent_up_and_upheld_by_the_township_and_the_resident_sees_the_trail(
    live_server, new_page, artifacts, village, resident, scorer, head, infraction
):
    township = Township.objects.create(name="东岛镇")
    township.reviewers.add(UserFactory(username="township"))
    village.township = township
    village.save(update_fields=["township"])
    wrong = record(scorer=scorer, resident=resident, item=infraction, note="鸡在路上")
    appeal = file_appeal(entry=wrong, resident_user=resident.user, reason="那是邻居家的鸡")
    decide_appeal(appeal=appeal, head=head, upheld=False, reason="有人看见是你家的鸡")

    page = new_page()
    sign_in(page, live_server, "resident")
    page.get_by_role("link", name="My ledger").click()
    line = page.locator(f"#entry-{wrong.pk}")
    expect(line).to_contain_text("Appeal rejected")
    line.get_by_role("link", name="Ask the township to review").click()
    page.get_by_label("Why is the village's decision wrong?").fill("看见的人是村主任的亲戚，鸡笼那天锁着。")
    page.screenshot(path=artifacts / "1-resident-asks-township.png", full_page=True)
    page.get_by_role("button", name="Send to the township").click()
    expect(page.get_by_role("status")).to_contain_text("sent to the township reviewer")
    expect(page.locator(f"#entry-{wrong.pk}")).to_contain_text("Waiting for the township reviewer.")
    page.screenshot(path=artifacts / "2-resident-waiting.png", full_page=True)

    reviewer = new_page()
    sign_in(reviewer, live_server, "township")
    expect(reviewer).to_have_url(re.compile(r"/township/cases/$"))
    reviewer.screenshot(path=artifacts / "3-reviewer-queue.png", full_page=True)
    reviewer.get_by_role("link", name=re.compile("李伟")).click()
    expect(reviewer.get_by_text("有人看见是你家的鸡")).to_be_visible()
    expect(reviewer.get_by_text("1.3 鸡跑出鸡舍").first).to_be_visible()
    reviewer.get_by_label("Reason for your decision").fill("证人与村主任有亲属关系，证言不足采信。")
    reviewer.screenshot(path=artifacts / "4-reviewer-case.png", full_page=True)
    reviewer.get_by_role("button", name="Uphold: reverse the entry").click()
    expect(reviewer.get_by_role("status")).to_contain_text("Upheld")
    expect(reviewer.get_by_text("No cases are waiting.")).to_be_visible()
    reviewer.screenshot(path=artifacts / "5-reviewer-decided.png", full_page=True)
    assert Review.objects.get().status == Review.Status.UPHELD

    page.get_by_role("link", name="My standing").click()
    expect(page.locator(".notices")).to_contain_text("The township upheld your appeal")
    page.screenshot(path=artifacts / "6-resident-told.png", full_page=True)
    page.get_by_role("link", name="My ledger").click()
    line = page.locator(f"#entry-{wrong.pk}")
    expect(line).to_contain_text("reversed")
    expect(line).to_contain_text("Appeal rejected")
    expect(line).to_contain_text("The township upheld it")
    page.screenshot(path=artifacts / "7-resident-trail.png", full_page=True)

    zh = new_page(locale="zh-CN")
    sign_in(zh, live_server, "resident")
    zh.get_by_role("link", name="我的积分记录").click()
    expect(zh.locator(f"#entry-{wrong.pk}")).to_contain_text("镇里于")
    zh.screenshot(path=artifacts / "8-resident-trail-zh.png", full_page=True)
