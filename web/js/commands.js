// Slash commands typed in the message box. Each has a usage line for /help;
// room operator commands are the server's to allow or refuse (its error shows).

import { previewsOn, setPreviews } from "./previews.js";
import { disablePush, enablePush } from "./push.js";

export const COMMANDS = {
  help: ["/help", "the commands and keys (also F1)"],
  join: ["/join #room [key]", "join a room (it is created if needed)"],
  part: ["/part", "leave this room"],
  msg: ["/msg nick text", "send a private message"],
  me: ["/me action", "act in this conversation"],
  nick: ["/nick newnick", "change your nick"],
  topic: ["/topic text", "set this room's topic"],
  away: ["/away [message]", "mark yourself away (no message: back)"],
  whois: ["/whois nick", "who someone is"],
  invite: ["/invite nick", "invite someone into this room"],
  kick: ["/kick nick [reason]", "remove someone from this room (operators)"],
  op: ["/op nick", "make someone a room operator (operators)"],
  deop: ["/deop nick", "take operator status away (operators)"],
  voice: ["/voice nick", "let someone speak in a moderated room (operators)"],
  devoice: ["/devoice nick", "take voice away (operators)"],
  mode: ["/mode +i|-i|+m|+k key|...", "change this room's modes (operators)"],
  ban: ["/ban nick|mask", "keep someone out of this room (by account when they have one; operators)"],
  unban: ["/unban mask", "lift a ban (/mode +b lists them)"],
  mute: ["/mute nick|mask", "silence someone in this room (operators)"],
  unmute: ["/unmute mask", "lift a mute"],
  registerroom: ["/registerroom", "keep this room's modes, bans and operators under your account"],
  register: ["/register password", "make your nick an account (then sign in from anywhere)"],
  login: ["/login account password", "sign in to your account"],
  logout: ["/logout [everywhere]", "sign out: this browser's session ends (everywhere: every browser's)"],
  sessions: ["/sessions [end id]", "list the browsers signed in to your account, or end one"],
  password: ["/password current new", "change your password (every other browser signs in again)"],
  email: ["/email address|none", "set your account's e-mail address (a code to verify it is mailed)"],
  push: ["/push on|off|list", "notifications while this page is closed (signed in), or list where they go"],
  previews: ["/previews on|off", "show link previews under messages in this browser"],
  search: ["/search words", "find stored messages in your rooms and conversations"],
  highlight: ["/highlight word ...", "also highlight these words (no words: show them)"],
};

