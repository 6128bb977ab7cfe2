//! The server side of the opening handshake: requests as real clients and
//! proxies send them, every rule, every rejection and its message.

use std::time::Duration;
use wscore::handshake::server::{
    Accept, AcceptError, Origins, Request, RequestError, RequestKind, Response, ServerHandshake,
};
use wscore::handshake::{HttpError, Limits, Status};

/// Chromium 120 on Linux, as captured from its network log.
const CHROME: &str = "GET /chat?room=lobby HTTP/1.1\r\n\
Host: localhost:9001\r\n\
Connection: Upgrade\r\n\
Pragma: no-cache\r\n\
Cache-Control: no-cache\r\n\
User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36\r\n\
Upgrade: websocket\r\n\
Origin: http://localhost:9001\r\n\
Sec-WebSocket-Version: 13\r\n\
Accept-Encoding: gzip, deflate, br\r\n\
Accept-Language: en-US,en;q=0.9\r\n\
Cookie: session=abc123; theme=dark\r\n\
Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\
Sec-WebSocket-Protocol: chat.v2, chat.v1\r\n\r\n";

/// Firefox 121: `Connection: keep-alive, Upgrade`, and the Fetch metadata headers.
const FIREFOX: &str = "GET /chat HTTP/1.1\r\n\
Host: localhost:9001\r\n\
User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0\r\n\
Accept: */*\r\n\
Accept-Language: en-US,en;q=0.5\r\n\
Accept-Encoding: gzip, deflate, br\r\n\
Sec-WebSocket-Version: 13\r\n\
Origin: http://localhost:9001\r\n\
Sec-WebSocket-Extensions: permessage-deflate\r\n\
Sec-WebSocket-Key: x3JJHMbDL1EzLkh9GBhXDw==\r\n\
Connection: keep-alive, Upgrade\r\n\
Sec-Fetch-Dest: empty\r\n\
Sec-Fetch-Mode: websocket\r\n\
Sec-Fetch-Site: same-origin\r\n\
Pragma: no-cache\r\n\
Cache-Control: no-cache\r\n\
Upgrade: websocket\r\n\r\n";

/// Safari 17 on macOS.
const SAFARI: &str = "GET /chat HTTP/1.1\r\n\
Host: localhost:9001\r\n\
Origin: http://localhost:9001\r\n\
Pragma: no-cache\r\n\
Accept: */*\r\n\
Sec-WebSocket-Key: AQIDBAUGBwgJCgsMDQ4PEA==\r\n\
Sec-WebSocket-Version: 13\r\n\
Sec-WebSocket-Extensions: permessage-deflate\r\n\
Cache-Control: no-cache\r\n\
Accept-Language: en-US,en;q=0.9\r\n\
Upgrade: websocket\r\n\
Accept-Encoding: gzip, deflate\r\n\
User-Agent: Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Safari/605.1.15\r\n\
Connection: Upgrade\r\n\r\n";

/// curl 8's native ws:// support.
const CURL: &str = "GET /chat HTTP/1.1\r\n\
Host: localhost:9001\r\n\
User-Agent: curl/8.5.0\r\n\
Accept: */*\r\n\
Upgrade: websocket\r\n\
Sec-WebSocket-Version: 13\r\n\
Sec-WebSocket-Key: SGVsbG8sIHdvcmxkIQAAAA==\r\n\
Connection: Upgrade\r\n\r\n";

/// nginx configured for WebSocket (`proxy_http_version 1.1`, Upgrade and
/// Connection set): lowercase `upgrade`, forwarding headers added.
const NGINX_PROXIED: &str = "GET /chat HTTP/1.1\r\n\
Upgrade: websocket\r\n\
Connection: upgrade\r\n\
Host: app.internal\r\n\
X-Real-IP: 203.0.113.7\r\n\
X-Forwarded-For: 203.0.113.7\r\n\
X-Forwarded-Proto: https\r\n\
Sec-WebSocket-Version: 13\r\n\
Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
Origin: https://example.com\r\n\r\n";

