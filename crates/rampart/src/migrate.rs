//! `rampart store migrate`: an embedded store into PostgreSQL, with progress.

use crate::state::StoreLocation;
use rampart_store::migrate::{ExtraTable, Progress, sqlite_to_postgres};
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::time::{Duration, Instant};

/// Copies `from` into `to`, printing progress on stderr, and verifies the copy.
pub fn run(from: &Path, to: &str, ca_cert: Option<&Path>) -> Result<(), String> {
    if !from.join("state.db").exists() {
        return Err(format!("{} is not a Rampart data directory (no state.db)", from.display()));
    }
    let StoreLocation::Postgres(opts) = StoreLocation::parse(Some(to), ca_cert, from, "migrate")? else {
        return Err("--to must be a postgres:// URL".into());
    };
    eprintln!("migrating {} into {}", from.display(), crate::state::redact_url(to));
    let tty = std::io::stderr().is_terminal();
    let mut last_print = Instant::now() - Duration::from_secs(1);
    let mut last_phase = "";
    let mut show = |p: Progress| {
        let finished = p.done >= p.total;
        // On a terminal, one line redrawn; in a log, a line at most every second and at the end.
        if p.phase != last_phase
            || finished
            || last_print.elapsed() >= Duration::from_millis(if tty { 100 } else { 1000 })
        {
            let pct = p.done.saturating_mul(100).checked_div(p.total).unwrap_or(100);
            if tty {
                eprint!("\r{:>12}: {}/{} rows ({pct}%)   ", p.phase, p.done, p.total);
                if finished {
                    eprintln!();
                }
            } else {
                eprintln!("{:>12}: {}/{} rows ({pct}%)", p.phase, p.done, p.total);
            }
            let _ = std::io::stderr().flush();
            last_print = Instant::now();
            last_phase = p.phase;
        }
    };
    // The KMS keys' key-encryption keys live in the slot file beside the master key on one node;
    // on PostgreSQL they are rows of the shared store (still sealed under the master key).
    let slots =
        rampart_crypto::SoftwareKeystore::slot_file_records(&from.join("master.key")).map_err(|e| e.to_string())?;
    let extra = ExtraTable {
        table: crate::state::SLOTS.to_owned(),
        rows: slots.into_iter().map(|(i, r)| (crate::state::slot_key(i), r)).collect(),
    };
    let report = sqlite_to_postgres(from, &opts, &extra, &mut show).map_err(|e| e.to_string())?;
    if report.already_finished {
        eprintln!("an earlier run had finished the copy; verified again");
    }
    eprintln!(
        "done: copied {} state rows and {} audit events; verified {} state rows and {} audit events",
        report.state_copied, report.audit_copied, report.state_verified, report.audit_verified
    );
    eprintln!(
        "start the nodes with --store {} --master-key {}",
        crate::state::redact_url(to),
        from.join("master.key").display()
    );
    Ok(())
}
