//! `build-support`: the spec tooling of the workspace (`cargo run -p build-support -- <command>`).
//!
//! Exit status: 0 when all is well, 1 when the check found something (a broken rule, drift, an
//! out-of-date snapshot), 2 when the input cannot be used at all (unreadable file, bad YAML, bad
//! arguments). This binary is the only user of clap (feature `cli`), so the SDK's build script never
//! compiles it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{self, ExitCode};

use build_support::diff::{self, Verdict};
use build_support::release::{self, Changelog, Manifest};
use build_support::snapshot::{self, SnapshotError};
use build_support::spec::operations;
use build_support::{Fragment, SpecError, extract, one_line, rules};
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "build-support",
    version,
    about = "Checks, compares and extracts the Clerk OpenAPI fragment the SDK is generated from"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Checks the fragment with the same rules build.rs applies.
    Check {
        /// The fragment [default: openapi/clerk-actor-tokens.yaml of this workspace].
        #[arg(long)]
        fragment: Option<PathBuf>,
        /// Lists the rules instead.
        #[arg(long)]
        list: bool,
    },
    /// Compares the fragment's operations with the same operations in Clerk's full spec.
    DiffUpstream {
        /// Clerk's full Backend API spec (YAML or JSON).
        upstream: PathBuf,
        /// The fragment [default: openapi/clerk-actor-tokens.yaml of this workspace].
        #[arg(long)]
        fragment: Option<PathBuf>,
    },
    /// Writes a new fragment with the given operations and everything they reference.
    Extract {
        /// Clerk's full Backend API spec (YAML or JSON).
        upstream: PathBuf,
        /// operationId of an operation to extract (repeatable).
        #[arg(long = "operation", value_name = "OPERATION_ID", required_unless_present = "all", conflicts_with = "all", num_args = 1..)]
        operations: Vec<String>,
        /// Every operation that passes the build rules on its own; lists the others with what
        /// needs a decision by hand.
        #[arg(long)]
        all: bool,
        /// Re-apply this fragment's x-local-deviations where Clerk's value still matches the record.
        #[arg(long, value_name = "FRAGMENT")]
        keep_deviations: Option<PathBuf>,
        /// Where to write the fragment [default: standard output].
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Compares the checked-in generated code (the client and the typed httpmock extension) with
    /// what the build scripts generate now.
    Snapshot {
        /// Rewrites the snapshot instead.
        #[arg(long)]
        bless: bool,
        /// The fragment [default: openapi/clerk-actor-tokens.yaml of this workspace].
        #[arg(long)]
        fragment: Option<PathBuf>,
        /// Only this snapshot of the client [default: both snapshots of this workspace,
        /// clerk-actor-tokens/generated/client.rs and clerk-actor-tokens-httpmock/generated/mock.rs].
        #[arg(long)]
        snapshot: Option<PathBuf>,
    },
    /// Brings the fragment up to a new version of Clerk's spec: extracts its operations, keeps
    /// its recorded deviations and its own descriptions, regenerates both snapshots, writes a
    /// CHANGELOG.md entry, and prints what the change does to users, one line per public item,
    /// then a verdict. Exit status: 0 applied (or nothing to apply), 1 a person must decide
    /// (one `decide:` line each; nothing written), 2 unusable input.
    Update {
        /// Clerk's full Backend API spec (YAML or JSON).
        upstream: PathBuf,
        /// The commit of Clerk's spec repository it comes from (recorded in `x-upstream`).
        #[arg(long)]
        commit: Option<String>,
        /// That commit's date, `YYYY-MM-DD` (recorded in `x-upstream`).
        #[arg(long)]
        commit_date: Option<String>,
        /// Prints the same report and writes nothing.
        #[arg(long)]
        dry_run: bool,
        /// Does not compile the SDK's facade against the new code after writing it.
        #[arg(long)]
        no_facade_check: bool,
        /// The workspace to update [default: this workspace].
        #[arg(long)]
        workspace: Option<PathBuf>,
    },
    /// Checks that the published crates' versions are bumped at least as much as the changelog's
    /// entries since the last release require (one line per crate).
    ReleaseCheck {
        /// The changelog [default: CHANGELOG.md at the root of the current git repository].
        #[arg(long)]
        changelog: Option<PathBuf>,
        /// The last release's commit, or a revision naming it [default: the commit in
        /// .ci/semver-baseline].
        #[arg(long, value_name = "REV")]
        baseline_rev: Option<String>,
    },
}

