//! `AWS::EC2::Volume` and `AWS::EC2::VolumeAttachment`: an EBS data volume and its attachment
//! to an instance.
//!
//! A volume is tagged in its create call (`TagSpecifications`) with a deterministic
//! `ClientToken` (`<stack>-<env>-<id>-<iac:hash>`), waited on until `available`, found again by
//! its tags. Its size (only up), type, IOPS and throughput change in place (`ModifyVolume`, then
//! waiting until the modification is `optimizing` or `completed`); its zone, encryption and key
//! cannot (the kind's spec). gp3's baseline speed (3000 IOPS, 125 MiB/s) is what a volume
//! reports when the template names none, so those values are read back only when they differ
//! from the baseline; the AWS-managed `aws/ebs` key likewise.
//!
//! # Data safety: a final snapshot
//!
//! A volume holds data and its spec keeps a final snapshot (`Keep::Snapshot`). The engine refuses
//! to replace or delete one without `--allow-data-loss`; with the flag, delete snapshots it first
//! (`CreateSnapshot`, tagged `Name` = `<volume name>-final-<unix seconds>` and `iac:snapshot-of`
//! = `<stack>/<env>/<id>`, and waits until the snapshot is `completed`), then deletes the volume
//! once it is detached (`VolumeInUse` is retried) and waits until it is gone.
//!
//! # The attachment
//!
//! An attachment takes no tags: it is found through its volume, whose `Attachments` name the
//! instance and device; its physical id is `vol-…|i-…`. Attaching waits until the attachment is
//! `attached`; a volume already attached to that instance is taken as it is (a rerun after a
//! kill). Detaching waits until the volume no longer lists the instance; an instance that is
//! gone (terminated: EBS detaches its volumes) is already detached. Every property replaces the
//! attachment (a new instance gets a new attachment and the volume is kept); when the instance is
//! replaced the engine plans the attachment as an update (its new id is known only once made),
//! which detaches the volume and attaches it to the new instance.

use std::collections::{BTreeMap, HashMap};
use std::time::{SystemTime, UNIX_EPOCH};

use aws_sdk_ec2::types::{
    ResourceType, SnapshotState, Volume, VolumeAttachmentState, VolumeModificationState, VolumeState, VolumeType,
};
use iac_core::LogicalId;
use iac_core::model::{self, Resource, ResourceEntry};
use serde::Deserialize;
use serde_json::Value as Json;

use super::{Ctx, code_in, ours, ours_paged, retag, split_pair, tag_pairs, tag_spec, with_hash};
use crate::adapter::{self, Adapter, CfnTag, Desired, SdkKind, de};
use crate::desired::{self, Facts};
use crate::error::AwsError;
use crate::services::{client_token, customer_key};
use crate::state::{Observed, Tags};

/// gp3's baseline IOPS, reported when none are provisioned.
const GP3_IOPS: i32 = 3000;
/// gp3's baseline throughput in MiB/s.
const GP3_THROUGHPUT: i32 = 125;

/// The desired properties of an `AWS::EC2::Volume`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct VolumeProps {
    pub(crate) availability_zone: String,
    #[serde(default, deserialize_with = "de::opt_int")]
    pub(crate) size: Option<i32>,
    #[serde(default)]
    pub(crate) volume_type: Option<String>,
    #[serde(default, deserialize_with = "de::opt_bool")]
    pub(crate) encrypted: Option<bool>,
    #[serde(default)]
    pub(crate) kms_key_id: Option<String>,
    #[serde(default, deserialize_with = "de::opt_int")]
    pub(crate) iops: Option<i32>,
    #[serde(default, deserialize_with = "de::opt_int")]
    pub(crate) throughput: Option<i32>,
    #[serde(default)]
    pub(crate) snapshot_id: Option<String>,
    #[serde(default)]
    pub(crate) tags: Vec<CfnTag>,
}

impl Desired for VolumeProps {
    fn template_tags(&self) -> Vec<(&str, &str)> {
        adapter::pairs(&self.tags)
    }
}

/// The desired properties of an `AWS::EC2::VolumeAttachment`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct VolumeAttachmentProps {
    pub(crate) instance_id: String,
    pub(crate) volume_id: String,
    pub(crate) device: String,
}

impl Desired for VolumeAttachmentProps {}

