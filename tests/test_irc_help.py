"""HELP knows every command the server understands, and nothing it does not."""

from __future__ import annotations

import pytest

from chatd.irc.commands import COMMANDS
from chatd.irc.connection import IRCConnection  # noqa: F401  (importing it fills COMMANDS)
from chatd.irc.help import HELP

pytestmark = pytest.mark.unit


def test_every_command_has_help_and_every_help_a_command():
    assert set(COMMANDS) == set(HELP)
    assert all(lines and lines[0].split()[0] in (name, name.replace("OP", "")) for name, lines in HELP.items())
