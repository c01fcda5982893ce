//! Diagnostics: what every check of the crate reports.
//!
//! A [`Diagnostic`] names a [`Code`] from the registry in [`codes`], where it is at (a
//! stack/resource/property [`Path`]), what is wrong and what to do. The code decides the
//! [`Severity`]: each code stands for exactly one check, so its severity, title and explanation
//! are stated once, in the registry, and [`codes::reference`] turns them into user
//! documentation.
//!
//! This module is a leaf: it imports nothing of the crate, so the builder, the application
//! layer, validation and merging can all report problems without importing each other.

use std::fmt;

use serde::Serialize;

pub mod codes;

pub use codes::{Code, CodeInfo};

/// How bad a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Severity {
    /// Printed; does not stop anything.
    Warning,
    /// Stops synth and deploy.
    Error,
}

impl Severity {
    /// `error` or `warning`, as printed before the code.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a problem is: `stack/resource/property`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Path {
    /// The stack.
    pub stack: String,
    /// The resource, parameter or output id.
    pub resource: Option<String>,
    /// The property, e.g. `Ingress[0].CidrIp`.
    pub property: Option<String>,
}

impl Path {
    /// The stack as a whole.
    pub fn stack(stack: &str) -> Self {
        Self { stack: stack.to_owned(), resource: None, property: None }
    }
    /// One resource.
    #[must_use]
    pub fn resource(mut self, id: &str) -> Self {
        self.resource = Some(id.to_owned());
        self
    }
    /// One property of the resource.
    #[must_use]
    pub fn property(mut self, property: impl Into<String>) -> Self {
        self.property = Some(property.into());
        self
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.stack)?;
        if let Some(r) = &self.resource {
            write!(f, "/{r}")?;
        }
        if let Some(p) = &self.property {
            write!(f, "/{p}")?;
        }
        Ok(())
    }
}

/// One problem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// Error or warning (the code's severity).
    pub severity: Severity,
    /// The check that found it, e.g. [`Code::BackupRetention`].
    pub code: Code,
    /// Where.
    pub path: Path,
    /// What is wrong.
    pub message: String,
    /// What to do.
    pub hint: String,
}

impl Diagnostic {
    /// A problem found by the check `code`, with the code's severity.
    pub fn new(code: Code, path: Path, message: impl Into<String>, hint: impl Into<String>) -> Self {
        Self { severity: code.severity(), code, path, message: message.into(), hint: hint.into() }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}[{}] {}: {}\n  hint: {}", self.severity, self.code, self.path, self.message, self.hint)
    }
}

/// True when some diagnostic is an error.
pub fn has_errors(diagnostics: &[Diagnostic]) -> bool {
    diagnostics.iter().any(|d| d.severity == Severity::Error)
}
