"""Logging filters (config only: no models, so the logging set-up can import them early)."""

import logging
import re


class RedactCardTokens(logging.Filter):
    """A logging filter on every handler: a card token in a logged URL (the development server logs
    query strings) becomes [redacted]."""

    PATTERN = re.compile(r"([?&]k=)[^&\s\"']+")

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "k=" in message:
            record.msg, record.args = self.PATTERN.sub(r"\1[redacted]", message), ()
        return True