/// Outcome of a command whose input could be read.
const FOUND_PROBLEMS: u8 = 1;
/// The input cannot be used.
const UNUSABLE_INPUT: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let root = snapshot::workspace_root();
    let default_fragment = || root.join(snapshot::FRAGMENT);
    match cli.command {
        Command::Check { fragment, list } => {
            if list {
                for (name, what) in rules::RULES {
                    println!("{name:<20} {what}");
                }
                return ExitCode::SUCCESS;
            }
            check(&fragment.unwrap_or_else(default_fragment))
        }
        Command::DiffUpstream { upstream, fragment } => {
            diff_upstream(&fragment.unwrap_or_else(default_fragment), &upstream)
        }
        Command::Extract {
            upstream,
            operations,
            all,
            keep_deviations,
            output,
        } => run_extract(
            &upstream,
            (!all).then_some(operations.as_slice()),
            keep_deviations.as_deref(),
            output.as_deref(),
        ),
        Command::Update {
            upstream,
            commit,
            commit_date,
            dry_run,
            no_facade_check,
            workspace,
        } => run_update(
            &upstream,
            &workspace.unwrap_or_else(|| root.clone()),
            build_support::update::Options {
                commit,
                commit_date,
                today: build_support::update::today(),
            },
            dry_run,
            !no_facade_check,
        ),
        Command::Snapshot {
            bless,
            fragment,
            snapshot,
        } => {
            let fragment = fragment.unwrap_or_else(default_fragment);
            let targets = match snapshot {
                Some(path) => vec![(snapshot::CLIENT, path)],
                None => snapshot::OUTPUTS
                    .iter()
                    .map(|o| (*o, root.join(o.snapshot)))
                    .collect(),
            };
            // Every snapshot is checked (or blessed) even when an earlier one differs; the worst
            // outcome is the exit status. Unusable input (say, an unreadable fragment) stops at
            // once: it would only be reported again for the next snapshot.
            let mut worst = 0;
            for (output, path) in &targets {
                worst = worst.max(run_snapshot(bless, *output, &fragment, path));
                if worst == UNUSABLE_INPUT {
                    break;
                }
            }
            ExitCode::from(worst)
        }
        Command::ReleaseCheck {
            changelog,
            baseline_rev,
        } => match release_check(changelog.as_deref(), baseline_rev.as_deref()) {
            Ok(code) => ExitCode::from(code),
            Err(message) => {
                eprintln!("error: {}", one_line(message));
                ExitCode::from(UNUSABLE_INPUT)
            }
        },
    }
}

/// Loads a YAML document, or says in one line why not.
fn load(path: &Path) -> Result<Fragment, ExitCode> {
    Fragment::load(path).map_err(|e| {
        eprintln!("error: {}: {}", path.display(), one_line(&e.message));
        ExitCode::from(UNUSABLE_INPUT)
    })
}

fn report_errors(errors: &[SpecError]) {
    for e in errors {
        eprintln!("{}", one_line(e));
    }
}

fn check(path: &Path) -> ExitCode {
    let fragment = match load(path) {
        Ok(f) => f,
        Err(code) => return code,
    };
    match rules::check(&fragment) {
        Ok(()) => {
            println!(
                "{}: all {} rules pass ({} operations)",
                path.display(),
                rules::RULES.len(),
                operations(&fragment.raw).len()
            );
            ExitCode::SUCCESS
        }
        Err(errors) => {
            report_errors(&errors.0);
            eprintln!("{}: {} problem(s)", path.display(), errors.0.len());
            ExitCode::from(FOUND_PROBLEMS)
        }
    }
}

fn diff_upstream(fragment: &Path, upstream: &Path) -> ExitCode {
    let (fragment, upstream) = match (load(fragment), load(upstream)) {
        (Ok(f), Ok(u)) => (f, u),
        (Err(code), _) | (_, Err(code)) => return code,
    };
    let report = match diff::diff_upstream(&fragment, &upstream) {
        Ok(r) => r,
        Err(errors) => {
            report_errors(&errors);
            return ExitCode::from(UNUSABLE_INPUT);
        }
    };
    for d in &report.differences {
        println!("{d}");
    }
    for note in &report.notes {
        println!("note: {note}");
    }
    let operations = operations::ids(&fragment.raw);
    println!(
        "diff-upstream: {} drift, {} accepted deviation(s) in {} ({}) against {}",
        report.count(Verdict::Drift),
        report.count(Verdict::Accepted),
        fragment.path.display(),
        operations.join(", "),
        upstream.path.display()
    );
    if report.has_drift() {
        ExitCode::from(FOUND_PROBLEMS)
    } else {
        ExitCode::SUCCESS
    }
}

