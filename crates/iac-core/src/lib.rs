//! `iac-core`: the pure model of an infrastructure stack.
//!
//! A [`stack::Stack`] holds typed resources (a closed enum, one struct per AWS kind) whose
//! properties are [`value::Value`]s: literals, typed references to other resources' attributes,
//! parameters, joins and secret references. [`graph::Graph`] orders them,
//! [`validate::validate`] finds every problem at once (as [`diag::Diagnostic`]s, each with a
//! [`diag::Code`] from the registry in [`diag::codes`]), and [`patterns`] add whole groups of
//! resources (network, web tier, database, host, DNS) and return handles. No I/O, no async: this
//! crate compiles in seconds and can be embedded anywhere.
//!
//! ```
//! use iac_core::StackBuilder;
//! use iac_core::model::Vpc;
//!
//! let mut stack = StackBuilder::new("demo", "dev");
//! let vpc = stack.add("Vpc", Vpc { cidr_block: "10.0.0.0/16".into(), enable_dns_hostnames: true, enable_dns_support: true });
//! stack.output("VpcId", "the VPC", vpc.vpc_id());
//! let stack = stack.build().unwrap();
//! assert!(iac_core::validate::validate(&stack).is_empty());
//! ```
//!
//! # Layers
//!
//! The modules form layers; each imports only from lower layers, so there are no import
//! circles (`tests/source.rs` checks it, with the same list; doc links may point anywhere):
//!
//! | layer | modules | what |
//! |---|---|---|
//! | 0 | [`id`], [`diag`], [`net`] | logical ids and fitted names; diagnostics and their codes; CIDR blocks |
//! | 1 | [`value`] | values and typed references |
//! | 2 | [`error`], `sample` | the crate's error; sample values for tests (feature `testing`) |
//! | 3 | [`app`] | containers and a host's setup |
//! | 4 | [`model`] | resource kinds, [`model::Resource`], [`model::ResourceEntry`], [`Handle`] |
//! | 5 | [`workload`], [`rollout`] | apps for container platforms; release plans |
//! | 6 | [`stack`] | [`Stack`], [`StackBuilder`], parameters and outputs |
//! | 7 | [`naming`], [`graph`] | physical names and tags; the dependency graph |
//! | 8 | [`validate`] | every problem of a stack |
//! | 9 | [`merge`] | copies of stacks |
//! | 10 | [`patterns`] | groups of resources |

// `#[derive(Refs)]` names this crate `::iac_core`, inside it as well as outside.
extern crate self as iac_core;

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
#[cfg(feature = "testing")]
pub mod sample;
pub mod stack;
pub mod validate;
pub mod value;
pub mod workload;

pub use error::CoreError;
pub use id::LogicalId;
pub use model::Handle;
pub use stack::{Stack, StackBuilder};
pub use value::{Attr, AttrRef, SecretRef, Value};

/// Keeps its input when the `testing` feature is on: the `sample::Sample` impls that
/// `#[derive(Refs)]` writes exist only then.
#[doc(hidden)]
#[cfg(feature = "testing")]
#[macro_export]
macro_rules! __if_testing {
    ($($item:tt)*) => { $($item)* };
}

/// Drops its input: the `testing` feature is off, so there are no sample impls.
#[doc(hidden)]
#[cfg(not(feature = "testing"))]
#[macro_export]
macro_rules! __if_testing {
    ($($item:tt)*) => {};
}
