//! Writes a document as YAML in the style of the hand-written fragment: two-space indents,
//! sequences indented under their key, plain scalars where YAML reads them back as the same
//! strings, long prose folded (`>-`) at 100 columns, multi-line text as literal blocks (`|-`).
//!
//! The fragment is reviewed as text, so a tool that rewrites it should change the lines where the
//! spec changed and no others. Every output is read back and compared with the document; should
//! this writer ever produce YAML that reads differently, the generic serializer's output is used
//! instead.

use serde_json::{Map, Value};

/// Where folded strings are wrapped.
const WIDTH: usize = 100;
/// A string on its key's line may run this far before it is folded (the fragment's own lines
/// run a little past [`WIDTH`] rather than fold one word).
const LONGEST_LINE: usize = 120;

/// `doc` as YAML; equal to `doc` when read back.
pub fn to_string(doc: &Value) -> Result<String, String> {
    let mut out = String::new();
    match doc {
        Value::Object(map) if !map.is_empty() => mapping(map, 0, &mut out),
        other => {
            out.push_str(&inline(other, 0).unwrap_or_else(|| quoted(&other.to_string())));
            out.push('\n');
        }
    }
    let back: Result<Value, _> = serde_norway::from_str(&out);
    if back.as_ref().ok() == Some(doc) {
        Ok(out)
    } else {
        serde_norway::to_string(doc)
            .map(|yaml| quote_dates(&yaml))
            .map_err(|e| e.to_string())
    }
}

/// Quotes plain scalars that look like dates (`2026-05-12`): YAML 1.2 (serde_norway, openapiv3)
/// reads them as strings, but YAML 1.1 readers such as PyYAML turn them into dates, and Clerk's
/// API versions are exactly such strings.
fn quote_dates(yaml: &str) -> String {
    let is_date = |v: &str| {
        v.len() == 10
            && v.char_indices().all(|(i, c)| {
                if i == 4 || i == 7 {
                    c == '-'
                } else {
                    c.is_ascii_digit()
                }
            })
    };
    let mut out = String::with_capacity(yaml.len() + 16);
    for line in yaml.lines() {
        let split = line.rfind(": ").map(|i| i + 2).or_else(|| {
            let trimmed = line.trim_start();
            trimmed
                .starts_with("- ")
                .then(|| line.len() - trimmed.len() + 2)
        });
        match split {
            Some(at) if is_date(&line[at..]) => {
                out.push_str(&line[..at]);
                out.push('\'');
                out.push_str(&line[at..]);
                out.push('\'');
            }
            _ => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

fn indent(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n(' ', n));
}

fn mapping(map: &Map<String, Value>, at: usize, out: &mut String) {
    for (i, (key, value)) in map.iter().enumerate() {
        // The first key of a mapping inside a sequence item follows its `- `.
        if i > 0 || !out.ends_with("- ") {
            indent(out, at);
        }
        out.push_str(&scalar_key(key));
        out.push(':');
        entry_value(value, at, out);
    }
}

/// The value after `key:` (at indent `at`).
fn entry_value(value: &Value, at: usize, out: &mut String) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            out.push('\n');
            mapping(map, at + 2, out);
        }
        Value::Array(items) if !items.is_empty() => {
            out.push('\n');
            sequence(items, at + 2, out);
        }
        Value::String(s) => string(s, at, out),
        other => {
            out.push(' ');
            out.push_str(&inline(other, at).unwrap_or_default());
            out.push('\n');
        }
    }
}

fn sequence(items: &[Value], at: usize, out: &mut String) {
    for item in items {
        indent(out, at);
        out.push_str("- ");
        match item {
            Value::Object(map) if !map.is_empty() => mapping(map, at + 2, out),
            Value::Array(inner) if !inner.is_empty() => {
                out.push('\n');
                sequence(inner, at + 2, out);
            }
            Value::String(s) => {
                // `- ` then the string, as after a key (its block scalars indent under the item).
                out.pop();
                string(s, at, out);
            }
            other => {
                out.push_str(&inline(other, at).unwrap_or_default());
                out.push('\n');
            }
        }
    }
}

/// A string after `key:` or `-`: plain or quoted on the line, folded when long prose, literal
/// when it has line breaks.
fn string(s: &str, at: usize, out: &mut String) {
    if s.contains('\n') {
        if let Some(block) = literal(s, at + 2) {
            out.push_str(&block);
            return;
        }
        out.push(' ');
        out.push_str(&double_quoted(s));
        out.push('\n');
        return;
    }
    let line = if plain_ok(s) {
        s.to_string()
    } else {
        quoted(s)
    };
    let column = out.len() - out.rfind('\n').map_or(0, |i| i + 1);
    if column + 1 + line.len() > LONGEST_LINE
        && let Some(block) = folded(s, at + 2)
    {
        out.push_str(&block);
        return;
    }
    out.push(' ');
    out.push_str(&line);
    out.push('\n');
}

/// Scalars other than strings, and empty collections.
fn inline(value: &Value, _at: usize) -> Option<String> {
    Some(match value {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) if plain_ok(s) => s.clone(),
        Value::String(s) => quoted(s),
        Value::Array(a) if a.is_empty() => "[]".into(),
        Value::Object(m) if m.is_empty() => "{}".into(),
        _ => return None,
    })
}

fn scalar_key(key: &str) -> String {
    if plain_ok(key) {
        key.to_string()
    } else {
        quoted(key)
    }
}

