//! What each key of an OpenAPI document means for comparison: a keyword, a name the author chose,
//! literal data, or documentation. `diff-upstream` and `extract` share this so that an extracted
//! fragment holds exactly what the comparison looks at.

use serde_json::Value;

/// How the keys (or elements) of a node are to be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An OpenAPI or JSON Schema object (operation, schema, response, ...): its keys are keywords,
    /// documentation keywords and `x-` extensions do not matter, and `$ref` is followed.
    Keyword,
    /// A map from author-chosen names (response codes, media types, header names) to keyword
    /// objects; `x-` keys are extensions here.
    Names,
    /// A schema's `properties`: every key is a property name, even one that starts with `x-`.
    Properties,
    /// Data (a `default`, a security requirement): compared as a whole value, never interpreted.
    Literal,
    /// A list whose order carries no meaning (`required`, `enum`): compared element by element.
    Set,
}

/// Keywords that only document: changing them changes no request, response or generated type.
/// `tags` only groups operations in documentation (the generator merges all tags).
pub const DOCUMENTATION: [&str; 6] = [
    "description",
    "summary",
    "example",
    "examples",
    "externalDocs",
    "tags",
];

/// Whether `key` is to be left out of comparisons and extracted fragments within a node of `kind`.
pub fn is_ignored(kind: Kind, key: &str) -> bool {
    match kind {
        Kind::Keyword => DOCUMENTATION.contains(&key) || key.starts_with("x-"),
        Kind::Names => key.starts_with("x-"),
        Kind::Properties | Kind::Literal | Kind::Set => false,
    }
}

/// How to read the value found under `key` in a node of kind `parent`.
pub fn child_kind(parent: Kind, key: &str) -> Kind {
    match parent {
        Kind::Names | Kind::Properties => Kind::Keyword,
        Kind::Literal | Kind::Set => Kind::Literal,
        Kind::Keyword => match key {
            "properties" | "patternProperties" => Kind::Properties,
            "paths" | "responses" | "content" | "headers" | "encoding" | "links" | "callbacks"
            | "schemas" | "requestBodies" | "securitySchemes" | "variables" | "mapping" => {
                Kind::Names
            }
            "required" | "enum" => Kind::Set,
            "default" | "security" | "scopes" => Kind::Literal,
            _ => Kind::Keyword,
        },
    }
}

/// A short noun for an entry of a [`Kind::Names`] or [`Kind::Properties`] map found under `key`,
/// for messages such as "response `401` only upstream".
pub fn entry_noun(key: &str) -> &'static str {
    match key {
        "properties" | "patternProperties" => "property",
        "responses" => "response",
        "content" => "media type",
        "headers" => "header",
        "paths" => "path",
        "schemas" => "schema",
        "securitySchemes" => "security scheme",
        _ => "entry",
    }
}

/// A copy of `value` (read as `kind`) without the keys that are ignored (see [`is_ignored`]): what
/// `extract` copies and `diff-upstream` shows.
pub fn stripped(value: &Value, kind: Kind) -> Value {
    match (value, kind) {
        (Value::Object(map), Kind::Keyword | Kind::Names | Kind::Properties) => Value::Object(
            map.iter()
                .filter(|(k, _)| !is_ignored(kind, k))
                .map(|(k, v)| (k.clone(), stripped(v, child_kind(kind, k))))
                .collect(),
        ),
        (Value::Array(items), Kind::Keyword) => {
            Value::Array(items.iter().map(|v| stripped(v, kind)).collect())
        }
        _ => value.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_property_named_like_a_keyword_is_still_a_property() {
        let props = child_kind(Kind::Keyword, "properties");
        assert_eq!(props, Kind::Properties);
        assert!(!is_ignored(props, "description"));
        assert!(!is_ignored(props, "x-custom"));
        assert_eq!(child_kind(props, "description"), Kind::Keyword);
        assert!(is_ignored(Kind::Keyword, "description"));
    }

    #[test]
    fn data_is_never_interpreted() {
        let default = child_kind(Kind::Keyword, "default");
        assert_eq!(default, Kind::Literal);
        assert!(!is_ignored(default, "description"));
        assert_eq!(child_kind(default, "properties"), Kind::Literal);
    }
}
