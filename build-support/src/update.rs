//! `update`: brings the fragment up to a new version of Clerk's spec in one step, and says what
//! that does to users.
//!
//! What a person used to do by hand (README, "When Clerk's spec changes"), in order: extract the
//! fragment's operations (`x-upstream.operations`) from the new spec, re-apply every recorded
//! deviation whose upstream value still matches ([`crate::extract`]), keep this project's own
//! descriptions, examples and `x-` keys wherever their place still exists (Clerk's descriptions
//! never come in), update `x-upstream`, check the build rules, regenerate both outputs and judge
//! the change of each public item ([`crate::api_diff`]). Anything that needs a person (a recorded
//! deviation whose upstream value changed, an operation gone, a build rule broken with no known
//! fix) is a [`Decision`]: then nothing is written.
//!
//! This module plans; the binary reads and writes the files.

use serde_json::{Map, Value};

use crate::api_diff::{self, ApiChange, Impact, Verdict};
use crate::deviations;
use crate::extract::{self, Decision};
use crate::generate;
use crate::rules;
use crate::spec::{Fragment, operations, pointer};
use crate::{SpecError, SpecErrors};

/// What the command was told beside the two documents.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The commit of Clerk's spec repository the new spec is from (`--commit`).
    pub commit: Option<String>,
    /// That commit's date (`--commit-date`); dropped from `x-upstream` when the commit changes
    /// without one.
    pub commit_date: Option<String>,
    /// Today, `YYYY-MM-DD`, for `x-upstream.vendored-on`.
    pub today: String,
}

/// The outcome of planning an update.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The updated fragment.
    pub doc: Value,
    /// Whether it differs from the current fragment in what it says about the API (anything but
    /// `x-upstream`).
    pub changed: bool,
    /// Whether, the API unchanged, the provenance changed: `x-upstream` (file, version,
    /// commit), not counting `vendored-on`.
    pub provenance_changed: bool,
    /// What a person must decide; non-empty means nothing may be written.
    pub decisions: Vec<Decision>,
    /// What was adapted on the way, for the person running the command.
    pub notes: Vec<String>,
    /// The generated client and typed mocks for the updated fragment (`None` when a decision is
    /// needed before code can be generated).
    pub generated: Option<Generated>,
    /// What the change does to users of the generated client (`raw::...`) and mocks.
    pub changes: Vec<ApiChange>,
}

/// Generated code for the updated fragment.
#[derive(Debug, Clone)]
pub struct Generated {
    /// The client, as `clerk-actor-tokens/generated/client.rs` holds it.
    pub client: String,
    /// The typed mocks, as `clerk-actor-tokens-httpmock/generated/mock.rs` holds them.
    pub mock: String,
}

impl Plan {
    /// The verdict over every change.
    pub fn verdict(&self) -> Verdict {
        Verdict::of(&self.changes)
    }
}

/// The current outputs, to compare the regenerated ones with.
#[derive(Debug, Clone, Copy)]
pub struct Snapshots<'a> {
    /// The checked-in client.
    pub client: &'a str,
    /// The checked-in typed mocks.
    pub mock: &'a str,
}

/// Keys that are this project's own writing, wherever they appear (except as property names).
fn is_own_documentation(key: &str) -> bool {
    matches!(
        key,
        "description" | "summary" | "example" | "examples" | "tags"
    ) || key.starts_with("x-")
}

