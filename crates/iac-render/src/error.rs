//! The crate's one error type.

use thiserror::Error;

/// What can go wrong while rendering.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum RenderError {
    /// The stack failed validation or graph construction.
    #[error(transparent)]
    Core(#[from] iac_core::CoreError),
    /// A value cannot be expressed in the target's syntax.
    #[error("stack `{stack}` resource `{resource}` property `{property}`: {message}")]
    Unsupported {
        /// The stack.
        stack: String,
        /// The resource.
        resource: String,
        /// The property.
        property: String,
        /// What is wrong and what to do.
        message: String,
    },
    /// A template failed to render (a bug in a template file).
    #[error("template `{template}` failed for stack `{stack}` host `{host}`")]
    Template {
        /// The stack.
        stack: String,
        /// The host.
        host: String,
        /// The template.
        template: String,
        /// Tera's error.
        #[source]
        source: tera::Error,
    },
    /// Serialising the output failed.
    #[error("could not write {format} for stack `{stack}`")]
    Serialize {
        /// The stack.
        stack: String,
        /// `JSON`, `YAML` or `HCL`.
        format: &'static str,
        /// The cause.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A rendered file could not be written where the caller's sink puts it.
    #[error("could not write `{}`", path.display())]
    Output {
        /// The file, relative to the output directory.
        path: std::path::PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The stack has nothing the requested target renders.
    #[error(
        "stack `{stack}` has nothing to render as {target}; its targets are: {}",
        applicable.join(", ")
    )]
    TargetNotApplicable {
        /// The stack.
        stack: String,
        /// The target asked for.
        target: String,
        /// The targets that apply.
        applicable: Vec<String>,
    },
}
