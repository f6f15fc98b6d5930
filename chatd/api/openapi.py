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