/// nginx with its default proxy settings: HTTP/1.0, `Connection: close`,
/// and the hop-by-hop Upgrade and Connection headers dropped.
const NGINX_DEFAULT: &str = "GET /chat HTTP/1.0\r\n\
Host: app.internal\r\n\
Connection: close\r\n\
Sec-WebSocket-Version: 13\r\n\
Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
Origin: https://example.com\r\n\r\n";

fn parse(bytes: &[u8]) -> Request<'_> {
    match ServerHandshake::new(Limits::default(), core::time::Duration::ZERO).receive(bytes) {
        Ok(Status::Complete(request)) => request,
        other => panic!("expected a complete request, got {other:?}"),
    }
}

/// The request with one header line replaced (or removed when `line` is empty).
fn with_header(name: &str, line: &str) -> String {
    let mut out = String::new();
    for l in CURL.split_inclusive("\r\n") {
        if l.to_ascii_lowercase()
            .starts_with(&format!("{}:", name.to_ascii_lowercase()))
        {
            out.push_str(line);
        } else {
            out.push_str(l);
        }
    }
    out
}

fn check_error(request: &str) -> RequestError {
    parse(request.as_bytes())
        .check()
        .expect_err("the request must be refused")
}

fn response_text(response: &[u8]) -> &str {
    std::str::from_utf8(response).unwrap()
}

#[test]
fn browsers_curl_and_proxies_are_accepted() {
    for (name, request, key) in [
        ("chrome", CHROME, "dGhlIHNhbXBsZSBub25jZQ=="),
        ("firefox", FIREFOX, "x3JJHMbDL1EzLkh9GBhXDw=="),
        ("safari", SAFARI, "AQIDBAUGBwgJCgsMDQ4PEA=="),
        ("curl", CURL, "SGVsbG8sIHdvcmxkIQAAAA=="),
        ("nginx", NGINX_PROXIED, "dGhlIHNhbXBsZSBub25jZQ=="),
    ] {
        let request = parse(request.as_bytes());
        assert_eq!(request.check(), Ok(()), "{name}");
        assert!(request.is_upgrade(), "{name}");
        assert_eq!(request.kind(), RequestKind::WebSocket, "{name}");
        // nginx rewrote Host to the upstream's name: the public origin is listed.
        let accept = match name {
            "nginx" => Accept::new().origins(Origins::AllowList(&["https://example.com"])),
            _ => Accept::new(),
        };
        let accepted = request.accept(&accept).unwrap();
        let expected_accept =
            String::from_utf8(wscore::handshake::accept_key(key.as_bytes()).to_vec()).unwrap();
        assert_eq!(
            response_text(accepted.response()),
            format!(
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                 Sec-WebSocket-Accept: {expected_accept}\r\n\r\n"
            ),
            "{name}"
        );
    }
}

#[test]
fn the_application_sees_the_whole_request() {
    let request = parse(CHROME.as_bytes());
    assert_eq!(request.method(), "GET");
    assert_eq!(request.target(), "/chat?room=lobby");
    assert_eq!(request.path(), "/chat");
    assert_eq!(request.query(), Some("room=lobby"));
    assert_eq!(request.host(), Some("localhost:9001"));
    assert_eq!(request.origin(), Some("http://localhost:9001"));
    assert_eq!(
        request
            .header("USER-AGENT")
            .map(|ua| ua.contains("Chrome/120")),
        Some(true)
    );
    assert_eq!(request.cookie("session"), Some("abc123"));
    assert_eq!(request.cookie("theme"), Some("dark"));
    assert_eq!(request.cookie("missing"), None);
    assert_eq!(
        request.protocols().collect::<Vec<_>>(),
        ["chat.v2", "chat.v1"]
    );
    let extensions: Vec<_> = request.extensions().collect();
    assert_eq!(extensions.len(), 1);
    assert_eq!(extensions[0].name(), "permessage-deflate");
    assert_eq!(
        extensions[0].params().collect::<Vec<_>>(),
        [("client_max_window_bits", None)]
    );
    assert_eq!(request.headers().count(), 14);
    assert_eq!(request.header_len(), CHROME.len());
}

