"""The cluster outbox: what Redis has not taken yet, on disk, in order, until it is published."""

from __future__ import annotations

import pytest
from twisted.internet.task import Clock

from chatd.cluster.outbox import Outbox, Parcel

pytestmark = pytest.mark.unit


def test_kept_messages_survive_a_restart_in_order_until_published(tmp_path):
    clock = Clock()
    path = tmp_path / "outbox.sqlite3"
    box = Outbox(path, clock)
    stored = [box.add(Parcel(f"id{i}", f'{{"i":"id{i}"}}', ("east", "west") if i == 1 else ())) for i in range(3)]
    assert [d.called for d in stored] == [False, False, False]  # one commit at the end of the turn
    clock.advance(0)
    assert [d.result for d in stored] == [True, True, True]
    box.remove("id0")
    flushed = box.flush()  # stopping: everything handed over is on disk when this fires
    assert flushed.called
    box.stop()

    again = Outbox(path, clock)
    assert again.load() == [Parcel("id1", '{"i":"id1"}', ("east", "west")), Parcel("id2", '{"i":"id2"}')]
    again.stop()
