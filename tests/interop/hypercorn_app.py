"""An ASGI WebSocket echo for hypercorn, which serves it over HTTP/2
(extended CONNECT, RFC 8441) and HTTP/3 (RFC 9220): the other side for the
wscore client example's --http2 and --http3.

Usage: hypercorn --certfile CERT --keyfile KEY --bind 127.0.0.1:PORT hypercorn_app:app
"""


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            event = (await receive())["type"]
            await send({"type": event + ".complete"})
            if event == "lifespan.shutdown":
                return
    if scope["type"] != "websocket":
        await send({"type": "http.response.start", "status": 404, "headers": []})
        await send({"type": "http.response.body", "body": b"websocket only"})
        return
    print(f"websocket over HTTP/{scope['http_version']}", flush=True)
    await receive()  # websocket.connect
    await send({"type": "websocket.accept"})
    while True:
        event = await receive()
        if event["type"] == "websocket.disconnect":
            print(f"closed with {event.get('code')}", flush=True)
            return
        reply = {"type": "websocket.send"}
        if event.get("text") is not None:
            reply["text"] = event["text"]
        else:
            reply["bytes"] = event["bytes"]
        await send(reply)
