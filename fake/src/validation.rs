//! Checks create bodies against the request schema of the vendored OpenAPI fragment, the same
//! file the SDK is generated from, so the fake and the client cannot drift apart.
//!
//! OpenAPI 3.0 schemas are close to JSON Schema draft 4 (boolean `exclusiveMinimum`, no boolean
//! schemas); the differences (`$ref` into `components`, `nullable`, annotations such as `example`
//! and `x-*`) are resolved once, when the first fake starts.

use std::sync::OnceLock;

use build_support::spec::{refs, schema};
use clerk_actor_tokens::raw::types::{ClerkError, CreateActorTokenBody};
use http::StatusCode;
use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::{ValidationError, paths::LocationSegment};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::errors::{Refusal, clerk_error, with_param};

/// The fragment, compiled into the binary. `openapi/` in this crate holds a symlink to the
/// workspace's one edited copy, so that the packaged crate carries the file's contents.
pub(crate) const FRAGMENT: &str = include_str!("../openapi/clerk-actor-tokens.yaml");

/// Where the create body's schema sits in the fragment (JSON pointer).
pub(crate) const CREATE_BODY_POINTER: &str =
    "/paths/~1actor_tokens/post/requestBody/content/application~1json/schema";

/// Schemas nested (through `$ref`s too) deeper than this are treated as a broken fragment: a
/// schema that contains itself would otherwise be inlined forever.
const MAX_DEPTH: u8 = 32;

/// The compiled create-body schema.
pub(crate) struct CreateBodyValidator {
    validator: jsonschema::Validator,
}

impl std::fmt::Debug for CreateBodyValidator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CreateBodyValidator")
    }
}

impl CreateBodyValidator {
    /// The process-wide validator, compiled on first use. Fails only if the fragment compiled into
    /// this crate is broken.
    pub(crate) fn shared() -> Result<&'static Self, String> {
        static SHARED: OnceLock<Result<CreateBodyValidator, String>> = OnceLock::new();
        SHARED
            .get_or_init(|| Self::from_fragment(FRAGMENT))
            .as_ref()
            .map_err(Clone::clone)
    }

    pub(crate) fn from_fragment(yaml: &str) -> Result<Self, String> {
        let document: Value = serde_norway::from_str(yaml)
            .map_err(|e| format!("the OpenAPI fragment is not valid YAML: {e}"))?;
        let schema = document
            .pointer(CREATE_BODY_POINTER)
            .ok_or_else(|| format!("the fragment has no schema at {CREATE_BODY_POINTER}"))?;
        let schema = to_json_schema(schema, &document, 0)?;
        let validator = jsonschema::draft4::options()
            .build(&schema)
            .map_err(|e| format!("the create body schema does not compile: {e}"))?;
        Ok(Self { validator })
    }

    /// Parses and checks a create body. An absent body counts as `{}` because the fragment (like
    /// Clerk's spec) does not mark the request body as required; the schema then reports the
    /// missing fields.
    pub(crate) fn parse(&self, body: &[u8]) -> Result<CreateActorTokenBody, Refusal> {
        let value: Value = if body.is_empty() {
            Value::Object(Map::new())
        } else {
            serde_json::from_slice(body).map_err(malformed)?
        };
        // The common case pays only for the fast check; errors are collected when there are some.
        if self.validator.is_valid(&value) {
            return CreateActorTokenBody::deserialize(&value)
                .map_err(|_| Refusal::new(StatusCode::UNPROCESSABLE_ENTITY, out_of_range(&value)));
        }
        let mut errors: Vec<ClerkError> = self
            .validator
            .iter_errors(&value)
            .flat_map(to_clerk)
            .collect();
        errors.sort_by(|a, b| param(a).cmp(param(b)).then_with(|| a.code.cmp(&b.code)));
        errors.dedup_by(|a, b| param(a) == param(b) && a.code == b.code);
        Err(Refusal::new(StatusCode::UNPROCESSABLE_ENTITY, errors))
    }
}

fn param(error: &ClerkError) -> &str {
    error
        .meta
        .get("param_name")
        .and_then(Value::as_str)
        .unwrap_or_default()
}

