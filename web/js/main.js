// The chat page: actions, the handlers for server frames, and the page's own
// controls (keyboard, theme, notifications). See docs/protocol.md.

import { COMMANDS, runCommand } from "./commands.js";
import { Connection } from "./connection.js";
import { setUpRecovery } from "./recovery.js";
import { plainText } from "./text.js";
import { $, conversation, fold, isRoom, remember, state } from "./state.js";
import {
  MAX_LINES, isMention, lineElement, renderConversations, renderDirectory, renderHeader, renderMembers,
  renderMessages, setStatus,
} from "./views.js";

const wsUrl = new URL("ws", location.href);
wsUrl.protocol = location.protocol === "https:" ? "wss:" : "ws:";
const conn = new Connection(wsUrl.href);

// -- conversations ------------------------------------------------------------

function addLine(conv, line) {
  // A message can reach us twice (live, and in the history of a rejoin or a recovery): once is shown.
  if (line.id && conv.lines.some((l) => l.id === line.id)) return;
  conv.lines.push(line);
  if (conv.lines.length > MAX_LINES) conv.lines.splice(0, conv.lines.length - MAX_LINES);
  if (state.active === conv.key && !document.hidden) {
    const list = $("messages");
    const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    list.append(lineElement(line));
    while (list.children.length > MAX_LINES) list.firstChild.remove();
    if (atBottom) list.scrollTop = list.scrollHeight;
    if (line.id) markRead(conv);
  } else if (line.kind !== "event" && line.kind !== "info" && !line.mine) {
    conv.unread += 1;
    if (line.mention) conv.mentions += 1;
    renderConversations();
  }
}

const event = (conv, text, time = Date.now() / 1000) => addLine(conv, { kind: "event", text, time });

function info(lines) {
  const conv = state.conversations.get(state.active);
  if (conv) for (const text of lines) addLine(conv, { kind: "info", text, time: Date.now() / 1000 });
}

function showError(text) {
  const conv = state.conversations.get(state.active);
  if (conv) addLine(conv, { kind: "error", text, time: Date.now() / 1000 });
  else $("login-error").textContent = text;
}

function activate(key) {
  const conv = state.conversations.get(key);
  if (!conv) return;
  if (conv.kicked) { join(conv.name); return; }
  state.active = key;
  conv.unread = 0;
  conv.mentions = 0;
  renderHeader(conv);
  renderMessages(conv);
  renderMembers();
  if (!conv.room && !conv.lines.length) loadOlder(conv);
  markRead(conv);
  $("chat").classList.remove("menu-open", "members-open");
  $("message-input").focus();
}

// Tell the server (and so this person's other devices and protocols) how far they have read.
function markRead(conv) {
  const last = [...conv.lines].reverse().find((l) => l.id);
  if (!last || (conv.read !== null && last.time <= conv.read) || !conv.joined && conv.room) return;
  conn.send({ type: "read", ...(conv.room ? { room: conv.name } : { with: conv.name }), time: last.time });
}

function open(nick) {
  if (!isRoom(nick)) activate(conversation(nick).key);
}

async function join(name, key) {
  if (!isRoom(name)) name = `#${name}`;
  try {
    // Back after a drop: ask for everything after the last message seen here (recovery).
    const known = state.conversations.get(fold(name));
    const since = known && lastSeen(known);
    const joined = await conn.request({ type: "join", room: name, ...(key ? { key } : {}), ...(since ? { since } : {}) });
    state.rooms.add(joined.room);
    remember();
    activate(fold(joined.room));
  } catch (error) {
    showError(error.message);
  }
}

function part(conv) {
  if (!conv) return;
  if (conv.room && !conv.kicked) conn.send({ type: "part", room: conv.name });
  state.rooms.delete(conv.name);
  state.dms.delete(conv.name);
  remember();
  forget(conv);
}

function forget(conv) {
  state.conversations.delete(conv.key);
  if (state.active === conv.key) {
    state.active = null;
    const next = state.conversations.keys().next();
    if (!next.done) activate(next.value);
    else { $("messages").replaceChildren(); renderHeader(null); renderMembers(); }
  }
  renderConversations();
}

