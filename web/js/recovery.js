// The way back into an account: "Forgot password?" on the sign-in form, and the links in chatd's
// mails (#verify=<account>.<code> confirms an address, #reset=<token> chooses a new password).
// Each is one request on a socket of its own, before any hello; see docs/protocol.md.

import { SUBPROTOCOL } from "./connection.js";
import { $ } from "./state.js";

function ask(url, frame) {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, SUBPROTOCOL);
    socket.addEventListener("open", () => socket.send(JSON.stringify({ ...frame, id: 1 })));
    socket.addEventListener("message", (event) => {
      const answer = JSON.parse(event.data);
      if (answer.id !== 1) return;
      socket.close();
      if (answer.type === "error") reject(new Error(answer.message));
      else resolve(answer);
    });
    socket.addEventListener("close", () => reject(new Error("The server could not be reached")));
  });
}

function say(text, bad = false) {
  const line = $("login-error");
  line.textContent = text;
  line.classList.toggle("ok", !bad);
}

export function setUpRecovery(url) {
  $("forgot-button").addEventListener("click", async () => {
    const name = $("nick-input").value.trim();
    if (!name) { say("Type your account name in Nick first.", true); return; }
    try {
      await ask(url, { type: "reset_request", name });
      say(`If ${name} has a verified e-mail address, a link to reset the password is on its way.`);
    } catch (error) { say(error.message, true); }
  });

  $("reset-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const password = $("reset-password").value;
    if (password !== $("reset-again").value) { $("reset-error").textContent = "The two passwords differ."; return; }
    try {
      const done = await ask(url, { type: "reset_password", token: $("reset-form").dataset.token, password });
      localStorage.setItem("chatd.token", done.token); // signed in: the next Chat uses it
      history.replaceState(null, "", location.pathname);
      $("reset-form").hidden = true;
      $("login-form").hidden = false;
      $("nick-input").value = done.account;
      say(`Password changed; other sessions of ${done.account} are ended. You are signed in: pick a room and Chat.`);
    } catch (error) { $("reset-error").textContent = error.message; }
  });

  const opened = () => followLink(url);
  window.addEventListener("hashchange", opened); // a second mail's link opened in the same tab
  return opened();
}

// A mail's link in the address bar: true when it is a reset (its form replaces the sign-in).
function followLink(url) {
  const fragment = new URLSearchParams(location.hash.slice(1));
  if (fragment.has("reset")) {
    $("login-form").hidden = true;
    $("reset-form").hidden = false;
    $("reset-form").dataset.token = fragment.get("reset");
    $("reset-password").focus();
    return true;
  }
  if (fragment.has("verify")) {
    const value = fragment.get("verify");
    const dot = value.lastIndexOf(".");
    history.replaceState(null, "", location.pathname);
    ask(url, { type: "verify_email", account: value.slice(0, dot), code: value.slice(dot + 1) })
      .then((done) => say(`The e-mail address of ${done.account} is verified: it can receive reset links.`))
      .catch((error) => say(error.message, true));
  }
  return false;
}