/// Resolves the OpenAPI-only parts of a schema so that a JSON Schema validator accepts it.
/// `$ref`s are followed, and subschemas found, by build-support's spec model, the same code the
/// build rules use.
fn to_json_schema(schema: &Value, document: &Value, depth: u8) -> Result<Value, String> {
    if depth > MAX_DEPTH {
        return Err("the fragment's schemas nest too deeply (or contain themselves)".into());
    }
    let resolved = refs::resolve(document, schema, "").map_err(|e| e.to_string())?;
    let map = match resolved.value {
        Value::Bool(b) => return Ok(Value::Bool(*b)),
        Value::Object(map) => map,
        other => return Err(format!("a schema must be an object, found {other}")),
    };
    let mut out = schema::map_subschemas(map, |sub| to_json_schema(sub, document, depth + 1))?;
    // Annotations JSON Schema does not know, or (`nullable`) handles differently below.
    out.retain(|key, _| {
        !matches!(
            key.as_str(),
            "nullable" | "example" | "externalDocs" | "xml" | "discriminator" | "deprecated"
        ) && !key.starts_with("x-")
    });
    if map.get("nullable") == Some(&Value::Bool(true)) {
        if let Some(t) = out.get_mut("type") {
            *t = match t.take() {
                Value::Array(mut types) => {
                    types.push("null".into());
                    Value::Array(types)
                }
                single => Value::Array(vec![single, "null".into()]),
            };
        }
        if let Some(Value::Array(options)) = out.get_mut("enum") {
            options.push(Value::Null);
        }
    }
    Ok(Value::Object(out))
}

/// 400 for a body that is not JSON at all. Only the position is reported: the body is echoed
/// nowhere.
fn malformed(e: serde_json::Error) -> Refusal {
    Refusal::one(
        StatusCode::BAD_REQUEST,
        clerk_error(
            "request_body_invalid",
            "Request body invalid",
            format!(
                "The request body is not valid JSON ({} at line {} column {}).",
                match e.classify() {
                    serde_json::error::Category::Eof => "unexpected end",
                    serde_json::error::Category::Syntax => "syntax error",
                    _ => "invalid data",
                },
                e.line(),
                e.column()
            ),
        ),
    )
}

/// `a.b` from an instance path, the way Clerk names nested parameters.
fn dotted(error: &ValidationError<'_>) -> String {
    error
        .instance_path()
        .iter()
        .map(|segment| match segment {
            LocationSegment::Property(p) => p.into_owned(),
            LocationSegment::Index(i) => i.to_string(),
        })
        .collect::<Vec<_>>()
        .join(".")
}

fn join(parent: &str, child: &str) -> String {
    if parent.is_empty() {
        child.to_string()
    } else {
        format!("{parent}.{child}")
    }
}

/// One Clerk error per problem (an unknown-fields error names each field separately).
fn to_clerk(error: ValidationError<'_>) -> Vec<ClerkError> {
    let at = dotted(&error);
    let shown = if at.is_empty() {
        "the request body"
    } else {
        at.as_str()
    };
    match error.kind() {
        ValidationErrorKind::Required { property } => {
            let name = join(&at, property.as_str().unwrap_or_default());
            vec![with_param(
                clerk_error(
                    "form_param_missing",
                    "is missing",
                    format!("{name} must be included."),
                ),
                &name,
            )]
        }
        ValidationErrorKind::AdditionalProperties { unexpected } => unexpected
            .iter()
            .map(|field| {
                let name = join(&at, field);
                with_param(
                    clerk_error(
                        "form_param_unknown",
                        "is unknown",
                        format!("{name} is not a valid parameter for this request."),
                    ),
                    &name,
                )
            })
            .collect(),
        ValidationErrorKind::Type { kind } => {
            let expected = match kind {
                TypeKind::Single(t) => t.to_string(),
                TypeKind::Multiple(set) => set
                    .iter()
                    .map(|t| t.to_string())
                    .collect::<Vec<_>>()
                    .join(" or "),
            };
            vec![with_param(
                clerk_error(
                    "form_param_format_invalid",
                    "is invalid",
                    format!("{shown} must be of type {expected}."),
                ),
                &at,
            )]
        }
        // Clerk's API reference gives this text for a non-positive duration; the limit itself
        // is in the spec.
        ValidationErrorKind::Minimum { .. } => vec![with_param(
            clerk_error(
                "form_param_value_invalid",
                "is invalid",
                format!("{shown} is invalid"),
            ),
            &at,
        )],
        _ => vec![with_param(
            clerk_error(
                "form_param_value_invalid",
                "is invalid",
                format!("{shown}: {error}"),
            ),
            &at,
        )],
    }
}

