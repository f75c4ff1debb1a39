//! `$ref` resolution: the only place that knows what a reference looks like and how a chain of them
//! is followed. Only local references (`#/...`) are supported: a fragment is self-contained.

use std::fmt;

use serde_json::Value;

/// Chains of `$ref`s longer than this are taken for a loop rather than followed.
pub const MAX_CHAIN: usize = 32;

/// Why a `$ref` cannot be followed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefError {
    /// The `$ref` is not a string.
    NotAString,
    /// The `$ref` points into another file (or is not a `#` pointer at all).
    NotLocal(String),
    /// The `$ref` points at nothing in this document.
    Dangling(String),
    /// Following the chain did not end within [`MAX_CHAIN`] steps.
    Loop,
}

impl fmt::Display for RefError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RefError::NotAString => f.write_str("`$ref` is not a string"),
            RefError::NotLocal(r) => {
                write!(f, "`$ref` {r} is not a reference into the same file")
            }
            RefError::Dangling(r) => write!(f, "`$ref` {r} points at nothing"),
            RefError::Loop => f.write_str("`$ref`s form a loop"),
        }
    }
}

impl std::error::Error for RefError {}

/// The JSON pointer a local reference names: `#/components/schemas/X` → `/components/schemas/X`.
pub fn pointer_of(reference: &str) -> Result<&str, RefError> {
    reference
        .strip_prefix('#')
        .ok_or_else(|| RefError::NotLocal(reference.to_string()))
}

/// What `reference` names in `doc` (one step, the target may be a `$ref` itself).
pub fn target<'a>(doc: &'a Value, reference: &str) -> Result<&'a Value, RefError> {
    doc.pointer(pointer_of(reference)?)
        .ok_or_else(|| RefError::Dangling(reference.to_string()))
}

/// The `$ref` of `value`, if it is a reference object.
pub fn reference_in(value: &Value) -> Result<Option<&str>, RefError> {
    match value.get("$ref") {
        None => Ok(None),
        Some(r) => r.as_str().map(Some).ok_or(RefError::NotAString),
    }
}

/// A value found by following `$ref`s, with its JSON pointer in the document.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved<'a> {
    /// The first value on the way that is not a reference.
    pub value: &'a Value,
    /// Where it is.
    pub pointer: String,
}

/// Follows `$ref`s from `value` (found at `pointer`) until a value that is not one.
pub fn resolve<'a>(
    doc: &'a Value,
    value: &'a Value,
    pointer: &str,
) -> Result<Resolved<'a>, RefError> {
    let mut here = Resolved {
        value,
        pointer: pointer.to_string(),
    };
    for _ in 0..MAX_CHAIN {
        let Some(reference) = reference_in(here.value)? else {
            return Ok(here);
        };
        here = Resolved {
            value: target(doc, reference)?,
            pointer: pointer_of(reference)?.to_string(),
        };
    }
    Err(RefError::Loop)
}

/// Calls `f` with the pointer of every `$ref` key below `value` (found at `pointer`) and its value,
/// in document order (a reference object's own `$ref` before its siblings).
pub fn each_ref(value: &Value, pointer: &str, f: &mut impl FnMut(&str, &Value)) {
    match value {
        Value::Object(map) => {
            if let Some(r) = map.get("$ref") {
                f(&super::pointer::join(pointer, "$ref"), r);
            }
            for (k, v) in map {
                each_ref(v, &super::pointer::join(pointer, k), f);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                each_ref(v, &format!("{pointer}/{i}"), f);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn chains_are_followed_and_loops_stop() {
        let doc = json!({
            "a": {"$ref": "#/b"},
            "b": {"$ref": "#/c"},
            "c": {"type": "string"},
            "l": {"$ref": "#/l"},
            "n": {"$ref": 1},
        });
        let r = resolve(&doc, &doc["a"], "/a").unwrap();
        assert_eq!(
            (r.value, r.pointer.as_str()),
            (&json!({"type": "string"}), "/c")
        );
        let plain = resolve(&doc, &doc["c"], "/c").unwrap();
        assert_eq!(plain.pointer, "/c");
        assert_eq!(resolve(&doc, &doc["l"], "/l"), Err(RefError::Loop));
        assert_eq!(resolve(&doc, &doc["n"], "/n"), Err(RefError::NotAString));
        assert_eq!(
            target(&doc, "other.yaml#/c"),
            Err(RefError::NotLocal("other.yaml#/c".into()))
        );
        assert_eq!(target(&doc, "#/x"), Err(RefError::Dangling("#/x".into())));
    }

    #[test]
    fn every_ref_is_visited_with_its_pointer() {
        let doc = json!({"p": {"a/b": [{"$ref": "#/x"}]}, "$ref": "#/y"});
        let mut seen = Vec::new();
        each_ref(&doc, "", &mut |p, r| seen.push((p.to_string(), r.clone())));
        assert_eq!(
            seen,
            [
                ("/$ref".to_string(), json!("#/y")),
                ("/p/a~1b/0/$ref".to_string(), json!("#/x")),
            ]
        );
    }
}
