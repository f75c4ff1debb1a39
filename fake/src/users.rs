//! Which users exist in the fake instance. Clerk refuses to create an actor token for a user it
//! does not know; the fake needs a rule for that which keeps quick starts easy:
//!
//! - by default (open), every user id exists, so quick starts and generated tests (schemathesis
//!   sends arbitrary ids; Clerk's spec lists no 404 for create) work without set-up;
//! - [`FakeClerk::add_user`](crate::FakeClerk::add_user) makes any id exist;
//! - [`FakeClerk::remove_user`](crate::FakeClerk::remove_user) makes an id not exist (a deleted
//!   user), even in open mode;
//! - in strict mode only added users exist.

use std::collections::HashSet;

/// The users of one fake instance.
#[derive(Debug, Default)]
pub(crate) struct Users {
    strict: bool,
    added: HashSet<String>,
    removed: HashSet<String>,
}

impl Users {
    pub(crate) fn new(strict: bool) -> Self {
        Self {
            strict,
            ..Self::default()
        }
    }

    pub(crate) fn exists(&self, id: &str) -> bool {
        if self.removed.contains(id) {
            return false;
        }
        !self.strict || self.added.contains(id)
    }

    pub(crate) fn add(&mut self, id: &str) {
        self.removed.remove(id);
        self.added.insert(id.to_string());
    }

    pub(crate) fn remove(&mut self, id: &str) {
        self.added.remove(id);
        self.removed.insert(id.to_string());
    }

    pub(crate) fn set_strict(&mut self, strict: bool) {
        self.strict = strict;
    }

    pub(crate) fn is_strict(&self) -> bool {
        self.strict
    }

    /// The ids added explicitly, sorted.
    pub(crate) fn added(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.added.iter().cloned().collect();
        ids.sort_unstable();
        ids
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_mode_knows_every_id_until_removed() {
        let mut users = Users::new(false);
        assert!(users.exists("user_2abc") && users.exists("legacy-42"));
        users.remove("user_2abc");
        assert!(!users.exists("user_2abc"));
        assert!(users.exists("user_other"));
        users.add("user_2abc");
        assert!(users.exists("user_2abc"));
    }

    #[test]
    fn strict_mode_knows_only_added_users() {
        let mut users = Users::new(true);
        assert!(!users.exists("user_2abc"));
        users.add("user_2abc");
        assert!(users.exists("user_2abc"));
        users.set_strict(false);
        assert!(users.exists("user_other") && !users.is_strict());
        assert_eq!(users.added(), vec!["user_2abc".to_string()]);
    }
}
