//! Actor token ids (`act_...`) and sign-in tickets, both derived from the token's sequence
//! number so that the store keeps neither string: a ticket is the sequence number plus a keyed
//! hash (SipHash with random keys), which only this instance can produce. Session ids
//! (`sess_...`) and client ids (`client_...`) are derived the same way from the session's own
//! sequence number, each kind with its own salt so that the same number never looks alike in two
//! kinds of id.

use std::hash::{BuildHasher, RandomState};

const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/// Base-62 digits needed for any `u64` (62^11 > 2^64).
const WIDTH: usize = 11;
/// An odd multiplier, so `x * MIX` is a bijection on `u64`; ids look random yet decode exactly.
const MIX: u64 = 0x9E37_79B9_7F4A_7C15;
const MIX_INVERSE: u64 = inverse(MIX);

/// Prefix of every actor token id, as Clerk's.
pub(crate) const ID_PREFIX: &str = "act_";
/// Prefix of every session id, as Clerk's (`sess_` and letters and digits).
pub(crate) const SESSION_PREFIX: &str = "sess_";
/// Prefix of every client id, as Clerk's.
pub(crate) const CLIENT_PREFIX: &str = "client_";

/// What sets each kind of id apart (actor token ids keep the value they always had: 0).
const TOKEN_SALT: u64 = 0;
const SESSION_SALT: u64 = 0x5E55_1011_5E55_1011;
const CLIENT_SALT: u64 = 0xC11E_47C1_1E47_C11E;

const fn inverse(odd: u64) -> u64 {
    // Newton's iteration doubles the correct low bits each step: 3 -> 6 -> ... -> 96 >= 64.
    let mut x = odd;
    let mut i = 0;
    while i < 5 {
        x = x.wrapping_mul(2u64.wrapping_sub(odd.wrapping_mul(x)));
        i += 1;
    }
    x
}

/// Encodes and checks the ids and tickets of one fake instance.
#[derive(Debug)]
pub(crate) struct Codec {
    /// Distinguishes this instance's ids and tickets from another instance's.
    tag: u64,
    /// Hides the sequence number in ids.
    mask: u64,
    mac: RandomState,
}

impl Codec {
    pub(crate) fn new() -> Self {
        Self {
            tag: fastrand::u64(..),
            mask: fastrand::u64(..),
            mac: RandomState::new(),
        }
    }

    fn hide(&self, seq: u64) -> u64 {
        (seq ^ self.mask).wrapping_mul(MIX)
    }

    fn reveal(&self, hidden: u64) -> u64 {
        hidden.wrapping_mul(MIX_INVERSE) ^ self.mask
    }

    fn mac(&self, seq: u64) -> u64 {
        self.mac.hash_one((self.tag, seq))
    }

    /// `prefix`, this instance's tag and the hidden sequence number, in base 62.
    fn encode(&self, prefix: &str, salt: u64, seq: u64) -> String {
        let mut out = String::with_capacity(prefix.len() + 2 * WIDTH);
        out.push_str(prefix);
        push_base62(&mut out, self.tag);
        push_base62(&mut out, self.hide(seq) ^ salt);
        out
    }

    /// The sequence number of an id of this kind that this instance issued, or `None`.
    fn decode(&self, prefix: &str, salt: u64, id: &str) -> Option<u64> {
        let rest = id.strip_prefix(prefix)?;
        if rest.len() != 2 * WIDTH {
            return None;
        }
        let (tag, hidden) = rest.split_at_checked(WIDTH)?;
        if parse_base62(tag)? != self.tag {
            return None;
        }
        Some(self.reveal(parse_base62(hidden)? ^ salt))
    }

    pub(crate) fn id(&self, seq: u64) -> String {
        self.encode(ID_PREFIX, TOKEN_SALT, seq)
    }

    /// The sequence number of an id this instance issued, or `None` for anything else.
    pub(crate) fn parse_id(&self, id: &str) -> Option<u64> {
        self.decode(ID_PREFIX, TOKEN_SALT, id)
    }

    /// The id of the session with this sequence number.
    pub(crate) fn session_id(&self, seq: u64) -> String {
        self.encode(SESSION_PREFIX, SESSION_SALT, seq)
    }

    /// The sequence number of a session id this instance issued, or `None`.
    pub(crate) fn parse_session_id(&self, id: &str) -> Option<u64> {
        self.decode(SESSION_PREFIX, SESSION_SALT, id)
    }

