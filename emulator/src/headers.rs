//! The PoS header rules of notes §2.2 and §9.2, in their order: the bearer token (401), then
//! `X-MobilePay-Client-System-Version` (1153 missing, 1157 duplicated, 1161 invalid), then the
//! merchant VAT (1151, 1155, 1159, and 1182 for the token's `merchant_vat` claim), then, on
//! the four creating endpoints, `X-MobilePay-Idempotency-Key` (1164 missing or empty, 1163,
//! 1162).
//!
//! The result is the [`Caller`]: which integrator acts for which merchant, the owner of
//! everything it creates and the scope of its idempotency keys.

use crate::auth::{parse_bearer, Claims, TokenError, TokenService};
use crate::errors::{ApiError, ErrorCode};
use crate::seed::Seed;
use crate::state::{MerchantKey, Owner};
use crate::validation::{is_valid_idempotency_key, is_valid_vat, is_valid_version};
use axum::http::HeaderMap;

pub const VERSION: &str = "x-mobilepay-client-system-version";
pub const VAT: &str = "x-mobilepay-merchant-vat-number";
pub const IDEMPOTENCY_KEY: &str = "x-mobilepay-idempotency-key";

/// The authenticated integrator acting for a merchant.
#[derive(Debug, Clone)]
pub struct Caller {
    pub owner: Owner,
    /// The effective merchant VAT (token claim or header), upper case.
    pub vat: String,
}

/// One header: `Ok(None)` if absent, `Err(())` if sent more than once. A value that is not
/// visible ASCII comes back as `Some("")`-like invalid text so the caller reports "invalid".
fn single<'a>(headers: &'a HeaderMap, name: &str) -> Result<Option<&'a str>, ()> {
    let mut values = headers.get_all(name).iter();
    let first = values.next();
    if values.next().is_some() {
        return Err(());
    }
    Ok(first.map(|v| v.to_str().unwrap_or("\u{0}")))
}

/// Check `Authorization: Bearer …` and return the token's claims.
pub fn authenticate(
    tokens: &TokenService,
    headers: &HeaderMap,
    now_unix: i64,
) -> Result<Claims, ApiError> {
    let value = match single(headers, "authorization") {
        Ok(Some(v)) => v,
        Ok(None) => return Err(ApiError::Unauthorized(TokenError::Missing.reason())),
        Err(()) => return Err(ApiError::Unauthorized("Duplicated Authorization header")),
    };
    let token = parse_bearer(value).ok_or(ApiError::Unauthorized(TokenError::Missing.reason()))?;
    tokens
        .verify(token, now_unix)
        .map_err(|e| ApiError::Unauthorized(e.reason()))
}

/// Version and VAT rules, after authentication.
pub fn caller(seed: &Seed, claims: &Claims, headers: &HeaderMap) -> Result<Caller, ApiError> {
    match single(headers, VERSION) {
        Err(()) => return Err(ErrorCode::DuplicatedVersion.into()),
        Ok(None) => return Err(ErrorCode::MissingVersion.into()),
        Ok(Some(v)) if !is_valid_version(v.trim()) => return Err(ErrorCode::InvalidVersion.into()),
        Ok(Some(_)) => {}
    }
    let header_vat = match single(headers, VAT) {
        Err(()) => return Err(ErrorCode::DuplicatedVat.into()),
        Ok(Some(v)) if !is_valid_vat(v.trim()) => return Err(ErrorCode::InvalidVat.into()),
        Ok(v) => v.map(|v| v.trim().to_ascii_uppercase()),
    };
    let vat = match (&claims.merchant_vat, header_vat) {
        (Some(claim), _) if !is_valid_vat(claim) => return Err(ErrorCode::InvalidVatClaim.into()),
        (Some(claim), Some(header)) if !claim.eq_ignore_ascii_case(&header) => {
            return Err(ErrorCode::InvalidVatClaim.with(
                "Invalid merchant_vat claim in access token: it does not match the x-mobilepay-merchant-vat-number header",
            ))
        }
        (Some(claim), _) => claim.to_ascii_uppercase(),
        (None, Some(header)) => header,
        (None, None) => return Err(ErrorCode::MissingVat.into()),
    };
    let merchant = match seed.merchant_of_vat(&vat) {
        Some(i) => MerchantKey::Known(i),
        None => MerchantKey::Unknown(vat.clone()),
    };
    Ok(Caller {
        owner: Owner {
            client_id: claims.client_id.clone(),
            merchant,
        },
        vat,
    })
}