// A ban or mute names a person by account when they have one (a new nick or address will not
// get them back in), else by nick; anything that already looks like a mask is taken as it is.
function maskOf(who) {
  if (/[!@:*?]/.test(who)) return who;
  const conv = state.conversations.get(state.active);
  const member = conv && conv.members.get(fold(who));
  return member && member.account ? `a:${member.account}` : `${who}!*@*`;
}

function signedIn(frame) {
  state.account = frame.account;
  localStorage.setItem("chatd.token", frame.token); // a reload signs in again without the password
  $("me-nick").textContent = `${state.me || ""} ✓`;
  $("me-nick").title = `signed in as ${frame.account}`;
  info([`You are signed in as ${frame.account}.`]);
}

function signedOut() {
  state.account = null;
  localStorage.removeItem("chatd.token");
  $("me-nick").textContent = state.me || "";
  $("me-nick").title = "";
  info(["You are signed out."]);
}

// Signed in or out by a message to NickServ (frames without a request id; our own requests' answers
// are handled where they were asked).
conn.addEventListener("logged_in", (e) => { if (e.detail.id === undefined) signedIn(e.detail); });
conn.addEventListener("logged_out", (e) => { if (e.detail.id === undefined) signedOut(); });

// Before hello: sign in with the saved session token, or with the password just typed (or sign up).
async function signIn() {
  const token = localStorage.getItem("chatd.token");
  if (token) {
    try {
      const frame = await conn.request({ type: "login", token });
      state.account = frame.account;
      localStorage.setItem("chatd.token", frame.token);
      return;
    } catch {
      localStorage.removeItem("chatd.token"); // expired or revoked: carry on as a guest, or with the password
    }
  }
  if (!state.password) return;
  const password = state.password;
  state.password = null; // kept no longer than it takes to send it
  const frame = await conn.request(state.signup
    ? { type: "register", name: state.wantedNick, password }
    : { type: "login", name: state.wantedNick, password });
  state.account = frame.account;
  localStorage.setItem("chatd.token", frame.token);
}

async function say(text) {
  const conv = state.conversations.get(state.active);
  if (text.startsWith("/") && !text.startsWith("//")) {
    try {
      await runCommand(text, { conn, conv, join, part, open, info, search, highlight, maskOf, signedIn, signedOut });
    } catch (error) {
      showError(error.message);
    }
    return;
  }
  if (text.startsWith("//")) text = text.slice(1);
  if (!conv) return showError("Join a room first.");
  const frame = { type: "msg", to: conv.name, text };
  if (state.replyTo) frame.reply_to = state.replyTo.id;
  setReply(null);
  typing(conv, "done");
  try {
    await conn.request(frame);
  } catch (error) {
    showError(error.message);
  }
}

function highlight(words) {
  if (words.length) { state.highlights = words; remember(); }
  info([`Highlighted: your nick${state.highlights.length ? ", " + state.highlights.join(", ") : ""}`]);
}

function setReply(line) {
  state.replyTo = line;
  $("replying").hidden = !line;
  if (line) $("replying").querySelector("span").textContent = `Replying to ${line.from}: ${plainText(line.text).slice(0, 80)}`;
}

// -- typing notices: sent while typing (at most every 3 s), shown for 6 s ---------------

let lastTyping = 0;
function typing(conv, stateName) {
  if (!conv || conv.kicked) return;
  const now = Date.now();
  if (stateName === "active" && now - lastTyping < 3000) return;
  lastTyping = stateName === "active" ? now : 0;
  conn.send({ type: "typing", to: conv.name, state: stateName });
}

const typists = new Map(); // folded conversation -> Map(nick -> timer)
function showTyping() {
  const who = [...(typists.get(state.active)?.keys() || [])];
  $("typing").textContent = who.length ? `${who.join(", ")} ${who.length > 1 ? "are" : "is"} typing…` : "";
}

// -- history and search ----------------------------------------------------------

