//! The bootstrap of WebSockets over HTTP/2 and HTTP/3 (RFC 8441, RFC 9220):
//! the extended CONNECT, both sides, without any HTTP/2 library. Each rule,
//! and the same error (and message) as over HTTP/1.1 where the rule is the
//! same; subprotocols and permessage-deflate negotiated by the same code.

use std::time::Duration;

use wscore::extensions::deflate::DeflateConfig;
use wscore::handshake::client::{ClientRequest, ResponseError};
use wscore::handshake::server::{
    Accept, AcceptError, Request, RequestError, RequestKind, ServerHandshake,
};
use wscore::handshake::{Limits, Status};

/// An extended CONNECT's head, as `handshake::http::head` writes one.
fn connect_head(headers: &str) -> String {
    format!("CONNECT /chat HTTP/1.1\r\nhost: example.com\r\n{headers}\r\n")
}

const VERSION: &str = "sec-websocket-version: 13\r\n";

fn with_request<T>(head: &str, protocol: Option<&str>, check: impl FnOnce(Request<'_>) -> T) -> T {
    let mut handshake = ServerHandshake::new(Limits::default(), Duration::ZERO);
    match handshake.receive_connect(head.as_bytes(), protocol) {
        Ok(Status::Complete(request)) => check(request),
        other => panic!("not a complete request: {other:?}"),
    }
}

fn refused(head: &str, protocol: Option<&str>) -> RequestError {
    with_request(head, protocol, |request| {
        assert!(request.is_extended_connect());
        request.check().unwrap_err()
    })
}

#[test]
fn a_valid_extended_connect_is_accepted_with_200() {
    let head = connect_head(&format!(
        "{VERSION}sec-websocket-protocol: chat.v2, chat.v1\r\n\
         sec-websocket-extensions: permessage-deflate; client_max_window_bits\r\n\
         origin: https://example.com\r\n"
    ));
    with_request(&head, Some("websocket"), |request| {
        assert_eq!(request.kind(), RequestKind::WebSocket);
        assert!(request.is_upgrade());
        let accept = Accept::new()
            .protocol("chat.v1")
            .deflate(DeflateConfig::new());
        let accepted = request.accept(&accept).unwrap();
        let response = String::from_utf8(accepted.response().to_vec()).unwrap();
        assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
        // No HTTP/1.1 upgrade headers, no key, no accept.
        for absent in ["Upgrade", "Connection", "Sec-WebSocket-Accept"] {
            assert!(!response.contains(absent), "{absent} in {response}");
        }
        assert!(response.contains("Sec-WebSocket-Protocol: chat.v1\r\n"));
        assert!(response.contains("Sec-WebSocket-Extensions: permessage-deflate"));
        assert_eq!(accepted.protocol(), Some("chat.v1"));
    });
}

#[test]
fn each_bootstrap_rule_has_its_error() {
    // No :protocol (a classic CONNECT), or another protocol.
    for protocol in [None, Some("webtransport")] {
        let error = refused(&connect_head(VERSION), protocol);
        assert_eq!(error, RequestError::NotWebSocketProtocol);
        assert_eq!(error.status(), 400);
        assert!(error.to_string().contains(":protocol websocket"), "{error}");
    }
    // The :protocol token is case-insensitive.
    with_request(&connect_head(VERSION), Some("WebSocket"), |request| {
        assert_eq!(request.check(), Ok(()));
    });
    let key = "sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
    let error = refused(&connect_head(&format!("{VERSION}{key}")), Some("websocket"));
    assert_eq!(error, RequestError::KeyInConnect);
    assert!(error.to_string().contains("RFC 8441 §5"), "{error}");
    let no_authority = format!("CONNECT /chat HTTP/1.1\r\n{VERSION}\r\n");
    assert_eq!(
        refused(&no_authority, Some("websocket")),
        RequestError::MissingHost
    );
}

#[test]
fn rules_shared_with_http1_give_the_same_errors() {
    let upgrade = |version: &str| {
        format!(
            "GET /chat HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n{version}\r\n"
        )
    };
    for version in ["", "sec-websocket-version: 8\r\n"] {
        let over_h2 = refused(&connect_head(version), Some("websocket"));
        let mut handshake = ServerHandshake::new(Limits::default(), Duration::ZERO);
        let upgrade = upgrade(version);
        let Ok(Status::Complete(request)) = handshake.receive(upgrade.as_bytes()) else {
            panic!("complete");
        };
        let over_h1 = request.check().unwrap_err();
        assert_eq!(over_h2, over_h1);
        assert_eq!(over_h2.to_string(), over_h1.to_string());
        assert_eq!(over_h2.status(), 426);
        assert_eq!(over_h2.headers(), &[("Sec-WebSocket-Version", "13")]);
    }
    // Accepting with what the client did not offer, and a foreign origin.
    let head = connect_head(&format!("{VERSION}origin: https://evil.example\r\n"));
    with_request(&head, Some("websocket"), |request| {
        let error = request.accept(&Accept::new()).unwrap_err();
        assert!(
            matches!(error, AcceptError::OriginNotAllowed(_)),
            "{error:?}"
        );
    });
    with_request(&connect_head(VERSION), Some("websocket"), |request| {
        let error = request.accept(&Accept::new().protocol("chat")).unwrap_err();
        assert_eq!(error, AcceptError::ProtocolNotOffered("chat".into()));
    });
}

#[test]
fn a_page_request_over_http2_is_http() {
    let head = "GET / HTTP/1.1\r\nhost: example.com\r\naccept: text/html\r\n\r\n";
    with_request(head, None, |request| {
        assert_eq!(request.kind(), RequestKind::Http);
        assert!(!request.is_upgrade());
        let error = request.accept(&Accept::new()).unwrap_err();
        assert_eq!(
            error,
            AcceptError::Request(RequestError::NotExtendedConnect)
        );
        assert_eq!(RequestError::NotExtendedConnect.status(), 400);
    });
}

#[test]
fn the_client_builds_a_connect_and_checks_its_200() {
    let request = ClientRequest::from_url("wss://example.com:8443/chat?room=1")
        .unwrap()
        .protocol("chat")
        .deflate(DeflateConfig::new());
    let (head, mut handshake) = request.build_connect(Duration::ZERO).unwrap();
    let head = String::from_utf8(head).unwrap();
    assert!(head.starts_with("CONNECT /chat?room=1 HTTP/1.1\r\nHost: example.com:8443\r\n"));
    assert!(head.contains("Sec-WebSocket-Version: 13\r\n"));
    assert!(head.contains("Sec-WebSocket-Protocol: chat\r\n"));
    assert!(head.contains("Sec-WebSocket-Extensions: permessage-deflate"));
    assert!(!head.contains("Sec-WebSocket-Key") && !head.contains("Upgrade"));

    // What a server answers over HTTP/2, as `handshake::http::head` writes it.
    let ok = "HTTP/1.1 200 OK\r\nsec-websocket-protocol: chat\r\n\
              sec-websocket-extensions: permessage-deflate\r\n\r\n";
    let Ok(Status::Complete(accepted)) = handshake.clone().receive(ok.as_bytes()) else {
        panic!("not accepted");
    };
    assert_eq!(accepted.protocol(), Some("chat"));
    assert!(accepted.deflate().is_some());

    let not_offered = "HTTP/1.1 200 OK\r\nsec-websocket-protocol: other\r\n\r\n";
    assert_eq!(
        handshake
            .clone()
            .receive(not_offered.as_bytes())
            .unwrap_err(),
        ResponseError::ProtocolNotOffered("other".into())
    );
    let refused = handshake
        .receive(b"HTTP/1.1 501 Not Implemented\r\n\r\n")
        .unwrap_err();
    assert_eq!(
        refused.to_string(),
        "the server answered 501 Not Implemented to the WebSocket's extended CONNECT instead of 200"
    );
    // And a 101 is no answer to a CONNECT.
    let (_, mut handshake) = request.build_connect(Duration::ZERO).unwrap();
    let upgrade = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n";
    assert!(handshake.receive(upgrade.as_bytes()).is_err());
}
