"""Sending mail (verification codes, reset links) through an SMTP server, with Twisted's client.

:func:`twisted.mail.smtp.sendmail` does the protocol (ESMTP, STARTTLS when the server offers it
or when ``--smtp-tls`` requires it, AUTH with ``--smtp-user``); this module composes the message
with the standard library's :mod:`email` and bounds each send in time. A send never blocks the
caller: it runs on the reactor, and what fails is logged (an operator sees a mail server that
refuses or is unreachable) and counted, never retried beyond the client's own reconnects.
"""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any, Callable, Optional

from twisted.logger import Logger
from twisted.mail import smtp

from .core.recovery import Recovery

log = Logger(namespace="chatd.mail")


def parse_smtp(value: str) -> tuple[str, int]:
    """``host`` or ``host:port`` (default 25); raises ValueError for anything else."""
    host, _, port = value.rpartition(":") if ":" in value else (value, "", "25")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"{value!r} is not host[:port]")
    return host, int(port)


class SMTPMailer:
    def __init__(self, reactor: Any, host: str, port: int, sender: str, username: Optional[str] = None,
                 password: Optional[str] = None, require_tls: bool = False, timeout: float = 30.0) -> None:
        self.reactor = reactor
        self.host, self.port = host, port
        self.sender = sender
        self.username, self.password = username, password
        self.require_tls = require_tls
        self.timeout = timeout

    def message(self, to: str, subject: str, body: str) -> bytes:
        mail = EmailMessage()
        mail["From"] = self.sender
        mail["To"] = to
        mail["Subject"] = subject
        mail["Date"] = formatdate(self.reactor.seconds(), localtime=False)
        mail["Message-ID"] = make_msgid(domain=self.sender.rpartition("@")[2] or None)
        mail["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies to a robot
        mail.set_content(body)
        return mail.as_bytes()

    def send(self, to: str, subject: str, body: str) -> None:
        d = smtp.sendmail(self.host, self.sender, [to], self.message(to, subject, body), port=self.port,
                          reactor=self.reactor, username=self.username, password=self.password,
                          requireAuthentication=self.username is not None,
                          requireTransportSecurity=self.require_tls)
        d.addTimeout(self.timeout, self.reactor)
        d.addErrback(self._failed, to)

    def _failed(self, failure: Any, to: str) -> None:
        log.warn("mail to {to} via {host}:{port} failed: {error}", to=to, host=self.host, port=self.port,
                 error=failure.getErrorMessage())


def recovery_from(options: Any, reactor: Any, network: Any, web_base: Callable[[], str]) -> Optional[Recovery]:
    """Mail for accounts (``--smtp``): verification codes and reset links, sent through Twisted's SMTP client."""
    if network.accounts is None:
        return None
    host, port = parse_smtp(options["smtp"])
    mailer = SMTPMailer(reactor, host, port, options["smtp-from"] or f"chatd@{network.server_name}",
                        options["smtp-user"], options["smtp-password"], bool(options["smtp-tls"]))
    return Recovery(network.accounts, mailer, reactor.seconds, web_base, network.network_name)
