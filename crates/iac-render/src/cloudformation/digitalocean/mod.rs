//! DigitalOcean kinds: not AWS resources, so CloudFormation refuses them and names the target that renders them.

use iac_core::model::ResourceEntry;

use crate::cloudformation::CfnContext;
use crate::error::RenderError;

mod do_firewall;
mod droplet;

/// The error for a kind CloudFormation cannot create.
fn not_aws(cx: &CfnContext<'_>, entry: &ResourceEntry) -> RenderError {
    cx.unsupported(
        "Type",
        format!(
            "a {} is not an AWS resource and CloudFormation cannot create it; render this stack with \
             `--target terraform` (the digitalocean provider)",
            entry.resource.kind_name()
        ),
    )
}
