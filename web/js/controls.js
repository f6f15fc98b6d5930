// The page's own controls: the forms, the keyboard, the member menu, sound, theme and notifications.

import { activate, finishEdit, join, lineAction, loadOlder, login, open, part, refreshDirectory, say, search, setReply, typing } from "./actions.js";
import { findLine, markRead, showError } from "./lines.js";
import { enablePush, onOpenRequest, pushPossible } from "./push.js";
import { $, conversation, fold, state } from "./state.js";
import { renderConversations, renderMessages } from "./views.js";

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
  if (state.editing) { finishEdit(text); return; }
  if (!text) return;
  input.value = "";
  for (const line of text.split("\n")) if (line.trim()) say(line);
});

$("message-input").addEventListener("input", () => {
  if ($("message-input").value && !$("message-input").value.startsWith("/")) typing(state.conversations.get(state.active), "active");
});

$("message-input").addEventListener("keydown", (e) => {
  if (e.key === "ArrowUp" && !e.target.value && !e.altKey) { // as in Slack: Up edits your last message
    const conv = state.conversations.get(state.active);
    const last = conv && [...conv.lines].reverse().find((l) => l.mine && l.id && l.kind !== "action");
    if (last) { e.preventDefault(); lineAction("edit", last); }
    return;
  }
  if (e.key === "Escape" && state.editing) { e.stopPropagation(); finishEdit(null); return; }
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
  const button = e.target.closest("button[data-act]");
  const li = e.target.closest("li[data-id]");
  const line = li && findLine(li.dataset.id);
  if (!button || !line) return;
  lineAction(button.dataset.act, line, button);
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
$("rejoin").addEventListener("click", () => { const conv = state.conversations.get(state.active); if (conv) join(conv.name); });
$("refresh-rooms").addEventListener("click", refreshDirectory);
$("menu").addEventListener("click", () => $("chat").classList.toggle("menu-open"));
const closeDrawers = () => $("chat").classList.remove("menu-open", "members-open");
for (const id of ["backdrop", "close-menu", "close-members"]) $(id).addEventListener("click", closeDrawers);
$("people").addEventListener("click", () => $("chat").classList.toggle("members-open"));
$("notify").addEventListener("click", async () => {
  if (!("Notification" in window)) return showError("This browser cannot show notifications.");
  const answer = await Notification.requestPermission();
  $("notify").textContent = answer === "granted" ? "Notifications on" : "Notifications off";
  // Signed in: also while this page is closed (Web Push), when the server and the browser can.
  if (answer === "granted" && state.account && state.vapid && pushPossible()) {
    try { $("notify").title = await enablePush(); } catch (error) { showError(`Push notifications: ${error.message}`); }
  }
});
onOpenRequest((name) => activate(conversation(name).key));

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

