// What the page shows: message lines, the conversation list, members, the
// room directory. State lives in state.js; nothing here talks to the server.

import { attachment, filePaths } from "./media.js";
import { addPreview } from "./previews.js";
import { clock, plainText, renderText } from "./text.js";
import { $, fold, state } from "./state.js";

export const MAX_LINES = 1000;

export function lineElement(line) {
  const li = document.createElement("li");
  li.className = line.kind + (line.mention ? " mention" : "") + (line.gap ? " gap" : "");
  if (line.id) li.dataset.id = line.id;
  const time = document.createElement("span");
  time.className = "time";
  time.textContent = clock(line.time);
  li.append(time);
  if (line.kind === "event" || line.kind === "error" || line.kind === "info") {
    const text = document.createElement("span");
    text.className = line.kind === "info" ? "info" : "event";
    text.textContent = line.text;
    li.append(text);
    return li;
  }
  if (line.replyTo) {
    const quoted = document.createElement("span");
    quoted.className = "reply-to";
    quoted.textContent = `↪ ${line.replyTo}`;
    li.append(quoted);
  }
  const nick = document.createElement("span");
  nick.className = "nick";
  nick.textContent = line.kind === "action" ? `* ${line.from}` : line.kind === "notice" ? `-${line.from}-` : line.from;
  nick.style.setProperty("--hue", nickHue(line.from));
  const text = document.createElement("span");
  text.className = "text";
  text.append(renderText(line.text));
  li.append(nick, text);
  for (const path of filePaths(line.text)) li.append(attachment(path));
  addPreview(line, li);
  if (line.edited) {
    const edited = document.createElement("span");
    edited.className = "edited";
    edited.textContent = "(edited)";
    text.append(" ", edited);
  }
  if (line.reactions && Object.keys(line.reactions).length) li.append(reactionChips(line));
  if (line.id) li.append(lineActions(line));
  return li;
}

const ACTIONS = [["reply", "↩", "Reply"], ["react", "☺", "React"], ["edit", "✎", "Edit"], ["delete", "🗑", "Delete"]];

// The buttons a message offers on hover or focus: editing only one's own, deleting one's own or
// (for a room operator) anyone's; the server checks again.
function lineActions(line) {
  const bar = document.createElement("span");
  bar.className = "actions";
  const conv = state.conversations.get(state.active);
  const op = conv?.members.get(fold(state.me || ""))?.op;
  for (const [act, glyph, label] of ACTIONS) {
    if (act === "edit" && (!line.mine || line.kind === "action")) continue;
    if (act === "delete" && !line.mine && !op) continue;
    const button = document.createElement("button");
    button.className = `act ${act}`;
    button.dataset.act = act;
    button.title = label;
    button.setAttribute("aria-label", label);
    button.textContent = glyph;
    bar.append(button);
  }
  return bar;
}

function reactionChips(line) {
  const chips = document.createElement("span");
  chips.className = "reactions";
  for (const [emoji, by] of Object.entries(line.reactions)) {
    const nicks = Object.keys(by);
    if (!nicks.length) continue;
    const chip = document.createElement("button");
    chip.className = "reaction" + (nicks.some((n) => fold(n) === fold(state.me || "")) ? " mine" : "");
    chip.dataset.act = "toggle-reaction";
    chip.dataset.emoji = emoji;
    chip.title = `${nicks.join(", ")} reacted with ${emoji}`;
    chip.textContent = `${emoji} ${nicks.length}`;
    chips.append(chip);
  }
  return chips;
}

// Where message ``id`` is shown in the open conversation (null: it is not).
export const shownLine = (id) => $("messages").querySelector(`li[data-id="${CSS.escape(id)}"]`);

// Draw one line again where it is shown (an edit, a reaction).
export function redrawLine(line) {
  shownLine(line.id)?.replaceWith(lineElement(line));
}

function divider() {
  const li = document.createElement("li");
  li.className = "divider";
  li.textContent = "new messages";
  return li;
}

// The whole conversation, with a "new messages" divider where the person stopped reading.
export function renderMessages(conv) {
  const list = $("messages");
  const items = [];
  let divided = conv.read === null || conv.read === undefined;
  for (const line of conv.lines) {
    if (!divided && line.id && line.time > conv.read && !line.mine) {
      items.push(divider());
      divided = true;
    }
    items.push(lineElement(line));
  }
  list.replaceChildren(...items);
  list.scrollTop = list.scrollHeight;
}

