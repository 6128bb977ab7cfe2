//! The `http` crate's types at the handshake (feature `http`), for a
//! server whose HTTP library has already parsed the request (hyper, axum
//! and the rest) and hands over an `http::Request` rather than bytes.
//!
//! [`head`] writes the request's head back as the HTTP/1.1 bytes it came
//! as, so that [`ServerHandshake`](super::server::ServerHandshake) checks
//! it by exactly the rules it checks a socket's bytes by: one validation,
//! not two. [`response`] turns the answer (the `101`, or a refusal with its
//! reason) into an `http::Response`. Over HTTP/2 and HTTP/3 the same holds
//! for the extended `CONNECT` (RFC 8441, RFC 9220), on both sides: a server
//! reads it with `receive_connect`; a client builds it with
//! [`connect_request`] and gives the response's [`head`] to its handshake.
//!
//! ```
//! use std::time::Duration;
//! use wscore::connection::Config;
//! use wscore::handshake::server::{Accept, ServerHandshake};
//! use wscore::handshake::{http, Limits, Status};
//!
//! let request = ::http::Request::get("/chat")
//!     .header("host", "example.com")
//!     .header("upgrade", "websocket")
//!     .header("connection", "Upgrade")
//!     .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
//!     .header("sec-websocket-version", "13")
//!     .body(())?;
//! let head = http::head(&request);
//! let mut handshake = ServerHandshake::new(Limits::default(), Duration::ZERO);
//! let Ok(Status::Complete(parsed)) = handshake.receive(&head) else { unreachable!() };
//! let accepted = parsed.accept(&Accept::new())?;
//! let (bytes, connection) = accepted.into_connection(Config::new(), Duration::ZERO);
//! let response = http::response(&bytes, ::http::Version::HTTP_11);
//! assert_eq!(response.status(), 101);
//! assert_eq!(response.headers()["sec-websocket-accept"], "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use alloc::vec::Vec;

use bytes::Bytes;
use http::request::Parts;
use http::{HeaderMap, Method, Request, Response, StatusCode, Uri, Version};

use core::time::Duration;

use super::client::{BuildError, ClientHandshake, ClientRequest};
use super::{InvalidHeader, Limits};

/// A message head as the `http` crate holds it: a request or response,
/// whole or as its parts.
pub trait Head: sealed::Sealed {
    /// The first line, without its version.
    #[doc(hidden)]
    fn start(&self) -> Start<'_>;
    /// The header lines.
    #[doc(hidden)]
    fn headers(&self) -> &HeaderMap;
}

/// What starts a head.
#[doc(hidden)]
pub enum Start<'a> {
    Request(&'a Method, &'a Uri, Version),
    Response(StatusCode),
}

mod sealed {
    pub trait Sealed {}
    impl<B> Sealed for http::Request<B> {}
    impl Sealed for http::request::Parts {}
    impl<B> Sealed for http::Response<B> {}
    impl Sealed for http::response::Parts {}
}

impl<B> Head for Request<B> {
    fn start(&self) -> Start<'_> {
        Start::Request(self.method(), self.uri(), self.version())
    }
    fn headers(&self) -> &HeaderMap {
        self.headers()
    }
}

impl Head for Parts {
    fn start(&self) -> Start<'_> {
        Start::Request(&self.method, &self.uri, self.version)
    }
    fn headers(&self) -> &HeaderMap {
        &self.headers
    }
}

impl<B> Head for Response<B> {
    fn start(&self) -> Start<'_> {
        Start::Response(self.status())
    }
    fn headers(&self) -> &HeaderMap {
        self.headers()
    }
}

impl Head for http::response::Parts {
    fn start(&self) -> Start<'_> {
        Start::Response(self.status)
    }
    fn headers(&self) -> &HeaderMap {
        &self.headers
    }
}

