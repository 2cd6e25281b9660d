//! JSON Schemas (draft 2020-12) for the response bodies of the MobilePay PoS
//! Integrator API v10, one per `components.schemas` entry of the official
//! OpenAPI spec (10.2.6) that a response uses, plus the enums and objects those
//! reference.
//!
//! The schemas are hand-written files in `schemas/pos-v10/` at the workspace
//! root; `engine/tests/pos_v10_schemas_match_spec.rs` proves they match the
//! official spec. They are embedded into the binary with `include_str!` rather
//! than read from disk at run time, because the engine binary must work from
//! any working directory (and once installed, where no source tree exists):
//! a certification run may never fail because a schema file could not be
//! found. Every file stands alone (referenced enums and objects are inlined
//! under `$defs`), so each can be compiled on its own without network access.

/// Declares the schema list once, so that [`SCHEMA_NAMES`] and the embedded
/// texts cannot disagree.
macro_rules! pos_v10_schemas {
    ($($name:literal),* $(,)?) => {
        /// Names of the embedded schemas: the spec's component names, which
        /// are also the file stems in `schemas/pos-v10/`.
        pub const SCHEMA_NAMES: &[&str] = &[$($name),*];

        const SCHEMAS: &[(&str, &str)] = &[
            $(($name, include_str!(concat!("../../../schemas/pos-v10/", $name, ".json")))),*
        ];
    };
}

pos_v10_schemas![
    "CreatePosResponse",
    "CreateRefundResponse",
    "CurrencyCode",
    "ErrorResponse",
    "ErrorResponseV2",
    "GetCheckInResponse",
    "GetRefundResponse",
    "PaymentInitiatedResponse",
    "PaymentRestrictions",
    "PosIdsResponse",
    "PosResponse",
    "QueryPaymentIdsResponse",
    "QueryPaymentResponse",
    "QueryRefundIdsResponse",
    "RefundState",
    "StoreIdsResponse",
    "StoreResponse",
];

/// The JSON text of the schema for the spec component `name` (e.g.
/// `"QueryPaymentResponse"`), or `None` if there is no such schema.
pub fn named_schema(name: &str) -> Option<&'static str> {
    SCHEMAS
        .iter()
        .find(|(schema_name, _)| *schema_name == name)
        .map(|(_, text)| *text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_named_schema_parses_as_json() {
        for name in SCHEMA_NAMES {
            let text = named_schema(name).unwrap_or_else(|| panic!("{name}: no embedded text"));
            let value: serde_json::Value = serde_json::from_str(text)
                .unwrap_or_else(|err| panic!("{name}.json is not valid JSON: {err}"));
            assert_eq!(
                value.get("title").and_then(serde_json::Value::as_str),
                Some(*name),
                "{name}.json: `title` must be the component name"
            );
        }
    }

    #[test]
    fn names_are_sorted_unique_and_unknown_names_are_none() {
        assert!(
            SCHEMA_NAMES.windows(2).all(|pair| pair[0] < pair[1]),
            "SCHEMA_NAMES must be sorted and unique"
        );
        assert_eq!(named_schema("Bogus"), None);
    }
}