/// `operations: None` extracts every operation that can be (see [`extract::survey`]).
fn run_extract(
    upstream: &Path,
    operations: Option<&[String]>,
    keep: Option<&Path>,
    output: Option<&Path>,
) -> ExitCode {
    let upstream_doc = match load(upstream) {
        Ok(f) => f,
        Err(code) => return code,
    };
    let keep = match keep.map(load).transpose() {
        Ok(k) => k,
        Err(code) => return code,
    };
    let source = upstream.display().to_string();
    let surveyed;
    let operations = match operations {
        Some(ids) => ids,
        None => {
            surveyed = extract::survey(&upstream_doc, &source);
            report_survey(&surveyed);
            surveyed.extractable.as_slice()
        }
    };
    let extracted = match extract::extract(&upstream_doc, operations, keep.as_ref(), &source) {
        Ok(e) => e,
        Err(errors) => {
            report_errors(&errors.0);
            return ExitCode::from(UNUSABLE_INPUT);
        }
    };
    let yaml = match extracted.to_yaml(&source) {
        Ok(y) => y,
        Err(e) => {
            eprintln!("error: cannot write the fragment as YAML: {}", one_line(e));
            return ExitCode::from(UNUSABLE_INPUT);
        }
    };
    let label = match output {
        Some(path) => {
            if let Err(e) = std::fs::write(path, &yaml) {
                eprintln!("error: {}: {}", path.display(), one_line(e));
                return ExitCode::from(UNUSABLE_INPUT);
            }
            path.to_path_buf()
        }
        None => {
            print!("{yaml}");
            PathBuf::from("<extracted>")
        }
    };
    for note in &extracted.notes {
        eprintln!("note: {}", one_line(note));
    }
    // Read back what was written, so that the YAML itself is what is checked.
    let problems = match Fragment::parse(&label, &yaml) {
        Ok(f) => rules::check(&f).err().map(|e| e.0).unwrap_or_default(),
        Err(e) => vec![e],
    };
    if problems.is_empty() {
        eprintln!(
            "{}: extracted {} operation(s); all build rules pass",
            label.display(),
            operations.len()
        );
        ExitCode::SUCCESS
    } else {
        eprintln!(
            "{}: written, but it breaks build rules that need a decision by hand:",
            label.display()
        );
        report_errors(&problems);
        ExitCode::from(FOUND_PROBLEMS)
    }
}

/// The operations that need a decision by hand, one line per problem, then a count per rule.
fn report_survey(survey: &extract::Survey) {
    let mut by_rule: Vec<(&str, usize)> = Vec::new();
    for undecided in &survey.undecided {
        let mut rules_here: Vec<&str> = Vec::new();
        for problem in &undecided.problems {
            eprintln!(
                "needs a decision: {}: rule `{}` at {}: {}",
                undecided.operation,
                problem.rule,
                if problem.pointer.is_empty() {
                    "#"
                } else {
                    &problem.pointer
                },
                one_line(&problem.message)
            );
            if !rules_here.contains(&problem.rule) {
                rules_here.push(problem.rule);
            }
        }
        for rule in rules_here {
            match by_rule.iter_mut().find(|(r, _)| *r == rule) {
                Some((_, n)) => *n += 1,
                None => by_rule.push((rule, 1)),
            }
        }
    }
    let counts: Vec<String> = by_rule.iter().map(|(r, n)| format!("{r} {n}")).collect();
    eprintln!(
        "survey: {} operation(s) extract and pass every build rule on their own; {} need a decision by hand (operations per rule: {})",
        survey.extractable.len(),
        survey.undecided.len(),
        if counts.is_empty() {
            "none".to_string()
        } else {
            counts.join(", ")
        }
    );
}

