//! `extract`: a new fragment cut out of Clerk's full spec, so that adding an endpoint to the
//! workspace is a mechanical step rather than hand-copying YAML.
//!
//! The fragment holds the chosen operations and the transitive closure of their `$ref`s, with
//! exactly the keys `diff-upstream` compares (no descriptions, examples or `x-` extensions), so it
//! starts out with no drift. Clerk's spec breaks some of this project's build rules (closed response
//! objects and enums); extract applies the mechanical fix for each and records it in
//! `x-local-deviations`, so that the result builds and the record says what Clerk has. With
//! `keep` it also re-applies an existing fragment's hand-made deviations wherever Clerk's value still
//! equals the recorded one, which keeps choices such as `format: password` across a re-extraction.

use std::collections::VecDeque;

use serde_json::{Map, Value, json};

use crate::deviations::{self, Deviation};
use crate::rules;
use crate::spec::keywords::{self, Kind, stripped};
use crate::spec::{Fragment, operations, pointer, refs};
use crate::{SpecError, SpecErrors};

/// Why a response's `additionalProperties: false` was dropped (rule `open-response`).
pub const REASON_OPEN_RESPONSE: &str = "progenitor turns `additionalProperties: false` on a response into `deny_unknown_fields`, so a field Clerk adds later would make every response undecodable (rule `open-response`; applied by extract).";
/// Why a response enum became a plain string (rule `open-enum`).
pub const REASON_OPEN_ENUM: &str = "progenitor generates closed enums, so a value Clerk adds later would make the whole response undecodable; the schema is a plain string and the known values are in `x-known-values` (rule `open-enum`; applied by extract).";
/// Why `additionalProperties: true` next to `properties` became `{}`.
pub const REASON_OPEN_MAP: &str = "With `properties` present, progenitor drops the extra keys of `additionalProperties: true`; the empty schema `{}` means the same in JSON Schema and keeps them (applied by extract).";

/// The result of an extraction.
#[derive(Debug, Clone)]
pub struct Extracted {
    /// The new fragment.
    pub doc: Value,
    /// What was adapted or could not be, for the person running the command.
    pub notes: Vec<String>,
    /// Kept deviations that could not be re-applied because Clerk's value changed: a person has
    /// to decide (each is in `notes` too).
    pub decisions: Vec<Decision>,
}

/// A place where a person must decide before the fragment can follow Clerk's spec: a kept record
/// says Clerk has one value and Clerk's spec now has another (and not the one this fragment has),
/// or, for `update`, an operation gone or a build rule broken with no mechanical fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// The JSON pointer of the deviation.
    pub pointer: String,
    /// Why it needs a decision.
    pub why: String,
}

impl Extracted {
    /// The fragment as YAML, with a header comment saying where it came from.
    pub fn to_yaml(&self, source: &str) -> Result<String, String> {
        let body = crate::yaml::to_string(&self.doc)?;
        Ok(format!(
            "# Extracted by `cargo run -p build-support -- extract` from {source}.\n\
             # Structure only: add descriptions by hand. `x-local-deviations` lists every place where\n\
             # this file differs from Clerk's spec, with Clerk's value; `diff-upstream` checks them.\n{body}"
        ))
    }
}

