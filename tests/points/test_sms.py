"""Text messages through the in-memory backend: exact Chinese texts that fit one SMS, the daily
digest, nothing to residents who did not opt in, retries while the gateway fails, nothing twice."""

import uuid
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from points import outbox, sms, sms_backends
from points.models import OutboxMessage, SmsMessage
from points.notices import deductions_expired
from points.services import decide_appeal, file_appeal, record_entry, withdraw_entry
from points.services.cards import issue_card
from points.tasks import send_sms_notice
from villages.services import opt_in_sms, opt_out_sms

PHONE = "+8613912345678"


@pytest.fixture(autouse=True)
def in_memory_gateway(settings):
    settings.SMS_BACKEND = "points.sms_backends.LocmemBackend"
    sms_backends.outbox.clear()
    sms_backends.LocmemBackend.failures = 0
    yield sms_backends.outbox
    sms_backends.outbox.clear()


@pytest.fixture
def texted(clock, village, head, resident):
    return opt_in_sms(resident=resident, phone="139 1234 5678", given_on=village.today(), recorded_by=head)


def sent() -> list[str]:
    return [message.text for message in sms_backends.outbox]


def _record(scorer, resident, item, village):
    return record_entry(
        scorer=scorer, resident=resident, item=item, occurred_on=village.today(), idempotency_key=uuid.uuid4()
    )


