"""Text-message backends, chosen by the SMS_BACKEND setting like Django's EMAIL_BACKEND:

- points.sms_backends.ConsoleBackend   writes each message to stdout (the embedded default)
- points.sms_backends.FileBackend      appends each message to a file under SMS_FILE_PATH
- points.sms_backends.LocmemBackend    keeps messages in `points.sms_backends.outbox` (tests)
- points.sms_backends.HttpGatewayBackend  POSTs JSON to SMS_GATEWAY_URL (production)

A backend raises SmsError when the message was not taken; the sending task retries (bounded).
"""

import json
import sys
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string


class SmsError(Exception):
    """The gateway did not take the message (down, refused, timed out): worth retrying later."""


@dataclass(frozen=True)
class Sms:
    to: str  # E.164, e.g. +8613912345678
    text: str
    reference: str  # unique per message, so a gateway that dedupes never sends it twice


class BaseSmsBackend:
    def send(self, message: Sms) -> None:
        raise NotImplementedError


class ConsoleBackend(BaseSmsBackend):
    def send(self, message: Sms) -> None:
        sys.stdout.write(f"SMS to {message.to} [{message.reference}]: {message.text}\n")
        sys.stdout.flush()


class FileBackend(BaseSmsBackend):
    def send(self, message: Sms) -> None:
        with open(settings.SMS_FILE_PATH, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(message.__dict__, ensure_ascii=False) + "\n")


outbox: list[Sms] = []
_lock = threading.Lock()


class LocmemBackend(BaseSmsBackend):
    """Keeps messages in `outbox`. Set `failures` to a number to make the next sends fail."""

    failures = 0

    def send(self, message: Sms) -> None:
        with _lock:
            if LocmemBackend.failures > 0:
                LocmemBackend.failures -= 1
                raise SmsError("the in-memory gateway was told to fail")
            outbox.append(message)


class HttpGatewayBackend(BaseSmsBackend):
    """POST {"to", "text", "sender", "reference"} as JSON to SMS_GATEWAY_URL with a bearer token
    (SMS_GATEWAY_TOKEN); any 2xx answer means the gateway took the message."""

    def send(self, message: Sms) -> None:
        payload = {"to": message.to, "text": message.text, "sender": settings.SMS_GATEWAY_SENDER}
        payload["reference"] = message.reference
        request = urllib.request.Request(
            settings.SMS_GATEWAY_URL,
            data=json.dumps(payload, ensure_ascii=False).encode(),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {settings.SMS_GATEWAY_TOKEN}"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=settings.SMS_GATEWAY_TIMEOUT) as response:
                status = response.status
        except urllib.error.HTTPError as error:
            status = error.code
        except (urllib.error.URLError, OSError) as error:
            raise SmsError(f"gateway unreachable: {error.__class__.__name__}") from None
        if not 200 <= status < 300:
            raise SmsError(f"gateway answered {status}")


def get_backend() -> BaseSmsBackend:
    return import_string(settings.SMS_BACKEND)()
