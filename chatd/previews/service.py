"""Fetching previews, bounded: what a link preview may cost the server, and what it may reach.

- Only ``http``/``https`` URLs, and only hosts that resolve to public addresses, on every
  redirect hop (:mod:`chatd.net.outside`; ``--preview-private-addresses`` lifts it for one's own
  network).  A link to ``127.0.0.1``, ``10.x`` or a metadata address is never requested.
- At most ``MAX_PAGE`` bytes of a page (the head is all that is read), ``MAX_IMAGE`` of an image,
  ``TIMEOUT`` seconds each, three redirects; HTML only; images only when they sniff as an image.
- A cache (``CACHE`` pages, ``IMAGE_CACHE`` bytes of images), so a link said in a busy room is
  fetched once, failures included.
- The image is served by chatd at ``/previews/<token>``, the token a signed copy of the image's
  URL: readers' browsers never contact the linked site, and any node of a cluster (they share
  the signing key) can fetch an image it has not seen.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections import OrderedDict
from typing import Any, Awaitable, Callable, Optional

from twisted.internet import defer, protocol
from twisted.logger import Logger
from twisted.web.client import BrowserLikeRedirectAgent
from twisted.web.http_headers import Headers

from ..net.outside import agent, endpoint_problem
from ..uploads.sniff import sniff
from .page import describe

log = Logger()
MAX_PAGE = 512 * 1024
MAX_IMAGE = 2 * 1024 * 1024
TIMEOUT = 5.0
CACHE = 1000
IMAGE_CACHE = 32 * 1024 * 1024
IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")
USER_AGENT = b"chatd link preview (like facebookexternalhit)"


class _Capped(protocol.Protocol):
    """Collects a body up to ``cap`` bytes, then stops the transfer (and keeps what came)."""

    def __init__(self, cap: int, done: defer.Deferred[bytes]) -> None:
        self.cap, self.done, self.size = cap, done, 0
        self.parts: list[bytes] = []

    def dataReceived(self, data: bytes) -> None:
        if self.done.called:
            return
        self.parts.append(data[: self.cap - self.size])
        self.size += len(data)
        if self.size >= self.cap:
            self.done.callback(b"".join(self.parts))
            transport: Any = self.transport
            transport.stopProducing()

    def connectionLost(self, reason: Any = None) -> None:
        if not self.done.called:
            self.done.callback(b"".join(self.parts))


class Previews:
    def __init__(self, reactor: Any, private: bool, key: Callable[[], Awaitable[bytes]]) -> None:
        self.reactor = reactor
        self.private = private
        self.key = key  # the signing key the nodes share (accounts' secret)
        self.agent = BrowserLikeRedirectAgent(agent(reactor, private, TIMEOUT), redirectLimit=3)
        self.pages: OrderedDict[str, Optional[dict[str, str]]] = OrderedDict()
        self.images: OrderedDict[str, tuple[bytes, str]] = OrderedDict()
        self.image_bytes = 0

    async def _get(self, url: str, cap: int, accept: bytes) -> tuple[bytes, str]:
        headers = Headers({b"user-agent": [USER_AGENT], b"accept": [accept]})
        request = self.agent.request(b"GET", url.encode("ascii"), headers)
        request.addTimeout(TIMEOUT, self.reactor)
        response = await request
        kind = (response.headers.getRawHeaders(b"content-type") or [b""])[0].decode("latin-1")
        if response.code != 200:
            response.deliverBody(_Capped(0, defer.Deferred()))
            raise ValueError(f"answered {response.code}")
        body: defer.Deferred[bytes] = defer.Deferred()
        body.addTimeout(TIMEOUT, self.reactor)
        response.deliverBody(_Capped(cap, body))
        return await body, kind

    def _problem(self, url: str) -> str:
        """Why ``url`` is not fetched ("" when it may be): http or https, a host and no user, and
        (unless private addresses are allowed) no private address written as such; names are
        checked again when they are resolved."""
        if not url.startswith(("http://", "https://")) or not url.isascii():
            return "not an http(s) URL"
        return endpoint_problem(url.replace("http://", "https://", 1), self.private)  # plain http is fine here

    async def preview(self, url: str) -> Optional[dict[str, str]]:
        """The preview of ``url`` (title, description, site, image path or ""), or None."""
        if url in self.pages:
            self.pages.move_to_end(url)
            return self.pages[url]
        found: Optional[dict[str, str]] = None
        if not self._problem(url):
            try:
                body, kind = await self._get(url, MAX_PAGE, b"text/html")
                if kind.split(";")[0].strip().lower() in ("text/html", "application/xhtml+xml"):
                    found = describe(body.decode(_charset(kind), "replace"), url)
            except Exception as error:  # unreachable, refused, too slow: no preview, and none asked again soon
                log.debug("no preview of {url}: {error}", url=url, error=error)
        if found and found["image"]:
            found["image"] = "/previews/" + await self.sign(found["image"]) if not self._problem(found["image"]) else ""
        self.pages[url] = found
        if len(self.pages) > CACHE:
            self.pages.popitem(last=False)
        return found

    async def sign(self, url: str) -> str:
        body = base64.urlsafe_b64encode(url.encode("ascii")).decode().rstrip("=")
        mac = hmac.new(await self.key(), b"preview-image " + url.encode("ascii"), hashlib.sha256).hexdigest()[:32]
        return f"{body}.{mac}"

    async def image(self, token: str) -> Optional[tuple[bytes, str]]:
        """The image a token (from :meth:`sign`) names, fetched once and kept; None if forged or none."""
        body, _, mac = token.partition(".")
        try:
            url = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode("ascii")
        except (ValueError, UnicodeError):
            return None
        if not hmac.compare_digest(mac, (await self.sign(url)).partition(".")[2]):
            return None
        if url in self.images:
            self.images.move_to_end(url)
            return self.images[url]
        if self._problem(url):
            return None
        try:
            data, _ = await self._get(url, MAX_IMAGE + 1, b"image/*")
        except Exception:
            return None
        kind = sniff(data[:8192])
        if len(data) > MAX_IMAGE or kind not in IMAGE_TYPES:
            return None
        self.images[url] = (data, kind)
        self.image_bytes += len(data)
        while self.image_bytes > IMAGE_CACHE and self.images:
            _, (old, _) = self.images.popitem(last=False)
            self.image_bytes -= len(old)
        return data, kind


def _charset(content_type: str) -> str:
    for part in content_type.split(";")[1:]:
        name, _, value = part.strip().partition("=")
        if name.lower() == "charset" and value:
            try:
                "".encode(value.strip('"'))
                return value.strip('"')
            except LookupError:
                break
    return "utf-8"


def previews_from(options: Any, network: Any, reactor: Any) -> Optional[Previews]:
    """Link previews unless ``--no-previews``; images signed with the accounts' key."""
    if options["no-previews"] or network.accounts is None:
        return None
    network.previews = Previews(reactor, bool(options["preview-private-addresses"]), network.accounts.signing_key)
    return network.previews
