// The server's frames (docs/protocol.md), each applied to the page's state and shown.

import { activate, catchUp, forget, join, notify, refreshDirectory, showTyping, signIn, signedIn, signedOut, typists } from "./actions.js";
import { conn } from "./link.js";
import { addLine, addReaction, event, mergeHistory, recovered, removeReaction, showError, toLine } from "./lines.js";
import { plainText } from "./text.js";
import { $, conversation, fold, remember, state } from "./state.js";
import { renderConversations, renderHeader, renderMembers, setStatus, shownLine } from "./views.js";
import { offerUploads } from "./upload.js";

// Signed in or out by a message to NickServ (frames without a request id; our own requests' answers
// are handled where they were asked).
conn.addEventListener("logged_in", (e) => { if (e.detail.id === undefined) signedIn(e.detail); });
conn.addEventListener("logged_out", (e) => { if (e.detail.id === undefined) signedOut(); });

// -- server frames ------------------------------------------------------------------

conn.addEventListener("state", (e) => setStatus(e.detail));

conn.addEventListener("open", async () => {
  try {
    await signIn();
    await conn.request({ type: "hello", nick: state.wantedNick });
  } catch (error) {
    if (!state.welcomed) {
      conn.stopped = true; // first login: let the person pick another nick
      conn.socket?.close();
      $("chat").hidden = true;
      $("login").hidden = false;
      if (error.code === "nick_reserved") { // a guest asking for an account's nick: say so, plainly
        $("login-error").textContent = `${state.wantedNick} is a registered account. Type its password to sign in, or choose another nick.`;
        $("password-input").focus();
      } else $("login-error").textContent = error.message;
      return;
    }
    state.wantedNick = `${state.wantedNick.slice(0, 29)}_`; // our old session may still hold the nick
    conn.socket?.close();
  }
});

conn.addEventListener("welcome", async (e) => {
  state.me = e.detail.nick;
  state.vapid = e.detail.vapid || null; // the server's Web Push key (js/push.js), null: no push
  offerUploads(e.detail.upload); // where files go (js/upload.js), null: this server takes none
  state.previews = Boolean(e.detail.previews); // link previews (js/previews.js)
  remember();
  $("me-nick").textContent = state.account ? `${state.me} ✓` : state.me;
  $("me-nick").title = state.account ? `signed in as ${state.account}` : "";
  $("login").hidden = true;
  $("chat").hidden = false;
  const first = !state.welcomed;
  state.welcomed = true;
  for (const conv of state.conversations.values()) if (conv.room) conv.joined = false;
  // Signed in on another device too: the rooms this person is in there are ours as well.
  for (const room of e.detail.rooms || []) state.rooms.add(room);
  const open = localStorage.getItem("chatd.active"); // the conversation open before a reload
  for (const room of state.rooms) await join(room);
  for (const nick of state.dms) catchUp(conversation(nick));
  if (first && open && state.conversations.has(fold(open))) activate(fold(open));
  const asked = /^#open=(.+)$/.exec(location.hash); // opened from a push notification (sw.js)
  if (first && asked) { history.replaceState(null, "", location.pathname); activate(conversation(decodeURIComponent(asked[1])).key); }
  renderConversations();
  if (!first) for (const conv of state.conversations.values()) if (conv.room) event(conv, "reconnected");
  refreshDirectory();
});

conn.addEventListener("joined", (e) => {
  const frame = e.detail;
  const conv = conversation(frame.room);
  Object.assign(conv, { name: frame.room, joined: true, kicked: false, topic: frame.topic, read: frame.read ?? null });
  conv.members = new Map(frame.members.map((m) => [fold(m.nick), m]));
  if ("recovered" in frame) recovered(conv, frame.history || [], frame.recovered);
  else if (frame.history && frame.history.length) mergeHistory(conv, frame.history);
  if (!state.rooms.has(frame.room)) { // joined on another device of ours
    state.rooms.add(frame.room);
    remember();
    renderConversations();
  }
  if (state.active === conv.key) renderHeader(conv);
  renderMembers();
});

conn.addEventListener("message", (e) => {
  const m = e.detail;
  const peer = m.room || (fold(m.from) === fold(state.me) ? m.to : m.from);
  const conv = conversation(peer);
  const line = toLine(m);
  typists.get(conv.key)?.delete(m.from);
  showTyping();
  const edit = line.edits && conv.lines.some((l) => l.id === line.edits);
  addLine(conv, line);
  if (line.mention && !edit) notify(conv, line);
});

