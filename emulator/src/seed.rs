//! The seed: who exists when the emulator starts (and after `POST /_emulator/reset`).
//!
//! The certification merchant of notes §7.3 (VAT DK90000028 / FI90000040, brand MPPOSCERT1,
//! an active store at location 00001 and an inactive one at 00002 for 1204), a second merchant
//! and a second integrator for the 403 codes, the sandbox test users of §8.2 with their
//! behaviours, and the credentials. The same value is served at `GET /_emulator/seed`, so
//! that any tool can discover how to talk to the emulator; the handlers read merchants,
//! stores and users from it, so the JSON and the behaviour cannot drift apart.

use crate::config::EmulatorConfig;
use serde::Serialize;

pub const CERT_STORE_ID: &str = "9d0a9c45-1793-4e82-9410-b0ee6779ab60";
pub const CERT_INACTIVE_STORE_ID: &str = "5b0f1d2e-8c3a-4e7b-9f61-2a4d6c8e0b13";
pub const SECOND_STORE_ID: &str = "c2b7e0a4-3d5f-4a91-8e26-7f1b9c0d4e58";
pub const CERT_VAT_DK: &str = "DK90000028";
pub const CERT_VAT_FI: &str = "FI90000040";
pub const SECOND_VAT: &str = "DK11223344";
/// MobilePay's merchant ids (the `MerchantId` of a check-in notification, notes §8.5). The
/// real ones are not published; these are fixed so a client can be configured with them.
pub const CERT_MERCHANT_ID: &str = "4c1f0b7e-2a5d-4e93-8b61-0d9a3e7c5f21";
pub const SECOND_MERCHANT_ID: &str = "8e2d6a13-7f4b-4c05-9a3e-1b5c7d9f0e42";

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Seed {
    pub integrators: Vec<Integrator>,
    pub user_simulation: Credentials,
    pub merchants: Vec<Merchant>,
    pub test_users: Vec<TestUser>,
    pub poll_delays: PollDelays,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Integrator {
    pub name: String,
    pub client_id: String,
    pub client_secret: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Credentials {
    pub client_id: String,
    pub client_secret: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Merchant {
    pub merchant_id: String,
    pub name: String,
    pub vat_numbers: Vec<String>,
    pub stores: Vec<Store>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Store {
    pub store_id: String,
    pub merchant_brand_id: String,
    pub merchant_location_id: String,
    pub store_name: String,
    pub active: bool,
    pub brand_name: String,
    pub store_street: String,
    pub store_zip_code: String,
    pub store_city: String,
}

/// The card a test user pays with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum PaymentSource {
    Credit,
    Debit,
}

impl PaymentSource {
    /// `"Debit"` / `"Credit"`, as in the seed.
    pub fn parse(s: &str) -> Option<PaymentSource> {
        match s {
            "Credit" => Some(PaymentSource::Credit),
            "Debit" => Some(PaymentSource::Debit),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            PaymentSource::Credit => "Credit",
            PaymentSource::Debit => "Debit",
        }
    }

    /// Whether the restrictions disallow this card type (notes §5.8).
    pub fn refused_by(self, debit_disallowed: bool, credit_disallowed: bool) -> bool {
        match self {
            PaymentSource::Debit => debit_disallowed,
            PaymentSource::Credit => credit_disallowed,
        }
    }
}

/// What a test user does differently (notes §8.2, §9.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Behaviour {
    /// Pays with a credit card; `creditCardDisallowed` leaves the payment `IssuedToUser`.
    CreditCard,
    /// Pays with a debit card; `debitCardDisallowed` leaves the payment `IssuedToUser`.
    DebitCard,
    /// Credit card, and `loyaltyIds: ["123456"]` on check-in and on the payment.
    Loyalty,
    /// Credit card, and `partialCapturePossible: true` once reserved.
    PartialCapture,
    /// Credit card, and a Storebox `customerReceiptToken` (the user was "Storebox" until 2023).
    Receipt,
    /// Emulator-only (the sandbox has no such user): a debit card, tried first, and a credit
    /// card, which the user picks after the debit card is refused by the restrictions.
    TwoCards,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TestUser {
    pub phone_number: String,
    pub country: String,
    pub payment_source: PaymentSource,
    /// The user's cards, the one tried first first (`payment_source` is that one).
    pub cards: Vec<PaymentSource>,
    pub feature: String,
    pub behaviour: Behaviour,
    /// Precomputed `customerToken` (not part of the seed JSON).
    #[serde(skip)]
    token: String,
    /// Precomputed `customerReceiptToken` (not part of the seed JSON).
    #[serde(skip)]
    receipt_token: String,
}

impl TestUser {
    pub fn loyalty_ids(&self) -> Vec<String> {
        if self.behaviour == Behaviour::Loyalty {
            vec!["123456".to_string()]
        } else {
            Vec::new()
        }
    }

    pub fn partial_capture_possible(&self) -> bool {
        self.behaviour == Behaviour::PartialCapture
    }

    fn new(
        phone_number: String,
        country: &str,
        payment_source: PaymentSource,
        feature: &str,
        behaviour: Behaviour,
    ) -> TestUser {
        use sha2::{Digest, Sha256};
        let hex = |bytes: &[u8]| bytes.iter().map(|b| format!("{b:02x}")).collect::<String>();
        let token = hex(&Sha256::digest(phone_number.as_bytes())[..20]);
        let receipt_token = if behaviour == Behaviour::Receipt {
            hex(&Sha256::digest(format!("receipt:{phone_number}").as_bytes())[..16])
        } else {
            String::new()
        };
        let cards = if behaviour == Behaviour::TwoCards {
            vec![PaymentSource::Debit, PaymentSource::Credit]
        } else {
            vec![payment_source]
        };
        TestUser {
            phone_number,
            country: country.into(),
            payment_source,
            cards,
            feature: feature.into(),
            behaviour,
            token,
            receipt_token,
        }
    }

    /// A stable 40-hex-digit customer token derived from the phone number.
    pub fn customer_token(&self) -> String {
        self.token.clone()
    }

    /// A 32-hex-digit receipt token for the receipt user, `""` (no token) for the others.
    pub fn customer_receipt_token(&self) -> String {
        self.receipt_token.clone()
    }

    /// The card an accept uses: the one asked for (`None` if the user has no such card), else
    /// the first of the user's cards not yet refused on this payment (the customer picks
    /// another card after a refusal, notes §5.8), else the last one again.
    pub fn card_for(
        &self,
        asked: Option<PaymentSource>,
        refused: &[PaymentSource],
    ) -> Option<PaymentSource> {
        match asked {
            Some(card) => self.cards.contains(&card).then_some(card),
            None => self
                .cards
                .iter()
                .find(|c| !refused.contains(c))
                .or(self.cards.last())
                .copied(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PollDelays {
    pub payment_ms: u64,
    pub refund_ms: u64,
}

/// A seed store; `address` is street, zip code, city.
fn store(
    id: &str,
    brand: &str,
    brand_name: &str,
    location: &str,
    name: &str,
    active: bool,
    address: [&str; 3],
) -> Store {
    let [street, zip, city] = address;
    Store {
        store_id: id.into(),
        merchant_brand_id: brand.into(),
        merchant_location_id: location.into(),
        store_name: name.into(),
        active,
        brand_name: brand_name.into(),
        store_street: street.into(),
        store_zip_code: zip.into(),
        store_city: city.into(),
    }
}

fn users() -> Vec<TestUser> {
    let rows: [(&str, &str, PaymentSource, &str, Behaviour); 6] = [
        (
            "01",
            "01",
            PaymentSource::Credit,
            "Credit card",
            Behaviour::CreditCard,
        ),
        (
            "02",
            "02",
            PaymentSource::Debit,
            "Debit card (use it to test debitCardDisallowed)",
            Behaviour::DebitCard,
        ),
        (
            "03",
            "03",
            PaymentSource::Credit,
            "Credit card (was Storebox: has a customerReceiptToken)",
            Behaviour::Receipt,
        ),
        (
            "04",
            "04",
            PaymentSource::Credit,
            "Loyalty (loyaltyIds [\"123456\"])",
            Behaviour::Loyalty,
        ),
        (
            "05",
            "05",
            PaymentSource::Credit,
            "Partial capture (partialCapturePossible true)",
            Behaviour::PartialCapture,
        ),
        (
            "06",
            "06",
            PaymentSource::Debit,
            "Two cards, debit then credit (emulator-only: not a sandbox user)",
            Behaviour::TwoCards,
        ),
    ];
    let mut out = Vec::new();
    for (country, prefix) in [("DK", "+45200318"), ("FI", "+3582003180")] {
        for (dk, fi, source, feature, behaviour) in rows {
            let suffix = if country == "DK" { dk } else { fi };
            out.push(TestUser::new(
                format!("{prefix}{suffix}"),
                country,
                source,
                feature,
                behaviour,
            ));
        }
    }
    out
}

impl Seed {
    pub fn from_config(config: &EmulatorConfig) -> Seed {
        Seed {
            integrators: vec![
                Integrator {
                    name: "primary".into(),
                    client_id: config.client_id.clone(),
                    client_secret: config.client_secret.clone(),
                },
                Integrator {
                    name: "second".into(),
                    client_id: config.second_client_id.clone(),
                    client_secret: config.second_client_secret.clone(),
                },
            ],
            user_simulation: Credentials {
                client_id: config.user_simulation_client_id.clone(),
                client_secret: config.user_simulation_client_secret.clone(),
            },
            merchants: vec![
                Merchant {
                    merchant_id: CERT_MERCHANT_ID.into(),
                    name: "MobilePay PoS Certification".into(),
                    vat_numbers: vec![CERT_VAT_DK.into(), CERT_VAT_FI.into()],
                    stores: vec![
                        store(
                            CERT_STORE_ID,
                            "MPPOSCERT1",
                            "MobilePay PoS Certification",
                            "00001",
                            "PoS Certification Store",
                            true,
                            ["Vestergade 1", "1456", "København K"],
                        ),
                        store(
                            CERT_INACTIVE_STORE_ID,
                            "MPPOSCERT1",
                            "MobilePay PoS Certification",
                            "00002",
                            "PoS Certification Store (not activated)",
                            false,
                            ["Vestergade 2", "1456", "København K"],
                        ),
                    ],
                },
                Merchant {
                    merchant_id: SECOND_MERCHANT_ID.into(),
                    name: "Emulator Second Merchant".into(),
                    vat_numbers: vec![SECOND_VAT.into()],
                    stores: vec![store(
                        SECOND_STORE_ID,
                        "POSDK54321",
                        "Second Merchant Brand",
                        "00001",
                        "Second Merchant Store",
                        true,
                        ["Keskuskatu 4", "00100", "Helsinki"],
                    )],
                },
            ],
            test_users: users(),
            poll_delays: PollDelays {
                payment_ms: config.payment_poll_delay_ms,
                refund_ms: config.refund_poll_delay_ms,
            },
        }
    }

    /// The merchant index owning this VAT number (`None`: a well-formed but unknown VAT).
    pub fn merchant_of_vat(&self, vat: &str) -> Option<usize> {
        self.merchants
            .iter()
            .position(|m| m.vat_numbers.iter().any(|v| v.eq_ignore_ascii_case(vat)))
    }

    /// The store with this id and the index of its merchant.
    pub fn store(&self, store_id: &str) -> Option<(usize, &Store)> {
        self.merchants.iter().enumerate().find_map(|(i, m)| {
            m.stores
                .iter()
                .find(|s| s.store_id.eq_ignore_ascii_case(store_id))
                .map(|s| (i, s))
        })
    }

    pub fn user(&self, phone: &str) -> Option<usize> {
        self.test_users.iter().position(|u| u.phone_number == phone)
    }

    pub fn integrator(&self, client_id: &str) -> Option<&Integrator> {
        self.integrators.iter().find(|i| i.client_id == client_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_has_the_certification_merchant_and_twelve_users() {
        let seed = Seed::from_config(&EmulatorConfig::default());
        assert_eq!(seed.merchant_of_vat("DK90000028"), Some(0));
        assert_eq!(seed.merchant_of_vat("FI90000040"), Some(0));
        assert_eq!(seed.merchant_of_vat("DK11223344"), Some(1));
        assert_eq!(
            seed.store(CERT_STORE_ID).map(|(m, s)| (m, s.active)),
            Some((0, true))
        );
        assert_eq!(seed.test_users.len(), 12);
        let two = &seed.test_users[seed.user("+4520031806").unwrap()];
        use PaymentSource::*;
        assert_eq!(two.card_for(None, &[]), Some(Debit));
        assert_eq!(two.card_for(None, &[Debit]), Some(Credit));
        assert_eq!(two.card_for(None, &[Debit, Credit]), Some(Credit));
        assert_eq!(two.card_for(Some(Credit), &[]), Some(Credit));
        let one = &seed.test_users[seed.user("+4520031801").unwrap()];
        assert_eq!(one.card_for(Some(Debit), &[]), None);
        assert_eq!(one.card_for(None, &[Credit]), Some(Credit));
        assert!(seed.user("+4520031802").is_some());
        assert!(seed.user("+358200318005").is_some());
        let partial = &seed.test_users[seed.user("+358200318005").unwrap()];
        assert!(partial.partial_capture_possible());
        let loyal = &seed.test_users[seed.user("+4520031804").unwrap()];
        assert_eq!(loyal.loyalty_ids(), vec!["123456".to_string()]);
        assert_eq!(loyal.customer_token().len(), 40);
        assert_eq!(loyal.customer_receipt_token(), "");
        let receipt = &seed.test_users[seed.user("+4520031803").unwrap()];
        assert_eq!(receipt.customer_receipt_token().len(), 32);
    }

    #[test]
    fn seed_json_uses_the_documented_keys() {
        let v = serde_json::to_value(Seed::from_config(&EmulatorConfig::default())).unwrap();
        for key in [
            "integrators",
            "userSimulation",
            "merchants",
            "testUsers",
            "pollDelays",
        ] {
            assert!(v.get(key).is_some(), "{key}");
        }
        assert_eq!(
            v["merchants"][0]["stores"][0]["merchantLocationId"],
            "00001"
        );
        assert_eq!(v["testUsers"][1]["paymentSource"], "Debit");
        assert_eq!(v["pollDelays"]["paymentMs"], 1000);
    }
}
