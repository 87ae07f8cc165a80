//! Embeds the dashboard's browser assets (the wasm bundle, its JS glue, the stylesheet) in the
//! binary, each stored raw and gzip-compressed, so `hookyard serve` runs from any directory
//! with nothing beside it.
//!
//! The wasm bundle is built by `scripts/build-site.sh` (or `cargo leptos build`) into
//! `target/site/pkg` before this crate; set `HOOKYARD_SITE_PKG` to take it from elsewhere.
//! Without it the server still builds and renders every page, unhydrated, and says so at start.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::{env, fs};

use flate2::{write::GzEncoder, Compression};
use sha2::{Digest, Sha256};

fn main() {
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets this"));
    let out = PathBuf::from(env::var("OUT_DIR").expect("cargo sets this"));
    println!("cargo:rerun-if-env-changed=HOOKYARD_SITE_PKG");
    let pkg = env::var_os("HOOKYARD_SITE_PKG")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest.join("../target/site/pkg"));

    let css = manifest.join("../style/main.css");
    // (URL name, file, content type). cargo-leptos names the wasm without `_bg`.
    let candidates = [
        ("hookyard.css", css, "text/css; charset=utf-8"),
        (
            "hookyard.js",
            pkg.join("hookyard.js"),
            "text/javascript; charset=utf-8",
        ),
        (
            "hookyard_bg.wasm",
            pkg.join("hookyard_bg.wasm"),
            "application/wasm",
        ),
        (
            "hookyard_bg.wasm",
            pkg.join("hookyard.wasm"),
            "application/wasm",
        ),
    ];

    let mut entries = String::new();
    let mut wasm_built = false;
    let mut seen = Vec::new();
    for (name, path, content_type) in candidates {
        println!("cargo:rerun-if-changed={}", path.display());
        if seen.contains(&name) || !path.is_file() {
            continue;
        }
        seen.push(name);
        wasm_built |= name.ends_with(".wasm");
        let raw = fs::read(&path).expect("readable asset");
        let gz_path = out.join(format!("{name}.gz"));
        fs::write(&gz_path, gzip(&raw)).expect("writable OUT_DIR");
        let etag = hex_prefix(&Sha256::digest(&raw));
        entries.push_str(&format!(
            "    Asset {{ name: {name:?}, content_type: {content_type:?}, etag: {etag:?}, \
             raw: include_bytes!({raw:?}), gzip: include_bytes!({gz:?}) }},\n",
            raw = abs(&path),
            gz = abs(&gz_path),
        ));
    }
    let code = format!(
        "/// Every embedded asset.\npub static ASSETS: &[Asset] = &[\n{entries}];\n\
         /// Whether the wasm bundle was built before this binary (else pages do not hydrate).\n\
         pub const WASM_BUILT: bool = {wasm_built};\n"
    );
    fs::write(out.join("assets.rs"), code).expect("writable OUT_DIR");
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
    encoder.write_all(data).expect("in-memory write");
    encoder.finish().expect("in-memory write")
}

fn hex_prefix(digest: &[u8]) -> String {
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

fn abs(path: &Path) -> String {
    fs::canonicalize(path)
        .expect("asset path exists")
        .display()
        .to_string()
}
