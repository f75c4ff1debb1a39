//! Checks create bodies against the request schema of the vendored OpenAPI fragment, the same
//! file the SDK is generated from, so the fake and the client cannot drift apart; and the query
//! of the session list against the parameters the fragment declares for `GetSessionList`
//! (types, `limit`'s and `offset`'s bounds and defaults, `status`'s values), found by operation id.
//!
//! OpenAPI 3.0 schemas are close to JSON Schema draft 4 (boolean `exclusiveMinimum`, no boolean
//! schemas); the differences (`$ref` into `components`, `nullable`, annotations such as `example`
//! and `x-*`) are resolved once, when the first fake starts.

use std::sync::OnceLock;

use build_support::spec::{operations, refs, schema};
use clerk_actor_tokens::raw::types::{ClerkError, CreateActorTokenBody};
use http::StatusCode;
use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::{ValidationError, paths::LocationSegment};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::errors::{Refusal, clerk_error, shown, with_param};

/// The fragment, compiled into the binary. `openapi/` in this crate holds a symlink to the
/// workspace's one edited copy, so that the packaged crate carries the file's contents.
pub(crate) const FRAGMENT: &str = include_str!("../openapi/clerk-actor-tokens.yaml");

/// Where the create body's schema sits in the fragment (JSON pointer).
pub(crate) const CREATE_BODY_POINTER: &str =
    "/paths/~1actor_tokens/post/requestBody/content/application~1json/schema";

/// The operation whose query parameters [`QueryValidator::session_list`] checks.
pub(crate) const SESSION_LIST_OPERATION: &str = "GetSessionList";

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
        let document = parse_fragment(yaml)?;
        let validator = compile(&document, CREATE_BODY_POINTER)?;
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

/// The fragment as JSON.
fn parse_fragment(yaml: &str) -> Result<Value, String> {
    serde_norway::from_str(yaml).map_err(|e| format!("the OpenAPI fragment is not valid YAML: {e}"))
}

/// The JSON Schema validator of the schema at `pointer` in the fragment.
fn compile(document: &Value, pointer: &str) -> Result<jsonschema::Validator, String> {
    let schema = document
        .pointer(pointer)
        .ok_or_else(|| format!("the fragment has no schema at {pointer}"))?;
    compile_schema(document, schema, pointer)
}

fn compile_schema(
    document: &Value,
    schema: &Value,
    at: &str,
) -> Result<jsonschema::Validator, String> {
    let schema = to_json_schema(schema, document, 0)?;
    jsonschema::draft4::options()
        .build(&schema)
        .map_err(|e| format!("the schema at {at} does not compile: {e}"))
}

/// How a query parameter's text becomes the JSON value its schema is checked against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum QueryType {
    Integer,
    Boolean,
    Text,
}

/// One query parameter as the fragment declares it.
struct QueryParam {
    name: String,
    kind: QueryType,
    default: Option<Value>,
    /// The schema's `enum`, quoted back when a value is not one of them.
    allowed: Vec<String>,
    validator: jsonschema::Validator,
}

/// The query parameters of one operation, compiled from the fragment.
pub(crate) struct QueryValidator {
    params: Vec<QueryParam>,
}

impl std::fmt::Debug for QueryValidator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.params.iter().map(|p| p.name.as_str()).collect();
        f.debug_struct("QueryValidator")
            .field("params", &names)
            .finish()
    }
}

