//! The retry decision as a pure function: after a failed attempt, wait and try again, or stop
//! with the error.
//!
//! No clock, no I/O and no randomness of its own: the caller (`call.rs`) passes in what happened,
//! how long it has waited, how much time is left and a jitter draw. That keeps every rule in one
//! place, lets the tests enumerate every combination, and lets property tests drive arbitrary
//! sequences of outcomes through it.

use std::time::Duration;

use crate::error::Error;
use crate::operation::Operation;
use crate::retry::RetryPolicy;

/// What an attempt came to, as far as retrying is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Nothing reached the server: no connection could be made.
    NotSent,
    /// The server answered with this non-success status (whether or not its body was read).
    Status(u16),
    /// The request may have reached the server and no status came back: the time limit ran out
    /// or the connection broke.
    Lost,
    /// A success status whose body is not a usable actor token (malformed, too large, cut short).
    UnusableSuccess,
    /// Refused before sending: configuration, token provider, input, or a server certificate
    /// this client does not accept.
    Refused,
}

impl Outcome {
    /// Classifies a failed call's error. Errors carry what the decision needs (the status, and
    /// whether a connection was made), so this is the only mapping from errors to outcomes.
    pub(crate) fn of(error: &Error) -> Self {
        match error {
            Error::Connect { .. } | Error::NotProcessed { .. } => Outcome::NotSent,
            // A certificate fails the same way every time: retrying would only delay the error.
            Error::Tls { problem, .. } if problem.is_transient() => Outcome::NotSent,
            Error::Tls { .. } => Outcome::Refused,
            Error::Api(e) => Outcome::Status(e.status.as_u16()),
            // Only a request handed to a connection can have reached Clerk.
            Error::Timeout { phase, .. } if !phase.may_have_been_sent() => Outcome::NotSent,
            Error::Timeout { .. } | Error::Transport { .. } => Outcome::Lost,
            Error::BodyTooLarge { status, .. } => match status {
                Some(s) if s.is_success() => Outcome::UnusableSuccess,
                Some(s) => Outcome::Status(s.as_u16()),
                // No status line was read at all.
                None => Outcome::Lost,
            },
            Error::InvalidResponse { .. } => Outcome::UnusableSuccess,
            Error::AmbiguousOutcome(a) => Outcome::of(&a.cause),
            Error::Config(_) | Error::InvalidInput(_) | Error::BlockingInAsyncContext => {
                Outcome::Refused
            }
        }
    }
}

/// Whether an outcome may be retried for an operation, before any budget or deadline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Safe to send again: nothing was done, or doing it twice converges.
    Retryable,
    /// A create that may have minted a token: never sent again, reported as ambiguous.
    Ambiguous,
    /// A definite answer (or a local refusal): sending again would get the same.
    Final,
}

/// The operation's rules, applied to one outcome. This is what `Error::is_retryable`-style
/// helpers should ask: it is the same rule the retry loop follows.
pub(crate) fn verdict(op: Operation, outcome: Outcome) -> Verdict {
    // A create's rules, or those of every operation that reads or converges (a revoke).
    match (op.acts_twice(), outcome) {
        (_, Outcome::NotSent) => Verdict::Retryable,
        // Clerk refused to do anything: rate limited.
        (_, Outcome::Status(429)) => Verdict::Retryable,
        (false, Outcome::Status(500 | 502 | 503 | 504)) => Verdict::Retryable,
        (false, Outcome::Lost) => Verdict::Retryable,
        (true, Outcome::Status(500..=599)) => Verdict::Ambiguous,
        (true, Outcome::Lost | Outcome::UnusableSuccess) => Verdict::Ambiguous,
        (_, Outcome::Status(_) | Outcome::UnusableSuccess | Outcome::Refused) => Verdict::Final,
    }
}