function mergeHistory(conv, frames, older) {
  const known = new Set(conv.lines.filter((l) => l.id).map((l) => l.id));
  const fresh = frames.filter((m) => !known.has(m.id)).map((m) => toLine(m));
  if (!fresh.length) return 0;
  conv.lines = [...fresh, ...conv.lines].sort((a, b) => (a.time - b.time) || String(a.id || "").localeCompare(String(b.id || "")));
  if (older !== undefined) conv.more = older;
  if (state.active === conv.key) {
    const list = $("messages");
    const fromBottom = list.scrollHeight - list.scrollTop;
    renderMessages(conv);
    list.scrollTop = older === undefined ? list.scrollHeight : list.scrollHeight - fromBottom;
  }
  return fresh.length;
}

const lastSeen = (conv) => [...conv.lines].reverse().find((l) => l.id && l.kind !== "event")?.id;

// Messages recovered after a drop; when the server could not fill the whole gap, a divider says so.
function recovered(conv, frames, complete) {
  mergeHistory(conv, frames);
  if (complete !== false) return;
  const first = frames.length ? Math.min(...frames.map((m) => m.time)) : Date.now() / 1000;
  conv.lines.push({ kind: "event", text: "Some messages may be missing here", time: first - 0.0005, gap: true });
  conv.lines.sort((a, b) => a.time - b.time);
  if (state.active === conv.key) renderMessages(conv);
}

async function catchUp(conv) {
  const after = lastSeen(conv);
  if (!after) return loadOlder(conv);
  try {
    const page = await conn.request({ type: "history", with: conv.name, after, limit: 200 });
    recovered(conv, page.messages, page.recovered);
  } catch {
    // History is off, or the socket dropped again: the next reconnect tries again.
  }
}

async function loadOlder(conv) {
  if (!conv || conv.loading || conv.more === false) return;
  const oldest = conv.lines.find((l) => l.id);
  conv.loading = true;
  try {
    const frame = { type: "history", limit: 100, ...(conv.room ? { room: conv.name } : { with: conv.name }) };
    if (oldest) frame.before = oldest.id;
    const page = await conn.request(frame);
    mergeHistory(conv, page.messages, page.more);
    if (!page.messages.length) conv.more = false;
  } catch {
    conv.more = false;
  } finally {
    conv.loading = false;
  }
}

async function search(query) {
  const list = $("search-results");
  list.replaceChildren();
  const found = await conn.request({ type: "search", query });
  if (!found.results.length) {
    const none = document.createElement("li");
    none.textContent = "Nothing found.";
    list.append(none);
  }
  for (const m of found.results) {
    const peer = m.room || (fold(m.from) === fold(state.me) ? m.to : m.from);
    const li = lineElement(toLine(m));
    li.prepend(Object.assign(document.createElement("span"), { className: "where", textContent: m.room || `@${peer}` }));
    li.addEventListener("click", () => activate(conversation(peer).key));
    list.append(li);
  }
}

function toLine(m) {
  const mine = fold(m.from) === fold(state.me || "");
  const quoted = m.reply_to && findLine(m.reply_to);
  return { kind: m.kind, id: m.id, time: m.time, from: m.from, text: m.text, mine,
           mention: !mine && isMention(m.text), replyTo: quoted ? `${quoted.from}: ${plainText(quoted.text).slice(0, 60)}` : null };
}

function findLine(id) {
  for (const conv of state.conversations.values()) {
    const line = conv.lines.find((l) => l.id === id);
    if (line) return line;
  }
  return null;
}

// -- notifications: asked for on a click, shown for mentions while you look elsewhere -----

function notify(conv, line) {
  if (localStorage.getItem("chatd.sound") === "on") beep();
  if (!("Notification" in window) || Notification.permission !== "granted") return;
  if (!document.hidden && state.active === conv.key) return;
  const note = new Notification(`${line.from} in ${conv.room ? conv.name : "a private message"}`,
                                { body: plainText(line.text).slice(0, 200), tag: conv.key });
  note.onclick = () => { window.focus(); activate(conv.key); };
}

