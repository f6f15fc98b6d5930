"""Failed logins slow down whoever sends them, never the account's owner elsewhere."""

from __future__ import annotations

import logging

import pytest

from chatd.core import errors

from .support.memory import memory_network

pytestmark = pytest.mark.unit

PASSWORD = "correct-horse-battery"


@pytest.fixture
def accounts():
    network, clock = memory_network()
    accounts = network.accounts
    return accounts, clock


def run(coroutine):
    """Drive a coroutine that the in-memory store answers at once."""
    from twisted.internet import defer

    d = defer.ensureDeferred(coroutine)
    results = []
    d.addBoth(results.append)
    assert results, "the in-memory store answers inline"
    result = results[0]
    if hasattr(result, "raiseException"):
        result.raiseException()
    return result


def test_wrong_passwords_from_one_address_do_not_lock_the_owner_out(accounts, caplog):
    accounts, clock = accounts
    run(accounts.register("alice", PASSWORD, ""))
    with caplog.at_level(logging.WARNING, logger="chatd"):
        for _ in range(5):
            with pytest.raises(errors.BadLogin):
                run(accounts.login("alice", "wrong-guess", "203.0.113.9"))
    assert any("203.0.113.9" in r.getMessage() and "alice" in r.getMessage() for r in caplog.records)
    # The attacker is held back, even with the right password...
    with pytest.raises(errors.BadLogin, match="Too many"):
        run(accounts.login("alice", PASSWORD, "203.0.113.9"))
    # ...the owner, from their own address, is not.
    assert run(accounts.login("alice", PASSWORD, "198.51.100.7")) == "alice"
    clock.advance(61)
    assert run(accounts.login("alice", PASSWORD, "203.0.113.9")) == "alice"


def test_one_address_guessing_many_accounts_is_held_back(accounts):
    accounts, _ = accounts
    for name in ("ann", "ben", "cat", "dan", "eve"):
        run(accounts.register(name, PASSWORD, ""))
    failures = 0
    for name in ("ann", "ben", "cat", "dan", "eve") * 4:
        with pytest.raises(errors.BadLogin) as refused:
            run(accounts.login(name, "wrong-guess", "203.0.113.10"))
        failures += "Too many" not in str(refused.value.describe())
    assert failures == 20  # four times the per-account allowance, then:
    with pytest.raises(errors.BadLogin, match="Too many"):
        run(accounts.login("ann", PASSWORD, "203.0.113.10"))
    assert run(accounts.login("ann", PASSWORD, "198.51.100.8")) == "ann"


def test_bad_tokens_are_counted_per_address_not_for_everyone(accounts):
    accounts, _ = accounts
    run(accounts.register("alice", PASSWORD, ""))
    token, _ = run(accounts.issue_token("alice"))
    for _ in range(20):  # stale tokens from one address (browsers that kept an ended session)
        with pytest.raises(errors.BadLogin):
            run(accounts.login_token("bm90LWEtdG9rZW4=", "203.0.113.11"))
    assert run(accounts.login_token(token, "198.51.100.9"))[0] == "alice"


def test_a_throttle_forgets_keys_whose_window_has_passed():
    from chatd.core.throttle import MAX_THROTTLED, Throttle

    now = [0.0]
    throttle = Throttle(lambda: now[0], 2, 60.0)
    for n in range(MAX_THROTTLED):
        throttle.record(f"address {n}")
    now[0] = 61.0
    throttle.record("fresh")  # one past the bound: the stale keys go, the live one stays
    assert list(throttle.failures) == ["fresh"]
    throttle.record("fresh")
    assert not throttle.allowed("fresh")
