//! The connection state machine in the server role: arbitrary bytes in
//! arbitrary splits, mixed with arbitrary API calls. No panic; memory stays
//! within the configured limits.
#![no_main]

#[path = "common/connection.rs"]
mod connection;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| connection::run(wscore::Role::Server, data));