/// Plans the update of `current` to `upstream` (Clerk's full spec, read from `source`).
pub fn plan(
    current: &Fragment,
    upstream: &Fragment,
    source: &str,
    snapshots: Snapshots<'_>,
    options: &Options,
) -> Result<Plan, SpecErrors> {
    let ids = fragment_operations(current)?;
    let mut decisions = Vec::new();
    let upstream_ops = operations(&upstream.raw);
    for id in &ids {
        if operations::find(&upstream_ops, id).is_none() {
            let ours = operations(&current.raw);
            let at = operations::find(&ours, id)
                .map_or_else(|| "/paths".to_string(), |op| op.pointer.clone());
            decisions.push(Decision {
                pointer: at,
                why: format!("operation `{id}` is no longer in Clerk's spec"),
            });
        }
    }
    if !decisions.is_empty() {
        return Ok(Plan {
            doc: current.raw.clone(),
            changed: false,
            provenance_changed: false,
            decisions,
            notes: Vec::new(),
            generated: None,
            changes: Vec::new(),
        });
    }

    let extracted = extract::extract(upstream, &ids, Some(current), source)?;
    let mut doc = extracted.doc;
    let notes = extracted.notes;
    decisions.extend(extracted.decisions);
    carry_own_documentation(&current.raw, &mut doc, "");
    keep_own_header(&current.raw, upstream, &mut doc, options);
    keep_record_order(&current.raw, &mut doc);
    follow_key_order(&current.raw, &mut doc);

    let changed = without_provenance(&current.raw) != without_provenance(&doc);
    let provenance_changed = !changed && provenance(&current.raw) != provenance(&doc);
    let updated = Fragment {
        path: current.path.clone(),
        raw: doc.clone(),
    };
    if let Err(errors) = rules::check(&updated) {
        for e in errors.0 {
            let decision = Decision {
                pointer: e.pointer.clone(),
                why: format!(
                    "breaks build rule `{}`: {}",
                    e.rule,
                    crate::one_line(&e.message)
                ),
            };
            // A shared component breaks a rule once for each operation that uses it.
            if !decisions.contains(&decision) {
                decisions.push(decision);
            }
        }
    }
    if !decisions.is_empty() {
        return Ok(Plan {
            doc,
            changed,
            provenance_changed,
            decisions,
            notes,
            generated: None,
            changes: Vec::new(),
        });
    }
    let generated = Generated {
        client: generate::generate(&updated)?,
        mock: generate::generate_httpmock(&updated)?,
    };
    let mut changes = compare(current, "raw", snapshots.client, &generated.client)?;
    changes.extend(compare(
        current,
        "clerk_actor_tokens_httpmock",
        snapshots.mock,
        &generated.mock,
    )?);
    Ok(Plan {
        doc,
        changed,
        provenance_changed,
        decisions,
        notes,
        generated: Some(generated),
        changes,
    })
}

fn compare(
    current: &Fragment,
    root: &str,
    old: &str,
    new: &str,
) -> Result<Vec<ApiChange>, SpecError> {
    api_diff::compare(root, old, new).map_err(|e| current.error("api-diff", "", e))
}

/// The operation ids the fragment says it holds (`x-upstream.operations`).
fn fragment_operations(current: &Fragment) -> Result<Vec<String>, SpecError> {
    let list = current
        .raw
        .pointer("/x-upstream/operations")
        .and_then(Value::as_array)
        .ok_or_else(|| {
            current.error(
                "x-upstream",
                "/x-upstream/operations",
                "the fragment does not list its operations (`x-upstream.operations`)",
            )
        })?;
    list.iter()
        .map(|v| {
            v.as_str().map(str::to_string).ok_or_else(|| {
                current.error(
                    "x-upstream",
                    "/x-upstream/operations",
                    "an operation id is not a string",
                )
            })
        })
        .collect()
}

