//! The `http` crate's types at the handshake (feature `http`), for a
//! server whose HTTP library has already parsed the request (hyper, axum
//! and the rest) and hands over an `http::Request` rather than bytes.
//!
//! [`head`] writes the request's head back as the HTTP/1.1 bytes it came
//! as, so that [`ServerHandshake`](super::server::ServerHandshake) checks
//! it by exactly the rules it checks a socket's bytes by: one validation,
//! not two. [`response`] turns the answer (the `101`, or a refusal with its
//! reason) into an `http::Response`.
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
//! let response = http::response(&bytes);
//! assert_eq!(response.status(), 101);
//! assert_eq!(response.headers()["sec-websocket-accept"], "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use alloc::vec::Vec;

use bytes::Bytes;
use http::request::Parts;
use http::{HeaderMap, Method, Request, Response, StatusCode, Uri, Version};

use super::Limits;

/// A request as the `http` crate holds it: a whole [`Request`] or its
/// [`Parts`].
pub trait RequestHead: sealed::Sealed {
    /// The method, target, version and headers.
    #[doc(hidden)]
    fn parts(&self) -> (&Method, &Uri, Version, &HeaderMap);
}

mod sealed {
    pub trait Sealed {}
    impl<B> Sealed for http::Request<B> {}
    impl Sealed for http::request::Parts {}
}

impl<B> RequestHead for Request<B> {
    fn parts(&self) -> (&Method, &Uri, Version, &HeaderMap) {
        (self.method(), self.uri(), self.version(), self.headers())
    }
}

impl RequestHead for Parts {
    fn parts(&self) -> (&Method, &Uri, Version, &HeaderMap) {
        (&self.method, &self.uri, self.version, &self.headers)
    }
}

/// The request's head as HTTP/1.1 bytes, for
/// [`ServerHandshake::receive`](super::server::ServerHandshake::receive):
/// the request line (HTTP/1.0 stays 1.0) and every header line in order.
/// A request without `Host` whose URI has an authority (HTTP/2's
/// `:authority`) gets it as `Host`.
pub fn head(request: &impl RequestHead) -> Vec<u8> {
    let (method, uri, version, headers) = request.parts();
    let mut head = Vec::with_capacity(512);
    head.extend_from_slice(method.as_str().as_bytes());
    head.push(b' ');
    let target = uri.path_and_query().map_or("/", |target| target.as_str());
    head.extend_from_slice(target.as_bytes());
    head.extend_from_slice(match version {
        Version::HTTP_09 | Version::HTTP_10 => b" HTTP/1.0\r\n",
        _ => b" HTTP/1.1\r\n",
    });
    let mut line = |name: &[u8], value: &[u8]| {
        head.extend_from_slice(name);
        head.extend_from_slice(b": ");
        head.extend_from_slice(value);
        head.extend_from_slice(b"\r\n");
    };
    if !headers.contains_key(http::header::HOST) {
        if let Some(authority) = uri.authority() {
            line(b"host", authority.as_str().as_bytes());
        }
    }
    // The http crate has checked names and values: no CR, LF or NUL.
    for (name, value) in headers {
        line(name.as_str().as_bytes(), value.as_bytes());
    }
    head.extend_from_slice(b"\r\n");
    head
}

/// The response wscore wrote (a `101`, or a refusal such as `426` with
/// its reason in the body) as an `http::Response`.
pub fn response(bytes: &[u8]) -> Response<Bytes> {
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
    for line in parsed.headers.iter() {
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(line.name.as_bytes()),
            http::HeaderValue::from_bytes(line.value),
        ) {
            response.headers_mut().append(name, value);
        }
    }
    response
}
