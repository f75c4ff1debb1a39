//! The release check's logic: which version the changelog's entries since the last release
//! require, and whether a crate's version is bumped that much (`build-support release-check`,
//! CI step `.ci/steps/65-release.sh`).
//!
//! Pure functions on text: [`Changelog::parse`] reads `CHANGELOG.md` (Keep a Changelog, with
//! breaking changes under a `### Breaking` heading of their own), [`Manifest::parse`] reads the few
//! keys of a `Cargo.toml` the check needs, and [`check_crate`] compares a crate's version at the
//! last release with its version now. Reading files and git history is the binary's part.
//!
//! The bump each entry requires follows Cargo's reading of Semantic Versioning: before 1.0 a
//! breaking change bumps the minor version and anything else the patch version (in 0.0.z every
//! change is breaking and bumps the patch version); from 1.0 a breaking change bumps the major
//! version, an addition the minor version and anything else the patch version.
//!
//! ```
//! use build_support::release::{Changelog, Version, check_crate};
//!
//! let changelog = Changelog::parse(
//!     "## [Unreleased]\n\n### Breaking\n\n- `Error::Timeout` has a `phase`.\n",
//! )
//! .unwrap();
//! let baseline = Version::parse("0.1.0").unwrap();
//! let entries = changelog.entries_since(baseline).unwrap();
//! let current = Version::parse("0.1.1").unwrap();
//! let check = check_crate("clerk-actor-tokens", Some(baseline), current, &entries);
//! assert!(!check.is_ok());
//! assert_eq!(
//!     check.to_string(),
//!     "error: clerk-actor-tokens 0.1.0 -> 0.1.1: needs 0.2.0 for: `Error::Timeout` has a `phase`."
//! );
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

/// Why a changelog, a manifest or a version cannot be used, with the line when there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    /// The 1-based line of the text the problem is on, if it is on one.
    pub line: Option<usize>,
    /// What is wrong, in words.
    pub message: String,
}

impl InputError {
    fn new(message: impl Into<String>) -> Self {
        InputError {
            line: None,
            message: message.into(),
        }
    }

    fn at(line: usize, message: impl Into<String>) -> Self {
        InputError {
            line: Some(line),
            message: message.into(),
        }
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "line {line}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for InputError {}

/// A release version, `MAJOR.MINOR.PATCH`. Pre-release and build suffixes (`1.0.0-rc.1`,
/// `1.0.0+x`) are refused: the check cannot say what bump they stand for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    /// The major version.
    pub major: u64,
    /// The minor version.
    pub minor: u64,
    /// The patch version.
    pub patch: u64,
}

impl Version {
    /// A version from its three numbers.
    pub const fn new(major: u64, minor: u64, patch: u64) -> Self {
        Version {
            major,
            minor,
            patch,
        }
    }

    /// Parses `MAJOR.MINOR.PATCH` (decimal numbers, no leading zeros, nothing else).
    ///
    /// ```
    /// use build_support::release::Version;
    /// assert_eq!(Version::parse("0.2.0").unwrap(), Version::new(0, 2, 0));
    /// assert!(Version::parse("1.0.0-rc.1").is_err());
    /// assert!(Version::parse("1.0").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<Self, InputError> {
        if text.contains(['-', '+']) {
            return Err(InputError::new(format!(
                "version `{text}` has a pre-release or build suffix; release-check reads only \
                 MAJOR.MINOR.PATCH (it cannot tell what bump a pre-release stands for)"
            )));
        }
        let parts: Vec<&str> = text.split('.').collect();
        let number = |part: &str| -> Option<u64> {
            let digits = !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
            let leading_zero = part.len() > 1 && part.starts_with('0');
            if digits && !leading_zero {
                part.parse().ok()
            } else {
                None
            }
        };
        match parts.as_slice() {
            [major, minor, patch] => match (number(major), number(minor), number(patch)) {
                (Some(major), Some(minor), Some(patch)) => Ok(Version::new(major, minor, patch)),
                _ => Err(InputError::new(format!(
                    "version `{text}` is not MAJOR.MINOR.PATCH (decimal numbers without leading zeros)"
                ))),
            },
            _ => Err(InputError::new(format!(
                "version `{text}` is not MAJOR.MINOR.PATCH"
            ))),
        }
    }

    /// The smallest version after this one that may carry a change of `impact`, by Cargo's rules
    /// (see the [module documentation](self)).
    ///
    /// ```
    /// use build_support::release::{Impact, Version};
    /// let v = |s| Version::parse(s).unwrap();
    /// assert_eq!(v("0.1.3").required_for(Impact::Breaking), v("0.2.0"));
    /// assert_eq!(v("0.1.3").required_for(Impact::Additive), v("0.1.4"));
    /// assert_eq!(v("1.2.3").required_for(Impact::Breaking), v("2.0.0"));
    /// assert_eq!(v("1.2.3").required_for(Impact::Additive), v("1.3.0"));
    /// assert_eq!(v("1.2.3").required_for(Impact::Patch), v("1.2.4"));
    /// ```
    pub fn required_for(self, impact: Impact) -> Version {
        let Version {
            major,
            minor,
            patch,
        } = self;
        match impact {
            Impact::Breaking if major > 0 => Version::new(major + 1, 0, 0),
            Impact::Breaking if minor > 0 => Version::new(0, minor + 1, 0),
            Impact::Additive if major > 0 => Version::new(major, minor + 1, 0),
            // 0.0.z: every change is breaking, and the next patch version is incompatible.
            // 0.y.z: an addition is a patch. Any version: a fix is a patch.
            Impact::Breaking | Impact::Additive | Impact::Patch => {
                Version::new(major, minor, patch + 1)
            }
        }
    }
}

