// The chat page: state per conversation (rooms and direct messages), the
// DOM views, and the handlers for server frames. See docs/protocol.md.

import { Connection } from "./connection.js";
import { clock, plainText, renderText } from "./text.js";

const $ = (id) => document.getElementById(id);
const UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ[]\\~";
const LOWER = "abcdefghijklmnopqrstuvwxyz{}|^";
const fold = (name) => [...name].map((c) => { const i = UPPER.indexOf(c); return i < 0 ? c : LOWER[i]; }).join("");
const isRoom = (name) => name.startsWith("#");
const MAX_LINES = 1000;

const state = {
  me: null,
  wantedNick: null,
  welcomed: false,
  conversations: new Map(), // folded name -> conversation
  active: null,
  rooms: new Set(JSON.parse(localStorage.getItem("chatd.rooms") || "[]")),
};

const wsUrl = new URL("ws", location.href);
wsUrl.protocol = location.protocol === "https:" ? "wss:" : "ws:";
const conn = new Connection(wsUrl.href);

function saveRooms() {
  localStorage.setItem("chatd.rooms", JSON.stringify([...state.rooms]));
}

function conversation(name, create = true) {
  const key = fold(name);
  let conv = state.conversations.get(key);
  if (!conv && create) {
    conv = { name, key, room: isRoom(name), lines: [], members: new Map(), topic: "", unread: 0, joined: false };
    state.conversations.set(key, conv);
    renderConversations();
  }
  return conv;
}

// -- views ------------------------------------------------------------------

function lineElement(line) {
  const li = document.createElement("li");
  li.className = line.kind;
  if (line.id) li.dataset.id = line.id;
  const time = document.createElement("span");
  time.className = "time";
  time.textContent = clock(line.time);
  li.append(time);
  if (line.kind === "event" || line.kind === "error") {
    const text = document.createElement("span");
    text.className = "event";
    text.textContent = line.text;
    li.append(text);
    return li;
  }
  const nick = document.createElement("span");
  nick.className = "nick";
  nick.textContent = line.kind === "action" ? `* ${line.from}` : line.kind === "notice" ? `-${line.from}-` : line.from;
  const text = document.createElement("span");
  text.className = "text";
  text.append(renderText(line.text));
  li.append(nick, text);
  return li;
}

function addLine(conv, line) {
  conv.lines.push(line);
  if (conv.lines.length > MAX_LINES) conv.lines.splice(0, conv.lines.length - MAX_LINES);
  if (state.active === conv.key) {
    const list = $("messages");
    const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    list.append(lineElement(line));
    while (list.children.length > MAX_LINES) list.firstChild.remove();
    if (atBottom) list.scrollTop = list.scrollHeight;
  } else if (line.kind !== "event") {
    conv.unread += 1;
    renderConversations();
  }
}

function event(conv, text, time = Date.now() / 1000) {
  addLine(conv, { kind: "event", text, time });
}

function renderConversations() {
  const list = $("conversations");
  list.replaceChildren();
  for (const conv of state.conversations.values()) {
    const li = document.createElement("li");
    li.dataset.key = conv.key;
    if (conv.key === state.active) li.classList.add("active");
    const name = document.createElement("span");
    name.textContent = conv.room ? conv.name : `@${conv.name}`;
    li.append(name);
    if (conv.room) {
      const count = document.createElement("span");
      count.className = "count";
      count.textContent = conv.members.size;
      li.append(count);
    }
    if (conv.unread) {
      const badge = document.createElement("span");
      badge.className = "unread";
      badge.textContent = conv.unread;
      li.append(badge);
    }
    li.addEventListener("click", () => activate(conv.key));
    list.append(li);
  }
  const unread = [...state.conversations.values()].reduce((n, c) => n + c.unread, 0);
  document.title = unread ? `(${unread}) chatd` : "chatd";
}

