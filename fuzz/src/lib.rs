//! Fuzz targets for Hookyard's hostile-input parsers: every signature header parser (through
//! `read_claim`, `verify` and `diagnose`) and the payload field extractor. The bodies live in
//! `targets.rs`, shared with the stable test `server/tests/fuzz_corpus.rs`.

pub use http;

pub mod targets;
