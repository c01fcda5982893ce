//! `AWS::EFS::MountTarget`: the file system's address in one subnet; untagged, found through its
//! file system (see [`super`]). Its security groups change in place.

use std::collections::HashMap;

use aws_sdk_efs::operation::describe_mount_targets::DescribeMountTargetsError;
use aws_sdk_efs::types::{LifeCycleState, MountTargetDescription};
use iac_core::LogicalId;
use iac_core::model::{self, Resource, ResourceEntry};
use serde::Deserialize;
use serde_json::Value as Json;

use super::{Ctx, resolve_some};
use crate::adapter::{Adapter, Desired, SdkKind};
use crate::error::AwsError;
use crate::services::{absent, code_in, tag_pairs};
use crate::state::{Observed, Tags};

/// The desired properties of an `AWS::EFS::MountTarget`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct MountTargetProps {
    pub(crate) file_system_id: String,
    pub(crate) subnet_id: String,
    #[serde(default)]
    pub(crate) security_groups: Vec<String>,
}

impl Desired for MountTargetProps {}

impl Adapter for model::MountTarget {
    type Props = MountTargetProps;

    /// Creates the mount target (or takes the one already in that subnet) and waits until it is
    /// `available`.
    async fn create(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        props: &MountTargetProps,
        _: &Tags,
    ) -> Result<Observed, AwsError> {
        let efs = &ctx.clients.efs;
        let id = entry.id.as_str();
        let (fs, subnet) = (props.file_system_id.as_str(), props.subnet_id.as_str());
        let sgs = (!props.security_groups.is_empty()).then(|| props.security_groups.clone());
        let made = ctx
            .retry(id, "elasticfilesystem:CreateMountTarget", &["IncorrectFileSystemLifeCycleState"], || async {
                let r = efs
                    .create_mount_target()
                    .file_system_id(fs)
                    .subnet_id(subnet)
                    .set_security_groups(sgs.clone())
                    .send()
                    .await;
                match r {
                    Ok(o) => Ok(Some(o.mount_target_id().to_owned())),
                    // One per zone: an earlier attempt made it.
                    Err(e) if code_in(&e, &["MountTargetConflict"]) => Ok(None),
                    Err(e) => Err(e),
                }
            })
            .await?;
        let mt = if let Some(mt) = made {
            mt
        } else {
            {
                let existing = of_file_system(ctx, id, fs).await?.into_iter().find(|m| m.subnet_id() == subnet);
                let Some(existing) = existing else {
                    return Err(ctx.fail(
                        id,
                        "elasticfilesystem:CreateMountTarget",
                        format!("file system {fs} has a mount target in the zone of subnet {subnet}, in another subnet; delete it or move this one"),
                    ));
                };
                existing.mount_target_id().to_owned()
            }
        };
        if sgs.is_some() {
            // A mount target taken over may have other groups.
            set_security_groups(ctx, id, &mt, &props.security_groups).await?;
        }
        let found = wait_available(ctx, id, &mt).await?;
        observe(ctx, entry.id.clone(), &found).await
    }

    async fn update(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        current: &Observed,
        props: &MountTargetProps,
        _: &Tags,
    ) -> Result<Observed, AwsError> {
        let id = entry.id.as_str();
        set_security_groups(ctx, id, &current.physical_id, &props.security_groups).await?;
        let found = wait_available(ctx, id, &current.physical_id).await?;
        observe(ctx, entry.id.clone(), &found).await
    }

    /// Deletes the mount target and waits until it is gone.
    async fn delete(ctx: &Ctx<'_>, current: &Observed) -> Result<(), AwsError> {
        let efs = &ctx.clients.efs;
        let (id, mt) = (current.id.as_str(), current.physical_id.as_str());
        ctx.retry(id, "elasticfilesystem:DeleteMountTarget", &[], || async {
            match efs.delete_mount_target().mount_target_id(mt).send().await {
                Ok(_) => Ok(()),
                Err(e) if code_in(&e, &["MountTargetNotFound"]) => Ok(()),
                Err(e) => Err(e),
            }
        })
        .await?;
        ctx.wait_gone(id, || async move {
            Ok(find(ctx, id, mt).await?.filter(|m| *m.life_cycle_state() != LifeCycleState::Deleted))
        })
        .await
    }
}

async fn set_security_groups(ctx: &Ctx<'_>, id: &str, mt: &str, groups: &[String]) -> Result<(), AwsError> {
    let efs = &ctx.clients.efs;
    ctx.retry(id, "elasticfilesystem:ModifyMountTargetSecurityGroups", &["IncorrectMountTargetState"], || {
        efs.modify_mount_target_security_groups().mount_target_id(mt).set_security_groups(Some(groups.to_vec())).send()
    })
    .await
    .map(drop)
}

