//! `AWS::EFS::FileSystem`: created with its creation token and tags, waited on until
//! `available`, then its lifecycle policies; retained on delete (see [`super`]).

use aws_sdk_efs::operation::describe_file_systems::DescribeFileSystemsError;
use aws_sdk_efs::types::{
    BackupPolicy, FileSystemDescription, LifeCycleState, LifecyclePolicy, PerformanceMode, Status, ThroughputMode,
    TransitionToArchiveRules, TransitionToIaRules, TransitionToPrimaryStorageClassRules,
};
use iac_core::LogicalId;
use iac_core::model::{self, ResourceEntry};
use serde::Deserialize;
use serde_json::{Value as Json, json};

use super::{Ctx, efs_tags, retag, tag_pairs};
use crate::adapter::{self, Adapter, CfnTag, Desired, SdkKind, de};
use crate::error::AwsError;
use crate::services::{absent, code_in, customer_key};
use crate::state::{self, Observed, Tags};

/// The desired properties of an `AWS::EFS::FileSystem`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct FileSystemProps {
    #[serde(default, deserialize_with = "de::opt_bool")]
    pub(crate) encrypted: Option<bool>,
    #[serde(default)]
    pub(crate) kms_key_id: Option<String>,
    #[serde(default)]
    pub(crate) performance_mode: Option<String>,
    #[serde(default)]
    pub(crate) throughput_mode: Option<String>,
    #[serde(default)]
    pub(crate) backup_policy: Option<Backup>,
    #[serde(default)]
    pub(crate) lifecycle_policies: Vec<Lifecycle>,
    #[serde(default)]
    pub(crate) file_system_tags: Vec<CfnTag>,
}

impl Desired for FileSystemProps {
    fn template_tags(&self) -> Vec<(&str, &str)> {
        adapter::pairs(&self.file_system_tags)
    }
}

/// `BackupPolicy`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct Backup {
    pub(crate) status: String,
}

/// One lifecycle policy: exactly one of the three transitions.
#[derive(Debug, Clone, Deserialize)]
#[allow(clippy::struct_field_names)] // CloudFormation's names
#[serde(deny_unknown_fields)]
pub struct Lifecycle {
    #[serde(rename = "TransitionToIA", default)]
    pub(crate) transition_to_ia: Option<String>,
    #[serde(rename = "TransitionToPrimaryStorageClass", default)]
    pub(crate) transition_to_primary_storage_class: Option<String>,
    #[serde(rename = "TransitionToArchive", default)]
    pub(crate) transition_to_archive: Option<String>,
}

impl FileSystemProps {
    fn backup(&self) -> bool {
        self.backup_policy.as_ref().is_some_and(|b| b.status == "ENABLED")
    }
}

impl Adapter for model::FileSystem {
    type Props = FileSystemProps;

    async fn create(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        props: &FileSystemProps,
        tags: &Tags,
    ) -> Result<Observed, AwsError> {
        let fs = create_file_system(ctx, &entry.id, props, tags).await?;
        if !props.lifecycle_policies.is_empty() {
            put_lifecycle(ctx, entry.id.as_str(), &fs, &props.lifecycle_policies).await?;
        }
        read_file_system(ctx, &entry.id, &fs).await
    }