export function renderConversations() {
  const list = $("conversations");
  list.replaceChildren();
  for (const conv of state.conversations.values()) {
    const li = document.createElement("li");
    li.dataset.key = conv.key;
    if (conv.key === state.active) li.classList.add("active");
    if (conv.kicked) li.classList.add("kicked");
    const name = document.createElement("span");
    name.textContent = (conv.room ? conv.name : `@${conv.name}`) + (conv.kicked ? " (kicked: click to rejoin)" : "");
    li.append(name);
    // One badge: how many unread, in the mention colour when any of them names you.
    if (conv.unread || conv.mentions) {
      const badge = document.createElement("span");
      badge.className = conv.mentions ? "unread mention" : "unread";
      badge.textContent = Math.max(conv.unread, conv.mentions);
      badge.title = `${conv.unread} unread` + (conv.mentions ? `, ${conv.mentions} naming you` : "");
      li.append(badge);
    }
    list.append(li);
  }
  const all = [...state.conversations.values()];
  const unread = all.reduce((n, c) => n + c.unread, 0);
  const mentions = all.reduce((n, c) => n + c.mentions, 0);
  document.title = (mentions ? `(@${mentions}) ` : "") + (unread ? `(${unread}) ` : "") + "chatd";
}

export function renderMembers() {
  const conv = state.conversations.get(state.active);
  const list = $("member-list");
  list.replaceChildren();
  if (conv && conv.room) {
    const members = [...conv.members.values()]
      .sort((a, b) => (b.op - a.op) || (b.voice - a.voice) || a.nick.localeCompare(b.nick));
    for (const member of members) {
      const li = document.createElement("li");
      li.dataset.nick = member.nick;
      li.textContent = (member.op ? "@" : member.voice ? "+" : "") + member.nick;
      const badge = document.createElement("span");
      badge.className = "badge";
      badge.textContent = member.protocol;
      li.append(badge);
      if (member.bot) li.append(Object.assign(document.createElement("span"), { className: "badge bot", textContent: "bot" }));
      if (member.account) {
        const account = document.createElement("span");
        account.className = "account";
        account.textContent = "✓";
        account.title = `signed in as ${member.account}`;
        li.append(account);
      }
      li.dataset.account = member.account || "";
      if (member.away) li.title = `away: ${member.away}`;
      list.append(li);
    }
  }
  if (conv) renderHeader(conv);
  renderConversations();
}

export function renderHeader(conv) {
  $("conversation-name").textContent = conv ? (conv.room ? conv.name : `@${conv.name}`) : "";
  $("member-count").textContent = conv && conv.room && !conv.kicked ? `${conv.members.size} members` : "";
  $("topic").textContent = conv ? plainText(conv.topic) : "";
  $("topic").title = $("topic").textContent;
  // Kicked: read-only, with a way back in.
  const kicked = Boolean(conv && conv.kicked);
  $("rejoin").hidden = !kicked;
  $("message-input").disabled = kicked;
  $("message-input").placeholder = kicked ? `You were removed from ${conv.name}: Rejoin to write again`
    : $("message-input").dataset.placeholder || $("message-input").placeholder;
  $("part").hidden = !conv || !conv.room || kicked;
  $("people").hidden = !conv || !conv.room;
  $("members").hidden = !conv || !conv.room;
}

export function renderDirectory(rooms) {
  const list = $("room-directory");
  list.replaceChildren();
  for (const room of rooms) {
    if (!room.members) continue; // empty rooms are not worth listing
    const li = document.createElement("li");
    li.dataset.room = room.name;
    const name = document.createElement("span");
    name.textContent = room.name;
    name.title = plainText(room.topic);
    const count = document.createElement("span");
    count.className = "count";
    count.textContent = room.members;
    li.append(name, count);
    list.append(li);
  }
}

export function setStatus({ state: s, retryIn }) {
  const status = $("status");
  status.dataset.state = s;
  status.textContent = s === "online" ? "online" : s === "connecting" ? "connecting…"
    : `offline, retrying in ${Math.ceil(retryIn / 1000)} s`;
}

export function isMention(text) {
  if (!state.me) return false;
  const words = [state.me, ...state.highlights].filter(Boolean).map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  return new RegExp(`(^|[^\\w])(${words.join("|")})($|[^\\w])`, "i").test(plainText(text));
}

export const foldedNick = (nick) => fold(nick || "");

// A nick's colour: the same hue wherever it shows, from its folded spelling (the CSS picks a
// lightness readable in each theme).
// FNV-1a with a final mix: similar nicks (ivan, maya, wendy) land on far-apart hues, which a plain
// multiply-and-add hash did not do.
export function nickHue(nick) {
  let hash = 2166136261;
  for (const c of fold(nick || "")) { hash ^= c.codePointAt(0); hash = Math.imul(hash, 16777619); }
  hash ^= hash >>> 15;
  hash = Math.imul(hash, 0x2c1b3c6d);
  hash ^= hash >>> 12;
  return String((hash >>> 0) % 360);
}
