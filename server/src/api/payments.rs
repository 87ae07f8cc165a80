//! Payments as the projection folded them from payment events: the list with the Payments
//! page's filters (keyset cursor) and one payment with its timeline. Amounts are integers in
//! the currency's minor unit.

use axum::extract::State;
use axum::Json;
use hookyard_core::model::format_cursor;
use hookyard_core::payments::{
    AmountBound, PaymentDetail, PaymentFilter, PaymentRow, PaymentStatus,
};
use hookyard_core::store::page_of_payments;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::error::{ApiError, Errors, Path, Query};
use super::{at, cursor_param, page_limit, parsed, text, time_param, Timestamp};
use crate::router::AppState;

/// Live or test mode.
#[derive(Clone, Copy, Debug, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    Live,
    Test,
}

/// The filters of `GET /payments` (all optional; they combine with AND).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PaymentQuery {
    /// Live (default) or test mode.
    #[param(inline)]
    pub mode: Option<Mode>,
    /// `pending`, `requires_action`, `processing`, `authorized`, `failed`, `canceled`,
    /// `succeeded`, `partially_refunded` or `refunded`.
    pub status: Option<String>,
    /// Three-letter currency code.
    pub currency: Option<String>,
    /// The provider's customer id (exact).
    pub customer: Option<String>,
    /// At least this amount, in major units (`19.99`).
    pub min: Option<String>,
    /// At most this amount, in major units.
    pub max: Option<String>,
    /// Text in the payment's key, description or customer.
    pub q: Option<String>,
    /// Created at or after this time (RFC 3339).
    #[param(format = DateTime)]
    pub from: Option<String>,
    /// Created before this time (RFC 3339).
    #[param(format = DateTime)]
    pub to: Option<String>,
    /// The `next` cursor of the previous page.
    #[param(pattern = r"^[0-9]+_[0-9]+$")]
    pub cursor: Option<String>,
    /// Payments per page, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

/// A payment.
#[derive(Debug, Serialize, ToSchema)]
pub struct Payment {
    pub id: i64,
    /// The source's slug.
    pub source: String,
    /// The provider's id of the payment object.
    pub key: String,
    /// `payment_intent`, `charge`, `invoice`, ...
    pub kind: String,
    pub livemode: Option<bool>,
    pub amount: Option<i64>,
    pub currency: Option<String>,
    pub customer: Option<String>,
    pub description: Option<String>,
    pub status: String,
    /// The provider's own status word.
    pub provider_status: Option<String>,
    pub amount_refunded: i64,
    pub amount_disputed: i64,
    pub dispute: Option<String>,
    pub failure_message: Option<String>,
    pub event_count: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl From<PaymentRow> for Payment {
    fn from(r: PaymentRow) -> Self {
        Payment {
            id: r.id,
            source: r.source,
            key: r.key,
            kind: r.kind.as_str().into(),
            livemode: r.livemode,
            amount: r.amount,
            currency: r.currency,
            customer: r.customer,
            description: r.description,
            status: r.status.as_str().into(),
            provider_status: r.provider_status,
            amount_refunded: r.amount_refunded,
            amount_disputed: r.amount_disputed,
            dispute: r.dispute.map(|d| d.as_str().into()),
            failure_message: r.failure_message,
            event_count: r.event_count,
            created_at: at(r.created_at),
            updated_at: at(r.updated_at),
        }
    }
}

/// One event of a payment's history and what it did to the payment.
#[derive(Debug, Serialize, ToSchema)]
pub struct TimelineEntry {
    pub event_id: i64,
    pub provider_event_id: String,
    #[serde(rename = "type")]
    pub event_type: String,
    /// When it happened at the provider.
    pub at: Timestamp,
    /// How the projection took it (`applied`, `stale`, ...).
    pub verdict: String,
    pub reported_status: Option<String>,
    pub amount: Option<i64>,
    pub currency: Option<String>,
    /// How many times it was sent again.
    pub repeats: i64,
}

/// A payment with its timeline, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentDetails {
    #[serde(flatten)]
    pub payment: Payment,
    pub timeline: Vec<TimelineEntry>,
}

impl From<PaymentDetail> for PaymentDetails {
    fn from(d: PaymentDetail) -> Self {
        PaymentDetails {
            payment: d.row.into(),
            timeline: d
                .timeline
                .into_iter()
                .map(|t| TimelineEntry {
                    event_id: t.event_id,
                    provider_event_id: t.provider_event_id,
                    event_type: t.event_type,
                    at: at(t.at_ms),
                    verdict: t.verdict.as_str().into(),
                    reported_status: t.reported_status.map(|s| s.as_str().into()),
                    amount: t.amount,
                    currency: t.currency,
                    repeats: t.repeats,
                })
                .collect(),
        }
    }
}

/// One page of payments, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentPage {
    pub data: Vec<Payment>,
    /// Pass as `cursor` for the next (older) page; null on the last page.
    pub next: Option<String>,
}

fn filter_for(query: PaymentQuery) -> Result<PaymentFilter, ApiError> {
    let amount =
        |name: &str, v: Option<String>| parsed(name, v, AmountBound::parse, "an amount like 19.99");
    let status = parsed(
        "status",
        query.status,
        PaymentStatus::parse,
        "a payment status",
    )?;
    Ok(PaymentFilter {
        livemode: Some(!matches!(query.mode, Some(Mode::Test))),
        status,
        currency: text(query.currency).map(|c| c.to_ascii_lowercase()),
        customer: text(query.customer),
        min_amount: amount("min", query.min)?,
        max_amount: amount("max", query.max)?,
        search: text(query.q),
        from: time_param("from", query.from)?,
        to: time_param("to", query.to)?,
        before: cursor_param(query.cursor)?,
    })
}

/// Payments, newest first, with the Payments page's filters; page with `next`.
#[utoipa::path(
    get, path = "/payments", tag = "payments", params(PaymentQuery),
    responses((status = 200, body = PaymentPage), Errors)
)]
pub async fn list(
    State(state): State<AppState>,
    Query(query): Query<PaymentQuery>,
) -> Result<Json<PaymentPage>, ApiError> {
    let limit = page_limit(query.limit)?;
    let filter = filter_for(query)?;
    let (rows, next) = page_of_payments(&*state.store, &filter, limit).await?;
    Ok(Json(PaymentPage {
        data: rows.into_iter().map(Payment::from).collect(),
        next: next.map(format_cursor),
    }))
}

/// One payment with its timeline.
#[utoipa::path(
    get, path = "/payments/{id}", tag = "payments",
    params(("id" = i64, Path, description = "Payment id")),
    responses((status = 200, body = PaymentDetails), Errors)
)]
pub async fn get(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<PaymentDetails>, ApiError> {
    state
        .store
        .payment_detail(id)
        .await?
        .map(|d| Json(d.into()))
        .ok_or_else(|| ApiError::NotFound(format!("Payment {id} does not exist.")))
}
