//! `AWS::Logs::LogGroup`: created with its KMS key and tags, then its retention.

use std::collections::HashMap;

use aws_sdk_cloudwatchlogs::types::LogGroup;
use iac_core::LogicalId;
use iac_core::model::{self, ResourceEntry};
use serde::Deserialize;

use crate::adapter::{self, Adapter, CfnTag, Desired, SdkKind, de};
use crate::error::AwsError;
use crate::services::{Ctx, absent_on, paged_items};
use crate::state::{self, Observed, Tags};

/// The desired properties of an `AWS::Logs::LogGroup`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct LogGroupProps {
    pub(crate) log_group_name: String,
    #[serde(default, deserialize_with = "de::opt_int")]
    pub(crate) retention_in_days: Option<i32>,
    #[serde(default)]
    pub(crate) kms_key_id: Option<String>,
    #[serde(default)]
    pub(crate) tags: Vec<CfnTag>,
}

impl Desired for LogGroupProps {
    fn template_tags(&self) -> Vec<(&str, &str)> {
        adapter::pairs(&self.tags)
    }
}

const NOT_FOUND: [&str; 1] = ["ResourceNotFoundException"];

impl Adapter for model::LogGroup {
    type Props = LogGroupProps;

    /// `CreateLogGroup` with the key and the tags (without the hash), the retention, then the
    /// hash. An existing group of that name (a rerun after a kill inside the call) is taken over.
    async fn create(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        props: &LogGroupProps,
        tags: &Tags,
    ) -> Result<Observed, AwsError> {
        let id = entry.id.as_str();
        let logs = &ctx.clients.logs;
        let name = props.log_group_name.as_str();
        let (hash, ownership) = state::split_hash(tags);
        let map: HashMap<String, String> = ownership.iter().cloned().collect();
        let made = ctx
            .retry(id, "logs:CreateLogGroup", &[], || async {
                absent_on(
                    logs.create_log_group()
                        .log_group_name(name)
                        .set_kms_key_id(props.kms_key_id.clone())
                        .set_tags(Some(map.clone()))
                        .send()
                        .await,
                    &["ResourceAlreadyExistsException"],
                )
            })
            .await?;
        if made.is_none() {
            // Ours from an interrupted run: bring it to the stack's settings.
            set_key(ctx, id, name, props, None).await?;
        }
        set_retention(ctx, id, name, props.retention_in_days).await?;
        let group = find(ctx, id, name).await?.ok_or_else(|| gone(ctx, id, name))?;
        tag(ctx, id, &arn_of(&group), &[ownership, hash].concat()).await?;
        let mut o = observe(entry.id.clone(), &group);
        o.hash = state::hash_of(tags);
        Ok(o)
    }

    /// Retention and the KMS key change in place; tags are rewritten.
    async fn update(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        current: &Observed,
        props: &LogGroupProps,
        tags: &Tags,
    ) -> Result<Observed, AwsError> {
        let id = entry.id.as_str();
        let name = current.physical_id.as_str();
        let now = find(ctx, id, name).await?.ok_or_else(|| gone(ctx, id, name))?;
        set_key(ctx, id, name, props, now.kms_key_id()).await?;
        if now.retention_in_days() != props.retention_in_days {
            set_retention(ctx, id, name, props.retention_in_days).await?;
        }
        let arn = arn_of(&now);
        let had = list_tags(ctx, id, &arn).await?;
        let logs = &ctx.clients.logs;
        let stale: Vec<String> =
            had.iter().filter(|(k, _)| !tags.iter().any(|(n, _)| n == k)).map(|(k, _)| k.clone()).collect();
        if !stale.is_empty() {
            ctx.retry(id, "logs:UntagResource", &[], || {
                logs.untag_resource().resource_arn(&arn).set_tag_keys(Some(stale.clone())).send()
            })
            .await?;
        }
        tag(ctx, id, &arn, tags).await?;
        let group = find(ctx, id, name).await?.ok_or_else(|| gone(ctx, id, name))?;
        let mut o = observe(entry.id.clone(), &group);
        o.hash = state::hash_of(tags);
        Ok(o)
    }

    /// Deletes the group and its events; already gone is success.
    async fn delete(ctx: &Ctx<'_>, current: &Observed) -> Result<(), AwsError> {
        let logs = &ctx.clients.logs;
        let name = current.physical_id.as_str();
        ctx.retry(current.id.as_str(), "logs:DeleteLogGroup", &["OperationAbortedException"], || async {
            absent_on(logs.delete_log_group().log_group_name(name).send().await, &NOT_FOUND)
        })
        .await?;
        Ok(())
    }
}

fn gone(ctx: &Ctx<'_>, id: &str, name: &str) -> AwsError {
    ctx.fail(id, "logs:DescribeLogGroups", format!("log group `{name}` is not there"))
}

