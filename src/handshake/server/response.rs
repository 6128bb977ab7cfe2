//! An HTTP response that is not an upgrade: a page, an error, a redirect;
//! and each handshake error's ready-made response.

use alloc::borrow::ToOwned;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use super::super::http_writer::HttpWriter;
use super::super::HttpError;
use super::RequestError;

/// An HTTP response other than the upgrade: an error, a page, a redirect.
/// A status, headers, and a body: plain text, or HTML from
/// [`html`](Self::html). It closes the connection.
///
/// ```
/// use wscore::handshake::server::Response;
///
/// let response = Response::new(403).body("origin not allowed").to_bytes();
/// assert!(response.starts_with(b"HTTP/1.1 403 Forbidden\r\n"));
/// assert!(response.ends_with(b"\r\n\r\norigin not allowed\n"));
/// ```
#[derive(Clone, Debug)]
pub struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
    content_type: &'static str,
}

impl Response {
    /// A response with this status and an empty body.
    pub fn new(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: String::new(),
            content_type: "text/plain; charset=utf-8",
        }
    }

    /// A `200 OK` page: a server can answer plain HTTP requests on the
    /// same port as its WebSocket endpoint.
    ///
    /// ```
    /// use wscore::handshake::server::Response;
    ///
    /// let page = Response::html("<h1>hello</h1>").to_bytes();
    /// assert!(page.starts_with(b"HTTP/1.1 200 OK\r\n"));
    /// ```
    pub fn html(page: &str) -> Self {
        let mut reject = Self::new(200).body(page);
        reject.content_type = "text/html; charset=utf-8";
        reject
    }

    /// Adds a header. Headers with invalid names or values (which could
    /// split the response) are left out of [`Response::to_bytes`].
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Sets the plain-text body; a newline is added.
    pub fn body(mut self, text: &str) -> Self {
        self.body = text.to_owned();
        self
    }

    /// The status.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The whole response. It closes the connection (`Connection: close`).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut http = HttpWriter::status(self.status);
        for (name, value) in &self.headers {
            // Only invalid headers fail; they are dropped as documented.
            let _ = http.header(name, value);
        }
        let _ = http.header("Connection", "close");
        http.finish_with_body(self.content_type, &self.body)
    }
}

impl RequestError {
    /// The ready-to-send HTTP response: the status, required headers,
    /// and the reason as a one-line plain-text body.
    pub fn response(&self) -> Vec<u8> {
        let response = Response::new(self.status()).body(&self.to_string());
        self.headers()
            .iter()
            .fold(response, |response, (name, value)| {
                response.header(name, value)
            })
            .to_bytes()
    }
}

impl HttpError {
    /// The ready-to-send HTTP response: 400, 408 or 431 with the reason.
    pub fn response(&self) -> Vec<u8> {
        Response::new(self.status())
            .body(&self.to_string())
            .to_bytes()
    }
}