function renderMembers() {
  const conv = state.conversations.get(state.active);
  const list = $("member-list");
  list.replaceChildren();
  if (!conv || !conv.room) return;
  const members = [...conv.members.values()].sort((a, b) => (b.op - a.op) || (b.voice - a.voice) || a.nick.localeCompare(b.nick));
  for (const member of members) {
    const li = document.createElement("li");
    li.dataset.nick = member.nick;
    li.textContent = (member.op ? "@" : member.voice ? "+" : "") + member.nick;
    const badge = document.createElement("span");
    badge.className = "badge";
    badge.textContent = member.protocol;
    li.append(badge);
    if (member.away) li.title = `away: ${member.away}`;
    li.addEventListener("click", () => { if (fold(member.nick) !== fold(state.me)) activate(conversation(member.nick).key); });
    list.append(li);
  }
  renderConversations();
}

function activate(key) {
  const conv = state.conversations.get(key);
  if (!conv) return;
  state.active = key;
  conv.unread = 0;
  $("conversation-name").textContent = conv.room ? conv.name : `@${conv.name}`;
  $("topic").textContent = plainText(conv.topic);
  $("part").hidden = !conv.room;
  $("members").hidden = !conv.room;
  const list = $("messages");
  list.replaceChildren(...conv.lines.map(lineElement));
  list.scrollTop = list.scrollHeight;
  renderMembers();
  if (!conv.room && !conv.lines.length) loadOlder(conv);
  $("chat").classList.remove("menu-open");
  $("message-input").focus();
}

function renderDirectory(rooms) {
  const list = $("room-directory");
  list.replaceChildren();
  for (const room of rooms) {
    const li = document.createElement("li");
    li.dataset.room = room.name;
    const name = document.createElement("span");
    name.textContent = room.name;
    name.title = room.topic;
    const count = document.createElement("span");
    count.className = "count";
    count.textContent = room.members;
    li.append(name, count);
    li.addEventListener("click", () => join(room.name));
    list.append(li);
  }
}

function setStatus({ state: s, retryIn }) {
  const status = $("status");
  status.dataset.state = s;
  status.textContent = s === "online" ? "online" : s === "connecting" ? "connecting…" : `offline, retrying in ${Math.ceil(retryIn / 1000)} s`;
}

// -- actions ----------------------------------------------------------------

async function join(name) {
  if (!isRoom(name)) name = `#${name}`;
  try {
    const joined = await conn.request({ type: "join", room: name });
    state.rooms.add(joined.room);
    saveRooms();
    activate(fold(joined.room));
  } catch (error) {
    showError(error.message);
  }
}

function showError(text) {
  const conv = state.conversations.get(state.active);
  if (conv) addLine(conv, { kind: "error", text, time: Date.now() / 1000 });
  else $("login-error").textContent = text;
}

async function say(text) {
  const conv = state.conversations.get(state.active);
  if (text.startsWith("/") && !text.startsWith("//")) return command(text, conv);
  if (text.startsWith("//")) text = text.slice(1);
  if (!conv) return showError("Join a room first.");
  try {
    await conn.request({ type: "msg", to: conv.name, text });
  } catch (error) {
    showError(error.message);
  }
}

async function command(text, conv) {
  const [verb, ...words] = text.slice(1).split(" ");
  const rest = words.join(" ").trim();
  try {
    switch (verb.toLowerCase()) {
      case "join": return rest ? join(rest.split(" ")[0]) : showError("Usage: /join #room");
      case "part": return part(conv);
      case "me": return conv && rest && conn.request({ type: "msg", to: conv.name, text: rest, kind: "action" });
      case "msg": {
        const [to, ...body] = words;
        if (!to || !body.length) return showError("Usage: /msg nick text");
        await conn.request({ type: "msg", to, text: body.join(" ") });
        return isRoom(to) || activate(conversation(to).key);
      }
      case "nick": return rest ? conn.send({ type: "nick", nick: rest }) : showError("Usage: /nick newnick");
      case "topic": return conv && conn.send({ type: "topic", room: conv.name, topic: rest });
      case "away": return conn.request({ type: "away", message: rest });
      default: return showError(`Unknown command /${verb}`);
    }
  } catch (error) {
    showError(error.message);
  }
}