fn run_snapshot(
    bless: bool,
    output: snapshot::Output,
    fragment: &Path,
    snapshot_path: &Path,
) -> u8 {
    let result = if bless {
        snapshot::bless_output(output, fragment, snapshot_path).map(|changed| {
            if changed {
                println!(
                    "{}: re-blessed from {}",
                    snapshot_path.display(),
                    fragment.display()
                );
            } else {
                println!("{}: already up to date", snapshot_path.display());
            }
        })
    } else {
        snapshot::check_output(output, fragment, snapshot_path)
            .map(|()| println!("{}: up to date", snapshot_path.display()))
    };
    match result {
        Ok(()) => 0,
        Err(SnapshotError::Mismatch(m)) => {
            print!("{m}");
            FOUND_PROBLEMS
        }
        Err(SnapshotError::Spec(errors)) => {
            if let Some(e) = errors
                .0
                .iter()
                .find(|e| matches!(e.rule, "readable" | "yaml"))
            {
                eprintln!("error: {}: {}", e.file.display(), one_line(&e.message));
                return UNUSABLE_INPUT;
            }
            report_errors(&errors.0);
            FOUND_PROBLEMS
        }
        Err(e @ SnapshotError::Io { .. }) => {
            eprintln!("error: {}", one_line(e));
            UNUSABLE_INPUT
        }
    }
}

/// `update`: plan, report, and (unless a decision is needed or `dry_run`) write.
fn run_update(
    upstream: &Path,
    workspace: &Path,
    options: build_support::update::Options,
    dry_run: bool,
    check_facade: bool,
) -> ExitCode {
    use build_support::update;

    let fragment_path = workspace.join(snapshot::FRAGMENT);
    let read = |path: &Path| {
        std::fs::read_to_string(path).map_err(|e| {
            eprintln!("error: {}: {}", path.display(), one_line(e));
            ExitCode::from(UNUSABLE_INPUT)
        })
    };
    let (fragment_text, client, mock) = match (
        read(&fragment_path),
        read(&workspace.join(snapshot::SNAPSHOT)),
        read(&workspace.join(snapshot::HTTPMOCK_SNAPSHOT)),
    ) {
        (Ok(f), Ok(c), Ok(m)) => (f, c, m),
        (Err(code), ..) | (_, Err(code), _) | (.., Err(code)) => return code,
    };
    let current = match Fragment::parse(&fragment_path, &fragment_text) {
        Ok(f) => f,
        Err(e) => {
            eprintln!(
                "error: {}: {}",
                fragment_path.display(),
                one_line(&e.message)
            );
            return ExitCode::from(UNUSABLE_INPUT);
        }
    };
    let upstream_doc = match load(upstream) {
        Ok(f) => f,
        Err(code) => return code,
    };
    let source = upstream.display().to_string();
    let snapshots = update::Snapshots {
        client: &client,
        mock: &mock,
    };
    let plan = match update::plan(&current, &upstream_doc, &source, snapshots, &options) {
        Ok(plan) => plan,
        Err(errors) => {
            report_errors(&errors.0);
            return ExitCode::from(UNUSABLE_INPUT);
        }
    };
    for note in &plan.notes {
        eprintln!("note: {}", one_line(note));
    }
    if !plan.decisions.is_empty() {
        for d in &plan.decisions {
            println!("decide: {}: {}", d.pointer, one_line(&d.why));
        }
        eprintln!("update: nothing written; decide the points above, then run it again");
        return ExitCode::from(FOUND_PROBLEMS);
    }
    for change in &plan.changes {
        println!("{change}");
    }
    if plan.changes.iter().any(|c| c.item.starts_with("raw::")) {
        println!(
            "facade: clerk_actor_tokens::raw is the generated client, so each `raw::` line above is a change of the SDK's public API"
        );
    }
    println!("verdict: {}", plan.verdict());
    let Some(generated) = &plan.generated else {
        return ExitCode::from(FOUND_PROBLEMS);
    };
    if !plan.changed && !plan.provenance_changed {
        eprintln!(
            "update: nothing to apply: {} already follows {source}",
            fragment_path.display()
        );
        return ExitCode::SUCCESS;
    }
    if dry_run {
        eprintln!("update: dry run, nothing written");
        return ExitCode::SUCCESS;
    }
    let yaml = match update::to_yaml(&plan.doc, &fragment_text) {
        Ok(y) => y,
        Err(e) => {
            eprintln!("error: cannot write the fragment as YAML: {}", one_line(e));
            return ExitCode::from(UNUSABLE_INPUT);
        }
    };
    if !plan.changed {
        // The same operations at another commit: users are not affected.
        if let Err(e) = std::fs::write(&fragment_path, yaml) {
            eprintln!("error: {}: {}", fragment_path.display(), one_line(e));
            return ExitCode::from(UNUSABLE_INPUT);
        }
        eprintln!(
            "update: only x-upstream changed in {} (the operations are the same at {source}); code and changelog left alone",
            fragment_path.display()
        );
        return ExitCode::SUCCESS;
    }
    let version = plan
        .doc
        .pointer("/x-upstream/api-version")
        .and_then(serde_json::Value::as_str)
        .unwrap_or("(no version)");
    let spec = match plan
        .doc
        .pointer("/x-upstream/commit")
        .and_then(serde_json::Value::as_str)
    {
        Some(commit) => format!("Clerk spec {version} (commit {commit})"),
        None => format!("Clerk spec {version}"),
    };
    let changelog_path = workspace.join("CHANGELOG.md");
    let changelog = match std::fs::read_to_string(&changelog_path)
        .map_err(|e| e.to_string())
        .and_then(|text| update::changelog_with(&text, &spec, &plan.changes))
    {
        Ok(text) => text,
        Err(e) => {
            eprintln!("error: {}: {}", changelog_path.display(), one_line(e));
            return ExitCode::from(UNUSABLE_INPUT);
        }
    };
    let writes = [
        (fragment_path.clone(), yaml),
        (workspace.join(snapshot::SNAPSHOT), generated.client.clone()),
        (
            workspace.join(snapshot::HTTPMOCK_SNAPSHOT),
            generated.mock.clone(),
        ),
        (changelog_path, changelog),
    ];
    for (path, text) in &writes {
        if let Err(e) = std::fs::write(path, text) {
            eprintln!("error: {}: {}", path.display(), one_line(e));
            return ExitCode::from(UNUSABLE_INPUT);
        }
    }
    eprintln!(
        "update: wrote {}, both snapshots and a CHANGELOG.md entry",
        fragment_path.display()
    );
    if check_facade {
        report_facade(workspace);
    }
    ExitCode::SUCCESS
}

