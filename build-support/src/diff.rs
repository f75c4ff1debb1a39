//! `diff-upstream`: the fragment's operations compared, structurally, with the same operations in
//! Clerk's full Backend API spec.
//!
//! Both sides are compared *resolved*: a `$ref` is followed wherever it appears, so moving or
//! renaming a component is not drift by itself, while every difference is reported at the place
//! it really is in each file (e.g. `/components/schemas/ActorToken/...`). Documentation keywords
//! and `x-` extensions are ignored ([`crate::spec::keywords`]). A difference at a place listed in the
//! fragment's `x-local-deviations` is accepted only while Clerk's value there still equals the
//! recorded one.

use std::collections::HashSet;
use std::fmt;

use serde_json::Value;

use crate::SpecError;
use crate::deviations::{self, Deviation};
use crate::spec::keywords::{self, Kind};
use crate::spec::refs::{self, RefError};
use crate::spec::{Fragment, Operation, operations, pointer};

/// Whether a difference needs attention.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The fragment and Clerk's spec disagree, and no valid record explains it.
    Drift,
    /// A deliberate difference listed in `x-local-deviations`, still matching Clerk's spec.
    Accepted,
}

/// One place where the fragment and Clerk's spec differ.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// Drift or accepted deviation.
    pub verdict: Verdict,
    /// JSON pointer into the fragment (where the value is, or would be).
    pub fragment_pointer: String,
    /// JSON pointer into Clerk's spec (where the value is, or would be).
    pub upstream_pointer: String,
    /// What differs, in words.
    pub message: String,
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let label = match self.verdict {
            Verdict::Drift => "drift",
            Verdict::Accepted => "accepted deviation",
        };
        if self.fragment_pointer == self.upstream_pointer {
            write!(
                f,
                "{label}: #{} (fragment and upstream): {}",
                self.fragment_pointer, self.message
            )
        } else {
            write!(
                f,
                "{label}: fragment #{}, upstream #{}: {}",
                self.fragment_pointer, self.upstream_pointer, self.message
            )
        }
    }
}

/// Everything `diff-upstream` found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Each difference once, in the order the operations were walked.
    pub differences: Vec<Difference>,
    /// Remarks that need no action to pass (e.g. a record that has become unnecessary).
    pub notes: Vec<String>,
}

impl Report {
    /// Whether any difference is unaccepted drift (the command then exits 1).
    pub fn has_drift(&self) -> bool {
        self.count(Verdict::Drift) > 0
    }

    /// How many differences have this verdict.
    pub fn count(&self, verdict: Verdict) -> usize {
        self.differences
            .iter()
            .filter(|d| d.verdict == verdict)
            .count()
    }
}

/// Compares every operation of `fragment` with the operation of the same `operationId` (or, failing
/// that, the same method and path) in `upstream`.
///
/// Fails only when the fragment's `x-local-deviations` cannot be read.
pub fn diff_upstream(fragment: &Fragment, upstream: &Fragment) -> Result<Report, Vec<SpecError>> {
    let deviations = deviations::read(fragment)?;
    let mut walker = Walker {
        frag: &fragment.raw,
        up: &upstream.raw,
        deviations: &deviations,
        held: vec![None; deviations.len()],
        seen: HashSet::new(),
        schemes: HashSet::new(),
        report: Report::default(),
    };
    walker.operations();
    walker.unreached();
    walker.version_note();
    Ok(walker.report)
}

/// One side of a comparison: the value (absent when that file has nothing there) and its pointer.
#[derive(Debug, Clone)]
struct Side<'a> {
    value: Option<&'a Value>,
    ptr: String,
}

impl<'a> Side<'a> {
    fn at(doc: &'a Value, ptr: String) -> Self {
        Side {
            value: doc.pointer(&ptr),
            ptr,
        }
    }

    fn key(&self, key: &str) -> Self {
        Side {
            value: self
                .value
                .and_then(|v| v.as_object())
                .and_then(|m| m.get(key)),
            ptr: pointer::join(&self.ptr, key),
        }
    }

    fn index(&self, i: usize) -> Self {
        Side {
            value: self.value.and_then(|v| v.as_array()).and_then(|a| a.get(i)),
            ptr: format!("{}/{i}", self.ptr),
        }
    }
}

/// Follows `$ref`s until a value that is not one.
fn resolve<'a>(doc: &'a Value, side: Side<'a>) -> Result<Side<'a>, RefError> {
    let Some(value) = side.value else {
        return Ok(side);
    };
    let resolved = refs::resolve(doc, value, &side.ptr)?;
    Ok(Side {
        value: Some(resolved.value),
        ptr: resolved.pointer,
    })
}