function part(conv) {
  if (!conv) return;
  if (conv.room) conn.send({ type: "part", room: conv.name });
  state.rooms.delete(conv.name);
  saveRooms();
  forget(conv);
}

function forget(conv) {
  state.conversations.delete(conv.key);
  if (state.active === conv.key) {
    state.active = null;
    const next = state.conversations.keys().next();
    if (!next.done) activate(next.value);
    else { $("messages").replaceChildren(); $("conversation-name").textContent = ""; $("topic").textContent = ""; renderMembers(); }
  }
  renderConversations();
}

function refreshDirectory() {
  conn.request({ type: "list" }).then((frame) => renderDirectory(frame.rooms)).catch(() => {});
}

// -- server frames ------------------------------------------------------------

conn.addEventListener("state", (e) => setStatus(e.detail));

conn.addEventListener("open", async () => {
  try {
    await conn.request({ type: "hello", nick: state.wantedNick });
  } catch (error) {
    if (!state.welcomed) {
      // First login: let the person pick another nick.
      conn.stopped = true;
      conn.socket?.close();
      $("login-error").textContent = error.message;
      $("chat").hidden = true;
      $("login").hidden = false;
      return;
    }
    // Reconnecting: our old session may still hold the nick for a moment.
    state.wantedNick = `${state.wantedNick.slice(0, 29)}_`;
    conn.socket?.close();
  }
});

conn.addEventListener("welcome", async (e) => {
  state.me = e.detail.nick;
  $("me-nick").textContent = state.me;
  $("login").hidden = true;
  $("chat").hidden = false;
  const first = !state.welcomed;
  state.welcomed = true;
  for (const conv of state.conversations.values()) if (conv.room) conv.joined = false;
  for (const room of state.rooms) await join(room);
  if (!first) for (const conv of state.conversations.values()) if (conv.room) event(conv, "reconnected");
  refreshDirectory();
});

// Stored messages join what is on screen: sorted by id, each once.
function mergeHistory(conv, frames, older) {
  const known = new Set(conv.lines.filter((l) => l.id).map((l) => l.id));
  const fresh = frames.filter((m) => !known.has(m.id)).map((m) => ({ kind: m.kind, id: m.id, time: m.time, from: m.from, text: m.text }));
  if (!fresh.length) return 0;
  conv.lines = [...fresh, ...conv.lines].sort((a, b) => (a.time - b.time) || String(a.id || "").localeCompare(String(b.id || "")));
  if (older !== undefined) conv.more = older;
  if (state.active === conv.key) {
    const list = $("messages");
    const fromBottom = list.scrollHeight - list.scrollTop;
    list.replaceChildren(...conv.lines.map(lineElement));
    list.scrollTop = older === undefined ? list.scrollHeight : list.scrollHeight - fromBottom;
  }
  return fresh.length;
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

conn.addEventListener("joined", (e) => {
  const frame = e.detail;
  const conv = conversation(frame.room);
  conv.name = frame.room;
  conv.joined = true;
  conv.topic = frame.topic;
  conv.members = new Map(frame.members.map((m) => [fold(m.nick), m]));
  if (frame.history && frame.history.length) mergeHistory(conv, frame.history);
  if (state.active === conv.key) { $("topic").textContent = plainText(conv.topic); }
  renderMembers();
});

conn.addEventListener("message", (e) => {
  const m = e.detail;
  const peer = m.room || (fold(m.from) === fold(state.me) ? m.to : m.from);
  const conv = conversation(peer);
  addLine(conv, { kind: m.kind, id: m.id, time: m.time, from: m.from, text: m.text });
});

conn.addEventListener("redact", (e) => {
  // A message removed by its sender or a room operator disappears here too.
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
    if (p.event === "join") {
      if (!me) { conv.members.set(fold(p.nick), { nick: p.nick, protocol: p.protocol, op: false, voice: false, away: null }); event(conv, `${p.nick} (${p.protocol}) joined`, p.time); }
    } else if (p.event === "part" || p.event === "kick") {
      conv.members.delete(fold(p.nick));
      const why = p.reason ? ` (${p.reason})` : "";
      event(conv, p.event === "kick" ? `${p.nick} was kicked by ${p.by}${why}` : `${p.nick} left${why}`, p.time);
      if (me) { state.rooms.delete(conv.name); saveRooms(); if (p.event === "kick") conv.joined = false; else forget(conv); }
    }
  } else {
    for (const conv of state.conversations.values()) {
      const key = fold(p.nick);
      const member = conv.members.get(key);
      if (p.event === "quit" && member) { conv.members.delete(key); event(conv, `${p.nick} quit (${p.reason})`, p.time); }
      if (p.event === "nick" && (member || me)) {
        if (member) { conv.members.delete(key); member.nick = p.new_nick; conv.members.set(fold(p.new_nick), member); }
        event(conv, `${p.nick} is now known as ${p.new_nick}`, p.time);
      }
      if (p.event === "away" && member) member.away = p.message;
    }
    if (p.event === "nick" && me) { state.me = p.new_nick; state.wantedNick = p.new_nick; $("me-nick").textContent = state.me; }
  }
  if (state.active) renderMembers();
});

