//! Server functions that create and change endpoints and sources. Each checks its input field
//! by field and answers what it did in a sentence, or which fields to fix and why.

// A form's fields arrive as a server function's arguments, one each.
#![allow(clippy::too_many_arguments)]

use hookyard_core::model::FieldError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::api::{actor, audit, endpoints_changed, source_changed, store, unavailable};

/// The endpoint `id`, or the sentence that it does not exist.
#[cfg(feature = "ssr")]
pub(crate) async fn endpoint_record(
    id: i64,
    what: &'static str,
) -> Result<hookyard_core::store::EndpointRecord, ServerFnError> {
    store()
        .endpoint(id)
        .await
        .map_err(unavailable(what))?
        .ok_or_else(|| ServerFnError::new(format!("Endpoint {id} does not exist.")))
}

/// An endpoint's settings as its form shows them: header values are masked, never sent back.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct EndpointFields {
    pub id: Option<i64>,
    pub name: String,
    pub url: String,
    pub description: String,
    pub events: String,
    pub source: String,
    pub headers: String,
    pub timeout_secs: String,
    pub max_in_flight: String,
    pub retry_schedule: String,
    pub state: String,
    pub state_reason: String,
}

/// What the endpoint form needs: the endpoint (none for a new one), sources to filter on,
/// and the event types seen so far as suggestions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EndpointFormData {
    pub form: EndpointFields,
    pub exists: bool,
    pub sources: Vec<(String, String)>,
    pub known_types: Vec<String>,
}

#[server(endpoint = "endpoint_form")]
pub async fn endpoint_form(id: Option<i64>) -> Result<EndpointFormData, ServerFnError> {
    use hookyard_core::delivery::settings::KEEP_VALUE;
    let store = store();
    let now = hookyard_core::time::now_ms();
    let failed = unavailable("loading the endpoint");
    let sources = store.list_sources(now).await.map_err(failed)?;
    let known_types = store.event_type_names().await.map_err(failed)?;
    let record = match id {
        Some(id) => Some(endpoint_record(id, "loading the endpoint").await?),
        None => None,
    };
    let form = match &record {
        Some(r) => {
            let e = &r.endpoint;
            EndpointFields {
                id: Some(e.id),
                name: e.name.clone(),
                url: e.url.clone(),
                description: e.description.clone(),
                events: e.patterns.join(", "),
                source: sources
                    .iter()
                    .find(|s| Some(s.id) == e.source_id)
                    .map(|s| s.slug.clone())
                    .unwrap_or_default(),
                headers: e
                    .headers
                    .iter()
                    .map(|(k, _)| format!("{k}: {KEEP_VALUE}"))
                    .collect::<Vec<_>>()
                    .join("\n"),
                timeout_secs: (e.timeout_ms / 1000).to_string(),
                max_in_flight: e.max_in_flight.to_string(),
                retry_schedule: e
                    .retry_schedule
                    .as_ref()
                    .map(|s| s.iter().map(u64::to_string).collect::<Vec<_>>().join(", "))
                    .unwrap_or_default(),
                state: e.state.clone(),
                state_reason: e.state_reason.clone(),
            }
        }
        None => EndpointFields {
            timeout_secs: "15".into(),
            max_in_flight: "10".into(),
            events: "*".into(),
            ..Default::default()
        },
    };
    Ok(EndpointFormData {
        form,
        exists: record.is_some(),
        sources: sources.into_iter().map(|s| (s.slug, s.name)).collect(),
        known_types,
    })
}

/// The answer to a save: done (with the new secret, once, for a new endpoint), or the
/// fields to fix.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Saved {
    pub id: Option<i64>,
    pub message: String,
    pub secret: Option<String>,
    pub errors: Vec<FieldError>,
}

impl Saved {
    /// The message for `field`, if the server refused it.
    pub fn error_for(&self, field: &str) -> Option<String> {
        let messages: Vec<&str> = self
            .errors
            .iter()
            .filter(|e| e.field == field)
            .map(|e| e.message.as_str())
            .collect();
        (!messages.is_empty()).then(|| messages.join(" "))
    }
}

