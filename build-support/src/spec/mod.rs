//! The spec model: how an OpenAPI document is read and navigated, in one place that the rules,
//! `diff-upstream`, `extract`, the snapshot and the fake's request validator all use.
//!
//! - [`Fragment`]: a document read from YAML, with where it came from;
//! - [`pointer`](mod@pointer): JSON pointers (RFC 6901), building them and editing the value one names;
//! - [`refs`]: `$ref` resolution;
//! - [`operations`](mod@operations): the operations of a document;
//! - [`schema`]: which schema keywords hold subschemas (the walk over a schema);
//! - [`keywords`]: what each key of a document means when comparing or copying it.
//!
//! This module needs neither progenitor nor any other part of the generator (feature `codegen`).

mod document;
pub mod keywords;
pub mod operations;
pub mod pointer;
pub mod refs;
pub mod schema;

pub use document::Fragment;
pub use operations::{Operation, operations};