conn.addEventListener("topic", (e) => {
  const t = e.detail;
  const conv = conversation(t.room, false);
  if (!conv) return;
  conv.topic = t.topic;
  if (t.by) event(conv, `${t.by} set the topic: ${t.topic}`, t.time);
  if (state.active === conv.key) $("topic").textContent = plainText(conv.topic);
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

// -- page wiring ----------------------------------------------------------------

$("login-form").addEventListener("submit", (e) => {
  e.preventDefault();
  $("login-error").textContent = "";
  state.wantedNick = $("nick-input").value.trim();
  const room = $("room-input").value.trim();
  if (room) state.rooms.add(isRoom(room) ? room : `#${room}`);
  conn.stopped = false;
  if (conn.socket) conn.socket.close();
  conn.connect();
});

$("send-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const input = $("message-input");
  const text = input.value.trim();
  if (!text) return;
  input.value = "";
  for (const line of text.split("\n")) if (line.trim()) say(line);
});

$("join-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const input = $("join-input");
  if (input.value.trim()) join(input.value.trim());
  input.value = "";
});

$("messages").addEventListener("scroll", () => {
  if ($("messages").scrollTop < 40) loadOlder(state.conversations.get(state.active));
});
$("part").addEventListener("click", () => part(state.conversations.get(state.active)));
$("refresh-rooms").addEventListener("click", refreshDirectory);
$("menu").addEventListener("click", () => $("chat").classList.toggle("menu-open"));
setInterval(() => { if (state.welcomed && conn.socket) refreshDirectory(); }, 30000);

// -- search: stored messages, only where you may read (the server decides) --------

$("search-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const query = $("search-input").value.trim();
  const list = $("search-results");
  list.replaceChildren();
  if (!query) return;
  try {
    const found = await conn.request({ type: "search", query });
    if (!found.results.length) {
      const none = document.createElement("li");
      none.textContent = "Nothing found.";
      list.append(none);
    }
    for (const m of found.results) {
      const li = document.createElement("li");
      const where = document.createElement("span");
      where.className = "where";
      const peer = m.room || (fold(m.from) === fold(state.me) ? m.to : m.from);
      where.textContent = `${m.room || "@" + peer} ${clock(m.time)} ${m.from}:`;
      li.append(where, renderText(m.text));
      li.addEventListener("click", () => activate(conversation(peer).key));
      list.append(li);
    }
  } catch (error) {
    showError(error.message);
  }
});
