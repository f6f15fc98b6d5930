// Message text into DOM nodes: always text nodes, never HTML; http(s) URLs
// become links that open in a new tab without handing over window.opener.

const URL_PATTERN = /\bhttps?:\/\/[^\s<>"']+/gi;
const TRAILING = /[.,;:!?)\]}]+$/;
// IRC formatting (bold, colours, ...), shown as plain text for now.
const FORMATTING = /\x03(\d{1,2}(,\d{1,2})?)?|\x04([0-9a-fA-F]{6}(,[0-9a-fA-F]{6})?)?|[\x02\x0f\x11\x16\x1d\x1e\x1f]/g;
// Other controls, and bidi overrides that would turn other people's text around.
// Line breaks stay: a message may have several lines.
const CONTROLS = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/g;

export function plainText(text) {
  return String(text).replace(FORMATTING, "").replace(CONTROLS, "");
}

export function renderText(raw) {
  const text = plainText(raw);
  const fragment = document.createDocumentFragment();
  let last = 0;
  for (const match of text.matchAll(URL_PATTERN)) {
    let url = match[0];
    const trail = url.match(TRAILING);
    if (trail) url = url.slice(0, -trail[0].length);
    const start = match.index;
    if (start > last) fragment.append(document.createTextNode(text.slice(last, start)));
    const link = document.createElement("a");
    link.href = url;
    link.textContent = url;
    link.target = "_blank";
    link.rel = "noopener noreferrer";
    fragment.append(link);
    last = start + url.length;
  }
  if (last < text.length) fragment.append(document.createTextNode(text.slice(last)));
  return fragment;
}

export function clock(seconds) {
  const date = new Date(seconds * 1000);
  return date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}
