//! The project's rules for a fragment: shapes that progenitor would reject, panic on, or turn into
//! a worse client. Each rule has a short name that appears in every message.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::fragment::{Fragment, escape_segment};
use crate::{SpecError, SpecErrors};

/// HTTP methods an OpenAPI path item may hold.
pub const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// The rules and what each one guards against, for `check --list` and the docs.
pub const RULES: [(&str, &str); 10] = [
    ("yaml", "the file is YAML (or JSON) holding a mapping"),
    (
        "openapi-version",
        "`openapi` is 3.0.x: progenitor reads nothing else",
    ),
    (
        "openapi-schema",
        "the document is a well-formed OpenAPI 3.0 document",
    ),
    (
        "refs-resolve",
        "every `$ref` is local and points at something",
    ),
    (
        "operation-id",
        "every operation has a unique `operationId` (it names the Rust method)",
    ),
    (
        "success-body",
        "every operation has exactly one 2xx response, with an application/json body",
    ),
    (
        "single-error-schema",
        "every non-2xx response has a JSON body, and all use one schema (progenitor panics on mixed error types)",
    ),
    (
        "open-response",
        "no schema reachable from a response has `additionalProperties: false` (it would reject fields Clerk adds later)",
    ),
    (
        "open-enum",
        "no schema reachable from a response has an enum of two or more values (a value Clerk adds later would be undecodable)",
    ),
    (
        "local-deviations",
        "`x-local-deviations` lists {pointer, upstream, reason} entries whose pointers name keys of mappings in the file",
    ),
];

/// Applies every rule; returns all violations, not just the first.
pub fn check(fragment: &Fragment) -> Result<(), SpecErrors> {
    let mut errors = Vec::new();
    check_version(fragment, &mut errors);
    check_refs(fragment, &fragment.raw, String::new(), &mut errors);
    check_operations(fragment, &mut errors);
    if let Err(mut e) = crate::deviations::read(fragment) {
        errors.append(&mut e);
    }
    if errors.is_empty() {
        // Only meaningful once the shape above is right; it catches what the rules do not model.
        if let Err(e) = fragment.openapi() {
            errors.push(e);
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(SpecErrors(errors))
    }
}

fn check_version(fragment: &Fragment, errors: &mut Vec<SpecError>) {
    match fragment.raw.get("openapi").and_then(Value::as_str) {
        Some(v) if v.starts_with("3.0.") => {}
        Some(v) => errors.push(fragment.error(
            "openapi-version",
            "/openapi",
            format!("version {v} is not 3.0.x"),
        )),
        None => errors.push(fragment.error(
            "openapi-version",
            "/openapi",
            "the `openapi` version string is missing",
        )),
    }
}

fn check_refs(fragment: &Fragment, value: &Value, pointer: String, errors: &mut Vec<SpecError>) {
    match value {
        Value::Object(map) => {
            if let Some(r) = map.get("$ref") {
                match r.as_str() {
                    Some(r) if fragment.resolve(r).is_some() => {}
                    Some(r) => errors.push(fragment.error(
                        "refs-resolve",
                        &format!("{pointer}/$ref"),
                        format!("`{r}` does not point at anything in this file"),
                    )),
                    None => errors.push(fragment.error(
                        "refs-resolve",
                        &format!("{pointer}/$ref"),
                        "`$ref` is not a string",
                    )),
                }
            }
            for (k, v) in map {
                check_refs(
                    fragment,
                    v,
                    format!("{pointer}/{}", escape_segment(k)),
                    errors,
                );
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                check_refs(fragment, v, format!("{pointer}/{i}"), errors);
            }
        }
        _ => {}
    }
}

/// One operation of the fragment with its JSON pointer.
pub struct Operation<'a> {
    /// e.g. `/paths/~1actor_tokens/post`.
    pub pointer: String,
    /// The path template, e.g. `/actor_tokens`.
    pub path: &'a str,
    /// Lower-case HTTP method.
    pub method: &'static str,
    /// The operation object.
    pub value: &'a Value,
}

/// Every operation in document order.
pub fn operations(doc: &Value) -> Vec<Operation<'_>> {
    let mut out = Vec::new();
    if let Some(paths) = doc.get("paths").and_then(Value::as_object) {
        for (path, item) in paths {
            for method in METHODS {
                if let Some(op) = item.get(method) {
                    out.push(Operation {
                        pointer: format!("/paths/{}/{method}", escape_segment(path)),
                        path,
                        method,
                        value: op,
                    });
                }
            }
        }
    }
    out
}