/// Compiles the SDK (from the snapshot just written) and says whether the facade still builds.
fn report_facade(workspace: &Path) {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = std::process::Command::new(cargo)
        .current_dir(workspace)
        .args([
            "check",
            "--quiet",
            "-p",
            "clerk-actor-tokens",
            "--no-default-features",
            "--message-format",
            "short",
        ])
        .output();
    match output {
        Ok(out) if out.status.success() => {
            println!("facade: compiles against the new generated code");
        }
        Ok(out) => {
            println!("facade: does not compile against the new generated code; adapt it:");
            let stderr = String::from_utf8_lossy(&out.stderr);
            let errors = stderr
                .lines()
                .filter(|l| l.contains("error") && !l.contains("could not compile"));
            for line in errors.take(10) {
                println!("facade: {}", one_line(line));
            }
        }
        Err(e) => println!("facade: not checked: cannot run cargo: {}", one_line(e)),
    }
}

/// `release-check`: every published crate of the workspace at the root of the current git
/// repository, its version at the baseline commit (`git show`) against its version now, and the
/// changelog's entries since. Returns the exit status; `Err` is unusable input (exit status 2).
fn release_check(changelog: Option<&Path>, baseline_rev: Option<&str>) -> Result<u8, String> {
    let root = PathBuf::from(
        git(Path::new("."), &["rev-parse", "--show-toplevel"])
            .map_err(|e| format!("release-check runs inside the git repository: {e}"))?,
    );
    let git_here = |args: &[&str]| git(&root, args);

    let changelog_path = changelog.map_or_else(|| root.join("CHANGELOG.md"), Path::to_path_buf);
    let text = std::fs::read_to_string(&changelog_path)
        .map_err(|e| format!("{}: {e}", changelog_path.display()))?;
    let changelog =
        Changelog::parse(&text).map_err(|e| format!("{}: {e}", changelog_path.display()))?;
    // Checked here, before any crate, so that it is reported once.
    changelog
        .require_unreleased()
        .map_err(|e| format!("{}: {e}", changelog_path.display()))?;

    let rev = match baseline_rev {
        Some(rev) => rev.to_string(),
        None => {
            let file = root.join(".ci/semver-baseline");
            let rev = std::fs::read_to_string(&file)
                .map_err(|e| format!("no --baseline-rev, and {}: {e}", file.display()))?;
            let rev = rev.trim().to_string();
            if rev.is_empty() {
                return Err(format!(
                    "no --baseline-rev, and {} is empty",
                    file.display()
                ));
            }
            rev
        }
    };
    let commit = git_here(&[
        "rev-parse",
        "--verify",
        "--quiet",
        &format!("{rev}^{{commit}}"),
    ])
    .map_err(|_| {
        format!(
            "baseline `{rev}` is not a commit of this repository (a shallow clone lacks it: \
                 `git fetch --unshallow`)"
        )
    })?;
    let baseline = baseline_versions(&root, &commit)?;

    let root_manifest = read_manifest(&root.join("Cargo.toml"))?;
    let dirs = root_manifest
        .package_dirs()
        .map_err(|e| format!("{}: {e}", root.join("Cargo.toml").display()))?;
    let (mut worst, mut published, mut too_small) = (0, 0, 0);
    for dir in dirs {
        let path = root.join(&dir).join("Cargo.toml");
        let in_file = |e: release::InputError| format!("{}: {e}", path.display());
        let checked = read_manifest(&path).and_then(|manifest| {
            let name = manifest.package_name().map_err(in_file)?.to_string();
            if !manifest.publishable(&root_manifest).map_err(in_file)? {
                return Ok(None);
            }
            let current = manifest.resolved_version(&root_manifest).map_err(in_file)?;
            Ok(Some((name, current)))
        });
        let (name, current) = match checked {
            Ok(Some(crate_version)) => crate_version,
            Ok(None) => continue,
            Err(message) => {
                eprintln!("error: {}", one_line(message));
                worst = UNUSABLE_INPUT;
                continue;
            }
        };
        published += 1;
        let baseline_version = baseline.get(&name).copied();
        let entries = match baseline_version {
            Some(version) => changelog
                .entries_since(version)
                .map_err(|e| format!("{}: {e}", changelog_path.display()))?,
            None => Vec::new(),
        };
        let check = release::check_crate(&name, baseline_version, current, &entries);
        if check.is_ok() {
            println!("{check}");
        } else {
            eprintln!("{check}");
            too_small += 1;
            worst = worst.max(FOUND_PROBLEMS);
        }
    }
    if published == 0 && worst == 0 {
        return Err(format!(
            "{}: no published package in the workspace",
            root.join("Cargo.toml").display()
        ));
    }
    if too_small > 0 {
        eprintln!(
            "release-check: {too_small} of {published} published crate(s) are bumped less than \
             the entries of {} since {} need",
            changelog_path.display(),
            &commit[..commit.len().min(12)]
        );
    }
    Ok(worst)
}