impl FromStr for Version {
    type Err = InputError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Version::parse(s)
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// What a change does to users, which decides the version bump it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Impact {
    /// Neither breaking nor additive (a fix, a change in behaviour users may rely on staying).
    Patch,
    /// New API that breaks no user (from 1.0, a minor bump).
    Additive,
    /// A user's code or behaviour may break.
    Breaking,
}

/// The `###` heading an entry is under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// `### Breaking`: the project's heading for breaking changes.
    Breaking,
    /// `### Added`.
    Added,
    /// `### Changed`.
    Changed,
    /// `### Deprecated`.
    Deprecated,
    /// `### Removed`.
    Removed,
    /// `### Fixed`.
    Fixed,
    /// `### Security`.
    Security,
}

impl Kind {
    /// Every heading, in the order Keep a Changelog lists them (after the project's `Breaking`).
    pub const ALL: [Kind; 7] = [
        Kind::Breaking,
        Kind::Added,
        Kind::Changed,
        Kind::Deprecated,
        Kind::Removed,
        Kind::Fixed,
        Kind::Security,
    ];

    /// The heading's text, as written after `### `.
    pub fn heading(self) -> &'static str {
        match self {
            Kind::Breaking => "Breaking",
            Kind::Added => "Added",
            Kind::Changed => "Changed",
            Kind::Deprecated => "Deprecated",
            Kind::Removed => "Removed",
            Kind::Fixed => "Fixed",
            Kind::Security => "Security",
        }
    }

    /// The kind for a heading's text (case-insensitive), `None` for any other heading.
    pub fn from_heading(text: &str) -> Option<Kind> {
        Kind::ALL
            .into_iter()
            .find(|k| k.heading().eq_ignore_ascii_case(text.trim()))
    }

    /// The impact of the entries under this heading: `Breaking` breaks, `Added` adds, the rest
    /// are patches (a removal or a change that breaks users belongs under `Breaking`).
    pub fn impact(self) -> Impact {
        match self {
            Kind::Breaking => Impact::Breaking,
            Kind::Added => Impact::Additive,
            Kind::Changed | Kind::Deprecated | Kind::Removed | Kind::Fixed | Kind::Security => {
                Impact::Patch
            }
        }
    }
}

/// One `- ` bullet of the changelog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The heading it is under.
    pub kind: Kind,
    /// Its first line without the bullet (the first non-empty line when the bullet's own line is
    /// empty); an entry that wraps continues on indented lines, which are not kept.
    pub first_line: String,
    /// The 1-based line of the bullet.
    pub line: usize,
}

/// Which release a `##` section describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Release {
    /// `## [Unreleased]`: the changes since the last release.
    Unreleased,
    /// `## [X.Y.Z] - date`.
    Version(Version),
}

impl fmt::Display for Release {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Release::Unreleased => f.write_str("Unreleased"),
            Release::Version(v) => write!(f, "{v}"),
        }
    }
}

/// One `##` section of the changelog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// The release it describes.
    pub release: Release,
    /// The 1-based line of its heading.
    pub line: usize,
    /// Its entries, in the order written.
    pub entries: Vec<Entry>,
    /// What in it cannot be read as entries of a known kind (an unknown `###` heading, a bullet
    /// under no heading, a numbered list), in the order written. Reported by
    /// [`Changelog::entries_since`] only when the section counts, so that an old section in
    /// another style does not stop the check.
    pub problems: Vec<InputError>,
}

/// A `CHANGELOG.md` in Keep a Changelog form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Changelog {
    /// The `##` sections, in the order written.
    pub sections: Vec<Section>,
}

/// Which `###` heading the lines being read are under.
#[derive(Clone, Copy)]
enum Under {
    /// None yet in this section.
    Nothing,
    Kind(Kind),
    /// A heading that is no [`Kind`] (recorded as a problem once).
    Unknown,
}