#[test]
fn accept_with_protocol_extension_and_headers() {
    let request = parse(CHROME.as_bytes());
    let accept = Accept::new()
        .protocol("chat.v1")
        .extension("permessage-deflate; server_no_context_takeover")
        .header("Set-Cookie", "seen=1; HttpOnly");
    let accepted = request.accept(&accept).unwrap();
    assert_eq!(accepted.protocol(), Some("chat.v1"));
    assert_eq!(
        response_text(accepted.response()),
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: chat.v1\r\n\
         Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover\r\n\
         Set-Cookie: seen=1; HttpOnly\r\n\r\n"
    );
}

#[test]
fn accept_refuses_what_the_client_did_not_offer() {
    let request = parse(CHROME.as_bytes());
    let error = request
        .accept(&Accept::new().protocol("chat.v3"))
        .unwrap_err();
    assert_eq!(error, AcceptError::ProtocolNotOffered("chat.v3".into()));
    assert_eq!(
        error.to_string(),
        "cannot accept with subprotocol `chat.v3`: the client did not offer it"
    );
    let error = request
        .accept(&Accept::new().extension("x-webkit-deflate-frame"))
        .unwrap_err();
    assert_eq!(
        error,
        AcceptError::ExtensionNotOffered("x-webkit-deflate-frame".into())
    );
    // A protocol when none was offered at all.
    let error = parse(CURL.as_bytes())
        .accept(&Accept::new().protocol("chat"))
        .unwrap_err();
    assert_eq!(error, AcceptError::ProtocolNotOffered("chat".into()));
    assert!(response_text(&error.response()).starts_with("HTTP/1.1 500 Internal Server Error\r\n"));
}

#[test]
fn malformed_subprotocols_are_never_offered_to_the_application() {
    let request = CURL.replace(
        "Connection: Upgrade\r\n",
        "Connection: Upgrade\r\nSec-WebSocket-Protocol: chat, bad name, x:y, \"q\"\r\n",
    );
    let request = parse(request.as_bytes());
    assert_eq!(request.protocols().collect::<Vec<_>>(), ["chat"]);
    let error = request
        .accept(&Accept::new().protocol("bad name"))
        .unwrap_err();
    assert_eq!(error, AcceptError::ProtocolNotOffered("bad name".into()));
}

#[test]
fn accept_refuses_headers_that_would_split_the_response() {
    let request = parse(CURL.as_bytes());
    for (name, value) in [
        ("X-Evil", "a\r\nInjected: yes"),
        ("Bad Name", "v"),
        ("X", "nul\0"),
    ] {
        let error = request
            .accept(&Accept::new().header(name, value))
            .unwrap_err();
        assert!(matches!(error, AcceptError::InvalidHeader(_)), "{name:?}");
    }
}

#[test]
fn proxy_that_drops_upgrade_headers_gets_a_reply_that_says_so() {
    // nginx with default settings: no Upgrade, no Connection: Upgrade, HTTP/1.0.
    let request = parse(NGINX_DEFAULT.as_bytes());
    assert!(!request.is_upgrade());
    let error = request.check().unwrap_err();
    assert_eq!(error, RequestError::StrippedUpgrade);
    // Classified so that a server serving pages on the path still answers it.
    assert_eq!(request.kind(), RequestKind::StrippedUpgrade(error));
    let message = "a WebSocket request (it has Sec-WebSocket-Key) arrived without \
         `Upgrade: websocket` and `Connection: Upgrade`: something on the way removed them; \
         if a reverse proxy is in front, it must forward the Upgrade and Connection headers \
         (nginx: proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection \"upgrade\")";
    assert_eq!(error.to_string(), message);
    let response = error.response();
    let text = response_text(&response);
    assert!(
        text.starts_with("HTTP/1.1 426 Upgrade Required\r\n"),
        "{text}"
    );
    assert!(text.contains("\r\nUpgrade: websocket\r\n"));
    assert!(text.contains("\r\nSec-WebSocket-Version: 13\r\n"));
    assert!(text.contains("\r\nConnection: close\r\n"));
    assert!(text.ends_with(&format!("\r\n\r\n{message}\n")));
    let content_length: usize = text
        .lines()
        .find_map(|l| l.strip_prefix("Content-Length: "))
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(content_length, text.split("\r\n\r\n").nth(1).unwrap().len());
}

