//! The README's "Testing your app against the fake" example, verbatim, so it cannot rot: the
//! example runs as a test here, and `this_file_is_the_readme_example` fails as soon as the README's
//! block and this file differ by a character.

use clerk_actor_tokens::{Actor, Clerk, Status};
use clerk_actor_tokens_fake::{FakeClerk, Fault, StatusCode, Target};
use std::time::Duration;

// Your code under test.
async fn impersonate(
    clerk: &Clerk,
    user: &str,
    admin: &str,
) -> Result<String, clerk_actor_tokens::Error> {
    let token = clerk
        .actor_tokens()
        .create(user, Actor::new(admin).claim("reason", "support"))
        .expires_in(Duration::from_secs(600))
        .send()
        .await?;
    Ok(token
        .url()
        .expect("create returns the url")
        .expose()
        .to_string())
}

#[tokio::test]
async fn support_can_impersonate_and_errors_are_handled() {
    let fake = FakeClerk::start().await.unwrap();
    // In your app: Clerk::builder().secret_key(..).api_url(fake.base_url()) — or CLERK_API_URL.
    let clerk = fake.client().unwrap();

    let url = impersonate(&clerk, "user_1", "user_admin").await.unwrap();
    let signed_in = fake.redeem(&url).unwrap(); // what opening the url does
    assert_eq!(signed_in.status, Status::Accepted);
    assert_eq!(signed_in.actor["reason"], "support");
    assert!(fake.redeem(&url).is_err()); // a url works once

    fake.set_monthly_quota(Some(1));
    let err = impersonate(&clerk, "user_1", "user_admin")
        .await
        .unwrap_err();
    assert!(err.is_quota_exhausted());
    fake.set_monthly_quota(None);

    fake.inject(
        Fault::status(StatusCode::BAD_GATEWAY)
            .on(Target::Create)
            .after_processing(),
    );
    let err = impersonate(&clerk, "user_1", "user_admin")
        .await
        .unwrap_err();
    assert!(err.is_ambiguous()); // never retried: a token may exist

    fake.stop().await;
}

/// The README's block (after the section heading, the first `rust,ignore` block) stands in this
/// file to the letter.
#[test]
fn this_file_is_the_readme_example() {
    let readme = include_str!("../../README.md");
    let section = readme
        .split_once("## Testing your app against the fake")
        .map(|(_, rest)| rest)
        .expect("the README has the section");
    let block = section
        .split_once("```rust,ignore\n")
        .and_then(|(_, rest)| rest.split_once("\n```"))
        .map(|(code, _)| code)
        .expect("the section has a rust,ignore block");
    assert!(block.len() > 200, "{block}");
    assert!(
        include_str!("readme_example.rs").contains(block),
        "tests/tests/readme_example.rs no longer holds the README's example verbatim"
    );
}