impl Changelog {
    /// Reads the sections and their entries.
    ///
    /// Everything before the first `##` heading is the preamble and is not read. After it, every
    /// `##` heading must be `[Unreleased]` or `[X.Y.Z]` (optionally followed by ` - date`), each
    /// at most once, or the text is refused with the line: which sections count depends on them.
    /// Inside a section every `###` heading must be one of [`Kind::ALL`] and every entry a bullet
    /// (`-`, `*` or `+` at the start of a line or after one space) under such a heading; anything
    /// else is kept in [`Section::problems`] rather than guessed at (a misspelt heading would
    /// otherwise count its entries as the wrong kind). Lines in fenced code blocks are skipped.
    pub fn parse(text: &str) -> Result<Self, InputError> {
        let mut sections: Vec<Section> = Vec::new();
        let mut under = Under::Nothing;
        // The entry whose first line is still empty (a bullet with nothing after the marker).
        let mut open_entry = false;
        let mut fence: Option<&str> = None;
        for (index, line) in text.lines().enumerate() {
            let number = index + 1;
            let trimmed = line.trim_start();
            if let Some(marker) = fence {
                if trimmed.starts_with(marker) {
                    fence = None;
                }
                continue;
            }
            if let Some(marker) = ["```", "~~~"].into_iter().find(|m| trimmed.starts_with(m)) {
                fence = Some(marker);
                continue;
            }
            if let Some(heading) = line.strip_prefix("## ") {
                let release = parse_release_heading(heading)
                    .map_err(|message| InputError::at(number, message))?;
                if let Some(earlier) = sections.iter().find(|s| s.release == release) {
                    return Err(InputError::at(
                        number,
                        format!(
                            "a second `[{release}]` section (the first is on line {})",
                            earlier.line
                        ),
                    ));
                }
                sections.push(Section {
                    release,
                    line: number,
                    entries: Vec::new(),
                    problems: Vec::new(),
                });
                under = Under::Nothing;
                open_entry = false;
                continue;
            }
            let Some(section) = sections.last_mut() else {
                // The preamble.
                continue;
            };
            if let Some(hashes) = ["###", "##"].into_iter().find(|h| line.starts_with(h))
                && !line[hashes.len()..].starts_with([' ', '#'])
                && !line[hashes.len()..].trim().is_empty()
            {
                return Err(InputError::at(
                    number,
                    format!("`{}`: a heading needs a space after its `#`s", line.trim()),
                ));
            }
            if let Some(heading) = line.strip_prefix("### ") {
                under = match Kind::from_heading(heading) {
                    Some(kind) => Under::Kind(kind),
                    None => {
                        let known: Vec<&str> = Kind::ALL.iter().map(|k| k.heading()).collect();
                        section.problems.push(InputError::at(
                            number,
                            format!(
                                "`### {}` is not a heading release-check knows (it knows {}), so \
                                 the bump its entries need is unknown",
                                heading.trim(),
                                known.join(", ")
                            ),
                        ));
                        Under::Unknown
                    }
                };
                open_entry = false;
                continue;
            }
            if let Some(rest) = bullet(line) {
                open_entry = false;
                match under {
                    Under::Kind(kind) => {
                        let first_line = rest.trim().to_string();
                        open_entry = first_line.is_empty();
                        section.entries.push(Entry {
                            kind,
                            first_line,
                            line: number,
                        });
                    }
                    Under::Nothing => section.problems.push(InputError::at(
                        number,
                        format!(
                            "an entry of `[{}]` under no `###` heading, so the bump it needs \
                             is unknown",
                            section.release
                        ),
                    )),
                    Under::Unknown => {}
                }
                continue;
            }
            if trimmed.is_empty() {
                continue;
            }
            if ordered_item(line) {
                section.problems.push(InputError::at(
                    number,
                    "a numbered entry: entries are `- ` bullets (release-check reads no other list)",
                ));
                open_entry = false;
                continue;
            }
            if line.starts_with([' ', '\t']) {
                // A continuation line of the entry above.
                if open_entry && let Some(entry) = section.entries.last_mut() {
                    entry.first_line = trimmed.trim_end().to_string();
                    open_entry = false;
                }
                continue;
            }
            // Prose, a deeper heading or a link definition: it ends the entry above.
            open_entry = false;
        }
        Ok(Changelog { sections })
    }

    /// The `[Unreleased]` section, if there is one.
    pub fn unreleased(&self) -> Option<&Section> {
        self.sections
            .iter()
            .find(|s| s.release == Release::Unreleased)
    }

    /// The `[Unreleased]` section, or why a changelog without one is refused: changes since the
    /// last release are entered there, and releasing starts a new (empty) one.
    pub fn require_unreleased(&self) -> Result<&Section, InputError> {
        self.unreleased().ok_or_else(|| {
            InputError::new(
                "no `## [Unreleased]` section: changes since the last release are entered there \
                 (releasing renames it to `## [X.Y.Z] - date` and starts a new, empty one)",
            )
        })
    }

    /// The entries since the release `baseline`: those of `[Unreleased]` and of every released
    /// section whose version is newer than `baseline`. An error when there is no `[Unreleased]`
    /// section (see [`Changelog::require_unreleased`]) or when one of these sections has a
    /// [problem](Section::problems) (the first is returned).
    pub fn entries_since(&self, baseline: Version) -> Result<Vec<&Entry>, InputError> {
        self.require_unreleased()?;
        let counted: Vec<&Section> = self
            .sections
            .iter()
            .filter(|s| match s.release {
                Release::Unreleased => true,
                Release::Version(v) => v > baseline,
            })
            .collect();
        if let Some(problem) = counted.iter().flat_map(|s| &s.problems).next() {
            return Err(problem.clone());
        }
        Ok(counted.iter().flat_map(|s| &s.entries).collect())
    }
}

/// `[Unreleased]` or `[X.Y.Z]`, optionally followed by ` - date` (or other words after a space).
fn parse_release_heading(heading: &str) -> Result<Release, String> {
    let heading = heading.trim();
    let refuse = || {
        format!(
            "`## {heading}` is not a release heading (`## [Unreleased]` or `## [X.Y.Z] - date`)"
        )
    };
    let inner = heading.strip_prefix('[').ok_or_else(refuse)?;
    let (name, rest) = inner.split_once(']').ok_or_else(refuse)?;
    if !(rest.is_empty() || rest.starts_with(' ')) {
        return Err(refuse());
    }
    if name.trim().eq_ignore_ascii_case("unreleased") {
        return Ok(Release::Unreleased);
    }
    Version::parse(name.trim())
        .map(Release::Version)
        .map_err(|e| format!("`## {heading}`: {e}"))
}

/// The text after a bullet marker (`-`, `*` or `+`) at the start of the line or after one space
/// (a list item indented by two or more spaces is nested in the entry above it).
fn bullet(line: &str) -> Option<&str> {
    let line = line.strip_prefix(' ').unwrap_or(line);
    let rest = line.strip_prefix(['-', '*', '+'])?;
    (rest.is_empty() || rest.starts_with([' ', '\t'])).then_some(rest)
}

