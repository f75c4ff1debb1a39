//! The only authentication the fake does: the bearer key must have the shape of a Clerk secret
//! key. Keys are never compared, logged or echoed.

use clerk_actor_tokens::looks_like_secret_key;
use http::HeaderMap;
use http::header::AUTHORIZATION;

use crate::errors::Refusal;

/// 401 unless the request carries `Authorization: Bearer sk_(test|live)_...`.
pub(crate) fn check(headers: &HeaderMap) -> Result<(), Refusal> {
    let Some(value) = headers.get(AUTHORIZATION) else {
        // Texts from Clerk's catalogue (see the table in `errors`).
        return Err(Refusal::unauthorized(
            "authentication_invalid",
            "Invalid authentication",
            "Unable to authenticate the request, you need to supply an active session",
        ));
    };
    let format_invalid = || {
        Refusal::unauthorized(
            "authorization_header_format_invalid",
            "Invalid Authorization header format",
            "Invalid Authorization header format. Must be 'Bearer <YOUR_API_KEY>'",
        )
    };
    let value = value.to_str().map_err(|_| format_invalid())?;
    let (scheme, key) = value.trim().split_once(' ').ok_or_else(format_invalid)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(format_invalid());
    }
    if !looks_like_secret_key(key.trim()) {
        return Err(Refusal::unauthorized(
            "clerk_key_invalid",
            "The provided Clerk Secret Key is invalid. Make sure that your Clerk Secret Key is correct.",
            "The provided Clerk Secret Key is invalid. Make sure that your Clerk Secret Key is correct.",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(AUTHORIZATION, value.parse().unwrap());
        h
    }

    #[test]
    fn shapes_of_keys() {
        assert!(check(&with("Bearer sk_test_abc")).is_ok());
        assert!(check(&with("bearer sk_live_abc")).is_ok());
        let code = |h: &HeaderMap| check(h).unwrap_err().errors[0].code.clone();
        assert_eq!(code(&HeaderMap::new()), "authentication_invalid");
        assert_eq!(
            code(&with("sk_test_abc")),
            "authorization_header_format_invalid"
        );
        assert_eq!(
            code(&with("Basic sk_test_abc")),
            "authorization_header_format_invalid"
        );
        assert_eq!(code(&with("Bearer sk_test_")), "clerk_key_invalid");
        assert_eq!(code(&with("Bearer pk_test_abc")), "clerk_key_invalid");
    }

    #[test]
    fn the_key_is_not_echoed() {
        let refusal = check(&with("Bearer sk_prod_SECRETVALUE")).unwrap_err();
        assert!(!format!("{refusal:?}").contains("SECRETVALUE"));
    }
}
