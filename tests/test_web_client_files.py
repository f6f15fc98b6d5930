"""Sharing files from the web client in Chromium against a real daemon: by the attach button and
by pasting an image, the IRC user receiving the link, the image shown in place for web users, the
file served with the safe headers, and the file gone with the message deleted from the page."""

from __future__ import annotations

import re
import urllib.request
from urllib.parse import urlsplit

import pytest

from .support.sockets import irc_client
from .test_uploads import png
from .test_web_client import browser, login  # noqa: F401  (the fixture, shared)

pytestmark = pytest.mark.browser

PASTE = """async ([bytes, name]) => {
  const file = new File([new Uint8Array(bytes)], name, { type: "image/png" });
  const data = new DataTransfer();
  data.items.add(file);
  const input = document.getElementById("message-input");
  input.focus();
  input.dispatchEvent(new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true }));
}"""


def test_share_by_button_and_by_paste(daemon, browser, tmp_path):  # noqa: F811
    ivan = irc_client(daemon.ports["irc"], "ivan")
    ivan.send("JOIN #general")
    ivan.expect(" 366 ")
    page = browser.new_page()
    login(page, daemon.ports["http"], "wendy", password="wendy-password", signup=True)
    page.wait_for_selector("#attach:not([hidden])")

    shot = tmp_path / "screen shot.png"
    shot.write_bytes(png(8, 6))
    page.set_input_files("#file-input", str(shot))
    said = ivan.expect(r"PRIVMSG #general :http://\S+/files/[0-9a-f]{32}/screen%20shot\.png$")
    url = said.split(" :", 1)[1]
    image = page.wait_for_selector("#messages li .attachment img")
    page.wait_for_function("() => document.querySelector('#messages li .attachment img').naturalWidth === 8")
    assert image.get_attribute("src") == urlsplit(url).path
    with urllib.request.urlopen(url, timeout=10) as served:
        assert served.read() == shot.read_bytes()
        assert served.headers["Content-Type"] == "image/png"
        assert served.headers["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in served.headers["Content-Security-Policy"]

    page.evaluate(PASTE, [list(png(3, 3)), "pasted.png"])
    ivan.expect(r"PRIVMSG #general :http://\S+/files/[0-9a-f]{32}/pasted\.png$")
    page.wait_for_function("() => [...document.querySelectorAll('#messages .attachment img')]"
                           ".some((img) => img.naturalWidth === 3)")

    # a file that is no image in disguise shows as a card to download, never as a page
    page.evaluate("""async () => {
      const file = new File(["<html><script>parent.pwned = 1</script></html>"], "notes.html", { type: "text/html" });
      const data = new DataTransfer(); data.items.add(file);
      document.getElementById("file-input").files = data.files;
      document.getElementById("file-input").dispatchEvent(new Event("change"));
    }""")
    ivan.expect(r"PRIVMSG #general :http://\S+/files/[0-9a-f]{32}/notes\.html$")
    card = page.wait_for_selector("#messages .attachment a.file-card >> text=notes.html")
    assert card.get_attribute("download") == "notes.html"
    assert page.evaluate("window.pwned") is None

    # deleting the message (as IRC's REDACT does) takes the file with it
    line = page.wait_for_selector("#messages li:has(.attachment img[alt='screen shot.png'])")
    msgid = line.get_attribute("data-id")
    assert re.fullmatch(r"\S+", msgid)
    page.on("dialog", lambda dialog: dialog.accept())  # "Delete this message for everyone?"
    line.hover()
    line.query_selector("button[data-act=delete]").click()
    page.wait_for_selector(f"#messages li[data-id='{msgid}']", state="detached")
    with pytest.raises(urllib.error.HTTPError) as gone:
        urllib.request.urlopen(url, timeout=10)
    assert gone.value.code == 404
    ivan.close()