async fn find(ctx: &Ctx<'_>, id: &str, mt: &str) -> Result<Option<MountTargetDescription>, AwsError> {
    let efs = &ctx.clients.efs;
    let out = ctx
        .retry(id, "elasticfilesystem:DescribeMountTargets", &[], || async {
            absent(
                efs.describe_mount_targets().mount_target_id(mt).send().await,
                DescribeMountTargetsError::is_mount_target_not_found,
            )
        })
        .await?;
    Ok(out.and_then(|o| o.mount_targets().first().cloned()))
}

async fn of_file_system(ctx: &Ctx<'_>, id: &str, fs: &str) -> Result<Vec<MountTargetDescription>, AwsError> {
    let efs = &ctx.clients.efs;
    let mut all = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let m = marker.clone();
        let out = ctx
            .retry(id, "elasticfilesystem:DescribeMountTargets", &[], || {
                efs.describe_mount_targets().file_system_id(fs).set_marker(m.clone()).send()
            })
            .await?;
        all.extend(out.mount_targets().iter().cloned());
        marker = out.next_marker().filter(|m| !m.is_empty()).map(str::to_owned);
        if marker.is_none() {
            return Ok(all);
        }
    }
}

async fn wait_available(ctx: &Ctx<'_>, id: &str, mt: &str) -> Result<MountTargetDescription, AwsError> {
    ctx.wait_for(id, "available", || async move {
        let Some(found) = find(ctx, id, mt).await? else {
            return Err(ctx.fail(
                id,
                "elasticfilesystem:DescribeMountTargets",
                format!("mount target {mt} is gone; re-run plan"),
            ));
        };
        Ok((*found.life_cycle_state() == LifeCycleState::Available).then_some(found))
    })
    .await
}

async fn observe(ctx: &Ctx<'_>, id: LogicalId, mt: &MountTargetDescription) -> Result<Observed, AwsError> {
    let efs = &ctx.clients.efs;
    let ids = id.to_string();
    let mt_id = mt.mount_target_id();
    let groups = ctx
        .retry(&ids, "elasticfilesystem:DescribeMountTargetSecurityGroups", &[], || {
            efs.describe_mount_target_security_groups().mount_target_id(mt_id).send()
        })
        .await?;
    let groups: Vec<Json> = groups.security_groups().iter().cloned().map(Json::String).collect();
    let mut o = Observed::new(id, SdkKind::MountTarget.cfn_type(), mt_id)
        .prop("FileSystemId", mt.file_system_id())
        .prop("SubnetId", mt.subnet_id())
        .prop("SecurityGroups", groups);
    if let Some(ip) = mt.ip_address() {
        o = o.attr("IpAddress", ip);
    }
    Ok(o)
}

/// The mount targets of the stack: for each mount target of `file_systems`, the entry whose
/// `FileSystemId` and `SubnetId` resolve to its file system and subnet (see [`super`]).
pub(super) async fn discover_mount_targets(
    ctx: &Ctx<'_>,
    file_systems: &[Observed],
) -> Result<Vec<Observed>, AwsError> {
    let entries: Vec<&ResourceEntry> =
        ctx.stack.resources().filter(|e| matches!(e.resource, Resource::MountTarget(_))).collect();
    if entries.is_empty() {
        return Ok(Vec::new());
    }
    let mut targets = Vec::new();
    for fs in file_systems {
        targets.extend(of_file_system(ctx, "-", &fs.physical_id).await?);
    }
    targets.retain(|m| {
        *m.life_cycle_state() != LifeCycleState::Deleted && *m.life_cycle_state() != LifeCycleState::Deleting
    });
    if targets.is_empty() {
        return Ok(Vec::new());
    }
    // The subnets, so `{"Ref": "PrivateSubnet1"}` resolves: by their own `iac:id`.
    let mut known: HashMap<LogicalId, Observed> = file_systems.iter().map(|o| (o.id.clone(), o.clone())).collect();
    let mut subnet_ids: Vec<String> = targets.iter().map(|m| m.subnet_id().to_owned()).collect();
    subnet_ids.sort();
    subnet_ids.dedup();
    let ec2 = &ctx.clients.ec2;
    let subnets = ctx
        .retry("-", "ec2:DescribeSubnets", &[], || {
            ec2.describe_subnets().set_subnet_ids(Some(subnet_ids.clone())).send()
        })
        .await?;
    for s in subnets.subnets() {
        if let (Some((sid, _)), Some(subnet)) = (ctx.ours(&tag_pairs(s.tags())), s.subnet_id()) {
            known.entry(sid.clone()).or_insert_with(|| Observed::new(sid, SdkKind::Subnet.cfn_type(), subnet));
        }
    }
    let template = iac_render::cloudformation::template(ctx.stack)?;
    let mut out = Vec::new();
    for e in entries {
        let Some(want) = resolve_some(ctx, &template, &known, e.id.as_str(), &["FileSystemId", "SubnetId"]) else {
            continue;
        };
        if let Some(mt) = targets.iter().find(|m| m.file_system_id() == want[0] && m.subnet_id() == want[1]) {
            out.push(observe(ctx, e.id.clone(), mt).await?);
        }
    }
    Ok(out)
}