/// Whether the line starts an ordered list item (`1. `, `2) `) at the start or after one space.
fn ordered_item(line: &str) -> bool {
    let line = line.strip_prefix(' ').unwrap_or(line);
    let digits = line.bytes().take_while(u8::is_ascii_digit).count();
    digits > 0
        && line[digits..]
            .strip_prefix(['.', ')'])
            .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t']))
}

/// How a crate's version compares with what the entries since the last release require.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The crate has no version at the last release: any version is fine.
    NewCrate,
    /// The version is bumped at least as much as required.
    Enough {
        /// The smallest version the entries allow (the baseline version when there are none).
        required: Version,
        /// The headings of the entries that require `required`, in the order first seen; empty
        /// when no entry requires anything.
        because: Vec<Kind>,
    },
    /// The version is bumped less than required.
    TooSmall {
        /// The smallest version the entries allow.
        required: Version,
        /// The versions that the current one falls short of, highest first, each with the first
        /// lines of the entries that require it. Empty when there are no entries and the
        /// version went below the baseline version.
        missing: Vec<(Version, Vec<String>)>,
    },
}

/// The release check of one crate; its `Display` is the line `release-check` prints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrateCheck {
    /// The package name.
    pub name: String,
    /// Its version at the last release, `None` when it did not exist then.
    pub baseline: Option<Version>,
    /// Its version now.
    pub current: Version,
    /// The outcome.
    pub verdict: Verdict,
}

impl CrateCheck {
    /// Whether the version is bumped enough.
    pub fn is_ok(&self) -> bool {
        !matches!(self.verdict, Verdict::TooSmall { .. })
    }
}

impl fmt::Display for CrateCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let CrateCheck {
            name,
            baseline,
            current,
            verdict,
        } = self;
        let baseline = baseline.map_or_else(|| "none".to_string(), |b| b.to_string());
        match verdict {
            Verdict::NewCrate => write!(
                f,
                "ok: {name} {current} (not in the last release: any version is fine)"
            ),
            Verdict::Enough { because, .. } if because.is_empty() => write!(
                f,
                "ok: {name} {baseline} -> {current} (no entries since {baseline}: nothing needed)"
            ),
            Verdict::Enough { required, because } => {
                let headings: Vec<String> =
                    because.iter().map(|k| k.heading().to_lowercase()).collect();
                write!(
                    f,
                    "ok: {name} {baseline} -> {current} ({} entries need {required})",
                    and_list(&headings)
                )
            }
            Verdict::TooSmall { missing, .. } if missing.is_empty() => write!(
                f,
                "error: {name} {baseline} -> {current}: lower than its version at the last release"
            ),
            Verdict::TooSmall { missing, .. } => {
                write!(f, "error: {name} {baseline} -> {current}: ")?;
                for (i, (version, entries)) in missing.iter().enumerate() {
                    if i > 0 {
                        f.write_str("; ")?;
                    }
                    write!(f, "needs {version} for: {}", entries.join(" | "))?;
                }
                Ok(())
            }
        }
    }
}

/// `a`, `a and b`, `a, b and c`.
fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// Compares the crate `name`'s version at the last release (`baseline`, `None` when it did not
/// exist then) with its version now, against `entries`, the changelog's entries since that
/// release (see [`Changelog::entries_since`]).
///
/// The version must be at least the highest version any entry requires (see
/// [`Version::required_for`]), and never below the baseline version.
pub fn check_crate(
    name: &str,
    baseline: Option<Version>,
    current: Version,
    entries: &[&Entry],
) -> CrateCheck {
    let Some(baseline_version) = baseline else {
        return CrateCheck {
            name: name.to_string(),
            baseline,
            current,
            verdict: Verdict::NewCrate,
        };
    };
    // Each required version with the entries that require it, in the order written.
    let mut by_version: BTreeMap<Version, Vec<&Entry>> = BTreeMap::new();
    for entry in entries {
        by_version
            .entry(baseline_version.required_for(entry.kind.impact()))
            .or_default()
            .push(entry);
    }
    let required = by_version
        .keys()
        .next_back()
        .copied()
        .unwrap_or(baseline_version);
    let verdict = if current >= required {
        let mut because: Vec<Kind> = Vec::new();
        for entry in by_version.get(&required).into_iter().flatten() {
            if !because.contains(&entry.kind) {
                because.push(entry.kind);
            }
        }
        Verdict::Enough { required, because }
    } else {
        let missing = by_version
            .iter()
            .rev()
            .filter(|(version, _)| **version > current)
            .map(|(version, entries)| {
                let lines = entries.iter().map(|e| e.first_line.clone()).collect();
                (*version, lines)
            })
            .collect();
        Verdict::TooSmall { required, missing }
    };
    CrateCheck {
        name: name.to_string(),
        baseline,
        current,
        verdict,
    }
}

/// The keys of a `Cargo.toml` that the release check reads: the `[package]` name, version and
/// `publish`, the `[workspace]` members and the `[workspace.package]` version and `publish`.
/// Read with the `toml` crate; another form of these keys than Cargo's is refused, not guessed at.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Manifest {
    table: toml::Table,
}

/// Where a package's version comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PackageVersion {
    /// `version = "X.Y.Z"`.
    Literal(Version),
    /// `version.workspace = true`: the workspace's `[workspace.package]` version.
    Workspace,
}

