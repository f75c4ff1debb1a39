//! The fragment's `x-local-deviations`: the places where it deliberately differs from Clerk's spec,
//! each with the exact value Clerk's spec has there, so that a later change upstream at the same
//! place is noticed instead of being hidden by the record.

use serde_json::{Map, Value};

use crate::SpecError;
use crate::spec::{Fragment, pointer};

/// Key of the deviation list at the root of a fragment.
pub const KEY: &str = "x-local-deviations";

/// One deliberate difference from Clerk's spec.
#[derive(Debug, Clone, PartialEq)]
pub struct Deviation {
    /// Where, in this fragment (after `$ref`s are followed) and at the same path in Clerk's spec.
    pub pointer: String,
    /// Clerk's value at that place; `None` when Clerk's spec has no such key.
    pub upstream: Option<Value>,
    /// Why the fragment differs.
    pub reason: String,
}

impl Deviation {
    /// The entry as it is written in a fragment (`upstream` left out when Clerk has nothing).
    pub fn to_value(&self) -> Value {
        let mut map = Map::new();
        map.insert("pointer".into(), Value::String(self.pointer.clone()));
        if let Some(v) = &self.upstream {
            map.insert("upstream".into(), v.clone());
        }
        map.insert("reason".into(), Value::String(self.reason.clone()));
        Value::Object(map)
    }
}

/// Reads and validates the list (rule `local-deviations`); a fragment without one has none.
///
/// Each pointer's parent must exist in the fragment: a record for a place the fragment does not
/// have is a typo or a leftover, and would silently accept nothing.
pub fn read(fragment: &Fragment) -> Result<Vec<Deviation>, Vec<SpecError>> {
    let Some(list) = fragment.raw.get(KEY) else {
        return Ok(Vec::new());
    };
    let at = format!("/{KEY}");
    let Some(items) = list.as_array() else {
        return Err(vec![fragment.error(
            "local-deviations",
            &at,
            "must be a list of {pointer, upstream, reason}",
        )]);
    };
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let here = format!("{at}/{i}");
        let error = |message: &str| fragment.error("local-deviations", &here, message);
        let Some(map) = item.as_object() else {
            errors.push(error(
                "an entry must be a mapping with `pointer` and `reason`",
            ));
            continue;
        };
        if let Some(key) = map
            .keys()
            .find(|k| !["pointer", "upstream", "reason"].contains(&k.as_str()))
        {
            errors.push(error(&format!(
                "unknown key `{key}` (only pointer, upstream, reason)"
            )));
        }
        let reason = match map.get("reason").and_then(Value::as_str) {
            Some(r) if !r.trim().is_empty() => r.to_string(),
            _ => {
                errors.push(error("`reason` must say why the fragment differs"));
                continue;
            }
        };
        let Some(p) = map.get("pointer").and_then(Value::as_str) else {
            errors.push(error("`pointer` must be a JSON pointer string"));
            continue;
        };
        let parent_exists = pointer::split_last(p)
            .filter(|_| p.starts_with('/'))
            .is_some_and(|(parent, _)| fragment.raw.pointer(parent).is_some_and(Value::is_object));
        if !parent_exists {
            errors.push(error(&format!(
                "`{p}` does not name a key of a mapping in this file"
            )));
            continue;
        }
        if out.iter().any(|d: &Deviation| d.pointer == p) {
            errors.push(error(&format!("`{p}` is recorded twice")));
            continue;
        }
        out.push(Deviation {
            pointer: p.to_string(),
            upstream: map.get("upstream").cloned(),
            reason,
        });
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// The fragment as Clerk's spec has it according to the records: every deviation undone and the
/// list removed. What `diff-upstream` compares against this is exactly the recorded deviations,
/// which makes it the base for fixtures that stand in for Clerk's spec.
#[cfg(feature = "tooling")]
pub fn upstream_view(fragment: &Fragment) -> Result<Value, Vec<SpecError>> {
    let deviations = read(fragment)?;
    let mut doc = fragment.raw.clone();
    for d in &deviations {
        pointer::set(&mut doc, &d.pointer, d.upstream.clone(), false)
            .map_err(|e| vec![fragment.error("local-deviations", &d.pointer, e)])?;
    }
    if let Some(map) = doc.as_object_mut() {
        map.shift_remove(KEY);
    }
    Ok(doc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::path::Path;

    fn fragment(raw: Value) -> Fragment {
        Fragment {
            path: Path::new("f.yaml").to_path_buf(),
            raw,
        }
    }

    #[cfg(feature = "tooling")]
    #[test]
    fn upstream_view_undoes_each_record() {
        let f = fragment(json!({
            "a": {"format": "password", "extra": {}},
            KEY: [
                {"pointer": "/a/format", "reason": "secret"},
                {"pointer": "/a/extra", "upstream": true, "reason": "open map"},
                {"pointer": "/a/enum", "upstream": ["x", "y"], "reason": "open enum"}
            ]
        }));
        assert_eq!(read(&f).unwrap().len(), 3);
        assert_eq!(
            upstream_view(&f).unwrap(),
            json!({"a": {"extra": true, "enum": ["x", "y"]}})
        );
    }

    #[test]
    fn every_malformed_entry_is_reported() {
        let f = fragment(json!({
            "a": {},
            KEY: [
                {"pointer": "/a/b"},
                {"pointer": "a/b", "reason": "no slash"},
                {"pointer": "/missing/b", "reason": "no parent"},
                {"pointer": "/a/b", "reason": "r", "upstrem": 1},
                "not a mapping",
            ]
        }));
        let errors = read(&f).unwrap_err();
        let at: Vec<_> = errors.iter().map(|e| e.pointer.as_str()).collect();
        assert_eq!(
            at,
            [
                "/x-local-deviations/0",
                "/x-local-deviations/1",
                "/x-local-deviations/2",
                "/x-local-deviations/3",
                "/x-local-deviations/4"
            ]
        );
        assert!(errors.iter().all(|e| e.rule == "local-deviations"));
    }
}
