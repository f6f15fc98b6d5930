"""Help text for every IRC command chatd understands (HELP / HELPOP)."""

from __future__ import annotations

INDEX = [
    "chatd understands these commands; HELP <command> tells more about one.",
    "Rooms are IRC channels; people on telnet and in browsers are in them too.",
]

HELP: dict[str, list[str]] = {
    "AWAY": ["AWAY [:<message>]", "Marks you away with a message, or back without one."],
    "CAP": ["CAP LS [302] | LIST | REQ :<caps> | END", "Negotiates IRCv3 capabilities; CAP LS lists them."],
    "CHATHISTORY": ["CHATHISTORY LATEST|BEFORE|AFTER|AROUND|BETWEEN <target> <ref>... <limit>",
                    "CHATHISTORY TARGETS <timestamp> <timestamp> <limit>",
                    "Pages through stored messages (draft/chathistory); refs are msgid=... or timestamp=..."],
    "HELP": ["HELP [<command>]", "Shows the list of commands, or help on one. HELPOP is the same."],
    "INFO": ["INFO", "Tells what this server is."],
    "INVITE": ["INVITE <nick> <#room>", "Invites someone into a room (needed for +i rooms)."],
    "ISON": ["ISON <nick> [<nick>...]", "Tells which of the nicks are online."],
    "JOIN": ["JOIN <#room>[,<#room>...] [<key>[,<key>...]]",
             "Enters rooms, creating them if needed. JOIN 0 leaves all."],
    "KICK": ["KICK <#room> <nick>[,<nick>...] [:<reason>]", "Removes someone from a room (room operators)."],
    "LIST": ["LIST [<#room>,...] | LIST <conditions>",
             "Lists rooms. Conditions, comma-separated: >N or <N users, C>M or C<M minutes since creation,",
             "T>M or T<M minutes since the topic changed, a mask like *chat*, or !mask to exclude."],
    "LUSERS": ["LUSERS", "Counts users, rooms and connections."],
    "MODE": ["MODE <#room> [<modes> [<params>]] | MODE <nick> [<modes>]",
             "Room modes: i (invite only), k <key>, l <limit>, m (moderated), n (no outside messages),",
             "t (topic by operators), o <nick> (operator), v <nick> (voice). MODE <#room> +b lists bans.",
             "Your own modes: i (invisible to strangers in WHO), w (wallops), B (you are a bot)."],
    "MOTD": ["MOTD", "Shows the message of the day."],
    "NAMES": ["NAMES <#room>[,<#room>...]", "Lists who is in a room."],
    "NICK": ["NICK <nick>", "Picks or changes your nick."],
    "NOTICE": ["NOTICE <target> :<text>", "Like PRIVMSG, but never answered automatically."],
    "PART": ["PART <#room>[,<#room>...] [:<reason>]", "Leaves rooms."],
    "PASS": ["PASS <password>", "The server password, before NICK and USER, when the server has one."],
    "PING": ["PING <token>", "The server answers PONG with the same token."],
    "PONG": ["PONG <token>", "The answer to the server's PING."],
    "PRIVMSG": ["PRIVMSG <#room|nick>[,<target>...] :<text>", "Sends a message to a room or a person."],
    "QUIT": ["QUIT [:<reason>]", "Leaves the chat."],
    "TIME": ["TIME", "Tells the server's time."],
    "TOPIC": ["TOPIC <#room> [:<topic>]", "Shows or sets a room's topic."],
    "USER": ["USER <username> 0 * :<real name>", "Part of registering; the real name may not be empty."],
    "USERHOST": ["USERHOST <nick> [<nick>...]", "Tells the user and host of up to five nicks."],
    "WHO": ["WHO <#room|mask> [%<fields>[,<token>]]",
            "Lists people in a room, or matching a mask (* and ?); invisible people only if you share a room.",
            "With %fields (WHOX) the answer is 354 with just those fields: t c u i h s n f d l a o r."],
    "WHOIS": ["WHOIS <nick>", "Tells about someone: real name, rooms, server, idle time."],
    "WHOWAS": ["WHOWAS <nick> [<count>]", "Tells who last used a nick that is gone now."],
}
HELP["HELPOP"] = HELP["HELP"]