/// The published crates' versions at `commit`, by package name (from its workspace members, so
/// that a crate that moved directory keeps its baseline version). Empty when `commit` has no
/// `Cargo.toml` at the root.
fn baseline_versions(
    root: &Path,
    commit: &str,
) -> Result<BTreeMap<String, release::Version>, String> {
    let mut versions = BTreeMap::new();
    let Some(root_manifest) = git_show(root, commit, "Cargo.toml")? else {
        return Ok(versions);
    };
    let at = |path: &str, e: release::InputError| format!("{commit}:{path}: {e}");
    let root_manifest = Manifest::parse(&root_manifest).map_err(|e| at("Cargo.toml", e))?;
    for dir in root_manifest
        .package_dirs()
        .map_err(|e| at("Cargo.toml", e))?
    {
        let path = if dir == "." {
            "Cargo.toml".to_string()
        } else {
            format!("{dir}/Cargo.toml")
        };
        let text = git_show(root, commit, &path)?
            .ok_or_else(|| format!("{commit}:{path}: the workspace member has no Cargo.toml"))?;
        let manifest = Manifest::parse(&text).map_err(|e| at(&path, e))?;
        let name = manifest.package_name().map_err(|e| at(&path, e))?;
        let version = manifest
            .resolved_version(&root_manifest)
            .map_err(|e| at(&path, e))?;
        versions.insert(name.to_string(), version);
    }
    Ok(versions)
}

fn read_manifest(path: &Path) -> Result<Manifest, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    Manifest::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// `git show <commit>:<path>`, `None` when the commit has no such file.
fn git_show(root: &Path, commit: &str, path: &str) -> Result<Option<String>, String> {
    let object = format!("{commit}:{path}");
    if git(root, &["cat-file", "-e", &object]).is_err() {
        return Ok(None);
    }
    git(root, &["show", "--no-textconv", &object])
        .map(Some)
        .map_err(|e| format!("git show {object}: {e}"))
}

/// Runs git in `dir`; its standard output, without the final line break, or why it failed.
fn git(dir: &Path, args: &[&str]) -> Result<String, String> {
    let out = process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        return Err(format!("git {}: {}", args.join(" "), stderr.trim()));
    }
    let mut stdout =
        String::from_utf8(out.stdout).map_err(|_| format!("git {}: not UTF-8", args.join(" ")))?;
    if stdout.ends_with('\n') {
        stdout.pop();
    }
    Ok(stdout)
}
