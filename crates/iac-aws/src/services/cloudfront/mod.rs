//! CloudFront: `AWS::CloudFront::OriginAccessControl` and `AWS::CloudFront::Distribution`.
//!
//! One file per kind (its desired properties, its [`Adapter`](crate::adapter::Adapter) and its
//! calls); this file holds discovery.
//!
//! Distributions are tagged in `CreateDistributionWithTags` and found by their `iac:*` tags
//! (`ListDistributions`, then `ListTagsForResource`). Origin access controls take no tags: each
//! one of the stack is looked for by its name (`ListOriginAccessControls`); one removed from the
//! stack is therefore not found as an orphan (destroy the stack before removing it, or delete it
//! by hand).

use super::Ctx;
use crate::error::AwsError;
use crate::state::Observed;

pub mod distribution;
pub mod origin_access_control;

/// Every distribution of this stack and environment, and the stack's origin access controls.
pub async fn discover(ctx: &Ctx<'_>) -> Result<Vec<Observed>, AwsError> {
    let mut out = distribution::discover_distributions(ctx).await?;
    let wanted: Vec<_> = ctx
        .stack
        .resources()
        .filter(|e| e.resource.get::<iac_core::model::OriginAccessControl>().is_some())
        .filter_map(|e| Some((e.id.clone(), iac_core::naming::physical_name(ctx.stack, e)?)))
        .collect();
    if !wanted.is_empty() {
        out.extend(origin_access_control::discover_named(ctx, &wanted).await?);
    }
    Ok(out)
}
