"""``POST /hooks/{id}/{secret}``: incoming webhooks (Slack- and Mattermost-style, GitHub, plain text).

The hook's bot posts like an API key's (:mod:`.bots`), limited per hook like a
key; a wrong id or secret gets one answer (404), whichever was wrong.
"""

from __future__ import annotations

from typing import Any

from klein import Klein
from twisted.python.failure import Failure
from twisted.web.server import Request

from .bots import Bots
from .hooks import BadBody, message_of
from .http import ApiError, RateLimit, failure_body, respond
from .keys import NAME, digest, same
from .store import KeyStore


class HookServer:
    app = Klein()

    def __init__(self, store: KeyStore, bots: Bots, limit: RateLimit) -> None:
        self.store = store
        self.bots = bots
        self.limit = limit

    @app.handle_errors(Exception)
    def failed(self, request: Any, failure: Failure) -> bytes:
        return failure_body(request, failure, "No such hook")

    @app.route("/<hook_id>/<secret>", methods=["POST"])
    async def post(self, request: Request, hook_id: str, secret: str) -> bytes:
        hook = await self.store.find_hook(hook_id)
        if hook is None or not same(hook.digest, digest(secret)):
            raise ApiError(404, "not_found", "No such hook")
        self.limit.check("hook:" + hook.id)
        assert request.content is not None
        try:
            text, asked = message_of(request.content.read(), request.getHeader("content-type") or "",
                                     request.getHeader("x-github-event"))
        except BadBody as error:
            raise ApiError(400, "bad_body", str(error)) from None
        nick = asked if asked is not None and NAME.fullmatch(asked) else hook.name
        session = await self.bots.in_room(nick, "hook:" + hook.id, f"webhook {hook.id}", hook.room)
        sent = session.send(hook.room, "privmsg", text, multiline=True)
        if sent.durable is not None:
            await sent.durable
        return respond(request, 200, {"ok": True, "id": sent.message.id})