/// Builds a fragment with the operations named in `operation_ids` (in that order) from `upstream`.
///
/// `source` is recorded in `x-upstream.file`. Deviations of `keep` (usually the current fragment)
/// are re-applied where they still match Clerk's spec. Fails when an operation id is unknown or a
/// `$ref` cannot be followed; the returned fragment may still break a build rule that has no
/// mechanical fix, which [`rules::check`] then reports.
pub fn extract(
    upstream: &Fragment,
    operation_ids: &[String],
    keep: Option<&Fragment>,
    source: &str,
) -> Result<Extracted, SpecErrors> {
    let mut paths = Map::new();
    let mut needs_root_security = false;
    let upstream_ops = operations(&upstream.raw);
    for id in operation_ids {
        let op = operations::find(&upstream_ops, id).ok_or_else(|| {
            upstream.error(
                "extract",
                "/paths",
                format!("there is no operation with operationId `{id}`"),
            )
        })?;
        let item = paths
            .entry(op.path.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
        let item_map = item.as_object_mut().expect("created as a mapping");
        let upstream_item = &upstream.raw["paths"][op.path];
        if let Some(params) = upstream_item.get("parameters") {
            item_map.insert("parameters".into(), stripped(params, Kind::Keyword));
        }
        item_map.insert(op.method.into(), stripped(op.value, Kind::Keyword));
        needs_root_security |= op.value.get("security").is_none();
    }

    let mut doc = Map::new();
    doc.insert(
        "openapi".into(),
        upstream
            .raw
            .get("openapi")
            .cloned()
            .unwrap_or(json!("3.0.3")),
    );
    let version = upstream
        .raw
        .pointer("/info/version")
        .cloned()
        .unwrap_or(Value::Null);
    let title = upstream
        .raw
        .pointer("/info/title")
        .and_then(Value::as_str)
        .unwrap_or("Clerk Backend API");
    doc.insert(
        "info".into(),
        json!({"title": format!("{title} - {}", operation_ids.join(", ")), "version": version}),
    );
    doc.insert(
        "x-upstream".into(),
        json!({"file": source, "api-version": version, "operations": operation_ids}),
    );
    if let Some(servers) = upstream.raw.get("servers") {
        doc.insert("servers".into(), stripped(servers, Kind::Keyword));
    }
    if needs_root_security && let Some(security) = upstream.raw.get("security") {
        doc.insert("security".into(), security.clone());
    }
    doc.insert("paths".into(), Value::Object(paths));
    let mut doc = Value::Object(doc);
    copy_security_schemes(upstream, &mut doc);
    copy_ref_closure(upstream, &mut doc)?;
    require_response_descriptions(&mut doc);

    let original = doc.clone();
    let mut records: Vec<Deviation> = Vec::new();
    let mut notes = Vec::new();
    let mut decisions = Vec::new();
    apply_rule_fixes(upstream, &mut doc, &mut records)?;
    if let Some(keep) = keep {
        apply_kept(
            keep,
            &original,
            &mut doc,
            &mut records,
            &mut notes,
            &mut decisions,
        )
        .map_err(SpecErrors)?;
    }
    if !records.is_empty() {
        let list = records.iter().map(Deviation::to_value).collect();
        insert_after(&mut doc, "x-upstream", deviations::KEY, Value::Array(list));
        for r in &records {
            notes.push(format!("recorded deviation at {}", r.pointer));
        }
    }
    Ok(Extracted {
        doc,
        notes,
        decisions,
    })
}

/// Which operations of a spec can be extracted, and why the others cannot without a decision by
/// hand.
#[derive(Debug, Clone, Default)]
pub struct Survey {
    /// `operationId`s that extract, one at a time, into a fragment that passes every build rule,
    /// in document order.
    pub extractable: Vec<String>,
    /// The others, each with what stands in the way.
    pub undecided: Vec<Undecided>,
}

/// An operation that needs a decision by hand before it can be extracted.
#[derive(Debug, Clone)]
pub struct Undecided {
    /// Its `operationId`, or its method and path when it has none.
    pub operation: String,
    /// The broken build rules (or, rule `extract`, why extraction itself failed).
    pub problems: Vec<SpecError>,
}

/// Extracts every operation of `upstream` on its own and checks the result with the build rules.
/// The extractable ones can then be extracted together (see [`extract`]).
pub fn survey(upstream: &Fragment, source: &str) -> Survey {
    let mut survey = Survey::default();
    for op in operations(&upstream.raw) {
        let Some(id) = op.id() else {
            survey.undecided.push(Undecided {
                operation: format!("{} {}", op.method.to_uppercase(), op.path),
                problems: vec![upstream.error("operation-id", &op.pointer, "no operationId")],
            });
            continue;
        };
        let problems = match extract(upstream, &[id.to_string()], None, source) {
            Ok(extracted) => {
                let probe = Fragment {
                    path: upstream.path.clone(),
                    raw: extracted.doc,
                };
                rules::check(&probe).err().map(|e| e.0).unwrap_or_default()
            }
            Err(e) => e.0,
        };
        if problems.is_empty() {
            survey.extractable.push(id.to_string());
        } else {
            survey.undecided.push(Undecided {
                operation: id.to_string(),
                problems,
            });
        }
    }
    survey
}

/// OpenAPI requires a `description` on every response object; stripping removed Clerk's, so each
/// gets an empty one (descriptions are the author's to write, and `diff-upstream` ignores them).
fn require_response_descriptions(doc: &mut Value) {
    let mut responses: Vec<String> = Vec::new();
    for op in operations(doc) {
        for (code, response) in op
            .value
            .get("responses")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            if response.get("$ref").is_none() {
                responses.push(pointer::join(
                    &pointer::join(&op.pointer, "responses"),
                    code,
                ));
            }
        }
    }
    if let Some(components) = doc
        .pointer("/components/responses")
        .and_then(Value::as_object)
    {
        responses.extend(
            components
                .keys()
                .map(|name| pointer::join("/components/responses", name)),
        );
    }
    for ptr in responses {
        if let Some(map) = doc.pointer_mut(&ptr).and_then(Value::as_object_mut)
            && !map.contains_key("description")
        {
            map.shift_insert(0, "description".into(), Value::String(String::new()));
        }
    }
}

