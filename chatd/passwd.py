"""``python -m chatd.passwd``: print the hash of a password, for ``[[operators]]`` in the TOML file.

The password is read without echo (or from standard input when it is not a
terminal), and only its slow salted hash is printed: the configuration file
never holds a password.
"""

from __future__ import annotations

import getpass
import sys

from .accounts.passwords import scrypt_hash


def main() -> int:
    if sys.stdin.isatty():
        password = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != password:
            print("chatd.passwd: the passwords differ", file=sys.stderr)
            return 1
    else:
        password = sys.stdin.readline().rstrip("\n")
    if len(password) < 8:
        print("chatd.passwd: use at least 8 characters", file=sys.stderr)
        return 1
    print(scrypt_hash(password))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
