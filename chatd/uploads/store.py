"""Uploaded files on disk: plain files and a JSON note beside each, no database.

Layout under the folder (``--upload-dir``, default ``<state-dir>/files``)::

    <owner>/<id>          the bytes, 0600
    <owner>/<id>.json     name, type, size, times, the owner
    messages/<key>        the ids a message carries (its deletion deletes them)

``<owner>`` is a keyed hash of the account (or, for a guest, the address), so one owner's usage
is the size of one folder and an id (which starts with it) names its folder: there is no index to
keep in step.  Several nodes of a cluster can therefore share one folder (a network file system)
and each serves every file.  Every method does its disk work on a thread: the reactor never
waits for the disk.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
from pathlib import Path
from typing import IO, Any, Optional

import attrs
from twisted.internet import threads

from .sniff import sniff

OWNER_CHARS = 12
SNIFF_BYTES = 8192


@attrs.frozen
class FileRecord:
    id: str
    name: str
    type: str
    size: int
    owner: str  # "account:<folded name>" or "guest:<address>"
    time: float
    expires: float  # 0: kept until deleted


class FileStore:
    def __init__(self, folder: Path, reactor: Any, salt: bytes) -> None:
        self.folder = folder
        self.reactor = reactor
        self.salt = salt

    def _thread(self, work: Any, *args: Any) -> Any:
        return threads.deferToThreadPool(self.reactor, self.reactor.getThreadPool(), work, *args)

    def owner_key(self, owner: str) -> str:
        return hashlib.blake2b(owner.encode("utf-8"), key=self.salt[:64], digest_size=OWNER_CHARS // 2).hexdigest()

    def _paths(self, file_id: str) -> Optional[tuple[Path, Path]]:
        if len(file_id) < OWNER_CHARS + 8 or not all(c.isalnum() for c in file_id) or not file_id.isascii():
            return None
        base = self.folder / file_id[:OWNER_CHARS] / file_id
        return base, base.with_name(file_id + ".json")

    # -- on threads ---------------------------------------------------------------------

    def usage(self, owner: str) -> Any:
        """Bytes ``owner`` keeps now (a Deferred)."""
        return self._thread(self._usage, self.owner_key(owner))

    def _usage(self, key: str) -> int:
        try:
            with os.scandir(self.folder / key) as entries:
                return sum(e.stat().st_size for e in entries if not e.name.endswith((".json", ".part")))
        except FileNotFoundError:
            return 0

    def save(self, owner: str, name: str, body: IO[bytes], now: float, expires: float) -> Any:
        """Copy ``body`` into a new file of ``owner``; a Deferred of (its FileRecord, its sniffed type)."""
        return self._thread(self._save, owner, name, body, now, expires)

    def _save(self, owner: str, name: str, body: IO[bytes], now: float, expires: float) -> FileRecord:
        key = self.owner_key(owner)
        folder = self.folder / key
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        file_id = key + secrets.token_hex(10)
        path = folder / file_id
        part = path.with_name(file_id + ".part")
        body.seek(0)
        head = body.read(SNIFF_BYTES)
        body.seek(0)
        fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            shutil.copyfileobj(body, out, 1 << 16)
            size = out.tell()
        record = FileRecord(file_id, name, sniff(head), size, owner, now, expires)
        _write_json(path.with_name(file_id + ".json"), attrs.asdict(record))
        os.replace(part, path)
        return record

    def get(self, file_id: str) -> Any:
        """A Deferred of (FileRecord, path of its bytes), or None when there is no such file."""
        return self._thread(self._get, file_id)

    def _get(self, file_id: str) -> Optional[tuple[FileRecord, Path]]:
        paths = self._paths(file_id)
        if paths is None:
            return None
        try:
            record = FileRecord(**json.loads(paths[1].read_text("utf-8")))
        except (OSError, ValueError, TypeError):
            return None
        return (record, paths[0]) if paths[0].exists() else None

    def delete(self, file_ids: list[str]) -> Any:
        return self._thread(self._delete, file_ids)

    def _delete(self, file_ids: list[str]) -> int:
        gone = 0
        for file_id in file_ids:
            paths = self._paths(file_id)
            for path in paths or ():
                try:
                    path.unlink()
                    gone += path.suffix != ".json"
                except FileNotFoundError:
                    pass
        return gone

    def link(self, msgid: str, file_ids: list[str]) -> Any:
        """Remember that message ``msgid`` carries ``file_ids``."""
        return self._thread(self._link, msgid, file_ids)

    def _message_path(self, msgid: str) -> Path:
        return self.folder / "messages" / hashlib.sha256(msgid.encode("utf-8")).hexdigest()[:32]

    def _link(self, msgid: str, file_ids: list[str]) -> None:
        path = self._message_path(msgid)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        _write_json(path, file_ids)

    def unlink_message(self, msgid: str, known: list[str]) -> Any:
        """Delete the files message ``msgid`` carried (``known`` here, and as its note says, which
        another node sharing the folder may have written); a Deferred of how many went."""
        return self._thread(self._unlink_message, msgid, known)

    def _unlink_message(self, msgid: str, known: list[str]) -> int:
        path = self._message_path(msgid)
        file_ids = list(known)
        try:
            noted = json.loads(path.read_text("utf-8"))
            path.unlink()
            file_ids += [i for i in noted if isinstance(i, str)] if isinstance(noted, list) else []
        except (OSError, ValueError):
            pass
        return self._delete(list(dict.fromkeys(file_ids)))

    def expire(self, now: float) -> Any:
        """Delete every file whose time is up; a Deferred of how many went."""
        return self._thread(self._expire, now)

    def _expire(self, now: float) -> int:
        gone: list[str] = []
        if not self.folder.is_dir():
            return 0
        for owner in self.folder.iterdir():
            if owner.name == "messages" or not owner.is_dir():
                continue
            for note in owner.glob("*.json"):
                try:
                    expires = float(json.loads(note.read_text("utf-8")).get("expires", 0))
                except (OSError, ValueError, AttributeError):
                    continue
                if expires and expires <= now:
                    gone.append(note.stem)
            for part in owner.glob("*.part"):  # left by a crash mid-copy
                if part.stat().st_mtime < now - 3600:
                    part.unlink(missing_ok=True)
        return self._delete(gone)


def _write_json(path: Path, value: Any) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(value, out)
