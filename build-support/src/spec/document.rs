//! Reading a document: YAML text to a JSON value (for the rules and the tooling, which need the raw
//! shape and JSON pointers) and, on demand, to a typed OpenAPI document (for progenitor).

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::refs::{self, RefError};
use crate::SpecError;

/// A parsed OpenAPI document (the fragment, or Clerk's full spec) together with where it came from.
#[derive(Debug, Clone)]
pub struct Fragment {
    /// The file it was read from (used in every message).
    pub path: PathBuf,
    /// The document as plain JSON, exactly as written (key order kept).
    pub raw: Value,
}

impl Fragment {
    /// Reads and parses `path` as YAML (JSON is valid YAML too).
    pub fn load(path: &Path) -> Result<Self, SpecError> {
        let text = std::fs::read_to_string(path).map_err(|e| SpecError {
            file: path.to_path_buf(),
            rule: "readable",
            pointer: String::new(),
            message: format!("cannot read the file: {e}"),
        })?;
        Self::parse(path, &text)
    }

    /// Parses `text`; `path` is only used in messages.
    pub fn parse(path: &Path, text: &str) -> Result<Self, SpecError> {
        let raw: Value = serde_norway::from_str(text).map_err(|e| SpecError {
            file: path.to_path_buf(),
            rule: "yaml",
            pointer: String::new(),
            message: format!("not valid YAML: {e}"),
        })?;
        if !raw.is_object() {
            return Err(SpecError {
                file: path.to_path_buf(),
                rule: "yaml",
                pointer: String::new(),
                message: "the document is not a mapping".into(),
            });
        }
        Ok(Self {
            path: path.to_path_buf(),
            raw,
        })
    }

    /// The typed document progenitor needs.
    pub fn openapi(&self) -> Result<openapiv3::OpenAPI, SpecError> {
        serde_json::from_value(self.raw.clone()).map_err(|e| self.error("openapi-schema", "", e))
    }

    /// An error about this document.
    pub fn error(
        &self,
        rule: &'static str,
        pointer: &str,
        message: impl std::fmt::Display,
    ) -> SpecError {
        SpecError {
            file: self.path.clone(),
            rule,
            pointer: pointer.to_string(),
            message: message.to_string(),
        }
    }

    /// What a local `$ref` such as `#/components/schemas/ActorToken` names (one step).
    pub fn resolve(&self, reference: &str) -> Result<&Value, RefError> {
        refs::target(&self.raw, reference)
    }
}
