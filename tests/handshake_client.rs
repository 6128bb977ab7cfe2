//! The client side of the opening handshake: the request it builds, and how
//! it judges real servers' responses, with a message naming each cause.

use wscore::handshake::client::{
    BuildError, ClientHandshake, ClientRequest, Refusal, ResponseError, UrlError,
};
use wscore::handshake::{HttpError, Limits, Status};
use wscore::random::{Rng, RngUnavailable};

/// Always the RFC 6455 sample nonce, so the expected accept value is known:
/// key `dGhlIHNhbXBsZSBub25jZQ==`, accept `s3pPLMBiTxaQ9kYGzzhZRbK+xOo=`.
struct SampleNonce;

impl Rng for SampleNonce {
    fn fill(&mut self, dest: &mut [u8]) -> Result<(), RngUnavailable> {
        dest.copy_from_slice(&b"the sample nonce"[..dest.len()]);
        Ok(())
    }
}

struct Broken;

impl Rng for Broken {
    fn fill(&mut self, _: &mut [u8]) -> Result<(), RngUnavailable> {
        Err(RngUnavailable)
    }
}

const ACCEPT: &str = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

fn handshake(request: ClientRequest<'_>) -> ClientHandshake {
    request
        .build(&mut SampleNonce, core::time::Duration::ZERO)
        .unwrap()
        .1
}

fn error_for(response: &str) -> ResponseError {
    let mut handshake = handshake(ClientRequest::new("example.com", "/chat").protocol("chat"));
    handshake
        .receive(response.as_bytes())
        .expect_err("the response must be refused")
}

#[test]
fn request_has_every_required_header() {
    let request = ClientRequest::from_url("ws://example.com:9001/chat?room=1")
        .unwrap()
        .protocol("chat.v2")
        .protocol("chat.v1")
        .extension("permessage-deflate; client_max_window_bits")
        .header("Origin", "https://example.com");
    let (bytes, _) = request
        .build(&mut SampleNonce, core::time::Duration::ZERO)
        .unwrap();
    assert_eq!(
        String::from_utf8(bytes).unwrap(),
        "GET /chat?room=1 HTTP/1.1\r\nHost: example.com:9001\r\nUpgrade: websocket\r\n\
         Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
         Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: chat.v2, chat.v1\r\n\
         Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\
         Origin: https://example.com\r\n\r\n"
    );
}

#[test]
fn the_request_is_one_our_server_accepts() {
    use wscore::handshake::server::{Accept, ServerHandshake};
    let (bytes, mut client) = ClientRequest::new("localhost", "/")
        .protocol("p")
        .build(&mut wscore::random::OsRng, core::time::Duration::ZERO)
        .unwrap();
    let Ok(Status::Complete(request)) =
        ServerHandshake::new(Limits::default(), core::time::Duration::ZERO).receive(&bytes)
    else {
        panic!("our server must parse our client's request")
    };
    let accepted = request.accept(&Accept::new().protocol("p")).unwrap();
    let Ok(Status::Complete(response)) = client.receive(accepted.response()) else {
        panic!("our client must accept our server's response")
    };
    assert_eq!(response.protocol(), Some("p"));
}

#[test]
fn os_randomness_gives_a_fresh_key_each_time() {
    let request = ClientRequest::new("localhost", "/");
    let (a, _) = request
        .build(&mut wscore::random::OsRng, core::time::Duration::ZERO)
        .unwrap();
    let (b, _) = request
        .build(&mut wscore::random::OsRng, core::time::Duration::ZERO)
        .unwrap();
    assert_ne!(a, b);
}

