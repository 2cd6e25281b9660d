//! Emulator configuration: timings and credentials.
//!
//! The defaults are the faithful sandbox values (notes §4, §5.3, §5.6); tests and the engine
//! shorten the poll delays and may pass random secrets. Everything a client needs to know
//! (credentials, merchants, users) is derived from this into the [`crate::seed::Seed`].

/// How the emulator behaves. `Default` gives the faithful sandbox values.
#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    /// `pollDelayInMs` for payments and check-in (sandbox: 1000).
    pub payment_poll_delay_ms: u64,
    /// `pollDelayInMs` for refunds (sandbox: 100).
    pub refund_poll_delay_ms: u64,
    /// `expires_in` of issued tokens, on the virtual clock (sandbox example: 3700).
    pub token_lifetime_secs: u64,
    /// Cancel payments left in an active state (`Prepared`, `Paired`, `Initiated`,
    /// `IssuedToUser`) this long after their last change, as `CancelledByMobilePay`.
    /// `None`: never (the real value is unknown).
    pub inactivity_timeout_secs: Option<u64>,
    /// Reservation lifetime before `ExpiredAndCancelled` (7 days).
    pub reservation_lifetime_secs: u64,
    /// Refund reservation lifetime before `ExpiredAndCaptured` (24 hours).
    pub refund_auto_capture_secs: u64,
    /// How long after capture a payment can still be refunded (90 days; 1366 after).
    pub refund_window_secs: u64,
    /// How long idempotency keys are remembered (24 hours, on the virtual clock).
    pub idempotency_retention_secs: u64,
    /// How long a finished payment (final, with every refund final) is remembered after the
    /// last of them ended; then it, its refunds, its order id and its poll-delay rules are
    /// forgotten (404), and a deleted PoS this long after its deletion once none of its
    /// payments remain. MobilePay documents no deletion time: this is the emulator's choice, to
    /// keep a long standalone run's memory bounded. Default 120 days: a captured payment
    /// still answers 1366 for a month after its 90-day refund window (a check of "more than
    /// 90 days" advances the clock by 91 or so); it is never forgotten before the window has
    /// closed, whatever this says.
    pub finished_retention_secs: u64,
    /// Reject JSON properties the spec does not define (`additionalProperties: false`) with
    /// 400/1099. Off by default: the real server (ASP.NET) ignored them, as far as is known;
    /// the journal reports them either way (`unknownFields`). See the README.
    pub reject_unknown_fields: bool,
    /// How many requests the journal keeps (a ring; the oldest are dropped).
    pub journal_capacity: usize,
    /// The most bytes the journal's entries may hold, estimated per entry (bodies, headers,
    /// path; see `Entry::approx_bytes`); past it the oldest are dropped as past the capacity.
    /// Bodies may be up to 1 MiB, so without it 100 000 entries could hold 100 GB.
    pub journal_max_bytes: usize,
    /// The longest `GET /_emulator/journal` waits for requests that arrived before it and are
    /// not journaled yet (10 s); after that it answers with what it has and says which entries
    /// are still in flight.
    pub journal_read_wait_ms: u64,
    /// A request body that has not fully arrived after this long is answered 408.
    pub body_read_timeout_ms: u64,
    /// Check-in notifications: the pause between an unsuccessful attempt and the next
    /// (the real spacing is undocumented).
    pub callback_retry_delay_ms: u64,
    /// Check-in notifications: how long one attempt waits for the integrator's answer.
    pub callback_timeout_ms: u64,
    /// The primary integrator's OAuth client id.
    pub client_id: String,
    /// The primary integrator's OAuth client secret.
    pub client_secret: String,
    /// A second integrator (for the cross-integrator 403s 1400–1402).
    pub second_client_id: String,
    pub second_client_secret: String,
    /// Credentials of the user-simulation API (`x-ibm-client-id` / `x-ibm-client-secret`).
    pub user_simulation_client_id: String,
    pub user_simulation_client_secret: String,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        EmulatorConfig {
            payment_poll_delay_ms: 1000,
            refund_poll_delay_ms: 100,
            token_lifetime_secs: 3700,
            inactivity_timeout_secs: None,
            reservation_lifetime_secs: 7 * 24 * 3600,
            refund_auto_capture_secs: 24 * 3600,
            refund_window_secs: 90 * 24 * 3600,
            idempotency_retention_secs: 24 * 3600,
            finished_retention_secs: 120 * 24 * 3600,
            reject_unknown_fields: false,
            journal_capacity: 100_000,
            journal_max_bytes: 256 * 1024 * 1024,
            journal_read_wait_ms: 10_000,
            body_read_timeout_ms: 30_000,
            callback_retry_delay_ms: 200,
            callback_timeout_ms: 5_000,
            client_id: "poscert-emulator".into(),
            client_secret: "emulator-secret-change-me".into(),
            second_client_id: "poscert-emulator-second".into(),
            second_client_secret: "emulator-second-secret".into(),
            user_simulation_client_id: "poscert-usersimulation".into(),
            user_simulation_client_secret: "usersimulation-secret".into(),
        }
    }
}
