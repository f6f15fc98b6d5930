// The socket to the server: chatd.v1 frames, request ids, reconnect with backoff.
//
// Emits: "state" (connecting | online | offline, with retry delay), "open",
// and one event per server frame type ("welcome", "message", ...).

export const SUBPROTOCOL = "chatd.v1";

export class Connection extends EventTarget {
  constructor(url) {
    super();
    this.url = url;
    this.socket = null;
    this.nextId = 1;
    this.pending = new Map(); // request id -> {resolve, reject}
    this.attempt = 0;
    this.timer = null;
    this.stopped = false;
    window.addEventListener("online", () => this.reconnectNow());
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") this.reconnectNow();
    });
  }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  connect() {
    clearTimeout(this.timer);
    this.timer = null;
    this.emit("state", { state: "connecting" });
    let socket;
    try {
      socket = new WebSocket(this.url, SUBPROTOCOL);
    } catch (error) {
      this.scheduleReconnect();
      return;
    }
    this.socket = socket;
    socket.addEventListener("open", () => {
      this.attempt = 0;
      this.emit("state", { state: "online" });
      this.emit("open", {});
    });
    socket.addEventListener("message", (event) => this.receive(event.data));
    socket.addEventListener("close", () => {
      if (this.socket !== socket) return;
      this.socket = null;
      for (const { reject } of this.pending.values()) reject(new Error("connection lost"));
      this.pending.clear();
      if (!this.stopped) this.scheduleReconnect();
    });
  }

  scheduleReconnect() {
    if (this.timer) return;
    // 1, 2, 4 ... 30 s, with jitter so a restarted server is not hit all at once.
    const base = Math.min(30000, 1000 * 2 ** this.attempt);
    const delay = Math.round(base * (0.75 + Math.random() * 0.5));
    this.attempt += 1;
    this.emit("state", { state: "offline", retryIn: delay });
    this.timer = setTimeout(() => { this.timer = null; this.connect(); }, delay);
  }

  reconnectNow() {
    if (this.socket || this.stopped) return;
    clearTimeout(this.timer);
    this.timer = null;
    this.connect();
  }

  receive(data) {
    let frame;
    try {
      frame = JSON.parse(data);
    } catch {
      return;
    }
    if (frame.id !== undefined && this.pending.has(frame.id)) {
      const { resolve, reject } = this.pending.get(frame.id);
      this.pending.delete(frame.id);
      if (frame.type === "error") reject(Object.assign(new Error(frame.message), { code: frame.code }));
      else resolve(frame);
    }
    this.emit(frame.type, frame);
  }

  // Send a frame; resolves with the answer carrying the same id.
  request(frame) {
    return new Promise((resolve, reject) => {
      if (!this.socket || this.socket.readyState !== WebSocket.OPEN) {
        reject(new Error("not connected"));
        return;
      }
      const id = this.nextId++;
      this.pending.set(id, { resolve, reject });
      this.socket.send(JSON.stringify({ ...frame, id }));
    });
  }

  // Send a frame whose effect arrives as a broadcast (part, nick, topic set).
  send(frame) {
    if (this.socket && this.socket.readyState === WebSocket.OPEN) {
      this.socket.send(JSON.stringify(frame));
      return true;
    }
    return false;
  }
}