/// The head as HTTP/1.1 bytes: a request's for
/// [`ServerHandshake::receive`](super::server::ServerHandshake::receive)
/// (or `receive_connect`), a response's for
/// [`ClientHandshake::receive`](super::client::ClientHandshake::receive).
/// The first line (a request's HTTP/1.0 stays 1.0), then every header line
/// in order. A request without `Host` whose URI has an authority (HTTP/2's
/// `:authority`) gets it as `Host`.
pub fn head(head: &impl Head) -> Vec<u8> {
    let headers = head.headers();
    let mut bytes = Vec::with_capacity(512);
    let authority = match head.start() {
        Start::Request(method, uri, version) => {
            bytes.extend_from_slice(method.as_str().as_bytes());
            bytes.push(b' ');
            let target = uri.path_and_query().map_or("/", |target| target.as_str());
            bytes.extend_from_slice(target.as_bytes());
            bytes.extend_from_slice(match version {
                Version::HTTP_09 | Version::HTTP_10 => b" HTTP/1.0\r\n",
                _ => b" HTTP/1.1\r\n",
            });
            uri.authority()
                .filter(|_| !headers.contains_key(http::header::HOST))
        }
        Start::Response(status) => {
            bytes.extend_from_slice(b"HTTP/1.1 ");
            bytes.extend_from_slice(status.as_str().as_bytes());
            bytes.push(b' ');
            bytes.extend_from_slice(status.canonical_reason().unwrap_or("").as_bytes());
            bytes.extend_from_slice(b"\r\n");
            None
        }
    };
    let mut line = |name: &[u8], value: &[u8]| {
        bytes.extend_from_slice(name);
        bytes.extend_from_slice(b": ");
        bytes.extend_from_slice(value);
        bytes.extend_from_slice(b"\r\n");
    };
    if let Some(authority) = authority {
        line(b"host", authority.as_str().as_bytes());
    }
    // The http crate has checked names and values: no CR, LF or NUL.
    for (name, value) in headers {
        line(name.as_str().as_bytes(), value.as_bytes());
    }
    bytes.extend_from_slice(b"\r\n");
    bytes
}

/// An extended `CONNECT` for `request` as an `http::Request`, for an
/// HTTP/2 or HTTP/3 client, and the handshake that checks its response
/// (given as [`head`]): [`ClientRequest::build_connect`] with the request's
/// `Host` as the URI's authority (the `:authority` pseudo-header) and its
/// scheme (`https` for `wss://`). The `:protocol` pseudo-header is the
/// HTTP library's own extension type: add it (`h2::ext::Protocol`,
/// `hyper::ext::Protocol`).
pub fn connect_request(
    request: &ClientRequest<'_>,
    now: Duration,
) -> Result<(Request<()>, ClientHandshake), BuildError> {
    let (bytes, handshake) = request.build_connect(now)?;
    let text = core::str::from_utf8(&bytes).unwrap_or_default();
    let mut lines = text.split("\r\n");
    let target = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .unwrap_or("/");
    let mut connect = Request::builder().method(Method::CONNECT);
    let mut authority = "";
    for (name, value) in lines.map_while(|line| line.split_once(": ")) {
        match name {
            _ if name.eq_ignore_ascii_case("host") => authority = value,
            _ => connect = connect.header(name, value),
        }
    }
    let scheme = match request.is_secure() {
        true => http::uri::Scheme::HTTPS,
        false => http::uri::Scheme::HTTP,
    };
    let uri = Uri::builder()
        .scheme(scheme)
        .authority(authority)
        .path_and_query(target)
        .build();
    // The builder checked every header and the target: only a host that
    // is no authority is left to refuse.
    let connect = uri
        .and_then(|uri| connect.uri(uri).body(()))
        .map_err(|_| BuildError::InvalidHeader(InvalidHeader::new("host")))?;
    Ok((connect, handshake))
}

/// The response wscore wrote (a `101` or `200`, or a refusal such as `426`
/// with its reason in the body) as an `http::Response` to send over
/// `version`. Over HTTP/2 and HTTP/3 the headers that HTTP/1.1 alone has
/// (`Connection`, `Upgrade`...) are left out: those versions forbid them
/// (RFC 9113 §8.2.2).
pub fn response(bytes: &[u8], version: Version) -> Response<Bytes> {
    let mut lines = [httparse::EMPTY_HEADER; Limits::MAX_HEADERS];
    let mut parsed = httparse::Response::new(&mut lines);
    let (Ok(httparse::Status::Complete(len)), Some(code)) = (parsed.parse(bytes), parsed.code)
    else {
        // wscore writes complete heads, with a status: never reached.
        let mut error = Response::new(Bytes::new());
        *error.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
        return error;
    };
    let mut response = Response::new(Bytes::copy_from_slice(&bytes[len..]));
    *response.status_mut() =
        StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let per_connection = |name: &str| {
        version >= Version::HTTP_2
            && [
                "connection",
                "upgrade",
                "keep-alive",
                "proxy-connection",
                "transfer-encoding",
            ]
            .iter()
            .any(|hop| name.eq_ignore_ascii_case(hop))
    };
    for line in parsed
        .headers
        .iter()
        .filter(|line| !per_connection(line.name))
    {
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(line.name.as_bytes()),
            http::HeaderValue::from_bytes(line.value),
        ) {
            response.headers_mut().append(name, value);
        }
    }
    response
}
