//! ElastiCache: `AWS::ElastiCache::SubnetGroup`, `AWS::ElastiCache::ParameterGroup` and
//! `AWS::ElastiCache::ReplicationGroup` (Redis OSS, cluster mode off).
//!
//! One file per kind (its desired properties, its [`Adapter`](crate::adapter::Adapter) and its
//! calls); this file holds what they share and discovery.
//!
//! # State and discovery
//!
//! All three are tagged in their create call (`Tags`) and found by listing them and reading each
//! one's tags (`ListTagsForResource` on its ARN), keeping those whose `iac:*` tags name this
//! stack and environment. A replication group that is `deleting` is no longer the stack's: its
//! delete was accepted and AWS finishes it, so discovery skips it.
//!
//! # The replication group
//!
//! Created with every property of the template and waited on until `available`; its attributes
//! `PrimaryEndPoint.Address`/`.Port` and `ReaderEndPoint.Address`/`.Port` (what a dependant's
//! Redis URL is made of) come from its node group. `ModifyReplicationGroup` (with
//! `ApplyImmediately`) changes the description, node type, failover, Multi-AZ, snapshot
//! retention and window, maintenance window, engine version, security groups, parameter group,
//! minor version upgrades and transit encryption in place; a changed `NumCacheClusters` adds or
//! removes replicas (`IncreaseReplicaCount` / `DecreaseReplicaCount`). Each waits until the group
//! is `available` again.
//!
//! The group's own description carries the group-wide settings; the per-node ones (engine
//! version, subnet group, security groups, maintenance window, parameter group, node count) are
//! read from its member clusters (`DescribeCacheClusters`).
//!
//! # Data safety: a final snapshot
//!
//! A replication group holds data and its spec keeps a final snapshot (`Keep::Snapshot`,
//! CloudFormation's `DeletionPolicy: Snapshot`). The engine refuses to replace or delete one
//! without `--allow-data-loss`; with the flag, delete sends `DeleteReplicationGroup` with
//! `FinalSnapshotIdentifier` `<group id>-final-<unix seconds>` (AWS takes the snapshot while the
//! group is `deleting`, then removes the group), and waits until AWS has taken the delete: the
//! group is `deleting` or gone. It does not wait for the group to vanish (many minutes on AWS,
//! never on moto): what needs it gone waits itself. Deleting the subnet group retries while AWS
//! answers `CacheSubnetGroupInUse`, and creating a group whose id is still `deleting` waits
//! until it is gone.
//!
//! # Local moto server
//!
//! What moto lacks, so these paths are written for AWS and not tested there:
//! - every parameter-group call (`CreateCacheParameterGroup`, `Modify…`, `Describe…`,
//!   `Delete…`): HTTP 500; no seed stack uses a cache parameter group;
//! - `ModifyCacheSubnetGroup` and `DeleteCacheSubnetGroup`: HTTP 500, so a subnet group can be
//!   created and read but not changed or deleted there;
//! - `DeleteReplicationGroup` ignores `FinalSnapshotIdentifier` (no snapshot is made) and leaves
//!   the group `deleting` forever; the tests check the request carries the snapshot name;
//! - `NumCacheClusters` is ignored (one member) and `DescribeCacheClusters` does not list the
//!   members, so the per-node settings above cannot be read back there (they are then left out
//!   of what is read, not guessed); `IncreaseReplicaCount` / `DecreaseReplicaCount` are missing;
//! - a node group has no `ReaderEndpoint`, so `ReaderEndPoint.*` are not among the attributes.

use aws_sdk_elasticache::types::Tag;

use super::{Ctx, sdk_tags, tag_pairs};
use crate::error::AwsError;
use crate::state::{Observed, Tags};

pub mod parameter_group;
pub mod replication_group;
pub mod subnet_group;

/// Every subnet group, parameter group and replication group of this stack and environment.
pub async fn discover(ctx: &Ctx<'_>) -> Result<Vec<Observed>, AwsError> {
    use iac_core::model::Resource;
    let wants = |f: fn(&Resource) -> bool| ctx.stack.resources().any(|e| f(&e.resource));
    // Orphans of a kind the stack no longer has are still found: each list is one call.
    let mut out = subnet_group::discover_subnet_groups(ctx).await?;
    out.extend(replication_group::discover_replication_groups(ctx).await?);
    // Moto has no parameter-group calls at all: only look when the stack has one.
    if wants(|r| matches!(r, Resource::CacheParameterGroup(_))) {
        out.extend(parameter_group::discover_parameter_groups(ctx).await?);
    }
    Ok(out)
}

/// The tags of the resource `arn`.
async fn list_tags(ctx: &Ctx<'_>, id: &str, arn: &str) -> Result<Tags, AwsError> {
    let ec = &ctx.clients.elasticache;
    let out = ctx
        .retry(id, "elasticache:ListTagsForResource", &[], || ec.list_tags_for_resource().resource_name(arn).send())
        .await?;
    Ok(tag_pairs(out.tag_list()))
}

/// Writes `tags` on the resource `arn` (overwriting values).
async fn add_tags(ctx: &Ctx<'_>, id: &str, arn: &str, tags: &Tags) -> Result<(), AwsError> {
    let ec = &ctx.clients.elasticache;
    let tags: Vec<Tag> = sdk_tags(tags);
    ctx.retry(id, "elasticache:AddTagsToResource", &[], || {
        ec.add_tags_to_resource().resource_name(arn).set_tags(Some(tags.clone())).send()
    })
    .await
    .map(drop)
}
