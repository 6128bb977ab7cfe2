//! Helpers shared by the integration tests.

use wscore::frame::{FrameHeader, Opcode};
use wscore::mask::apply_mask;
use wscore::Role;

/// The mask key every test frame uses.
pub const KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

/// A frame as the peer of `receiver` sends it: masked towards a server.
pub fn frame(receiver: Role, fin: bool, opcode: Opcode, payload: &[u8]) -> Vec<u8> {
    let mut header = FrameHeader::new(opcode, payload.len() as u64);
    header.fin = fin;
    if receiver == Role::Server {
        header.mask = Some(KEY);
    }
    let mut bytes = header.encode().unwrap().to_vec();
    let start = bytes.len();
    bytes.extend_from_slice(payload);
    if let Some(key) = header.mask {
        apply_mask(&mut bytes[start..], key, 0);
    }
    bytes
}
