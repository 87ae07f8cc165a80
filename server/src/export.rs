//! Exports, streamed page by page (never built in memory): events matching the Events page's
//! filters as NDJSON (with bodies and headers: developers and up) or CSV (metadata), and
//! payments matching the Payments page's filters as CSV for accounting.

use std::collections::HashMap;

use axum::body::{Body, Bytes};
use axum::extract::{Query, Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::stream;
use hookyard_app::api::{event_filter, EventQuery};
use hookyard_app::api_payments::{payment_filter, PaymentQuery};
use hookyard_core::access::{Me, Permission};
use hookyard_core::model::EventRow;
use hookyard_core::money::format_minor;
use hookyard_core::payments::PaymentRow;
use hookyard_core::store::SharedStore;
use hookyard_core::time::{format_rfc3339, now_ms};
use serde_json::json;

use crate::router::AppState;

/// Rows fetched per database round trip (and per chunk sent).
const PAGE: i64 = 500;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Ndjson,
    Csv,
}

/// `GET /export/events.ndjson?…` — one JSON object per event, body included.
pub async fn events_ndjson(
    State(state): State<AppState>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    events(state.store, event_query(&params), Format::Ndjson)
}

/// The Events page's URL parameters (`type`, not the field's name).
fn event_query(params: &HashMap<String, String>) -> EventQuery {
    let get = |k: &str| params.get(k).filter(|v| !v.trim().is_empty()).cloned();
    EventQuery {
        source: get("source"),
        event_type: get("type"),
        status: get("status"),
        id: get("id"),
        q: get("q"),
        range: get("range"),
        before: None,
    }
}

/// A payload search reveals what payloads contain: like the Events page, it needs developer.
fn search_allowed(query: &EventQuery, request: &Request) -> bool {
    let searching = query.q.as_deref().is_some_and(|q| !q.trim().is_empty());
    let me = request.extensions().get::<Me>();
    !searching || me.is_some_and(|me| me.can(Permission::ReadPayloads))
}

/// `GET /export/events.csv?…` — one line per event, metadata only.
pub async fn events_csv(
    State(state): State<AppState>,
    Query(params): Query<HashMap<String, String>>,
    request: Request,
) -> Response {
    let query = event_query(&params);
    if !search_allowed(&query, &request) {
        let why = "Searching payloads needs the developer role.\n";
        return (StatusCode::FORBIDDEN, why).into_response();
    }
    events(state.store, query, Format::Csv)
}

fn events(store: SharedStore, query: EventQuery, format: Format) -> Response {
    let (filter, _) = event_filter(&query, now_ms());
    let header_line: &[u8] = match format {
        Format::Csv => b"id,received_at,source,type,provider_event_id,livemode,duplicates,deliveries,succeeded,failing,pending\r\n",
        Format::Ndjson => b"",
    };
    let body = paged(header_line, move |cursor| {
        let (store, mut filter) = (store.clone(), filter.clone());
        async move {
            filter.before = cursor;
            let rows = store.list_events(&filter, PAGE).await.map_err(failed)?;
            let text = match format {
                Format::Csv => rows.iter().map(event_csv).collect(),
                Format::Ndjson => ndjson(&store, &rows).await?,
            };
            Ok((text, rows.last().map(|r| (r.received_at, r.id)), rows.len()))
        }
    });
    let (kind, ext) = match format {
        Format::Csv => ("text/csv; charset=utf-8", "csv"),
        Format::Ndjson => ("application/x-ndjson", "ndjson"),
    };
    download(body, kind, &format!("hookyard-events.{ext}"))
}

/// A page's text, the cursor after its last row, and how many rows it had.
type Page = (String, Option<(i64, i64)>, usize);

/// A body of `header`, then page after page from `fetch(cursor)` until a page comes back
/// short. A database failure ends the stream with an error (the client sees a cut transfer,
/// not a complete-looking file).
fn paged<F, Fut>(header: &'static [u8], fetch: F) -> Body
where
    F: Fn(Option<(i64, i64)>) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<Page, std::io::Error>> + Send + 'static,
{
    let fetch = std::sync::Arc::new(fetch);
    // State: the cursor of the next page; None once the last page was sent.
    let pages = stream::unfold(Some(None), move |cursor| {
        let fetch = fetch.clone();
        async move {
            match fetch(cursor?).await {
                Ok((_, _, 0)) => None,
                Ok((text, last, rows)) => {
                    let next = (rows as i64 == PAGE).then_some(last);
                    Some((Ok(Bytes::from(text)), next))
                }
                Err(err) => Some((Err(err), None)),
            }
        }
    });
    let first = stream::iter((!header.is_empty()).then(|| Ok(Bytes::from_static(header))));
    Body::from_stream(futures_util::StreamExt::chain(first, pages))
}

fn failed(err: hookyard_core::store::StoreError) -> std::io::Error {
    tracing::error!(error = %err, "export stopped: the database failed");
    std::io::Error::other("database failed")
}

async fn ndjson(store: &SharedStore, rows: &[EventRow]) -> Result<String, std::io::Error> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let payloads = store
        .operations()
        .event_payloads(&ids)
        .await
        .map_err(failed)?;
    let by_id: HashMap<i64, _> = payloads.into_iter().map(|p| (p.id, p)).collect();
    let mut out = String::new();
    for r in rows {
        let payload = by_id.get(&r.id);
        let body = payload.and_then(|p| p.body.as_deref());
        let headers: serde_json::Value = payload
            .and_then(|p| serde_json::from_str(&p.headers).ok())
            .unwrap_or(json!([]));
        let line = json!({
            "id": r.id,
            "received_at": format_rfc3339(r.received_at),
            "source": r.source,
            "type": r.event_type,
            "provider_event_id": r.provider_event_id,
            "livemode": r.livemode,
            "duplicates": r.duplicate_count,
            "deliveries": {"total": r.deliveries_total, "succeeded": r.deliveries_succeeded,
                           "failing": r.deliveries_failing, "pending": r.deliveries_pending},
            "headers": headers,
            // The body as JSON when it is JSON, else as text; null once purged.
            "body": body.map(|b| serde_json::from_slice::<serde_json::Value>(b)
                .unwrap_or_else(|_| serde_json::Value::String(String::from_utf8_lossy(b).into_owned()))),
            "body_purged": body.is_none(),
        });
        out.push_str(&line.to_string());
        out.push('\n');
    }
    Ok(out)
}

