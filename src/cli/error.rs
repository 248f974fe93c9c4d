//! The one error type of the command line: what to print on stderr and the exit status.
//!
//! Exit status: 0 success, 1 internal error (a failed write, a panic), 2 bad input (a
//! scenario, an argument, an output Polity will not replace), 130 interrupted (SIGINT or
//! SIGTERM stopped the work cleanly).

use std::fmt;
use std::io;
use std::process::ExitCode;

use polity::outputs;

/// A failed command: its exit status and the message printed on stderr (already in its final
/// form, `error: …` included; empty when it was reported as it happened).
#[derive(Debug)]
pub struct CliError {
    /// The exit status.
    pub code: u8,
    /// What to print on stderr, line by line; nothing when empty.
    pub message: String,
}

/// What every subcommand returns.
pub type CliResult = Result<(), CliError>;

impl CliError {
    /// Exit status 2: bad input.
    pub const INPUT: u8 = 2;
    /// Exit status 1: an internal error.
    pub const INTERNAL: u8 = 1;

    /// Bad input (status 2), printed as `error: {e}`.
    pub fn input(e: impl fmt::Display) -> CliError {
        CliError { code: Self::INPUT, message: format!("error: {e}") }
    }
    /// Bad input (status 2) whose text is printed as it is: a scenario's problems, each with
    /// FILE:LINE:COLUMN, or a summary under problems already printed.
    pub fn problems(text: impl fmt::Display) -> CliError {
        CliError { code: Self::INPUT, message: text.to_string() }
    }
    /// An internal error (status 1), printed as `error: {e}`.
    pub fn internal(e: impl fmt::Display) -> CliError {
        CliError { code: Self::INTERNAL, message: format!("error: {e}") }
    }
    /// A failed write or run: status 130 (`stopped: …`) when SIGINT or SIGTERM stopped the
    /// work (its staging was cleaned up, or a checkpoint kept), 1 (`error: DOING: …`) otherwise.
    pub fn io(doing: &str, e: &io::Error) -> CliError {
        if e.kind() == io::ErrorKind::Interrupted {
            return CliError { code: outputs::INTERRUPTED_EXIT, message: format!("stopped: {e}") };
        }
        CliError::internal(format_args!("{doing}: {e}"))
    }

    /// Prints the message and gives the exit status.
    pub fn report(self) -> ExitCode {
        if !self.message.is_empty() {
            polity::tell_err!("{}", self.message);
        }
        ExitCode::from(self.code)
    }
}