impl Error {
    /// Whether the SDK's retry rules would send the request again after this failure, had the
    /// policy's attempts, budget and deadline allowed: nothing sent (no connection, a time limit
    /// that ran out before the request was handed to a connection), a 429, and for a revoke a
    /// 500/502/503/504 or a lost answer. An [`Error::AmbiguousOutcome`] is never retryable (a
    /// create sent again could mint a second token), nor is any definite answer or local refusal.
    /// Asks the same rule the retry loop follows.
    ///
    /// The operation is not part of the error; it does not need to be: a create's failures that
    /// only a revoke would retry (a 5xx, a lost answer) come back as an
    /// [`Error::AmbiguousOutcome`], so every other error gets the same verdict under both
    /// operations' rules.
    ///
    /// ```
    /// # #[cfg(feature = "test-util")] {
    /// use clerk_actor_tokens::Error;
    ///
    /// assert!(Error::rate_limited(None).is_retryable());
    /// assert!(!Error::ambiguous_create().is_retryable());
    /// assert!(!Error::not_found("act_1").is_retryable());
    /// # }
    /// ```
    pub fn is_retryable(&self) -> bool {
        let op = if self.is_ambiguous() {
            Operation::Create
        } else {
            Operation::Revoke
        };
        verdict(op, Outcome::of(self)) == Verdict::Retryable
    }
}

/// Everything known after a failed attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Facts {
    pub op: Operation,
    pub outcome: Outcome,
    /// The attempt that just failed, from 1.
    pub attempt: u32,
    /// The server's `Retry-After`, when it sent a usable one.
    pub retry_after: Option<Duration>,
    /// Time spent waiting between attempts so far.
    pub waited: Duration,
    /// Time left before the call's deadline; `None` when the deadline is beyond any instant the
    /// clock can represent (that is, there is none).
    pub time_left: Option<Duration>,
}

/// What to do next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Wait this long, then send the request again.
    Retry { wait: Duration },
    /// End the call.
    Stop(Stop),
}

/// Why the call ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stop {
    /// The error is definite; return it.
    Final,
    /// A create may have happened; return the error wrapped as an ambiguous outcome.
    Ambiguous,
    /// Retryable, but the policy's attempts are used up.
    AttemptsUsed,
    /// Retryable, but the wait would exceed the policy's waiting budget.
    OverBudget,
    /// Retryable, but the wait would reach the call's deadline.
    PastDeadline,
}

