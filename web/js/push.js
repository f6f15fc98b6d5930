// Web Push on this device: a service worker (/sw.js) subscribed with the server's VAPID key, the
// subscription handed to the server (push_subscribe), so mentions and direct messages notify
// this browser while none of your connections is open. Only for a signed-in account.

import { conn } from "./link.js";
import { state } from "./state.js";

export const pushPossible = () => "serviceWorker" in navigator && "PushManager" in window && window.isSecureContext;

function keyBytes(base64url) {
  const text = atob(base64url.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - base64url.length % 4) % 4));
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

// Subscribe this browser; resolves to a sentence saying what happened.
export async function enablePush() {
  if (!state.vapid) return "This server sends no push notifications.";
  if (!state.account) return "Sign in to get notifications while you are away (they belong to your account).";
  if (!pushPossible()) return "This browser cannot receive push notifications here (it needs https).";
  const registration = await navigator.serviceWorker.register("/sw.js");
  await navigator.serviceWorker.ready;
  const subscription = await registration.pushManager.subscribe({
    userVisibleOnly: true, applicationServerKey: keyBytes(state.vapid),
  });
  const { endpoint, keys } = subscription.toJSON();
  await conn.request({ type: "push_subscribe", endpoint, keys, device: deviceName() });
  return "Notifications on, also while this page is closed.";
}

export async function disablePush() {
  if (!pushPossible()) return;
  const registration = await navigator.serviceWorker.getRegistration("/");
  const subscription = registration && await registration.pushManager.getSubscription();
  if (!subscription) return;
  if (state.account) await conn.request({ type: "push_unsubscribe", endpoint: subscription.endpoint });
  await subscription.unsubscribe();
}

function deviceName() {
  const ua = navigator.userAgent;
  const browser = /Firefox\//.test(ua) ? "Firefox" : /Edg\//.test(ua) ? "Edge" : /Chrome\//.test(ua) ? "Chrome"
    : /Safari\//.test(ua) ? "Safari" : "browser";
  const system = /Android/.test(ua) ? "Android" : /iPhone|iPad/.test(ua) ? "iOS" : /Mac OS/.test(ua) ? "macOS"
    : /Windows/.test(ua) ? "Windows" : /Linux/.test(ua) ? "Linux" : "";
  return system ? `${browser} on ${system}` : browser;
}

// A click on a notification while a page is open: show that conversation.
export function onOpenRequest(open) {
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.addEventListener("message", (e) => {
      if (e.data && e.data.type === "open" && e.data.conversation) open(e.data.conversation);
    });
  }
}