    /// The id of the client of the session with this sequence number: opening a url is a new
    /// browser, so every session has a client of its own.
    pub(crate) fn client_id(&self, seq: u64) -> String {
        self.encode(CLIENT_PREFIX, CLIENT_SALT, seq)
    }

    /// The sequence number of the session whose client this is, or `None`.
    pub(crate) fn parse_client_id(&self, id: &str) -> Option<u64> {
        self.decode(CLIENT_PREFIX, CLIENT_SALT, id)
    }

    pub(crate) fn ticket(&self, seq: u64) -> String {
        let mut out = String::with_capacity(3 * WIDTH);
        push_base62(&mut out, self.tag);
        push_base62(&mut out, self.hide(seq));
        push_base62(&mut out, self.mac(seq));
        out
    }

    /// The sequence number of a genuine ticket of this instance, or `None`.
    pub(crate) fn parse_ticket(&self, ticket: &str) -> Option<u64> {
        if ticket.len() != 3 * WIDTH || !ticket.is_ascii() {
            return None;
        }
        let (tag, rest) = ticket.split_at(WIDTH);
        let (hidden, mac) = rest.split_at(WIDTH);
        if parse_base62(tag)? != self.tag {
            return None;
        }
        let seq = self.reveal(parse_base62(hidden)?);
        (parse_base62(mac)? == self.mac(seq)).then_some(seq)
    }
}

fn push_base62(out: &mut String, mut value: u64) {
    let mut digits = [b'0'; WIDTH];
    for slot in digits.iter_mut().rev() {
        *slot = ALPHABET[(value % 62) as usize];
        value /= 62;
    }
    out.extend(digits.iter().map(|&b| b as char));
}

fn parse_base62(digits: &str) -> Option<u64> {
    if digits.len() != WIDTH {
        return None;
    }
    digits.bytes().try_fold(0u64, |acc, b| {
        let digit = match b {
            b'0'..=b'9' => b - b'0',
            b'A'..=b'Z' => b - b'A' + 10,
            b'a'..=b'z' => b - b'a' + 36,
            _ => return None,
        };
        acc.checked_mul(62)?.checked_add(u64::from(digit))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mix_has_an_inverse() {
        assert_eq!(MIX.wrapping_mul(MIX_INVERSE), 1);
    }

    #[test]
    fn ids_and_tickets_round_trip() {
        let codec = Codec::new();
        for seq in [0, 1, 2, 41, u64::MAX / 3, u64::MAX] {
            let id = codec.id(seq);
            assert!(id.starts_with("act_") && id.len() == 26, "{id}");
            assert_eq!(codec.parse_id(&id), Some(seq));
            assert_eq!(codec.parse_ticket(&codec.ticket(seq)), Some(seq));
            let session = codec.session_id(seq);
            assert!(
                session.starts_with("sess_") && session.len() == 27,
                "{session}"
            );
            assert!(session[5..].bytes().all(|b| b.is_ascii_alphanumeric()));
            assert_eq!(codec.parse_session_id(&session), Some(seq));
            let client = codec.client_id(seq);
            assert!(client.starts_with("client_"), "{client}");
            assert_eq!(codec.parse_client_id(&client), Some(seq));
            // One kind of id is never taken for another.
            assert_eq!(codec.parse_session_id(&client), None);
            assert_eq!(codec.parse_id(&session), None);
            assert_ne!(session[5..], id[4..]);
        }
    }

    #[test]
    fn foreign_or_altered_values_are_refused() {
        let (a, b) = (Codec::new(), Codec::new());
        assert_eq!(b.parse_id(&a.id(7)), None);
        assert_eq!(b.parse_ticket(&a.ticket(7)), None);
        let mut ticket = a.ticket(7).into_bytes();
        let last = ticket.len() - 1;
        ticket[last] = if ticket[last] == b'0' { b'1' } else { b'0' };
        let ticket = String::from_utf8(ticket).unwrap();
        assert_eq!(a.parse_ticket(&ticket), None);
        for junk in [
            "",
            "act_",
            "act_zzzzzzzzzzzzzzzzzzzzzz",
            "act_ééééééééééé",
            "x".repeat(33).as_str(),
        ] {
            assert_eq!(a.parse_id(junk), None, "{junk}");
            assert_eq!(a.parse_ticket(junk), None, "{junk}");
        }
    }
}
