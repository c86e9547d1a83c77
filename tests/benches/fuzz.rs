//! A million generated hostile inputs per parser (the Slack and Zendesk normalizers, the exported-file
//! reader, the policy YAML parser, the configuration); CI runs a few thousand (`tests/it/fuzz.rs`).
//!
//! Run: `cargo bench -p saaswarden-tests --bench fuzz`. `SAASWARDEN_FUZZ_CASES` sets the number per parser,
//! `SAASWARDEN_FUZZ_SEED` the seed, `SAASWARDEN_FUZZ_ONLY` one parser. Exits non-zero on the first broken
//! property, printing the case and its input.

use std::time::Instant;

use saaswarden_tests::fuzz_inputs::{PARSERS, check};

fn env_number(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(text) => text.trim().parse().unwrap_or_else(|e| panic!("{name}=`{text}`: {e}")),
        Err(_) => default,
    }
}

fn main() {
    let cases = env_number("SAASWARDEN_FUZZ_CASES", 1_000_000);
    let seed = env_number("SAASWARDEN_FUZZ_SEED", 1);
    let only = std::env::var("SAASWARDEN_FUZZ_ONLY").ok();
    // Panics are caught and reported by the harness; the default hook would print each one as well.
    std::panic::set_hook(Box::new(|_| {}));
    let mut broken = false;
    for parser in PARSERS.iter().filter(|p| only.as_deref().is_none_or(|only| only == **p)) {
        let started = Instant::now();
        match check(parser, cases, seed) {
            Ok(()) => {
                println!("{parser:>8}: {cases} inputs, no panic, every rejection named ({:.1?})", started.elapsed())
            }
            Err(failure) => {
                println!("{parser:>8}: BROKEN: {failure}");
                broken = true;
            }
        }
    }
    if broken {
        std::process::exit(1);
    }
}
