//! Cross-crate integration and contract tests live in `tests/`; this library is intentionally empty.