    /// Lifecycle, backup policy and throughput mode in place, then the tags.
    async fn update(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        current: &Observed,
        props: &FileSystemProps,
        tags: &Tags,
    ) -> Result<Observed, AwsError> {
        let (id, fs) = (entry.id.as_str(), current.physical_id.as_str());
        let efs = &ctx.clients.efs;
        let want = lifecycle_json(&props.lifecycle_policies);
        let now =
            current.props.get("LifecyclePolicies").filter(|p| !p.is_null()).cloned().unwrap_or(Json::Array(Vec::new()));
        if now != want {
            put_lifecycle(ctx, id, fs, &props.lifecycle_policies).await?;
        }
        let backup = if props.backup() { "ENABLED" } else { "DISABLED" };
        if current.props.get("BackupPolicy").and_then(|b| b["Status"].as_str()) != Some(backup) {
            let policy = BackupPolicy::builder()
                .status(Status::from(backup))
                .build()
                .map_err(|e| ctx.fail(id, "elasticfilesystem:PutBackupPolicy", e))?;
            ctx.retry(id, "elasticfilesystem:PutBackupPolicy", &["IncorrectFileSystemLifeCycleState"], || {
                efs.put_backup_policy().file_system_id(fs).backup_policy(policy.clone()).send()
            })
            .await?;
        }
        if let Some(mode) = props
            .throughput_mode
            .as_deref()
            .filter(|m| current.props.get("ThroughputMode").and_then(Json::as_str) != Some(*m))
        {
            ctx.retry(id, "elasticfilesystem:UpdateFileSystem", &["IncorrectFileSystemLifeCycleState"], || {
                efs.update_file_system().file_system_id(fs).throughput_mode(ThroughputMode::from(mode)).send()
            })
            .await?;
            wait_available(ctx, id, fs).await?;
        }
        retag(ctx, id, fs, tags).await?;
        read_file_system(ctx, &entry.id, fs).await
    }

    /// Retains the file system (see [`super`]): its ownership tags go, `iac:retained` comes.
    async fn delete(ctx: &Ctx<'_>, current: &Observed) -> Result<(), AwsError> {
        let efs = &ctx.clients.efs;
        let (id, fs) = (current.id.as_str(), current.physical_id.as_str());
        let Some(found) = find(ctx, id, fs).await? else { return Ok(()) };
        let tags = tag_pairs(found.tags());
        let kept = state::retained_tags(&tags, ctx.stack.name(), ctx.stack.env(), id);
        retag(ctx, id, fs, &kept).await?;
        let gone: Vec<String> = state::OWNERSHIP_TAGS
            .iter()
            .filter(|k| tags.iter().any(|(t, _)| t == *k))
            .map(|k| (*k).to_owned())
            .collect();
        if !gone.is_empty() {
            ctx.retry(id, "elasticfilesystem:UntagResource", &[], || {
                efs.untag_resource().resource_id(fs).set_tag_keys(Some(gone.clone())).send()
            })
            .await?;
        }
        Ok(())
    }
}

/// Creates the file system with its creation token, or takes the one made with that token.
async fn create_file_system(
    ctx: &Ctx<'_>,
    id: &LogicalId,
    props: &FileSystemProps,
    tags: &Tags,
) -> Result<String, AwsError> {
    let efs = &ctx.clients.efs;
    let ids = id.as_str();
    let token = creation_token(ctx, id, props);
    let efs_tags = efs_tags(ctx, ids, "elasticfilesystem:CreateFileSystem", tags)?;
    let request = efs
        .create_file_system()
        .creation_token(&token)
        .set_encrypted(props.encrypted)
        .set_kms_key_id(props.kms_key_id.clone())
        .set_performance_mode(props.performance_mode.as_deref().map(PerformanceMode::from))
        .set_throughput_mode(props.throughput_mode.as_deref().map(ThroughputMode::from))
        .backup(props.backup())
        .set_tags(Some(efs_tags));
    let made = ctx
        .retry(ids, "elasticfilesystem:CreateFileSystem", &[], || async {
            match request.clone().send().await {
                Ok(o) => Ok(Some(o.file_system_id().to_owned())),
                Err(e) if code_in(&e, &["FileSystemAlreadyExists"]) => Ok(None),
                Err(e) => Err(e),
            }
        })
        .await?;
    let fs = if let Some(fs) = made {
        fs
    } else {
        {
            // Made by an earlier attempt with this token (or retained by this stack): take it.
            let out = ctx
                .retry(ids, "elasticfilesystem:DescribeFileSystems", &[], || {
                    efs.describe_file_systems().creation_token(&token).send()
                })
                .await?;
            let Some(found) = out.file_systems().first() else {
                return Err(ctx.fail(
                    ids,
                    "elasticfilesystem:CreateFileSystem",
                    format!("creation token `{token}` is taken, but no file system has it"),
                ));
            };
            state::claimable(&tag_pairs(found.tags()), ctx.stack.name(), ctx.stack.env(), ids).map_err(|who| {
                ctx.fail(
                    ids,
                    "elasticfilesystem:CreateFileSystem",
                    format!("file system {} of creation token `{token}` is {who}", found.file_system_id()),
                )
            })?;
            let fs = found.file_system_id().to_owned();
            retag(ctx, ids, &fs, tags).await?;
            if tag_pairs(found.tags()).iter().any(|(k, _)| k == state::TAG_RETAINED) {
                ctx.retry(ids, "elasticfilesystem:UntagResource", &[], || {
                    efs.untag_resource().resource_id(&fs).tag_keys(state::TAG_RETAINED).send()
                })
                .await?;
            }
            fs
        }
    };
    wait_available(ctx, ids, &fs).await?;
    Ok(fs)
}

