"""Take the web client's screenshots in docs/screenshots/ (desktop light and dark, phone).

Starts a chatd on its embedded defaults in a temporary folder, has three IRC users and a bot talk
in #general (a mention, a reply, a reaction, a link, a bot), signs a browser in and shoots. Needs
the test extra (Playwright) and Chromium:

    pip install '.[test]' && python contrib/screenshots/take.py [--out docs/screenshots]
"""

from __future__ import annotations

import argparse
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TWISTD = "import sys; from twisted.scripts.twistd import run; sys.exit(run())"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class IRC:
    """Just enough of a client to say things for the picture."""

    def __init__(self, port: int, nick: str) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buffer = b""
        self.send("CAP REQ :message-tags", f"NICK {nick}", f"USER {nick} 0 * :{nick.title()}", "CAP END")
        self.wait(" 001 ")

    def send(self, *lines: str) -> None:
        self.sock.sendall("".join(f"{line}\r\n" for line in lines).encode())

    def wait(self, text: str) -> str:
        while True:
            while b"\r\n" in self.buffer:
                line, self.buffer = self.buffer.split(b"\r\n", 1)
                decoded = line.decode()
                if decoded.startswith("PING"):
                    self.send("PONG" + decoded[4:])
                if text in decoded:
                    return decoded
            chunk = self.sock.recv(65536)
            if not chunk:
                raise SystemExit(f"the daemon closed the connection waiting for {text!r}")
            self.buffer += chunk


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(Path(__file__).resolve().parents[2] / "docs" / "screenshots"))
    out = Path(parser.parse_args().out)
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("Chromium is not installed (apt-get install chromium)")

    irc_port, http_port, telnet_port = free_port(), free_port(), free_port()
    with tempfile.TemporaryDirectory() as state:
        listen = [f"--{name}=tcp:{port}:interface=127.0.0.1"
                  for name, port in (("irc", irc_port), ("telnet", telnet_port), ("http", http_port))]
        command = [sys.executable, "-c", TWISTD, "-n", "--pidfile=", "chatd", "--state-dir", state, *listen]
        daemon = subprocess.Popen(command, stdout=subprocess.DEVNULL, cwd=state)
        try:
            for _ in range(100):
                if daemon.poll() is not None:
                    raise SystemExit("chatd did not start (its error is above)")
                try:
                    socket.create_connection(("127.0.0.1", irc_port), timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.1)
            shoot(chromium, irc_port, http_port, out)
        finally:
            daemon.terminate()
            daemon.wait(10)


def shoot(chromium: str, irc_port: int, http_port: int, out: Path) -> None:
    from playwright.sync_api import sync_playwright

    ivan, maya, ci = IRC(irc_port, "ivan"), IRC(irc_port, "maya"), IRC(irc_port, "ci-bot")
    ci.send("MODE ci-bot +B")
    for person in (ivan, maya, ci):
        person.send("JOIN #general")
        person.wait(" 366 ")
    ivan.send("TOPIC #general :Release 2.4 on Thursday. Notes: https://example.org/release-2.4")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=FLAGS)
        page = browser.new_page(viewport={"width": 1200, "height": 720})
        page.goto(f"http://127.0.0.1:{http_port}/")
        page.fill("#nick-input", "wendy")
        page.click("#login-form button[type=submit]")
        page.wait_for_selector("#status[data-state=online]")
        page.fill("#join-input", "#design")
        page.press("#join-input", "Enter")
        page.wait_for_selector("#conversations li.active >> text=#design")
        page.click("#conversations li >> text=#general")
        ivan.send("PRIVMSG #general :morning all, the release branch is cut")
        maya.send("PRIVMSG #general :great, I will run the upgrade test on staging")
        ci.send("PRIVMSG #general :build #1412 passed: 812 tests, 0 failures")
        ivan.send("PRIVMSG #general :wendy: could you check the changelog wording?")
        page.wait_for_selector("#messages li:has-text('changelog wording')")
        page.fill("#message-input", "sure, on it after lunch")
        page.press("#message-input", "Enter")
        mine = page.wait_for_selector("#messages li[data-id]:has-text('after lunch')")
        ivan.send(f"@+draft/react=👍;+draft/reply={mine.get_attribute('data-id')} TAGMSG #general")
        maya.send("PRIVMSG #general :\x01ACTION waves from the train\x01")
        page.wait_for_selector("#messages li:has-text('waves from the train')")
        page.wait_for_selector("#messages .reaction")
        maya.send("JOIN #design")
        maya.wait(" 366 ")
        maya.send("PRIVMSG #design :new mockups are up")
        page.wait_for_selector("#conversations li .unread")
        out.mkdir(parents=True, exist_ok=True)
        page.emulate_media(color_scheme="light")
        page.screenshot(path=str(out / "main.png"))
        page.emulate_media(color_scheme="dark")
        page.screenshot(path=str(out / "dark.png"))
        phone = browser.new_page(viewport={"width": 390, "height": 780}, device_scale_factor=2)
        phone.goto(f"http://127.0.0.1:{http_port}/")
        phone.fill("#nick-input", "pia")
        phone.click("#login-form button[type=submit]")
        phone.wait_for_selector("#messages li:has-text('waves from the train')")
        phone.screenshot(path=str(out / "phone.png"))
        browser.close()
    print(f"main.png, dark.png, phone.png in {out}")


if __name__ == "__main__":
    main()
