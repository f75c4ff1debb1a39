//! Section 4: how the spec tooling's cost grows with the spec. On Clerk's full published spec
//! (given with `--upstream`): the survey (every operation extracted and checked on its own), then
//! for fragments of 2, about 25 and all extractable operations the time to extract them together,
//! to check the build rules and to generate the client (progenitor and prettyplease), and the size
//! of the generated code. Each step is timed over a few runs and the median is shown.

use std::path::Path;
use std::time::{Duration, Instant};

use build_support::spec::Fragment;
use build_support::{extract, generate, rules};

use crate::stats;

/// The median wall time of `runs` calls of `f` (at least one), and the last result.
fn timed<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut samples = Vec::with_capacity(runs.max(1));
    let mut last = None;
    for _ in 0..runs.max(1) {
        let start = Instant::now();
        last = Some(f());
        samples.push(start.elapsed());
    }
    let median = stats::percentile(&mut samples, 0.5);
    (median, last.expect("ran at least once"))
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Runs the section; `Err` when the spec cannot be read or a step fails.
pub fn run(upstream: &Path, runs: usize) -> Result<(), String> {
    let (load, spec) = timed(runs, || Fragment::load(upstream));
    let spec = spec.map_err(|e| e.to_string())?;
    let total = build_support::spec::operations(&spec.raw).len();
    println!(
        "  {}: {total} operations, read in {:.0} ms",
        upstream.display(),
        ms(load)
    );
    let source = upstream.display().to_string();
    let (survey_time, survey) = timed(1, || extract::survey(&spec, &source));
    println!(
        "  survey (each operation extracted and checked alone): {:.0} ms; {} extractable, {} need a decision",
        ms(survey_time),
        survey.extractable.len(),
        survey.undecided.len()
    );
    let all = survey.extractable;
    let pair: Vec<String> = ["CreateActorToken", "RevokeActorToken"]
        .iter()
        .map(|s| s.to_string())
        .filter(|id| all.contains(id))
        .collect();
    let some: Vec<String> = all.iter().take(25).cloned().collect();
    println!(
        "  {:>10} | {:>12} | {:>12} | {:>14} | {:>16}",
        "operations", "extract (ms)", "rules (ms)", "generate (ms)", "generated lines"
    );
    for ids in [pair, some, all] {
        if ids.is_empty() {
            continue;
        }
        let (extract_time, extracted) =
            timed(runs, || extract::extract(&spec, &ids, None, &source));
        let fragment = Fragment {
            path: upstream.to_path_buf(),
            raw: extracted.map_err(|e| e.to_string())?.doc,
        };
        let (rules_time, checked) = timed(runs, || rules::check(&fragment));
        checked.map_err(|e| e.to_string())?;
        let (generate_time, code) = timed(runs, || generate::generate(&fragment));
        let code = code.map_err(|e| e.to_string())?;
        println!(
            "  {:>10} | {:>12.1} | {:>12.1} | {:>14.1} | {:>16}",
            ids.len(),
            ms(extract_time),
            ms(rules_time),
            ms(generate_time),
            code.lines().count()
        );
    }
    Ok(())
}
