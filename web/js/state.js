// The page's state: conversations (rooms and direct messages), who we are,
// and what is remembered across reloads in localStorage (nick, rooms, open
// direct conversations, highlight words, theme).

export const $ = (id) => document.getElementById(id);
const UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ[]\\~";
const LOWER = "abcdefghijklmnopqrstuvwxyz{}|^";
export const fold = (name) => [...name].map((c) => { const i = UPPER.indexOf(c); return i < 0 ? c : LOWER[i]; }).join("");
export const isRoom = (name) => name.startsWith("#");

const load = (key, fallback) => {
  try { return JSON.parse(localStorage.getItem(key)) ?? fallback; } catch { return fallback; }
};

export const state = {
  me: null,
  wantedNick: localStorage.getItem("chatd.nick"),
  welcomed: false,
  conversations: new Map(), // folded name -> conversation
  active: null,
  rooms: new Set(load("chatd.rooms", [])),
  dms: new Set(load("chatd.dms", [])),
  highlights: load("chatd.highlights", []),
  replyTo: null, // {id, from, text} of the message being answered
  account: null, // the account signed in to (the session token is in localStorage)
  previews: false, // whether the server offers link previews (welcome)
  editing: null, // the own line being edited (actions.js)
  upload: null, // where files are shared (welcome.upload; upload.js)
  vapid: null, // the server's Web Push key from welcome (js/push.js); null: the server sends no pushes
  password: null, // typed on the sign-in form, sent once and forgotten
  signup: false,
};

export function remember() {
  localStorage.setItem("chatd.rooms", JSON.stringify([...state.rooms]));
  localStorage.setItem("chatd.dms", JSON.stringify([...state.dms]));
  localStorage.setItem("chatd.highlights", JSON.stringify(state.highlights));
  if (state.me) localStorage.setItem("chatd.nick", state.me);
}

export function conversation(name, create = true) {
  const key = fold(name);
  let conv = state.conversations.get(key);
  if (!conv && create) {
    conv = { name, key, room: isRoom(name), lines: [], members: new Map(), topic: "", unread: 0, mentions: 0,
             joined: false, kicked: false, read: null };
    state.conversations.set(key, conv);
    if (!conv.room && !state.dms.has(name)) { state.dms.add(name); remember(); }
  }
  return conv;
}
