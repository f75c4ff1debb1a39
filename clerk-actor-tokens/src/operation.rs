//! The operations the SDK performs and what each of them is: the one vocabulary that the retry
//! rules (`decision.rs`), the audit trail and the call loop share. It sits at the bottom so that
//! none of them has to import another to name an operation.

/// The two operations and what each may safely retry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Operation {
    /// Not idempotent: a retry after the request was sent could mint a second credential.
    Create,
    /// Converges: revoking twice leaves the token revoked (the second answer is a 400).
    Revoke,
}

impl Operation {
    /// The operation id of Clerk's spec, as recorded on spans and audit events.
    pub(crate) fn id(self) -> &'static str {
        match self {
            Operation::Create => "CreateActorToken",
            Operation::Revoke => "RevokeActorToken",
        }
    }
}
