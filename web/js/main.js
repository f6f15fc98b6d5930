// The chat page: it starts here. Modules by concern: link.js (the connection), state.js (what the
// page knows), lines.js (conversation lines), actions.js (what a person does), frames.js (the
// server's frames), controls.js (the page's controls), views.js (rendering), commands.js (/commands),
// upload.js and media.js (sharing files and showing them), dialogs.js (help panel, Ctrl+K jump box).
// See docs/web.md and docs/protocol.md.

import { COMMANDS } from "./commands.js";
import "./controls.js";
import "./dialogs.js";
import { login, refreshDirectory } from "./actions.js";
import "./frames.js";
import "./upload.js";
import { conn, wsUrl } from "./link.js";
import { setUpRecovery } from "./recovery.js";
import { $, state } from "./state.js";

$("message-input").dataset.placeholder = $("message-input").placeholder = `Message, or /${Object.keys(COMMANDS).slice(0, 6).join(" /")} … (/help)`;
setInterval(() => { if (state.welcomed && conn.socket) refreshDirectory(); }, 30000);
const resetting = setUpRecovery(wsUrl.href); // a reset link shows its form instead of signing in
if (state.wantedNick && !resetting) { // a reload: same nick, same rooms and conversations
  $("nick-input").value = state.wantedNick;
  login(state.wantedNick, "");
}