/// Whether YAML reads `s`, written bare, back as the same string.
fn plain_ok(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    let looks_typed = matches!(
        s.to_ascii_lowercase().as_str(),
        "true" | "false" | "null" | "~" | "yes" | "no" | "on" | "off" | "y" | "n"
    ) || s.parse::<f64>().is_ok()
        || s.starts_with("0x")
        || s.starts_with("0o")
        || looks_like_a_date(s)
        || s.starts_with('.') && s[1..].parse::<f64>().is_ok();
    !looks_typed
        && !"-?:,[]{}#&*!|>'\"%@`".contains(first)
        && !s.starts_with(' ')
        && !s.ends_with(' ')
        && !s.ends_with(':')
        && !s.contains(": ")
        && !s.contains(" #")
        && !s.contains('\t')
        && s.chars().all(|c| !c.is_control())
}

fn looks_like_a_date(s: &str) -> bool {
    s.len() >= 10
        && s.as_bytes()[4] == b'-'
        && s.as_bytes()[7] == b'-'
        && s[..4].bytes().all(|b| b.is_ascii_digit())
}

fn quoted(s: &str) -> String {
    if s.chars().any(char::is_control) {
        return double_quoted(s);
    }
    format!("'{}'", s.replace('\'', "''"))
}

fn double_quoted(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

/// `>-` with the words wrapped at [`WIDTH`], when folding gives back exactly `s`: single spaces
/// between words, none at the ends.
fn folded(s: &str, at: usize) -> Option<String> {
    // One long word (a JSON pointer) stays on its line: folding would only move it.
    if !s.contains(' ')
        || s.contains("  ")
        || s.starts_with(' ')
        || s.ends_with(' ')
        || s.chars().any(char::is_control)
    {
        return None;
    }
    let mut out = String::from(" >-\n");
    let mut line = String::new();
    for word in s.split(' ') {
        if !line.is_empty() && at + line.len() + 1 + word.len() > WIDTH {
            indent(&mut out, at);
            out.push_str(&line);
            out.push('\n');
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    indent(&mut out, at);
    out.push_str(&line);
    out.push('\n');
    Some(out)
}

/// `|-` (or `|` for one final line break) with each line indented, when that reads back as `s`.
fn literal(s: &str, at: usize) -> Option<String> {
    let (body, chomp) = match s.strip_suffix('\n') {
        Some(rest) if !rest.ends_with('\n') => (rest, "|"),
        Some(_) => return None,
        None => (s, "|-"),
    };
    if body.starts_with(' ')
        || body
            .lines()
            .any(|l| l.ends_with(' ') || l.chars().any(|c| c.is_control() && c != '\n'))
    {
        return None;
    }
    let mut out = format!(" {chomp}\n");
    for line in body.split('\n') {
        if !line.is_empty() {
            indent(&mut out, at);
            out.push_str(line);
        }
        out.push('\n');
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn date_like_scalars_are_quoted_and_nothing_else_changes() {
        let yaml = "info:\n  version: 2026-05-12\n  title: a: 2026-05-12x\nlist:\n- 2026-05-12\n- '3600'\n";
        assert_eq!(
            quote_dates(yaml),
            "info:\n  version: '2026-05-12'\n  title: a: 2026-05-12x\nlist:\n- '2026-05-12'\n- '3600'\n"
        );
    }

    #[test]
    fn the_fragment_style() {
        let doc = json!({
            "openapi": "3.0.3",
            "info": {"version": "2026-05-12", "description": "Line one.\nLine two."},
            "list": ["a", "b"],
            "records": [{"pointer": "/a/~1b", "upstream": [1, 2], "reason": "short"}],
            "empty": {},
            "none": [],
            "flags": {"required": true, "minimum": 1, "default": 3600, "nothing": null},
            "tricky": ["yes", "123", "a: b", "#x", "it's", ""],
        });
        let yaml = to_string(&doc).unwrap();
        assert_eq!(
            yaml,
            "openapi: 3.0.3\ninfo:\n  version: '2026-05-12'\n  description: |-\n    Line one.\n    Line two.\nlist:\n  - a\n  - b\nrecords:\n  - pointer: /a/~1b\n    upstream:\n      - 1\n      - 2\n    reason: short\nempty: {}\nnone: []\nflags:\n  required: true\n  minimum: 1\n  default: 3600\n  nothing: null\ntricky:\n  - 'yes'\n  - '123'\n  - 'a: b'\n  - '#x'\n  - it's\n  - ''\n"
        );
    }

    #[test]
    fn long_prose_is_folded_at_the_width_and_reads_back_the_same() {
        let reason = "word ".repeat(60).trim_end().to_string();
        let doc = json!({"x-local-deviations": [{"reason": reason}]});
        let yaml = to_string(&doc).unwrap();
        assert!(yaml.contains("reason: >-\n"), "{yaml}");
        assert!(yaml.lines().all(|l| l.len() <= WIDTH), "{yaml}");
        let back: Value = serde_norway::from_str(&yaml).unwrap();
        assert_eq!(back, doc);
    }

    #[test]
    fn whatever_it_writes_reads_back_as_the_document() {
        let doc = json!({
            "a": "  leading", "b": "trailing ", "c": "two  spaces ".repeat(20), "d": "tab\there",
            "e": "line\n", "f": "lines\n\n", "g": " indented\nblock", "h": "ünïcödé – dash",
            "i": [[1, [2]], {"k": {"l": []}}], "j": -1.5, "k": "0x1F", "l": "~", "m": "null",
            "n": "- item", "o": "key:", "p": "{}", "q": "2026-05-12T00:00:00Z"
        });
        let yaml = to_string(&doc).unwrap();
        let back: Value = serde_norway::from_str(&yaml).unwrap();
        assert_eq!(back, doc, "{yaml}");
    }
}
