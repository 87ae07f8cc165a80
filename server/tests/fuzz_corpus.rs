//! The fuzz targets (fuzz/src/targets.rs, the same file `cargo +nightly fuzz` runs) on stable:
//! each target gets its committed seed corpus, then deterministic mutations of it (bit flips,
//! insertions of bytes that matter to the parsers, deletions, splices between seeds). Finds
//! less than coverage-guided fuzzing, but runs in every `cargo test` and replays any crash
//! input added to the corpus as a regression test.
//!
//! `HOOKYARD_FUZZ_MUTATIONS` (default 4,000 per target) sets how many mutations run.

mod common;

use axum::http;

#[path = "../../fuzz/src/targets.rs"]
mod targets;

/// A small deterministic generator (xorshift64*), so any failure is reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Fragments the parsers give meaning to.
const TOKENS: &[&[u8]] = &[
    b",",
    b"=",
    b" ",
    b"\n",
    b"t=",
    b"v1=",
    b"v0=",
    b"v1,",
    b"v1a,",
    b"sha256=",
    b"whsec_",
    b"\xff",
    b"\x00",
    b"\r\n",
    b"{",
    b"}",
    b"\"",
    b"[",
    b"/",
    b"~",
    b"~1",
    b"-",
    b"99999999999999999999",
    b"\"id\":",
    b"\"type\":",
    b"\"data\":{\"object\":{",
    b"\"amount\":",
    b"\"created\":",
    b"==",
];

fn mutate(rng: &mut Rng, input: &[u8], other: &[u8]) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..=rng.below(4) {
        let at = rng.below(out.len() + 1);
        match rng.below(6) {
            0 if !out.is_empty() => {
                let i = rng.below(out.len());
                out[i] ^= 1 << rng.below(8);
            }
            1 => {
                let token = TOKENS[rng.below(TOKENS.len())];
                out.splice(at..at, token.iter().copied());
            }
            2 if !out.is_empty() => {
                let end = (at + 1 + rng.below(16)).min(out.len());
                out.drain(at.min(end)..end);
            }
            3 => {
                // Repeat a piece (long headers, deep nesting).
                let end = (at + 1 + rng.below(8)).min(out.len());
                let piece = out[at.min(end)..end].to_vec();
                for _ in 0..rng.below(64) {
                    out.splice(at..at, piece.iter().copied());
                }
            }
            4 if !other.is_empty() => {
                // Splice in part of another seed.
                let from = rng.below(other.len());
                let len = rng.below(other.len() - from + 1);
                out.splice(at..at, other[from..from + len].iter().copied());
            }
            _ => out.insert(at, rng.next() as u8),
        }
    }
    out
}

#[test]
fn every_fuzz_target_survives_its_seed_corpus_and_mutations() {
    let mutations = common::knob("HOOKYARD_FUZZ_MUTATIONS", 4000) as usize;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus");
    for (name, target) in targets::ALL {
        let dir = root.join(name);
        let mut seeds: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|entry| {
                let path = entry.unwrap().path();
                (path.display().to_string(), std::fs::read(&path).unwrap())
            })
            .collect();
        seeds.sort();
        assert!(seeds.len() >= 5, "{name}: only {} seeds", seeds.len());
        for (path, seed) in &seeds {
            let outcome = std::panic::catch_unwind(|| target(seed));
            assert!(outcome.is_ok(), "{name}: seed {path} fails");
        }
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ name.len() as u64);
        for i in 0..mutations {
            let (_, seed) = &seeds[i % seeds.len()];
            let (_, other) = &seeds[rng.below(seeds.len())];
            let input = mutate(&mut rng, seed, other);
            if std::panic::catch_unwind(|| target(&input)).is_err() {
                panic!(
                    "{name}: mutation {i} fails; input (add it to fuzz/corpus/{name}/ as a \
                     seed-regression-* file): {:?}",
                    String::from_utf8_lossy(&input)
                );
            }
        }
        eprintln!(
            "{name}: {} seeds and {mutations} mutations pass",
            seeds.len()
        );
    }
}
