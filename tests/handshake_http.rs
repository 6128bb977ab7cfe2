//! The handshake from an `http::Request` (feature `http`): every request
//! gets the same answer as the same request read from a socket, since both
//! go through the same parser; and the answers convert to `http::Response`
//! with status, headers and body intact.

use std::time::Duration;

use wscore::extensions::deflate::DeflateConfig;
use wscore::handshake::server::{Accept, RequestKind, ServerHandshake};
use wscore::handshake::{http, Limits, Status};

const KEY: &str = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";

/// Requests as clients and proxies send them: valid ones with offers, and
/// one for each way of being wrong.
fn requests() -> Vec<String> {
    let upgrade = "Upgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n";
    let version = "Sec-WebSocket-Version: 13\r\n";
    let host = "Host: example.com\r\n";
    [
        format!("GET /chat?room=1 HTTP/1.1\r\n{host}{upgrade}{KEY}{version}\r\n"),
        format!(
            "GET / HTTP/1.1\r\n{host}{upgrade}{KEY}{version}Origin: http://example.com\r\n\
             Sec-WebSocket-Protocol: chat.v2, chat.v1\r\n\
             Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n"
        ),
        // A page, not a WebSocket.
        format!("GET / HTTP/1.1\r\n{host}Accept: text/html\r\n\r\n"),
        // Upgrade headers stripped by a proxy, then each one alone.
        format!("GET / HTTP/1.1\r\n{host}{KEY}{version}\r\n"),
        format!("GET / HTTP/1.1\r\n{host}Upgrade: websocket\r\n{KEY}{version}\r\n"),
        format!("GET / HTTP/1.1\r\n{host}Connection: Upgrade\r\n{KEY}{version}\r\n"),
        format!("POST / HTTP/1.1\r\n{host}{upgrade}{KEY}{version}\r\n"),
        format!("GET / HTTP/1.0\r\n{host}{upgrade}{KEY}{version}\r\n"),
        format!("GET / HTTP/1.1\r\n{upgrade}{KEY}{version}\r\n"),
        format!("GET / HTTP/1.1\r\n{host}{upgrade}{version}\r\n"),
        format!("GET / HTTP/1.1\r\n{host}{upgrade}Sec-WebSocket-Key: short\r\n{version}\r\n"),
        format!("GET / HTTP/1.1\r\n{host}{upgrade}{KEY}Sec-WebSocket-Version: 8\r\n\r\n"),
        format!(
            "GET / HTTP/1.1\r\n{host}Upgrade: h2c\r\nConnection: Upgrade\r\n{KEY}{version}\r\n"
        ),
        format!(
            "GET / HTTP/1.1\r\n{host}{upgrade}{KEY}{version}Origin: https://evil.example\r\n\r\n"
        ),
        // More header lines than the parser takes.
        format!(
            "GET / HTTP/1.1\r\n{host}{upgrade}{KEY}{version}{}\r\n",
            "X-Filler: 1\r\n".repeat(70)
        ),
    ]
    .into()
}

/// The request as hyper hands it over: parsed into the http crate's types.
fn as_http(raw: &str) -> ::http::Request<()> {
    let mut lines = [httparse::EMPTY_HEADER; 128];
    let mut parsed = httparse::Request::new(&mut lines);
    parsed.parse(raw.as_bytes()).unwrap();
    let mut request = ::http::Request::builder()
        .method(parsed.method.unwrap())
        .uri(parsed.path.unwrap())
        .version(match parsed.version.unwrap() {
            0 => ::http::Version::HTTP_10,
            _ => ::http::Version::HTTP_11,
        });
    for line in parsed.headers.iter() {
        request = request.header(line.name, line.value);
    }
    request.body(()).unwrap()
}

/// Everything a server learns and answers: the request's kind and the
/// response it gets (with its reason) when accepted with compression.
fn answer(head: &[u8]) -> String {
    let mut handshake = ServerHandshake::new(Limits::default(), Duration::ZERO);
    let request = match handshake.receive(head) {
        Ok(Status::Complete(request)) => request,
        Ok(Status::Partial) => panic!("a whole head is partial"),
        Err(error) => return format!("{:?}", String::from_utf8(error.response())),
    };
    let kind = request.kind();
    let response = match request.accept(&Accept::new().deflate(DeflateConfig::new())) {
        Ok(accepted) => accepted.into_response(),
        Err(error) => error.response(),
    };
    // Header names are lowercase in the http crate; the answer is not.
    format!("{kind:?}\n{}", String::from_utf8(response).unwrap())
}

#[test]
fn an_http_request_gets_the_answer_its_bytes_get() {
    for raw in requests() {
        let from_bytes = answer(raw.as_bytes());
        let from_http = answer(&http::head(&as_http(&raw)));
        assert_eq!(from_http, from_bytes, "for {raw:?}");
        // And from its parts, as a middleware holds it.
        let (parts, ()) = as_http(&raw).into_parts();
        assert_eq!(answer(&http::head(&parts)), from_bytes, "for {raw:?}");
    }
}

#[test]
fn the_answers_convert_to_http_responses() {
    let raw = requests();
    let mut handshake = ServerHandshake::new(Limits::default(), Duration::ZERO);
    let Ok(Status::Complete(request)) = handshake.receive(raw[1].as_bytes()) else {
        panic!("complete");
    };
    let accept = Accept::new()
        .protocol("chat.v1")
        .deflate(DeflateConfig::new());
    let upgrade = http::response(
        request.accept(&accept).unwrap().response(),
        ::http::Version::HTTP_11,
    );
    assert_eq!(upgrade.status(), 101);
    let header = |name| upgrade.headers()[name].to_str().unwrap();
    assert_eq!(header("upgrade"), "websocket");
    assert_eq!(header("connection"), "Upgrade");
    assert_eq!(
        header("sec-websocket-accept"),
        "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
    );
    assert_eq!(header("sec-websocket-protocol"), "chat.v1");
    assert!(header("sec-websocket-extensions").starts_with("permessage-deflate"));
    assert!(upgrade.body().is_empty());

    let mut handshake = ServerHandshake::new(Limits::default(), Duration::ZERO);
    let Ok(Status::Complete(request)) = handshake.receive(raw[3].as_bytes()) else {
        panic!("complete");
    };
    let RequestKind::StrippedUpgrade(error) = request.kind() else {
        panic!("stripped");
    };
    let refusal = http::response(&error.response(), ::http::Version::HTTP_11);
    assert_eq!(refusal.status(), 426);
    assert_eq!(refusal.headers()["upgrade"], "websocket");
    let body = String::from_utf8(refusal.body().to_vec()).unwrap();
    assert_eq!(body.trim_end(), error.to_string());
    assert_eq!(
        refusal.headers()["content-length"],
        body.len().to_string().as_str()
    );
}

#[test]
fn an_http2_request_names_its_host_from_the_authority() {
    let request = ::http::Request::get("https://example.com:8443/chat")
        .version(::http::Version::HTTP_2)
        .body(())
        .unwrap();
    let head = String::from_utf8(http::head(&request)).unwrap();
    assert_eq!(head, "GET /chat HTTP/1.1\r\nhost: example.com:8443\r\n\r\n");
}