impl Adapter for model::Volume {
    type Props = VolumeProps;

    async fn create(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        props: &VolumeProps,
        tags: &Tags,
    ) -> Result<Observed, AwsError> {
        let ec2 = &ctx.clients.ec2;
        let id = entry.id.as_str();
        let request = ec2
            .create_volume()
            .availability_zone(&props.availability_zone)
            .set_size(props.size)
            .set_volume_type(props.volume_type.as_deref().map(VolumeType::from))
            .set_encrypted(props.encrypted)
            .set_kms_key_id(props.kms_key_id.clone())
            .set_iops(props.iops)
            .set_throughput(props.throughput)
            .set_snapshot_id(props.snapshot_id.clone())
            .client_token(client_token(ctx, &entry.id, tags, 64))
            .tag_specifications(tag_spec(ResourceType::Volume, tags));
        let out = ctx.retry(id, "ec2:CreateVolume", &[], || request.clone().send()).await?;
        let volume = out.volume_id().unwrap_or_default().to_owned();
        let found = wait_volume(ctx, id, &volume, |v| {
            v.state() == Some(&VolumeState::Available) || v.state() == Some(&VolumeState::InUse)
        })
        .await?;
        observe_volume(ctx, entry.id.clone(), &found).await
    }

    /// Size (never down), type, IOPS and throughput in one `ModifyVolume`, then the tags.
    async fn update(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        current: &Observed,
        props: &VolumeProps,
        tags: &Tags,
    ) -> Result<Observed, AwsError> {
        let ec2 = &ctx.clients.ec2;
        let (id, volume) = (entry.id.as_str(), current.physical_id.as_str());
        let now = wait_volume(ctx, id, volume, |_| true).await?;
        let mut req = ec2.modify_volume().volume_id(volume);
        let mut any = false;
        if let Some(size) = props.size {
            let have = now.size().unwrap_or(0);
            if size < have {
                return Err(AwsError::Resolve {
                    stack: ctx.stack.name().to_owned(),
                    id: id.to_owned(),
                    property: "Size".into(),
                    message: format!(
                        "an EBS volume can only grow ({have} GiB now, {size} GiB asked); keep {have} or more"
                    ),
                });
            }
            if size > have {
                req = req.size(size);
                any = true;
            }
        }
        if let Some(t) = props.volume_type.as_deref().filter(|t| now.volume_type().map(VolumeType::as_str) != Some(*t))
        {
            req = req.volume_type(VolumeType::from(t));
            any = true;
        }
        let gp3 = props.volume_type.as_deref() == Some("gp3");
        let want_iops = props.iops.or(gp3.then_some(GP3_IOPS));
        if let Some(v) = want_iops.filter(|v| now.iops() != Some(*v)) {
            req = req.iops(v);
            any = true;
        }
        let want_throughput = props.throughput.or(gp3.then_some(GP3_THROUGHPUT));
        if let Some(v) = want_throughput.filter(|v| now.throughput() != Some(*v)) {
            req = req.throughput(v);
            any = true;
        }
        if any {
            ctx.retry(id, "ec2:ModifyVolume", &["IncorrectModificationState"], || req.clone().send()).await?;
            wait_modified(ctx, id, volume).await?;
        }
        retag(ctx, id, &[volume.to_owned()], tags).await?;
        let found = wait_volume(ctx, id, volume, |_| true).await?;
        observe_volume(ctx, entry.id.clone(), &found).await
    }

