"""Holds many open WebSockets on one server and reports its memory.

Opens N WebSocket connections to echo_server (a minimal client written on
asyncio streams, so that the load costs little), each echoing one message,
keeps them all open, and reads the server's resident memory from /proc
before and after. Then closes them all with a close handshake.

Usage: hold.py PORT SERVER_PID N [CA_FILE]
With a CA file (PEM), the connections are wss:// to localhost, trusting it.
Prints the RSS per open WebSocket; exits non-zero if any connection failed.
"""
import asyncio
import base64
import os
import resource
import ssl
import sys
import time

from procfs import rss_kib

REQUEST = (
    "GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
    "Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
)


def masked(opcode, payload):
    key = os.urandom(4)
    body = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
    return bytes([0x80 | opcode, 0x80 | len(payload)]) + key + body


async def open_one(port, semaphore, tls):
    async with semaphore:
        if tls:
            reader, writer = await asyncio.open_connection(
                "127.0.0.1", port, ssl=tls, server_hostname="localhost"
            )
        else:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        key = base64.b64encode(os.urandom(16)).decode()
        writer.write(REQUEST.format(port=port, key=key).encode())
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30)
        if not head.startswith(b"HTTP/1.1 101 "):
            raise RuntimeError(head.split(b"\r\n")[0].decode())
        writer.write(masked(0x1, b"hello"))
        echo = await asyncio.wait_for(reader.readexactly(7), 30)
        if echo != b"\x81\x05hello":
            raise RuntimeError(f"echo {echo!r}")
        return reader, writer


async def close_one(reader, writer):
    writer.write(masked(0x8, b"\x03\xe8"))
    try:
        await asyncio.wait_for(reader.read(), 10)
    except (asyncio.TimeoutError, OSError):
        pass
    writer.close()


async def main(port, pid, count, ca):
    tls = ssl.create_default_context(cafile=ca) if ca else None
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    before = rss_kib(pid)
    started = time.monotonic()
    semaphore = asyncio.Semaphore(500)
    results = await asyncio.gather(
        *(open_one(port, semaphore, tls) for _ in range(count)), return_exceptions=True
    )
    failed = [r for r in results if isinstance(r, BaseException)]
    opened = [r for r in results if not isinstance(r, BaseException)]
    took = time.monotonic() - started
    await asyncio.sleep(1)
    after = rss_kib(pid)
    per = (after - before) / max(len(opened), 1)
    print(
        f"hold: {len(opened)} {'wss://' if tls else 'ws://'} WebSockets open and echoing in {took:.1f} s; server RSS "
        f"{before / 1024:.1f} MiB -> {after / 1024:.1f} MiB, {per:.1f} KiB per connection"
    )
    await asyncio.gather(*(close_one(r, w) for r, w in opened))
    if failed:
        sys.exit(f"hold: {len(failed)} connections failed, e.g. {failed[0]!r}")


asyncio.run(main(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), (sys.argv[4:5] or [None])[0]))
