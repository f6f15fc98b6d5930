"""The examples of docs/configuration.md and docs/operations.md, run: every TOML block is a
configuration the daemon accepts, and the shell lines that are chatd's own tools (or openssl for
the TLS files) run as written, on a scratch state directory instead of /etc and /var."""

from __future__ import annotations

import re
import shlex
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from twisted.python import usage

from chatd.accounts.passwords import scrypt_hash
from chatd.dbthread import open_database
from chatd.history.migrations import migrate
from chatd.options import Options

from .support.parts import ROOT
from .support.tls import make_certificate

pytestmark = pytest.mark.integration

PAGES = ("configuration.md", "operations.md")


def blocks(page: str, language: str) -> list[str]:
    text = (ROOT / "docs" / page).read_text()
    return re.findall(rf"^```{language}\n(.*?)^```", text, re.S | re.M)


def examples(language: str) -> list[tuple[str, int, str]]:
    return [(page, n, block) for page in PAGES for n, block in enumerate(blocks(page, language))]


def on_scratch(text: str, tmp_path: Path) -> str:
    """The example's machine paths moved into the test's folder."""
    key, cert = make_certificate(tmp_path)
    return (text.replace("/etc/chatd/tls/key.pem", str(key)).replace("/etc/chatd/tls/fullchain.pem", str(cert))
            .replace("$scrypt$ln=14,r=8,p=1$...$...", scrypt_hash("alice-password"))
            .replace("/etc/chatd/chatd.toml", str(tmp_path / "chatd.toml"))
            .replace("/var/backups/chatd/", str(tmp_path / "backups") + "/"))


@pytest.mark.parametrize(("page", "number", "block"), examples("toml"),
                         ids=[f"{p}-{n}" for p, n, _ in examples("toml")])
def test_each_toml_example_is_a_configuration_the_daemon_takes(tmp_path, page, number, block):
    config = tmp_path / "chatd.toml"
    config.write_text(on_scratch(block, tmp_path))
    options = Options()
    try:
        options.parseOptions(["--config", str(config), "--state-dir", str(tmp_path / "state")])
    except usage.UsageError as error:
        pytest.fail(f"docs/{page} TOML example {number} is refused: {error}\n{block}")


def test_there_are_examples_to_check():
    assert len(examples("toml")) >= 5 and len(examples("sh")) >= 4


# Lines of the shell examples this test runs (the others install packages or drive systemd, which
# the unit-file tests and the README's install cover).
RUNNABLE = re.compile(r"^(python -m chatd\.|openssl )")


def test_the_shell_examples_of_chatds_tools_run(tmp_path):
    state = tmp_path / "state"
    (tmp_path / "chatd.toml").write_text(f'state-dir = "{state}"\n')
    state.mkdir()  # the stores as a first start leaves them
    migrate(open_database(state / "history.sqlite3"))
    sqlite3.connect(state / "accounts.sqlite3").close()
    (tmp_path / "etc-tls").mkdir()
    ran = 0
    for page, _number, block in examples("sh"):
        for line in block.replace("\\\n", " ").splitlines():
            line = line.split("  #")[0].strip()
            if not RUNNABLE.match(line):
                continue
            command = on_scratch(line, tmp_path).replace("/etc/chatd/tls/", str(tmp_path / "etc-tls") + "/")
            command = command.replace("python -m", f"{shlex.quote(sys.executable)} -m", 1)
            done = subprocess.run(command, shell=True, capture_output=True, text=True, cwd=str(tmp_path),
                                  timeout=120, env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)})
            assert done.returncode == 0, f"docs/{page}: {line}\n{done.stderr}"
            ran += 1
    assert ran >= 4
