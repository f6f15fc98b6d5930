// Link previews: the first link of a message (not one of this server's files) gets a card with
// the page's title, description and image, asked of chatd (GET /previews?url=), which fetched it
// within its limits; the image comes from chatd too, so the linked site never sees readers.
// Off for this browser with /previews off; the server says in welcome whether it offers them.

import { state } from "./state.js";
import { links } from "./text.js";

const known = new Map(); // url -> preview, null (none), or a pending Promise

export const previewsOn = () => state.previews && localStorage.getItem("chatd.previews") !== "off";

export function setPreviews(on) {
  localStorage.setItem("chatd.previews", on ? "on" : "off");
}

function card(found, url) {
  const box = document.createElement("a");
  box.className = "preview";
  box.href = url;
  box.target = "_blank";
  box.rel = "noopener noreferrer";
  const words = document.createElement("span");
  words.className = "preview-text";
  for (const [cls, text] of [["site", found.site], ["title", found.title], ["description", found.description]]) {
    if (!text) continue;
    const part = document.createElement("span");
    part.className = `preview-${cls}`;
    part.textContent = text;
    words.append(part);
  }
  box.append(words);
  if (found.image && found.image.startsWith("/previews/")) {
    const img = document.createElement("img");
    img.alt = "";
    img.loading = "lazy";
    img.src = found.image;
    img.addEventListener("error", () => img.remove(), { once: true });
    box.append(img);
  }
  return box;
}

// Add the preview of ``line``'s first link to ``li`` (now if known, else when it comes).
export function addPreview(line, li) {
  if (!previewsOn() || line.kind === "notice") return;
  const url = links(line.text)[0]?.url;
  if (!url) return;
  try { if (/^\/files\//.test(new URL(url).pathname)) return; } catch { return; }
  const found = known.get(url);
  if (found && !(found instanceof Promise)) { li.append(card(found, url)); return; }
  if (found === null) return;
  const asked = found || fetch(`/previews?url=${encodeURIComponent(url)}`)
    .then((response) => (response.ok ? response.json() : null)).catch(() => null)
    .then((result) => { known.set(url, result); return result; });
  known.set(url, asked);
  asked.then((result) => { if (result && li.isConnected && !li.querySelector(".preview")) li.append(card(result, url)); });
}
