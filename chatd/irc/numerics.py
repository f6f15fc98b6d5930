"""IRC numeric replies used by chatd, by their RFC 2812 / Modern IRC names."""

from __future__ import annotations

from ..core.errors import ChatError

RPL_WELCOME = "001"
RPL_YOURHOST = "002"
RPL_CREATED = "003"
RPL_MYINFO = "004"
RPL_ISUPPORT = "005"
RPL_VERSION = "351"
RPL_UMODEIS = "221"
RPL_LUSERCLIENT = "251"
RPL_LUSEROP = "252"
RPL_LUSERUNKNOWN = "253"
RPL_LUSERCHANNELS = "254"
RPL_LUSERME = "255"
RPL_LOCALUSERS = "265"
RPL_GLOBALUSERS = "266"
RPL_AWAY = "301"
RPL_USERHOST = "302"
RPL_ISON = "303"
RPL_UNAWAY = "305"
RPL_NOWAWAY = "306"
RPL_WHOWASUSER = "314"
RPL_WHOISUSER = "311"
RPL_WHOISSERVER = "312"
RPL_ENDOFWHO = "315"
RPL_WHOISIDLE = "317"
RPL_ENDOFWHOIS = "318"
RPL_WHOISCHANNELS = "319"
RPL_LISTSTART = "321"
RPL_LIST = "322"
RPL_LISTEND = "323"
RPL_CHANNELMODEIS = "324"
RPL_CREATIONTIME = "329"
RPL_NOTOPIC = "331"
RPL_TOPIC = "332"
RPL_TOPICWHOTIME = "333"
RPL_WHOISBOT = "335"
RPL_WHOISHOST = "378"  # "is connecting from": the real address, for operators and oneself
RPL_INVITING = "341"
RPL_ENDOFWHOWAS = "369"
RPL_INFO = "371"
RPL_ENDOFINFO = "374"
RPL_TIME = "391"
RPL_WHOSPCRPL = "354"
RPL_WHOREPLY = "352"
RPL_NAMREPLY = "353"
RPL_ENDOFNAMES = "366"
RPL_ENDOFBANLIST = "368"
RPL_MOTD = "372"
RPL_MOTDSTART = "375"
RPL_ENDOFMOTD = "376"
ERR_NOSUCHNICK = "401"
ERR_NOSUCHSERVER = "402"
ERR_NOSUCHCHANNEL = "403"
ERR_WASNOSUCHNICK = "406"
ERR_CANNOTSENDTOCHAN = "404"
ERR_TOOMANYCHANNELS = "405"
ERR_NORECIPIENT = "411"
ERR_NOTEXTTOSEND = "412"
ERR_INPUTTOOLONG = "417"
ERR_UNKNOWNCOMMAND = "421"
ERR_NOMOTD = "422"
ERR_NONICKNAMEGIVEN = "431"
ERR_ERRONEUSNICKNAME = "432"
ERR_NICKNAMEINUSE = "433"
ERR_USERNOTINCHANNEL = "441"
ERR_NOTONCHANNEL = "442"
ERR_USERONCHANNEL = "443"
ERR_NOTREGISTERED = "451"
ERR_NEEDMOREPARAMS = "461"
ERR_ALREADYREGISTERED = "462"
ERR_PASSWDMISMATCH = "464"
ERR_CHANNELISFULL = "471"
ERR_UNKNOWNMODE = "472"
ERR_INVITEONLYCHAN = "473"
ERR_BADCHANNELKEY = "475"
ERR_BADCHANMASK = "476"
ERR_CHANOPRIVSNEEDED = "482"
ERR_UMODEUNKNOWNFLAG = "501"
ERR_HELPNOTFOUND = "524"
ERR_INVALIDKEY = "525"
RPL_MONONLINE = "730"
RPL_MONOFFLINE = "731"
RPL_MONLIST = "732"
RPL_ENDOFMONLIST = "733"
ERR_MONLISTFULL = "734"
RPL_HELPSTART = "704"
RPL_HELPTXT = "705"
RPL_ENDOFHELP = "706"
ERR_USERSDONTMATCH = "502"
ERR_INVALIDCAPCMD = "410"
RPL_WHOISACCOUNT = "330"
RPL_WHOISOPERATOR = "313"
RPL_INVITELIST = "346"
RPL_ENDOFINVITELIST = "347"
RPL_EXCEPTLIST = "348"
RPL_ENDOFEXCEPTLIST = "349"
RPL_BANLIST = "367"
RPL_QUIETLIST = "728"
RPL_ENDOFQUIETLIST = "729"
RPL_YOUREOPER = "381"
RPL_REHASHING = "382"
ERR_YOUREBANNEDCREEP = "465"
ERR_BANLISTFULL = "478"
ERR_BANNEDFROMCHAN = "474"
ERR_BANONCHAN = "435"
ERR_NOPRIVILEGES = "481"
ERR_NICKLOCKED = "902"
RPL_LOGGEDIN = "900"
RPL_LOGGEDOUT = "901"
RPL_SASLSUCCESS = "903"
ERR_SASLFAIL = "904"
ERR_SASLTOOLONG = "905"
ERR_SASLABORTED = "906"
ERR_SASLALREADY = "907"
RPL_SASLMECHS = "908"

