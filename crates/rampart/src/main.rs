//! `rampart`: the provider's half of the AWS shared-responsibility model, in one binary.

mod cli;
mod config;
mod credentials_file;
mod migrate;
mod serve;
mod state;
mod tls;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match cli.run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("rampart: {e}");
            ExitCode::FAILURE
        }
    }
}