#[test]
fn every_rule_has_its_status_and_message() {
    let cases: [(String, RequestError, u16, &str); 13] = [
        (CURL.replacen("GET", "POST", 1), RequestError::NotGet, 405, "a WebSocket handshake must be a GET request (RFC 6455 §4.1)"),
        (CURL.replacen("HTTP/1.1", "HTTP/1.0", 1), RequestError::OldHttpVersion, 400,
            "a WebSocket handshake needs HTTP/1.1 or later, this request is HTTP/1.0 (RFC 6455 §4.1); a reverse proxy in front must speak HTTP/1.1 to this server (nginx: proxy_http_version 1.1)"),
        (with_header("host", ""), RequestError::MissingHost, 400, "missing Host header (RFC 6455 §4.1)"),
        (with_header("upgrade", ""), RequestError::MissingUpgrade, 400,
            "missing `Upgrade: websocket`; if a reverse proxy is in front, it must forward the Upgrade and Connection headers"),
        (with_header("upgrade", "").replace("Connection: Upgrade\r\n", ""), RequestError::StrippedUpgrade, 426,
            "a WebSocket request (it has Sec-WebSocket-Key) arrived without `Upgrade: websocket` and `Connection: Upgrade`: something on the way removed them; if a reverse proxy is in front, it must forward the Upgrade and Connection headers (nginx: proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection \"upgrade\")"),
        (String::from("GET /chat HTTP/1.1\r\nHost: localhost:9001\r\n\r\n"), RequestError::NotAnUpgrade, 426,
            "this endpoint only speaks WebSocket: missing `Upgrade: websocket`; if a reverse proxy is in front, it must forward the Upgrade and Connection headers"),
        (with_header("upgrade", "Upgrade: h2c\r\n"), RequestError::UpgradeNotWebSocket, 400, "the Upgrade header does not name websocket (RFC 6455 §4.1)"),
        (with_header("connection", "Connection: keep-alive\r\n"), RequestError::MissingConnectionUpgrade, 400,
            "missing `Connection: Upgrade`; if a reverse proxy is in front, it must forward the Upgrade and Connection headers"),
        (with_header("sec-websocket-version", ""), RequestError::MissingVersion, 426, "missing Sec-WebSocket-Version; this server speaks version 13 (RFC 6455 §4.1)"),
        (with_header("sec-websocket-version", "Sec-WebSocket-Version: 8\r\n"), RequestError::UnsupportedVersion, 426, "unsupported Sec-WebSocket-Version; this server speaks version 13 (RFC 6455 §4.4)"),
        (with_header("sec-websocket-key", ""), RequestError::MissingKey, 400, "missing Sec-WebSocket-Key (RFC 6455 §4.1)"),
        (with_header("sec-websocket-key", "Sec-WebSocket-Key: c2hvcnQ=\r\n"), RequestError::InvalidKey, 400, "Sec-WebSocket-Key is not base64 of 16 bytes (RFC 6455 §4.1)"),
        (with_header("sec-websocket-key", "Sec-WebSocket-Key: not base64 at all!!!!!\r\n"), RequestError::InvalidKey, 400, "Sec-WebSocket-Key is not base64 of 16 bytes (RFC 6455 §4.1)"),
    ];
    for (request, error, status, message) in cases {
        assert_eq!(check_error(&request), error, "{request}");
        assert_eq!(error.status(), status);
        assert_eq!(error.to_string(), message);
        let response = error.response();
        let text = response_text(&response);
        assert!(text.starts_with(&format!("HTTP/1.1 {status} ")), "{text}");
        assert!(text.ends_with(&format!("\r\n\r\n{message}\n")), "{text}");
        // The same error comes back from accept, with the same response.
        let accept_error = parse(request.as_bytes())
            .accept(&Accept::new())
            .unwrap_err();
        assert_eq!(accept_error, AcceptError::Request(error));
        assert_eq!(accept_error.response(), response);
    }
}

#[test]
fn version_and_method_rejections_carry_required_headers() {
    let version = response_text(&RequestError::UnsupportedVersion.response()).to_owned();
    assert!(
        version.contains("\r\nSec-WebSocket-Version: 13\r\n"),
        "RFC 6455 §4.4: {version}"
    );
    let method = response_text(&RequestError::NotGet.response()).to_owned();
    assert!(
        method.starts_with("HTTP/1.1 405 Method Not Allowed\r\nAllow: GET\r\n"),
        "{method}"
    );
}

