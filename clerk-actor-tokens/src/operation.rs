//! The operations the SDK performs and what each of them is: the one vocabulary that the retry
//! rules (`decision.rs`), the audit trail and the call loop share. It sits at the bottom so that
//! none of them has to import another to name an operation.

/// The operations and what each may safely retry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Operation {
    /// Not idempotent: a retry after the request was sent could mint a second credential.
    Create,
    /// Converges: revoking twice leaves the token revoked (the second answer is a 400).
    Revoke,
    /// A read: safe to repeat.
    ListSessions,
    /// A read: safe to repeat.
    GetSession,
    /// Converges like a token's revoke: the session stays revoked.
    RevokeSession,
}

impl Operation {
    /// Every operation, for tests that check a rule for each.
    #[cfg(test)]
    pub(crate) const ALL: [Operation; 5] = [
        Operation::Create,
        Operation::Revoke,
        Operation::ListSessions,
        Operation::GetSession,
        Operation::RevokeSession,
    ];

    /// The operation id of Clerk's spec, as recorded on spans and audit events.
    pub(crate) fn id(self) -> &'static str {
        match self {
            Operation::Create => "CreateActorToken",
            Operation::Revoke => "RevokeActorToken",
            Operation::ListSessions => "GetSessionList",
            Operation::GetSession => "GetSession",
            Operation::RevokeSession => "RevokeSession",
        }
    }

    /// Its HTTP method, for spans (`http.request.method`).
    pub(crate) fn method(self) -> &'static str {
        match self {
            Operation::ListSessions | Operation::GetSession => "GET",
            _ => "POST",
        }
    }

    /// Its path template below the API's base path (Clerk's spec), for spans (`url.template`):
    /// the ids stay placeholders, so a span never holds one in its url.
    pub(crate) fn path_template(self) -> &'static str {
        match self {
            Operation::Create => "/actor_tokens",
            Operation::Revoke => "/actor_tokens/{actor_token_id}/revoke",
            Operation::ListSessions => "/sessions",
            Operation::GetSession => "/sessions/{session_id}",
            Operation::RevokeSession => "/sessions/{session_id}/revoke",
        }
    }

    /// What it works on, for messages: "actor token" or "session".
    pub(crate) fn noun(self) -> &'static str {
        match self {
            Operation::Create | Operation::Revoke => "actor token",
            _ => "session",
        }
    }

    /// Whether sending it twice can do something twice. Only a create can: every other
    /// operation reads, or converges on the state the first attempt reached.
    pub(crate) fn acts_twice(self) -> bool {
        matches!(self, Operation::Create)
    }
}