    /// A final snapshot, then the volume (see the module docs).
    async fn delete(ctx: &Ctx<'_>, current: &Observed) -> Result<(), AwsError> {
        let ec2 = &ctx.clients.ec2;
        let (id, volume) = (current.id.as_str(), current.physical_id.as_str());
        let Some(found) = find_volume(ctx, id, volume).await? else { return Ok(()) };
        let name = tag_pairs(found.tags())
            .into_iter()
            .find(|(k, _)| k == "Name")
            .map_or_else(|| volume.to_owned(), |(_, v)| v);
        let seconds = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let snapshot_tags: Tags = vec![
            ("Name".to_owned(), format!("{name}-final-{seconds}")),
            ("iac:snapshot-of".to_owned(), format!("{}/{}/{id}", ctx.stack.name(), ctx.stack.env())),
        ];
        let snap = ctx
            .retry(id, "ec2:CreateSnapshot", &["IncorrectState"], || {
                ec2.create_snapshot()
                    .volume_id(volume)
                    .description(format!("final snapshot of {name} ({volume})"))
                    .tag_specifications(tag_spec(ResourceType::Snapshot, &snapshot_tags))
                    .send()
            })
            .await?;
        let snapshot = snap.snapshot_id().unwrap_or_default().to_owned();
        ctx.wait_for(id, "final snapshot completed", || async {
            let out = ctx
                .retry(id, "ec2:DescribeSnapshots", &["InvalidSnapshot.NotFound"], || {
                    ec2.describe_snapshots().snapshot_ids(&snapshot).send()
                })
                .await?;
            let state = out.snapshots().first().and_then(|s| s.state().cloned());
            if state == Some(SnapshotState::Error) {
                return Err(ctx.fail(
                    id,
                    "ec2:CreateSnapshot",
                    format!("the final snapshot {snapshot} failed; the volume is kept"),
                ));
            }
            Ok((state == Some(SnapshotState::Completed)).then_some(()))
        })
        .await?;
        super::delete_when_free(ctx, id, "ec2:DeleteVolume", &["InvalidVolume.NotFound"], || {
            ec2.delete_volume().volume_id(volume).send()
        })
        .await?;
        ctx.wait_gone(id, || async {
            Ok(find_volume(ctx, id, volume).await?.filter(|v| v.state() != Some(&VolumeState::Deleted)))
        })
        .await
    }
}

impl Adapter for model::VolumeAttachment {
    type Props = VolumeAttachmentProps;

    async fn create(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        props: &VolumeAttachmentProps,
        _: &Tags,
    ) -> Result<Observed, AwsError> {
        let ec2 = &ctx.clients.ec2;
        let id = entry.id.as_str();
        let (volume, instance) = (props.volume_id.as_str(), props.instance_id.as_str());
        let now = wait_volume(ctx, id, volume, |_| true).await?;
        let here = now.attachments().iter().any(|a| a.instance_id() == Some(instance) && !detached(a.state()));
        if !here {
            ctx.retry(id, "ec2:AttachVolume", &["IncorrectState", "InvalidInstanceID.NotFound", "VolumeInUse"], || {
                ec2.attach_volume().volume_id(volume).instance_id(instance).device(&props.device).send()
            })
            .await?;
        }
        let found = wait_volume(ctx, id, volume, |v| {
            v.attachments()
                .iter()
                .any(|a| a.instance_id() == Some(instance) && a.state() == Some(&VolumeAttachmentState::Attached))
        })
        .await?;
        observe_attachment(entry.id.clone(), &found, instance)
            .ok_or_else(|| ctx.fail(id, "ec2:AttachVolume", format!("{volume} is not attached to {instance}")))
    }

    /// Nothing changes in place (every property replaces it); but the engine plans an update
    /// when a dependency is replaced (a new instance, known only once made): then the volume is
    /// detached from the old instance and attached to the new one.
    async fn update(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        current: &Observed,
        props: &VolumeAttachmentProps,
        tags: &Tags,
    ) -> Result<Observed, AwsError> {
        let (volume, instance) = split_pair(&current.physical_id);
        if (volume, instance) != (props.volume_id.as_str(), props.instance_id.as_str()) {
            <Self as Adapter>::delete(ctx, current).await?;
            return <Self as Adapter>::create(ctx, entry, props, tags).await;
        }
        let found = wait_volume(ctx, entry.id.as_str(), volume, |_| true).await?;
        observe_attachment(entry.id.clone(), &found, instance).ok_or_else(|| {
            ctx.fail(
                entry.id.as_str(),
                "ec2:DescribeVolumes",
                format!("{volume} is not attached to {instance}; re-run plan"),
            )
        })
    }

