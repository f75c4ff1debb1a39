//! The parts of the benchmarks that more than one target runs: the `bench` binary's section 1
//! (wall-clock rounds) and the `instructions` bench target (callgrind counts) drive the same
//! clients against the same fixed-answer server, so both measure the same work.

pub mod overhead;
pub mod stats;
