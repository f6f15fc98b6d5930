// The page's two dialogs: the help panel (/help, the ? button, or F1) lists the commands and the
// keys; the jump box (Ctrl+K, as in Slack) finds a conversation, a room of the directory or a
// member by a few letters and opens it. Both are native <dialog>s: modal, Esc closes them and
// focus returns where it was.

import { activate, join, open } from "./actions.js";
import { COMMANDS } from "./commands.js";
import { $, fold, isRoom, state } from "./state.js";

export const KEYS = [
  ["Ctrl+K", "jump to a conversation, room or person"],
  ["Alt+↑ / Alt+↓", "the previous or next conversation"],
  ["↑ in an empty box", "edit your last message"],
  ["Tab", "complete a nick"],
  ["Esc", "mark this conversation read, cancel a reply or an edit"],
  ["F1", "this help"],
];

function fillHelp() {
  const table = (rows, id) => {
    const body = $(id);
    body.replaceChildren(...rows.map(([what, does]) => {
      const tr = document.createElement("tr");
      const th = document.createElement("th");
      th.scope = "row";
      const code = document.createElement(id === "help-keys" ? "kbd" : "code");
      code.textContent = what;
      th.append(code);
      const td = document.createElement("td");
      td.textContent = does;
      tr.append(th, td);
      return tr;
    }));
  };
  table(Object.values(COMMANDS), "help-commands");
  table(KEYS, "help-keys");
}

export function showHelp() {
  if (!$("help-commands").children.length) fillHelp();
  if (!$("help").open) $("help").showModal();
}

// -- the jump box ---------------------------------------------------------------------------------

let choices = [];
let chosen = 0;

// Everything one can jump to: open conversations first, then rooms of the directory one is not in,
// then members of the current room (a direct conversation).
function candidates() {
  const seen = new Set();
  const out = [];
  const add = (name, kind) => {
    const key = fold(name);
    if (seen.has(key) || key === fold(state.me || "")) return;
    seen.add(key);
    out.push({ name, kind });
  };
  for (const conv of state.conversations.values()) add(conv.name, conv.room ? "room" : "person");
  for (const li of $("room-directory").querySelectorAll("li[data-room]")) add(li.dataset.room, "room to join");
  const here = state.conversations.get(state.active);
  if (here) for (const member of here.members.values()) add(member.nick, "member");
  return out;
}

function renderJump() {
  const typed = fold($("jump-input").value.trim().replace(/^@/, ""));
  const all = candidates();
  choices = typed ? all.filter((c) => fold(c.name).includes(typed)) : all;
  // Names that start with what was typed come first (as in Slack's switcher); the sort is stable.
  const bare = typed.replace(/^#/, "");
  const later = (c) => Number(!fold(c.name).replace(/^#/, "").startsWith(bare));
  choices.sort((a, b) => later(a) - later(b));
  chosen = Math.min(chosen, Math.max(choices.length - 1, 0));
  const list = $("jump-list");
  list.replaceChildren(...choices.slice(0, 12).map((choice, i) => {
    const li = document.createElement("li");
    li.id = `jump-${i}`;
    li.setAttribute("role", "option");
    li.setAttribute("aria-selected", String(i === chosen));
    li.dataset.name = choice.name;
    const name = document.createElement("span");
    name.textContent = choice.name;
    const kind = document.createElement("span");
    kind.className = "count";
    kind.textContent = choice.kind;
    li.append(name, kind);
    li.addEventListener("click", () => go(choice));
    return li;
  }));
  if (choices.length) $("jump-input").setAttribute("aria-activedescendant", `jump-${chosen}`);
  else $("jump-input").removeAttribute("aria-activedescendant");
  $("jump-empty").hidden = choices.length > 0;
}

function go(choice) {
  $("jump").close();
  const key = fold(choice.name);
  if (state.conversations.has(key)) activate(key);
  else if (isRoom(choice.name)) join(choice.name);
  else open(choice.name);
}

export function showJump() {
  if (!state.welcomed) return;
  $("jump-input").value = "";
  chosen = 0;
  renderJump();
  if (!$("jump").open) $("jump").showModal();
  $("jump-input").focus();
}

$("jump-input").addEventListener("input", () => { chosen = 0; renderJump(); });
$("jump-input").addEventListener("keydown", (e) => {
  if (e.key === "ArrowDown" || e.key === "ArrowUp") {
    e.preventDefault();
    const shown = Math.min(choices.length, 12);
    if (shown) chosen = (chosen + (e.key === "ArrowDown" ? 1 : -1) + shown) % shown;
    renderJump();
  } else if (e.key === "Enter") {
    e.preventDefault();
    const typed = $("jump-input").value.trim();
    if (choices[chosen]) go(choices[chosen]);
    else if (isRoom(typed)) go({ name: typed }); // a room nobody is in yet: create it
  }
});

document.addEventListener("keydown", (e) => {
  if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "k") { e.preventDefault(); showJump(); }
  else if (e.key === "F1") { e.preventDefault(); showHelp(); }
});
for (const dialog of [$("help"), $("jump")]) {
  dialog.addEventListener("click", (e) => { if (e.target === dialog) dialog.close(); }); // outside the box
}
document.addEventListener("chatd-help", showHelp); // typed /help (commands.js)
$("help-button").addEventListener("click", showHelp);
$("jump-button").addEventListener("click", showJump);
for (const button of document.querySelectorAll("dialog .close-dialog")) {
  button.addEventListener("click", () => button.closest("dialog").close());
}