/// Creates (no `id`) or updates an endpoint.
#[server(endpoint = "save_endpoint")]
pub async fn save_endpoint(
    id: Option<i64>,
    name: String,
    url: String,
    description: String,
    events: String,
    source: String,
    headers: String,
    timeout_secs: String,
    max_in_flight: String,
    retry_schedule: String,
) -> Result<Saved, ServerFnError> {
    use hookyard_core::delivery::settings::{checked_endpoint, EndpointDraft};
    use hookyard_core::ingest::scheme::{generate_secret, Scheme};
    let store = store();
    let now = hookyard_core::time::now_ms();
    let failed = unavailable("saving the endpoint");
    let current = match id {
        Some(id) => Some(endpoint_record(id, "saving the endpoint").await?),
        None => None,
    };
    let draft = EndpointDraft {
        name,
        url,
        description,
        events,
        headers,
        timeout_secs,
        max_in_flight,
        retry_schedule,
    };
    let current_headers = current
        .as_ref()
        .map(|r| r.endpoint.headers.clone())
        .unwrap_or_default();
    let mut new = match checked_endpoint(&*store, &draft, &source, &current_headers)
        .await
        .map_err(failed)?
    {
        Ok(new) => new,
        Err(errors) => {
            return Ok(Saved {
                errors,
                ..Default::default()
            })
        }
    };
    match current {
        Some(current) => {
            let id = current.endpoint.id;
            store
                .update_endpoint(id, &new, &actor(), now)
                .await
                .map_err(failed)?;
            endpoints_changed();
            Ok(Saved {
                id: Some(id),
                message: format!("Saved “{}”. New deliveries use these settings.", new.name),
                ..Default::default()
            })
        }
        None => {
            new.secret = generate_secret(Scheme::Standard);
            let id = store.create_endpoint(&new, now).await.map_err(failed)?;
            endpoints_changed();
            let detail =
                serde_json::json!({ "name": new.name, "url": new.url, "events": new.patterns });
            audit("endpoint.created", &format!("endpoint:{id}"), detail).await;
            Ok(Saved {
                id: Some(id),
                message: format!(
                    "Created “{}”. It receives {} from now on.",
                    new.name,
                    new.patterns.join(", ")
                ),
                secret: Some(new.secret),
                ..Default::default()
            })
        }
    }
}

/// Gives an endpoint a new signing secret and answers it (shown once).
#[server(endpoint = "rotate_endpoint_secret")]
pub async fn rotate_endpoint_secret(id: i64) -> Result<String, ServerFnError> {
    use hookyard_core::ingest::scheme::{generate_secret, Scheme};
    let secret = generate_secret(Scheme::Standard);
    store()
        .rotate_endpoint_secret(id, &secret, &actor(), hookyard_core::time::now_ms())
        .await
        .map_err(|err| match err {
            hookyard_core::store::StoreError::NotFound(_) => {
                ServerFnError::new(format!("Endpoint {id} does not exist."))
            }
            other => unavailable("rotating the secret")(other),
        })?;
    Ok(secret)
}

/// What a test send did.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TestResult {
    pub ok: bool,
    pub summary: String,
    pub status: Option<u16>,
    pub duration_ms: i64,
    pub response_body: String,
}

/// Sends a signed `hookyard.test` event to the endpoint now and reports its answer.
#[server(endpoint = "send_test_event")]
pub async fn send_test_event(id: i64) -> Result<TestResult, ServerFnError> {
    let poster = expect_context::<hookyard_core::delivery::worker::Poster>();
    let endpoint = endpoint_record(id, "sending a test event").await?;
    let sent = poster.send_test(&endpoint).await;
    let ok = sent.error.is_none() && sent.status.is_some_and(|s| (200..300).contains(&s));
    let summary = match (&sent.error, sent.status) {
        (None, Some(status)) => format!(
            "Answered {status} in {} ms: the handler accepted the test event.",
            sent.duration_ms
        ),
        (Some(error), Some(status)) => {
            format!("Answered {status} in {} ms: {error}.", sent.duration_ms)
        }
        (Some(error), None) => format!("Not delivered after {} ms: {error}.", sent.duration_ms),
        (None, None) => format!("No answer after {} ms.", sent.duration_ms),
    };
    Ok(TestResult {
        ok,
        summary,
        status: sent.status,
        duration_ms: sent.duration_ms,
        response_body: sent.response_body,
    })
}

