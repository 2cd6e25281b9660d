//! Point-of-sale operations of the [`Store`]: create, look up, delete and list, and the
//! beacon-id index they keep.

use super::pos::Pos;
use super::{check_owner, MerchantKey, Owner, Store};
use crate::errors::{ApiError, ErrorCode};
use crate::seed::Seed;
use crate::validation::parse_guid;
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// A validated `CreatePosRequest`.
#[derive(Debug, Clone)]
pub struct NewPos {
    pub merchant_pos_id: String,
    pub store_id: Uuid,
    pub name: String,
    pub beacon_id: Option<String>,
    pub callback_alias: Option<String>,
    pub supported_beacon_types: Vec<&'static str>,
    pub require_payment_before_checkin: bool,
}

/// What a request names, to find the PoS it is about (see [`Store::pos_of`]).
#[derive(Debug, Clone)]
pub enum Named<'a> {
    Pos(Uuid),
    Payment(Uuid),
    Refund(Uuid),
    /// The latest payment of this integrator with this `orderId`.
    Order {
        client_id: &'a str,
        order_id: String,
    },
}

/// Filters of `GET /pointofsales` (at least one is set).
#[derive(Debug, Default)]
pub struct PosFilter {
    pub store_id: Option<Uuid>,
    pub beacon_id: Option<String>,
    pub merchant_pos_id: Option<String>,
}

impl Store {
    pub fn create_pos(
        &mut self,
        seed: &Seed,
        owner: &Owner,
        req: NewPos,
    ) -> Result<Uuid, ApiError> {
        let (store_merchant, _) = seed
            .store(&req.store_id.to_string())
            .ok_or(ErrorCode::StoreNotFound409)?;
        if owner.merchant != MerchantKey::Known(store_merchant) {
            return Err(ErrorCode::StoreOtherMerchant.into());
        }
        if self
            .poses
            .values()
            .any(|p| !p.deleted && p.owner == *owner && p.merchant_pos_id == req.merchant_pos_id)
        {
            return Err(ErrorCode::MerchantPosIdExists.into());
        }
        let beacon = req.beacon_id.unwrap_or_else(|| Uuid::new_v4().to_string());
        let beacon_key = beacon.to_ascii_lowercase();
        if self.beacons.contains_key(&beacon_key) {
            return Err(ErrorCode::BeaconIdExists.into());
        }
        let id = Uuid::new_v4();
        self.beacons.insert(beacon_key, id);
        self.poses.insert(
            id,
            Box::new(Pos {
                id,
                owner: owner.clone(),
                merchant_pos_id: req.merchant_pos_id,
                store_id: req.store_id,
                name: req.name,
                beacon_id: beacon,
                callback_alias: req.callback_alias,
                supported_beacon_types: req.supported_beacon_types,
                require_payment_before_checkin: req.require_payment_before_checkin,
                deleted: false,
                deleted_at: None,
                checked_in: None,
                active_payment: None,
                payments: Vec::new(),
            }),
        );
        Ok(id)
    }

    /// A live PoS the caller may see; 404 if unknown or deleted, 1400 for another integrator,
    /// `other_merchant` for another merchant.
    pub fn pos_for(
        &self,
        owner: &Owner,
        id: &str,
        other_merchant: ErrorCode,
    ) -> Result<&Pos, ApiError> {
        let pos = parse_guid(id)
            .and_then(|id| self.poses.get(&id))
            .filter(|p| !p.deleted)
            .ok_or(ApiError::NotFound)?;
        check_owner(
            &pos.owner,
            owner,
            ErrorCode::PosOtherIntegrator,
            other_merchant,
        )?;
        Ok(pos)
    }

