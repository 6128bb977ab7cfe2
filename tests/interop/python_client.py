"""Python's `websockets` client against a wscore echo server.

Usage: python_client.py ws://127.0.0.1:PORT/
Exchanges text, binary, a 1 MiB message and a clean close, compressed with
permessage-deflate; exits non-zero with the reason on any difference.
"""
import asyncio
import sys

import websockets


async def main(url):
    big = bytes(range(256)) * 4096  # 1 MiB
    async with websockets.connect(url, max_size=None) as ws:
        agreed = ws.response.headers.get("Sec-WebSocket-Extensions", "")
        if not agreed.startswith("permessage-deflate"):
            sys.exit(f"python client: permessage-deflate not agreed: {agreed!r}")
        for message in ["hello from python", "κόσμε 🌍", b"\x00\x01\xff", big, big.hex()[: 1 << 20]]:
            await ws.send(message)
            echo = await ws.recv()
            if echo != message:
                sys.exit(f"python client: echo differs for a {type(message).__name__} of {len(message)}")
        pong = await ws.ping(b"python ping")
        await asyncio.wait_for(pong, 5)
        await ws.close(code=1000, reason="done")
    if ws.close_code != 1000:
        sys.exit(f"python client: closed with {ws.close_code}, expected 1000")
    print(f"python websockets client: ok over {url.split(':')[0]}:// ({agreed})")


asyncio.run(main(sys.argv[1]))
