// The service worker: shows the server's Web Push notifications while no chatd page is open
// (a mention or a direct message: chatd/push/rules.py), closes one when its conversation was read
// on another device, and opens the conversation on a click.
// It is served from the site's root so that it may control every page of it.

// Nicks and rooms compare as the server compares them (rfc1459: []\ are {}|'s capitals).
const fold = (name) => String(name || "").toLowerCase().replace(/\[/g, "{").replace(/\]/g, "}").replace(/\\/g, "|");

self.addEventListener("push", (event) => {
  let note = {};
  try { note = event.data ? event.data.json() : {}; } catch { note = {}; }
  if (note.type === "read") { // read elsewhere: its notification goes, if it shows nothing newer
    event.waitUntil(self.registration.getNotifications().then((shown) => {
      for (const old of shown) {
        const time = old.data && old.data.time;
        if (fold(old.tag) === fold(note.conversation) && !(time > note.until + 0.001)) old.close();
      }
    }));
    return;
  }
  const where = note.room ? `in ${note.room}` : "in a private message";
  const title = note.from ? `${note.from} ${where}` : "chatd";
  const body = (note.action ? `* ${note.from} ` : "") + (note.text || "");
  event.waitUntil(self.registration.showNotification(title, {
    body: body.slice(0, 200),
    tag: note.room || note.from || "chatd", // one notification per conversation, the latest
    data: { open: note.room || note.from || "", time: note.time },
  }));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const open = event.notification.data && event.notification.data.open;
  event.waitUntil((async () => {
    const pages = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    for (const page of pages) {
      page.postMessage({ type: "open", conversation: open });
      return page.focus();
    }
    // a page opened from a notification finds the conversation to show in the URL's fragment
    return self.clients.openWindow(open ? `/#open=${encodeURIComponent(open)}` : "/");
  })());
});
