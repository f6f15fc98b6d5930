"""Link previews in Chromium: a link said on IRC gets a card with the page's title, description
and image (loaded from chatd, not from the site); /previews off stops them in this browser."""

from __future__ import annotations

import pytest

from .support.processes import Daemon
from .support.sockets import irc_client
from .support.website import Website
from .test_previews import PAGE
from .test_uploads import png
from .test_web_client import browser, login  # noqa: F401  (the fixture, shared)

pytestmark = pytest.mark.browser


def test_a_link_gets_a_preview_card(tmp_path, browser):  # noqa: F811
    site = Website({"/page": ("text/html", PAGE), "/cover.png": ("image/png", png(5, 5))})
    daemon = Daemon("--preview-private-addresses", state_dir=tmp_path).start()
    try:
        ivan = irc_client(daemon.ports["irc"], "ivan")
        ivan.send("JOIN #general")
        ivan.expect(" 366 ")
        page = browser.new_page()
        login(page, daemon.ports["http"], "wendy")
        ivan.send(f"PRIVMSG #general :have a look: {site.url('/page')}")
        card = page.wait_for_selector("#messages li:has-text('have a look') .preview")
        assert card.query_selector(".preview-title").inner_text() == "Release 2.0 & notes"
        assert card.get_attribute("href") == site.url("/page")
        assert card.query_selector("img").get_attribute("src").startswith("/previews/")
        page.wait_for_function("() => document.querySelector('#messages .preview img').naturalWidth === 5")
        assert site.asked.count("/cover.png") == 1  # fetched by chatd, once; the browser asked chatd

        page.fill("#message-input", "/previews off")
        page.press("#message-input", "Enter")
        page.wait_for_selector("#messages li >> text=Link previews off in this browser.")
        ivan.send(f"PRIVMSG #general :again {site.url('/page')}")
        line = page.wait_for_selector("#messages li:has-text('again http')")
        assert line.query_selector(".preview") is None
        ivan.close()
    finally:
        daemon.kill()
        site.close()
