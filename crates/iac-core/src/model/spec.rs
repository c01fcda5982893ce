//! The facts of each resource kind, stated once.
//!
//! Every kind implements [`ResourceKind`] in its own model file, next to its struct, with one
//! [`KindSpec`]: its CloudFormation and Terraform types, the attributes it exposes and their
//! spelling in each backend, its naming rule, how it is tagged, whether it holds data, the
//! properties that cannot change in place (each with the reason a plan prints) and where it falls
//! in the teardown of orphans. Naming, copies ([`crate::merge`]), validation, both renderers, the
//! SDK engine's dispatch and its plan read these facts; none keeps a copy of its own.
//!
//! The facts are checked against the CloudFormation resource schemas AWS publishes (the test
//! `tests/tests/spec_schema.rs`): a type that does not exist, an attribute that cannot be read, a
//! replacement trigger that is not one of the schema's `createOnlyProperties` (or the reverse)
//! without an explanation here, or a tag property that disagrees fails the suite.

use crate::value::{Attr, HasRefs};

use super::Resource;

/// What one resource kind is, in every backend. One constant per kind: see [`ResourceKind::SPEC`].
#[derive(Debug)]
pub struct KindSpec {
    /// The Rust type's name, e.g. `DbInstance`.
    pub kind: &'static str,
    /// A short human name used in messages, e.g. `RDS instance`.
    pub label: &'static str,
    /// Who provides the kind.
    pub provider: Provider,
    /// The CloudFormation resource type, e.g. `AWS::RDS::DBInstance` (`None`: CloudFormation
    /// cannot create it, or, for a raw resource, the type is the user's).
    pub cloudformation: Option<&'static str>,
    /// The Terraform resource type, e.g. `aws_db_instance` (`None` for a raw resource: the
    /// type is the user's).
    pub terraform: Option<&'static str>,
    /// The attributes other resources can refer to, with their spelling in each backend.
    pub attrs: &'static [AttrSpec],
    /// How the kind's physical name is chosen.
    pub naming: Naming,
    /// How the kind carries the stack's tags.
    pub tagging: Tagging,
    /// Whether it holds data that a replacement or deletion would lose.
    pub data: Data,
    /// The CloudFormation properties that cannot change in place: a change replaces the resource.
    pub replacement: &'static [Replacement],
    /// Where the schema's `createOnlyProperties` and [`KindSpec::replacement`] differ, and why.
    pub replacement_notes: &'static [(&'static str, &'static str)],
    /// Teardown rank of an orphan (a tagged resource no longer in the stack, whose dependencies
    /// are unknown): lower ranks are deleted first, so dependents go before what they use.
    pub teardown: u8,
}

impl KindSpec {
    /// The spelling of `attr` in both backends, if the kind exposes it.
    pub fn attr(&self, attr: Attr) -> Option<&'static AttrSpec> {
        self.attrs.iter().find(|a| a.attr == attr)
    }

    /// The replacement trigger on `property` (a top-level CloudFormation property), if any.
    pub fn replacement(&self, property: &str) -> Option<&'static Replacement> {
        self.replacement.iter().find(|r| r.property == property)
    }

    /// The maximum length of the physical name, when the kind has one.
    pub fn name_limit(&self) -> Option<usize> {
        match self.naming {
            Naming::Unnamed => None,
            Naming::Derived { max }
            | Naming::Explicit { max }
            | Naming::GivenOnly { max }
            | Naming::Required { max } => Some(max),
        }
    }
}

/// Who provides a kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provider {
    /// AWS: CloudFormation, Terraform's `aws` provider and the SDK engine.
    Aws,
    /// DigitalOcean: Terraform's `digitalocean` provider only.
    DigitalOcean,
    /// A raw resource: whatever types the user gave, rendered as given.
    Raw,
}

/// One attribute of a kind.
#[derive(Debug)]
pub struct AttrSpec {
    /// The model's attribute.
    pub attr: Attr,
    /// How CloudFormation reads it.
    pub cloudformation: CfnAttr,
    /// The Terraform attribute path, `.`-separated; a numeric segment is an index, e.g.
    /// `master_user_secret.0.secret_arn`.
    pub terraform: &'static str,
}