impl Manifest {
    /// Reads a manifest.
    pub fn parse(text: &str) -> Result<Self, InputError> {
        let table = text
            .parse::<toml::Table>()
            .map_err(|e| InputError::new(crate::one_line(e.message())))?;
        Ok(Manifest { table })
    }

    /// The value at a dotted path of tables (`package.version`).
    fn get(&self, key: &str) -> Option<&toml::Value> {
        let mut parts = key.split('.');
        let mut value = self.table.get(parts.next()?)?;
        for part in parts {
            value = value.as_table()?.get(part)?;
        }
        Some(value)
    }

    /// Whether the manifest has a `[package]` table.
    pub fn has_package(&self) -> bool {
        self.table.contains_key("package")
    }

    /// The `[package]` name.
    pub fn package_name(&self) -> Result<&str, InputError> {
        match self.get("package.name") {
            Some(toml::Value::String(name)) => Ok(name),
            Some(_) => Err(InputError::new("`name` is not a string")),
            None => Err(InputError::new("no `name` in `[package]`")),
        }
    }

    /// The `[package]` version, or that it is the workspace's.
    pub fn package_version(&self) -> Result<PackageVersion, InputError> {
        match self.get("package.version") {
            Some(toml::Value::String(v)) => Version::parse(v).map(PackageVersion::Literal),
            Some(toml::Value::Table(t)) => match t.get("workspace") {
                Some(toml::Value::Boolean(true)) => Ok(PackageVersion::Workspace),
                _ => Err(InputError::new("`version.workspace` is not `true`")),
            },
            Some(_) => Err(InputError::new(
                "`version` is neither a string nor `version.workspace = true`",
            )),
            None => Err(InputError::new("no `version` in `[package]`")),
        }
    }

    /// The `[workspace.package]` version, which members inherit with `version.workspace = true`.
    pub fn workspace_version(&self) -> Result<Version, InputError> {
        match self.get("workspace.package.version") {
            Some(toml::Value::String(v)) => Version::parse(v),
            Some(_) => Err(InputError::new("`version` is not a string")),
            None => Err(InputError::new("no `version` in `[workspace.package]`")),
        }
    }

    /// The package's version, with `version.workspace = true` read from `workspace`, the
    /// workspace root's manifest.
    pub fn resolved_version(&self, workspace: &Manifest) -> Result<Version, InputError> {
        match self.package_version()? {
            PackageVersion::Literal(v) => Ok(v),
            PackageVersion::Workspace => workspace.workspace_version().map_err(|e| InputError {
                line: None,
                message: format!("`version.workspace = true`, but the workspace's Cargo.toml: {e}"),
            }),
        }
    }

    /// Whether the package may be published: `false` for `publish = false` and `publish = []`,
    /// with `publish.workspace = true` read from `workspace`, the workspace root's manifest.
    pub fn publishable(&self, workspace: &Manifest) -> Result<bool, InputError> {
        let publish = |value: Option<&toml::Value>| match value {
            None | Some(toml::Value::Boolean(true)) => Ok(true),
            Some(toml::Value::Boolean(false)) => Ok(false),
            Some(toml::Value::Array(registries)) => Ok(!registries.is_empty()),
            Some(_) => Err(InputError::new("cannot read `publish`")),
        };
        match self.get("package.publish") {
            Some(toml::Value::Table(t)) => match t.get("workspace") {
                Some(toml::Value::Boolean(true)) => {
                    publish(workspace.get("workspace.package.publish"))
                }
                _ => Err(InputError::new("`publish.workspace` is not `true`")),
            },
            other => publish(other),
        }
    }