/// Creates a source. An empty secret generates one in the scheme's format.
#[server(endpoint = "create_source")]
pub async fn create_source(
    slug: String,
    name: String,
    scheme: String,
    secret: String,
    tolerance_secs: String,
    max_body_kib: String,
    hmac_header: String,
    hmac_encoding: String,
) -> Result<Saved, ServerFnError> {
    use hookyard_core::ingest::source_settings::{check_new, SourceDraft};
    use hookyard_core::store::StoreError;
    let draft = SourceDraft {
        slug,
        name,
        scheme,
        secret,
        tolerance_secs,
        max_body_kib,
        hmac_header,
        hmac_encoding,
    };
    let checked = match check_new(&draft) {
        Ok(checked) => checked,
        Err(errors) => {
            return Ok(Saved {
                errors,
                ..Default::default()
            })
        }
    };
    let new = checked.source;
    let slug = new.slug.clone();
    match store()
        .create_source(&new, hookyard_core::time::now_ms())
        .await
    {
        Ok(id) => {
            source_changed(&slug);
            let detail = serde_json::json!({ "scheme": new.scheme.as_str() });
            audit("source.created", &format!("source:{slug}"), detail).await;
            Ok(Saved {
                id: Some(id),
                message: match checked.warning {
                    Some(w) => format!("Created source “{slug}”. Check the secret: {w}."),
                    None => {
                        format!(
                            "Created source “{slug}”. Paste its URL and secret into the provider."
                        )
                    }
                },
                secret: Some(new.secret),
                errors: Vec::new(),
            })
        }
        Err(StoreError::Conflict(_)) => Ok(Saved {
            errors: vec![FieldError {
                field: "slug".into(),
                message: format!("A source named {slug:?} already exists."),
            }],
            ..Default::default()
        }),
        Err(other) => Err(unavailable("creating the source")(other)),
    }
}

/// Changes a source's name and limits.
#[server(endpoint = "update_source")]
pub async fn update_source(
    slug: String,
    name: String,
    tolerance_secs: String,
    max_body_kib: String,
) -> Result<Saved, ServerFnError> {
    use hookyard_core::store::StoreError;
    let change = match hookyard_core::ingest::source_settings::check_limits(
        &name,
        &tolerance_secs,
        &max_body_kib,
    ) {
        Ok(change) => change,
        Err(errors) => {
            return Ok(Saved {
                errors,
                ..Default::default()
            })
        }
    };
    match store()
        .update_source(&slug, &change, hookyard_core::time::now_ms())
        .await
    {
        Ok(()) => {
            source_changed(&slug);
            let detail = serde_json::json!({ "tolerance_secs": change.tolerance_secs, "max_body_bytes": change.max_body_bytes });
            audit("source.updated", &format!("source:{slug}"), detail).await;
            Ok(Saved {
                message: format!("Saved source “{slug}”. The new limits apply from now on."),
                ..Default::default()
            })
        }
        Err(StoreError::NotFound(_)) => Err(ServerFnError::new(format!(
            "Source {slug:?} does not exist."
        ))),
        Err(other) => Err(unavailable("saving the source")(other)),
    }
}

