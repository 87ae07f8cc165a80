#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| hookyard_fuzz::targets::stripe_signature(data));