    /// Detaches and waits until the volume no longer lists the instance.
    async fn delete(ctx: &Ctx<'_>, current: &Observed) -> Result<(), AwsError> {
        let ec2 = &ctx.clients.ec2;
        let id = current.id.as_str();
        let (volume, instance) = split_pair(&current.physical_id);
        let attached =
            |v: &Volume| v.attachments().iter().any(|a| a.instance_id() == Some(instance) && !detached(a.state()));
        let Some(now) = find_volume(ctx, id, volume).await? else { return Ok(()) };
        if !attached(&now) {
            return Ok(());
        }
        ctx.retry(id, "ec2:DetachVolume", &["IncorrectState"], || async {
            match ec2.detach_volume().volume_id(volume).instance_id(instance).send().await {
                Ok(_) => Ok(()),
                // Already detached, or the instance or volume is gone.
                Err(e)
                    if code_in(
                        &e,
                        &[
                            "IncorrectState",
                            "InvalidAttachment.NotFound",
                            "InvalidVolume.NotFound",
                            "InvalidInstanceID.NotFound",
                        ],
                    ) =>
                {
                    Ok(())
                }
                Err(e) => Err(e),
            }
        })
        .await?;
        ctx.wait_gone(id, || async { Ok(find_volume(ctx, id, volume).await?.filter(|v| attached(v))) }).await
    }
}

fn detached(state: Option<&VolumeAttachmentState>) -> bool {
    matches!(state, Some(VolumeAttachmentState::Detached))
}

async fn find_volume(ctx: &Ctx<'_>, id: &str, volume: &str) -> Result<Option<Volume>, AwsError> {
    let ec2 = &ctx.clients.ec2;
    let out = ctx
        .retry(id, "ec2:DescribeVolumes", &[], || async {
            crate::services::absent_on(
                ec2.describe_volumes().volume_ids(volume).send().await,
                &["InvalidVolume.NotFound"],
            )
        })
        .await?;
    Ok(out.and_then(|o| o.volumes().first().cloned()))
}

/// Polls the volume until `ready` holds (a volume just made may not be listed yet).
async fn wait_volume(
    ctx: &Ctx<'_>,
    id: &str,
    volume: &str,
    ready: impl Fn(&Volume) -> bool,
) -> Result<Volume, AwsError> {
    let ready = &ready;
    ctx.wait_for(id, "available", || async move {
        let found = find_volume(ctx, id, volume).await?;
        if found.as_ref().is_some_and(|v| v.state() == Some(&VolumeState::Error)) {
            return Err(ctx.fail(id, "ec2:DescribeVolumes", format!("volume {volume} is in state error")));
        }
        Ok(found.filter(|v| ready(v)))
    })
    .await
}

/// Waits until the volume's last modification is `optimizing` or `completed` (the new size and
/// speed are in effect).
async fn wait_modified(ctx: &Ctx<'_>, id: &str, volume: &str) -> Result<(), AwsError> {
    let ec2 = &ctx.clients.ec2;
    ctx.wait_for(id, "modified", || async {
        let out = ctx
            .retry(id, "ec2:DescribeVolumesModifications", &[], || {
                ec2.describe_volumes_modifications().volume_ids(volume).send()
            })
            .await?;
        let state = out.volumes_modifications().last().and_then(|m| m.modification_state().cloned());
        if state == Some(VolumeModificationState::Failed) {
            return Err(ctx.fail(id, "ec2:ModifyVolume", format!("the modification of {volume} failed")));
        }
        Ok(state
            .is_none_or(|s| matches!(s, VolumeModificationState::Optimizing | VolumeModificationState::Completed))
            .then_some(()))
    })
    .await
}

async fn observe_volume(ctx: &Ctx<'_>, id: LogicalId, v: &Volume) -> Result<Observed, AwsError> {
    let volume = v.volume_id().unwrap_or_default();
    let kind = v.volume_type().map(VolumeType::as_str).unwrap_or_default();
    let mut o = Observed::new(id.clone(), SdkKind::Volume.cfn_type(), volume)
        .attr("VolumeId", volume)
        .prop("AvailabilityZone", v.availability_zone().unwrap_or_default())
        .prop("Size", v.size().unwrap_or(0))
        .prop("VolumeType", kind)
        .prop("Encrypted", v.encrypted().unwrap_or(false));
    // What the template does not give reads back as `null` (absent): gp3's baseline speed, no
    // snapshot, the AWS-managed key.
    let gp3 = kind == "gp3";
    let iops = v.iops().filter(|i| !(gp3 && *i == GP3_IOPS));
    let throughput = v.throughput().filter(|t| !(gp3 && *t == GP3_THROUGHPUT));
    let snapshot = v.snapshot_id().filter(|s| !s.is_empty());
    let key = match v.kms_key_id() {
        Some(key) if customer_key(ctx, id.as_str(), key).await? => Some(key),
        _ => None,
    };
    o = o
        .prop("Iops", iops.map_or(Json::Null, Json::from))
        .prop("Throughput", throughput.map_or(Json::Null, Json::from));
    o = o
        .prop("SnapshotId", snapshot.map_or(Json::Null, Json::from))
        .prop("KmsKeyId", key.map_or(Json::Null, Json::from));
    Ok(with_hash(o, v.tags()))
}

