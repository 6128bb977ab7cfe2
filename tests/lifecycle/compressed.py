"""Memory of a server holding compressed WebSockets, for BENCHMARKS.md.

Opens N connections with the Python `websockets` client, which offers
permessage-deflate as browsers do; each sends one 3 KiB JSON message and
reads its echo, so that compression state exists on both sides; all stay
open while the server's resident memory is read from /proc, before and
after. Works against any echo server: echo_server in each --deflate mode,
or tests/interop/python_server.py.

Usage: compressed.py PORT SERVER_PID N
"""
import asyncio
import json
import sys

import websockets

from procfs import rss_kib


def message(seed):
    records, i = [], 0
    while len(json.dumps(records)) < 3000:
        records.append({"id": seed * 1000 + i, "user": f"user-{i * 7 % 500}", "score": i * 31 % 997})
        i += 1
    return json.dumps(records)


async def main(port, pid, count):
    before = rss_kib(pid)
    semaphore = asyncio.Semaphore(200)
    extensions = set()

    async def open_one(seed):
        async with semaphore:
            ws = await websockets.connect(f"ws://127.0.0.1:{port}/", max_size=None, open_timeout=60)
            text = message(seed)
            await ws.send(text)
            if await ws.recv() != text:
                raise RuntimeError("echo differs")
            extensions.add(ws.response.headers.get("Sec-WebSocket-Extensions"))
            return ws

    sockets = await asyncio.gather(*(open_one(seed) for seed in range(count)))
    await asyncio.sleep(1)
    after = rss_kib(pid)
    print(
        f"{count} compressed WebSockets: server RSS {before / 1024:.1f} MiB -> "
        f"{after / 1024:.1f} MiB, {(after - before) / count:.1f} KiB per connection; "
        f"agreed: {sorted(map(str, extensions))}"
    )
    await asyncio.gather(*(ws.close() for ws in sockets))


asyncio.run(main(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])))