fn check_operations(fragment: &Fragment, errors: &mut Vec<SpecError>) {
    let mut ids = BTreeMap::new();
    // Schema (as its `$ref`, or inline pointer) of every error response, to require exactly one.
    let mut error_schemas: BTreeMap<String, String> = BTreeMap::new();
    let mut response_schemas: Vec<(String, &Value)> = Vec::new();

    for op in operations(&fragment.raw) {
        match op.value.get("operationId").and_then(Value::as_str) {
            Some(id) if !id.trim().is_empty() => {
                if let Some(first) = ids.insert(id.to_string(), op.pointer.clone()) {
                    errors.push(fragment.error(
                        "operation-id",
                        &format!("{}/operationId", op.pointer),
                        format!("`{id}` is already used by {first}"),
                    ));
                }
            }
            _ => errors.push(fragment.error(
                "operation-id",
                &op.pointer,
                format!(
                    "{} {} has no operationId",
                    op.method.to_uppercase(),
                    op.path
                ),
            )),
        }

        let responses = op.value.get("responses").and_then(Value::as_object);
        let mut successes = 0;
        for (code, response) in responses.into_iter().flatten() {
            let pointer = format!("{}/responses/{}", op.pointer, escape_segment(code));
            let (response, pointer) = match response.get("$ref").and_then(Value::as_str) {
                Some(r) => match fragment.resolve(r) {
                    Some(v) => (v, r.trim_start_matches('#').to_string()),
                    None => continue, // reported by refs-resolve
                },
                None => (response, pointer),
            };
            let schema = response.pointer("/content/application~1json/schema");
            let is_success = code.starts_with('2');
            if is_success {
                successes += 1;
            }
            match schema {
                Some(schema) => {
                    let schema_pointer = format!("{pointer}/content/application~1json/schema");
                    if !is_success {
                        let key = schema
                            .get("$ref")
                            .and_then(Value::as_str)
                            .map(str::to_string)
                            .unwrap_or_else(|| schema_pointer.clone());
                        error_schemas.entry(key).or_insert(schema_pointer.clone());
                    }
                    response_schemas.push((schema_pointer, schema));
                }
                None => errors.push(fragment.error(
                    if is_success {
                        "success-body"
                    } else {
                        "single-error-schema"
                    },
                    &pointer,
                    format!("response {code} has no application/json body"),
                )),
            }
        }
        if successes != 1 {
            errors.push(fragment.error(
                "success-body",
                &format!("{}/responses", op.pointer),
                format!("{successes} success (2xx) responses; exactly one is supported"),
            ));
        }
    }

    if error_schemas.len() > 1 {
        let names: Vec<_> = error_schemas.keys().cloned().collect();
        errors.push(fragment.error(
            "single-error-schema",
            "/paths",
            format!(
                "error responses use {} different schemas ({}); use one",
                names.len(),
                names.join(", ")
            ),
        ));
    }

    let mut seen = BTreeSet::new();
    for (pointer, schema) in response_schemas {
        check_response_schema(fragment, schema, pointer, &mut seen, errors);
    }
}

/// Walks a response schema through `$ref`s (each named schema once) looking for closed shapes.
fn check_response_schema(
    fragment: &Fragment,
    schema: &Value,
    pointer: String,
    seen: &mut BTreeSet<String>,
    errors: &mut Vec<SpecError>,
) {
    let Some(map) = schema.as_object() else {
        return;
    };
    if let Some(r) = map.get("$ref").and_then(Value::as_str) {
        if seen.insert(r.to_string())
            && let Some(target) = fragment.resolve(r)
        {
            let target_pointer = r.trim_start_matches('#').to_string();
            check_response_schema(fragment, target, target_pointer, seen, errors);
        }
        return;
    }
    if map.get("additionalProperties") == Some(&Value::Bool(false)) {
        errors.push(fragment.error(
            "open-response",
            &format!("{pointer}/additionalProperties"),
            "`additionalProperties: false` on a response schema would reject fields Clerk adds later",
        ));
    }
    if let Some(values) = map.get("enum").and_then(Value::as_array)
        && values.len() > 1
    {
        errors.push(fragment.error(
            "open-enum",
            &format!("{pointer}/enum"),
            "a response enum is closed in Rust; a value Clerk adds later would be undecodable (use a string and `x-known-values`)",
        ));
    }
    for key in ["properties", "patternProperties"] {
        if let Some(props) = map.get(key).and_then(Value::as_object) {
            for (name, sub) in props {
                let p = format!("{pointer}/{key}/{}", escape_segment(name));
                check_response_schema(fragment, sub, p, seen, errors);
            }
        }
    }
    for key in ["items", "additionalProperties", "not"] {
        if let Some(sub) = map.get(key) {
            check_response_schema(fragment, sub, format!("{pointer}/{key}"), seen, errors);
        }
    }
    for key in ["allOf", "anyOf", "oneOf"] {
        if let Some(subs) = map.get(key).and_then(Value::as_array) {
            for (i, sub) in subs.iter().enumerate() {
                check_response_schema(fragment, sub, format!("{pointer}/{key}/{i}"), seen, errors);
            }
        }
    }
}
