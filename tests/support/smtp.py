"""A real SMTP server for the mail tests: aiosmtpd on a free port, its mails kept in order."""

from __future__ import annotations

import email
import email.policy
import queue
import re
from email.message import EmailMessage
from typing import Any

from .parts import free_port, require


class MailCatcher:
    """aiosmtpd's controller with a handler that keeps every mail it accepts."""

    def __init__(self) -> None:
        try:
            from aiosmtpd.controller import Controller
        except ImportError:
            require(False, "aiosmtpd is not installed (pip install '.[test]')")
            raise
        self.mails: queue.Queue[EmailMessage] = queue.Queue()
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd's name)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        message["X-Envelope-To"] = ",".join(envelope.rcpt_tos)
        self.mails.put(message)  # type: ignore[arg-type]
        return "250 OK"

    def __enter__(self) -> MailCatcher:
        self.controller.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.controller.stop()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def next(self, timeout: float = 15.0) -> EmailMessage:
        """The next mail the server took (waits for it)."""
        return self.mails.get(timeout=timeout)



def body(mail: EmailMessage) -> str:
    part = mail.get_body(("plain",))
    assert part is not None
    return part.get_content()


def found(pattern: str, mail: EmailMessage) -> str:
    match = re.search(pattern, body(mail))
    assert match, body(mail)
    return match.group(1)
