"""What carrying a device to the node holding its person costs (chatd/cluster/relay.py).

One account signs in twice: its laptop on node A, which then holds the person, and its phone on
node B, whose connection is carried to A.  Each device says ``count`` lines in a room, one at a
time, and waits for the server's echo (``echo-message``) before the next: the round trip a person
feels.  Reported: the round trips of each (median, 99th percentile) and the CPU both nodes spent
per line, so the carried path is read against the direct one in the same run.

    python -m bench.carried --port-a 6667 --port-b 6668 --count 2000 --cpu-pids 1234,1235
"""

from __future__ import annotations

import argparse
import base64
import json
import time
from typing import Optional

from .loadgen import percentile, tree_cpu_seconds
from .poster import Irc

PASSWORD = "bench-password"


def signed_in(port: int, nick: str, device: str) -> Irc:
    client = Irc(port)
    client.send(f"CAP REQ :sasl echo-message\r\nNICK {nick}\r\nUSER {nick} 0 * :{nick}\r\nAUTHENTICATE PLAIN\r\n")
    client.until("AUTHENTICATE +")
    login = base64.b64encode(f"\0{nick}@{device}\0{PASSWORD}".encode()).decode()
    client.send(f"AUTHENTICATE {login}\r\n")
    client.until(" 903 ")
    client.send("CAP END\r\n")
    client.until(f" 001 {nick} ")
    return client


def round_trips(client: Irc, room: str, count: int, label: str) -> list[float]:
    took = []
    for n in range(count):
        started = time.perf_counter()
        client.send(f"PRIVMSG {room} :{label} {n}\r\n")
        client.until(f"PRIVMSG {room} :{label} {n}")
        took.append((time.perf_counter() - started) * 1000)
    return sorted(took)


def measure(port_a: int, port_b: int, count: int, pids: list[int]) -> dict[str, Optional[float]]:
    nick, room = f"carried{int(time.time()) % 100000}", "#carried"
    guest = Irc(port_a)
    guest.send(f"NICK {nick}\r\nUSER {nick} 0 * :{nick}\r\n")
    guest.until(" 001 ")
    guest.send(f"REGISTER * * :{PASSWORD}\r\n")
    guest.until("REGISTER SUCCESS")
    guest.send("QUIT\r\n")
    laptop = signed_in(port_a, nick, "laptop")
    laptop.send(f"JOIN {room}\r\n")
    laptop.until(f" 366 {nick} {room} ")
    phone = signed_in(port_b, nick, "phone")
    phone.until(f" 366 {nick} {room} ")  # carried: it is shown the room its person is in
    result: dict[str, Optional[float]] = {}
    for label, client in (("direct", laptop), ("carried", phone)):
        round_trips(client, room, min(50, count), f"warm-{label}")
        cpu = tree_cpu_seconds(pids) if pids else 0.0
        took = round_trips(client, room, count, label)
        result[f"{label}_p50_ms"] = percentile(took, 0.5)
        result[f"{label}_p99_ms"] = percentile(took, 0.99)
        result[f"{label}_cpu_ms_per_line"] = (tree_cpu_seconds(pids) - cpu) * 1000 / count if pids else None
    return result


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.carried")
    parser.add_argument("--port-a", type=int, required=True, help="the node the laptop signs in on (it holds them)")
    parser.add_argument("--port-b", type=int, required=True, help="the node the phone signs in on (carried to A)")
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--cpu-pids", default="", help="the nodes' process ids, comma-separated")
    args = parser.parse_args()
    pids = [int(p) for p in args.cpu_pids.split(",") if p]
    print(json.dumps(measure(args.port_a, args.port_b, args.count, pids)))


if __name__ == "__main__":
    main()
