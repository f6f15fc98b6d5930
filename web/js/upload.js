// Sharing files: the attach button, paste and drag-and-drop. Each file is POSTed raw to the
// server's upload URL (the one IRC clients get as draft/FILEHOST) with this browser's session
// token (or, where the server lets guests upload, the guest token from welcome); the URL it
// answers with is said in the open conversation, so IRC and telnet users get a link.

import { say } from "./actions.js";
import { info, showError } from "./lines.js";
import { $, state } from "./state.js";

export function offerUploads(offer) {
  state.upload = offer || null;
  $("attach").hidden = !offer; // a guest who may not upload is told to sign in on a click
}

function credentials() {
  const token = localStorage.getItem("chatd.token") || state.upload?.token;
  return token ? `Bearer ${token}` : null;
}

export async function uploadFiles(files) {
  const conv = state.conversations.get(state.active);
  if (!files.length) return;
  if (!state.upload || !credentials()) return showError("Sign in to share files.");
  if (!conv) return showError("Open a conversation first.");
  for (const file of files) {
    if (file.size > state.upload.max_size) {
      showError(`${file.name} is larger than this server takes (${Math.round(state.upload.max_size / 1048576)} MB).`);
      continue;
    }
    const name = file.name || `pasted-${new Date().toISOString().replace(/[:.]/g, "-")}.${(file.type.split("/")[1] || "bin").replace("jpeg", "jpg")}`;
    info([`Uploading ${name}…`]);
    try {
      const response = await fetch(state.upload.url, {
        method: "POST",
        headers: { Authorization: credentials(), "Content-Type": file.type || "application/octet-stream",
                   "Content-Disposition": `attachment; filename*=UTF-8''${encodeURIComponent(name)}` },
        body: file,
      });
      const answer = await response.json().catch(() => ({}));
      if (response.status !== 201) throw new Error(answer.message || `the server answered ${response.status}`);
      await say(answer.url, conv); // said where it was dropped, even if the person moved on meanwhile
    } catch (error) {
      showError(`Could not share ${name}: ${error.message}`);
    }
  }
}

$("attach").addEventListener("click", () => $("file-input").click());
$("file-input").addEventListener("change", () => {
  uploadFiles([...$("file-input").files]);
  $("file-input").value = "";
});
$("message-input").addEventListener("paste", (e) => {
  const files = [...(e.clipboardData?.files || [])];
  if (!files.length || !state.upload) return;
  e.preventDefault();
  uploadFiles(files);
});
const area = document.querySelector("main.conversation");
area.addEventListener("dragover", (e) => {
  if (!state.upload || ![...(e.dataTransfer?.types || [])].includes("Files")) return;
  e.preventDefault();
  area.classList.add("dropping");
});
area.addEventListener("dragleave", (e) => { if (e.target === area) area.classList.remove("dropping"); });
area.addEventListener("drop", (e) => {
  area.classList.remove("dropping");
  if (!state.upload || !e.dataTransfer?.files.length) return;
  e.preventDefault();
  uploadFiles([...e.dataTransfer.files]);
});
