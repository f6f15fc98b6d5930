// What a person does: switching, joining and leaving conversations, signing in, sending,
// typing notices, history pages, search and notifications. Each talks to the server through
// the one connection (link.js) and shows its outcome through lines.js and views.js.

import { runCommand } from "./commands.js";
import { conn } from "./link.js";
import { info, lastSeen, markRead, mergeHistory, recovered, showError, toLine } from "./lines.js";
import { plainText } from "./text.js";
import { $, conversation, fold, isRoom, remember, state } from "./state.js";
import { lineElement, renderConversations, renderDirectory, renderHeader, renderMembers, renderMessages, shownLine } from "./views.js";

export function activate(key) {
  const conv = state.conversations.get(key);
  if (!conv) return;
  if (conv.kicked) { join(conv.name); return; }
  state.active = key;
  localStorage.setItem("chatd.active", conv.name); // a reload comes back to this conversation
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


export function open(nick) {
  if (!isRoom(nick)) activate(conversation(nick).key);
}

export async function join(name, key) {
  if (!isRoom(name)) name = `#${name}`;
  try {
    // Back after a drop: ask for everything after the last message seen here (recovery).
    const known = state.conversations.get(fold(name));
    const since = known && lastSeen(known);
    const joined = await conn.request({ type: "join", room: name, ...(key ? { key } : {}), ...(since ? { since } : {}) });
    state.rooms.add(joined.room);
    remember();
    activate(fold(joined.room));
    refreshDirectory(); // "All rooms" counts this join at once, not at the next 30 s refresh
  } catch (error) {
    showError(error.message);
  }
}

export function part(conv) {
  if (!conv) return;
  if (conv.room && !conv.kicked) {
    conn.send({ type: "part", room: conv.name });
    refreshDirectory(); // asked after the part, answered after it: the counts include it
  }
  state.rooms.delete(conv.name);
  state.dms.delete(conv.name);
  remember();
  forget(conv);
}

export function forget(conv) {
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
export function maskOf(who) {
  if (/[!@:*?]/.test(who)) return who;
  const conv = state.conversations.get(state.active);
  const member = conv && conv.members.get(fold(who));
  return member && member.account ? `a:${member.account}` : `${who}!*@*`;
}

export function signedIn(frame) {
  state.account = frame.account;
  localStorage.setItem("chatd.token", frame.token); // a reload signs in again without the password
  $("me-nick").textContent = `${state.me || ""} ✓`;
  $("me-nick").title = `signed in as ${frame.account}`;
  info([`You are signed in as ${frame.account}.`]);
}

export function signedOut() {
  state.account = null;
  localStorage.removeItem("chatd.token");
  $("me-nick").textContent = state.me || "";
  $("me-nick").title = "";
  info(["You are signed out."]);
}


// Before hello: sign in with the saved session token, or with the password just typed (or sign up).
export async function signIn() {
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

export async function say(text, conv = state.conversations.get(state.active)) {
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

export function highlight(words) {
  if (words.length) { state.highlights = words; remember(); }
  info([`Highlighted: your nick${state.highlights.length ? ", " + state.highlights.join(", ") : ""}`]);
  // Signed in, the words are the account's too: they push to your other devices as your nick does.
  if (words.length && state.account) {
    conn.request({ type: "set_highlights", words }).catch((error) => showError(error.message));
  }
}

export function setReply(line) {
  state.replyTo = line;
  $("replying").hidden = !line;
  if (line) $("replying").querySelector("span").textContent = `Replying to ${line.from}: ${plainText(line.text).slice(0, 80)}`;
}

// -- typing notices: sent while typing (at most every 3 s), shown for 6 s ---------------

let lastTyping = 0;
export function typing(conv, stateName) {
  if (!conv || conv.kicked) return;
  const now = Date.now();
  if (stateName === "active" && now - lastTyping < 3000) return;
  lastTyping = stateName === "active" ? now : 0;
  conn.send({ type: "typing", to: conv.name, state: stateName });
}

export const typists = new Map(); // folded conversation -> Map(nick -> timer)
export function showTyping() {
  const who = [...(typists.get(state.active)?.keys() || [])];
  $("typing").textContent = who.length ? `${who.join(", ")} ${who.length > 1 ? "are" : "is"} typing…` : "";
}

export async function catchUp(conv) {
  const after = lastSeen(conv);
  if (!after) return loadOlder(conv);
  try {
    const page = await conn.request({ type: "history", with: conv.name, after, limit: 200 });
    recovered(conv, page.messages, page.recovered);
  } catch {
    // History is off, or the socket dropped again: the next reconnect tries again.
  }
}

export async function loadOlder(conv) {
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

export async function search(query) {
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
    li.querySelector(".actions")?.remove();
    li.prepend(Object.assign(document.createElement("span"), { className: "where", textContent: m.room || `@${peer}` }));
    li.tabIndex = 0;
    li.title = "Show in the conversation";
    const jump = () => showInContext(conversation(peer), m);
    li.addEventListener("click", jump);
    li.addEventListener("keydown", (e) => { if (e.key === "Enter") jump(); });
    list.append(li);
  }
}

// A search result in its conversation: opened, the message scrolled to and marked for a moment
// (fetched with the history around it when it is older than what is loaded).
async function showInContext(conv, m) {
  activate(conv.key);
  if (!conv.lines.some((l) => l.id === m.id)) mergeHistory(conv, [m]);
  const li = shownLine(m.id);
  if (!li) return;
  li.scrollIntoView({ block: "center" });
  li.classList.add("found");
  setTimeout(() => li.classList.remove("found"), 2500);
}

// -- notifications: asked for on a click, shown for mentions while you look elsewhere -----

export function notify(conv, line) {
  if (localStorage.getItem("chatd.sound") === "on") beep();
  if (!("Notification" in window) || Notification.permission !== "granted") return;
  if (!document.hidden && state.active === conv.key) return;
  const note = new Notification(`${line.from} in ${conv.room ? conv.name : "a private message"}`,
                                { body: plainText(line.text).slice(0, 200), tag: conv.key });
  note.onclick = () => { window.focus(); activate(conv.key); };
}

// A short, quiet tone (no sound file to fetch), played only when the person turned sound on.
export function beep() {
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

export function refreshDirectory() {
  conn.request({ type: "list" }).then((frame) => renderDirectory(frame.rooms)).catch(() => {});
}

export function login(nick, room, password = "", signup = false) {
  $("login-error").textContent = "";
  state.wantedNick = nick;
  state.password = password || null;
  state.signup = signup;
  if (room) { state.rooms.add(isRoom(room) ? room : `#${room}`); remember(); }
  conn.stopped = false;
  if (conn.socket) conn.socket.close();
  conn.connect();
}

// -- what one can do to a message: reply, react, edit one's own, delete ------------------------

export const REACTIONS = ["👍", "❤️", "😂", "🎉", "😮", "👀"];

export function lineAction(act, line, button = null) {
  const conv = state.conversations.get(state.active);
  if (!conv) return;
  const where = conv.room ? { room: conv.name } : { to: conv.name };
  if (act === "reply") { setReply(line); $("message-input").focus(); }
  else if (act === "react") showPalette(button);
  else if (act === "react-with" || act === "toggle-reaction") {
    const emoji = button.dataset.emoji;
    const mine = Object.entries(line.reactions?.[emoji] || {}).find(([nick]) => fold(nick) === fold(state.me));
    if (mine) conn.send({ type: "redact", ...where, msgid: mine[1] }); // a refusal comes as an error frame
    else conn.send({ type: "tagmsg", to: conv.name, tags: { "+draft/react": emoji, "+draft/reply": line.id } });
    button.closest(".palette")?.remove();
  } else if (act === "edit") {
    state.editing = line;
    $("message-input").value = plainText(line.text);
    $("message-input").focus();
    $("replying").hidden = false;
    $("replying").querySelector("span").textContent = "Editing your message (Enter to save, Esc to cancel)";
  } else if (act === "delete") {
    if (confirm("Delete this message for everyone?")) conn.send({ type: "redact", ...where, msgid: line.id });
  }
}

function showPalette(button) {
  const open = button.parentElement.querySelector(".palette");
  if (open) { open.remove(); return; }
  const palette = document.createElement("span");
  palette.className = "palette";
  palette.setAttribute("role", "menu");
  for (const emoji of REACTIONS) {
    const choice = document.createElement("button");
    choice.dataset.act = "react-with";
    choice.dataset.emoji = emoji;
    choice.setAttribute("aria-label", `React with ${emoji}`);
    choice.textContent = emoji;
    palette.append(choice);
  }
  button.after(palette);
  palette.querySelector("button").focus();
}

// Save (text) or cancel (null) the edit under way; an unchanged text sends nothing.
export async function finishEdit(text) {
  const line = state.editing;
  const conv = state.conversations.get(state.active);
  state.editing = null;
  $("message-input").value = "";
  setReply(null);
  if (!line || !conv || text === null || !text || text === plainText(line.text)) return;
  try {
    await conn.request({ type: "edit", ...(conv.room ? { room: conv.name } : { to: conv.name }), msgid: line.id, text });
  } catch (error) {
    showError(error.message);
  }
}