#: Core error codes -> the numeric and the IRC wording (channels, not rooms).
FOR_ERROR = {
    "nick_in_use": (ERR_NICKNAMEINUSE, "Nickname is already in use"),
    "too_many_devices": (ERR_NICKNAMEINUSE, "You are connected from too many places already; close one first"),
    "bad_nick": (ERR_ERRONEUSNICKNAME, "Erroneous nickname"),
    "no_such_nick": (ERR_NOSUCHNICK, "No such nick"),
    "no_such_room": (ERR_NOSUCHCHANNEL, "No such channel"),
    "bad_room_name": (ERR_BADCHANMASK, "Bad channel name"),
    "not_on_room": (ERR_NOTONCHANNEL, "You're not on that channel"),
    "not_operator": (ERR_CHANOPRIVSNEEDED, "You're not channel operator"),
    "user_not_in_room": (ERR_USERNOTINCHANNEL, "They aren't on that channel"),
    "user_on_room": (ERR_USERONCHANNEL, "is already on channel"),
    "room_full": (ERR_CHANNELISFULL, "Cannot join channel (+l)"),
    "invite_only": (ERR_INVITEONLYCHAN, "Cannot join channel (+i)"),
    "bad_key": (ERR_BADCHANNELKEY, "Cannot join channel (+k)"),
    "cannot_send": (ERR_CANNOTSENDTOCHAN, "Cannot send to channel"),
    "too_many_rooms": (ERR_TOOMANYCHANNELS, "You have joined too many channels"),
    "no_text": (ERR_NOTEXTTOSEND, "No text to send"),
    "unknown_mode": (ERR_UNKNOWNMODE, "is unknown mode char to me"),
    "already_registered": (ERR_ALREADYREGISTERED, "You may not reregister"),
    "invalid_key": (ERR_INVALIDKEY, "Key is not well-formed"),
    "nick_reserved": (ERR_NICKNAMEINUSE, "Nickname is registered to an account: log in to use it"),
    "banned": (ERR_BANNEDFROMCHAN, "Cannot join channel (+b)"),
    "banned_nick_change": (ERR_BANONCHAN, "Cannot change nickname while banned on channel"),
    "not_server_operator": (ERR_NOPRIVILEGES, "Permission Denied- You're not an IRC operator"),
    "server_banned": (ERR_YOUREBANNEDCREEP, "You are banned from this server"),
    "bad_login": (ERR_SASLFAIL, "SASL authentication failed"),
}


def wording(error: ChatError) -> str:
    """How IRC words a core error: the IRC documents' text, unless the refusal explains itself."""
    found = FOR_ERROR.get(error.code)
    if found is None or error.message != error.default_message:
        return error.message
    return found[1]
