"""MODE argument parsing is a pure function: letters in, changes and notes out."""

from __future__ import annotations

import pytest

from chatd.irc.modes import ParsedModes, parse_room_modes, parse_user_modes

pytestmark = pytest.mark.unit


def test_changes_take_their_parameters_in_order():
    parsed = parse_room_modes("+kl-v+o", ["key", "10", "bob", "carol"])
    assert parsed == ParsedModes((("+", "k", "key"), ("+", "l", "10"), ("-", "v", "bob"), ("+", "o", "carol")))


def test_removing_a_key_ignores_its_parameter_and_limit_needs_none():
    assert parse_room_modes("-kl", ["whatever"]).changes == (("-", "k", None), ("-", "l", None))


def test_ban_list_query_and_unknown_letters_are_noted_in_order():
    parsed = parse_room_modes("+bZnq", [])
    assert parsed.changes == (("+", "n", None),)
    assert parsed.notes == (("list", "b"), ("unknown", "Z"), ("list", "q"))
    banned = parse_room_modes("+b-e", ["*!*@bad.example", "a:alice"])
    assert banned.changes == (("+", "b", "*!*@bad.example"), ("-", "e", "a:alice"))


def test_a_missing_parameter_applies_nothing():
    parsed = parse_room_modes("+nk", [])
    assert parsed.missing_param and parsed.changes == (("+", "n", None),)


def test_at_most_four_modes_with_a_parameter_and_the_rest_named():
    # MODES counts "variable" modes (types A, B, C and PREFIX); flags without a parameter do not count.
    assert len(parse_room_modes("+imnt-imnt", []).changes) == 8
    parsed = parse_room_modes("+ovbkl", ["a", "b", "c!*@*", "key", "10"])
    assert parsed.changes == (("+", "o", "a"), ("+", "v", "b"), ("+", "b", "c!*@*"), ("+", "k", "key"))
    assert parsed.notes == (("over", "+l"),)


def test_user_modes():
    modes, applied, unknown = parse_user_modes("+iwx-w", frozenset())
    assert modes == {"i"} and applied == "+i+w-w" and unknown == ["x"]



def test_modes_counts_only_modes_with_a_parameter_and_says_what_it_did_not_apply():
    """ISUPPORT MODES bounds the modes *with a parameter* per MODE; what is past the bound is
    named, never dropped silently (modern.ircdocs.horse, MODES)."""
    from .support.memory import irc_factory, irc_user, memory_network

    network, clock = memory_network()
    factory = irc_factory(network, clock)
    op = irc_user(factory, "op")
    op.send("JOIN #r")
    for nick in ("v1", "v2", "v3", "v4", "v5"):
        irc_user(factory, nick).send("JOIN #r")
    op.read()
    op.send("MODE #r +imslk 10 key")
    room = network.find_room("#r")
    assert {"i", "m", "s"} <= room.flags and room.limit == 10 and room.key == "key"
    op.read()
    op.send("MODE #r +vvvvv v1 v2 v3 v4 v5")
    voiced = sorted(u.nick for u, status in room.members.items() if "v" in status)
    assert voiced == ["v1", "v2", "v3", "v4"]
    assert any("NOTICE op :Not applied: +v (at most 4 modes with a parameter" in line for line in op.read())
