// The one connection to the daemon's WebSocket (/ws, next to this page), shared by every module.

import { Connection } from "./connection.js";

export const wsUrl = new URL("ws", location.href);
wsUrl.protocol = location.protocol === "https:" ? "wss:" : "ws:";
export const conn = new Connection(wsUrl.href);