// A short, quiet tone (no sound file to fetch), played only when the person turned sound on.
function beep() {
  try {
    const audio = new AudioContext();
    const tone = audio.createOscillator();
    const gain = audio.createGain();
    tone.frequency.value = 880;
    gain.gain.value = 0.05;
    tone.connect(gain).connect(audio.destination);
    tone.start();
    tone.stop(audio.currentTime + 0.12);
    window.__beeps = (window.__beeps || 0) + 1;
  } catch { /* no audio here: the highlight and the count still show */ }
}

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
      $("login-error").textContent = error.message;
      $("chat").hidden = true;
      $("login").hidden = false;
      return;
    }
    state.wantedNick = `${state.wantedNick.slice(0, 29)}_`; // our old session may still hold the nick
    conn.socket?.close();
  }
});

conn.addEventListener("welcome", async (e) => {
  state.me = e.detail.nick;
  remember();
  $("me-nick").textContent = state.account ? `${state.me} ✓` : state.me;
  $("me-nick").title = state.account ? `signed in as ${state.account}` : "";
  $("login").hidden = true;
  $("chat").hidden = false;
  const first = !state.welcomed;
  state.welcomed = true;
  for (const conv of state.conversations.values()) if (conv.room) conv.joined = false;
  for (const room of state.rooms) await join(room);
  for (const nick of state.dms) catchUp(conversation(nick));
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
  addLine(conv, line);
  if (line.mention) notify(conv, line);
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

conn.addEventListener("redact", (e) => {
  const r = e.detail;
  const peer = r.room || (fold(r.by) === fold(state.me) ? r.to : r.by);
  const conv = conversation(peer, false);
  if (!conv) return;
  conv.lines = conv.lines.filter((line) => line.id !== r.msgid);
  if (state.active === conv.key) {
    for (const li of $("messages").querySelectorAll("li[data-id]")) if (li.dataset.id === r.msgid) li.remove();
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

// -- page wiring -------------------------------------------------------------------

function refreshDirectory() {
  conn.request({ type: "list" }).then((frame) => renderDirectory(frame.rooms)).catch(() => {});
}

function login(nick, room, password = "", signup = false) {
  $("login-error").textContent = "";
  state.wantedNick = nick;
  state.password = password || null;
  state.signup = signup;
  if (room) { state.rooms.add(isRoom(room) ? room : `#${room}`); remember(); }
  conn.stopped = false;
  if (conn.socket) conn.socket.close();
  conn.connect();
}

$("login-form").addEventListener("submit", (e) => {
  e.preventDefault();
  login($("nick-input").value.trim(), $("room-input").value.trim(), $("password-input").value);
  $("password-input").value = "";
});
$("signup-button").addEventListener("click", () => {
  if (!$("login-form").reportValidity()) return;
  if ($("password-input").value.length < 8) {
    $("login-error").textContent = "Choose a password of at least 8 characters to create an account.";
    return;
  }
  login($("nick-input").value.trim(), $("room-input").value.trim(), $("password-input").value, true);
  $("password-input").value = "";
});

$("send-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const input = $("message-input");
  const text = input.value.trim();
  if (!text) return;
  input.value = "";
  for (const line of text.split("\n")) if (line.trim()) say(line);
});

$("message-input").addEventListener("input", () => {
  if ($("message-input").value && !$("message-input").value.startsWith("/")) typing(state.conversations.get(state.active), "active");
});

$("message-input").addEventListener("keydown", (e) => {
  if (e.key !== "Tab") return;
  const input = e.target;
  const conv = state.conversations.get(state.active);
  const before = input.value.slice(0, input.selectionStart);
  const word = before.match(/(\S+)$/)?.[1];
  if (!conv || !word) return;
  const match = [...conv.members.values()].map((m) => m.nick).find((n) => fold(n).startsWith(fold(word)));
  if (!match) return;
  e.preventDefault();
  const completed = before.slice(0, before.length - word.length) + match + (before.length === word.length ? ": " : " ");
  input.value = completed + input.value.slice(input.selectionStart);
  input.setSelectionRange(completed.length, completed.length);
});

document.addEventListener("keydown", (e) => {
  if (e.altKey && (e.key === "ArrowUp" || e.key === "ArrowDown")) {
    const keys = [...state.conversations.keys()];
    const at = keys.indexOf(state.active);
    const next = keys[(at + (e.key === "ArrowUp" ? -1 : 1) + keys.length) % keys.length];
    if (next) { e.preventDefault(); activate(next); }
  } else if (e.key === "Escape") {
    const conv = state.conversations.get(state.active);
    if (!conv) return;
    setReply(null);
    markRead(conv);
    conv.read = Math.max(conv.read ?? 0, ...conv.lines.filter((l) => l.id).map((l) => l.time));
    renderMessages(conv);
  }
});

$("messages").addEventListener("click", (e) => {
  const id = e.target.dataset?.reply;
  if (id) { setReply(findLine(id)); $("message-input").focus(); }
});
$("cancel-reply").addEventListener("click", () => setReply(null));
$("join-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const input = $("join-input");
  if (input.value.trim()) join(input.value.trim());
  input.value = "";
});
$("conversations").addEventListener("click", (e) => {
  const li = e.target.closest("li[data-key]");
  if (li) activate(li.dataset.key);
});
// A member's menu: what you may do with them (the server refuses what you may not).
$("member-list").addEventListener("click", (e) => {
  const li = e.target.closest("li[data-nick]");
  const menu = $("member-menu");
  if (!li || fold(li.dataset.nick) === fold(state.me)) { menu.hidden = true; return; }
  menu.dataset.nick = li.dataset.nick;
  menu.querySelector("strong").textContent = li.dataset.nick;
  menu.hidden = false;
});
$("member-menu").addEventListener("click", (e) => {
  const act = e.target.dataset?.act;
  const nick = $("member-menu").dataset.nick;
  if (!act || !nick) return;
  $("member-menu").hidden = true;
  if (act === "message") open(nick);
  else say(`/${act} ${nick}`);
});
$("room-directory").addEventListener("click", (e) => {
  const li = e.target.closest("li[data-room]");
  if (li) join(li.dataset.room);
});
$("search-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const query = $("search-input").value.trim();
  if (query) search(query).catch((error) => showError(error.message));
});
$("messages").addEventListener("scroll", () => {
  if ($("messages").scrollTop < 40) loadOlder(state.conversations.get(state.active));
});
document.addEventListener("visibilitychange", () => {
  const conv = state.conversations.get(state.active);
  // Back on the page: it counts as read, but the divider stays where you left off until you move on.
  if (!document.hidden && conv) { conv.unread = conv.mentions = 0; renderConversations(); markRead(conv); }
});
$("part").addEventListener("click", () => part(state.conversations.get(state.active)));
$("refresh-rooms").addEventListener("click", refreshDirectory);
$("menu").addEventListener("click", () => $("chat").classList.toggle("menu-open"));
$("people").addEventListener("click", () => $("chat").classList.toggle("members-open"));
$("notify").addEventListener("click", async () => {
  if (!("Notification" in window)) return showError("This browser cannot show notifications.");
  const answer = await Notification.requestPermission();
  $("notify").textContent = answer === "granted" ? "Notifications on" : "Notifications off";
});

function showSound() {
  $("sound").textContent = `Sound: ${localStorage.getItem("chatd.sound") === "on" ? "on" : "off"}`;
}
$("sound").addEventListener("click", () => {
  localStorage.setItem("chatd.sound", localStorage.getItem("chatd.sound") === "on" ? "off" : "on");
  showSound();
});
showSound();

const THEMES = ["auto", "dark", "light"];
function applyTheme(theme) {
  if (theme === "auto") delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = theme;
  $("theme").textContent = `Theme: ${theme}`;
  localStorage.setItem("chatd.theme", theme);
}
$("theme").addEventListener("click", () => {
  const now = localStorage.getItem("chatd.theme") || "auto";
  applyTheme(THEMES[(THEMES.indexOf(now) + 1) % THEMES.length]);
});
applyTheme(localStorage.getItem("chatd.theme") || "auto");

$("message-input").placeholder = `Message, or /${Object.keys(COMMANDS).slice(0, 6).join(" /")} … (/help)`;
setInterval(() => { if (state.welcomed && conn.socket) refreshDirectory(); }, 30000);
const resetting = setUpRecovery(wsUrl.href); // a reset link shows its form instead of signing in
if (state.wantedNick && !resetting) { // a reload: same nick, same rooms and conversations
  $("nick-input").value = state.wantedNick;
  login(state.wantedNick, "");
}