// Runs one command; ``api`` is what the page offers (connection, current conversation, ...).
export async function runCommand(text, api) {
  const [verb, ...words] = text.slice(1).split(" ");
  const rest = words.join(" ").trim();
  const { conn, conv } = api;
  const room = conv && conv.room ? conv.name : null;
  const needRoom = () => { if (!room) throw new Error("Use this in a room."); return room; };
  const needArg = (value, name) => { if (!value) throw new Error(`Usage: ${COMMANDS[name][0]}`); return value; };
  const setMode = (modes, args) => conn.request({ type: "mode", room: needRoom(), modes, args });
  switch (verb.toLowerCase()) {
    case "help":
      return document.dispatchEvent(new Event("chatd-help")); // the help panel (dialogs.js)
    case "join": return api.join(needArg(words[0], "join"), words[1]);
    case "part": return api.part(conv);
    case "me": return conn.request({ type: "msg", to: needArg(conv && conv.name, "me"), text: needArg(rest, "me"), kind: "action" });
    case "msg": {
      const [to, ...body] = words;
      needArg(to && body.length, "msg");
      await conn.request({ type: "msg", to, text: body.join(" ") });
      return api.open(to);
    }
    case "nick": return conn.send({ type: "nick", nick: needArg(rest, "nick") });
    case "topic": return conn.request({ type: "topic", room: needRoom(), topic: rest });
    case "away": return conn.request({ type: "away", message: rest });
    case "whois": {
      const w = await conn.request({ type: "whois", nick: needArg(words[0], "whois") });
      const idle = w.idle >= 60 ? `${Math.round(w.idle / 60)} min` : `${w.idle} s`;
      return api.info([`${w.nick} is ${w.user}@${w.host} (${w.realname}), on ${w.protocol}${w.bot ? ", a bot" : ""}`,
        w.account ? `${w.nick} is signed in as ${w.account}` : `${w.nick} is not signed in to an account`,
        `${w.nick} is in ${w.rooms.join(" ") || "no room you share"}; idle ${idle}${w.away ? `; away: ${w.away}` : ""}`,
        ...(w.address ? [`${w.nick} connects from ${w.address} (only you and server operators see this)`] : [])]);
    }
    case "invite": return conn.request({ type: "invite", nick: needArg(words[0], "invite"), room: needRoom() });
    case "kick": return conn.request({ type: "kick", room: needRoom(), nick: needArg(words[0], "kick"), reason: words.slice(1).join(" ") });
    case "op": return setMode("+o", [needArg(words[0], "op")]);
    case "deop": return setMode("-o", [needArg(words[0], "deop")]);
    case "voice": return setMode("+v", [needArg(words[0], "voice")]);
    case "devoice": return setMode("-v", [needArg(words[0], "devoice")]);
    case "mode": return setMode(needArg(words[0], "mode"), words.slice(1));
    case "ban": return setMode("+b", [api.maskOf(needArg(words[0], "ban"))]);
    case "unban": return setMode("-b", [needArg(words[0], "unban")]);
    case "mute": return setMode("+q", [api.maskOf(needArg(words[0], "mute"))]);
    case "unmute": return setMode("-q", [needArg(words[0], "unmute")]);
    case "registerroom": {
      const done = await conn.request({ type: "register_room", room: needRoom() });
      return api.info([`${done.room} is registered to ${done.founder}: its modes, bans and operators are kept.`]);
    }
    case "register": return api.signedIn(await conn.request({ type: "register", password: needArg(rest, "register") }));
    case "login": {
      needArg(words[0] && words[1], "login");
      return api.signedIn(await conn.request({ type: "login", name: words[0], password: words.slice(1).join(" ") }));
    }
    case "logout": await conn.request({ type: "logout", everywhere: rest === "everywhere" }); return api.signedOut();
    case "push": {
      if (words[0] === "off") { await disablePush(); return api.info(["Push notifications off on this browser."]); }
      if (words[0] === "on") {
        if ("Notification" in window && (await Notification.requestPermission()) !== "granted") {
          throw new Error("Notifications are blocked for this page in the browser's settings.");
        }
        return api.info([await enablePush()]);
      }
      const { subscriptions } = await conn.request({ type: "push_list" });
      return api.info(subscriptions.length
        ? ["Push notifications go to (/push off here stops this browser's):",
           ...subscriptions.map((s) => `  ${s.device || s.format} (${s.format}, since ${new Date(s.created * 1000).toLocaleString()})`)]
        : ["No push notifications set up: /push on in a browser, or WEBPUSH from an IRC client."]);
    }
    case "previews": {
      if (words[0] !== "on" && words[0] !== "off") throw new Error("Usage: /previews on|off");
      setPreviews(words[0] === "on");
      return api.info([`Link previews ${words[0]} in this browser${words[0] === "on" && !previewsOn() ? " (this server offers none)" : ""}.`]);
    }
    case "sessions": {
      if (words[0] === "end") {
        const done = await conn.request({ type: "end_session", session: needArg(words[1], "sessions") });
        return api.info([`Session ${done.session} ended: it signs in nowhere any more.`]);
      }
      const { sessions, devices } = await conn.request({ type: "sessions" });
      const when = (seconds) => new Date(seconds * 1000).toLocaleString();
      const connected = (devices || []).map((d) =>
        `${d.number}: ${d.protocol}${d.device ? ` (${d.device})` : ""} from ${d.address}, since ${when(d.since)}` +
        `${d.current ? "  (this one)" : ""}`);
      return api.info([
        "Connected now (/msg NickServ SESSIONS END <number> closes one):", ...connected,
        "Browsers signed in (/sessions end <id> signs one out for good):",
        ...(sessions.length ? sessions.map((s) =>
          `${s.id}  signed in ${when(s.created)}, until ${when(s.expires)}${s.current ? "  (this browser)" : ""}`)
          : ["none (a password sign-in from this one holds none yet)"])]);
    }
    case "password": {
      needArg(words.length === 2, "password");
      const done = await conn.request({ type: "set_password", current: words[0], password: words[1] });
      localStorage.setItem("chatd.token", done.token); // this browser's new session
      return api.info([`Password changed; ${done.revoked} saved session(s) ended (this browser stays signed in).`]);
    }
    case "email": {
      const done = await conn.request({ type: "set_email", email: needArg(rest, "email") === "none" ? "" : rest });
      return api.info([done.email ? `Your address is now ${done.email}; open the link in the mail sent to it to verify it.`
        : "Your account has no e-mail address now."]);
    }
    case "search": return api.search(needArg(rest, "search"));
    case "highlight": return api.highlight(words);
    default: throw new Error(`Unknown command /${verb}; /help lists them`);
  }
}