    /// `DELETE /pointofsales/{id}`. A PoS that is already deleted is gone: 404, for its owner
    /// too, so the retry of a delete whose first attempt took effect (its response lost to a
    /// client timeout) meets 404 as it does at MobilePay; a client takes that as done. An
    /// active payment on it is cancelled by MobilePay [inferred]; reserved payments stay
    /// capturable.
    pub fn delete_pos(
        &mut self,
        owner: &Owner,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<(), ApiError> {
        let pos = parse_guid(id)
            .and_then(|id| self.poses.get_mut(&id))
            .filter(|p| !p.deleted)
            .ok_or(ApiError::NotFound)?;
        check_owner(
            &pos.owner,
            owner,
            ErrorCode::PosOtherIntegrator,
            ErrorCode::DeletePosOtherMerchant,
        )?;
        pos.deleted = true;
        pos.deleted_at = Some(now);
        pos.checked_in = None;
        let beacon = pos.beacon_id.to_ascii_lowercase();
        let active = pos.active_payment.take();
        self.beacons.remove(&beacon);
        if let Some(pid) = active {
            if let Some(p) = self.payments.get_mut(&pid) {
                p.cancel_by_mobilepay(now);
            }
        }
        Ok(())
    }

    /// The ids (lower case) the requests about `pos` can name: the PoS, its payments, their
    /// refunds, and its beacon unless another PoS in the store has the same beacon.
    pub fn ids_of_pos(&self, pos: Uuid) -> Vec<String> {
        let Some(p) = self.poses.get(&pos) else {
            return Vec::new();
        };
        let mut ids = vec![pos.to_string()];
        ids.extend(p.payments.iter().map(Uuid::to_string));
        ids.extend(
            self.refunds
                .values()
                .filter(|r| p.payments.contains(&r.payment_id))
                .map(|r| r.id.to_string()),
        );
        let beacon = p.beacon_id.to_ascii_lowercase();
        let shared = self
            .poses
            .values()
            .any(|o| o.id != pos && o.beacon_id.eq_ignore_ascii_case(&beacon));
        if !beacon.is_empty() && !shared {
            ids.push(beacon);
        }
        ids
    }

    /// Forgets a deleted PoS and everything only it could reach: its payments, their refunds,
    /// the idempotency records that created them, their order ids, deadlines and poll-delay
    /// rules. For the end of a case (`DELETE /_emulator/journal?posId=`), when no one holds
    /// these ids any more. A PoS not deleted is kept (false): its case may not be over.
    pub fn release_pos(&mut self, pos: Uuid) -> bool {
        if !self.poses.get(&pos).is_some_and(|p| p.deleted) {
            return false;
        }
        let Some(p) = self.poses.remove(&pos) else {
            return false;
        };
        let mut ids: std::collections::HashSet<Uuid> = p.payments.iter().copied().collect();
        ids.insert(pos);
        let refunds: Vec<Uuid> = self
            .refunds
            .values()
            .filter(|r| ids.contains(&r.payment_id))
            .map(|r| r.id)
            .collect();
        for r in refunds {
            self.refunds.remove(&r);
            ids.insert(r);
        }
        for id in &p.payments {
            self.payments.remove(id);
        }
        self.orders.retain(|_, id| !ids.contains(id));
        self.deadlines
            .retain(|std::cmp::Reverse((_, d))| !ids.contains(&d.id()));
        self.idempotency.forget_resources(&ids);
        self.poll_delays.forget(&ids);
        true
    }

    /// The PoS a request is about: the PoS itself, a payment's, a refund's payment's. Deleted
    /// PoSes count (their payments live on); `None` for unknown ids.
    pub fn pos_of(&self, named: Named<'_>) -> Option<Uuid> {
        let payment_pos = |id: &Uuid| self.payments.get(id).map(|p| p.pos_id);
        match named {
            Named::Pos(id) => self.poses.contains_key(&id).then_some(id),
            Named::Payment(id) => payment_pos(&id),
            Named::Refund(id) => self
                .refunds
                .get(&id)
                .and_then(|r| payment_pos(&r.payment_id)),
            Named::Order {
                client_id,
                order_id,
            } => self
                .payments
                .values()
                .filter(|p| p.owner.client_id == client_id && p.order_id == *order_id)
                .max_by_key(|p| p.created_at)
                .map(|p| p.pos_id),
        }
    }

    pub fn list_pos(&self, owner: &Owner, f: &PosFilter) -> Vec<Uuid> {
        let mut out: Vec<&Pos> = self
            .poses
            .values()
            .map(|p| &**p)
            .filter(|p| !p.deleted && p.owner == *owner)
            .filter(|p| f.store_id.is_none_or(|s| p.store_id == s))
            .filter(|p| {
                f.beacon_id
                    .as_deref()
                    .is_none_or(|b| p.beacon_id.eq_ignore_ascii_case(b))
            })
            .filter(|p| {
                f.merchant_pos_id
                    .as_deref()
                    .is_none_or(|m| p.merchant_pos_id == m)
            })
            .collect();
        out.sort_by_key(|p| p.id);
        out.into_iter().map(|p| p.id).collect()
    }
}