    /// The directories of the workspace's packages, relative to the root and without `./` or a
    /// trailing `/`: the `[workspace]` members, and `.` when the root manifest has a `[package]`
    /// too (or is a package without a workspace). Glob members are refused: the check lists its
    /// crates exactly.
    pub fn package_dirs(&self) -> Result<Vec<String>, InputError> {
        let mut dirs = Vec::new();
        if self.has_package() {
            dirs.push(".".to_string());
        }
        match self.get("workspace.members") {
            None => {}
            Some(toml::Value::Array(members)) => {
                for member in members {
                    let Some(member) = member.as_str() else {
                        return Err(InputError::new("`members` is not an array of strings"));
                    };
                    if member.contains(['*', '?', '[']) {
                        return Err(InputError::new(format!(
                            "workspace member `{member}` is a glob; release-check needs the \
                             members listed one by one"
                        )));
                    }
                    let mut dir = member.trim_end_matches('/');
                    while let Some(rest) = dir.strip_prefix("./") {
                        dir = rest;
                    }
                    let dir = if dir.is_empty() { "." } else { dir };
                    if !dirs.iter().any(|d| d == dir) {
                        dirs.push(dir.to_string());
                    }
                }
            }
            Some(_) => return Err(InputError::new("`members` is not an array of strings")),
        }
        Ok(dirs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap()
    }

    /// The release check of crate `c` from `baseline` to `current` against `changelog`.
    fn run(changelog: &str, baseline: &str, current: &str) -> CrateCheck {
        let changelog = Changelog::parse(changelog).unwrap();
        let entries = changelog.entries_since(v(baseline)).unwrap();
        check_crate("c", Some(v(baseline)), v(current), &entries)
    }

    const BREAKING: &str = "# Changelog\n\nIntro.\n\n## [Unreleased]\n\n### Breaking\n\n\
        - `Error::Timeout` has a `phase`.\n- `revoke` accepts only Clerk's id format.\n\n\
        ### Fixed\n\n- a retry ends at the deadline.\n";

    #[test]
    fn a_breaking_entry_with_a_patch_bump_fails_and_names_the_entry() {
        let check = run(BREAKING, "0.1.0", "0.1.1");
        assert!(!check.is_ok());
        assert_eq!(
            check.to_string(),
            "error: c 0.1.0 -> 0.1.1: needs 0.2.0 for: `Error::Timeout` has a `phase`. | \
             `revoke` accepts only Clerk's id format."
        );
    }

    #[test]
    fn a_breaking_entry_with_a_minor_bump_passes_before_1_0() {
        let check = run(BREAKING, "0.1.0", "0.2.0");
        assert!(check.is_ok());
        assert_eq!(
            check.to_string(),
            "ok: c 0.1.0 -> 0.2.0 (breaking entries need 0.2.0)"
        );
        // A bigger bump is fine too.
        assert!(run(BREAKING, "0.1.0", "1.0.0").is_ok());
        assert!(run(BREAKING, "0.1.3", "0.2.0").is_ok());
    }

    #[test]
    fn from_1_0_a_breaking_entry_needs_a_major_bump() {
        assert!(!run(BREAKING, "1.2.3", "1.3.0").is_ok());
        assert!(!run(BREAKING, "1.2.3", "1.2.4").is_ok());
        let check = run(BREAKING, "1.2.3", "2.0.0");
        assert_eq!(
            check.to_string(),
            "ok: c 1.2.3 -> 2.0.0 (breaking entries need 2.0.0)"
        );
    }

    const ADDED: &str = "## [Unreleased]\n\n### Added\n\n- `TimeoutPhase`.\n\n\
        ### Fixed\n\n- a fix.\n";

    #[test]
    fn from_1_0_an_added_entry_needs_a_minor_bump() {
        let check = run(ADDED, "1.2.3", "1.2.4");
        assert_eq!(
            check.to_string(),
            "error: c 1.2.3 -> 1.2.4: needs 1.3.0 for: `TimeoutPhase`."
        );
        assert_eq!(
            run(ADDED, "1.2.3", "1.3.0").to_string(),
            "ok: c 1.2.3 -> 1.3.0 (added entries need 1.3.0)"
        );
    }

    #[test]
    fn before_1_0_an_added_entry_needs_a_patch_bump() {
        assert_eq!(
            run(ADDED, "0.1.0", "0.1.1").to_string(),
            "ok: c 0.1.0 -> 0.1.1 (added and fixed entries need 0.1.1)"
        );
        assert!(!run(ADDED, "0.1.0", "0.1.0").is_ok());
    }

    #[test]
    fn each_missing_bump_is_named_with_its_entries() {
        let both = "## [Unreleased]\n### Added\n- new thing\n### Breaking\n- gone thing\n\
            ### Fixed\n- fixed thing\n";
        assert_eq!(
            run(both, "1.2.3", "1.2.3").to_string(),
            "error: c 1.2.3 -> 1.2.3: needs 2.0.0 for: gone thing; needs 1.3.0 for: new thing; \
             needs 1.2.4 for: fixed thing"
        );
        assert_eq!(
            run(both, "1.2.3", "1.2.4").to_string(),
            "error: c 1.2.3 -> 1.2.4: needs 2.0.0 for: gone thing; needs 1.3.0 for: new thing"
        );
    }

    #[test]
    fn fixed_only_needs_a_patch_bump() {
        let fixed = "## [Unreleased]\n\n### Fixed\n\n- a fix.\n\n### Security\n\n- a patch.\n";
        for (baseline, current) in [("0.1.0", "0.1.1"), ("1.2.3", "1.2.4")] {
            let check = run(fixed, baseline, current);
            assert_eq!(
                check.to_string(),
                format!(
                    "ok: c {baseline} -> {current} (fixed and security entries need {current})"
                )
            );
        }
        assert_eq!(
            run(fixed, "1.2.3", "1.2.3").to_string(),
            "error: c 1.2.3 -> 1.2.3: needs 1.2.4 for: a fix. | a patch."
        );
    }

    #[test]
    fn every_other_heading_needs_a_patch_bump() {
        for kind in [
            Kind::Changed,
            Kind::Deprecated,
            Kind::Removed,
            Kind::Fixed,
            Kind::Security,
        ] {
            let text = format!("## [Unreleased]\n### {}\n- x\n", kind.heading());
            assert!(run(&text, "1.0.0", "1.0.1").is_ok(), "{kind:?}");
            assert!(!run(&text, "1.0.0", "1.0.0").is_ok(), "{kind:?}");
        }
    }

    #[test]
    fn an_empty_unreleased_section_needs_nothing() {
        for text in [
            "## [Unreleased]\n",
            "## [Unreleased]\n\n### Breaking\n\n### Added\n\nNothing yet.\n",
        ] {
            let check = run(text, "0.1.0", "0.1.0");
            assert!(check.is_ok());
            assert_eq!(
                check.to_string(),
                "ok: c 0.1.0 -> 0.1.0 (no entries since 0.1.0: nothing needed)"
            );
        }
        // But the version never goes below the last release's.
        let lower = run("## [Unreleased]\n", "0.2.0", "0.1.9");
        assert!(!lower.is_ok());
        assert_eq!(
            lower.to_string(),
            "error: c 0.2.0 -> 0.1.9: lower than its version at the last release"
        );
    }

    const RELEASED: &str = "## [Unreleased]\n\n### Fixed\n\n- unreleased fix\n\n\
        ## [0.3.0] - 2027-01-10\n\n### Added\n\n- added in 0.3.0\n\n\
        ## [0.2.0] - 2026-12-10\n\n### Breaking\n\n- broke in 0.2.0\n\n\
        ## [0.1.0] - 2026-11-01\n\n### Breaking\n\n- broke in 0.1.0\n\n\
        [Unreleased]: https://example.com/compare/v0.3.0...HEAD\n\
        [0.3.0]: https://example.com/compare/v0.2.0...v0.3.0\n";

    #[test]
    fn released_sections_newer_than_the_baseline_count() {
        let changelog = Changelog::parse(RELEASED).unwrap();
        let lines = |baseline| -> Vec<&str> {
            changelog
                .entries_since(v(baseline))
                .unwrap()
                .iter()
                .map(|e| e.first_line.as_str())
                .collect()
        };
        assert_eq!(
            lines("0.1.0"),
            ["unreleased fix", "added in 0.3.0", "broke in 0.2.0"]
        );
        assert_eq!(lines("0.2.0"), ["unreleased fix", "added in 0.3.0"]);
        assert_eq!(lines("0.3.0"), ["unreleased fix"]);
        // From 0.1.0 the breaking entry of 0.2.0 counts ...
        assert_eq!(
            run(RELEASED, "0.1.0", "0.1.5").to_string(),
            "error: c 0.1.0 -> 0.1.5: needs 0.2.0 for: broke in 0.2.0"
        );
        // ... from 0.2.0 it does not, nor does the one of 0.1.0.
        assert_eq!(
            run(RELEASED, "0.2.0", "0.2.1").to_string(),
            "ok: c 0.2.0 -> 0.2.1 (fixed and added entries need 0.2.1)"
        );
    }

    #[test]
    fn a_wrapped_entry_gives_its_first_line() {
        let text = "## [Unreleased]\n\n### Breaking\n\n\
            - `clerk-actor-tokens`: `Error::Timeout` has a `phase` (`TimeoutPhase`: not started, token\n  \
            provider, connect, response); only a timeout after the request was handed to a connection makes\n  \
            a create ambiguous.\n\
            - `clerk-actor-tokens-cli`: a create for a user the instance does not have exits 8 (was 4 or 1).\n\
            -\n  an entry that starts on its second line\n";
        let changelog = Changelog::parse(text).unwrap();
        let entries = &changelog.sections[0].entries;
        let lines: Vec<(&str, usize)> = entries
            .iter()
            .map(|e| (e.first_line.as_str(), e.line))
            .collect();
        assert_eq!(
            lines,
            [
                (
                    "`clerk-actor-tokens`: `Error::Timeout` has a `phase` (`TimeoutPhase`: not started, token",
                    5
                ),
                (
                    "`clerk-actor-tokens-cli`: a create for a user the instance does not have exits 8 (was 4 or 1).",
                    8
                ),
                ("an entry that starts on its second line", 9),
            ]
        );
        assert!(entries.iter().all(|e| e.kind == Kind::Breaking));
    }

    #[test]
    fn a_missing_unreleased_section_is_unusable() {
        let changelog = Changelog::parse("# Changelog\n\n## [0.1.0] - 2026-01-01\n").unwrap();
        let err = changelog.entries_since(v("0.1.0")).unwrap_err();
        assert!(
            err.message.contains("no `## [Unreleased]` section"),
            "{err}"
        );
    }

    #[test]
    fn what_the_parser_refuses_names_its_line() {
        let cases = [
            ("## Unreleased\n", 1, "not a release heading"),
            (
                "## [Unreleased]\n## [unreleased]\n",
                2,
                "a second `[Unreleased]` section",
            ),
            ("## [1.0.0-rc.1] - 2027-01-01\n", 1, "pre-release"),
            ("## [1.0] - 2027-01-01\n", 1, "not MAJOR.MINOR.PATCH"),
            ("## [Unreleased]\n###Added\n", 2, "a heading needs a space"),
        ];
        for (text, line, message) in cases {
            let err = Changelog::parse(text).unwrap_err();
            assert_eq!(err.line, Some(line), "{text:?}: {err}");
            assert!(err.message.contains(message), "{text:?}: {err}");
        }
    }

    #[test]
    fn entries_of_an_unknown_kind_are_refused_where_they_count() {
        let cases = [
            ("### Braking\n- x\n", 3, "`### Braking` is not a heading"),
            ("- x\n", 3, "under no `###` heading"),
            ("### Fixed\n1. x\n", 4, "a numbered entry"),
        ];
        for (body, line, message) in cases {
            // In [Unreleased]: refused.
            let text = format!("## [Unreleased]\n\n{body}");
            let changelog = Changelog::parse(&text).unwrap();
            let err = changelog.entries_since(v("0.1.0")).unwrap_err();
            assert_eq!(err.line, Some(line), "{text:?}: {err}");
            assert!(err.message.contains(message), "{text:?}: {err}");
            // In a section older than the baseline: it does not count, so it does not matter.
            let text = format!("## [Unreleased]\n## [0.1.0] - 2026-01-01\n{body}");
            let changelog = Changelog::parse(&text).unwrap();
            assert_eq!(
                changelog.entries_since(v("0.1.0")).unwrap(),
                Vec::<&Entry>::new()
            );
            assert!(changelog.entries_since(v("0.0.9")).is_err(), "{text:?}");
        }
    }

    #[test]
    fn the_preamble_and_code_blocks_are_not_read() {
        let text = "# Changelog\n\n- not an entry\n### Whatever\n\n## [Unreleased]\n\n### Fixed\n\n\
            ```\n## not a heading\n- not an entry\n```\n- an entry\n";
        let changelog = Changelog::parse(text).unwrap();
        assert_eq!(changelog.sections.len(), 1);
        let lines: Vec<&str> = changelog.sections[0]
            .entries
            .iter()
            .map(|e| e.first_line.as_str())
            .collect();
        assert_eq!(lines, ["an entry"]);
    }

    #[test]
    fn the_workspace_changelog_parses() {
        let text = include_str!("../../CHANGELOG.md");
        let changelog = Changelog::parse(text).unwrap();
        let unreleased = changelog.unreleased().expect("an [Unreleased] section");
        assert!(!unreleased.entries.is_empty());
    }

    #[test]
    fn versions() {
        assert_eq!(v("10.20.30"), Version::new(10, 20, 30));
        for bad in [
            "",
            "1",
            "1.2",
            "1.2.3.4",
            "01.2.3",
            "1.a.3",
            " 1.2.3",
            "1.2.3-alpha",
            "1.2.3+b",
        ] {
            assert!(Version::parse(bad).is_err(), "{bad:?}");
        }
        assert!(v("0.10.0") > v("0.9.9"));
        // 0.0.z: every change is breaking, the next patch is incompatible.
        assert_eq!(v("0.0.3").required_for(Impact::Breaking), v("0.0.4"));
        assert_eq!(v("0.0.3").required_for(Impact::Patch), v("0.0.4"));
        assert_eq!(v("0.1.3").required_for(Impact::Patch), v("0.1.4"));
    }

    #[test]
    fn a_crate_without_a_baseline_version_may_have_any_version() {
        let changelog = Changelog::parse(BREAKING).unwrap();
        let entries = changelog.entries_since(v("0.1.0")).unwrap();
        let check = check_crate("new", None, v("0.1.0"), &entries);
        assert!(check.is_ok());
        assert_eq!(
            check.to_string(),
            "ok: new 0.1.0 (not in the last release: any version is fine)"
        );
    }

    #[test]
    fn manifests() {
        let text = r#"# A comment
[package]
name = "clerk-actor-tokens" # the SDK
version = "0.2.0"
description = """
version = "9.9.9"
[workspace]
"""
edition.workspace = true

[dependencies]
version = "1"
"#;
        let m = Manifest::parse(text).unwrap();
        assert_eq!(m.package_name().unwrap(), "clerk-actor-tokens");
        assert_eq!(
            m.package_version().unwrap(),
            PackageVersion::Literal(v("0.2.0"))
        );
        assert!(m.publishable(&Manifest::default()).unwrap());
        assert_eq!(m.package_dirs().unwrap(), ["."]);

        let root = Manifest::parse(
            "[workspace]\nmembers = [\n  \"a\", # first\n  \"./b/\",\n  \"a\",\n]\n\n\
             [workspace.package]\nversion = '1.2.3'\npublish = false\n",
        )
        .unwrap();
        assert_eq!(root.package_dirs().unwrap(), ["a", "b"]);
        assert!(!root.has_package());
        for member in [
            "[package]\nname = \"a\"\nversion.workspace = true\npublish.workspace = true\n",
            "[package]\nname = \"a\"\nversion = { workspace = true }\npublish = { workspace = true }\n",
        ] {
            let m = Manifest::parse(member).unwrap();
            assert_eq!(m.package_version().unwrap(), PackageVersion::Workspace);
            assert_eq!(m.resolved_version(&root).unwrap(), v("1.2.3"));
            assert!(!m.publishable(&root).unwrap());
            assert!(m.publishable(&Manifest::default()).unwrap());
        }
        for (publish, expected) in [("false", false), ("[]", false), ("[\"internal\"]", true)] {
            let m = Manifest::parse(&format!("[package]\nname = \"a\"\npublish = {publish}\n"))
                .unwrap();
            assert_eq!(m.publishable(&root).unwrap(), expected, "{publish}");
        }
    }

    #[test]
    fn manifests_the_check_cannot_read_are_refused() {
        let pre = Manifest::parse("[package]\nname = \"a\"\nversion = \"0.2.0-rc.1\"\n").unwrap();
        let err = pre.package_version().unwrap_err();
        assert!(err.message.contains("pre-release"), "{err}");
        let none = Manifest::parse("[package]\nname = \"a\"\n").unwrap();
        assert!(none.package_version().is_err());
        let glob = Manifest::parse("[workspace]\nmembers = [\"crates/*\"]\n").unwrap();
        assert!(glob.package_dirs().unwrap_err().message.contains("glob"));
        assert!(Manifest::parse("[package\n").is_err());
        assert!(Manifest::parse("[package]\nname\n").is_err());
    }

    #[test]
    fn the_workspace_manifests_parse() {
        let root = Manifest::parse(include_str!("../../Cargo.toml")).unwrap();
        let dirs = root.package_dirs().unwrap();
        assert!(dirs.iter().any(|d| d == "build-support"), "{dirs:?}");
        let this = Manifest::parse(include_str!("../Cargo.toml")).unwrap();
        assert_eq!(this.package_name().unwrap(), "build-support");
        assert_eq!(
            this.resolved_version(&root).unwrap().to_string(),
            env!("CARGO_PKG_VERSION")
        );
        assert!(this.publishable(&root).unwrap());
    }
}