/// The decision. `jitter` is a uniform draw from `[0, 1]` that picks the backoff within its
/// ceiling (values outside are clamped); a server's `Retry-After` replaces the backoff.
pub(crate) fn decide(facts: &Facts, policy: &RetryPolicy, jitter: f64) -> Decision {
    match verdict(facts.op, facts.outcome) {
        Verdict::Final => return Decision::Stop(Stop::Final),
        Verdict::Ambiguous => return Decision::Stop(Stop::Ambiguous),
        Verdict::Retryable => {}
    }
    if facts.attempt >= policy.max_attempts() {
        return Decision::Stop(Stop::AttemptsUsed);
    }
    let wait = facts
        .retry_after
        .unwrap_or_else(|| policy.backoff_with(facts.attempt, jitter));
    if facts.waited.saturating_add(wait) > policy.budget() {
        return Decision::Stop(Stop::OverBudget);
    }
    // Waiting until (or past) the deadline would leave no time for the attempt itself.
    if facts.time_left.is_some_and(|left| wait >= left) {
        return Decision::Stop(Stop::PastDeadline);
    }
    Decision::Retry { wait }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::error::TimeoutPhase;

    const SEC: Duration = Duration::from_secs(1);

    /// Every outcome the decision distinguishes, with the expected verdict per operation
    /// (create, revoke). Written out rather than computed: this table is the README's.
    const TABLE: &[(Outcome, Verdict, Verdict)] = {
        use Outcome::*;
        use Verdict::*;
        &[
            (NotSent, Retryable, Retryable),
            (Status(429), Retryable, Retryable),
            (Status(500), Ambiguous, Retryable),
            (Status(502), Ambiguous, Retryable),
            (Status(503), Ambiguous, Retryable),
            (Status(504), Ambiguous, Retryable),
            (Status(501), Ambiguous, Final),
            (Status(599), Ambiguous, Final),
            (Status(400), Final, Final),
            (Status(401), Final, Final),
            (Status(402), Final, Final),
            (Status(403), Final, Final),
            (Status(404), Final, Final),
            (Status(422), Final, Final),
            (Status(302), Final, Final),
            (Lost, Ambiguous, Retryable),
            (UnusableSuccess, Ambiguous, Final),
            (Refused, Final, Final),
        ]
    };

    /// The budget and deadline situations after a failed attempt, and what a retryable outcome
    /// then becomes. The policy allows 3 attempts, a 10 s budget, and the backoff (jitter 1.0)
    /// after attempt 1 is its full ceiling of 1 s.
    fn situations() -> Vec<(&'static str, Facts, Decision)> {
        let base = Facts {
            op: Operation::Create,
            outcome: Outcome::NotSent,
            attempt: 1,
            retry_after: None,
            waited: Duration::ZERO,
            time_left: Some(60 * SEC),
        };
        vec![
            ("room to wait", base, Decision::Retry { wait: SEC }),
            (
                "no deadline at all",
                Facts {
                    time_left: None,
                    ..base
                },
                Decision::Retry { wait: SEC },
            ),
            (
                "Retry-After replaces the backoff",
                Facts {
                    retry_after: Some(3 * SEC),
                    ..base
                },
                Decision::Retry { wait: 3 * SEC },
            ),
            (
                "last attempt used",
                Facts { attempt: 3, ..base },
                Decision::Stop(Stop::AttemptsUsed),
            ),
            (
                "attempt count beyond the policy",
                Facts {
                    attempt: u32::MAX,
                    ..base
                },
                Decision::Stop(Stop::AttemptsUsed),
            ),
            (
                "budget exactly used by the wait",
                Facts {
                    waited: 9 * SEC,
                    ..base
                },
                Decision::Retry { wait: SEC },
            ),
            (
                "budget exceeded by the wait",
                Facts {
                    waited: 9 * SEC + Duration::from_millis(1),
                    ..base
                },
                Decision::Stop(Stop::OverBudget),
            ),
            (
                "Retry-After beyond the budget",
                Facts {
                    retry_after: Some(11 * SEC),
                    ..base
                },
                Decision::Stop(Stop::OverBudget),
            ),
            (
                "Retry-After at the clamp, waited at the maximum",
                Facts {
                    retry_after: Some(crate::retry::MAX_RETRY_AFTER),
                    waited: Duration::MAX,
                    ..base
                },
                Decision::Stop(Stop::OverBudget),
            ),
            (
                "wait reaches the deadline",
                Facts {
                    time_left: Some(SEC),
                    ..base
                },
                Decision::Stop(Stop::PastDeadline),
            ),
            (
                "deadline already passed",
                Facts {
                    time_left: Some(Duration::ZERO),
                    ..base
                },
                Decision::Stop(Stop::PastDeadline),
            ),
            (
                "wait fits just before the deadline",
                Facts {
                    time_left: Some(SEC + Duration::from_nanos(1)),
                    ..base
                },
                Decision::Retry { wait: SEC },
            ),
        ]
    }

    fn policy() -> RetryPolicy {
        RetryPolicy::default()
            .with_max_attempts(3)
            .with_initial_backoff(SEC)
            .with_max_backoff(5 * SEC)
            .with_budget(10 * SEC)
    }

    #[test]
    fn every_operation_outcome_and_situation() {
        for &(outcome, create, revoke) in TABLE {
            for (op, expected_verdict) in [(Operation::Create, create), (Operation::Revoke, revoke)]
            {
                assert_eq!(verdict(op, outcome), expected_verdict, "{op:?} {outcome:?}");
                for (name, facts, retryable_decision) in situations() {
                    let facts = Facts {
                        op,
                        outcome,
                        ..facts
                    };
                    let expected = match expected_verdict {
                        Verdict::Retryable => retryable_decision,
                        Verdict::Ambiguous => Decision::Stop(Stop::Ambiguous),
                        Verdict::Final => Decision::Stop(Stop::Final),
                    };
                    assert_eq!(
                        decide(&facts, &policy(), 1.0),
                        expected,
                        "{op:?} {outcome:?}, {name}"
                    );
                }
            }
        }
    }

    /// The README's retry table (section "Retries") is this decision table: each row names the
    /// outcomes it covers, and its two cells say what the rules do for a create and for every
    /// other operation (a revoke, the session calls).
    /// A row the test does not know, a missing row, or a cell that disagrees fails it.
    #[test]
    fn the_readme_retry_table_is_the_decision_table() {
        use Outcome::*;
        let rows: &[(&str, &[Outcome])] = &[
            ("connection refused / failed before sending", &[NotSent]),
            (
                "a time limit that runs out before the request was handed to a connection (token provider, DNS, connect, TLS, pool wait)",
                &[NotSent],
            ),
            ("429 Too Many Requests", &[Status(429)]),
            (
                "500, 502, 503, 504",
                &[Status(500), Status(502), Status(503), Status(504)],
            ),
            (
                "any other 5xx (501, 505 to 599)",
                &[Status(501), Status(505), Status(599)],
            ),
            (
                "a time limit that runs out after the request was handed to a connection, a reset after sending",
                &[Lost],
            ),
            (
                "2xx with an unreadable or oversized body",
                &[UnusableSuccess],
            ),
            (
                "400, 401, 402, 403, 404, 422, and any other status",
                &[
                    Status(400),
                    Status(401),
                    Status(402),
                    Status(403),
                    Status(404),
                    Status(422),
                    Status(302),
                ],
            ),
            ("refused before sending (configuration, input)", &[Refused]),
        ];
        let readme = include_str!("../../README.md");
        let section = readme
            .split("\n## Retries\n")
            .nth(1)
            .and_then(|s| s.split("\n## ").next())
            .expect("README has a Retries section");
        let table: Vec<Vec<&str>> = section
            .lines()
            .skip_while(|l| !l.starts_with("| Failure |"))
            .skip(2)
            .take_while(|l| l.starts_with('|'))
            .map(|l| l.trim_matches('|').split(" | ").map(str::trim).collect())
            .collect();
        let cell = |text: &str| -> Option<Verdict> {
            if text.starts_with("retried") {
                Some(Verdict::Retryable)
            } else if text.contains("`AmbiguousOutcome`") {
                Some(Verdict::Ambiguous)
            } else if text == "error" {
                Some(Verdict::Final)
            } else {
                None
            }
        };
        let mut covered = 0;
        for row in &table {
            let [failure, create, revoke] = row[..] else {
                panic!("a row of three cells: {row:?}");
            };
            if failure.starts_with("an error status whose body") {
                // As its status: the hostile-server tests prove it over real sockets.
                assert_eq!(
                    (create, revoke),
                    ("as its status (above)", "as its status (above)")
                );
                continue;
            }
            let outcomes = rows
                .iter()
                .find(|(label, _)| *label == failure)
                .unwrap_or_else(|| panic!("a README row this test does not know: {failure:?}"))
                .1;
            covered += 1;
            for &outcome in outcomes {
                // The second column is every operation that reads or converges.
                for op in Operation::ALL {
                    let text = if op.acts_twice() { create } else { revoke };
                    assert_eq!(
                        cell(text),
                        Some(verdict(op, outcome)),
                        "README row {failure:?}, {op:?} says {text:?}"
                    );
                }
            }
        }
        assert_eq!(
            covered,
            rows.len(),
            "every known row is in the README: {table:?}"
        );
        // And the rows cover every outcome of the decision table.
        for (outcome, _, _) in TABLE {
            assert!(
                rows.iter().any(|(_, os)| os.contains(outcome)),
                "{outcome:?} has no README row"
            );
        }
    }

    #[test]
    fn jitter_picks_the_wait_within_the_ceiling_and_is_clamped() {
        let facts = Facts {
            op: Operation::Revoke,
            outcome: Outcome::Lost,
            attempt: 2,
            retry_after: None,
            waited: Duration::ZERO,
            time_left: None,
        };
        // Attempt 2 failed: the second retry's ceiling is 2 s.
        let wait = |jitter| match decide(&facts, &policy(), jitter) {
            Decision::Retry { wait } => wait,
            other => panic!("{other:?}"),
        };
        assert_eq!(wait(0.0), Duration::ZERO);
        assert_eq!(wait(0.5), SEC);
        assert_eq!(wait(1.0), 2 * SEC);
        assert_eq!(wait(7.0), 2 * SEC);
        assert_eq!(wait(-1.0), Duration::ZERO);
        assert_eq!(wait(f64::NAN), Duration::ZERO);
    }

    #[test]
    fn errors_map_onto_outcomes() {
        let api = |status: u16| {
            Error::from(crate::error::ApiError {
                status: http::StatusCode::from_u16(status).unwrap(),
                errors: Vec::new(),
                meta: Default::default(),
                trace_id: None,
                retry_after: None,
                attempts: 1,
                body: crate::error::ErrorBody::Clerk,
            })
        };
        let timeout_in = |phase| Error::Timeout {
            kind: crate::error::TimeoutKind::Attempt,
            phase,
            after: SEC,
            attempts: 1,
        };
        let timeout = || timeout_in(TimeoutPhase::Response);
        for unsent in [
            TimeoutPhase::NotStarted,
            TimeoutPhase::TokenProvider,
            TimeoutPhase::Connect,
        ] {
            assert_eq!(Outcome::of(&timeout_in(unsent)), Outcome::NotSent);
        }
        assert_eq!(Outcome::of(&api(429)), Outcome::Status(429));
        assert_eq!(Outcome::of(&api(503)), Outcome::Status(503));
        assert_eq!(Outcome::of(&timeout()), Outcome::Lost);
        let too_large = |status: Option<u16>| Error::BodyTooLarge {
            status: status.map(|s| http::StatusCode::from_u16(s).unwrap()),
            limit: 1,
        };
        assert_eq!(Outcome::of(&too_large(Some(200))), Outcome::UnusableSuccess);
        assert_eq!(Outcome::of(&too_large(Some(503))), Outcome::Status(503));
        assert_eq!(Outcome::of(&too_large(None)), Outcome::Lost);
        let invalid = Error::InvalidResponse {
            status: Some(http::StatusCode::OK),
            reason: String::new(),
            trace_id: None,
        };
        assert_eq!(Outcome::of(&invalid), Outcome::UnusableSuccess);
        let ambiguous = Error::AmbiguousOutcome(crate::error::AmbiguousOutcome {
            attempts: 1,
            cause: Box::new(timeout()),
        });
        assert_eq!(Outcome::of(&ambiguous), Outcome::Lost);
        let refused = Error::InvalidInput(crate::error::InputError::EmptyUserId);
        assert_eq!(Outcome::of(&refused), Outcome::Refused);
    }

    pub(crate) mod properties {
        use super::*;
        use proptest::prelude::*;

        pub(crate) fn outcome() -> impl Strategy<Value = Outcome> {
            prop_oneof![
                Just(Outcome::NotSent),
                (100u16..=599).prop_map(Outcome::Status),
                Just(Outcome::Lost),
                Just(Outcome::UnusableSuccess),
                Just(Outcome::Refused),
            ]
        }

        pub(crate) fn duration() -> impl Strategy<Value = Duration> {
            prop_oneof![
                Just(Duration::ZERO),
                Just(Duration::MAX),
                Just(crate::retry::MAX_RETRY_AFTER),
                (0u64..20_000).prop_map(Duration::from_millis),
                any::<u64>().prop_map(Duration::from_secs),
                (any::<u64>(), 0u32..1_000_000_000).prop_map(|(s, n)| Duration::new(s, n)),
            ]
        }

        pub(crate) fn policy() -> impl Strategy<Value = RetryPolicy> {
            (0u32..8, duration(), duration(), duration()).prop_map(
                |(attempts, initial, max, budget)| {
                    RetryPolicy::default()
                        .with_max_attempts(attempts)
                        .with_initial_backoff(initial)
                        .with_max_backoff(max)
                        .with_budget(budget)
                },
            )
        }

        fn facts() -> impl Strategy<Value = Facts> {
            (
                prop_oneof![Just(Operation::Create), Just(Operation::Revoke)],
                outcome(),
                any::<u32>(),
                proptest::option::of(duration()),
                duration(),
                proptest::option::of(duration()),
            )
                .prop_map(|(op, outcome, attempt, retry_after, waited, time_left)| {
                    Facts {
                        op,
                        outcome,
                        attempt,
                        retry_after,
                        waited,
                        time_left,
                    }
                })
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(2000))]

            /// Whatever the facts: no panic, and a retry only when every rule allows it.
            #[test]
            fn a_retry_respects_every_rule(
                facts in facts(),
                policy in policy(),
                jitter in prop_oneof![any::<f64>(), 0.0..=1.0f64],
            ) {
                let decision = decide(&facts, &policy, jitter);
                if let Decision::Retry { wait } = decision {
                    prop_assert_eq!(verdict(facts.op, facts.outcome), Verdict::Retryable);
                    prop_assert!(facts.attempt < policy.max_attempts());
                    prop_assert!(facts.waited.saturating_add(wait) <= policy.budget());
                    if let Some(left) = facts.time_left {
                        prop_assert!(wait < left);
                    }
                    if let Some(after) = facts.retry_after {
                        prop_assert_eq!(wait, after);
                    }
                    if facts.op == Operation::Create {
                        // Only when the server provably did nothing.
                        prop_assert!(matches!(
                            facts.outcome,
                            Outcome::NotSent | Outcome::Status(429)
                        ));
                    }
                }
                if verdict(facts.op, facts.outcome) == Verdict::Ambiguous {
                    prop_assert_eq!(decision, Decision::Stop(Stop::Ambiguous));
                }
            }
        }
    }
}
