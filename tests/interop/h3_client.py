"""aioquic (a sans-IO QUIC and HTTP/3 implementation we did not write) as a
WebSocket-over-HTTP/3 client (RFC 9220) against echo_server --h3: checks
that the server advertises SETTINGS_ENABLE_CONNECT_PROTOCOL, opens a
WebSocket with an extended CONNECT, exchanges a text and a binary message,
closes with 1000, and sees the server's close and the end of its stream.

Usage: h3_client.py HOST PORT CA_FILE
"""
import asyncio
import os
import struct
import sys

from aioquic.asyncio.client import connect
from aioquic.asyncio.protocol import QuicConnectionProtocol
from aioquic.h3.connection import H3_ALPN, H3Connection, Setting
from aioquic.h3.events import DataReceived, HeadersReceived
from aioquic.quic.configuration import QuicConfiguration


def frame(opcode, payload):
    """A masked client frame, payload under 126 bytes."""
    key = os.urandom(4)
    masked = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
    return bytes([0x80 | opcode, 0x80 | len(payload)]) + key + masked


class Client(QuicConnectionProtocol):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.h3 = H3Connection(self._quic)
        self.events = asyncio.Queue()

    def quic_event_received(self, event):
        for h3_event in self.h3.handle_event(event):
            self.events.put_nowait(h3_event)


async def main(host, port, ca):
    configuration = QuicConfiguration(is_client=True, alpn_protocols=H3_ALPN, server_name=host)
    configuration.load_verify_locations(ca)
    async with connect(host, port, configuration=configuration, create_protocol=Client) as client:
        # The server's SETTINGS arrive on its control stream.
        for _ in range(50):
            if client.h3.received_settings is not None:
                break
            await asyncio.sleep(0.05)
        settings = client.h3.received_settings or {}
        if settings.get(Setting.ENABLE_CONNECT_PROTOCOL) != 1:
            sys.exit(f"h3 client: no SETTINGS_ENABLE_CONNECT_PROTOCOL in {settings}")
        stream = client._quic.get_next_available_stream_id()
        client.h3.send_headers(stream, [
            (b":method", b"CONNECT"), (b":protocol", b"websocket"), (b":scheme", b"https"),
            (b":path", b"/"), (b":authority", f"{host}:{port}".encode()),
            (b"sec-websocket-version", b"13"), (b"origin", f"https://{host}:{port}".encode()),
        ])
        client.transmit()
        event = await asyncio.wait_for(client.events.get(), 10)
        status = dict(event.headers).get(b":status") if isinstance(event, HeadersReceived) else None
        if status != b"200":
            sys.exit(f"h3 client: the extended CONNECT got {event!r}")
        received = bytearray()
        ended = False

        async def next_frame():
            nonlocal ended
            while True:
                if len(received) >= 2 and len(received) >= 2 + (received[1] & 0x7F):
                    length = received[1] & 0x7F
                    opcode, payload = received[0] & 0x0F, bytes(received[2:2 + length])
                    del received[:2 + length]
                    return opcode, payload
                event = await asyncio.wait_for(client.events.get(), 10)
                if isinstance(event, DataReceived) and event.stream_id == stream:
                    received.extend(event.data)
                    ended = ended or event.stream_ended

        for opcode, payload in [(0x1, "over HTTP/3 from aioquic".encode()), (0x2, bytes(range(100)))]:
            client.h3.send_data(stream, frame(opcode, payload), end_stream=False)
            client.transmit()
            echo = await next_frame()
            if echo != (opcode, payload):
                sys.exit(f"h3 client: echo {echo!r}")
        client.h3.send_data(stream, frame(0x8, struct.pack("!H", 1000)), end_stream=False)
        client.transmit()
        opcode, payload = await next_frame()
        if opcode != 0x8 or payload[:2] != struct.pack("!H", 1000):
            sys.exit(f"h3 client: expected the close echoed, got {opcode} {payload!r}")
        client.h3.send_data(stream, b"", end_stream=True)
        client.transmit()
        # The server ends its half of the stream after the close (RFC 9220 §3, RFC 8441 §5).
        while not ended:
            event = await asyncio.wait_for(client.events.get(), 10)
            if isinstance(event, DataReceived) and event.stream_id == stream:
                ended = event.stream_ended
    print("aioquic h3 client: ok (extended CONNECT, text, binary, close 1000, stream ended)")


asyncio.run(main(sys.argv[1], int(sys.argv[2]), sys.argv[3]))
