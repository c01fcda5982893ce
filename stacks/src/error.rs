//! The crate's one error type.

use std::path::PathBuf;

use thiserror::Error;

/// What can go wrong while loading config, building, rendering or writing a stack.
#[derive(Debug, Error)]
pub enum StackError {
    /// A config file is not valid TOML or does not match the stack's config.
    #[error("{file}:{line}:{column}: {message}")]
    Config {
        /// The file (as named in the registry, or the path given).
        file: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong, naming the field.
        message: String,
    },
    /// A config value is well-formed but not acceptable.
    #[error("{file}: field `{field}`: {message}")]
    ConfigValue {
        /// The file.
        file: String,
        /// The field's dotted path.
        field: String,
        /// What is wrong and what to do.
        message: String,
    },
    /// No stack by that name.
    #[error("unknown stack `{name}`; the stacks are: {}", valid.join(", "))]
    UnknownStack {
        /// What was asked for.
        name: String,
        /// What exists.
        valid: Vec<String>,
    },
    /// The stack has no such environment.
    #[error("stack `{stack}` has no environment `{env}`; its environments are: {}", valid.join(", "))]
    UnknownEnv {
        /// The stack.
        stack: String,
        /// What was asked for.
        env: String,
        /// What exists.
        valid: Vec<String>,
    },
    /// The stack is not valid.
    #[error(transparent)]
    Core(#[from] iac_core::CoreError),
    /// Rendering failed.
    #[error(transparent)]
    Render(#[from] iac_render::RenderError),
    /// The SDK engine failed.
    #[cfg(feature = "aws")]
    #[error(transparent)]
    Aws(#[from] iac_aws::AwsError),
    /// Bad command-line input.
    #[error("{0}")]
    Usage(String),
    /// Reading or writing a file failed.
    #[error("{action} `{}`", path.display())]
    Io {
        /// What was being done.
        action: &'static str,
        /// The path.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}