/// How CloudFormation reads an attribute.
#[derive(Debug)]
pub enum CfnAttr {
    /// `{"Ref": id}`.
    Ref,
    /// `{"Fn::GetAtt": [id, name]}`.
    GetAtt(&'static str),
    /// A constant of the service (CloudFront's hosted zone, the same for every distribution).
    Constant(&'static str),
    /// An `Fn::Join` of literal text, pseudo parameters and the resource's `Ref`, for an
    /// attribute CloudFormation does not expose (a distribution's ARN).
    Join(&'static [JoinPart]),
}

/// A part of a [`CfnAttr::Join`].
#[derive(Debug)]
pub enum JoinPart {
    /// Literal text.
    Text(&'static str),
    /// A pseudo parameter, e.g. `AWS::AccountId`.
    Pseudo(&'static str),
    /// The resource's own `Ref`.
    SelfRef,
}

/// How a kind's physical name is chosen. Every backend and the SDK engine use
/// [`crate::naming::physical_name`], which follows this rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Naming {
    /// No physical name of its own (attachments, rules, records, policies).
    Unnamed,
    /// Always `<stack>-<env>-<id>`, fitted to `max` characters (a `Name` tag where the kind has
    /// no name property).
    Derived {
        /// Length limit.
        max: usize,
    },
    /// The name the user gave ([`ResourceKind::explicit_name`]), else derived as above. A name
    /// the user gives is unique per account (and region, for regional kinds), so copies of a
    /// stack get a suffix.
    Explicit {
        /// Length limit.
        max: usize,
    },
    /// Only the name the user gave; without one the provider generates a name (S3 buckets).
    GivenOnly {
        /// Length limit.
        max: usize,
    },
    /// A name the user must give (DigitalOcean kinds).
    Required {
        /// Length limit.
        max: usize,
    },
}

/// How a kind carries the stack's tags (`iac:stack`, `iac:env`, `iac:id`, `Name`...).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tagging {
    /// As a list of key/value pairs in this CloudFormation property (Terraform: `tags`).
    Property(&'static str),
    /// The kind's renderers place the tags themselves (an ASG propagates them to its instances,
    /// a launch template carries them in its tag specifications); the CloudFormation property.
    OwnRendering(&'static str),
    /// Not tagged, with the reason.
    Untagged(&'static str),
}

impl Tagging {
    /// True when the kind carries the stack's tags in some form.
    pub fn is_tagged(self) -> bool {
        !matches!(self, Tagging::Untagged(_))
    }
}

/// Whether a kind holds data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Data {
    /// Nothing is lost by replacing or deleting it.
    None,
    /// Replacing or deleting it loses data: deletion protection, a `DeletionPolicy` and
    /// `UpdateReplacePolicy` of `keep`, and the SDK engine's refusal without `--allow-data-loss`.
    Holds {
        /// What is kept when it goes.
        keep: Keep,
    },
}

/// What is kept of a resource that holds data when it is deleted or replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    /// A final snapshot (CloudFormation `Snapshot`).
    Snapshot,
    /// The resource itself, detached from the stack (CloudFormation `Retain`): for kinds that
    /// cannot be snapshotted (buckets) or whose backups are another service's (EFS).
    Retain,
}

impl Keep {
    /// The CloudFormation `DeletionPolicy` value.
    pub fn cloudformation(self) -> &'static str {
        match self {
            Keep::Snapshot => "Snapshot",
            Keep::Retain => "Retain",
        }
    }
}

/// A property that cannot change in place.
#[derive(Debug)]
pub struct Replacement {
    /// The top-level CloudFormation property.
    pub property: &'static str,
    /// Why, as a plan prints it; `None` for the plain "cannot change in place".
    pub reason: Option<&'static str>,
}

impl Replacement {
    /// The reason a plan prints.
    pub fn reason(&self) -> String {
        match self.reason {
            Some(r) => format!("{} changed: {r}", self.property),
            None => format!("{} changed: it cannot change in place", self.property),
        }
    }
}

/// Shorthand for the plain triggers: `replace(&["VpcId", "CidrBlock"])`.
#[macro_export]
#[doc(hidden)]
macro_rules! replace {
    ($($p:literal $(: $why:literal)?),* $(,)?) => {
        &[$($crate::model::spec::Replacement { property: $p, reason: $crate::replace!(@why $($why)?) }),*]
    };
    (@why) => { None };
    (@why $why:literal) => { Some($why) };
}

/// One resource kind: its facts ([`ResourceKind::SPEC`]) and the few that depend on the value.
///
/// Every kind in [`Resource`] implements it; the `resources!` list in `model/mod.rs` dispatches
/// to it, so the per-kind facts have exactly one home.
pub trait ResourceKind: Into<Resource> + HasRefs {
    /// The kind's facts.
    const SPEC: &'static KindSpec;

    /// The physical name the user set (for [`Naming::Explicit`], [`Naming::GivenOnly`] and
    /// [`Naming::Required`] kinds).
    fn explicit_name(&self) -> Option<&str> {
        None
    }

    /// The same name, to change (copies of a stack give it a suffix).
    fn explicit_name_mut(&mut self) -> Option<&mut String> {
        None
    }

    /// Literal DNS names besides the physical name that must be unique (a record's name in its
    /// zone, a distribution's aliases across AWS): copies of a stack prefix them.
    fn unique_dns_names_mut(&mut self) -> Vec<&mut String> {
        Vec::new()
    }

    /// True when this resource holds data (the kind's [`KindSpec::data`], unless the value says
    /// otherwise: a read replica holds nothing its primary does not).
    fn holds_data(&self) -> bool {
        matches!(Self::SPEC.data, Data::Holds { .. })
    }

    /// The setup of the host this resource boots (its user data), for kinds that run a machine.
    fn host(&self) -> Option<&crate::app::HostConfig> {
        None
    }

    /// The machine this resource boots (image, type, user data), for kinds that run one.
    fn machine(&self) -> Option<&super::MachineSpec> {
        None
    }

    /// The CloudFormation type of this value (the kind's, or a raw resource's own).
    fn cloudformation_type(&self) -> Option<&str> {
        Self::SPEC.cloudformation
    }

    /// The Terraform type of this value (the kind's, or a raw resource's own).
    fn terraform_type(&self) -> Option<&str> {
        Self::SPEC.terraform
    }
}

/// The facts of the kind whose CloudFormation type is `cloudformation_type`, e.g. for a resource
/// found by its tags, of which only the type is known.
pub fn by_cloudformation_type(cloudformation_type: &str) -> Option<&'static KindSpec> {
    super::KINDS.iter().copied().find(|k| k.cloudformation == Some(cloudformation_type))
}

/// Every kind's facts as a Markdown reference page (`docs/reference/kinds.md` is this, kept
/// current by a test): one row per kind with its types in both backends, its attributes, naming,
/// data and replacement triggers.
pub fn reference() -> String {
    use std::fmt::Write as _;
    let mut out = String::from(
        "# Resource kinds\n\nGenerated from each kind's `KindSpec` (`iac_core::model::spec`); do not edit by hand.\n\n\
         | kind | what | CloudFormation | Terraform | attributes | name | holds data | replaced when these change |\n\
         |---|---|---|---|---|---|---|---|\n",
    );
    for k in super::KINDS {
        let attrs: Vec<String> = k.attrs.iter().map(|a| format!("{:?}", a.attr)).collect();
        let name = match k.naming {
            Naming::Unnamed => "-".to_owned(),
            Naming::Derived { max } => format!("derived, {max}"),
            Naming::Explicit { max } => format!("yours or derived, {max}"),
            Naming::GivenOnly { max } => format!("yours or the provider's, {max}"),
            Naming::Required { max } => format!("yours, {max}"),
        };
        let data = match k.data {
            Data::None => "no".to_owned(),
            Data::Holds { keep } => format!("yes ({})", keep.cloudformation()),
        };
        let triggers: Vec<&str> = k.replacement.iter().map(|r| r.property).collect();
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} | {} | {} | {} | {} |",
            k.kind,
            k.label,
            k.cloudformation.map_or("-".to_owned(), |t| format!("`{t}`")),
            k.terraform.map_or("(yours)".to_owned(), |t| format!("`{t}`")),
            if attrs.is_empty() { "-".to_owned() } else { attrs.join(", ") },
            name,
            data,
            if triggers.is_empty() { "-".to_owned() } else { triggers.join(", ") },
        );
    }
    out
}

/// What a model file needs to state its kinds' facts.
pub(crate) mod prelude {
    pub(crate) use super::{
        AttrSpec, CfnAttr, Data, JoinPart, Keep, KindSpec, Naming, Provider, ResourceKind, Tagging, by_ref, get_att,
    };
    pub(crate) use crate::value::Attr;
}

/// Shorthand for an attribute read with `Ref` in CloudFormation.
pub const fn by_ref(attr: Attr, terraform: &'static str) -> AttrSpec {
    AttrSpec { attr, cloudformation: CfnAttr::Ref, terraform }
}

/// Shorthand for an attribute read with `Fn::GetAtt` in CloudFormation.
pub const fn get_att(attr: Attr, name: &'static str, terraform: &'static str) -> AttrSpec {
    AttrSpec { attr, cloudformation: CfnAttr::GetAtt(name), terraform }
}
