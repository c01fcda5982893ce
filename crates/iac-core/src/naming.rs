//! Deterministic physical names that fit AWS length limits.

pub use crate::id::{fit, fnv1a};
use crate::model::spec::Naming;
use crate::model::{Resource, ResourceEntry};
use crate::stack::Stack;

/// The physical name the backends give a resource, when the kind has one
/// ([`crate::model::KindSpec::naming`]): the model's explicit name if set, otherwise
/// `<stack>-<env>-<id>` fitted to the kind's limit. Every backend and the SDK engine use this one
/// function, so a stack deployed one way can be found the other way.
pub fn physical_name(stack: &Stack, entry: &ResourceEntry) -> Option<String> {
    let derived = |max: usize| stack.physical_name(&entry.id, max);
    let explicit = entry.resource.explicit_name().map(str::to_owned);
    match entry.resource.spec().naming {
        Naming::Unnamed => None,
        Naming::Derived { max } => Some(derived(max)),
        Naming::Explicit { max } => Some(explicit.unwrap_or_else(|| derived(max))),
        Naming::GivenOnly { .. } | Naming::Required { .. } => explicit,
    }
}

/// The tags a resource carries in every backend: the stack's tags, `Name` (the physical name,
/// where the kind has one) and `iac:id`. Empty for kinds that cannot be tagged in both
/// CloudFormation and Terraform.
pub fn tags(stack: &Stack, entry: &ResourceEntry) -> Vec<(String, String)> {
    if !taggable(&entry.resource) {
        return Vec::new();
    }
    let mut out: Vec<(String, String)> = Vec::new();
    if let Some(name) = physical_name(stack, entry) {
        out.push(("Name".into(), name));
    }
    out.extend(stack.tags().iter().map(|(k, v)| (k.clone(), v.clone())));
    out.push(("iac:id".into(), entry.id.to_string()));
    out
}

/// Kinds that carry the stack's tags in both CloudFormation and Terraform
/// ([`crate::model::KindSpec::tagging`]).
pub fn taggable(resource: &Resource) -> bool {
    resource.spec().tagging.is_tagged()
}
