//! The first input byte chooses how a target runs; bit 0 is the role.

use wscore::Role;

/// The setup byte, the role it picks, and the rest of the input.
pub fn split(data: &[u8]) -> Option<(u8, Role, &[u8])> {
    let (&setup, rest) = data.split_first()?;
    let role = if setup & 1 == 0 {
        Role::Server
    } else {
        Role::Client
    };
    Some((setup, role, rest))
}
