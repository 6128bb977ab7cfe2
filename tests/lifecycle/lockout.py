"""Silent sockets cannot lock a server out.

Opens 1,100 TCP connections to echo_server that never finish a request
(half send nothing, half a partial request line), then checks, as a user
would, that:

- a legitimate client still connects and gets its echo within 2 s;
- every silent socket is answered (408) and closed by the server within
  its handshake deadline plus 2 s, with end of file rather than a reset.

Usage: lockout.py PORT HANDSHAKE_TIMEOUT_SECS
Exits non-zero with a line naming what went wrong.
"""
import asyncio
import resource
import sys
import time

import websockets

SILENT = 1100


async def silent(port, partial):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    opened = time.monotonic()
    if partial:
        writer.write(b"GET / HT")
        await writer.drain()
    return reader, writer, opened


async def until_closed(reader, writer, opened, limit):
    """Seconds until the server closed, and how: 'eof' or the error."""
    received = b""
    try:
        while True:
            chunk = await asyncio.wait_for(reader.read(4096), limit)
            if not chunk:
                how = "eof"
                break
            received += chunk
    except asyncio.TimeoutError:
        how = "still open"
    except OSError as error:
        how = f"error: {error}"
    writer.close()
    return time.monotonic() - opened, how, received


async def main(port, deadline):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    sockets = await asyncio.gather(*(silent(port, i % 2 == 1) for i in range(SILENT)))
    print(f"lockout: {len(sockets)} silent sockets open (half with a partial request line)")

    started = time.monotonic()
    async with websockets.connect(f"ws://127.0.0.1:{port}/", open_timeout=2) as ws:
        await ws.send("still served")
        reply = await asyncio.wait_for(ws.recv(), 2)
    took = time.monotonic() - started
    if reply != "still served" or took > 2:
        sys.exit(f"lockout: a legitimate client got {reply!r} after {took:.2f} s")
    print(f"lockout: a legitimate client connected and got its echo in {took * 1000:.0f} ms")

    limit = deadline + 2
    results = await asyncio.gather(*(until_closed(r, w, o, limit) for r, w, o in sockets))
    late = [(t, how) for t, how, _ in results if how != "eof" or t > limit]
    answered = sum(1 for _, _, received in results if received.startswith(b"HTTP/1.1 408 "))
    slowest = max(t for t, _, _ in results)
    if late:
        sys.exit(f"lockout: {len(late)} silent sockets not closed cleanly in {limit} s, e.g. {late[:3]}")
    if answered != SILENT:
        sys.exit(f"lockout: only {answered} of {SILENT} silent sockets got 408")
    print(
        f"lockout: all {SILENT} silent sockets got 408 and end of file, "
        f"the last {slowest:.2f} s after opening (deadline {deadline} s)"
    )


asyncio.run(main(int(sys.argv[1]), float(sys.argv[2])))
