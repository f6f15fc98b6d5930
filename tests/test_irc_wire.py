"""IRC line parsing and serialisation."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chatd.irc.wire import Message, escape_tag_value, parse, serialize, unescape_tag_value

pytestmark = pytest.mark.unit


def test_parse_full_line():
    msg = parse("@time=2026-01-01T00:00:00.000Z;msgid=abc :nick!u@h PRIVMSG #room :hello there")
    assert msg.command == "PRIVMSG"
    assert msg.params == ("#room", "hello there")
    assert msg.source == "nick!u@h"
    assert msg.tag("msgid") == "abc"


def test_parse_lowercase_command_and_extra_spaces():
    msg = parse("privmsg   #a   :x  y")
    assert msg.command == "PRIVMSG" and msg.params == ("#a", "x  y")


def test_trailing_with_colons_and_empty_trailing():
    assert parse("TOPIC #a :").params == ("#a", "")
    assert parse("PRIVMSG #a ::-)").params == ("#a", ":-)")


def test_tag_escaping():
    value = "a;b c\\d\r\n"
    assert unescape_tag_value(escape_tag_value(value)) == value
    assert parse("@k=a\\sb\\:c FOO").tag("k") == "a b;c"


middle = st.text(alphabet=st.characters(blacklist_characters=" \r\n\x00:", blacklist_categories=("Cs",)),
                 min_size=1, max_size=20)
last = st.text(alphabet=st.characters(blacklist_characters="\r\n\x00", blacklist_categories=("Cs",)), max_size=40)
tag_key = st.from_regex(r"\A[a-z][a-z0-9-]{0,10}\Z")
tag_value = st.text(alphabet=st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)),
                    min_size=1, max_size=20)


@given(
    command=st.from_regex(r"\A[A-Z]{1,10}\Z"),
    params=st.lists(middle, max_size=5),
    final=st.one_of(st.none(), last),
    tags=st.lists(st.tuples(tag_key, tag_value), max_size=3, unique_by=lambda t: t[0]),
    source=st.one_of(st.none(), st.from_regex(r"\A[a-z]{1,8}![a-z]{1,8}@[a-z.]{1,12}\Z")),
)
def test_round_trip(command, params, final, tags, source):
    all_params = tuple(params) + ((final,) if final is not None else ())
    msg = Message(command, all_params, source, tuple(tags))
    assert parse(serialize(msg)) == msg