impl QueryValidator {
    /// The process-wide validator of `GetSessionList`'s query, compiled on first use. Fails only
    /// if the fragment compiled into this crate is broken.
    pub(crate) fn session_list() -> Result<&'static Self, String> {
        static SHARED: OnceLock<Result<QueryValidator, String>> = OnceLock::new();
        SHARED
            .get_or_init(|| Self::for_operation(FRAGMENT, SESSION_LIST_OPERATION))
            .as_ref()
            .map_err(Clone::clone)
    }

    pub(crate) fn for_operation(yaml: &str, operation_id: &str) -> Result<Self, String> {
        let document = parse_fragment(yaml)?;
        let all = operations::operations(&document);
        let operation = operations::find(&all, operation_id)
            .ok_or_else(|| format!("the fragment has no operation {operation_id}"))?;
        let declared = operation
            .value
            .get("parameters")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let mut params = Vec::new();
        for (i, parameter) in declared.iter().enumerate() {
            let at = format!("{}/parameters/{i}", operation.pointer);
            let parameter = refs::resolve(&document, parameter, &at).map_err(|e| e.to_string())?;
            if parameter.value.get("in").and_then(Value::as_str) != Some("query") {
                continue;
            }
            let name = parameter
                .value
                .get("name")
                .and_then(Value::as_str)
                .ok_or_else(|| format!("the parameter at {} has no name", parameter.pointer))?;
            let raw_schema = parameter
                .value
                .get("schema")
                .ok_or_else(|| format!("the parameter {name} has no schema"))?;
            let resolved = refs::resolve(&document, raw_schema, "").map_err(|e| e.to_string())?;
            let kind = match resolved.value.get("type").and_then(Value::as_str) {
                Some("integer") => QueryType::Integer,
                Some("boolean") => QueryType::Boolean,
                Some("string") | None => QueryType::Text,
                Some(other) => {
                    return Err(format!(
                        "the query parameter {name} is of type {other}, which the fake cannot read"
                    ));
                }
            };
            let allowed = resolved
                .value
                .get("enum")
                .and_then(Value::as_array)
                .map(|values| {
                    values
                        .iter()
                        .filter_map(|v| v.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            params.push(QueryParam {
                name: name.to_string(),
                kind,
                default: resolved.value.get("default").cloned(),
                allowed,
                validator: compile_schema(&document, raw_schema, &parameter.pointer)?,
            });
        }
        Ok(Self { params })
    }

    /// The declared parameters of a query, typed and checked: the first value of each (unknown
    /// parameters are ignored, as Clerk does), the schema's default for one that is absent. Every
    /// parameter that does not fit its schema is one 422 `form_param_value_invalid` error with
    /// `meta.param_name`, in Clerk's words (server `apierror.FormInvalidParameterValue`, and
    /// `FormInvalidParameterValueWithAllowed` for a value outside an `enum`).
    pub(crate) fn parse(&self, query: &[(String, String)]) -> Result<Map<String, Value>, Refusal> {
        let mut values = Map::new();
        let mut errors = Vec::new();
        for param in &self.params {
            let Some((_, text)) = query.iter().find(|(k, _)| *k == param.name) else {
                if let Some(default) = &param.default {
                    values.insert(param.name.clone(), default.clone());
                }
                continue;
            };
            let value = match param.kind {
                QueryType::Integer => text.parse::<i64>().ok().map(Value::from),
                QueryType::Boolean => match text.as_str() {
                    "true" => Some(Value::Bool(true)),
                    "false" => Some(Value::Bool(false)),
                    _ => None,
                },
                QueryType::Text => Some(Value::String(text.clone())),
            };
            match value {
                Some(value) if param.validator.is_valid(&value) => {
                    values.insert(param.name.clone(), value);
                }
                _ => errors.push(invalid_query_value(&param.name, text, &param.allowed)),
            }
        }
        if errors.is_empty() {
            Ok(values)
        } else {
            Err(Refusal::new(StatusCode::UNPROCESSABLE_ENTITY, errors))
        }
    }
}

/// A query value its parameter's schema does not accept, in Clerk's words.
fn invalid_query_value(name: &str, text: &str, allowed: &[String]) -> ClerkError {
    let long_message = match allowed {
        [] => format!(
            "{} does not match one of the allowed values for parameter {name}",
            shown(text)
        ),
        [only] => format!(
            "{} does not match the allowed values for parameter {name}. Allowed values: {only}",
            shown(text)
        ),
        [rest @ .., last] => format!(
            "{} does not match the allowed values for parameter {name}. Allowed values: {} or {last}",
            shown(text),
            rest.join(", ")
        ),
    };
    with_param(
        clerk_error(
            clerk_actor_tokens::FORM_PARAM_VALUE_INVALID_CODE,
            "is invalid",
            long_message,
        ),
        name,
    )
}

/// The validator of any schema in the fragment, for tests that check the fake's answers against
/// the response schemas.
#[cfg(test)]
pub(crate) fn fragment_schema(pointer: &str) -> jsonschema::Validator {
    let document = parse_fragment(FRAGMENT).expect("the fragment parses");
    compile(&document, pointer).expect("the schema compiles")
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

    fn list_query(pairs: &[(&str, &str)]) -> Result<Map<String, Value>, Refusal> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        QueryValidator::session_list().unwrap().parse(&pairs)
    }

    #[test]
    fn the_session_list_query_follows_the_fragment() {
        // Defaults from the fragment; unknown parameters ignored; the first of two values wins.
        let parsed =
            list_query(&[("user_id", "user_1"), ("user_id", "x"), ("foo", "bar")]).unwrap();
        assert_eq!(
            Value::Object(parsed),
            json!({"user_id": "user_1", "limit": 10, "offset": 0})
        );
        let parsed = list_query(&[
            ("status", "active"),
            ("paginated", "true"),
            ("limit", "500"),
        ])
        .unwrap();
        assert_eq!(parsed["paginated"], true);
        assert_eq!(parsed["limit"], 500);
        let refusal = list_query(&[
            ("limit", "0"),
            ("offset", "-1"),
            ("status", "pending"),
            ("paginated", "yes"),
        ])
        .unwrap_err();
        assert_eq!(refusal.status, StatusCode::UNPROCESSABLE_ENTITY);
        let got: Vec<(String, String)> = params(&refusal);
        let want: Vec<(String, String)> = ["status", "paginated", "limit", "offset"]
            .iter()
            .map(|p| ("form_param_value_invalid".to_string(), p.to_string()))
            .collect();
        assert_eq!(got, want);
        assert_eq!(
            refusal.errors[0].long_message,
            "pending does not match the allowed values for parameter status. Allowed values: abandoned, active, ended, expired, removed, replaced or revoked"
        );
        for bad in ["501", "1.5", "ten", "99999999999999999999"] {
            assert!(list_query(&[("limit", bad)]).is_err(), "{bad}");
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