/// The idempotency key of a creating request.
pub fn idempotency_key(headers: &HeaderMap) -> Result<String, ApiError> {
    match single(headers, IDEMPOTENCY_KEY) {
        Err(()) => Err(ErrorCode::DuplicatedIdempotencyKey.into()),
        Ok(None) => Err(ErrorCode::MissingIdempotencyKey.into()),
        Ok(Some(k)) if k.trim().is_empty() => Err(ErrorCode::MissingIdempotencyKey.into()),
        Ok(Some(k)) if !is_valid_idempotency_key(k) => Err(ErrorCode::InvalidIdempotencyKey.into()),
        Ok(Some(k)) => Ok(k.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::EmulatorConfig;
    use axum::http::HeaderValue;

    fn claims(vat: Option<&str>) -> Claims {
        Claims {
            client_id: "c".into(),
            merchant_vat: vat.map(str::to_string),
            scope: "integrator_scope".into(),
            iat: 0,
            exp: 10,
            epoch: 0,
            serial: 1,
            jti: "j".into(),
        }
    }

    fn code(r: Result<Caller, ApiError>) -> Option<ErrorCode> {
        r.err().and_then(|e| e.error_code())
    }

    #[test]
    fn version_then_vat_rules_in_order() {
        let seed = Seed::from_config(&EmulatorConfig::default());
        let mut h = HeaderMap::new();
        assert_eq!(
            code(caller(&seed, &claims(None), &h)),
            Some(ErrorCode::MissingVersion)
        );
        h.insert(VERSION, HeaderValue::from_static("1.0"));
        assert_eq!(
            code(caller(&seed, &claims(None), &h)),
            Some(ErrorCode::InvalidVersion)
        );
        h.insert(VERSION, HeaderValue::from_static("1.0.0"));
        h.append(VERSION, HeaderValue::from_static("1.0.0"));
        assert_eq!(
            code(caller(&seed, &claims(None), &h)),
            Some(ErrorCode::DuplicatedVersion)
        );
        h.insert(VERSION, HeaderValue::from_static("1.0.0"));
        assert_eq!(
            code(caller(&seed, &claims(None), &h)),
            Some(ErrorCode::MissingVat)
        );
        h.insert(VAT, HeaderValue::from_static("DK-9000002"));
        assert_eq!(
            code(caller(&seed, &claims(None), &h)),
            Some(ErrorCode::InvalidVat)
        );
        h.insert(VAT, HeaderValue::from_static("DK90000028"));
        h.append(VAT, HeaderValue::from_static("DK90000028"));
        assert_eq!(
            code(caller(&seed, &claims(None), &h)),
            Some(ErrorCode::DuplicatedVat)
        );
        h.insert(VAT, HeaderValue::from_static("DK90000028"));
        let c = caller(&seed, &claims(None), &h).unwrap();
        assert_eq!(c.owner.merchant, MerchantKey::Known(0));
        assert_eq!(
            code(caller(&seed, &claims(Some("FI90000040")), &h)),
            Some(ErrorCode::InvalidVatClaim)
        );
        assert_eq!(
            code(caller(&seed, &claims(Some("nonsense")), &h)),
            Some(ErrorCode::InvalidVatClaim)
        );
        h.remove(VAT);
        assert_eq!(
            caller(&seed, &claims(Some("FI90000040")), &h).unwrap().vat,
            "FI90000040"
        );
    }

    #[test]
    fn idempotency_header_rules() {
        let mut h = HeaderMap::new();
        assert_eq!(
            idempotency_key(&h).err().and_then(|e| e.error_code()),
            Some(ErrorCode::MissingIdempotencyKey)
        );
        h.insert(
            IDEMPOTENCY_KEY,
            HeaderValue::from_str(&"k".repeat(37)).unwrap(),
        );
        assert_eq!(
            idempotency_key(&h).err().and_then(|e| e.error_code()),
            Some(ErrorCode::InvalidIdempotencyKey)
        );
        h.insert(IDEMPOTENCY_KEY, HeaderValue::from_static("abc"));
        h.append(IDEMPOTENCY_KEY, HeaderValue::from_static("abc"));
        assert_eq!(
            idempotency_key(&h).err().and_then(|e| e.error_code()),
            Some(ErrorCode::DuplicatedIdempotencyKey)
        );
        h.insert(IDEMPOTENCY_KEY, HeaderValue::from_static("abc"));
        assert_eq!(idempotency_key(&h).ok().as_deref(), Some("abc"));
    }
}
