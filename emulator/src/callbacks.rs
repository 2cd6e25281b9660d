//! The check-in notification service (notes §8.5, §9.8): the callback URLs MobilePay has
//! whitelisted, by callback alias, and the notification a check-in sends to one.
//!
//! At MobilePay an integrator e-mails its HTTPS endpoint, MobilePay whitelists it and hands back
//! a `CallbackAlias`, and the alias goes into `callbackAlias` when a PoS is created. Here the
//! control API plays the e-mail: `PUT /_emulator/callbacks/{alias}` registers a URL. When a
//! customer checks in on a PoS whose alias is registered, the HTTP edge POSTs the
//! [`CheckInNotification`] body to the URL, outside the store lock, retrying on anything but
//! 200 (see `notify.rs`).

use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Mutex;

/// Attempts after the first when the integrator answers anything but 200 (notes §8.5: "any
/// other answer is retried 3 times").
pub const RETRIES: u32 = 3;

/// The callback body, with MobilePay's PascalCase keys (notes §8.5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CheckInBody {
    pub merchant_id: String,
    pub merchant_brand_id: String,
    pub merchant_location_id: String,
    pub merchant_pos_id: String,
    pub pos_id: String,
}

/// A notification to deliver: where, what, and on whose behalf (the PoS owner's client id,
/// recorded in the journal).
#[derive(Debug, Clone)]
pub struct CheckInNotification {
    pub alias: String,
    pub url: String,
    pub body: CheckInBody,
    pub client_id: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Registration {
    pub alias: String,
    pub url: String,
}

/// The whitelisted callback URLs, by alias.
#[derive(Debug, Default)]
pub struct CallbackRegistry {
    urls: Mutex<BTreeMap<String, String>>,
}

/// An absolute `http://` or `https://` URL with a host.
pub fn check_url(url: &str) -> Result<(), String> {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
        .ok_or("url must start with http:// or https://")?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    if host.is_empty() || host.starts_with(':') || url.chars().any(char::is_whitespace) {
        return Err("url must name a host and contain no whitespace".into());
    }
    Ok(())
}

impl CallbackRegistry {
    fn urls(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, String>> {
        self.urls.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Register (or move) an alias. Returns whether it replaced a URL.
    pub fn set(&self, alias: &str, url: &str) -> bool {
        self.urls()
            .insert(alias.to_string(), url.to_string())
            .is_some()
    }

    pub fn get(&self, alias: &str) -> Option<String> {
        self.urls().get(alias).cloned()
    }

    pub fn remove(&self, alias: &str) -> bool {
        self.urls().remove(alias).is_some()
    }

    pub fn list(&self) -> Vec<Registration> {
        self.urls()
            .iter()
            .map(|(alias, url)| Registration {
                alias: alias.clone(),
                url: url.clone(),
            })
            .collect()
    }

    /// How many aliases are registered.
    pub fn len(&self) -> usize {
        self.urls().len()
    }

    pub fn is_empty(&self) -> bool {
        self.urls().is_empty()
    }

    pub fn clear(&self) -> usize {
        let mut urls = self.urls();
        let n = urls.len();
        urls.clear();
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_and_body_keys() {
        let r = CallbackRegistry::default();
        assert!(!r.set("shop-1", "http://127.0.0.1:1/cb"));
        assert!(r.set("shop-1", "http://127.0.0.1:2/cb"));
        assert_eq!(r.get("shop-1").as_deref(), Some("http://127.0.0.1:2/cb"));
        assert_eq!(r.list().len(), 1);
        assert!(r.remove("shop-1"));
        assert!(r.get("shop-1").is_none());
        let body = serde_json::to_value(CheckInBody {
            merchant_id: "m".into(),
            merchant_brand_id: "b".into(),
            merchant_location_id: "l".into(),
            merchant_pos_id: "p".into(),
            pos_id: "i".into(),
        })
        .unwrap();
        assert_eq!(
            body,
            serde_json::json!({"MerchantId":"m","MerchantBrandId":"b","MerchantLocationId":"l","MerchantPosId":"p","PosId":"i"})
        );
    }

    #[test]
    fn urls_must_be_http_with_a_host() {
        assert!(check_url("http://127.0.0.1:8080/cb").is_ok());
        assert!(check_url("https://pos.example.com").is_ok());
        assert!(check_url("ftp://x").is_err());
        assert!(check_url("http:///x").is_err());
        assert!(check_url("http://a b").is_err());
    }
}