conn.addEventListener("typing", (e) => {
  const t = e.detail;
  const key = fold(t.room || t.from);
  if (!typists.has(key)) typists.set(key, new Map());
  const map = typists.get(key);
  clearTimeout(map.get(t.from));
  if (t.state === "active") map.set(t.from, setTimeout(() => { map.delete(t.from); showTyping(); }, 6000));
  else map.delete(t.from);
  showTyping();
});

conn.addEventListener("read", (e) => {
  const r = e.detail;
  const conv = conversation(r.room || r.with, false);
  if (!conv) return;
  conv.read = r.time;
  if (state.active !== conv.key) { // read elsewhere: nothing left unread up to there
    conv.unread = conv.lines.filter((l) => l.id && !l.mine && l.time > r.time).length;
    conv.mentions = conv.lines.filter((l) => l.mention && l.time > r.time).length;
    renderConversations();
  }
});

conn.addEventListener("tagmsg", (e) => addReaction(e.detail));

conn.addEventListener("redact", (e) => {
  const r = e.detail;
  if (removeReaction(r.msgid)) return; // a reaction taken back
  const peer = r.room || (fold(r.by) === fold(state.me) ? r.to : r.by);
  const conv = conversation(peer, false);
  if (!conv) return;
  conv.lines = conv.lines.filter((line) => line.id !== r.msgid);
  if (state.active === conv.key) {
    shownLine(r.msgid)?.remove();
  }
  event(conv, `${r.by} removed a message${r.reason ? ` (${r.reason})` : ""}`, r.time);
});

conn.addEventListener("presence", (e) => {
  const p = e.detail;
  const me = fold(p.nick) === fold(state.me || "");
  if (p.room) {
    const conv = conversation(p.room, false);
    if (!conv) return;
    if (p.event === "join" && !me) {
      conv.members.set(fold(p.nick), { nick: p.nick, protocol: p.protocol, account: p.account || null, op: false,
                                       voice: false, away: null });
      event(conv, `${p.nick} (${p.protocol}) joined`, p.time);
    } else if (p.event === "part" || p.event === "kick") {
      conv.members.delete(fold(p.nick));
      const why = p.reason ? ` (${p.reason})` : "";
      event(conv, p.event === "kick" ? `${p.nick} was kicked by ${p.by}${why}` : `${p.nick} left${why}`, p.time);
      if (me && p.event === "kick") { conv.kicked = true; conv.joined = false; conv.members.clear(); }
      else if (me) { state.rooms.delete(conv.name); remember(); forget(conv); }
    }
  } else {
    for (const conv of state.conversations.values()) {
      const key = fold(p.nick);
      const member = conv.members.get(key);
      if (p.event === "quit" && member) { conv.members.delete(key); event(conv, `${p.nick} quit (${p.reason})`, p.time); }
      if (p.event === "account" && member) member.account = p.account || null; // signed in or out
      if (p.event === "nick" && (member || me)) {
        if (member) { conv.members.delete(key); member.nick = p.new_nick; conv.members.set(fold(p.new_nick), member); }
        event(conv, `${p.nick} is now known as ${p.new_nick}`, p.time);
      }
      if (p.event === "away" && member) member.away = p.message;
    }
    if (p.event === "nick" && me) { state.me = p.new_nick; state.wantedNick = p.new_nick; remember(); $("me-nick").textContent = state.me; }
  }
  if (state.active) renderMembers();
});

conn.addEventListener("topic", (e) => {
  const t = e.detail;
  const conv = conversation(t.room, false);
  if (!conv) return;
  conv.topic = t.topic;
  if (t.by) event(conv, `${t.by} set the topic: ${plainText(t.topic)}`, t.time);
  if (state.active === conv.key) renderHeader(conv);
});

conn.addEventListener("mode", (e) => {
  const m = e.detail;
  const conv = conversation(m.room, false);
  if (!conv) return;
  for (const [sign, letter, arg] of m.changes) {
    const member = arg && conv.members.get(fold(arg));
    if (member && (letter === "o" || letter === "v")) member[letter === "o" ? "op" : "voice"] = sign === "+";
  }
  event(conv, `${m.by} set mode ${m.changes.map(([s, l, a]) => s + l + (a ? " " + a : "")).join(" ")}`, m.time);
  renderMembers();
});

conn.addEventListener("invite", (e) => {
  const conv = state.conversations.get(state.active);
  if (conv) event(conv, `${e.detail.from} invites you to ${e.detail.room} (/join ${e.detail.room})`, e.detail.time);
});

conn.addEventListener("error", (e) => {
  if (e.detail && e.detail.id === undefined) showError(e.detail.message);
});

