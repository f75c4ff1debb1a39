//! The in-memory token store, kept compact and bounded so a long load test cannot grow it
//! without limit.
//!
//! A record holds no id and no ticket: both are derived from its sequence number (see `ids.rs`).
//! The user id and the actor JSON share one heap allocation. With the default cap of 100 000
//! tokens a full store stays within the bench's peak-RSS figure (BENCHMARKS.md, section 2).
//!
//! When the store is full, an insert first evicts a token whose lifetime has passed (earliest
//! expiry first), else the oldest token. Evicted tokens are forgotten: revoking or redeeming
//! them afterwards answers 404, as for an id that never existed.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};

/// Where a stored token is in its life (the wire status).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Life {
    Pending,
    Accepted,
    Revoked,
}

impl Life {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Life::Pending => "pending",
            Life::Accepted => "accepted",
            Life::Revoked => "revoked",
        }
    }
}

/// One token: 56 bytes inline (on 64-bit targets) plus one allocation for the user id and actor
/// JSON.
#[derive(Clone, Debug)]
pub(crate) struct Record {
    text: Box<str>,
    user_len: u32,
    pub(crate) life: Life,
    pub(crate) created_at: i64,
    pub(crate) updated_at: i64,
    pub(crate) expires_at: i64,
    pub(crate) session_max_secs: u64,
}

impl Record {
    /// `None` when the user id is longer than 4 GiB (the body limit makes that impossible).
    pub(crate) fn new(
        user_id: &str,
        actor_json: &str,
        now: i64,
        expires_in_secs: u64,
        session_max_secs: u64,
    ) -> Option<Self> {
        let user_len = u32::try_from(user_id.len()).ok()?;
        let mut text = String::with_capacity(user_id.len() + actor_json.len());
        text.push_str(user_id);
        text.push_str(actor_json);
        let lifetime_ms = i64::try_from(expires_in_secs.saturating_mul(1000)).unwrap_or(i64::MAX);
        Some(Self {
            text: text.into_boxed_str(),
            user_len,
            life: Life::Pending,
            created_at: now,
            updated_at: now,
            expires_at: now.saturating_add(lifetime_ms),
            session_max_secs,
        })
    }

    pub(crate) fn user_id(&self) -> &str {
        self.text.get(..self.user_len as usize).unwrap_or_default()
    }

    pub(crate) fn actor_json(&self) -> &str {
        self.text.get(self.user_len as usize..).unwrap_or_default()
    }

    pub(crate) fn is_expired(&self, now: i64) -> bool {
        now >= self.expires_at
    }
}

/// Sequence numbers are already unique integers; a multiplicative hash spreads them at a
/// fraction of SipHash's cost.
#[derive(Default)]
pub(crate) struct SeqHasher(u64);

impl Hasher for SeqHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// The tokens of one fake instance.
#[derive(Debug)]
pub(crate) struct Store {
    records: HashMap<u64, Record, BuildHasherDefault<SeqHasher>>,
    next_seq: u64,
    /// Every sequence number below this one is gone; the oldest live token is at or after it.
    oldest: u64,
    /// (expiry, seq) of live tokens, earliest first. Entries of tokens evicted as oldest stay
    /// behind and are skipped; `compact_expiries` keeps them from piling up.
    expiries: BinaryHeap<Reverse<(i64, u64)>>,
    cap: usize,
    evicted: u64,
}

impl Store {
    pub(crate) fn new(cap: usize) -> Self {
        Self {
            records: HashMap::default(),
            next_seq: 0,
            oldest: 0,
            expiries: BinaryHeap::new(),
            cap: cap.max(1),
            evicted: 0,
        }
    }