/// A value for a message: compact JSON, shortened when long.
fn show(value: Option<&Value>) -> String {
    const MAX: usize = 80;
    match value {
        None => "nothing".into(),
        Some(v) => {
            let text = v.to_string();
            if text.chars().count() > MAX {
                let short: String = text.chars().take(MAX).collect();
                format!("{short}…")
            } else {
                text
            }
        }
    }
}

struct Walker<'a> {
    frag: &'a Value,
    up: &'a Value,
    deviations: &'a [Deviation],
    /// Per deviation: not reached yet, or whether Clerk's value still equals the record.
    held: Vec<Option<bool>>,
    /// Resolved keyword objects already compared, so shared components are reported once.
    seen: HashSet<(String, String)>,
    /// Security schemes already compared.
    schemes: HashSet<String>,
    report: Report,
}

impl<'a> Walker<'a> {
    fn differ(&mut self, f: &Side<'_>, u: &Side<'_>, accepted: Option<usize>, message: String) {
        let d = Difference {
            verdict: if accepted.is_some() {
                Verdict::Accepted
            } else {
                Verdict::Drift
            },
            fragment_pointer: f.ptr.clone(),
            upstream_pointer: u.ptr.clone(),
            message,
        };
        if !self.report.differences.contains(&d) {
            self.report.differences.push(d);
        }
    }

    /// If a deviation is recorded at `f`'s place, decides once whether it still holds; returns the
    /// deviation that covers this subtree, if any.
    fn enter(&mut self, f: &Side<'_>, u: &Side<'_>, covering: Option<usize>) -> Option<usize> {
        let Some(i) = self.deviations.iter().position(|d| d.pointer == f.ptr) else {
            return covering;
        };
        let recorded = self.deviations[i].upstream.as_ref();
        let holds = u.value == recorded;
        if self.held[i].is_none() {
            self.held[i] = Some(holds);
            if !holds {
                let message = format!(
                    "{} records Clerk's value here as {}, but Clerk's spec now has {}",
                    deviations::KEY,
                    show(recorded),
                    show(u.value)
                );
                self.differ(f, u, None, message);
            }
        }
        holds.then_some(i)
    }

    fn operations(&mut self) {
        let upstream_ops = operations(self.up);
        for op in operations(self.frag) {
            let id = op.id();
            let by_id = id.and_then(|id| operations::find(&upstream_ops, id));
            let by_place = || {
                upstream_ops
                    .iter()
                    .find(|u| u.path == op.path && u.method == op.method)
            };
            let name = id.unwrap_or("(no operationId)");
            let f = Side {
                value: Some(op.value),
                ptr: op.pointer.clone(),
            };
            let Some(u_op) = by_id.or_else(by_place) else {
                let u = Side {
                    value: None,
                    ptr: op.pointer.clone(),
                };
                let message = format!(
                    "operation {name} ({} {}) is not in the upstream spec",
                    op.method.to_uppercase(),
                    op.path
                );
                self.differ(&f, &u, None, message);
                continue;
            };
            let u = Side {
                value: Some(u_op.value),
                ptr: u_op.pointer.clone(),
            };
            if u_op.path != op.path || u_op.method != op.method {
                let message = format!(
                    "{name} is {} {} here, {} {} upstream",
                    op.method.to_uppercase(),
                    op.path,
                    u_op.method.to_uppercase(),
                    u_op.path
                );
                self.differ(&f, &u, None, message);
            }
            // Parameters and security are compared as in effect, i.e. with what the path item
            // and the document root contribute, not as written on the operation.
            self.compare_maps(&f, &u, Kind::Keyword, "", &["parameters", "security"], None);
            self.compare_parameters(&op, u_op);
            self.compare_security(&op, u_op);
        }
    }

