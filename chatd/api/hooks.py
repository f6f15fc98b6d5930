"""Incoming webhooks: a secret URL that posts what it is sent to one room.

The body may be what Slack and Mattermost send (JSON ``{"text": ..., "username": ...}``,
or form-encoded ``payload=<that JSON>``), a GitHub event (a readable line is
made of its ``X-GitHub-Event`` header and the usual fields), or plain text.
The hook's secret is checked against its stored SHA-256 digest; the id alone
finds nothing.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any, Optional
from urllib.parse import parse_qs

from .keys import digest
from .store import HookRecord


class BadBody(ValueError):
    pass


def new_hook(room: str, name: str, created_by: str) -> tuple[HookRecord, str]:
    """A hook and its secret (shown once)."""
    hook_id = os.urandom(6).hex()
    secret = os.urandom(24).hex()
    return HookRecord(hook_id, digest(secret), room, name, time.time(), created_by), secret


def url_base(public_host: str, listener: str, bound: Optional[int] = None) -> str:
    """Where hook URLs point: the public host if set, else the HTTP listener (``tcp:8080:interface=...``,
    on the port it was given, or ``bound`` when it let the system choose)."""
    if public_host:
        return f"https://{public_host}"
    parts = listener.split(":")
    port = str(bound) if bound else parts[1] if len(parts) > 1 else "8080"
    host = next((p.split("=", 1)[1] for p in parts if p.startswith("interface=")), "127.0.0.1")
    return f"http://{host}:{port}"


def message_of(body: bytes, content_type: str, github_event: Optional[str] = None) -> tuple[str, Optional[str]]:
    """The text to post and the nick it asks for (None: the hook's own), from a hook's body."""
    kind = content_type.split(";", 1)[0].strip().lower()
    try:
        raw = body.decode("utf-8")
    except UnicodeDecodeError:
        raise BadBody("the body is not UTF-8") from None
    if kind == "application/x-www-form-urlencoded":
        fields = parse_qs(raw, keep_blank_values=True)
        if "payload" not in fields:
            raise BadBody("a form body needs a payload field")
        raw, kind = fields["payload"][0], "application/json"
    if kind == "application/json" or (not kind and raw.lstrip().startswith("{")):
        try:
            data = json.loads(raw)
        except ValueError:
            raise BadBody("the body is not JSON") from None
        if not isinstance(data, dict):
            raise BadBody("the body must be a JSON object")
        if github_event:
            return github_line(github_event, data), None
        text = data.get("text")
        if not isinstance(text, str) or not text.strip():
            attachments = data.get("attachments")
            text = _attachments(attachments) if isinstance(attachments, list) else None
        if not isinstance(text, str) or not text.strip():
            raise BadBody("the JSON body needs a text field")
        username = data.get("username")
        return text, username if isinstance(username, str) and username.strip() else None
    if not raw.strip():
        raise BadBody("the body is empty")
    return raw, None


def _attachments(attachments: list[Any]) -> Optional[str]:
    """Slack's older attachments form: their fallback (or title and text) lines."""
    lines = []
    for item in attachments:
        if isinstance(item, dict):
            line = item.get("fallback") or " ".join(str(item[k]) for k in ("title", "text") if item.get(k))
            if line:
                lines.append(str(line))
    return "\n".join(lines) or None


def github_line(event: str, data: dict[str, Any]) -> str:
    """One readable line for the GitHub events people wire to a room; others say what they are."""
    repo = _get(data, "repository", "full_name") or "?"
    who = _get(data, "sender", "login") or "someone"
    if event == "push":
        commits = data.get("commits")
        count = len(commits) if isinstance(commits, list) else 0
        branch = str(data.get("ref", "")).rsplit("/", 1)[-1]
        head = _get(data, "head_commit", "message") or ""
        return f"[{repo}] {who} pushed {count} commit(s) to {branch}: {head.splitlines()[0] if head else ''}" \
            .rstrip(": ")
    if event in ("pull_request", "issues"):
        item = data.get("pull_request" if event == "pull_request" else "issue") or {}
        kind = "pull request" if event == "pull_request" else "issue"
        return (f"[{repo}] {who} {data.get('action', 'changed')} {kind} #{item.get('number', '?')}: "
                f"{item.get('title', '')} {item.get('html_url', '')}").rstrip()
    if event == "ping":
        return f"[{repo}] GitHub says hello: {data.get('zen', '')}".rstrip(": ")
    return f"[{repo}] {who}: {event} {data.get('action', '')}".rstrip()


def _get(data: dict[str, Any], outer: str, inner: str) -> Optional[str]:
    value = data.get(outer)
    if isinstance(value, dict) and isinstance(value.get(inner), str):
        return str(value[inner])
    return None
