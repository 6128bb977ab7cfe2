//! Arbitrary bytes, in arbitrary reads, as a server's answer to a client.
//!
//! Checks: no panic; memory stays bounded by the header block limit; a
//! complete response never claims more bytes than were given, and only a
//! 101 with this key's accept value completes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wscore::handshake::client::ClientRequest;
use wscore::handshake::Status;
use wscore::random::{Rng, RngUnavailable};

/// The RFC 6455 sample nonce: key `dGhlIHNhbXBsZSBub25jZQ==`.
struct SampleNonce;

impl Rng for SampleNonce {
    fn fill(&mut self, dest: &mut [u8]) -> Result<(), RngUnavailable> {
        dest.copy_from_slice(&b"the sample nonce"[..dest.len()]);
        Ok(())
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&setup, bytes)) = data.split_first() else {
        return;
    };
    let request = ClientRequest::new("h", "/")
        .protocol("chat")
        .extension("permessage-deflate");
    let (_, mut client) = request
        .build(&mut SampleNonce, core::time::Duration::ZERO)
        .expect("valid request");
    let step = usize::from(setup) + 1;
    let mut end = 0;
    loop {
        end = (end + step).min(bytes.len());
        match client.receive(&bytes[..end]) {
            Ok(Status::Complete(response)) => {
                assert!(response.header_len() <= end);
                let head = &bytes[..response.header_len()];
                let accept = b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";
                assert!(head.windows(accept.len()).any(|w| w == accept));
                let _ = response
                    .extensions()
                    .map(|e| e.params().count())
                    .sum::<usize>();
                return;
            }
            Ok(Status::Partial) if end < bytes.len() => continue,
            Ok(Status::Partial) => return,
            Err(error) => {
                assert!(!error.to_string().is_empty());
                return;
            }
        }
    }
});