/// The creation token: `<stack>-<env>-<id>-<hash of the create-only properties>` (encryption,
/// key, performance mode). A create retried gets the same token; so does a create of the same
/// file system after a destroy retained it (it is taken back), while a replacement, which
/// changes one of these, gets a token of its own. In-place changes (lifecycle, backups,
/// throughput, tags) do not change it.
pub(crate) fn creation_token(ctx: &Ctx<'_>, id: &LogicalId, props: &FileSystemProps) -> String {
    let fixed = format!(
        "{:?}|{}|{}",
        props.encrypted,
        props.kms_key_id.as_deref().unwrap_or_default(),
        props.performance_mode.as_deref().unwrap_or_default()
    );
    let hash = iac_core::naming::fnv1a(fixed.as_bytes());
    iac_core::naming::fit(&format!("{}-{}-{id}-{hash:08x}", ctx.stack.name(), ctx.stack.env()), 64)
}

fn lifecycle_policies(policies: &[Lifecycle]) -> Vec<LifecyclePolicy> {
    policies
        .iter()
        .map(|p| {
            LifecyclePolicy::builder()
                .set_transition_to_ia(p.transition_to_ia.as_deref().map(TransitionToIaRules::from))
                .set_transition_to_primary_storage_class(
                    p.transition_to_primary_storage_class.as_deref().map(TransitionToPrimaryStorageClassRules::from),
                )
                .set_transition_to_archive(p.transition_to_archive.as_deref().map(TransitionToArchiveRules::from))
                .build()
        })
        .collect()
}

/// The template's lifecycle policies in CloudFormation's shape (what is read back).
fn lifecycle_json(policies: &[Lifecycle]) -> Json {
    Json::Array(
        policies
            .iter()
            .map(|p| {
                let mut o = json!({});
                for (k, v) in [
                    ("TransitionToIA", &p.transition_to_ia),
                    ("TransitionToPrimaryStorageClass", &p.transition_to_primary_storage_class),
                    ("TransitionToArchive", &p.transition_to_archive),
                ] {
                    if let Some(v) = v {
                        o[k] = json!(v);
                    }
                }
                o
            })
            .collect(),
    )
}

async fn put_lifecycle(ctx: &Ctx<'_>, id: &str, fs: &str, policies: &[Lifecycle]) -> Result<(), AwsError> {
    let efs = &ctx.clients.efs;
    let policies = lifecycle_policies(policies);
    ctx.retry(id, "elasticfilesystem:PutLifecycleConfiguration", &["IncorrectFileSystemLifeCycleState"], || {
        efs.put_lifecycle_configuration().file_system_id(fs).set_lifecycle_policies(Some(policies.clone())).send()
    })
    .await
    .map(drop)
}

async fn find(ctx: &Ctx<'_>, id: &str, fs: &str) -> Result<Option<FileSystemDescription>, AwsError> {
    let efs = &ctx.clients.efs;
    let out = ctx
        .retry(id, "elasticfilesystem:DescribeFileSystems", &[], || async {
            absent(
                efs.describe_file_systems().file_system_id(fs).send().await,
                DescribeFileSystemsError::is_file_system_not_found,
            )
        })
        .await?;
    Ok(out.and_then(|o| o.file_systems().first().cloned()))
}

async fn wait_available(ctx: &Ctx<'_>, id: &str, fs: &str) -> Result<FileSystemDescription, AwsError> {
    ctx.wait_for(id, "available", || async move {
        let Some(found) = find(ctx, id, fs).await? else {
            return Err(ctx.fail(
                id,
                "elasticfilesystem:DescribeFileSystems",
                format!("file system {fs} is gone; re-run plan"),
            ));
        };
        Ok((*found.life_cycle_state() == LifeCycleState::Available).then_some(found))
    })
    .await
}