fn observe_attachment(id: LogicalId, v: &Volume, instance: &str) -> Option<Observed> {
    let volume = v.volume_id().unwrap_or_default();
    let a = v.attachments().iter().find(|a| a.instance_id() == Some(instance) && !detached(a.state()))?;
    Some(
        Observed::new(id, SdkKind::VolumeAttachment.cfn_type(), format!("{volume}|{instance}"))
            .prop("InstanceId", instance)
            .prop("VolumeId", volume)
            .prop("Device", a.device().unwrap_or_default()),
    )
}

/// Every data volume of this stack and environment, by its tags (not an instance's own volumes,
/// which carry the instance's tags: those are named after another kind, or go with their
/// instance on termination).
pub(super) async fn discover_volumes(ctx: &Ctx<'_>) -> Result<Vec<Observed>, AwsError> {
    let ec2 = &ctx.clients.ec2;
    let pages = ours_paged(ctx, "ec2:DescribeVolumes", |filters, t| {
        ec2.describe_volumes().set_filters(Some(filters)).set_next_token(t).send()
    })
    .await?;
    let mut out = Vec::new();
    for v in pages.iter().flat_map(|p| p.volumes()) {
        if v.state() == Some(&VolumeState::Deleted) || v.state() == Some(&VolumeState::Deleting) {
            continue;
        }
        let Some((id, _)) = ours(ctx, v.tags()) else { continue };
        // An instance's own volumes carry its tags (its tag specifications): not data volumes.
        let of_another_kind = ctx.stack.resource(&id).is_some_and(|e| !matches!(e.resource, Resource::Volume(_)));
        let goes_with_its_instance = v.attachments().iter().any(|a| a.delete_on_termination() == Some(true));
        if of_another_kind || goes_with_its_instance {
            continue;
        }
        out.push(observe_volume(ctx, id, v).await?);
    }
    Ok(out)
}

/// The stack's attachments, through the volumes and instances `found`: each attachment entry's
/// `VolumeId` and `InstanceId` are resolved against them and the volume read.
pub(super) async fn discover_attachments(ctx: &Ctx<'_>, found: &[Observed]) -> Result<Vec<Observed>, AwsError> {
    let entries: Vec<&ResourceEntry> =
        ctx.stack.resources().filter(|e| matches!(e.resource, Resource::VolumeAttachment(_))).collect();
    if entries.is_empty() {
        return Ok(Vec::new());
    }
    let template = iac_render::cloudformation::template(ctx.stack)?;
    let observed: HashMap<LogicalId, Observed> = found.iter().map(|o| (o.id.clone(), o.clone())).collect();
    let params = BTreeMap::new();
    let facts = Facts {
        stack: ctx.stack,
        params: &params,
        region: &ctx.clients.region,
        account: None,
        zones: &[],
        observed: &observed,
    };
    let mut out = Vec::new();
    for e in entries {
        let id = e.id.as_str();
        let Ok(Json::Object(props)) = desired::resolve(&facts, id, &template["Resources"][id]["Properties"], true)
        else {
            continue;
        };
        let p: VolumeAttachmentProps = adapter::parse(ctx.stack.name(), id, &props)?;
        let Some(v) = find_volume(ctx, id, &p.volume_id).await? else { continue };
        out.extend(observe_attachment(e.id.clone(), &v, &p.instance_id));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gp3_baseline_constants_match_the_model_docs() {
        assert_eq!((GP3_IOPS, GP3_THROUGHPUT), (3000, 125));
        assert!(detached(Some(&VolumeAttachmentState::Detached)));
        assert!(!detached(Some(&VolumeAttachmentState::Attached)));
        assert!(!detached(None));
    }
}
