//! `iac-render`: pure renderers from an [`iac_core::Stack`] to files.
//!
//! - [`cloudformation`]: a template as JSON or YAML, with deletion and replace policies on
//!   stateful resources and checkov suppressions as resource metadata.
//! - [`terraform`]: HCL written with `hcl-rs` (references as traversals), provider and variable
//!   blocks, `prevent_destroy` on stateful resources.
//! - [`nested`]: a CloudFormation template over CloudFormation's limits split into nested
//!   stacks (Terraform output is never split).
//! - [`packer`]: Packer templates and bake scripts for the stack's AMI bakes.
//! - [`compose`]: compose spec YAML for the stack's apps (local stand-ins included).
//! - [`kubernetes`]: Kubernetes manifests for the stack's apps (Deployments, Services,
//!   Ingresses, claims, `CronJob`s; secrets as references to a Secret the operator creates).
//! - [`graph`]: the stack's dependency graph as Graphviz DOT, resources grouped by the pattern
//!   that added them, edges labelled with the attribute referred to.
//! - [`userdata`]: cloud-init user data, a `#cloud-config` document for every host (EC2 or a
//!   DigitalOcean droplet) that writes the host's files and runs its boot script; [`cloudinit`]:
//!   the files of its setup (systemd units and timers, supervisor programs, nginx sites, kernel
//!   settings). All from tera templates kept as files in `templates/`.
//!
//! Every renderer is deterministic: the same stack gives byte-identical output. Nothing here does
//! I/O: [`files::render_into`] hands each file, as soon as it is made, to a [`files::FileSink`]
//! the caller provides (the `synth` command's writes it to disk), and [`files::render_target`]
//! returns the files as data. Each host's user data is rendered once per stack and shared by
//! every target ([`userdata::UserData`]); the templates are parsed once per process.

pub mod cloudformation;
pub mod cloudinit;
mod ecs;
pub mod error;
pub mod files;
pub mod graph;
mod hcl_layout;
pub mod nested;
pub mod packer;
mod pretty;
mod templates;
pub mod terraform;
pub mod userdata;

mod apps;
pub mod compose;
pub mod kubernetes;

pub use cloudformation::Format;
pub use error::RenderError;
pub use files::{FileSink, OutputFile, Rendered, Target, render_into, render_target};
