//! The browser assets embedded by `build.rs`, served under `/pkg/`.

use axum::extract::Path;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// One embedded file.
pub struct Asset {
    pub name: &'static str,
    pub content_type: &'static str,
    /// A content hash, used as the ETag.
    pub etag: &'static str,
    pub raw: &'static [u8],
    pub gzip: &'static [u8],
}

include!(concat!(env!("OUT_DIR"), "/assets.rs"));

/// The embedded asset called `name`, if any.
pub fn find(name: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|a| a.name == name)
}

/// Bytes sent to a browser that accepts gzip: the wasm bundle plus its JS glue.
pub fn shipped_gzip_bytes() -> usize {
    ASSETS
        .iter()
        .filter(|a| a.name.ends_with(".wasm") || a.name.ends_with(".js"))
        .map(|a| a.gzip.len())
        .sum()
}

/// `GET /pkg/{file}`: the asset, gzip-encoded when the client accepts it. File names carry
/// no hash, so browsers revalidate each time (`no-cache`) and get a 304 when unchanged.
pub async fn serve(Path(file): Path<String>, headers: HeaderMap) -> Response {
    let Some(asset) = find(&file) else {
        return (StatusCode::NOT_FOUND, "no such asset").into_response();
    };
    let etag = format!("\"{}\"", asset.etag);
    let cache = [
        (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        (header::VARY, HeaderValue::from_static("accept-encoding")),
    ];
    let matches_etag = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    if matches_etag {
        return (StatusCode::NOT_MODIFIED, cache).into_response();
    }
    let accepts_gzip = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|e| e.trim().starts_with("gzip")));
    let content_type = [(
        header::CONTENT_TYPE,
        HeaderValue::from_static(asset.content_type),
    )];
    let etag = [(
        header::ETAG,
        HeaderValue::from_str(&etag).expect("hex is a valid header"),
    )];
    if accepts_gzip {
        let encoding = [(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"))];
        (content_type, etag, cache, encoding, asset.gzip).into_response()
    } else {
        (content_type, etag, cache, asset.raw).into_response()
    }
}
