//! The `polity` command line: parse the arguments, size the thread pool, run the subcommand
//! (`cli`), and turn its error into an exit status (0 success, 1 internal error, 2 bad input,
//! 130 interrupted).

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    // An internal error (a panic) is exit status 1, as documented, not Rust's 101; the panic's
    // message is printed by the default hook, and unwinding removes any staging.
    std::panic::catch_unwind(|| {
        let args = cli::Cli::parse();
        let threads = polity::parallel::init(args.threads);
        let status = args.dispatch(threads).map_or_else(cli::CliError::report, |()| ExitCode::SUCCESS);
        match cli::stdout_lost() {
            // The work went on (its files are written); the report on stdout is incomplete.
            Some(kind) if status == ExitCode::SUCCESS => {
                let e = std::io::Error::from(kind);
                polity::tell_err!("error: writing to stdout: {e} (the command ran to its end, and any files it writes are written; what it printed is incomplete)");
                ExitCode::from(1)
            }
            _ => status,
        }
    })
    .unwrap_or_else(|_| {
        polity::tell_err!("error: an internal error stopped polity (the message above); please report it");
        ExitCode::from(1)
    })
}