/// Makes a new secret current (pasted from the provider, or generated when empty); the
/// previous one stays valid for `overlap_hours` so that nothing is refused meanwhile.
#[server(endpoint = "rotate_source_secret")]
pub async fn rotate_source_secret(
    slug: String,
    secret: String,
    overlap_hours: String,
) -> Result<Saved, ServerFnError> {
    use hookyard_core::ingest::scheme::secret_format_warning;
    use hookyard_core::store::StoreError;
    let store = store();
    let source = store
        .source_by_slug(&slug)
        .await
        .map_err(unavailable("rotating the secret"))?
        .ok_or_else(|| ServerFnError::new(format!("Source {slug:?} does not exist.")))?;
    let (secret, overlap) = match hookyard_core::ingest::source_settings::check_rotation(
        source.scheme,
        &secret,
        &overlap_hours,
    ) {
        Ok(checked) => checked,
        Err(error) => {
            return Ok(Saved {
                errors: vec![error],
                ..Default::default()
            })
        }
    };
    let now = hookyard_core::time::now_ms();
    let until = now + overlap * hookyard_core::time::HOUR_MS;
    match store.rotate_source_secret(&slug, &secret, until, now).await {
        Ok(()) => {
            source_changed(&slug);
            let detail = serde_json::json!({ "previous_valid_until": until });
            audit("source.secret_rotated", &format!("source:{slug}"), detail).await;
        }
        Err(StoreError::NotFound(_)) => {
            return Err(ServerFnError::new(format!(
                "Source {slug:?} does not exist."
            )))
        }
        Err(other) => return Err(unavailable("rotating the secret")(other)),
    }
    let previous = if overlap == 0 {
        "The previous secret no longer works.".to_string()
    } else {
        format!("The previous secret keeps working for {overlap} hours.")
    };
    Ok(Saved {
        message: match secret_format_warning(source.scheme, &secret) {
            Some(w) => format!("New secret is current. {previous} Check it: {w}."),
            None => format!("New secret is current. {previous}"),
        },
        secret: Some(secret),
        ..Default::default()
    })
}

/// A source's settings as its form shows them (secrets never leave the server).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SourceFields {
    pub exists: bool,
    pub slug: String,
    pub name: String,
    pub scheme: String,
    pub tolerance_secs: String,
    pub max_body_kib: String,
    /// Secrets currently accepted, newest first: (masked hint, valid until).
    pub secrets: Vec<(String, Option<i64>)>,
    pub inbound_url: String,
}

#[server(endpoint = "source_form")]
pub async fn source_form(slug: Option<String>) -> Result<SourceFields, ServerFnError> {
    let now = hookyard_core::time::now_ms();
    let base = crate::api::public_base().await;
    let Some(slug) = slug else {
        return Ok(SourceFields {
            scheme: "stripe".into(),
            tolerance_secs: "300".into(),
            max_body_kib: "2048".into(),
            inbound_url: format!("{base}/hooks/"),
            ..Default::default()
        });
    };
    let source = store()
        .source_by_slug(&slug)
        .await
        .map_err(unavailable("loading the source"))?
        .ok_or_else(|| ServerFnError::new(format!("Source {slug:?} does not exist.")))?;
    Ok(SourceFields {
        exists: true,
        inbound_url: format!("{base}/hooks/{}", source.slug),
        name: source.name,
        scheme: source.scheme.to_string(),
        tolerance_secs: source.tolerance_secs.to_string(),
        max_body_kib: (source.max_body_bytes / 1024).to_string(),
        secrets: source
            .secrets
            .iter()
            .filter(|s| s.expires_at.is_none_or(|at| at > now))
            .map(|s| (mask(&s.secret), s.expires_at))
            .collect(),
        slug: source.slug,
    })
}

/// `whsec_ab…yz`: enough to tell secrets apart, not enough to use one.
#[cfg(feature = "ssr")]
fn mask(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    if chars.len() < 16 {
        return "••••".into();
    }
    let prefix_len = if secret.starts_with("whsec_") { 8 } else { 2 };
    let head: String = chars[..prefix_len].iter().collect();
    let tail: String = chars[chars.len() - 2..].iter().collect();
    format!("{head}…{tail}")
}
