//! The README's "Testing your app against the fake" example, verbatim, so it cannot rot.

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
