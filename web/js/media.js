// Files shared in messages, shown in place: a link to this server's /files/<id>/<name> becomes an
// image, a video, an audio player or a file card under the text. Only this server's files are
// loaded (by path, from this origin): other links stay links, and nothing is fetched from them.

import { links } from "./text.js";

const FILE_PATH = /^\/files\/[0-9a-f]{32}\/[^/?#]+$/;
const IMAGE = /\.(png|jpe?g|gif|webp|avif)$/i;
const VIDEO = /\.(mp4|webm|ogv|mov)$/i;
const AUDIO = /\.(mp3|ogg|oga|opus|wav|m4a|flac)$/i;

// The paths of this server's files in a message's text (at most four are shown).
export function filePaths(text) {
  const found = [];
  for (const link of links(text)) {
    let url;
    try { url = new URL(link.url); } catch { continue; }
    if (FILE_PATH.test(url.pathname) && !found.includes(url.pathname)) found.push(url.pathname);
  }
  return found.slice(0, 4);
}

function card(path, name) {
  const link = document.createElement("a");
  link.className = "file-card";
  link.href = path;
  link.download = name;
  link.target = "_blank";
  link.rel = "noopener noreferrer";
  link.textContent = `📄 ${name}`;
  return link;
}

export function attachment(path) {
  const name = decodeURIComponent(path.split("/").pop());
  const figure = document.createElement("figure");
  figure.className = "attachment";
  let media;
  if (IMAGE.test(name)) {
    media = document.createElement("img");
    media.alt = name;
    media.loading = "lazy";
    const open = document.createElement("a");
    open.href = path;
    open.target = "_blank";
    open.rel = "noopener noreferrer";
    open.append(media);
    figure.append(open);
  } else if (VIDEO.test(name) || AUDIO.test(name)) {
    media = document.createElement(VIDEO.test(name) ? "video" : "audio");
    media.controls = true;
    media.preload = "metadata";
    media.setAttribute("aria-label", name);
    figure.append(media);
  } else {
    figure.append(card(path, name));
    return figure;
  }
  // Not what its name says (or gone with its message): a card, not a broken image.
  media.addEventListener("error", () => figure.replaceChildren(card(path, name)), { once: true });
  media.src = path;
  return figure;
}
