//! The crate's one error type.

use std::fmt::Write as _;

use thiserror::Error;

use crate::diag::Diagnostic;
use crate::id::{InvalidLogicalId, LogicalId};

/// Everything that can go wrong in the model.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum CoreError {
    /// A logical id breaks the naming rule.
    #[error(transparent)]
    InvalidLogicalId(#[from] InvalidLogicalId),
    /// The stack has problems; every one of them is listed.
    #[error("stack `{stack}` is not valid ({} problem(s)):\n{}", diagnostics.len(), list(diagnostics))]
    Invalid {
        /// The stack.
        stack: String,
        /// Every problem found.
        diagnostics: Vec<Diagnostic>,
    },
    /// Parameter values given at deploy time that the stack does not take, or of the wrong form.
    #[error("stack `{stack}`: wrong parameter value(s):\n{}", problems.iter().map(|p| format!("  {p}")).collect::<Vec<_>>().join("\n"))]
    Params {
        /// The stack.
        stack: String,
        /// Every problem, one line each.
        problems: Vec<String>,
    },
    /// Resources depend on each other in a circle.
    #[error(
        "stack `{stack}` has a dependency cycle: {}; break it with a separate rule resource or by removing one reference",
        cycle_text(cycle)
    )]
    Cycle {
        /// The stack.
        stack: String,
        /// The resources in the cycle, the first repeated at the end.
        cycle: Vec<LogicalId>,
    },
}

fn list(diagnostics: &[Diagnostic]) -> String {
    let mut out = String::new();
    for d in diagnostics {
        let _ = writeln!(out, "{d}");
    }
    out.trim_end().to_owned()
}

fn cycle_text(cycle: &[LogicalId]) -> String {
    cycle.iter().map(LogicalId::as_str).collect::<Vec<_>>().join(" -> ")
}
