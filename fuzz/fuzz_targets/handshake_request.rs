//! Arbitrary bytes, in arbitrary reads, as a client's opening handshake.
//!
//! Checks: no panic; memory stays bounded (the header block limit is
//! enforced before more is read); a complete request never claims more bytes
//! than were given; every refusal is a well-formed HTTP response; a request
//! that passes the checks is accepted with a 101 that wscore's own client
//! takes, agreeing to the same permessage-deflate parameters. In half the
//! runs the bytes are read as an HTTP/2 extended CONNECT's head
//! (`receive_connect`), answered with a 200 that wscore's client takes.
#![no_main]

use base64::Engine;
use libfuzzer_sys::fuzz_target;
use wscore::extensions::deflate::DeflateConfig;
use wscore::handshake::client::ClientRequest;
use wscore::handshake::server::{Accept, AcceptError, Origins, RequestKind, ServerHandshake};
use wscore::handshake::{Limits, Status};
use wscore::random::{Rng, RngUnavailable};

/// Yields one fixed nonce: the one inside the request's key.
struct Nonce(Vec<u8>);

impl Rng for Nonce {
    fn fill(&mut self, dest: &mut [u8]) -> Result<(), RngUnavailable> {
        dest.copy_from_slice(self.0.get(..dest.len()).ok_or(RngUnavailable)?);
        Ok(())
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&setup, bytes)) = data.split_first() else {
        return;
    };
    let limits = Limits::default()
        .max_header_block(1024)
        .max_headers(usize::from(setup % 32));
    let mut handshake = ServerHandshake::new(limits, core::time::Duration::ZERO);
    let step = usize::from(setup / 32) * 37 + 1;
    let connect = setup & 16 != 0;
    let mut end = 0;
    let request = loop {
        end = (end + step).min(bytes.len());
        let read = match connect {
            true => handshake.receive_connect(&bytes[..end], Some("websocket")),
            false => handshake.receive(&bytes[..end]),
        };
        match read {
            Ok(Status::Complete(request)) => break request,
            Ok(Status::Partial) if end < bytes.len() => continue,
            Ok(Status::Partial) => return,
            Err(error) => {
                assert!(
                    end <= 1024 + step,
                    "the limit was passed by more than one read"
                );
                assert_well_formed(&error.response());
                return;
            }
        }
    };
    assert!(request.header_len() <= end);
    // A valid upgrade is always classified as one.
    if request.check().is_ok() {
        assert_eq!(request.kind(), RequestKind::WebSocket);
    }
    let protocol = request.protocols().next();
    let _ = request
        .extensions()
        .map(|e| e.params().count())
        .sum::<usize>();
    let _ = (
        request.path(),
        request.query(),
        request.origin(),
        request.cookie("a"),
    );
    // Half the runs under the default origin policy, half accepting any.
    let origins = if setup & 8 != 0 {
        Origins::SameHost
    } else {
        Origins::Any
    };
    let accept = match protocol {
        Some(protocol) => Accept::new().protocol(protocol),
        None => Accept::new(),
    }
    .origins(origins);
    let accept = accept.deflate(
        DeflateConfig::new()
            .server_no_context_takeover(setup & 1 != 0)
            .client_no_context_takeover(setup & 2 != 0)
            .server_max_window_bits(Some(8 + setup % 8))
            .client_max_window_bits((setup & 4 != 0).then_some(9 + setup % 7)),
    );
    match request.accept(&accept) {
        Ok(accepted) if connect => {
            assert!(request.check().is_ok() && request.is_extended_connect());
            let client_request = match protocol {
                Some(protocol) => ClientRequest::new("h", "/").protocol(protocol),
                None => ClientRequest::new("h", "/"),
            };
            let (_, mut client) = client_request
                .deflate(DeflateConfig::new())
                .build_connect(core::time::Duration::ZERO)
                .expect("valid request");
            match client.receive(accepted.response()) {
                Ok(Status::Complete(r)) => assert_eq!(r.deflate(), accepted.deflate()),
                other => panic!("our client refused our 200: {other:?}"),
            }
        }
        Ok(accepted) => {
            assert!(request.check().is_ok());
            // Our client, sending the same key, must take the response.
            let key = request.header("sec-websocket-key").expect("checked");
            let nonce = base64::engine::general_purpose::STANDARD
                .decode(key)
                .expect("checked");
            let client_request = match protocol {
                Some(protocol) => ClientRequest::new("h", "/").protocol(protocol),
                None => ClientRequest::new("h", "/"),
            };
            let client_request = client_request.deflate(DeflateConfig::new());
            let (sent, mut client) = client_request
                .build(&mut Nonce(nonce), core::time::Duration::ZERO)
                .expect("valid request");
            assert!(
                sent.windows(key.len()).any(|w| w == key.as_bytes()),
                "canonical key"
            );
            let response = accepted.response();
            // and agree to the same compression.
            match client.receive(response) {
                Ok(Status::Complete(r)) => {
                    assert_eq!(r.header_len(), response.len());
                    assert_eq!(r.deflate(), accepted.deflate());
                }
                other => panic!("our client refused our response: {other:?}"),
            }
        }
        Err(error) => {
            let foreign = matches!(error, AcceptError::OriginNotAllowed(_));
            let has_origin = request
                .headers()
                .any(|(name, _)| name.eq_ignore_ascii_case("origin"));
            assert!(!foreign || (origins == Origins::SameHost && has_origin));
            assert!(request.check().is_err() || protocol.is_some() || foreign);
            assert_well_formed(&error.response());
        }
    }
});

/// A status line, headers, a blank line and a body of the announced length.
fn assert_well_formed(response: &[u8]) {
    let mut headers = [httparse::EMPTY_HEADER; 16];
    let mut parsed = httparse::Response::new(&mut headers);
    let Ok(httparse::Status::Complete(head)) = parsed.parse(response) else {
        panic!(
            "not a complete HTTP response: {:?}",
            String::from_utf8_lossy(response)
        );
    };
    let length = parsed
        .headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case("content-length"))
        .and_then(|h| std::str::from_utf8(h.value).ok()?.parse::<usize>().ok());
    assert_eq!(length, Some(response.len() - head));
}
