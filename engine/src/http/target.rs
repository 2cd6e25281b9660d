//! Target profiles: where the PoS API, the token endpoint and the user simulation live, with
//! which credentials, and which variables a case gets to talk to them.

use crate::scenario::model::TargetKind;
use serde_json::{json, Map, Value};

/// MobilePay's self-certification API (DESIGN.md; notes §7.3).
pub const SANDBOX_HOST: &str = "https://api.sandbox.mobilepay.dk";
pub const SELF_CERT_POS_PATH: &str = "/pos-self-certification-api/pos/v10";
pub const POS_PATH: &str = "/pos/v10";
pub const TOKEN_PATH: &str = "/integrator-authentication/connect/token";
pub const USER_SIMULATION_PATH: &str = "/pos/app/usersimulation";
pub const CERTIFICATION_BRAND: &str = "MPPOSCERT1";
pub const CERTIFICATION_LOCATION: &str = "00001";

#[derive(Clone)]
pub struct Credentials {
    pub client_id: String,
    pub client_secret: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Credentials({}, ***)", self.client_id)
    }
}

#[derive(Debug, Clone)]
pub struct Target {
    /// Emulator or sandbox, for `when:`; a custom URL counts as sandbox-like (no journal).
    pub kind: TargetKind,
    /// `emulator`, `sandbox` or `custom`.
    pub name: String,
    pub host: String,
    /// The PoS API base, ending in `/pos/v10`.
    pub pos_base_url: String,
    pub token_url: String,
    pub user_simulation_url: String,
    /// The emulator's control API, when the target is our emulator.
    pub control_url: Option<String>,
    /// The emulator is the run's own (embedded): each case's journal entries and PoS state are
    /// released when the case ends (`DELETE /_emulator/journal?posId=&before=`: the case's own
    /// entries and state, and every entry below the oldest running case's mark), so memory stays
    /// flat.
    pub release_cases: bool,
    pub credentials: Option<Credentials>,
    /// Credentials of the user-simulation API (`x-ibm-client-id` / `x-ibm-client-secret`).
    pub simulation_credentials: Option<Credentials>,
    /// Sent as `merchant_vat` when fetching the token.
    pub merchant_vat: String,
    /// `X-MobilePay-Client-System-Version`.
    pub client_version: String,
    /// Test users (phone numbers) by behaviour: credit, debit, loyalty, partialCapture, ...
    pub test_users: Map<String, Value>,
    /// The client's check-in notification callback (Identification, notes §7.2, §8.5): the
    /// alias MobilePay handed back for its whitelisted URL, and that URL. None when the
    /// identity in poscert.yaml gives none.
    pub callback_alias: Option<String>,
    pub callback_url: Option<String>,
}

impl Target {
    /// The MobilePay self-certification sandbox (or something at its address, for tests).
    pub fn sandbox(host: &str, merchant_vat: &str) -> Target {
        let host = host.trim_end_matches('/').to_string();
        Target {
            kind: TargetKind::Sandbox,
            name: "sandbox".into(),
            pos_base_url: format!("{host}{SELF_CERT_POS_PATH}"),
            token_url: format!("{host}{TOKEN_PATH}"),
            user_simulation_url: format!("{host}{USER_SIMULATION_PATH}"),
            control_url: None,
            release_cases: false,
            credentials: None,
            simulation_credentials: None,
            merchant_vat: merchant_vat.into(),
            client_version: "1.0.0".into(),
            test_users: sandbox_test_users(merchant_vat),
            callback_alias: None,
            callback_url: None,
            host,
        }
    }

    /// A PoS v10 API at a custom host (e.g. a standalone emulator or a proxy).
    pub fn custom(host: &str, merchant_vat: &str) -> Target {
        let mut t = Target::sandbox(host, merchant_vat);
        t.name = "custom".into();
        t.pos_base_url = format!("{}{POS_PATH}", t.host);
        t
    }

    /// Does this URL belong to the PoS API (and so get the PoS headers)?
    pub fn is_pos_url(&self, url: &str) -> bool {
        // `{host}{POS_PATH}/` and `{host}{SELF_CERT_POS_PATH}/`, compared in place: this runs
        // for every request, and building the prefixes allocated twice each time.
        let under = |path: &str, rest: &str| {
            rest.strip_prefix(path)
                .is_some_and(|after| after.starts_with('/'))
        };
        url.starts_with(&self.pos_base_url)
            || url
                .strip_prefix(&self.host)
                .is_some_and(|rest| under(POS_PATH, rest) || under(SELF_CERT_POS_PATH, rest))
    }

