//! `build-support release-check` in git repositories the tests make (so that they depend on
//! neither this repository's history nor the machine's git configuration): its lines and exit
//! status (0 bumped enough, 1 bumped too little, 2 unusable input).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A temporary git repository.
struct Repo {
    dir: tempfile::TempDir,
}

/// `git` without the user's or the system's configuration, and with an author, so that commits
/// work on a clean machine; variables that point git at another repository are dropped.
fn hermetic_git(dir: &Path) -> Command {
    let mut git = Command::new("git");
    git.current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "release-check test")
        .env("GIT_AUTHOR_EMAIL", "release-check@example.com")
        .env("GIT_COMMITTER_NAME", "release-check test")
        .env("GIT_COMMITTER_EMAIL", "release-check@example.com")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE");
    git
}

impl Repo {
    fn new() -> Self {
        let repo = Repo {
            dir: tempfile::tempdir().unwrap(),
        };
        repo.git(&["init", "--quiet"]);
        repo
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn git(&self, args: &[&str]) -> String {
        let out = hermetic_git(self.path())
            .args(["-c", "commit.gpgsign=false"])
            .args(args)
            .output()
            .expect("git runs");
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    }

    fn write(&self, path: &str, text: &str) -> &Self {
        let path = self.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
        self
    }

    /// Commits everything; returns the commit's hash.
    fn commit(&self, message: &str) -> String {
        self.git(&["add", "--all"]);
        self.git(&["commit", "--quiet", "-m", message]);
        self.git(&["rev-parse", "HEAD"])
    }

    /// Runs `build-support release-check <args>` in `dir` (relative to the repository).
    fn check_in(&self, dir: &str, args: &[&str]) -> Output {
        let mut command = Command::new(env!("CARGO_BIN_EXE_build-support"));
        command.arg("release-check").args(args);
        // The same isolation as the repository's own git commands.
        let git = hermetic_git(&self.path().join(dir));
        for (key, value) in git.get_envs() {
            match value {
                Some(value) => command.env(key, value),
                None => command.env_remove(key),
            };
        }
        command
            .current_dir(self.path().join(dir))
            .output()
            .expect("the binary runs")
    }

    fn check(&self, args: &[&str]) -> Output {
        self.check_in(".", args)
    }
}

fn package(name: &str, version: &str) -> String {
    format!("[package]\nname = \"{name}\"\nversion = \"{version}\"\nedition = \"2024\"\n")
}

fn code(out: &Output) -> i32 {
    out.status.code().expect("exited normally, not by a signal")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

const WRAPPED_BREAKING: &str = "# Changelog\n\n## [Unreleased]\n\n### Breaking\n\n\
    - `demo`: `Error::Timeout` has a `phase` (not started, token\n  \
    provider, connect, response); only a late timeout makes\n  a create ambiguous.\n\n\
    ### Fixed\n\n- `demo`: a retry ends at the deadline.\n";

/// A one-crate repository released at 0.1.0 (the returned commit), then bumped to `version` with
/// `changelog`.
fn single_crate(version: &str, changelog: &str) -> (Repo, String) {
    let repo = Repo::new();
    repo.write("Cargo.toml", &package("demo", "0.1.0"));
    let baseline = repo.commit("demo 0.1.0");
    repo.write("Cargo.toml", &package("demo", version))
        .write("CHANGELOG.md", changelog);
    repo.commit("changes");
    (repo, baseline)
}

#[test]
fn a_breaking_entry_with_a_patch_bump_exits_1_and_names_its_first_line() {
    let (repo, baseline) = single_crate("0.1.1", WRAPPED_BREAKING);
    let out = repo.check(&["--baseline-rev", &baseline]);
    assert_eq!(code(&out), 1, "{}{}", stdout(&out), stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(
            "error: demo 0.1.0 -> 0.1.1: needs 0.2.0 for: `demo`: `Error::Timeout` has a `phase` \
             (not started, token\n"
        ),
        "{err}"
    );
    assert!(!err.contains("provider, connect"), "{err}");
    assert!(
        !err.contains("a retry ends"),
        "the fix is satisfied by 0.1.1: {err}"
    );
    assert!(err.contains("1 of 1 published crate(s)"), "{err}");
    assert_eq!(stdout(&out), "");
}

#[test]
fn a_breaking_entry_with_a_minor_bump_passes_before_1_0() {
    let (repo, baseline) = single_crate("0.2.0", WRAPPED_BREAKING);
    let out = repo.check(&["--baseline-rev", &baseline]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "ok: demo 0.1.0 -> 0.2.0 (breaking entries need 0.2.0)\n"
    );
}

#[test]
fn from_1_0_breaking_needs_major_and_added_needs_minor() {
    let changelog = "## [Unreleased]\n\n### Added\n\n- `demo::new_thing`.\n";
    let repo = Repo::new();
    repo.write("Cargo.toml", &package("demo", "1.4.2"));
    let baseline = repo.commit("demo 1.4.2");
    repo.write("Cargo.toml", &package("demo", "1.4.3"))
        .write("CHANGELOG.md", changelog);
    repo.commit("patch bump");
    let out = repo.check(&["--baseline-rev", &baseline]);
    assert_eq!(code(&out), 1);
    assert!(
        stderr(&out).contains("error: demo 1.4.2 -> 1.4.3: needs 1.5.0 for: `demo::new_thing`."),
        "{}",
        stderr(&out)
    );

    repo.write(
        "CHANGELOG.md",
        &format!("{changelog}\n### Breaking\n\n- `demo::old_thing` is gone.\n"),
    )
    .write("Cargo.toml", &package("demo", "1.5.0"));
    repo.commit("minor bump, breaking entry");
    let out = repo.check(&["--baseline-rev", &baseline]);
    assert_eq!(code(&out), 1);
    assert!(
        stderr(&out)
            .contains("error: demo 1.4.2 -> 1.5.0: needs 2.0.0 for: `demo::old_thing` is gone.\n"),
        "{}",
        stderr(&out)
    );

    repo.write("Cargo.toml", &package("demo", "2.0.0"));
    let out = repo.check(&["--baseline-rev", &baseline]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "ok: demo 1.4.2 -> 2.0.0 (breaking entries need 2.0.0)\n"
    );
}

#[test]
fn a_workspace_from_ci_semver_baseline_with_a_new_crate_and_an_unpublished_one() {
    let repo = Repo::new();
    repo.write(
        "Cargo.toml",
        "[workspace]\nmembers = [\"old\", \"internal\"]\n\n[workspace.package]\nversion = \"0.3.1\"\n",
    )
    .write(
        "old/Cargo.toml",
        "[package]\nname = \"demo-old\"\nversion.workspace = true\n",
    )
    .write(
        "internal/Cargo.toml",
        "[package]\nname = \"demo-internal\"\nversion = \"0.0.0\"\npublish = false\n",
    );
    let baseline = repo.commit("0.3.1");
    repo.write(
        "Cargo.toml",
        "[workspace]\nmembers = [\n  \"old\",\n  \"internal\",\n  \"new\", # since 0.3.1\n]\n\n\
         [workspace.package]\nversion = \"0.3.2\"\n",
    )
    .write("new/Cargo.toml", &package("demo-new", "0.1.0"))
    .write(".ci/semver-baseline", &format!("{baseline}\n"))
    .write(
        "CHANGELOG.md",
        "## [Unreleased]\n\n### Fixed\n\n- `demo-old`: a fix.\n\n### Added\n\n- `demo-new`.\n\n\
         ## [0.3.1] - 2026-01-01\n\n### Breaking\n\n- released already, does not count\n",
    );
    repo.commit("0.3.2");
    // From a subdirectory too: the repository's root is found through git.
    for dir in [".", "new"] {
        let out = repo.check_in(dir, &[]);
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        assert_eq!(
            stdout(&out),
            "ok: demo-old 0.3.1 -> 0.3.2 (fixed and added entries need 0.3.2)\n\
             ok: demo-new 0.1.0 (not in the last release: any version is fine)\n"
        );
    }
}

#[test]
fn released_sections_newer_than_the_baseline_count_older_ones_do_not() {
    let repo = Repo::new();
    repo.write("Cargo.toml", &package("demo", "0.1.0"));
    let v0_1_0 = repo.commit("0.1.0");
    repo.write("Cargo.toml", &package("demo", "0.2.0"));
    let v0_2_0 = repo.commit("0.2.0");
    repo.write("Cargo.toml", &package("demo", "0.2.1")).write(
        "CHANGELOG.md",
        "## [Unreleased]\n\n## [0.2.0] - 2026-12-10\n\n### Breaking\n\n- broke in 0.2.0\n\n\
         ## [0.1.0] - 2026-11-01\n\n### Breaking\n\n- broke in 0.1.0\n",
    );
    repo.commit("0.2.1");
    // Since 0.2.0: no entries (Unreleased is empty; 0.2.0 itself is the baseline's).
    let out = repo.check(&["--baseline-rev", &v0_2_0]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "ok: demo 0.2.0 -> 0.2.1 (no entries since 0.2.0: nothing needed)\n"
    );
    // Since 0.1.0: the breaking entry of 0.2.0 counts, the one of 0.1.0 does not; 0.2.1 is enough.
    let out = repo.check(&["--baseline-rev", &v0_1_0]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "ok: demo 0.1.0 -> 0.2.1 (breaking entries need 0.2.0)\n"
    );
}

#[test]
fn a_crate_that_moved_directory_keeps_its_baseline_version() {
    let repo = Repo::new();
    repo.write("Cargo.toml", "[workspace]\nmembers = [\"a\"]\n")
        .write("a/Cargo.toml", &package("demo", "0.1.0"));
    let baseline = repo.commit("0.1.0");
    repo.git(&["mv", "a", "b"]);
    repo.write("Cargo.toml", "[workspace]\nmembers = [\"b\"]\n")
        .write("CHANGELOG.md", WRAPPED_BREAKING);
    repo.commit("moved");
    let out = repo.check(&["--baseline-rev", &baseline]);
    assert_eq!(code(&out), 1, "{}", stdout(&out));
    assert!(
        stderr(&out).contains("error: demo 0.1.0 -> 0.1.0: needs 0.2.0 for: "),
        "{}",
        stderr(&out)
    );
}

#[test]
fn unusable_input_exits_2_with_one_line() {
    let (repo, baseline) = single_crate("0.2.0", WRAPPED_BREAKING);
    let missing: PathBuf = repo.path().join("missing.md");
    repo.write(
        "NO-UNRELEASED.md",
        "# Changelog\n\n## [0.1.0] - 2026-11-01\n",
    )
    .write("TYPO.md", "## [Unreleased]\n\n### Braking\n\n- x\n");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["--changelog", "NO-UNRELEASED.md"],
            "no `## [Unreleased]` section",
        ),
        (
            vec!["--changelog", missing.to_str().unwrap()],
            "missing.md: ",
        ),
        (
            vec!["--changelog", "TYPO.md", "--baseline-rev", &baseline],
            "TYPO.md: line 3: `### Braking` is not a heading release-check knows",
        ),
        (
            vec!["--baseline-rev", "0123456789abcdef0123456789abcdef01234567"],
            "is not a commit of this repository",
        ),
        // No --baseline-rev and no .ci/semver-baseline.
        (vec![], "semver-baseline"),
    ];
    for (args, message) in cases {
        let out = repo.check(&args);
        assert_eq!(code(&out), 2, "{args:?}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(
            err.starts_with("error: ") && err.contains(message),
            "{args:?}: {err}"
        );
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
    }

    // A pre-release version, and a member whose Cargo.toml cannot be read.
    repo.write("Cargo.toml", &package("demo", "0.2.0-rc.1"));
    let out = repo.check(&["--baseline-rev", &baseline]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("pre-release"), "{}", stderr(&out));
    repo.write("Cargo.toml", "[workspace]\nmembers = [\"gone\"]\n");
    let out = repo.check(&["--baseline-rev", &baseline]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("gone/Cargo.toml: "),
        "{}",
        stderr(&out)
    );
}