/// The schema accepted the body but the wire type did not: an integer beyond 64 bits.
fn out_of_range(value: &Value) -> Vec<ClerkError> {
    let fields = ["expires_in_seconds", "session_max_duration_in_seconds"];
    let mut errors: Vec<ClerkError> = fields
        .iter()
        .filter(|f| value.get(**f).is_some_and(|v| v.as_u64().is_none()))
        .map(|f| {
            with_param(
                clerk_error(
                    "form_param_value_invalid",
                    "is invalid",
                    format!("{f} is too large."),
                ),
                f,
            )
        })
        .collect();
    if errors.is_empty() {
        errors.push(clerk_error(
            "form_param_value_invalid",
            "is invalid",
            "The request body does not match the expected shape.",
        ));
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(body: Value) -> Result<CreateActorTokenBody, Refusal> {
        CreateBodyValidator::shared()
            .unwrap()
            .parse(body.to_string().as_bytes())
    }

    fn params(refusal: &Refusal) -> Vec<(String, String)> {
        refusal
            .errors
            .iter()
            .map(|e| (e.code.clone(), param(e).to_string()))
            .collect()
    }

    #[test]
    fn a_minimal_body_gets_clerks_defaults() {
        let body =
            check(json!({"user_id": "user_1", "actor": {"sub": "user_2", "reason": "x"}})).unwrap();
        assert_eq!(body.expires_in_seconds.get(), 3600);
        assert_eq!(body.session_max_duration_in_seconds.get(), 1800);
        assert_eq!(body.actor.extra["reason"], "x");
    }

    #[test]
    fn every_problem_is_reported_with_its_parameter() {
        let refusal = check(json!({
            "user_id": 7,
            "actor": {},
            "expires_in_seconds": 0,
            "session_max_duration_in_seconds": "long",
            "extra": true
        }))
        .unwrap_err();
        assert_eq!(refusal.status, StatusCode::UNPROCESSABLE_ENTITY);
        let got = params(&refusal);
        for expected in [
            ("form_param_missing", "actor.sub"),
            ("form_param_value_invalid", "expires_in_seconds"),
            ("form_param_unknown", "extra"),
            (
                "form_param_format_invalid",
                "session_max_duration_in_seconds",
            ),
            ("form_param_format_invalid", "user_id"),
        ] {
            assert!(
                got.contains(&(expected.0.to_string(), expected.1.to_string())),
                "{expected:?} missing from {got:?}"
            );
        }
        assert_eq!(got.len(), 5, "{got:?}");
    }

    #[test]
    fn absent_body_reports_the_required_fields() {
        let refusal = CreateBodyValidator::shared()
            .unwrap()
            .parse(b"")
            .unwrap_err();
        let got = params(&refusal);
        assert_eq!(
            got,
            vec![
                ("form_param_missing".into(), "actor".into()),
                ("form_param_missing".into(), "user_id".into())
            ]
        );
    }

    #[test]
    fn malformed_json_is_a_400() {
        let refusal = CreateBodyValidator::shared()
            .unwrap()
            .parse(b"{\"user_id\":")
            .unwrap_err();
        assert_eq!(refusal.status, StatusCode::BAD_REQUEST);
        assert_eq!(refusal.errors[0].code, "request_body_invalid");
    }

    #[test]
    fn huge_integers_are_refused_not_panicked_on() {
        let refusal = CreateBodyValidator::shared()
            .unwrap()
            .parse(br#"{"user_id":"u","actor":{"sub":"a"},"expires_in_seconds":184467440737095516160}"#)
            .unwrap_err();
        assert_eq!(refusal.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(param(&refusal.errors[0]), "expires_in_seconds");
    }

    #[test]
    fn non_object_bodies_are_schema_violations() {
        for body in [json!([]), json!("x"), json!(null), json!(1)] {
            let refusal = check(body).unwrap_err();
            assert_eq!(refusal.status, StatusCode::UNPROCESSABLE_ENTITY);
        }
    }

    #[test]
    fn openapi_nullable_and_refs_are_converted() {
        let doc = json!({"components": {"schemas": {"N": {"type": "string", "nullable": true, "example": "x", "x-y": 1}}}});
        let schema = json!({"type": "object", "properties": {"example": {"$ref": "#/components/schemas/N"}}});
        let converted = to_json_schema(&schema, &doc, 0).unwrap();
        assert_eq!(
            converted,
            json!({"type": "object", "properties": {"example": {"type": ["string", "null"]}}})
        );
        let looping = json!({"components": {"schemas": {"L": {"$ref": "#/components/schemas/L"}}}});
        assert!(to_json_schema(&json!({"$ref": "#/components/schemas/L"}), &looping, 0).is_err());
    }
}