    /// Stores a token and returns its sequence number, evicting one first when full.
    pub(crate) fn insert(&mut self, now: i64, record: Record) -> u64 {
        while self.records.len() >= self.cap {
            if !self.evict_one(now) {
                break;
            }
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        self.expiries.push(Reverse((record.expires_at, seq)));
        self.records.insert(seq, record);
        if self.expiries.len() > 2 * self.records.len() + 1024 {
            self.compact_expiries();
        }
        seq
    }

    fn evict_one(&mut self, now: i64) -> bool {
        while let Some(&Reverse((expires_at, seq))) = self.expiries.peek() {
            if !self.records.contains_key(&seq) {
                self.expiries.pop();
                continue;
            }
            if expires_at <= now {
                self.expiries.pop();
                self.records.remove(&seq);
                self.evicted += 1;
                return true;
            }
            break;
        }
        while self.oldest < self.next_seq {
            let seq = self.oldest;
            self.oldest += 1;
            if self.records.remove(&seq).is_some() {
                self.evicted += 1;
                return true;
            }
        }
        false
    }

    fn compact_expiries(&mut self) {
        self.expiries = self
            .records
            .iter()
            .map(|(&seq, r)| Reverse((r.expires_at, seq)))
            .collect();
    }

    /// Forgets every token. Sequence numbers keep counting, so no id is ever issued twice.
    pub(crate) fn clear(&mut self) {
        self.records = HashMap::default();
        self.expiries = BinaryHeap::new();
        self.oldest = self.next_seq;
    }

    pub(crate) fn get(&self, seq: u64) -> Option<&Record> {
        self.records.get(&seq)
    }

    pub(crate) fn get_mut(&mut self, seq: u64) -> Option<&mut Record> {
        self.records.get_mut(&seq)
    }

    /// Every token, oldest first.
    pub(crate) fn all(&self) -> Vec<(u64, &Record)> {
        let mut all: Vec<_> = self.records.iter().map(|(&s, r)| (s, r)).collect();
        all.sort_unstable_by_key(|&(s, _)| s);
        all
    }

    pub(crate) fn len(&self) -> usize {
        self.records.len()
    }

    pub(crate) fn evicted(&self) -> u64 {
        self.evicted
    }

    pub(crate) fn cap(&self) -> usize {
        self.cap
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(now: i64, expires_in: u64) -> Record {
        Record::new(
            "user_2abc",
            r#"{"sub":"user_2admin"}"#,
            now,
            expires_in,
            1800,
        )
        .unwrap()
    }

    #[test]
    fn record_parts_round_trip() {
        let r = record(1_000, 60);
        assert_eq!(r.user_id(), "user_2abc");
        assert_eq!(r.actor_json(), r#"{"sub":"user_2admin"}"#);
        assert_eq!(r.expires_at, 61_000);
        assert!(!r.is_expired(60_999) && r.is_expired(61_000));
        let forever = record(1_000, u64::MAX);
        assert_eq!(forever.expires_at, i64::MAX);
    }

    #[test]
    fn a_full_store_evicts_the_oldest_when_nothing_expired() {
        let mut store = Store::new(3);
        let seqs: Vec<u64> = (0..5).map(|_| store.insert(0, record(0, 3600))).collect();
        assert_eq!(store.len(), 3);
        assert!(store.get(seqs[0]).is_none() && store.get(seqs[1]).is_none());
        assert!(seqs[2..].iter().all(|&s| store.get(s).is_some()));
        assert_eq!(store.evicted(), 2);
    }

    #[test]
    fn expired_tokens_go_before_older_live_ones() {
        let mut store = Store::new(3);
        let old_live = store.insert(0, record(0, 3600));
        let short = store.insert(0, record(0, 1));
        let live = store.insert(0, record(0, 3600));
        // At 2 s the short-lived token has expired: it goes, although `old_live` is older.
        let new = store.insert(2_000, record(2_000, 3600));
        assert!(store.get(short).is_none());
        for seq in [old_live, live, new] {
            assert!(store.get(seq).is_some(), "{seq} should remain");
        }
    }

    #[test]
    fn stale_expiry_entries_do_not_pile_up() {
        let mut store = Store::new(10);
        for i in 0..10_000 {
            store.insert(i, record(i, 3600));
        }
        assert_eq!(store.len(), 10);
        assert!(store.expiries.len() <= 2 * 10 + 1024 + 1);
    }

    /// What a token costs is fixed by the types: one record of at most a cache line, and one
    /// allocation holding exactly the user id and the actor JSON. (The bytes per token at the map's
    /// load factor, allocator included, are the bench's to measure: section 2's peak RSS.)
    #[test]
    fn a_record_is_one_cache_line_and_one_exact_allocation() {
        assert!(std::mem::size_of::<Record>() <= 64);
        let r = record(0, 3600);
        assert_eq!(
            r.text.len(),
            "user_2abc".len() + r#"{"sub":"user_2admin"}"#.len()
        );
    }
}