/// Reads the file system back in CloudFormation's shape.
async fn read_file_system(ctx: &Ctx<'_>, id: &LogicalId, fs: &str) -> Result<Observed, AwsError> {
    let found = wait_available(ctx, id.as_str(), fs).await?;
    observe(ctx, id.clone(), &found).await
}

async fn observe(ctx: &Ctx<'_>, id: LogicalId, found: &FileSystemDescription) -> Result<Observed, AwsError> {
    let efs = &ctx.clients.efs;
    let ids = id.to_string();
    let fs = found.file_system_id();
    let lifecycle = ctx
        .retry(&ids, "elasticfilesystem:DescribeLifecycleConfiguration", &[], || {
            efs.describe_lifecycle_configuration().file_system_id(fs).send()
        })
        .await?;
    let backup = ctx
        .retry(&ids, "elasticfilesystem:DescribeBackupPolicy", &[], || async {
            match efs.describe_backup_policy().file_system_id(fs).send().await {
                Ok(o) => Ok(o.backup_policy().map(|b| b.status().as_str().to_owned())),
                Err(e) if code_in(&e, &["PolicyNotFound"]) => Ok(None),
                Err(e) => Err(e),
            }
        })
        .await?;
    let policies: Vec<Json> = lifecycle
        .lifecycle_policies()
        .iter()
        .map(|p| {
            let mut o = json!({});
            if let Some(v) = p.transition_to_ia() {
                o["TransitionToIA"] = json!(v.as_str());
            }
            if let Some(v) = p.transition_to_primary_storage_class() {
                o["TransitionToPrimaryStorageClass"] = json!(v.as_str());
            }
            if let Some(v) = p.transition_to_archive() {
                o["TransitionToArchive"] = json!(v.as_str());
            }
            o
        })
        .collect();
    let tags = tag_pairs(found.tags());
    let arn = found.file_system_arn().unwrap_or_default();
    let mut o = Observed::new(id, SdkKind::FileSystem.cfn_type(), fs)
        .attr("FileSystemId", fs)
        .attr("Arn", arn)
        .prop("Encrypted", found.encrypted().unwrap_or(false))
        .prop("PerformanceMode", found.performance_mode().as_str())
        .prop("ThroughputMode", found.throughput_mode().map_or("bursting", ThroughputMode::as_str))
        // DISABLED is also what a file system without a policy has.
        .prop("BackupPolicy", json!({ "Status": backup.as_deref().unwrap_or("DISABLED") }));
    // No policies is what a template without `LifecyclePolicies` means (`null`: absent).
    o = o.prop("LifecyclePolicies", if policies.is_empty() { Json::Null } else { Json::Array(policies) });
    let key = match found.kms_key_id() {
        Some(key) if customer_key(ctx, &ids, key).await? => Json::String(key.to_owned()),
        _ => Json::Null,
    };
    o = o.prop("KmsKeyId", key);
    o.hash = state::hash_of(&tags);
    Ok(o)
}

/// Every file system of this region whose tags name this stack and environment.
pub(super) async fn discover_file_systems(ctx: &Ctx<'_>) -> Result<Vec<Observed>, AwsError> {
    let efs = &ctx.clients.efs;
    let mut found = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let m = marker.clone();
        let out = ctx
            .retry("-", "elasticfilesystem:DescribeFileSystems", &[], || {
                efs.describe_file_systems().set_marker(m.clone()).send()
            })
            .await?;
        for fs in out.file_systems() {
            if matches!(fs.life_cycle_state(), LifeCycleState::Deleting | LifeCycleState::Deleted) {
                continue;
            }
            if let Some((id, _)) = ctx.ours(&tag_pairs(fs.tags())) {
                found.push(observe(ctx, id, fs).await?);
            }
        }
        marker = out.next_marker().filter(|m| !m.is_empty()).map(str::to_owned);
        if marker.is_none() {
            return Ok(found);
        }
    }
}
