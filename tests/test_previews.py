"""Link previews against a real daemon and a real website in the test: by default nothing on a
loopback or private address is ever fetched (the SSRF probe finds the site untouched); where the
operator allows private addresses, the title, description and image come back, the image served
by chatd under a signed path, pages fetched once."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from .support.processes import Daemon
from .support.website import Website
from .test_uploads import png, request

pytestmark = pytest.mark.integration

PAGE = (b'<!doctype html><html><head><title>ignored when og:title is there</title>'
        b'<meta property="og:title" content="Release 2.0 &amp; notes">'
        b'<meta property="og:description" content="What changed\x07 in this release">'
        b'<meta property="og:site_name" content="Example">'
        b'<meta property="og:image" content="/cover.png"></head><body>' + b"x" * 100 + b"</body></html>")


@pytest.fixture
def website():
    site = Website({"/page": ("text/html; charset=utf-8", PAGE), "/cover.png": ("image/png", png(4, 4)),
                    "/data.json": ("application/json", b'{"a": 1}'),
                    "/big": ("text/html", b"<html><head><title>big</title></head>" + b"y" * 3_000_000)})
    yield site
    site.close()


def ask(daemon: Daemon, url: str):
    status, headers, body = request(daemon, "GET", "/previews?url=" + quote(url, safe=""))
    return status, json.loads(body) if body else None


def test_nothing_private_is_ever_fetched(daemon, website):
    for url in (website.url("/page"), website.url("/page", "localhost"), website.url("/page", "[::1]"),
                f"http://0x7f000001:{website.port}/page", "http://169.254.169.254/latest/meta-data/",
                "file:///etc/passwd", "ftp://127.0.0.1/x", "gopher://127.0.0.1:6379/_INFO"):
        status, body = ask(daemon, url)
        assert status == 404 and body["error"] == "no_preview", url
    assert website.asked == []
    status, headers, _ = request(daemon, "GET", "/previews/" + "aHR0cDovLzEyNy4wLjAuMTo4MC94.0123456789abcdef")
    assert status == 404  # a forged image path fetches nothing either
    assert website.asked == []


def test_previews_of_allowed_pages(tmp_path, website):
    d = Daemon("--preview-private-addresses", state_dir=tmp_path).start()
    try:
        status, found = ask(d, website.url("/page"))
        assert status == 200
        assert found["title"] == "Release 2.0 & notes" and found["site"] == "Example"
        assert found["description"] == "What changed\ufffd in this release"  # no control reaches a page
        assert found["image"].startswith("/previews/")
        status, headers, image = request(d, "GET", found["image"])
        assert status == 200 and image == png(4, 4) and headers["content-type"] == "image/png"
        assert headers["x-content-type-options"] == "nosniff" and "sandbox" in headers["content-security-policy"]
        assert ask(d, website.url("/page"))[1] == found
        assert website.asked.count("/page") == 1  # cached
        request(d, "GET", found["image"])
        assert website.asked.count("/cover.png") == 1
        assert ask(d, website.url("/data.json"))[0] == 404  # not a page
        status, found = ask(d, website.url("/big"))
        assert status == 200 and found["title"] == "big"  # its head, read within the bound
        status, _, _ = request(d, "GET", found["image"] if found["image"] else "/previews/x.y")
        assert status == 404
    finally:
        d.kill()
