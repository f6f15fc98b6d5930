"""The TOML configuration file: every command-line option as a key.

Keys are the long option names (``irc = "tcp:6667"``, ``flood-rate = 2.5``,
``ws-compression = true``).  The command line wins over the file.  An unknown
key or a value of the wrong type stops start-up with a message naming the key,
because a typo that is silently ignored is a setting the operator thinks they
have but do not.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Callable, Iterable

from twisted.python import usage

#: Options that only make sense on the command line.
NOT_IN_FILE = {"config", "help", "version"}


def given_on_command_line(argv: Iterable[str], names: Iterable[str]) -> set[str]:
    """Long options present in ``argv`` (``--name`` or ``--name=value``)."""
    known = set(names)
    found = set()
    for arg in argv:
        if arg == "--":
            break
        if arg.startswith("--"):
            name = arg[2:].split("=", 1)[0]
            if name in known:
                found.add(name)
    return found


def coerce(key: str, value: Any, default: Any, coercer: Callable[[Any], Any] | None, flag: bool) -> Any:
    if flag:
        if not isinstance(value, bool):
            raise usage.UsageError(f"config: {key} must be true or false, not {value!r}")
        return value
    if coercer is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise usage.UsageError(f"config: {key} must be a whole number, not {value!r}")
        return value
    if coercer is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise usage.UsageError(f"config: {key} must be a number, not {value!r}")
        return float(value)
    if coercer is not None:  # an option's own parser (workers = 4 or "auto"); it says what is wrong
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise usage.UsageError(f"config: {key} must be a string or a whole number, not {value!r}")
        return coercer(value)
    if not isinstance(value, str):
        raise usage.UsageError(f"config: {key} must be a string, not {value!r}")
    return value


def apply_file(options: Any, path: str, from_command_line: set[str]) -> None:
    """Fill ``options`` from the TOML file at ``path`` where the command line said nothing."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise usage.UsageError(f"config: cannot read {path}: {error.strerror}") from None
    except tomllib.TOMLDecodeError as error:
        raise usage.UsageError(f"config: {path} is not valid TOML: {error}") from None
    parameters = {name: (default, coercer) for name, _short, default, _doc, *rest in options.optParameters
                  for coercer in [rest[0] if rest else None]}
    flags = {name for name, _short, _doc in options.optFlags}
    multi = getattr(options, "multi_options", {})
    for key, value in data.items():
        if key == "operators":
            options["operators"] = operators_from(value, path)
            continue
        if key == "webhooks":
            options["webhooks"] = webhooks_from(value, path)
            continue
        if key in NOT_IN_FILE or (key not in parameters and key not in flags and key not in multi):
            raise usage.UsageError(f"config: unknown key {key!r} in {path}")
        if key in from_command_line:
            continue
        if key in multi:
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise usage.UsageError(f"config: {key} must be a list of strings")
            for item in value:
                multi[key](item)
            continue
        default, coercer = parameters.get(key, (None, None))
        options[key] = coerce(key, value, default, coercer, key in flags)


def operators_from(value: Any, path: str) -> list[Any]:
    """``[[operators]]`` tables: name and password (a ``$scrypt$`` hash), optional certfp and account."""
    from .core.operators import OperatorRecord

    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise usage.UsageError(f"config: operators in {path} must be [[operators]] tables")
    found = []
    for number, table in enumerate(value, 1):
        unknown = set(table) - {"name", "password", "certfp", "account"}
        if unknown:
            raise usage.UsageError(f"config: unknown key {sorted(unknown)[0]!r} in operator {number} of {path}")
        name, password = table.get("name"), table.get("password")
        if not isinstance(name, str) or not name or not isinstance(password, str):
            raise usage.UsageError(f"config: operator {number} in {path} needs a name and a password")
        if not password.startswith("$scrypt$"):
            raise usage.UsageError(f"config: operator {name!r}: password must be a hash made with "
                                   "'python -m chatd.passwd', never the password itself")
        for key in ("certfp", "account"):
            if key in table and not isinstance(table[key], str):
                raise usage.UsageError(f"config: operator {name!r}: {key} must be a string")
        certfp = table.get("certfp")
        found.append(OperatorRecord(name, password, certfp.replace(":", "").lower() if certfp else None,
                                    table.get("account")))
    return found


def webhooks_from(value: Any, path: str) -> list[Any]:
    """``[[webhooks]]`` tables: outgoing webhooks the file owns (room, url, secret; optional events,
    triggers, nick).  The secret is the operator's, written in the file for the receiver to share."""
    from .api.subscriptions import configured

    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise usage.UsageError(f"config: webhooks in {path} must be [[webhooks]] tables")
    found = []
    for number, table in enumerate(value, 1):
        unknown = set(table) - {"room", "url", "secret", "events", "triggers", "nick"}
        if unknown:
            raise usage.UsageError(f"config: unknown key {sorted(unknown)[0]!r} in webhook {number} of {path}")
        try:
            found.append(configured(table.get("room"), table.get("url"), table.get("secret"),
                                    table.get("events"), table.get("triggers"), table.get("nick", "webhook")))
        except ValueError as error:
            raise usage.UsageError(f"config: webhook {number} in {path}: {error}") from None
    return found