def test_it_texts_a_new_entry_in_chinese(
    texted, scorer, resident, infraction, village, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _record(scorer, resident, infraction, village)
    assert sent() == ["【东岛刘家村】您的积分新增一条：第1.3项，-10分（6月16日）。"]
    assert sms_backends.outbox[0].to == PHONE


def test_it_texts_a_withdrawn_entry(texted, scorer, resident, deed, village, django_capture_on_commit_callbacks):
    entry = _record(scorer, resident, deed, village)
    with django_capture_on_commit_callbacks(execute=True):
        withdraw_entry(entry=entry, scorer=scorer, reason="记错了人")
    assert sent() == ["【东岛刘家村】6月16日记给您的第1.1项（+1分）已撤回，不计分。"]


def test_it_texts_an_appeal_decision(
    texted, scorer, head, resident, infraction, village, django_capture_on_commit_callbacks
):
    entry = _record(scorer, resident, infraction, village)
    appeal = file_appeal(entry=entry, resident_user=resident.user, reason="不是我家的鸡")
    with django_capture_on_commit_callbacks(execute=True):
        decide_appeal(appeal=appeal, head=head, upheld=True, reason="核实无误")
    assert sent() == ["【东岛刘家村】您对第1.3项的申诉已获支持，该项不再计分。"]


def test_it_texts_a_rejected_appeal(
    texted, scorer, head, resident, infraction, village, django_capture_on_commit_callbacks
):
    entry = _record(scorer, resident, infraction, village)
    appeal = file_appeal(entry=entry, resident_user=resident.user, reason="不是我家的鸡")
    with django_capture_on_commit_callbacks(execute=True):
        decide_appeal(appeal=appeal, head=head, upheld=False, reason="有照片")
    assert sent() == ["【东岛刘家村】您对第1.3项的申诉未获支持，该项仍计分。"]


def test_it_texts_a_deduction_that_stopped_counting(
    texted, scorer, resident, infraction, village, clock, django_capture_on_commit_callbacks
):
    _record(scorer, resident, infraction, village)
    sms_backends.outbox.clear()
    clock.shift(timedelta(days=366))
    with django_capture_on_commit_callbacks(execute=True):
        deductions_expired()
    assert sent() == ["【东岛刘家村】您第1.3项的扣分（-10分）已到期，不再计分。"]
    with django_capture_on_commit_callbacks(execute=True):
        deductions_expired()  # the daily job runs again: nothing new
    assert len(sent()) == 1


def test_it_texts_a_new_card(texted, head, resident, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        issue_card(resident=resident, issued_by=head)
    assert sent() == ["【东岛刘家村】村委会为您制发了新的积分卡，旧卡即日作废。"]


def test_every_text_fits_one_sms_and_names_nobody(
    texted, scorer, head, resident, infraction, village, clock, django_capture_on_commit_callbacks
):
    village.name = "山东省威海市荣成市东岛刘家村"
    village.save()
    with django_capture_on_commit_callbacks(execute=True):
        entry = _record(scorer, resident, infraction, village)
    clock.shift(timedelta(days=1))
    with django_capture_on_commit_callbacks(execute=True):
        decide_appeal(
            appeal=file_appeal(entry=entry, resident_user=resident.user, reason="x"),
            head=head,
            upheld=False,
            reason="y",
        )
    assert sent()
    for text in sent():
        assert len(text) <= 70
        assert resident.name not in text and "scorer" not in text and "head" not in text


def test_several_things_in_a_day_become_one_digest(
    texted, scorer, head, resident, deed, infraction, village, clock, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = _record(scorer, resident, deed, village)
        _record(scorer, resident, infraction, village)
        withdraw_entry(entry=first, scorer=scorer, reason="记错了")
    assert sent() == ["【东岛刘家村】您的积分新增一条：第1.1项，+1分（6月16日）。"]  # the first, at once
    clock.shift(timedelta(hours=8))  # 20:00 in the village
    with django_capture_on_commit_callbacks(execute=True):
        assert sms.send_digests() == 1
    assert sent()[1] == "【东岛刘家村】今天您的积分还有：新增1项、撤回1项。详情请用积分卡查看。"
    with django_capture_on_commit_callbacks(execute=True):
        assert sms.send_digests() == 0  # once
    assert len(sent()) == 2


def test_no_text_to_a_resident_who_did_not_opt_in(
    clock, scorer, head, resident, deed, village, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _record(scorer, resident, deed, village)
        issue_card(resident=resident, issued_by=head)
    assert sent() == []
    assert not SmsMessage.objects.exists()


def test_no_text_after_opting_out(texted, scorer, head, resident, deed, village, django_capture_on_commit_callbacks):
    opt_out_sms(resident=resident, recorded_by=head)
    with django_capture_on_commit_callbacks(execute=True):
        _record(scorer, resident, deed, village)
    assert sent() == []


def _as_a_worker_runs_it(task_name: str) -> None:
    """Run the queued task the way a worker does: failures are retried (eagerly here, no waiting)."""
    message = OutboxMessage.objects.get(task=task_name)
    conf = send_sms_notice.app.conf
    propagates, conf.task_eager_propagates = conf.task_eager_propagates, False
    try:
        send_sms_notice.apply(args=message.args, throw=False)
    finally:
        conf.task_eager_propagates = propagates


def test_it_retries_while_the_gateway_fails_then_sends_once(texted, scorer, resident, deed, village):
    sms_backends.LocmemBackend.failures = 2
    _record(scorer, resident, deed, village)
    _as_a_worker_runs_it(send_sms_notice.name)
    assert len(sent()) == 1
    message = SmsMessage.objects.get()
    assert message.attempts == 3 and message.sent_at is not None


def test_it_gives_up_after_bounded_retries(texted, scorer, resident, deed, village):
    sms_backends.LocmemBackend.failures = 100
    _record(scorer, resident, deed, village)
    _as_a_worker_runs_it(send_sms_notice.name)
    assert sent() == []
    assert send_sms_notice.max_retries == 5
    message = SmsMessage.objects.get()
    assert message.attempts == 6 and message.sent_at is None  # the first try and five retries


def test_nothing_is_sent_twice(texted, scorer, resident, deed, village, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _record(scorer, resident, deed, village)
    message = OutboxMessage.objects.get(task=send_sms_notice.name)
    send_sms_notice.apply(args=message.args)  # delivered again by the broker
    outbox.publish(message.pk)
    assert len(sent()) == 1


def test_a_phone_number_must_be_a_mobile_number(clock, village, head, resident):
    with pytest.raises(ValidationError):
        opt_in_sms(resident=resident, phone="0631-1234", given_on=village.today(), recorded_by=head)


# --- The HTTP gateway backend, against a real local HTTP server ------------------------------------


@pytest.fixture
def gateway(settings):
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    received: list[dict] = []
    status = {"code": 202}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append({"auth": self.headers["Authorization"], **json.loads(body)})
            self.send_response(status["code"])
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.SMS_BACKEND = "points.sms_backends.HttpGatewayBackend"
    settings.SMS_GATEWAY_URL = f"http://127.0.0.1:{server.server_port}/messages"
    settings.SMS_GATEWAY_TOKEN = "secret-token"
    yield received, status
    server.shutdown()


def test_the_http_gateway_gets_the_message_as_json(gateway):
    received, _status = gateway
    sms_backends.get_backend().send(sms_backends.Sms(to=PHONE, text="【东岛刘家村】测试", reference="vp-1"))
    assert received == [
        {
            "auth": "Bearer secret-token",
            "to": PHONE,
            "text": "【东岛刘家村】测试",
            "sender": "村民积分",
            "reference": "vp-1",
        }
    ]


def test_a_gateway_that_refuses_raises_so_the_task_retries(gateway):
    _received, status = gateway
    status["code"] = 503
    with pytest.raises(sms_backends.SmsError):
        sms_backends.get_backend().send(sms_backends.Sms(to=PHONE, text="x", reference="vp-2"))


def test_the_app_announces_a_withdrawn_entry_as_withdrawn_not_as_recorded(
    clock, scorer, resident, deed, village, django_capture_on_commit_callbacks
):
    from django.test import Client
    from django.urls import reverse

    with django_capture_on_commit_callbacks(execute=True):
        entry = _record(scorer, resident, deed, village)
    withdraw_entry(entry=entry, scorer=scorer, reason="记错了人")
    client = Client()
    client.force_login(resident.user)
    page = client.get(reverse("points:standing")).content.decode()
    assert "was withdrawn: it does not count" in page
    assert "recorded “为邻居修剪树木”" not in page
