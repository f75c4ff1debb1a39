//! The project's rules for a fragment: shapes that progenitor would reject, panic on, or turn into
//! a worse client. Each rule has a short name that appears in every message.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::spec::{Fragment, Operation, operations, pointer, refs, schema};
use crate::{SpecError, SpecErrors};

/// The rules and what each one guards against, for `check --list` and the docs.
pub const RULES: [(&str, &str); 11] = [
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
        "request-body",
        "a request body has one media type the generated client can send (JSON, form, octet-stream or text) and a schema (progenitor panics on several)",
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
    check_refs(fragment, &mut errors);
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

fn check_refs(fragment: &Fragment, errors: &mut Vec<SpecError>) {
    refs::each_ref(&fragment.raw, "", &mut |at, reference| {
        let message = match reference.as_str() {
            Some(r) if fragment.resolve(r).is_ok() => return,
            Some(r) => format!("`{r}` does not point at anything in this file"),
            None => "`$ref` is not a string".to_string(),
        };
        errors.push(fragment.error("refs-resolve", at, message));
    });
}

fn check_operations(fragment: &Fragment, errors: &mut Vec<SpecError>) {
    let mut ids = BTreeMap::new();
    // Schema (as its `$ref`, or inline pointer) of every error response, to require exactly one.
    let mut error_schemas: BTreeMap<String, String> = BTreeMap::new();
    let mut response_schemas: Vec<(String, &Value)> = Vec::new();

    for op in operations(&fragment.raw) {
        match op.id() {
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

        check_request_body(fragment, &op, errors);

        let responses = op.value.get("responses").and_then(Value::as_object);
        let mut successes = 0;
        for (code, response) in responses.into_iter().flatten() {
            let at = pointer::join(&pointer::join(&op.pointer, "responses"), code);
            let Ok(refs::Resolved {
                value: response,
                pointer,
            }) = refs::resolve(&fragment.raw, response, &at)
            else {
                continue; // reported by refs-resolve
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

/// Media types progenitor can send a request body as (anything after a `;` is not compared).
pub const REQUEST_MEDIA_TYPES: [&str; 5] = [
    "application/json",
    "application/x-www-form-urlencoded",
    "application/octet-stream",
    "text/plain",
    "text/x-markdown",
];

fn check_request_body(fragment: &Fragment, op: &Operation<'_>, errors: &mut Vec<SpecError>) {
    let Some(body) = op.value.get("requestBody") else {
        return;
    };
    let at = pointer::join(&op.pointer, "requestBody");
    let Ok(refs::Resolved {
        value: body,
        pointer,
    }) = refs::resolve(&fragment.raw, body, &at)
    else {
        return; // reported by refs-resolve
    };
    let content = body.get("content").and_then(Value::as_object);
    let media: Vec<_> = content.into_iter().flatten().collect();
    let content_at = pointer::join(&pointer, "content");
    let problem = match media.as_slice() {
        [] => return,
        [(name, media)] => {
            let essence = name.split(';').next().unwrap_or_default().trim();
            if !REQUEST_MEDIA_TYPES.contains(&essence) {
                format!(
                    "the generated client cannot send `{name}` (only {})",
                    REQUEST_MEDIA_TYPES.join(", ")
                )
            } else if media.get("schema").is_none() {
                format!("`{name}` has no schema")
            } else {
                return;
            }
        }
        several => format!(
            "{} media types; the generated client sends exactly one (progenitor panics on more)",
            several.len()
        ),
    };
    errors.push(fragment.error("request-body", &content_at, problem));
}

/// Walks a response schema through `$ref`s and subschemas, each place once (however many
/// responses share it), looking for closed shapes.
fn check_response_schema(
    fragment: &Fragment,
    schema: &Value,
    pointer: String,
    seen: &mut BTreeSet<String>,
    errors: &mut Vec<SpecError>,
) {
    let Ok(refs::Resolved {
        value: schema,
        pointer,
    }) = refs::resolve(&fragment.raw, schema, &pointer)
    else {
        return; // reported by refs-resolve
    };
    let Some(map) = schema.as_object() else {
        return;
    };
    if !seen.insert(pointer.clone()) {
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
    for (at, sub) in schema::subschemas(schema, &pointer) {
        check_response_schema(fragment, sub, at, seen, errors);
    }
}