#[test]
fn urls() {
    let r = ClientRequest::from_url("ws://localhost").unwrap();
    assert_eq!(
        (r.host(), r.port(), r.is_secure()),
        ("localhost", 80, false)
    );
    let r = ClientRequest::from_url("WSS://example.com?x=1").unwrap();
    assert_eq!(
        (r.host(), r.port(), r.is_secure()),
        ("example.com", 443, true)
    );
    let (bytes, _) = r
        .build(&mut SampleNonce, core::time::Duration::ZERO)
        .unwrap();
    assert!(bytes.starts_with(b"GET /?x=1 HTTP/1.1\r\nHost: example.com\r\n"));
    let r = ClientRequest::from_url("ws://[::1]:9001/").unwrap();
    assert_eq!((r.host(), r.port()), ("[::1]", 9001));
    let (bytes, _) = r
        .build(&mut SampleNonce, core::time::Duration::ZERO)
        .unwrap();
    assert!(bytes.starts_with(b"GET / HTTP/1.1\r\nHost: [::1]:9001\r\n"));
    for (url, error, message) in [
        (
            "localhost:9001",
            UrlError::NotAUrl,
            "not a URL: expected ws://host[:port]/path or wss://...",
        ),
        (
            "http://localhost/",
            UrlError::Scheme,
            "unsupported URL scheme: use ws:// or wss://",
        ),
        ("ws:///path", UrlError::NoHost, "the URL has no host"),
        (
            "ws://localhost:99999/",
            UrlError::Port,
            "the URL's port is not a number from 0 to 65535",
        ),
        (
            "ws://localhost/#top",
            UrlError::Fragment,
            "WebSocket URLs must not have a #fragment (RFC 6455 §3)",
        ),
        (
            "ws://u:p@localhost/",
            UrlError::UserInfo,
            "WebSocket URLs do not carry user:password@; send credentials in a header instead",
        ),
    ] {
        let got = ClientRequest::from_url(url).unwrap_err();
        assert_eq!(got, error, "{url}");
        assert_eq!(got.to_string(), message);
    }
}

#[test]
fn build_refuses_bad_input_and_reports_missing_randomness() {
    let bad_header = ClientRequest::new("h", "/")
        .header("X", "a\r\nb: c")
        .build(&mut SampleNonce, core::time::Duration::ZERO);
    assert!(matches!(bad_header, Err(BuildError::InvalidHeader(_))));
    let bad_target =
        ClientRequest::new("h", "/a b").build(&mut SampleNonce, core::time::Duration::ZERO);
    assert!(matches!(bad_target, Err(BuildError::InvalidHeader(_))));
    let bad_protocol = ClientRequest::new("h", "/")
        .protocol("a b")
        .build(&mut SampleNonce, core::time::Duration::ZERO);
    assert_eq!(
        bad_protocol.unwrap_err(),
        BuildError::InvalidProtocol("a b".into())
    );
    let no_rng = ClientRequest::new("h", "/")
        .build(&mut Broken, core::time::Duration::ZERO)
        .unwrap_err();
    assert_eq!(
        no_rng.to_string(),
        "the system's secure random number generator is unavailable"
    );
}

#[test]
fn responses_from_real_servers_are_accepted() {
    let responses = [
        // Node's `ws`.
        format!("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {ACCEPT}\r\nSec-WebSocket-Protocol: chat\r\n\r\n"),
        // Python's `websockets`, agreeing to permessage-deflate.
        format!("HTTP/1.1 101 Switching Protocols\r\nDate: Sat, 21 Nov 2026 10:00:00 GMT\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {ACCEPT}\r\nSec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=12; client_max_window_bits=12\r\nSec-WebSocket-Protocol: chat\r\nServer: Python/3.11 websockets/12.0\r\n\r\n"),
        // Behind nginx: lowercase `upgrade` in Connection.
        format!("HTTP/1.1 101 Switching Protocols\r\nServer: nginx/1.24.0\r\nDate: Sat, 21 Nov 2026 10:00:00 GMT\r\nConnection: upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: {ACCEPT}\r\n\r\n"),
    ];
    for response in responses {
        let mut client = handshake(
            ClientRequest::new("example.com", "/chat")
                .protocol("chat")
                .extension("permessage-deflate; client_max_window_bits"),
        );
        let Ok(Status::Complete(accepted)) = client.receive(response.as_bytes()) else {
            panic!("refused: {response}")
        };
        assert_eq!(accepted.header_len(), response.len());
        if response.contains("Sec-WebSocket-Protocol") {
            assert_eq!(accepted.protocol(), Some("chat"));
        }
        if let Some(deflate) = accepted.extensions().next() {
            assert_eq!(deflate.name(), "permessage-deflate");
            assert_eq!(deflate.params().count(), 2);
        };
    }
}