    pub fn is_simulation_url(&self, url: &str) -> bool {
        url.starts_with(&self.user_simulation_url)
    }

    /// Variables every case sees (DESIGN.md: cases stay free of plumbing).
    pub fn variables(&self) -> Map<String, Value> {
        let mut v = Map::new();
        v.insert("pos".into(), json!(self.pos_base_url));
        // The path part (e.g. `/pos/v10`), for journal judgements.
        let path = self
            .pos_base_url
            .strip_prefix(&self.host)
            .unwrap_or(POS_PATH);
        v.insert("posPath".into(), json!(path));
        v.insert("tokenUrl".into(), json!(self.token_url));
        v.insert("userSimulation".into(), json!(self.user_simulation_url));
        if let Some(c) = &self.control_url {
            v.insert("emulator".into(), json!(c));
        }
        v.insert("target".into(), json!(self.name));
        v.insert("merchantVat".into(), json!(self.merchant_vat));
        v.insert("merchantBrandId".into(), json!(CERTIFICATION_BRAND));
        v.insert("merchantLocationId".into(), json!(CERTIFICATION_LOCATION));
        v.insert("clientVersion".into(), json!(self.client_version));
        v.insert("users".into(), Value::Object(self.test_users.clone()));
        // Null without a callback in the identity, so a case can ask `{{has "callbackAlias"}}`.
        v.insert("callbackAlias".into(), json!(self.callback_alias));
        v.insert("callbackUrl".into(), json!(self.callback_url));
        v
    }
}

/// The sandbox's shared test users (notes §8.2), by behaviour, for the merchant's country.
pub fn sandbox_test_users(merchant_vat: &str) -> Map<String, Value> {
    let finnish = merchant_vat.starts_with("FI");
    let phone = |n: u8| {
        if finnish {
            format!("+35820031800{n}")
        } else {
            format!("+452003180{n}")
        }
    };
    let mut m = Map::new();
    m.insert("credit".into(), json!(phone(1)));
    m.insert("debit".into(), json!(phone(2)));
    m.insert("credit2".into(), json!(phone(3)));
    m.insert("loyalty".into(), json!(phone(4)));
    m.insert("partialCapture".into(), json!(phone(5)));
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sandbox_urls_follow_the_self_certification_docs() {
        let t = Target::sandbox(SANDBOX_HOST, "DK90000028");
        assert_eq!(
            t.pos_base_url,
            "https://api.sandbox.mobilepay.dk/pos-self-certification-api/pos/v10"
        );
        assert_eq!(
            t.token_url,
            "https://api.sandbox.mobilepay.dk/integrator-authentication/connect/token"
        );
        assert!(t.is_pos_url(&format!("{}/payments", t.pos_base_url)));
        assert!(!t.is_pos_url(&t.token_url));
        // The same answers as building the two prefixes, as this did before.
        let old = |t: &Target, url: &str| {
            url.starts_with(&t.pos_base_url)
                || url.starts_with(&format!("{}{POS_PATH}/", t.host))
                || url.starts_with(&format!("{}{SELF_CERT_POS_PATH}/", t.host))
        };
        let custom = Target::custom("http://127.0.0.1:8080/", "DK90000028");
        for target in [&t, &custom] {
            for host in [
                "http://127.0.0.1:8080",
                "http://127.0.0.1:80800",
                &target.host,
            ] {
                for path in [
                    "/pos/v10/payments",
                    "/pos/v10",
                    "/pos/v10/",
                    "/pos/v100/x",
                    "/pos-self-certification-api/pos/v10/x",
                    "/pos-self-certification-api/pos/v10",
                    "/pos-self-certification-api/pos/v1",
                    "/integrator-authentication/connect/token",
                    "",
                ] {
                    let url = format!("{host}{path}");
                    assert_eq!(target.is_pos_url(&url), old(target, &url), "{url}");
                }
            }
        }
        assert_eq!(t.test_users["debit"], "+4520031802");
        let fi = Target::sandbox(SANDBOX_HOST, "FI90000040");
        assert_eq!(fi.test_users["loyalty"], "+358200318004");
    }
}
