//! `iac-core`: the pure model of an infrastructure stack.
//!
//! A [`model::Stack`] holds typed resources (a closed enum, one struct per AWS kind) whose
//! properties are [`value::Value`]s: literals, typed references to other resources' attributes,
//! parameters, joins and secret references. [`graph::Graph`] orders them,
//! [`validate::validate`] finds every problem at once (as [`diag::Diagnostic`]s, each with a
//! [`diag::Code`] from the registry in [`diag::codes`]), and [`patterns`] add whole groups of
//! resources (network, web tier, database, host, DNS) and return handles. No I/O, no async: this
//! crate compiles in seconds and can be embedded anywhere.
//!
//! ```
//! use iac_core::model::{StackBuilder, Vpc};
//!
//! let mut stack = StackBuilder::new("demo", "dev");
//! let vpc = stack.add("Vpc", Vpc { cidr_block: "10.0.0.0/16".into(), enable_dns_hostnames: true, enable_dns_support: true });
//! stack.output("VpcId", "the VPC", vpc.vpc_id());
//! let stack = stack.build().unwrap();
//! assert!(iac_core::validate::validate(&stack).is_empty());
//! ```

pub mod app;
pub mod diag;
pub mod error;
pub mod graph;
pub mod id;
pub mod merge;
pub mod model;
pub mod naming;
pub mod net;
pub mod patterns;
pub mod rollout;
pub mod validate;
pub mod value;
pub mod workload;

pub use error::CoreError;
pub use id::LogicalId;
pub use model::{Handle, Stack, StackBuilder};
pub use value::{Attr, AttrRef, SecretRef, Value};
