"""Accounts shared by every node: the :class:`chatd.core.accounts.AccountStore` on Redis.

An account is one JSON string key (its record, nicks and certificate
fingerprints included), and two hashes index who owns which nick and which
certificate.  Every change that must not race (a new account, grouping a
nick, adding a certificate) is one Lua script, so two nodes can never give
the same nick to two accounts.  While Redis is unreachable, logins and
registrations fail with the same answers as a wrong password or a taken name,
and chat goes on.
"""

from __future__ import annotations

import json
import os
from typing import Any, Optional

from twisted.internet import defer

from ..core.accounts import AccountRecord, ScramInfo, TokenRecord
from ..core.casemap import casefold
from .keys import Keys

# KEYS: nick index, account key; ARGV: folded name, record JSON. 1 if created.
CREATE = """
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return 0 end
if not redis.call('SET', KEYS[2], ARGV[2], 'NX') then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[1])
return 1
"""

# KEYS: index, account key; ARGV: folded item, folded account, list field, item as shown, add (1) or remove (0).
GROUP = """
local owner = redis.call('HGET', KEYS[1], ARGV[1])
local raw = redis.call('GET', KEYS[2])
if not raw then return 0 end
local record = cjson.decode(raw)
local items = record[ARGV[3]]
if type(items) ~= 'table' then items = {} end
local kept = {}
for _, item in ipairs(items) do
  if string.lower(item) ~= ARGV[1] then table.insert(kept, item) end
end
if ARGV[5] == '1' then
  if owner then return owner == ARGV[2] and 1 or 0 end
  table.insert(kept, ARGV[4])
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
else
  if owner ~= ARGV[2] or ARGV[1] == ARGV[2] then return 0 end
  redis.call('HDEL', KEYS[1], ARGV[1])
end
record[ARGV[3]] = kept
redis.call('SET', KEYS[2], cjson.encode(record))
return 1
"""

# KEYS: account key; ARGV: the fields to set (a JSON object), and an address the account must
# still have ('' for no condition: a verification holds only for the address it was sent to).
# 1 if the account exists (and has that address).
UPDATE_ACCOUNT = """
local raw = redis.call('GET', KEYS[1])
if not raw then return 0 end
local record = cjson.decode(raw)
if ARGV[2] ~= '' and record['email'] ~= ARGV[2] then return 0 end
for field, value in pairs(cjson.decode(ARGV[1])) do record[field] = value end
redis.call('SET', KEYS[1], cjson.encode(record))
return 1
"""


def _scram_list(scram: Optional[ScramInfo]) -> Optional[list[Any]]:
    return None if scram is None else [scram.salt.hex(), scram.stored_key.hex(), scram.server_key.hex(),
                                       scram.iterations]


def _record_json(record: AccountRecord) -> str:
    return json.dumps({
        "name": record.name, "password": record.password, "created": record.created, "email": record.email,
        "nicks": list(record.nicks), "certfps": list(record.certfps), "scram": _scram_list(record.scram),
        "verified_email": record.verified_email, "always_on": record.always_on,
        "highlights": list(record.highlights)})


def _record(raw: Optional[str]) -> Optional[AccountRecord]:
    if not raw:
        return None
    data = json.loads(raw)
    scram = data.get("scram")
    info = None if not scram else ScramInfo(bytes.fromhex(scram[0]), bytes.fromhex(scram[1]),
                                            bytes.fromhex(scram[2]), int(scram[3]))
    as_list = lambda value: tuple(value) if isinstance(value, list) else ()  # noqa: E731 (cjson: {} for [])
    return AccountRecord(data["name"], data["password"], info, float(data["created"]), data.get("email", ""),
                         as_list(data.get("nicks")), as_list(data.get("certfps")),
                         data.get("verified_email") or "",
                         data["always_on"] if isinstance(data.get("always_on"), bool) else None,
                         as_list(data.get("highlights")))