/// The schemes named by any security requirement in the document.
fn copy_security_schemes(upstream: &Fragment, doc: &mut Value) {
    let mut names: Vec<String> = Vec::new();
    let mut collect = |security: Option<&Value>| {
        for req in security.and_then(Value::as_array).into_iter().flatten() {
            for name in req.as_object().into_iter().flat_map(|m| m.keys()) {
                if !names.contains(name) {
                    names.push(name.clone());
                }
            }
        }
    };
    collect(doc.get("security"));
    for op in operations(doc) {
        collect(op.value.get("security"));
    }
    for name in names {
        let ptr = pointer::join("/components/securitySchemes", &name);
        if let Some(scheme) = upstream.raw.pointer(&ptr) {
            pointer::set(doc, &ptr, Some(stripped(scheme, Kind::Keyword)), true)
                .expect("parents are created");
        }
    }
}

/// Copies every `$ref` target, and theirs, to the same place in `doc`.
fn copy_ref_closure(upstream: &Fragment, doc: &mut Value) -> Result<(), SpecErrors> {
    // Breadth first, so components appear roughly in the order a reader meets them.
    let mut pending = VecDeque::new();
    collect_refs(doc, &mut pending);
    while let Some(reference) = pending.pop_front() {
        let target = refs::pointer_of(&reference).map_err(|e| upstream.error("extract", "", e))?;
        if doc.pointer(target).is_some() {
            continue;
        }
        let value = upstream
            .resolve(&reference)
            .map_err(|e| upstream.error("extract", target, e))?;
        let copy = stripped(value, Kind::Keyword);
        collect_refs(&copy, &mut pending);
        pointer::set(doc, target, Some(copy), true)
            .map_err(|e| upstream.error("extract", target, e))?;
    }
    if let Some(components) = doc.get_mut("components").and_then(Value::as_object_mut) {
        // A stable, conventional order of sections; entries keep the order they were found in.
        const ORDER: [&str; 5] = [
            "securitySchemes",
            "schemas",
            "responses",
            "parameters",
            "requestBodies",
        ];
        let rank = |k: &str| ORDER.iter().position(|o| *o == k).unwrap_or(ORDER.len());
        let mut sections: Vec<(String, Value)> = std::mem::take(components).into_iter().collect();
        sections.sort_by_key(|(k, _)| rank(k));
        components.extend(sections);
    }
    Ok(())
}

fn collect_refs(value: &Value, out: &mut VecDeque<String>) {
    refs::each_ref(value, "", &mut |_, r| {
        if let Some(r) = r.as_str() {
            out.push_back(r.to_string());
        }
    });
}

/// The mechanical fixes for the build rules Clerk's spec is known to break, each recorded.
fn apply_rule_fixes(
    upstream: &Fragment,
    doc: &mut Value,
    records: &mut Vec<Deviation>,
) -> Result<(), SpecErrors> {
    let mut open_maps = Vec::new();
    find_closed_maps(doc, Kind::Keyword, String::new(), &mut open_maps);
    for ptr in open_maps {
        pointer::set(doc, &ptr, Some(json!({})), false)
            .map_err(|e| upstream.error("extract", &ptr, e))?;
        records.push(Deviation {
            pointer: ptr,
            upstream: Some(Value::Bool(true)),
            reason: REASON_OPEN_MAP.into(),
        });
    }

    let probe = Fragment {
        path: upstream.path.clone(),
        raw: doc.clone(),
    };
    let problems = rules::check(&probe).err().map(|e| e.0).unwrap_or_default();
    for problem in problems {
        let ptr = problem.pointer.as_str();
        // A place reached from several operations is fixed, and recorded, once.
        if records.iter().any(|r| r.pointer == ptr) {
            continue;
        }
        let fix = match problem.rule {
            "open-response" => Some((None, REASON_OPEN_RESPONSE)),
            "open-enum" => Some((doc.pointer(ptr).cloned(), REASON_OPEN_ENUM)),
            _ => None,
        };
        let Some((known_values, reason)) = fix else {
            continue;
        };
        let was = doc.pointer(ptr).cloned();
        pointer::set(doc, ptr, None, false).map_err(|e| upstream.error("extract", ptr, e))?;
        if let Some(values) = known_values
            && let Some((parent, _)) = pointer::split_last(ptr)
        {
            let known = pointer::join(parent, "x-known-values");
            pointer::set(doc, &known, Some(values), false)
                .map_err(|e| upstream.error("extract", &known, e))?;
        }
        records.push(Deviation {
            pointer: ptr.to_string(),
            upstream: was,
            reason: reason.into(),
        });
    }
    Ok(())
}