/// The group's ARN without the `:*` CloudFormation's `Arn` ends with (the one tags take).
fn arn_of(g: &LogGroup) -> String {
    g.log_group_arn()
        .map(str::to_owned)
        .or_else(|| g.arn().map(|a| a.trim_end_matches(":*").to_owned()))
        .unwrap_or_default()
}

async fn set_retention(ctx: &Ctx<'_>, id: &str, name: &str, days: Option<i32>) -> Result<(), AwsError> {
    let logs = &ctx.clients.logs;
    match days {
        Some(days) => {
            ctx.retry(id, "logs:PutRetentionPolicy", &["OperationAbortedException"], || {
                logs.put_retention_policy().log_group_name(name).retention_in_days(days).send()
            })
            .await?;
        }
        None => {
            ctx.retry(id, "logs:DeleteRetentionPolicy", &["OperationAbortedException"], || {
                logs.delete_retention_policy().log_group_name(name).send()
            })
            .await?;
        }
    }
    Ok(())
}

/// Associates the stack's key, or disassociates one the stack no longer gives.
async fn set_key(
    ctx: &Ctx<'_>,
    id: &str,
    name: &str,
    props: &LogGroupProps,
    now: Option<&str>,
) -> Result<(), AwsError> {
    let logs = &ctx.clients.logs;
    match (props.kms_key_id.as_deref(), now) {
        (Some(want), have) if have != Some(want) => {
            ctx.retry(id, "logs:AssociateKmsKey", &["OperationAbortedException"], || {
                logs.associate_kms_key().log_group_name(name).kms_key_id(want).send()
            })
            .await?;
        }
        (None, Some(_)) => {
            ctx.retry(id, "logs:DisassociateKmsKey", &["OperationAbortedException"], || {
                logs.disassociate_kms_key().log_group_name(name).send()
            })
            .await?;
        }
        _ => {}
    }
    Ok(())
}

async fn tag(ctx: &Ctx<'_>, id: &str, arn: &str, tags: &Tags) -> Result<(), AwsError> {
    let logs = &ctx.clients.logs;
    let map: HashMap<String, String> = tags.iter().cloned().collect();
    ctx.retry(id, "logs:TagResource", &[], || logs.tag_resource().resource_arn(arn).set_tags(Some(map.clone())).send())
        .await?;
    Ok(())
}

async fn list_tags(ctx: &Ctx<'_>, id: &str, arn: &str) -> Result<Tags, AwsError> {
    let logs = &ctx.clients.logs;
    let out = ctx
        .retry(id, "logs:ListTagsForResource", &[], || async {
            absent_on(logs.list_tags_for_resource().resource_arn(arn).send().await, &NOT_FOUND)
        })
        .await?;
    let mut tags: Tags = out.and_then(|o| o.tags().cloned()).unwrap_or_default().into_iter().collect();
    tags.sort();
    Ok(tags)
}

/// The group named exactly `name`.
async fn find(ctx: &Ctx<'_>, id: &str, name: &str) -> Result<Option<LogGroup>, AwsError> {
    let logs = &ctx.clients.logs;
    let groups = paged_items(
        ctx,
        id,
        "logs:DescribeLogGroups",
        |t| logs.describe_log_groups().log_group_name_prefix(name).set_next_token(t).send(),
        |o| (o.log_groups(), o.next_token()),
    )
    .await?;
    Ok(groups.into_iter().find(|g| g.log_group_name() == Some(name)))
}

fn observe(id: LogicalId, g: &LogGroup) -> Observed {
    let name = g.log_group_name().unwrap_or_default();
    let arn = g.arn().map_or_else(|| format!("{}:*", arn_of(g)), str::to_owned);
    // Absent is `null`, so a retention or key removed behind the stack's back shows as drift.
    Observed::new(id, SdkKind::LogGroup.cfn_type(), name)
        .attr("Arn", arn)
        .prop("LogGroupName", name)
        .prop("RetentionInDays", g.retention_in_days())
        .prop("KmsKeyId", g.kms_key_id())
}

/// Every log group tagged as this stack's.
pub(super) async fn discover_log_groups(ctx: &Ctx<'_>) -> Result<Vec<Observed>, AwsError> {
    let logs = &ctx.clients.logs;
    let groups = paged_items(
        ctx,
        "-",
        "logs:DescribeLogGroups",
        |t| logs.describe_log_groups().set_next_token(t).send(),
        |o| (o.log_groups(), o.next_token()),
    )
    .await?;
    let mut out = Vec::new();
    for g in &groups {
        let tags = list_tags(ctx, "-", &arn_of(g)).await?;
        if let Some((id, hash)) = ctx.ours(&tags) {
            let mut o = observe(id, g);
            o.hash = hash;
            out.push(o);
        }
    }
    Ok(out)
}
