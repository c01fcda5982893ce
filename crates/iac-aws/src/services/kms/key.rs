//! `AWS::KMS::Key`: created with its policy, description and tags in one `CreateKey`, then
//! yearly rotation switched on; description, policy, rotation and tags change in place.
//!
//! A key is never deleted at once: deleting schedules its deletion with the pending window the
//! stack renders for CloudFormation too ([`KEY_DELETION_WINDOW_DAYS`], 30 days), during which
//! `kms cancel-key-deletion` brings it back with everything it encrypts still readable. The
//! spec counts the key as holding no data (what it encrypts does), so this needs no
//! `--allow-data-loss`. `PendingWindowInDays` is write-only in KMS and is not read back.

use aws_sdk_kms::types::{KeyMetadata, KeySpec, KeyUsageType, Tag};
use iac_core::LogicalId;
use iac_core::model::{self, KEY_DELETION_WINDOW_DAYS, ResourceEntry};
use serde::Deserialize;
use serde_json::Value as Json;

use crate::adapter::{self, Adapter, CfnTag, Desired, SdkKind, de};
use crate::error::AwsError;
use crate::services::{Ctx, absent_on, code_in};
use crate::state::{self, Observed, Tags};

/// The desired properties of an `AWS::KMS::Key`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct KeyProps {
    #[serde(default, deserialize_with = "de::opt_text")]
    pub(crate) description: Option<String>,
    #[serde(default, deserialize_with = "de::opt_bool")]
    pub(crate) enable_key_rotation: Option<bool>,
    /// Write-only; deletion uses the stack's window (see the module docs).
    #[serde(default, deserialize_with = "de::opt_int")]
    pub(crate) pending_window_in_days: Option<i32>,
    pub(crate) key_policy: Json,
    #[serde(default, deserialize_with = "de::opt_text")]
    pub(crate) key_spec: Option<String>,
    #[serde(default, deserialize_with = "de::opt_text")]
    pub(crate) key_usage: Option<String>,
    #[serde(default)]
    pub(crate) tags: Vec<CfnTag>,
}

impl Desired for KeyProps {
    fn template_tags(&self) -> Vec<(&str, &str)> {
        adapter::pairs(&self.tags)
    }
}

impl Adapter for model::Key {
    type Props = KeyProps;

    /// `CreateKey` with the policy, description and tags, then rotation.
    async fn create(ctx: &Ctx<'_>, entry: &ResourceEntry, props: &KeyProps, tags: &Tags) -> Result<Observed, AwsError> {
        let id = entry.id.as_str();
        let kms = &ctx.clients.kms;
        check_window(ctx, id, props)?;
        let policy = policy_text(ctx, id, props)?;
        let request = kms
            .create_key()
            .policy(policy)
            .set_description(props.description.clone())
            .set_key_spec(props.key_spec.as_deref().map(KeySpec::from))
            .set_key_usage(props.key_usage.as_deref().map(KeyUsageType::from))
            .set_tags(Some(kms_tags(tags)));
        // A principal just created in IAM is not valid in a key policy for a few seconds.
        let out =
            ctx.retry(id, "kms:CreateKey", &["MalformedPolicyDocumentException"], || request.clone().send()).await?;
        let key_id = out
            .key_metadata()
            .map(KeyMetadata::key_id)
            .ok_or_else(|| ctx.fail(id, "kms:CreateKey", "the answer names no key"))?
            .to_owned();
        let mut observed = converge(ctx, entry.id.clone(), &key_id, props).await?;
        observed.hash = state::hash_of(tags);
        Ok(observed)
    }

    /// Description, policy and rotation where they differ, then the tags.
    async fn update(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        current: &Observed,
        props: &KeyProps,
        tags: &Tags,
    ) -> Result<Observed, AwsError> {
        let id = entry.id.as_str();
        let kms = &ctx.clients.kms;
        let key_id = current.physical_id.as_str();
        check_window(ctx, id, props)?;
        let now = read(ctx, entry.id.clone(), key_id).await?;
        if let Some(text) =
            props.description.as_deref().filter(|d| now.props.get("Description") != Some(&Json::from(*d)))
        {
            ctx.retry(id, "kms:UpdateKeyDescription", &[], || {
                kms.update_key_description().key_id(key_id).description(text).send()
            })
            .await?;
        }
        if now.props.get("KeyPolicy") != Some(&props.key_policy) {
            let policy = policy_text(ctx, id, props)?;
            ctx.retry(id, "kms:PutKeyPolicy", &["MalformedPolicyDocumentException"], || {
                kms.put_key_policy().key_id(key_id).policy_name("default").policy(&policy).send()
            })
            .await?;
        }
        ctx.retry(id, "kms:TagResource", &[], || {
            kms.tag_resource().key_id(key_id).set_tags(Some(kms_tags(tags))).send()
        })
        .await?;
        let mut observed = converge(ctx, entry.id.clone(), key_id, props).await?;
        observed.hash = state::hash_of(tags);
        Ok(observed)
    }

    /// Schedules the deletion, [`KEY_DELETION_WINDOW_DAYS`] ahead (see the module docs); a key
    /// already gone or already scheduled is done.
    async fn delete(ctx: &Ctx<'_>, current: &Observed) -> Result<(), AwsError> {
        let kms = &ctx.clients.kms;
        let key_id = current.physical_id.as_str();
        let days = i32::try_from(KEY_DELETION_WINDOW_DAYS).unwrap_or(30);
        let result = kms.schedule_key_deletion().key_id(key_id).pending_window_in_days(days).send().await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if code_in(&e, &["NotFoundException", "KMSInvalidStateException"]) => Ok(()),
            Err(e) => Err(ctx.sdk_error(current.id.as_str(), "kms:ScheduleKeyDeletion", e)),
        }
    }
}