/// Pointers of `additionalProperties: true` next to `properties`, anywhere a schema can be.
fn find_closed_maps(value: &Value, kind: Kind, ptr: String, out: &mut Vec<String>) {
    match (value, kind) {
        (Value::Object(map), Kind::Keyword | Kind::Names | Kind::Properties) => {
            if kind == Kind::Keyword
                && map.get("additionalProperties") == Some(&Value::Bool(true))
                && map
                    .get("properties")
                    .and_then(Value::as_object)
                    .is_some_and(|p| !p.is_empty())
            {
                out.push(pointer::join(&ptr, "additionalProperties"));
            }
            for (k, v) in map {
                let child = keywords::child_kind(kind, k);
                find_closed_maps(v, child, pointer::join(&ptr, k), out);
            }
        }
        (Value::Array(items), Kind::Keyword) => {
            for (i, v) in items.iter().enumerate() {
                find_closed_maps(v, kind, format!("{ptr}/{i}"), out);
            }
        }
        _ => {}
    }
}

/// Re-applies `keep`'s deviations where Clerk's value (in `original`) still equals the record.
/// A record whose place Clerk now fills with this fragment's own value is moot and dropped; one
/// whose place Clerk changed otherwise needs a decision.
fn apply_kept(
    keep: &Fragment,
    original: &Value,
    doc: &mut Value,
    records: &mut Vec<Deviation>,
    notes: &mut Vec<String>,
    decisions: &mut Vec<Decision>,
) -> Result<(), Vec<SpecError>> {
    for d in deviations::read(keep)? {
        let parent_exists = pointer::split_last(&d.pointer)
            .is_some_and(|(parent, _)| original.pointer(parent).is_some_and(Value::is_object));
        if !parent_exists {
            notes.push(format!(
                "kept deviation {} does not apply: the extracted operations have nothing there",
                d.pointer
            ));
            continue;
        }
        let clerk = original.pointer(&d.pointer);
        let ours = keep.raw.pointer(&d.pointer).cloned();
        if clerk != d.upstream.as_ref() && clerk == ours.as_ref() {
            notes.push(format!(
                "kept deviation {} is moot: Clerk's spec now has this fragment's value there; record dropped",
                d.pointer
            ));
            records.retain(|r| r.pointer != d.pointer);
            continue;
        }
        if clerk != d.upstream.as_ref() {
            let why = format!(
                "Clerk's spec now has {} there, the record says {} and this fragment has {}",
                clerk.map_or("nothing".into(), Value::to_string),
                d.upstream
                    .as_ref()
                    .map_or("nothing".into(), Value::to_string),
                ours.as_ref().map_or("nothing".into(), Value::to_string),
            );
            notes.push(format!(
                "kept deviation {} not applied: {why}; decide by hand",
                d.pointer
            ));
            decisions.push(Decision {
                pointer: d.pointer.clone(),
                why,
            });
            continue;
        }
        pointer::set(doc, &d.pointer, ours, false)
            .map_err(|e| vec![keep.error("extract", &d.pointer, e)])?;
        match records.iter_mut().find(|r| r.pointer == d.pointer) {
            Some(existing) => *existing = d,
            None => records.push(d),
        }
    }
    Ok(())
}

/// Inserts `key` right after `after` (or at the end), for a readable key order.
fn insert_after(doc: &mut Value, after: &str, key: &str, value: Value) {
    let Some(map) = doc.as_object_mut() else {
        return;
    };
    let at = map
        .keys()
        .position(|k| k == after)
        .map_or(map.len(), |i| i + 1);
    map.shift_insert(at, key.to_string(), value);
}