    /// Compares one pair of nodes found under `key` (of kind `kind`); `what` names it in messages.
    fn compare(
        &mut self,
        f: Side<'a>,
        u: Side<'a>,
        kind: Kind,
        key: &str,
        what: &str,
        covering: Option<usize>,
    ) {
        let before = self.report.differences.len();
        let mut covering_here = self.enter(&f, &u, covering);
        // Something on one side only is reported where its entry is, not where a `$ref` leads.
        if f.value.is_none() || u.value.is_none() {
            let (value, side) = match (f.value, u.value) {
                (Some(v), _) => (v, "here"),
                (_, Some(v)) => (v, "upstream"),
                (None, None) => return,
            };
            // As written (a `$ref` says most), without the documentation that does not count.
            let shown = keywords::stripped(value, kind);
            let message = format!("{what} only {side}: {}", show(Some(&shown)));
            self.differ(&f, &u, covering_here, message);
            return;
        }
        let (f, u) = if kind == Kind::Keyword {
            match (resolve(self.frag, f.clone()), resolve(self.up, u.clone())) {
                (Ok(rf), Ok(ru)) => (rf, ru),
                (Err(e), _) | (_, Err(e)) => {
                    self.differ(&f, &u, covering_here, format!("{what}: {e}"));
                    return;
                }
            }
        } else {
            (f, u)
        };
        covering_here = self.enter(&f, &u, covering_here);

        match (f.value, u.value) {
            (None, _) | (_, None) => {}
            (Some(fv), Some(uv)) => match (fv, uv) {
                (Value::Object(_), Value::Object(_))
                    if matches!(kind, Kind::Keyword | Kind::Names | Kind::Properties) =>
                {
                    if kind == Kind::Keyword && !self.seen.insert((f.ptr.clone(), u.ptr.clone())) {
                        return;
                    }
                    self.compare_maps(&f, &u, kind, key, &[], covering_here);
                }
                (Value::Array(fa), Value::Array(ua)) if kind == Kind::Set => {
                    self.compare_sets(&f, &u, fa, ua, what, covering_here);
                }
                (Value::Array(fa), Value::Array(ua)) if kind == Kind::Keyword => {
                    for i in 0..fa.len().max(ua.len()) {
                        let what = format!("{what}[{i}]");
                        self.compare(f.index(i), u.index(i), kind, key, &what, covering_here);
                    }
                }
                _ if fv == uv => {}
                _ => self.differ(
                    &f,
                    &u,
                    covering_here,
                    format!(
                        "{what} is {} here, {} upstream",
                        show(Some(fv)),
                        show(Some(uv))
                    ),
                ),
            },
        }

        self.note_unneeded(covering, covering_here, before);
    }

    /// A record that explains nothing is stale in the other direction: the fragment already says
    /// what Clerk says there.
    fn note_unneeded(
        &mut self,
        covering: Option<usize>,
        covering_here: Option<usize>,
        before: usize,
    ) {
        if covering_here != covering
            && let Some(i) = covering_here
            && self.report.differences.len() == before
        {
            let note = format!(
                "{} entry for {} explains nothing: the fragment matches Clerk's spec there; the entry can go",
                deviations::KEY,
                self.deviations[i].pointer
            );
            if !self.report.notes.contains(&note) {
                self.report.notes.push(note);
            }
        }
    }

    fn compare_maps(
        &mut self,
        f: &Side<'a>,
        u: &Side<'a>,
        kind: Kind,
        key: &str,
        skip: &[&str],
        covering: Option<usize>,
    ) {
        let empty = serde_json::Map::new();
        let fm = f.value.and_then(Value::as_object).unwrap_or(&empty);
        let um = u.value.and_then(Value::as_object).unwrap_or(&empty);
        let keys: Vec<String> = fm
            .keys()
            .chain(um.keys().filter(|k| !fm.contains_key(*k)))
            .filter(|k| !skip.contains(&k.as_str()) && !keywords::is_ignored(kind, k))
            .cloned()
            .collect();
        for k in keys {
            let what = match kind {
                Kind::Names | Kind::Properties => format!("{} `{k}`", keywords::entry_noun(key)),
                _ => format!("`{k}`"),
            };
            let child = keywords::child_kind(kind, &k);
            self.compare(f.key(&k), u.key(&k), child, &k, &what, covering);
        }
    }

    fn compare_sets(
        &mut self,
        f: &Side<'a>,
        u: &Side<'a>,
        fa: &[Value],
        ua: &[Value],
        what: &str,
        covering: Option<usize>,
    ) {
        for (i, v) in fa.iter().enumerate() {
            if !ua.contains(v) {
                let message = format!("{what} has {} only here", show(Some(v)));
                self.differ(&f.index(i), u, covering, message);
            }
        }
        for (i, v) in ua.iter().enumerate() {
            if !fa.contains(v) {
                let message = format!("{what} has {} only upstream", show(Some(v)));
                self.differ(f, &u.index(i), covering, message);
            }
        }
    }

