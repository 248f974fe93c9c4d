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
        args.dispatch(threads).map_or_else(cli::CliError::report, |()| ExitCode::SUCCESS)
    })
    .unwrap_or_else(|_| {
        eprintln!("error: an internal error stopped polity (the message above); please report it");
        ExitCode::from(1)
    })
}
