//! Helpers shared by the integration tests.

use wscore::frame::{FrameHeader, Opcode, Rsv};
use wscore::mask::apply_mask;
use wscore::Role;

/// The mask key every test frame uses.
pub const KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

/// A frame as the peer of `receiver` sends it: masked towards a server.
pub fn frame(receiver: Role, fin: bool, opcode: Opcode, payload: &[u8]) -> Vec<u8> {
    frame_rsv(receiver, fin, opcode, Rsv::NONE, payload)
}

/// [`frame`] with reserved bits set, as an extension sends them.
pub fn frame_rsv(receiver: Role, fin: bool, opcode: Opcode, rsv: Rsv, payload: &[u8]) -> Vec<u8> {
    let mut header = FrameHeader::new(opcode, payload.len() as u64);
    header.fin = fin;
    header.rsv = rsv;
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