    fn compare_parameters(&mut self, f_op: &Operation<'a>, u_op: &Operation<'a>) {
        let fp = effective_parameters(self.frag, f_op);
        let up = effective_parameters(self.up, u_op);
        let f_list = Side::at(self.frag, pointer::join(&f_op.pointer, "parameters"));
        let u_list = Side::at(self.up, pointer::join(&u_op.pointer, "parameters"));
        for (name, fs) in &fp {
            match up.iter().find(|(n, _)| n == name) {
                Some((_, us)) => {
                    self.compare(fs.clone(), us.clone(), Kind::Keyword, "", name, None);
                }
                None => self.differ(fs, &u_list, None, format!("{name} only here")),
            }
        }
        for (name, us) in &up {
            if !fp.iter().any(|(n, _)| n == name) {
                self.differ(&f_list, us, None, format!("{name} only upstream"));
            }
        }
    }

    fn compare_security(&mut self, f_op: &Operation<'a>, u_op: &Operation<'a>) {
        let fs = effective_security(self.frag, f_op);
        let us = effective_security(self.up, u_op);
        let mut names = Vec::new();
        for side in [&fs, &us] {
            for requirement in side.value.and_then(Value::as_array).into_iter().flatten() {
                for name in requirement.as_object().into_iter().flat_map(|m| m.keys()) {
                    if !names.contains(name) {
                        names.push(name.clone());
                    }
                }
            }
        }
        self.compare(fs, us, Kind::Literal, "security", "`security`", None);
        for name in names {
            if !self.schemes.insert(name.clone()) {
                continue;
            }
            let ptr = pointer::join("/components/securitySchemes", &name);
            let what = format!("security scheme `{name}`");
            self.compare(
                Side::at(self.frag, ptr.clone()),
                Side::at(self.up, ptr),
                Kind::Keyword,
                "",
                &what,
                None,
            );
        }
    }

    fn unreached(&mut self) {
        for (i, d) in self.deviations.iter().enumerate() {
            if self.held[i].is_none() {
                let side = Side {
                    value: None,
                    ptr: d.pointer.clone(),
                };
                let message = format!(
                    "{} records a deviation here, but diff-upstream never gets here (a documentation key, an extension, or inside something that differs already)",
                    deviations::KEY
                );
                self.differ(&side, &side.clone(), None, message);
            }
        }
    }

    fn version_note(&mut self) {
        let ours = self
            .frag
            .pointer("/x-upstream/api-version")
            .and_then(Value::as_str);
        let theirs = self.up.pointer("/info/version").and_then(Value::as_str);
        if let (Some(ours), Some(theirs)) = (ours, theirs)
            && ours != theirs
        {
            self.report.notes.push(format!(
                "the fragment follows Clerk API version {ours}; the upstream file is version {theirs}"
            ));
        }
    }
}

/// Parameters in effect for an operation, named like "path parameter `id`": the path item's, then
/// the operation's, which override a path item parameter of the same name and location.
fn effective_parameters<'a>(doc: &'a Value, op: &Operation<'a>) -> Vec<(String, Side<'a>)> {
    let item = op.item_pointer();
    let mut out: Vec<(String, Side<'a>)> = Vec::new();
    for list in [
        Side::at(doc, pointer::join(item, "parameters")),
        Side::at(doc, pointer::join(&op.pointer, "parameters")),
    ] {
        let len = list.value.and_then(Value::as_array).map_or(0, Vec::len);
        for i in 0..len {
            let side = list.index(i);
            let name = match resolve(doc, side.clone()) {
                Ok(resolved) => {
                    let field = |k: &str| {
                        resolved
                            .value
                            .and_then(|v| v.get(k))
                            .and_then(Value::as_str)
                            .unwrap_or("?")
                            .to_string()
                    };
                    format!("{} parameter `{}`", field("in"), field("name"))
                }
                Err(_) => format!("unresolvable parameter at {}", side.ptr),
            };
            match out.iter_mut().find(|(n, _)| *n == name) {
                Some(slot) => slot.1 = side,
                None => out.push((name, side)),
            }
        }
    }
    out
}

/// The operation's own `security`, or else the document's.
fn effective_security<'a>(doc: &'a Value, op: &Operation<'a>) -> Side<'a> {
    match op.value.get("security") {
        Some(v) => Side {
            value: Some(v),
            ptr: pointer::join(&op.pointer, "security"),
        },
        None => Side::at(doc, "/security".into()),
    }
}
