//! The walk over a schema's subschemas: which keywords of a JSON Schema (as OpenAPI 3.0 uses it)
//! hold further schemas, and in what shape. The rules walk response schemas with it and the fake
//! turns a request schema into plain JSON Schema with it, so both see the same keywords.

use serde_json::{Map, Value};

use super::pointer;

/// How a keyword holds subschemas.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holds {
    /// One schema (`items`, `additionalProperties`, `not`).
    One,
    /// A mapping from names to schemas (`properties`, `patternProperties`).
    ByName,
    /// A list of schemas (`allOf`, `anyOf`, `oneOf`).
    List,
}

/// Every keyword that holds subschemas, in the order the walk visits them.
pub const SUBSCHEMA_KEYWORDS: [(&str, Holds); 8] = [
    ("properties", Holds::ByName),
    ("patternProperties", Holds::ByName),
    ("items", Holds::One),
    ("additionalProperties", Holds::One),
    ("not", Holds::One),
    ("allOf", Holds::List),
    ("anyOf", Holds::List),
    ("oneOf", Holds::List),
];

/// How `keyword` holds subschemas, or `None` when its value is not schemas.
pub fn holds(keyword: &str) -> Option<Holds> {
    SUBSCHEMA_KEYWORDS
        .iter()
        .find(|(k, _)| *k == keyword)
        .map(|(_, holds)| *holds)
}

/// The direct subschemas of `schema` (found at `at`), each with its pointer, keyword by keyword in
/// [`SUBSCHEMA_KEYWORDS`] order. Values of the wrong shape are skipped: the walk only reads.
pub fn subschemas<'a>(schema: &'a Value, at: &str) -> Vec<(String, &'a Value)> {
    let mut out = Vec::new();
    let Some(map) = schema.as_object() else {
        return out;
    };
    for (keyword, holds) in SUBSCHEMA_KEYWORDS {
        let Some(value) = map.get(keyword) else {
            continue;
        };
        let here = pointer::join(at, keyword);
        match (holds, value) {
            (Holds::One, v) => out.push((here, v)),
            (Holds::ByName, Value::Object(named)) => {
                out.extend(named.iter().map(|(n, v)| (pointer::join(&here, n), v)));
            }
            (Holds::List, Value::Array(items)) => out.extend(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| (format!("{here}/{i}"), v)),
            ),
            _ => {}
        }
    }
    out
}

/// A copy of `schema` whose subschemas are replaced by `f(subschema)`, keys in their order. A
/// keyword that should hold subschemas but has another shape is an error.
pub fn map_subschemas<E: From<String>>(
    schema: &Map<String, Value>,
    mut f: impl FnMut(&Value) -> Result<Value, E>,
) -> Result<Map<String, Value>, E> {
    let mut out = Map::new();
    for (key, value) in schema {
        let mapped = match (holds(key), value) {
            (None, v) => v.clone(),
            (Some(Holds::One), v) => f(v)?,
            (Some(Holds::ByName), Value::Object(named)) => Value::Object(
                named
                    .iter()
                    .map(|(n, v)| Ok((n.clone(), f(v)?)))
                    .collect::<Result<_, E>>()?,
            ),
            (Some(Holds::List), Value::Array(items)) => {
                Value::Array(items.iter().map(&mut f).collect::<Result<_, E>>()?)
            }
            (Some(Holds::ByName), other) => {
                return Err(format!("{key} must be an object, found {other}").into());
            }
            (Some(Holds::List), other) => {
                return Err(format!("{key} must be an array, found {other}").into());
            }
        };
        out.insert(key.clone(), mapped);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn subschemas_are_listed_with_their_pointers() {
        let schema = json!({
            "anyOf": [{"type": "integer"}],
            "properties": {"a/b": {"type": "string"}},
            "items": {"type": "boolean"},
            "enum": [{"type": "not a schema"}],
        });
        let found: Vec<_> = subschemas(&schema, "/s")
            .into_iter()
            .map(|(p, v)| (p, v["type"].clone()))
            .collect();
        assert_eq!(
            found,
            [
                ("/s/properties/a~1b".to_string(), json!("string")),
                ("/s/items".to_string(), json!("boolean")),
                ("/s/anyOf/0".to_string(), json!("integer")),
            ]
        );
    }

    #[test]
    fn mapping_replaces_only_subschemas() {
        let schema = json!({"type": "object", "properties": {"a": 1}, "allOf": [2], "enum": [3]});
        let mapped = map_subschemas::<String>(schema.as_object().unwrap(), |v| {
            Ok(json!(v.as_i64().unwrap() * 10))
        })
        .unwrap();
        assert_eq!(
            Value::Object(mapped),
            json!({"type": "object", "properties": {"a": 10}, "allOf": [20], "enum": [3]})
        );
        let bad = json!({"allOf": {}});
        assert!(map_subschemas::<String>(bad.as_object().unwrap(), |v| Ok(v.clone())).is_err());
    }
}