#[test]
fn upgrade_and_connection_are_token_lists_across_lines() {
    let split_connection = CURL.replace(
        "Connection: Upgrade\r\n",
        "Connection: keep-alive\r\nConnection: Upgrade\r\n",
    );
    assert_eq!(parse(split_connection.as_bytes()).check(), Ok(()));
    let listed_upgrade = CURL.replace("Upgrade: websocket\r\n", "Upgrade: h2c, WebSocket\r\n");
    assert_eq!(parse(listed_upgrade.as_bytes()).check(), Ok(()));
    // A token must match whole, not as a substring.
    let substring = CURL.replace("Connection: Upgrade\r\n", "Connection: Upgraded\r\n");
    assert_eq!(
        parse(substring.as_bytes()).check(),
        Err(RequestError::MissingConnectionUpgrade)
    );
}

#[test]
fn malformed_and_oversized_requests_get_400_and_431() {
    let mut handshake = ServerHandshake::new(Limits::default(), core::time::Duration::ZERO);
    let error = handshake
        .receive(b"GET / HTTP/1.1\r\nBad Header\r\n\r\n")
        .unwrap_err();
    assert_eq!(error, HttpError::Malformed("invalid header name"));
    assert!(response_text(&error.response()).starts_with("HTTP/1.1 400 Bad Request\r\n"));

    // A header block that never ends is refused once it passes the limit,
    // without waiting for more.
    let limits = Limits::default().max_header_block(1024);
    let mut handshake = ServerHandshake::new(limits, core::time::Duration::ZERO);
    let mut endless = String::from("GET / HTTP/1.1\r\n");
    while endless.len() <= 1024 {
        endless.push_str("X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n");
    }
    let error = handshake.receive(endless.as_bytes()).unwrap_err();
    assert_eq!(error, HttpError::HeaderBlockTooLarge { limit: 1024 });
    assert_eq!(
        error.to_string(),
        "HTTP header block exceeds the limit of 1024 bytes"
    );
    assert!(response_text(&error.response())
        .starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n"));

    let few = Limits::default().max_headers(4);
    let error = ServerHandshake::new(few, core::time::Duration::ZERO)
        .receive(CURL.as_bytes())
        .unwrap_err();
    assert_eq!(error, HttpError::TooManyHeaders { limit: 4 });
    assert_eq!(error.status(), 431);
}

#[test]
fn bytes_after_the_request_are_kept_for_the_connection() {
    // A client may send its first frame right behind the request.
    let mut bytes = CHROME.as_bytes().to_vec();
    let frame = [0x81, 0x82, 1, 2, 3, 4, b'h' ^ 1, b'i' ^ 2];
    bytes.extend_from_slice(&frame);
    let request = parse(&bytes);
    assert_eq!(&bytes[request.header_len()..], frame);
    let accepted = request.accept(&Accept::new()).unwrap();
    assert_eq!(&bytes[accepted.header_len()..], frame);
}

#[test]
fn a_frame_that_ends_in_a_blank_line_does_not_extend_the_request() {
    let mut bytes = CURL.as_bytes().to_vec();
    bytes.extend_from_slice(b"\x81\x84abcd\r\n\r\n");
    let request = parse(&bytes);
    assert_eq!(request.header_len(), CURL.len());
}

#[test]
fn custom_rejections() {
    let request = parse(CHROME.as_bytes());
    assert_eq!(request.origin(), Some("http://localhost:9001"));
    let response = Response::new(403)
        .header("WWW-Authenticate", "Bearer")
        .header("X-Bad", "split\r\nme")
        .body("origin not allowed")
        .to_bytes();
    assert_eq!(
        response_text(&response),
        "HTTP/1.1 403 Forbidden\r\nWWW-Authenticate: Bearer\r\nConnection: close\r\n\
         Content-Type: text/plain; charset=utf-8\r\nContent-Length: 19\r\n\r\norigin not allowed\n"
    );
}

#[test]
fn plain_page_requests_are_visible_for_routing() {
    let page = "GET / HTTP/1.1\r\nHost: localhost:9001\r\nAccept: text/html\r\n\r\n";
    let request = parse(page.as_bytes());
    assert!(!request.is_upgrade());
    assert_eq!(request.kind(), RequestKind::Http);
    assert_eq!(request.path(), "/");
    assert_eq!(request.check(), Err(RequestError::NotAnUpgrade));
    // An upgrade that is merely invalid is still a WebSocket request, and
    // gets its own error from accept.
    let bad_key = with_header("sec-websocket-key", "Sec-WebSocket-Key: short\r\n");
    assert_eq!(parse(bad_key.as_bytes()).kind(), RequestKind::WebSocket);
    // Half stripped: Connection kept, Upgrade dropped.
    let half = with_header("upgrade", "");
    assert_eq!(
        parse(half.as_bytes()).kind(),
        RequestKind::StrippedUpgrade(RequestError::MissingUpgrade)
    );
}

#[test]
fn input_that_can_never_be_http_is_refused_from_its_first_bytes() {
    // The start of a TLS 1.3 ClientHello: record type 22, version 3.1.
    let client_hello = [
        0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03,
    ];
    let binary = [0x00, 0xff, 0x13, 0x37];
    for (bytes, error) in [
        (&client_hello[..], HttpError::Tls),
        (&client_hello[..1], HttpError::Tls),
        (&b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"[..], HttpError::Http2),
        (&b"PRI * HTTP/2.0\r\n"[..], HttpError::Http2),
        (&binary[..], HttpError::NotHttp),
        (&b"GE\x00T / HTTP/1.1\r\n"[..], HttpError::NotHttp),
        (&b" GET / HTTP/1.1\r\n"[..], HttpError::NotHttp),
        (&b"SSH-2.0-OpenSSH_9.6\r\n"[..], HttpError::NotHttp),
        (&[b'A'; 40][..], HttpError::NotHttp),
    ] {
        let mut handshake = ServerHandshake::new(Limits::default(), Duration::ZERO);
        assert_eq!(handshake.receive(bytes).unwrap_err(), error, "{bytes:?}");
        let response = error.response();
        assert!(response_text(&response).starts_with("HTTP/1.1 400 Bad Request\r\n"));
    }
    assert_eq!(
        HttpError::Tls.to_string(),
        "a TLS handshake on a plain-text port: the client is using wss:// or https://; \
         connect with ws:// or http://, or put TLS in front of this server"
    );
    // What may still become a request waits for more, however it is split,
    // empty lines before it included (RFC 9112 §2.2).
    for partial in [
        &b"G"[..],
        b"GET",
        b"GET ",
        b"\r\nGET /",
        b"M-SEARCH * ",
        b"PRI",
        b"PRI / HTTP/1.1\r\n",
    ] {
        let mut handshake = ServerHandshake::new(Limits::default(), Duration::ZERO);
        let status = handshake.receive(partial);
        assert!(
            matches!(status, Ok(Status::Partial)),
            "{partial:?}: {status:?}"
        );
    }
}

#[test]
fn the_handshake_has_a_deadline() {
    let start = Duration::from_secs(100);
    let handshake = ServerHandshake::new(Limits::default(), start);
    // 10 s by default, from the moment the connection was accepted.
    assert_eq!(handshake.poll_timeout(), Some(Duration::from_secs(110)));
    assert_eq!(handshake.handle_timeout(Duration::from_secs(109)), Ok(()));
    let error = handshake
        .handle_timeout(Duration::from_secs(110))
        .unwrap_err();
    assert_eq!(
        error,
        HttpError::Timeout {
            limit: Duration::from_secs(10)
        }
    );
    assert_eq!(error.status(), 408);
    assert_eq!(
        error.to_string(),
        "the handshake did not complete within 10 s"
    );
    assert!(response_text(&error.response()).starts_with("HTTP/1.1 408 Request Timeout\r\n"));

    let limits = Limits::default().timeout(Some(Duration::from_millis(1500)));
    let handshake = ServerHandshake::new(limits, Duration::ZERO);
    assert_eq!(handshake.poll_timeout(), Some(Duration::from_millis(1500)));
    let unlimited = ServerHandshake::new(Limits::default().timeout(None), Duration::ZERO);
    assert_eq!(unlimited.poll_timeout(), None);
    assert_eq!(unlimited.handle_timeout(Duration::MAX), Ok(()));
}

#[test]
fn foreign_origins_are_refused_by_default() {
    let from = |origin: &str| CHROME.replace("Origin: http://localhost:9001", origin);
    // Same host and port as Host, any case: accepted. No Origin (not a browser): accepted.
    for request in [
        from("Origin: http://LOCALHOST:9001"),
        from("Origin: https://localhost:9001"),
        with_header("origin", ""),
    ] {
        assert!(
            parse(request.as_bytes()).accept(&Accept::new()).is_ok(),
            "{request}"
        );
    }
    for origin in [
        "https://evil.example",
        "http://localhost:9002",
        "http://localhost",
        "null",
    ] {
        let request = from(&format!("Origin: {origin}"));
        let error = parse(request.as_bytes())
            .accept(&Accept::new())
            .unwrap_err();
        assert_eq!(error, AcceptError::OriginNotAllowed(origin.into()));
        let response = error.response();
        let text = response_text(&response);
        assert!(text.starts_with("HTTP/1.1 403 Forbidden\r\n"), "{text}");
        assert!(
            text.contains(&format!(
                "a page from origin {origin} may not open a WebSocket"
            )),
            "{text}"
        );
        // Listed, or any: accepted.
        let listed = [origin];
        assert!(parse(request.as_bytes())
            .accept(&Accept::new().origins(Origins::AllowList(&listed)))
            .is_ok());
        assert!(parse(request.as_bytes())
            .accept(&Accept::new().origins(Origins::Any))
            .is_ok());
    }
    // An allow list is exact: this host's own pages are not implied.
    let own = from("Origin: http://localhost:9001");
    let other = Origins::AllowList(&["https://app.example.com"]);
    assert!(parse(own.as_bytes())
        .accept(&Accept::new().origins(other))
        .is_err());
}

/// What the application can observe of a request.
type Observed = (
    String,
    String,
    Vec<(String, Vec<u8>)>,
    usize,
    Result<(), RequestError>,
);

fn observed(request: &Request<'_>) -> Observed {
    let headers = request
        .headers()
        .map(|(name, value)| (name.to_owned(), value.to_vec()))
        .collect();
    (
        request.method().into(),
        request.target().into(),
        headers,
        request.header_len(),
        request.check(),
    )
}

/// Feeds `bytes` in reads ending at `cuts`, as an adapter would: each call
/// sees everything received so far. Returns the request once complete.
fn parse_in_reads(bytes: &[u8], cuts: &[usize]) -> Option<Observed> {
    let mut handshake = ServerHandshake::new(Limits::default(), core::time::Duration::ZERO);
    for &end in cuts.iter().chain([&bytes.len()]) {
        if let Status::Complete(request) = handshake.receive(&bytes[..end]).unwrap() {
            assert!(end >= request.header_len());
            return Some(observed(&request));
        }
    }
    None
}

mod splits {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn any_split_parses_identically(
            which in 0usize..6,
            extra in prop::collection::vec(any::<u8>(), 0..20),
            cuts in prop::collection::vec(0.0..1.0f64, 0..10),
        ) {
            let request = [CHROME, FIREFOX, SAFARI, CURL, NGINX_PROXIED, NGINX_DEFAULT][which];
            let mut bytes = request.as_bytes().to_vec();
            bytes.extend_from_slice(&extra);
            let whole = observed(&parse(&bytes));
            let mut cuts: Vec<usize> = cuts.iter().map(|c| (c * bytes.len() as f64) as usize).collect();
            cuts.sort_unstable();
            prop_assert_eq!(parse_in_reads(&bytes, &cuts), Some(whole));
        }
    }

    #[test]
    fn one_byte_at_a_time() {
        for request in [CHROME, FIREFOX, SAFARI, CURL, NGINX_PROXIED, NGINX_DEFAULT] {
            let cuts: Vec<usize> = (0..request.len()).collect();
            let whole = observed(&parse(request.as_bytes()));
            assert_eq!(parse_in_reads(request.as_bytes(), &cuts), Some(whole));
        }
    }
}
