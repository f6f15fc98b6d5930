// Conversation lines: adding one (once, however often it arrives), history merged in order,
// and how far this person has read. Rendering of a single line is views.js's.

import { conn } from "./link.js";
import { plainText } from "./text.js";
import { $, fold, state } from "./state.js";
import { MAX_LINES, isMention, lineElement, redrawLine, renderConversations, renderMessages } from "./views.js";

export function addLine(conv, line) {
  // A message can reach us twice (live, and in the history of a rejoin or a recovery): once is shown.
  if (line.id && conv.lines.some((l) => l.id === line.id)) return;
  if (line.edits && applyEdit(conv, line)) return;
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

export const event = (conv, text, time = Date.now() / 1000) => addLine(conv, { kind: "event", text, time });

export function info(lines) {
  const conv = state.conversations.get(state.active);
  if (conv) for (const text of lines) addLine(conv, { kind: "info", text, time: Date.now() / 1000 });
}

export function showError(text) {
  const conv = state.conversations.get(state.active);
  if (conv) addLine(conv, { kind: "error", text, time: Date.now() / 1000 });
  else $("login-error").textContent = text;
}

// Tell the server (and so this person's other devices and protocols) how far they have read.
export function markRead(conv) {
  const last = [...conv.lines].reverse().find((l) => l.id);
  if (!last || (conv.read !== null && last.time <= conv.read) || !conv.joined && conv.room) return;
  conn.send({ type: "read", ...(conv.room ? { room: conv.name } : { with: conv.name }), time: last.time });
}

// -- history and search ----------------------------------------------------------

export function mergeHistory(conv, frames, older) {
  const known = new Set(conv.lines.filter((l) => l.id).map((l) => l.id));
  const fresh = frames.filter((m) => !known.has(m.id)).map((m) => toLine(m));
  if (!fresh.length) return 0;
  conv.lines = [...fresh, ...conv.lines].sort((a, b) => (a.time - b.time) || String(a.id || "").localeCompare(String(b.id || "")));
  for (const line of conv.lines.filter((l) => l.edits)) if (applyEdit(conv, line, false)) conv.lines.splice(conv.lines.indexOf(line), 1);
  if (older !== undefined) conv.more = older;
  if (state.active === conv.key) {
    const list = $("messages");
    const fromBottom = list.scrollHeight - list.scrollTop;
    renderMessages(conv);
    list.scrollTop = older === undefined ? list.scrollHeight : list.scrollHeight - fromBottom;
  }
  return fresh.length;
}

export const lastSeen = (conv) => [...conv.lines].reverse().find((l) => l.id && l.kind !== "event")?.id;

// Messages recovered after a drop; when the server could not fill the whole gap, a divider says so.
export function recovered(conv, frames, complete) {
  mergeHistory(conv, frames);
  if (complete !== false) return;
  const first = frames.length ? Math.min(...frames.map((m) => m.time)) : Date.now() / 1000;
  conv.lines.push({ kind: "event", text: "Some messages may be missing here", time: first - 0.0005, gap: true });
  conv.lines.sort((a, b) => a.time - b.time);
  if (state.active === conv.key) renderMessages(conv);
}

export function toLine(m) {
  const mine = fold(m.from) === fold(state.me || "");
  const quoted = m.reply_to && findLine(m.reply_to);
  return { kind: m.kind, id: m.id, time: m.time, from: m.from, text: m.text, mine, edits: m.tags?.["+draft/edit"],
           mention: !mine && isMention(m.text), replyTo: quoted ? `${quoted.from}: ${plainText(quoted.text).slice(0, 60)}` : null };
}

export function findLine(id) {
  for (const conv of state.conversations.values()) {
    const line = conv.lines.find((l) => l.id === id);
    if (line) return line;
  }
  return null;
}

// An edit (a message tagged +draft/edit=<id>, which only the server sets, for the author's own
// message) replaces the text of the line it names, if that line is shown here and by the same person.
export function applyEdit(conv, edit, draw = true) {
  const target = conv.lines.find((l) => l.id === edit.edits);
  if (!target || fold(target.from) !== fold(edit.from)) return false;
  Object.assign(target, { text: edit.text, edited: true, mention: target.mention || edit.mention });
  if (draw && state.active === conv.key) redrawLine(target);
  return true;
}

// Reactions: a TAGMSG with +draft/react naming a message in +draft/reply. Each is kept by its id,
// so that taking it back (a redaction of that id) removes it.
export function addReaction(frame) {
  const tags = frame.tags || {};
  const target = tags["+draft/reply"] && findLine(tags["+draft/reply"]);
  const emoji = tags["+draft/react"];
  if (!target || !emoji || [...emoji].length > 8) return;
  target.reactions ??= {};
  target.reactions[emoji] ??= {};
  target.reactions[emoji][frame.from] = frame.id;
  redrawLine(target);
}

export function removeReaction(msgid) {
  for (const conv of state.conversations.values()) {
    for (const line of conv.lines) {
      for (const [emoji, by] of Object.entries(line.reactions || {})) {
        const nick = Object.keys(by).find((n) => by[n] === msgid);
        if (nick === undefined) continue;
        delete by[nick];
        if (!Object.keys(by).length) delete line.reactions[emoji];
        redrawLine(line);
        return true;
      }
    }
  }
  return false;
}
