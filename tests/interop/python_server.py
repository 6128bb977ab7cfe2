"""A Python `websockets` echo server, for the wscore client example.

Usage: python_server.py PORT
"""
import asyncio
import sys

import websockets


async def echo(ws):
    # For run.sh: what the client's offer led to.
    print("extensions:", ws.response.headers.get("Sec-WebSocket-Extensions"), flush=True)
    if ws.request.path == "/close":
        # A server that closes as soon as it has upgraded.
        await ws.close(1000, "bye")
        return
    async for message in ws:
        await ws.send(message)


async def main(port):
    async with websockets.serve(echo, "127.0.0.1", port, max_size=None):
        await asyncio.sleep(60)


asyncio.run(main(int(sys.argv[1])))
