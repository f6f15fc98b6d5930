"""What a page says about itself: Open Graph (``og:title``, ``og:description``, ``og:image``,
``og:site_name``), Twitter cards, ``<meta name="description">`` and ``<title>``, read with the
standard library's HTML parser up to the end of ``<head>`` (the rest is never looked at)."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Optional
from urllib.parse import urljoin

from ..core.text import printable

LIMITS = {"title": 200, "description": 300, "site": 80}


class _Head(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, str] = {}
        self.title: list[str] = []
        self.in_title = False
        self.done = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, Optional[str]]]) -> None:
        if self.done:
            return
        if tag == "title":
            self.in_title = True
        elif tag == "meta":
            found = dict(attrs)
            key = (found.get("property") or found.get("name") or "").lower()
            if key and found.get("content") and key not in self.meta:
                self.meta[key] = found["content"] or ""
        elif tag == "body":
            self.done = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self.in_title = False
        elif tag == "head":
            self.done = True

    def handle_data(self, data: str) -> None:
        if self.in_title and not self.done:
            self.title.append(data)


def _clean(value: str, limit: int) -> str:
    text = " ".join(printable(value).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def describe(html: str, url: str) -> Optional[dict[str, str]]:
    """The preview of the page at ``url`` whose text is ``html``; None when it says nothing."""
    head = _Head()
    try:
        head.feed(html)
    except (AssertionError, ValueError):  # malformed beyond what the parser forgives
        pass
    meta = head.meta
    title = meta.get("og:title") or meta.get("twitter:title") or "".join(head.title)
    description = meta.get("og:description") or meta.get("twitter:description") or meta.get("description") or ""
    image = meta.get("og:image") or meta.get("og:image:url") or meta.get("twitter:image") or ""
    found = {"title": _clean(title, LIMITS["title"]), "description": _clean(description, LIMITS["description"]),
             "site": _clean(meta.get("og:site_name", ""), LIMITS["site"]),
             "image": urljoin(url, image.strip()) if image.strip() else ""}
    if not found["title"] and not found["description"]:
        return None
    if not found["image"].startswith(("http://", "https://")):
        found["image"] = ""
    return found
