//! EFS: `AWS::EFS::FileSystem`, `AWS::EFS::MountTarget` and `AWS::EFS::AccessPoint`.
//!
//! One file per kind (its desired properties, its [`Adapter`](crate::adapter::Adapter) and its
//! calls); this file holds what they share and discovery.
//!
//! # State, tokens and discovery
//!
//! File systems and access points are tagged in their create call and found by listing them
//! (`DescribeFileSystems`, `DescribeAccessPoints`) and keeping those whose `iac:*` tags name this
//! stack and environment. Both creates carry a deterministic idempotency token (an access point's
//! `ClientToken`: `<stack>-<env>-<id>-<iac:hash>`; a file system's `CreationToken`:
//! `<stack>-<env>-<id>-<hash of its create-only properties>`, see
//! [`file_system::creation_token`]), so a create the SDK retries after a lost answer, or a rerun
//! after a kill, reuses what the first attempt made: EFS answers
//! `FileSystemAlreadyExists` for a token it has seen, and the file system of that token is taken
//! (after checking its tags name no other stack), never a second one made.
//!
//! Mount targets take no tags: they are found through their file system. For each mount target
//! of a file system of ours, its subnet is read (`DescribeSubnets`, for the subnet's own `iac:id`),
//! and the stack's mount-target entry whose `FileSystemId` and `SubnetId` resolve to that file
//! system and subnet is the one. A second create in the same zone answers `MountTargetConflict`:
//! the existing mount target of that subnet is taken (a rerun after a kill).
//!
//! # Updates in place
//!
//! A file system's lifecycle policies (`PutLifecycleConfiguration`), backup policy
//! (`PutBackupPolicy`) and throughput mode (`UpdateFileSystem`); a mount target's security
//! groups (`ModifyMountTargetSecurityGroups`). Tags are rewritten on every update. Everything
//! else replaces (the kinds' specs).
//!
//! # Data safety: a file system is retained
//!
//! A file system holds data and its spec keeps it (`Keep::Retain`, CloudFormation's
//! `DeletionPolicy: Retain`; EFS has no final snapshot, its backups are AWS Backup's). The engine
//! refuses to replace or delete one without `--allow-data-loss`; with the flag, delete detaches it
//! as CloudFormation does: its mount targets and access points are deleted (they are the
//! stack's, deleted first as dependents), the file system itself loses its ownership tags for
//! `iac:retained` = `<stack>/<env>/<id>` and is kept with its data; `destroy` names it. Creating
//! it again with the same create-only properties (so the same creation token) takes it back.
//!
//! # Local moto server
//!
//! Moto answers HTTP 500 to `PutBackupPolicy` and has no `UpdateFileSystem`: the backup policy is
//! set in the create call (`Backup`) and read back with `DescribeBackupPolicy`, so a change of
//! `BackupPolicy` or `ThroughputMode` after creation is written for AWS and not tested there.
//! Moto ignores an access point's `ClientToken` (AWS returns the access point made with it), so
//! an access point's create retried is tested only through its tags (a rerun finds it).

use std::collections::{BTreeMap, HashMap};

use aws_sdk_efs::types::Tag;
use iac_core::LogicalId;
use iac_core::model::Resource;
use serde_json::Value as Json;

use super::Ctx;
use crate::desired::{self, Facts};
use crate::error::AwsError;
use crate::state::{Observed, Tags};

pub mod access_point;
pub mod file_system;
pub mod mount_target;

/// Every file system, mount target and access point that belongs to this stack and environment.
pub async fn discover(ctx: &Ctx<'_>) -> Result<Vec<Observed>, AwsError> {
    let file_systems = file_system::discover_file_systems(ctx).await?;
    let access_points = if file_systems.is_empty() && !has(ctx, |r| matches!(r, Resource::AccessPoint(_))) {
        Vec::new()
    } else {
        access_point::discover_access_points(ctx).await?
    };
    let mount_targets = if file_systems.is_empty() {
        Vec::new()
    } else {
        mount_target::discover_mount_targets(ctx, &file_systems).await?
    };
    let mut out = file_systems;
    out.extend(access_points);
    out.extend(mount_targets);
    Ok(out)
}

fn has(ctx: &Ctx<'_>, kind: impl Fn(&Resource) -> bool) -> bool {
    ctx.stack.resources().any(|e| kind(&e.resource))
}

/// EFS tags as our [`Tags`].
fn tag_pairs(tags: &[Tag]) -> Tags {
    tags.iter().map(|t| (t.key().to_owned(), t.value().to_owned())).collect()
}

/// Our [`Tags`] as EFS tags.
fn efs_tags(ctx: &Ctx<'_>, id: &str, action: &str, tags: &Tags) -> Result<Vec<Tag>, AwsError> {
    tags.iter().map(|(k, v)| Tag::builder().key(k).value(v).build().map_err(|e| ctx.fail(id, action, e))).collect()
}

/// Writes `tags` on the EFS resource `resource` (an id), overwriting values.
async fn retag(ctx: &Ctx<'_>, id: &str, resource: &str, tags: &Tags) -> Result<(), AwsError> {
    let efs = &ctx.clients.efs;
    let tags = efs_tags(ctx, id, "elasticfilesystem:TagResource", tags)?;
    ctx.retry(id, "elasticfilesystem:TagResource", &[], || {
        efs.tag_resource().resource_id(resource).set_tags(Some(tags.clone())).send()
    })
    .await
    .map(drop)
}

/// Resolves the listed top-level properties of entry `id` against `observed` (non-strict): what
/// discovery matches untagged children with.
fn resolve_some(
    ctx: &Ctx<'_>,
    template: &Json,
    observed: &HashMap<LogicalId, Observed>,
    id: &str,
    properties: &[&str],
) -> Option<Vec<String>> {
    let params = BTreeMap::new();
    let facts =
        Facts { stack: ctx.stack, params: &params, region: &ctx.clients.region, account: None, zones: &[], observed };
    properties
        .iter()
        .map(|p| match desired::resolve(&facts, id, &template["Resources"][id]["Properties"][*p], true) {
            Ok(Json::String(s)) => Some(s),
            _ => None,
        })
        .collect()
}
