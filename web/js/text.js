// Message text into DOM nodes: always text nodes, never HTML. IRC formatting
// (bold, italics, underline, strike, monospace, the 16 colours) becomes spans
// with classes; http(s) URLs become links that open in a new tab without
// handing over window.opener; other controls and bidi overrides are dropped.

const URL_PATTERN = /\bhttps?:\/\/[^\s<>"']+/gi;
const TRAILING = /[.,;:!?)\]}]+$/;
const FORMAT = /\x03(\d{1,2})?(?:,(\d{1,2}))?|\x04(?:[0-9a-fA-F]{6}(?:,[0-9a-fA-F]{6})?)?|[\x02\x0f\x11\x16\x1d\x1e\x1f]/g;
// Line breaks stay: a message may have several lines.
const CONTROLS = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/g;
const TOGGLES = { "\x02": "b", "\x1d": "i", "\x1f": "u", "\x1e": "s", "\x11": "mono", "\x16": "reverse" };

export function plainText(text) {
  return String(text).replace(FORMAT, "").replace(CONTROLS, "");
}

function keepFormatting(text) {
  // Controls go, except IRC's formatting codes, which renderText turns into classes.
  return String(text).replace(/[\x00\x01\x05-\x08\x0b-\x0e\x10\x12-\x15\x17-\x1c\x7f-\x9f\u202a-\u202e\u2066-\u2069]/g, "");
}

// The http(s) links of a text, each with where it starts, trailing punctuation left out.
export function links(text) {
  return [...String(text).matchAll(URL_PATTERN)].map((match) => ({ url: match[0].replace(TRAILING, ""), at: match.index }));
}

function linkified(text, into) {
  let last = 0;
  for (const { url, at } of links(text)) {
    if (at > last) into.append(document.createTextNode(text.slice(last, at)));
    const link = document.createElement("a");
    link.href = url;
    link.textContent = url;
    link.target = "_blank";
    link.rel = "noopener noreferrer";
    into.append(link);
    last = at + url.length;
  }
  if (last < text.length) into.append(document.createTextNode(text.slice(last)));
}

export function renderText(raw) {
  const text = keepFormatting(raw);
  const fragment = document.createDocumentFragment();
  const on = new Set();
  let fg = null;
  let bg = null;
  let last = 0;
  const flush = (end) => {
    if (end <= last) return;
    const piece = text.slice(last, end);
    if (!on.size && fg === null && bg === null) { linkified(piece, fragment); return; }
    const span = document.createElement("span");
    span.className = [...on, fg !== null ? `fg${fg}` : "", bg !== null ? `bg${bg}` : ""].filter(Boolean).join(" ");
    linkified(piece, span);
    fragment.append(span);
  };
  for (const match of text.matchAll(FORMAT)) {
    flush(match.index);
    last = match.index + match[0].length;
    const code = match[0][0];
    if (TOGGLES[code]) { if (on.has(TOGGLES[code])) on.delete(TOGGLES[code]); else on.add(TOGGLES[code]); }
    else if (code === "\x0f") { on.clear(); fg = bg = null; }
    else if (code === "\x03") {
      fg = match[1] !== undefined && Number(match[1]) < 16 ? Number(match[1]) : null;
      bg = match[2] !== undefined && Number(match[2]) < 16 ? Number(match[2]) : (fg === null ? null : bg);
    }
  }
  flush(text.length);
  return fragment;
}

export function clock(seconds) {
  const date = new Date(seconds * 1000);
  return date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}