#[test]
fn a_200_names_the_proxy() {
    let error = error_for("HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Type: text/html\r\nContent-Length: 612\r\n\r\n<html>");
    assert_eq!(
        error.to_string(),
        "the server answered 200 OK instead of upgrading to WebSocket; \
         a reverse proxy may not be forwarding the Upgrade and Connection headers"
    );
    let refusal = error.refusal().unwrap();
    assert_eq!((refusal.status, refusal.reason.as_str()), (200, "OK"));
    assert_eq!(refusal.header("content-type"), Some("text/html"));
}

#[test]
fn refusals_name_their_cause() {
    for (response, message) in [
        ("HTTP/1.1 301 Moved Permanently\r\nLocation: wss://example.com/chat\r\n\r\n",
            "the server redirected (301 Moved Permanently) to wss://example.com/chat; connect to that URL instead"),
        ("HTTP/1.1 302 Found\r\n\r\n", "the server redirected (302 Found) without a Location"),
        ("HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer\r\n\r\n",
            "rejected by the server: 401 Unauthorized; check the credentials, cookies or Origin it requires"),
        ("HTTP/1.1 403 Forbidden\r\n\r\n",
            "rejected by the server: 403 Forbidden; check the credentials, cookies or Origin it requires"),
        ("HTTP/1.1 404 Not Found\r\n\r\n", "the server has no WebSocket endpoint at this path: 404 Not Found"),
        ("HTTP/1.1 426 Upgrade Required\r\nSec-WebSocket-Version: 8, 7\r\n\r\n",
            "the server wants WebSocket version 8, 7, and this client speaks 13: 426 Upgrade Required"),
        ("HTTP/1.1 502 Bad Gateway\r\n\r\n", "the server answered 502 Bad Gateway instead of 101 Switching Protocols"),
    ] {
        assert_eq!(error_for(response).to_string(), message);
    }
}

#[test]
fn a_101_must_be_a_websocket_upgrade_for_this_key() {
    let ok = |extra: &str| {
        format!("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n{extra}\r\n")
    };
    let cases = [
        ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n".to_string(),
            ResponseError::MissingUpgrade,
            "the server's 101 response lacks `Upgrade: websocket`; a proxy may be rewriting it"),
        (format!("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: {ACCEPT}\r\n\r\n"),
            ResponseError::MissingConnectionUpgrade,
            "the server's 101 response lacks `Connection: Upgrade`; a proxy may be rewriting it"),
        (ok(""), ResponseError::MissingAccept { expected: ACCEPT.into() },
            "the server's 101 response has no Sec-WebSocket-Accept (expected s3pPLMBiTxaQ9kYGzzhZRbK+xOo=): it is not a WebSocket server"),
        (ok("Sec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n"),
            ResponseError::AcceptMismatch { expected: ACCEPT.into(), got: "AAAAAAAAAAAAAAAAAAAAAAAAAAA=".into() },
            "Sec-WebSocket-Accept is AAAAAAAAAAAAAAAAAAAAAAAAAAA=, expected s3pPLMBiTxaQ9kYGzzhZRbK+xOo=: the server did not answer this request's key"),
        (ok(&format!("Sec-WebSocket-Accept: {ACCEPT}\r\nSec-WebSocket-Protocol: superchat\r\n")),
            ResponseError::ProtocolNotOffered("superchat".into()),
            "the server selected subprotocol \"superchat\", which this client did not offer"),
        (ok(&format!("Sec-WebSocket-Accept: {ACCEPT}\r\nSec-WebSocket-Protocol: chat, chat\r\n")),
            ResponseError::SeveralProtocols,
            "the server selected more than one subprotocol; it must choose one"),
        // tungstenite lets this one through; a client must not run an
        // extension it never offered (RFC 6455 §9.1).
        (ok(&format!("Sec-WebSocket-Accept: {ACCEPT}\r\nSec-WebSocket-Extensions: permessage-deflate\r\n")),
            ResponseError::ExtensionNotOffered("permessage-deflate".into()),
            "the server agreed to extension \"permessage-deflate\", which this client did not offer"),
    ];
    for (response, error, message) in cases {
        let got = error_for(&response);
        assert_eq!(got, error, "{response}");
        assert_eq!(got.to_string(), message);
    }
}

