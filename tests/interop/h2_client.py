"""Python's `h2` (a sans-IO HTTP/2 implementation we did not write) as a
WebSocket-over-HTTP/2 client (RFC 8441) against echo_server: checks that
the server advertises SETTINGS_ENABLE_CONNECT_PROTOCOL, opens a WebSocket
with an extended CONNECT, exchanges a text and a binary message, closes
with 1000, and sees the server's close and the end of its stream.

Usage: h2_client.py HOST PORT CA_FILE
"""
import os
import socket
import ssl
import struct
import sys

import h2.config
import h2.connection
import h2.events
import h2.settings


def frame(opcode, payload):
    """A masked client frame, payload under 126 bytes."""
    key = os.urandom(4)
    masked = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
    return bytes([0x80 | opcode, 0x80 | len(payload)]) + key + masked


def main(host, port, ca):
    context = ssl.create_default_context(cafile=ca)
    context.set_alpn_protocols(["h2"])
    sock = context.wrap_socket(socket.create_connection((host, port), timeout=10), server_hostname=host)
    if sock.selected_alpn_protocol() != "h2":
        sys.exit(f"h2 client: ALPN {sock.selected_alpn_protocol()!r}, expected h2")
    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    conn.initiate_connection()
    sock.sendall(conn.data_to_send())

    events = []
    ended = set()

    def pump():
        data = sock.recv(65536)
        if not data:
            sys.exit("h2 client: the server closed the connection")
        for event in conn.receive_data(data):
            if isinstance(event, h2.events.DataReceived):
                conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
            if isinstance(event, h2.events.StreamEnded):
                ended.add(event.stream_id)
            events.append(event)
        sock.sendall(conn.data_to_send())

    while not any(isinstance(e, h2.events.RemoteSettingsChanged) for e in events):
        pump()
    if conn.remote_settings.get(h2.settings.SettingCodes.ENABLE_CONNECT_PROTOCOL) != 1:
        sys.exit("h2 client: the server did not advertise SETTINGS_ENABLE_CONNECT_PROTOCOL")

    stream = conn.get_next_available_stream_id()
    conn.send_headers(stream, [
        (":method", "CONNECT"), (":protocol", "websocket"), (":scheme", "https"),
        (":path", "/"), (":authority", f"{host}:{port}"),
        ("sec-websocket-version", "13"), ("origin", f"https://{host}:{port}"),
    ])
    sock.sendall(conn.data_to_send())
    while not any(isinstance(e, h2.events.ResponseReceived) for e in events):
        pump()
    status = dict(next(e for e in events if isinstance(e, h2.events.ResponseReceived)).headers)[b":status"]
    if status != b"200":
        sys.exit(f"h2 client: the extended CONNECT got {status.decode()}")

    received = bytearray()

    def next_frame():
        while True:
            if len(received) >= 2:
                length = received[1] & 0x7F
                header = 2
                if length == 126:
                    length, header = struct.unpack("!H", received[2:4])[0], 4
                if len(received) >= header + length:
                    opcode, payload = received[0] & 0x0F, bytes(received[header:header + length])
                    del received[:header + length]
                    return opcode, payload
            pump()
            for event in events:
                if isinstance(event, h2.events.DataReceived) and event.stream_id == stream:
                    received.extend(event.data)
            events.clear()

    events.clear()
    for opcode, payload in [(0x1, "over HTTP/2 from python h2".encode()), (0x2, bytes(range(100)))]:
        conn.send_data(stream, frame(opcode, payload))
        sock.sendall(conn.data_to_send())
        echo = next_frame()
        if echo != (opcode, payload):
            sys.exit(f"h2 client: echo {echo!r}")
    conn.send_data(stream, frame(0x8, struct.pack("!H", 1000)))
    sock.sendall(conn.data_to_send())
    opcode, payload = next_frame()
    if opcode != 0x8 or payload[:2] != struct.pack("!H", 1000):
        sys.exit(f"h2 client: expected the close echoed, got {opcode} {payload!r}")
    conn.end_stream(stream)
    sock.sendall(conn.data_to_send())
    # The server ends its half of the stream after the close (RFC 8441 §5).
    while stream not in ended:
        pump()
    print("python h2 client: ok (extended CONNECT, text, binary, close 1000, stream ended)")


main(sys.argv[1], int(sys.argv[2]), sys.argv[3])
