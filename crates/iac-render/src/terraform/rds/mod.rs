//! RDS kinds (`aws_db_subnet_group`, `aws_db_parameter_group`, `aws_db_instance`): subnet groups,
//! parameter groups and instances.
//!
//! Shared here: a subnet group and a parameter group, whose arguments ElastiCache's groups
//! ([`super::elasticache`]) take too.

use hcl::Expression;
use iac_core::model::ResourceEntry;
use iac_core::value::Value;
use indexmap::IndexMap;

use crate::error::RenderError;
use crate::terraform::{Args, TfContext};

mod db_instance;
mod db_parameter_group;
mod db_subnet_group;

/// A DB or cache subnet group: the same arguments in both providers' resources (the names
/// are lower-cased by AWS, so they are written that way).
pub(super) fn subnet_group(
    cx: &mut TfContext<'_>,
    entry: &ResourceEntry,
    description: &str,
    subnet_ids: &[Value<String>],
) -> Result<Args, RenderError> {
    let mut a = Args::default();
    a.set_opt("name", cx.name(entry).map(|n| Expression::from(n.to_lowercase())))
        .set("description", description)
        .set("subnet_ids", cx.exprs(subnet_ids, "subnet_ids")?)
        .set_opt("tags", cx.tags(entry));
    Ok(a)
}

/// A DB or cache parameter group: the same arguments in both resources; parameters named in
/// `static_parameters` only apply after a reboot, which Terraform must be told.
pub(super) fn parameter_group(
    cx: &TfContext<'_>,
    entry: &ResourceEntry,
    family: &str,
    description: &str,
    parameters: &IndexMap<String, String>,
    static_parameters: &[&str],
) -> Args {
    let mut a = Args::default();
    a.set_opt("name", cx.name(entry).map(|n| Expression::from(n.to_lowercase())))
        .set("family", family)
        .set("description", description);
    for (key, value) in parameters {
        let mut p = Args::default();
        p.set("name", key.as_str()).set("value", value.as_str());
        if static_parameters.contains(&key.as_str()) {
            p.set("apply_method", "pending-reboot");
        }
        a.nested("parameter", p);
    }
    a.set_opt("tags", cx.tags(entry));
    a
}
