#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| hookyard_fuzz::targets::github_signature(data));