fn event_csv(r: &EventRow) -> String {
    csv_line(&[
        r.id.to_string(),
        format_rfc3339(r.received_at),
        r.source.clone(),
        r.event_type.clone(),
        r.provider_event_id.clone(),
        r.livemode.map_or(String::new(), |l| l.to_string()),
        r.duplicate_count.to_string(),
        r.deliveries_total.to_string(),
        r.deliveries_succeeded.to_string(),
        r.deliveries_failing.to_string(),
        r.deliveries_pending.to_string(),
    ])
}

/// `GET /export/payments.csv?…` — the Payments page's rows (its mode and filters), for
/// accounting: amounts both in minor units and formatted.
pub async fn payments_csv(
    State(state): State<AppState>,
    Query(query): Query<PaymentQuery>,
) -> Response {
    let (filter, _, problems) = payment_filter(&query, now_ms());
    if !problems.is_empty() {
        return (
            StatusCode::BAD_REQUEST,
            format!("Cannot export: {}.\n", problems.join("; ")),
        )
            .into_response();
    }
    let store = state.store;
    let header_line = b"id,created_at,updated_at,source,provider_id,kind,livemode,status,provider_status,currency,amount_minor,amount,refunded_minor,disputed_minor,customer,description,failure,events\r\n";
    let body = paged(header_line, move |cursor| {
        let (store, mut filter) = (store.clone(), filter.clone());
        async move {
            filter.before = cursor;
            let rows = store.list_payments(&filter, PAGE).await.map_err(failed)?;
            let text = rows.iter().map(payment_csv).collect();
            Ok((text, rows.last().map(|r| (r.created_at, r.id)), rows.len()))
        }
    });
    download(body, "text/csv; charset=utf-8", "hookyard-payments.csv")
}

fn payment_csv(p: &PaymentRow) -> String {
    let currency = p.currency.clone().unwrap_or_default();
    csv_line(&[
        p.id.to_string(),
        format_rfc3339(p.created_at),
        format_rfc3339(p.updated_at),
        p.source.clone(),
        p.key.clone(),
        format!("{:?}", p.kind).to_lowercase(),
        p.livemode.map_or(String::new(), |l| l.to_string()),
        format!("{:?}", p.status).to_lowercase(),
        p.provider_status.clone().unwrap_or_default(),
        currency.to_uppercase(),
        p.amount.map_or(String::new(), |a| a.to_string()),
        p.amount
            .filter(|_| !currency.is_empty())
            .map_or(String::new(), |a| format_minor(a, &currency)),
        p.amount_refunded.to_string(),
        p.amount_disputed.to_string(),
        p.customer.clone().unwrap_or_default(),
        p.description.clone().unwrap_or_default(),
        p.failure_message.clone().unwrap_or_default(),
        p.event_count.to_string(),
    ])
}

/// One CSV record (RFC 4180, CRLF). Fields a spreadsheet would run as a formula (`=`, `+`, `-`,
/// `@` first) get a leading apostrophe; anything with a comma, quote or line break is quoted.
fn csv_line(fields: &[String]) -> String {
    let cells: Vec<String> = fields
        .iter()
        .map(|f| {
            let f = if f.starts_with(['=', '+', '@', '\t', '\r'])
                || (f.starts_with('-') && f.parse::<f64>().is_err())
            {
                format!("'{f}")
            } else {
                f.clone()
            };
            if f.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", f.replace('"', "\"\""))
            } else {
                f
            }
        })
        .collect();
    format!("{}\r\n", cells.join(","))
}

fn download(body: Body, kind: &str, filename: &str) -> Response {
    (
        [
            (header::CONTENT_TYPE, kind.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_and_defuses_formulas() {
        let line = csv_line(&[
            "plain".into(),
            "a,b".into(),
            "say \"hi\"".into(),
            "=HYPERLINK(\"x\")".into(),
            "-12".into(),
            "-cmd".into(),
            "two\nlines".into(),
        ]);
        assert_eq!(
            line,
            "plain,\"a,b\",\"say \"\"hi\"\"\",\"'=HYPERLINK(\"\"x\"\")\",-12,'-cmd,\"two\nlines\"\r\n"
        );
    }
}
