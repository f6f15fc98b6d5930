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


def test_at_most_four_changes():
    assert len(parse_room_modes("+imnt-imnt", []).changes) == 4


def test_user_modes():
    modes, applied, unknown = parse_user_modes("+iwx-w", frozenset())
    assert modes == {"i"} and applied == "+i+w-w" and unknown == ["x"]
