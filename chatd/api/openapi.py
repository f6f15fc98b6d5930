"""The API described as OpenAPI 3.1, served at ``/api/v1/openapi.json``; docs/api.md says the same in prose."""

from __future__ import annotations

from typing import Any

ERROR = {"$ref": "#/components/responses/Error"}
ROOM = {"name": "room", "in": "path", "required": True, "schema": {"type": "string"},
        "description": "A room, with or without its '#' (URL-encoded as %23)."}
NICK = {"name": "nick", "in": "path", "required": True, "schema": {"type": "string"}}
ERRORS = {"400": ERROR, "401": ERROR, "403": ERROR, "404": ERROR, "409": ERROR, "413": ERROR, "429": ERROR}
POST_BODY = {"required": True, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Post"}}}}
POSTED = {"201": {"description": "Accepted and stored",
                  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Posted"}}}}, **ERRORS}


STR: dict[str, Any] = {"type": "string"}
OBJECT: dict[str, Any] = {"type": "object"}


def _body(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": {
        "type": "object", "required": required, "properties": properties}}}}


def _ok(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"200": {"description": description, "content": {"application/json": {"schema": schema}}}, **ERRORS}


SPEC: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "chatd server API", "version": "1",
             "description": "Post to and read a chatd network over HTTP. Every request but this document's "
                            "carries 'Authorization: Bearer KEY' (python -m chatd.apikey create)."},
    "servers": [{"url": "/api/v1"}],
    "security": [{"bearer": []}],
    "paths": {
        "/rooms": {"get": {"summary": "Rooms this key may see, the fullest first (scope read)",
                           "responses": _ok({"type": "object", "properties": {"rooms": {"type": "array", "items": {
                               "$ref": "#/components/schemas/RoomSummary"}}}})}},
        "/rooms/{room}": {"get": {"summary": "A room: topic, modes, members (scope read)", "parameters": [ROOM],
                                  "responses": _ok({"$ref": "#/components/schemas/Room"})}},
        "/rooms/{room}/messages": {
            "get": {"summary": "History, newest page first; page with before= or after= a message id "
                               "(scope read)",
                    "parameters": [ROOM] + [{"name": n, "in": "query", "schema": {"type": "string"}}
                                            for n in ("before", "after")]
                    + [{"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1,
                                                                   "maximum": 200, "default": 50}}],
                    "responses": _ok({"type": "object", "properties": {
                        "room": {"type": "string"}, "more": {"type": "boolean"},
                        "messages": {"type": "array", "items": {"$ref": "#/components/schemas/Message"}}}})},
            "post": {"summary": "Post a message to a room as a bot user (scope post)", "parameters": [ROOM],
                     "requestBody": POST_BODY, "responses": POSTED}},
        "/users/{nick}": {"get": {"summary": "Presence of a nick (scope read)", "parameters": [NICK],
                                  "responses": _ok({"$ref": "#/components/schemas/User"})}},
        "/users/{nick}/messages": {"post": {"summary": "Send a direct message (scope post)", "parameters": [NICK],
                                            "requestBody": POST_BODY, "responses": POSTED}},
        "/rooms/{room}/topic": {"put": {
            "summary": "Set the topic; the key's bot acts as a room operator (scope moderate)", "parameters": [ROOM],
            "requestBody": _body({"topic": STR, "as": STR}, ["topic"]), "responses": _ok(OBJECT)}},
        "/rooms/{room}/kicks": {"post": {
            "summary": "Kick someone out of the room (scope moderate)", "parameters": [ROOM],
            "requestBody": _body({"nick": STR, "reason": STR, "as": STR}, ["nick"]), "responses": _ok(OBJECT)}},
        "/rooms/{room}/bans": {
            "get": {"summary": "The room's ban list (scope moderate)", "parameters": [ROOM], "responses": _ok(OBJECT)},
            "post": {"summary": "Ban a mask (nick, nick!user@host, a:account) from the room (scope moderate)",
                     "parameters": [ROOM], "requestBody": _body({"mask": STR, "as": STR}, ["mask"]),
                     "responses": {"201": {"description": "Banned"}, **_ok(OBJECT, "Already banned")}}},
        "/rooms/{room}/bans/{mask}": {"delete": {
            "summary": "Lift a room ban (scope moderate)", "responses": _ok(OBJECT),
            "parameters": [ROOM, {"name": "mask", "in": "path", "required": True, "schema": STR}]}},
        "/bans": {
            "get": {"summary": "Server bans (scope admin)", "responses": _ok(OBJECT)},
            "post": {"summary": "Ban a mask from the server; matching users are disconnected (scope admin)",
                     "requestBody": _body({"mask": STR, "duration": STR, "reason": STR}, ["mask"]),
                     "responses": {"201": {"description": "Banned"}, **ERRORS}}},
        "/bans/{mask}": {"delete": {
            "summary": "Lift a server ban (scope admin)", "responses": _ok(OBJECT),
            "parameters": [{"name": "mask", "in": "path", "required": True, "schema": STR}]}},
        "/accounts/{name}/password": {"put": {
            "summary": "Give an account a new password; every session token of it is revoked (scope admin)",
            "parameters": [{"name": "name", "in": "path", "required": True, "schema": STR}],
            "requestBody": _body({"password": STR}, ["password"]), "responses": _ok(OBJECT)}},
        "/accounts/{name}/sessions": {
            "get": {"summary": "An account's signed-in sessions (scope admin)", "responses": _ok(OBJECT),
                    "parameters": [{"name": "name", "in": "path", "required": True, "schema": STR}]},
            "delete": {"summary": "End every session of an account (scope admin)", "responses": _ok(OBJECT),
                       "parameters": [{"name": "name", "in": "path", "required": True, "schema": STR}]}},
        "/hooks": {
            "get": {"summary": "Incoming hooks of the key's rooms, without their secret URLs (scope moderate)",
                    "responses": _ok(OBJECT)},
            "post": {"summary": "Make an incoming hook for a room; answers with its secret URL, once "
                                "(scope moderate)",
                     "requestBody": _body({"room": STR, "name": STR}, ["room", "name"]),
                     "responses": {"201": {"description": "Made"}, **ERRORS}}},
        "/hooks/{id}": {"delete": {
            "summary": "Remove an incoming hook (scope moderate)", "responses": _ok(OBJECT),
            "parameters": [{"name": "id", "in": "path", "required": True, "schema": STR}]}},
        "/webhooks": {
            "get": {"summary": "Outgoing webhooks of the key's rooms, without secrets (scope moderate)",
                    "responses": _ok(OBJECT)},
            "post": {"summary": "Subscribe a URL to a room's events; answers with the signing secret "
                                "(scope moderate)",
                     "requestBody": _body({"room": STR, "url": STR, "nick": STR,
                                           "events": {"type": "array", "items": {
                                               "enum": ["message", "mention", "join", "part"]}},
                                           "triggers": {"type": "array", "items": STR}}, ["room", "url"]),
                     "responses": {"201": {"description": "Subscribed"}, **ERRORS}}},
        "/webhooks/{id}": {"delete": {
            "summary": "End an outgoing webhook (scope moderate)", "responses": _ok(OBJECT),
            "parameters": [{"name": "id", "in": "path", "required": True, "schema": STR}]}},
    },
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "responses": {"Error": {"description": "Refused", "content": {"application/json": {"schema": {
            "type": "object", "required": ["error", "message"],
            "properties": {"error": {"type": "string"}, "message": {"type": "string"}}}}}}},
        "schemas": {
            "Post": {"type": "object", "required": ["text"], "properties": {
                "text": {"type": "string", "description": "Line breaks make several lines (or one multiline "
                                                          "message for clients that support it)."},
                "as": {"type": "string", "description": "The nick to post as (default: the key's name)."},
                "kind": {"type": "string", "enum": ["privmsg", "notice", "action"], "default": "privmsg"}}},
            "Posted": {"type": "object", "properties": {
                "id": {"type": "string"}, "time": {"type": "number"}, "iso_time": {"type": "string"},
                "from": {"type": "string"}, "stored": {"type": "boolean"}}},
            "RoomSummary": {"type": "object", "properties": {
                "name": {"type": "string"}, "members": {"type": "integer"}, "topic": {"type": "string"}}},
            "Member": {"type": "object", "properties": {
                "nick": {"type": "string"}, "protocol": {"type": "string"}, "account": {"type": ["string", "null"]},
                "away": {"type": ["string", "null"]}, "op": {"type": "boolean"}, "voice": {"type": "boolean"},
                "bot": {"type": "boolean"}}},
            "Room": {"type": "object", "properties": {
                "name": {"type": "string"}, "topic": {"type": "string"}, "topic_by": {"type": "string"},
                "topic_time": {"type": "number"}, "modes": {"type": "string"}, "created": {"type": "number"},
                "members": {"type": "array", "items": {"$ref": "#/components/schemas/Member"}}}},
            "Message": {"type": "object", "description": "As the web client's protocol has it (docs/protocol.md).",
                        "properties": {"id": {"type": "string"}, "time": {"type": "number"},
                                       "from": {"type": "string"}, "text": {"type": "string"},
                                       "kind": {"type": "string"}}},
            "User": {"type": "object", "properties": {
                "nick": {"type": "string"}, "online": {"type": "boolean"}, "account": {"type": ["string", "null"]},
                "away": {"type": ["string", "null"]}, "protocol": {"type": "string"}, "bot": {"type": "boolean"},
                "idle": {"type": "integer"}, "rooms": {"type": "array", "items": {"type": "string"}}}},
        },
    },
}