/// Copies this project's descriptions, examples and `x-` keys from `ours` into `doc` wherever
/// their parent object still exists and `doc` has no such key (an `x-known-values` that extract
/// derived from Clerk's enum stays Clerk's). The fragment's own header keys are handled by
/// [`keep_own_header`].
fn carry_own_documentation(ours: &Value, doc: &mut Value, at: &str) {
    match ours {
        Value::Object(map) => {
            // A schema's `properties` maps names to schemas: a property called `description`
            // is a schema, not documentation.
            let names_schemas = pointer::split_last(at).is_some_and(|(_, key)| key == "properties");
            for (key, value) in map {
                if at.is_empty() && matches!(key.as_str(), "info" | "x-upstream" | deviations::KEY)
                {
                    continue;
                }
                let here = pointer::join(at, key);
                if !names_schemas && is_own_documentation(key) {
                    // Extract puts an empty `description` where OpenAPI requires one.
                    if let Some(parent) = doc.pointer_mut(at).and_then(Value::as_object_mut)
                        && parent.get(key).is_none_or(|v| v == "")
                    {
                        parent.insert(key.clone(), value.clone());
                    }
                } else {
                    carry_own_documentation(value, doc, &here);
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                carry_own_documentation(item, doc, &pointer::join(at, &i.to_string()));
            }
        }
        _ => {}
    }
}

/// `info` stays the fragment's own (with Clerk's new `info.version`); `x-upstream` keeps its
/// keys and gets the new API version, file, commit and date.
fn keep_own_header(ours: &Value, upstream: &Fragment, doc: &mut Value, options: &Options) {
    let version = upstream.raw.pointer("/info/version").cloned();
    let mut info = ours
        .get("info")
        .cloned()
        .unwrap_or_else(|| Value::Object(Map::new()));
    if let (Some(info), Some(version)) = (info.as_object_mut(), version.clone()) {
        info.insert("version".into(), version);
    }
    let mut x_upstream = ours
        .get("x-upstream")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let old_version = x_upstream
        .get("api-version")
        .and_then(Value::as_str)
        .map(str::to_string);
    if let Some(version) = version.as_ref().and_then(Value::as_str) {
        // Clerk's repository names a spec file after its version (`bapi/2026-05-12.yml`).
        if let (Some(old), Some(Value::String(file))) = (&old_version, x_upstream.get_mut("file"))
            && file.contains(old.as_str())
        {
            *file = file.replace(old.as_str(), version);
        }
        x_upstream.insert("api-version".into(), Value::from(version));
    }
    if let Some(commit) = &options.commit {
        let changed = x_upstream.get("commit").and_then(Value::as_str) != Some(commit.as_str());
        x_upstream.insert("commit".into(), Value::from(commit.as_str()));
        match &options.commit_date {
            Some(date) => {
                x_upstream.insert("commit-date".into(), Value::from(date.as_str()));
            }
            None if changed => {
                x_upstream.shift_remove("commit-date");
            }
            None => {}
        }
    }
    x_upstream.insert("vendored-on".into(), Value::from(options.today.as_str()));
    if let Some(map) = doc.as_object_mut() {
        if let Some(slot) = map.get_mut("info") {
            *slot = info;
        }
        if let Some(slot) = map.get_mut("x-upstream") {
            *slot = Value::Object(x_upstream);
        }
    }
}

/// The deviation records in the fragment's order; new ones after them.
fn keep_record_order(ours: &Value, doc: &mut Value) {
    let position = |record: &Value| {
        ours.get(deviations::KEY)
            .and_then(Value::as_array)
            .and_then(|list| {
                list.iter()
                    .position(|r| r.get("pointer") == record.get("pointer"))
            })
            .unwrap_or(usize::MAX)
    };
    if let Some(list) = doc.get_mut(deviations::KEY).and_then(Value::as_array_mut) {
        list.sort_by_key(position);
    }
}

/// Orders every object's keys as the fragment has them (keys it does not have go last, in
/// their order), so that an update changes the file where the spec changed and nowhere else.
fn follow_key_order(ours: &Value, doc: &mut Value) {
    match (ours, doc) {
        (Value::Object(ours), Value::Object(map)) => {
            let mut keys: Vec<String> = map.keys().cloned().collect();
            keys.sort_by_key(|k| ours.keys().position(|o| o == k).unwrap_or(usize::MAX));
            let mut sorted = Map::new();
            for key in keys {
                if let Some(mut value) = map.shift_remove(&key) {
                    if let Some(theirs) = ours.get(&key) {
                        follow_key_order(theirs, &mut value);
                    }
                    sorted.insert(key, value);
                }
            }
            *map = sorted;
        }
        (Value::Array(ours), Value::Array(items)) => {
            for (theirs, item) in ours.iter().zip(items.iter_mut()) {
                follow_key_order(theirs, item);
            }
        }
        _ => {}
    }
}

/// The document without `x-upstream`: what it says about the API.
fn without_provenance(doc: &Value) -> Value {
    let mut doc = doc.clone();
    if let Some(map) = doc.as_object_mut() {
        map.shift_remove("x-upstream");
    }
    doc
}

/// `x-upstream` without `vendored-on` (re-running an update on a later day is not a change).
fn provenance(doc: &Value) -> Value {
    let mut x = doc.get("x-upstream").cloned().unwrap_or(Value::Null);
    if let Some(map) = x.as_object_mut() {
        map.shift_remove("vendored-on");
    }
    x
}

/// The fragment as YAML: serialized, then this project's comments put back before the lines
/// they preceded (a block of comment lines and the line after it, matched exactly).
pub fn to_yaml(doc: &Value, old_text: &str) -> Result<String, String> {
    Ok(carry_comments(old_text, &crate::yaml::to_string(doc)?))
}

fn carry_comments(old: &str, new: &str) -> String {
    let mut blocks: Vec<(Vec<&str>, &str)> = Vec::new();
    let mut pending: Vec<&str> = Vec::new();
    for line in old.lines() {
        if line.trim_start().starts_with('#') {
            pending.push(line);
        } else if !pending.is_empty() {
            blocks.push((std::mem::take(&mut pending), line));
        }
    }
    let mut out = String::with_capacity(new.len() + 1024);
    for line in new.lines() {
        if let Some(at) = blocks.iter().position(|(_, before)| *before == line) {
            for comment in blocks.remove(at).0 {
                out.push_str(comment);
                out.push('\n');
            }
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// The changelog with `entries` (one per change, or one line saying the generated API did not
/// change) added to its `Unreleased` section: breaking changes under `### Breaking`, additions
/// under `### Added`, the rest under `### Changed`. `spec` names the spec version and commit.
pub fn changelog_with(text: &str, spec: &str, changes: &[ApiChange]) -> Result<String, String> {
    let mut breaking = Vec::new();
    let mut added = Vec::new();
    for change in changes {
        let line = format!("- {spec}: {}: {}", change.item, change.what);
        match change.impact {
            Impact::Breaking => breaking.push(line),
            Impact::Additive => added.push(line),
        }
    }
    let changed = if changes.is_empty() {
        vec![format!(
            "- {spec}: the fragment follows it; the generated API is unchanged."
        )]
    } else {
        Vec::new()
    };
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let start = lines
        .iter()
        .position(|l| l.trim() == "## [Unreleased]")
        .ok_or("CHANGELOG.md has no `## [Unreleased]` section")?;
    for (heading, entries) in [
        ("### Breaking", breaking),
        ("### Added", added),
        ("### Changed", changed),
    ] {
        if entries.is_empty() {
            continue;
        }
        let end = lines[start + 1..]
            .iter()
            .position(|l| l.starts_with("## "))
            .map_or(lines.len(), |i| start + 1 + i);
        let at = match lines[start + 1..end]
            .iter()
            .position(|l| l.trim() == heading)
        {
            Some(i) => {
                // After the heading's last entry.
                let first = start + 1 + i + 1;
                let next_heading = lines[first..end]
                    .iter()
                    .position(|l| l.starts_with("### "))
                    .map_or(end, |j| first + j);
                let mut at = next_heading;
                while at > first && lines[at - 1].trim().is_empty() {
                    at -= 1;
                }
                at
            }
            // A new `### Breaking` goes first, where readers look; other new headings last.
            None if heading == "### Breaking"
                && let Some(first) = lines[start + 1..end]
                    .iter()
                    .position(|l| l.starts_with("### ")) =>
            {
                let at = start + 1 + first;
                lines.splice(
                    at..at,
                    [heading.to_string(), "".to_string(), "".to_string()],
                );
                at + 2
            }
            None => {
                let mut at = end;
                while at > start + 1 && lines[at - 1].trim().is_empty() {
                    at -= 1;
                }
                lines.splice(
                    at..at,
                    ["".to_string(), heading.to_string(), "".to_string()],
                );
                at + 3
            }
        };
        lines.splice(at..at, entries);
    }
    let mut out = lines.join("\n");
    out.push('\n');
    Ok(out)
}

/// Today's date (UTC) as `YYYY-MM-DD`.
pub fn today() -> String {
    let days = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() / 86_400) as i64;
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Howard Hinnant's `civil_from_days`: the proleptic Gregorian date of a day count since
/// 1970-01-01.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_become_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_790), (2026, 12, 3));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    }

    #[test]
    fn comments_go_back_before_the_lines_they_preceded() {
        let old = "a: 1\n# about b\n# more\nb: 2\nc: 3\n";
        let new = "a: 1\nb: 2\nd: 4\n";
        assert_eq!(
            carry_comments(old, new),
            "a: 1\n# about b\n# more\nb: 2\nd: 4\n"
        );
    }

    #[test]
    fn changelog_entries_go_under_their_headings_in_unreleased() {
        let text = "# Changelog\n\n## [Unreleased]\n\n### Added\n\n- older addition\n\n## [0.1.0] - 2026-01-01\n\n- first\n";
        let changes = [
            ApiChange {
                impact: Impact::Breaking,
                item: "raw::types::ClerkErrors".into(),
                what: "field `clerk_trace_id` removed".into(),
            },
            ApiChange {
                impact: Impact::Additive,
                item: "raw::Client::get_session".into(),
                what: "function added".into(),
            },
        ];
        let out = changelog_with(text, "Clerk spec 2026-06-01 (commit abc1234)", &changes).unwrap();
        assert_eq!(
            out,
            "# Changelog\n\n## [Unreleased]\n\n### Breaking\n\n- Clerk spec 2026-06-01 (commit abc1234): raw::types::ClerkErrors: field `clerk_trace_id` removed\n\n### Added\n\n- older addition\n- Clerk spec 2026-06-01 (commit abc1234): raw::Client::get_session: function added\n\n## [0.1.0] - 2026-01-01\n\n- first\n"
        );
        let none = changelog_with(text, "Clerk spec 2026-06-01", &[]).unwrap();
        assert!(none.contains("### Changed\n\n- Clerk spec 2026-06-01: the fragment follows it; the generated API is unchanged.\n\n## [0.1.0]"), "{none}");
        assert!(changelog_with("# Changelog\n", "x", &[]).is_err());
    }
}
