//! `Clerk::from_env` with missing, invalid and valid variables. One test, because the process
//! environment is shared by every thread of this test binary.

use clerk_actor_tokens::{Clerk, ConfigError, Error};

fn set(key: &str, value: Option<&str>) {
    // SAFETY: this binary has exactly one test, so no other thread reads the environment.
    unsafe {
        match value {
            Some(v) => std::env::set_var(key, v),
            None => std::env::remove_var(key),
        }
    }
}

#[test]
fn from_env_reads_clerk_secret_key_and_clerk_api_url() {
    set("CLERK_API_URL", None);
    set("CLERK_SECRET_KEY", None);
    let e = Clerk::from_env().unwrap_err();
    assert!(
        matches!(
            e,
            Error::Config(ConfigError::MissingSecretKey {
                var: "CLERK_SECRET_KEY"
            })
        ),
        "{e:?}"
    );
    assert!(e.to_string().contains("CLERK_SECRET_KEY"), "{e}");

    set("CLERK_SECRET_KEY", Some("pk_live_NOTASECRETKEY"));
    let e = Clerk::from_env().unwrap_err();
    assert!(
        matches!(e, Error::Config(ConfigError::InvalidSecretKey { .. })),
        "{e:?}"
    );
    assert!(e.to_string().contains("CLERK_SECRET_KEY"), "{e}");
    assert!(!e.to_string().contains("NOTASECRETKEY"), "{e}");

    set("CLERK_SECRET_KEY", Some("sk_test_abc"));
    let clerk = Clerk::from_env().unwrap();
    assert_eq!(clerk.base_url(), "https://api.clerk.com/v1");

    set("CLERK_API_URL", Some("http://127.0.0.1:4010/"));
    assert_eq!(
        Clerk::from_env().unwrap().base_url(),
        "http://127.0.0.1:4010/v1"
    );

    set("CLERK_API_URL", Some("http://clerk.internal.example"));
    let e = Clerk::from_env().unwrap_err();
    assert!(
        matches!(e, Error::Config(ConfigError::InsecureHttp { .. })),
        "{e:?}"
    );

    set("CLERK_API_URL", Some("not a url"));
    let e = Clerk::from_env().unwrap_err();
    assert!(
        matches!(e, Error::Config(ConfigError::InvalidBaseUrl { .. })),
        "{e:?}"
    );
    set("CLERK_API_URL", None);
    set("CLERK_SECRET_KEY", None);
}
