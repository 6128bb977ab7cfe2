"""A Python `websockets` echo server, for the wscore client example.

Usage: python_server.py PORT [CERT KEY]
With a certificate chain and key (PEM), it serves wss:// instead of ws://.
"""
import asyncio
import ssl
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


async def main(port, tls):
    context = None
    if tls:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*tls)
    async with websockets.serve(echo, "127.0.0.1", port, max_size=None, ssl=context):
        await asyncio.sleep(60)


asyncio.run(main(int(sys.argv[1]), sys.argv[2:4]))
