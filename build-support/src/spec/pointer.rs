//! JSON pointers (RFC 6901) beyond what `serde_json` offers: building them, and setting or removing
//! the value a pointer names, which `extract` and the deviation records need.

#[cfg(feature = "tooling")]
use serde_json::{Map, Value};

/// Escapes one JSON pointer segment (RFC 6901).
pub fn escape_segment(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

/// Undoes [`escape_segment`].
pub fn unescape_segment(segment: &str) -> String {
    segment.replace("~1", "/").replace("~0", "~")
}

/// `parent` followed by one more (escaped) segment.
pub fn join(parent: &str, segment: &str) -> String {
    format!("{parent}/{}", escape_segment(segment))
}

/// The unescaped segments of `pointer`, or `None` when it is not a JSON pointer (it must be empty
/// or start with `/`).
pub fn segments(pointer: &str) -> Option<Vec<String>> {
    if pointer.is_empty() {
        return Some(Vec::new());
    }
    let rest = pointer.strip_prefix('/')?;
    Some(rest.split('/').map(unescape_segment).collect())
}

/// The pointer of the object holding `pointer`'s value, and the key within it.
pub fn split_last(pointer: &str) -> Option<(&str, String)> {
    let at = pointer.rfind('/')?;
    Some((&pointer[..at], unescape_segment(&pointer[at + 1..])))
}

/// Makes `doc` hold `value` at `pointer` (`None` removes the key). The parent must be an object;
/// missing objects on the way are created only when `create_parents` is set. Feature `tooling`: a
/// removal keeps the other keys in their order.
#[cfg(feature = "tooling")]
pub fn set(
    doc: &mut Value,
    pointer: &str,
    value: Option<Value>,
    create_parents: bool,
) -> Result<(), String> {
    let (parent, key) =
        split_last(pointer).ok_or_else(|| format!("`{pointer}` is not a JSON pointer"))?;
    let mut node = doc;
    for segment in segments(parent).ok_or_else(|| format!("`{pointer}` is not a JSON pointer"))? {
        let map = node
            .as_object_mut()
            .ok_or_else(|| format!("`{pointer}` passes through something that is not a mapping"))?;
        if !map.contains_key(&segment) {
            if !create_parents {
                return Err(format!("`{pointer}`: there is no `{segment}` on the way"));
            }
            map.insert(segment.clone(), Value::Object(Map::new()));
        }
        node = map.get_mut(&segment).expect("inserted or present");
    }
    let map = node
        .as_object_mut()
        .ok_or_else(|| format!("`{pointer}`: its parent is not a mapping"))?;
    match value {
        Some(v) => {
            map.insert(key, v);
        }
        None => {
            map.shift_remove(&key);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_unescape_in_the_right_order() {
        assert_eq!(
            segments("/paths/~1a~01/post").unwrap(),
            vec!["paths", "/a~1", "post"]
        );
        assert_eq!(segments("no-slash"), None);
        assert_eq!(join("/paths", "/a~b"), "/paths/~1a~0b");
    }

    #[cfg(feature = "tooling")]
    #[test]
    fn set_inserts_replaces_and_removes() {
        use serde_json::json;
        let mut doc = json!({"a": {"b": 1}});
        set(&mut doc, "/a/c", Some(json!(2)), false).unwrap();
        set(&mut doc, "/a/b", None, false).unwrap();
        assert_eq!(doc, json!({"a": {"c": 2}}));
        assert!(set(&mut doc, "/x/y", Some(json!(1)), false).is_err());
        set(&mut doc, "/x/y", Some(json!(1)), true).unwrap();
        assert_eq!(doc["x"]["y"], json!(1));
    }
}