/// The template's `PendingWindowInDays` must be the window delete uses (it is not stored in
/// KMS until the deletion is scheduled, so the SDK path cannot carry another one).
fn check_window(ctx: &Ctx<'_>, id: &str, props: &KeyProps) -> Result<(), AwsError> {
    match props.pending_window_in_days {
        Some(days) if i64::from(days) != i64::from(KEY_DELETION_WINDOW_DAYS) => Err(AwsError::Property {
            stack: ctx.stack.name().to_owned(),
            id: id.to_owned(),
            property: "PendingWindowInDays".into(),
            message: format!(
                "the SDK path schedules a key's deletion {KEY_DELETION_WINDOW_DAYS} days ahead (the stack's window);                  {days} is not supported there: remove the override, or deploy through CloudFormation"
            ),
        }),
        _ => Ok(()),
    }
}

/// The policy as the JSON text KMS takes.
fn policy_text(ctx: &Ctx<'_>, id: &str, props: &KeyProps) -> Result<String, AwsError> {
    match &props.key_policy {
        Json::String(s) => Ok(s.clone()),
        other => serde_json::to_string(other).map_err(|e| ctx.fail(id, "kms:PutKeyPolicy", e)),
    }
}

/// Rotation as wanted, then the key read back.
async fn converge(ctx: &Ctx<'_>, id: LogicalId, key_id: &str, props: &KeyProps) -> Result<Observed, AwsError> {
    let kms = &ctx.clients.kms;
    let now = read(ctx, id.clone(), key_id).await?;
    let want = props.enable_key_rotation.unwrap_or(false);
    if now.props.get("EnableKeyRotation") != Some(&Json::Bool(want)) {
        if want {
            ctx.retry(id.as_str(), "kms:EnableKeyRotation", &[], || kms.enable_key_rotation().key_id(key_id).send())
                .await?;
        } else {
            ctx.retry(id.as_str(), "kms:DisableKeyRotation", &[], || kms.disable_key_rotation().key_id(key_id).send())
                .await?;
        }
        return read(ctx, id, key_id).await;
    }
    Ok(now)
}

async fn read(ctx: &Ctx<'_>, id: LogicalId, key_id: &str) -> Result<Observed, AwsError> {
    let meta = describe(ctx, id.as_str(), key_id)
        .await?
        .ok_or_else(|| ctx.fail(id.as_str(), "kms:DescribeKey", format!("key {key_id} does not exist; re-run plan")))?;
    observe(ctx, id, &meta).await
}

/// The key's metadata, `None` when it does not exist.
pub(super) async fn describe(ctx: &Ctx<'_>, id: &str, key_id: &str) -> Result<Option<KeyMetadata>, AwsError> {
    let kms = &ctx.clients.kms;
    let out = ctx
        .retry(id, "kms:DescribeKey", &[], || async move {
            absent_on(kms.describe_key().key_id(key_id).send().await, &["NotFoundException"])
        })
        .await?;
    Ok(out.and_then(|o| o.key_metadata().cloned()))
}

/// The key's tags.
pub(super) async fn tags(ctx: &Ctx<'_>, id: &str, key_id: &str) -> Result<Tags, AwsError> {
    let kms = &ctx.clients.kms;
    let tags = super::super::paged_items(
        ctx,
        id,
        "kms:ListResourceTags",
        |marker| kms.list_resource_tags().key_id(key_id).set_marker(marker).send(),
        |o| (o.tags(), o.next_marker().filter(|_| o.truncated())),
    )
    .await?;
    Ok(tags.iter().map(|t| (t.tag_key().to_owned(), t.tag_value().to_owned())).collect())
}

/// The key as the template spells it: description, policy (as JSON) and rotation.
pub(super) async fn observe(ctx: &Ctx<'_>, id: LogicalId, meta: &KeyMetadata) -> Result<Observed, AwsError> {
    let kms = &ctx.clients.kms;
    let key_id = meta.key_id();
    let policy = ctx
        .retry(id.as_str(), "kms:GetKeyPolicy", &[], || {
            kms.get_key_policy().key_id(key_id).policy_name("default").send()
        })
        .await?;
    let policy = policy.policy().map_or(Json::Null, |p| serde_json::from_str(p).unwrap_or_else(|_| Json::from(p)));
    let rotation = ctx
        .retry(id.as_str(), "kms:GetKeyRotationStatus", &[], || kms.get_key_rotation_status().key_id(key_id).send())
        .await?;
    let mut o = Observed::new(id, SdkKind::Key.cfn_type(), key_id)
        .attr("KeyId", key_id)
        .prop("Description", meta.description().unwrap_or_default())
        .prop("KeyPolicy", policy)
        .prop("EnableKeyRotation", rotation.key_rotation_enabled());
    if let Some(arn) = meta.arn() {
        o = o.attr("Arn", arn);
    }
    Ok(o)
}

fn kms_tags(tags: &Tags) -> Vec<Tag> {
    tags.iter().filter_map(|(k, v)| Tag::builder().tag_key(k).tag_value(v).build().ok()).collect()
}