class RedisAccounts:
    complete_index = False  # other nodes register accounts too: ask Redis

    def __init__(self, link: Any, keys: Keys) -> None:
        self.link = link
        self.keys = keys

    def create(self, record: AccountRecord) -> defer.Deferred[bool]:
        folded = casefold(record.name)
        d = self.link.script(CREATE, [self.keys.account_nicks, self.keys.account(folded)],
                             [folded, _record_json(record)])
        return d.addCallback(lambda created: bool(int(created)))

    def get(self, name: str) -> defer.Deferred[Optional[AccountRecord]]:
        return self.link.call("GET", self.keys.account(casefold(name))).addCallback(_record)

    def _name_of(self, folded: Optional[str]) -> Any:
        if folded is None:
            return defer.succeed(None)
        return self.get(folded).addCallback(lambda record: record.name if record is not None else None)

    def nick_owner(self, nick: str) -> defer.Deferred[Optional[str]]:
        return self.link.call("HGET", self.keys.account_nicks, casefold(nick)).addCallback(self._name_of)

    def _group(self, index: str, item: str, shown: str, account: str, field: str, add: bool) -> defer.Deferred[bool]:
        d = self.link.script(GROUP, [index, self.keys.account(casefold(account))],
                             [item, casefold(account), field, shown, "1" if add else "0"])
        return d.addCallback(lambda done: bool(int(done)))

    def claim_nick(self, nick: str, account: str) -> defer.Deferred[bool]:
        return self._group(self.keys.account_nicks, casefold(nick), nick, account, "nicks", True)

    def release_nick(self, nick: str, account: str) -> defer.Deferred[bool]:
        return self._group(self.keys.account_nicks, casefold(nick), nick, account, "nicks", False)

    def add_certfp(self, account: str, fingerprint: str) -> defer.Deferred[bool]:
        return self._group(self.keys.account_certs, fingerprint, fingerprint, account, "certfps", True)

    def certfp_owner(self, fingerprint: str) -> defer.Deferred[Optional[str]]:
        return self.link.call("HGET", self.keys.account_certs, fingerprint).addCallback(self._name_of)

    def set_password(self, account: str, password: str, scram: Optional[ScramInfo]) -> defer.Deferred[bool]:
        return self._update(account, {"password": password, "scram": _scram_list(scram)})

    def set_email(self, account: str, email: str) -> defer.Deferred[bool]:
        return self._update(account, {"email": email})

    def set_highlights(self, account: str, words: tuple[str, ...]) -> defer.Deferred[bool]:
        return self._update(account, {"highlights": list(words)})

    def set_always_on(self, account: str, value: Optional[bool]) -> defer.Deferred[bool]:
        return self._update(account, {"always_on": value})

    def verify_email(self, account: str, email: str) -> defer.Deferred[bool]:
        if not email:
            return defer.succeed(False)
        return self._update(account, {"verified_email": email}, unless_email_changed=email)

    def _update(self, account: str, fields: dict[str, Any], unless_email_changed: str = "") -> defer.Deferred[bool]:
        d = self.link.script(UPDATE_ACCOUNT, [self.keys.account(casefold(account))],
                             [json.dumps(fields), unless_email_changed])
        return d.addCallback(lambda done: bool(int(done)))

    def secret(self) -> defer.Deferred[bytes]:
        key = self.keys.token_secret
        d = self.link.call("SET", key, os.urandom(32).hex(), "NX")
        return d.addCallback(lambda _: self.link.call("GET", key)).addCallback(bytes.fromhex)

    # Session tokens: every token login asks Redis, so a revocation holds on every node at once.

    def add_token(self, account: str, token: TokenRecord) -> defer.Deferred[None]:
        value = json.dumps({"c": token.created, "e": token.expires})
        return self.link.call("HSET", self.keys.account_tokens(account), token.id, value).addCallback(
            lambda _: None)

    def token_valid(self, account: str, token_id: str) -> defer.Deferred[bool]:
        d = self.link.call("HEXISTS", self.keys.account_tokens(account), token_id)
        return d.addCallback(lambda found: bool(int(found)))

    def revoke_tokens(self, account: str, token_id: Optional[str] = None) -> defer.Deferred[int]:
        key = self.keys.account_tokens(account)
        if token_id is None:
            d = self.link.call("HLEN", key)
            return d.addCallback(lambda count: self.link.call("DEL", key).addCallback(lambda _: int(count)))
        return self.link.call("HDEL", key, token_id).addCallback(int)

    def tokens(self, account: str) -> defer.Deferred[list[TokenRecord]]:
        def records(flat: list[Any]) -> list[TokenRecord]:
            found = [TokenRecord(str(token_id), float(data["c"]), float(data["e"]))
                     for token_id, data in ((k, json.loads(v)) for k, v in zip(flat[::2], flat[1::2], strict=False))]
            return sorted(found, key=lambda t: t.created)

        return self.link.call("HGETALL", self.keys.account_tokens(account)).addCallback(records)

    def nick_owners(self) -> dict[str, str]:
        return {}  # learnt per nick as it is asked about (Accounts.owner_of)
