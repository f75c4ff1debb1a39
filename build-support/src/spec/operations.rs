//! The operations of a document (every method of every path item), which the rules check, `diff`
//! pairs up and `extract` copies.

use serde_json::Value;

use super::pointer;

/// HTTP methods an OpenAPI path item may hold.
pub const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// One operation of a document with its JSON pointer.
#[derive(Debug, Clone)]
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

impl<'a> Operation<'a> {
    /// Its `operationId`, when it has a string one.
    pub fn id(&self) -> Option<&'a str> {
        self.value.get("operationId").and_then(Value::as_str)
    }

    /// The pointer of the path item that holds it (e.g. `/paths/~1actor_tokens`).
    pub fn item_pointer(&self) -> &str {
        pointer::split_last(&self.pointer).map_or("", |(item, _)| item)
    }
}

/// Every operation in document order.
pub fn operations(doc: &Value) -> Vec<Operation<'_>> {
    let mut out = Vec::new();
    if let Some(paths) = doc.get("paths").and_then(Value::as_object) {
        for (path, item) in paths {
            for method in METHODS {
                if let Some(op) = item.get(method) {
                    out.push(Operation {
                        pointer: pointer::join(&pointer::join("/paths", path), method),
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

/// The operation with this `operationId`.
pub fn find<'o, 'a>(operations: &'o [Operation<'a>], id: &str) -> Option<&'o Operation<'a>> {
    operations.iter().find(|op| op.id() == Some(id))
}

/// The `operationId`s of a document's operations, in document order (operations without one are
/// left out).
pub fn ids(doc: &Value) -> Vec<String> {
    operations(doc)
        .iter()
        .filter_map(|op| op.id().map(str::to_string))
        .collect()
}
