//! `saaswarden`: the embedded local runtime of saaswarden. Parses the command line, runs one command,
//! and maps the outcome to an exit code. The work itself lives in the commands and the shared crates.

mod cli;
mod commands;
mod output;
mod settings;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::Cli;

/// A replay allocates and frees a JSON value per field of every raw entry: with glibc's allocator that was a
/// fifth of `saaswarden run`'s time, with mimalloc it is a few percent (docs/benchmarks.md, "Local replay").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Exit codes, documented in docs/cli.md.
pub mod exit {
    /// Everything worked.
    pub const OK: u8 = 0;
    /// The command failed: bad configuration, unreadable input, store error. Nothing was half-done.
    pub const FAILED: u8 = 1;
    /// The command line itself was wrong (clap's own code).
    pub const USAGE: u8 = 2;
    /// The run completed but some input entries were rejected; each was reported on stderr.
    pub const REJECTED_INPUT: u8 = 3;
    /// `demo --check`: a planted attack was missed or benign activity raised an alert.
    pub const CHECK_FAILED: u8 = 4;
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    settings::init_logging(cli.global.verbose);
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::from(exit::FAILED);
        }
    };
    match runtime.block_on(commands::execute(cli)) {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(exit::FAILED)
        }
    }
}