#[test]
fn malformed_and_oversized_responses() {
    let error = error_for("HTTP/1.1 abc\r\n\r\n");
    assert_eq!(
        error,
        ResponseError::Http(HttpError::Malformed("invalid status line"))
    );
    assert_eq!(
        error.to_string(),
        "invalid handshake response: malformed HTTP: invalid status line"
    );

    let mut client =
        handshake(ClientRequest::new("h", "/").limits(Limits::default().max_header_block(512)));
    let endless = format!(
        "HTTP/1.1 101 Switching Protocols\r\n{}",
        "X: y\r\n".repeat(100)
    );
    assert_eq!(
        client.receive(endless.as_bytes()).unwrap_err(),
        ResponseError::Http(HttpError::HeaderBlockTooLarge { limit: 512 })
    );
}

#[test]
fn server_frames_after_the_101_are_kept() {
    let response = format!("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {ACCEPT}\r\n\r\n");
    let mut bytes = response.clone().into_bytes();
    bytes.extend_from_slice(&[0x81, 0x02, b'h', b'i']);
    let mut client = handshake(ClientRequest::new("h", "/"));
    let Ok(Status::Complete(accepted)) = client.receive(&bytes) else {
        panic!()
    };
    assert_eq!(&bytes[accepted.header_len()..], [0x81, 0x02, b'h', b'i']);
}

#[test]
fn refusal_headers_are_bounded_by_the_limits() {
    let mut client =
        handshake(ClientRequest::new("h", "/").limits(Limits::default().max_headers(3)));
    let many = "HTTP/1.1 403 Forbidden\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n";
    assert_eq!(
        client.receive(many.as_bytes()).unwrap_err(),
        ResponseError::Http(HttpError::TooManyHeaders { limit: 3 })
    );
    let refusal: &Refusal = &Refusal {
        status: 1,
        reason: String::new(),
        headers: vec![],
        extended_connect: false,
    };
    assert_eq!(refusal.header("x"), None);
}

mod splits {
    use super::*;
    use proptest::prelude::*;

    const RESPONSE: &str = "HTTP/1.1 101 Switching Protocols\r\nServer: nginx/1.24.0\r\nConnection: upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: chat\r\n\r\n";

    /// The response's observable outcome when fed in reads ending at `cuts`.
    fn receive_in_reads(
        bytes: &[u8],
        cuts: &[usize],
    ) -> Result<(Option<String>, usize), ResponseError> {
        let mut client = handshake(ClientRequest::new("h", "/").protocol("chat"));
        for &end in cuts.iter().chain([&bytes.len()]) {
            if let Status::Complete(response) = client.receive(&bytes[..end])? {
                return Ok((response.protocol().map(Into::into), response.header_len()));
            }
        }
        panic!("the response never completed")
    }

    proptest! {
        #[test]
        fn any_split_parses_identically(
            status in prop_oneof![Just("101 Switching Protocols"), Just("200 OK"), Just("403 Forbidden")],
            frames in prop::collection::vec(any::<u8>(), 0..20),
            cuts in prop::collection::vec(0.0..1.0f64, 0..10),
        ) {
            let mut bytes = RESPONSE.replacen("101 Switching Protocols", status, 1).into_bytes();
            bytes.extend_from_slice(&frames);
            let whole = receive_in_reads(&bytes, &[]);
            let mut cuts: Vec<usize> = cuts.iter().map(|c| (c * bytes.len() as f64) as usize).collect();
            cuts.sort_unstable();
            prop_assert_eq!(receive_in_reads(&bytes, &cuts), whole);
        }
    }

    #[test]
    fn one_byte_at_a_time() {
        let cuts: Vec<usize> = (0..RESPONSE.len()).collect();
        assert_eq!(
            receive_in_reads(RESPONSE.as_bytes(), &cuts),
            Ok((Some("chat".into()), RESPONSE.len()))
        );
    }
}
