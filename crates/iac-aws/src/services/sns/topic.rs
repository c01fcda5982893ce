//! `AWS::SNS::Topic`: created with its attributes (`DisplayName`, `KmsMasterKeyId`) and tags in
//! one `CreateTopic` (which answers the existing topic for a name already made, so a rerun after
//! a kill makes no second one); attributes and tags change in place; a new name is a new topic.

use std::collections::HashMap;

use aws_sdk_sns::types::Tag;
use iac_core::LogicalId;
use iac_core::model::{self, ResourceEntry};
use serde::Deserialize;

use crate::adapter::{self, Adapter, CfnTag, Desired, SdkKind, de};
use crate::error::AwsError;
use crate::services::{Ctx, absent_on, code_in, paged_items};
use crate::state::{self, Observed, Tags};

/// The desired properties of an `AWS::SNS::Topic`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct TopicProps {
    #[serde(deserialize_with = "de::text")]
    pub(crate) topic_name: String,
    #[serde(default, deserialize_with = "de::opt_text")]
    pub(crate) display_name: Option<String>,
    #[serde(default, deserialize_with = "de::opt_text")]
    pub(crate) kms_master_key_id: Option<String>,
    #[serde(default, deserialize_with = "de::opt_bool")]
    pub(crate) fifo_topic: Option<bool>,
    #[serde(default)]
    pub(crate) tags: Vec<CfnTag>,
}

impl Desired for TopicProps {
    fn template_tags(&self) -> Vec<(&str, &str)> {
        adapter::pairs(&self.tags)
    }
}

impl TopicProps {
    /// The topic's settable attributes, by SNS name.
    fn attributes(&self) -> HashMap<String, String> {
        let mut out = HashMap::new();
        if let Some(v) = &self.display_name {
            out.insert("DisplayName".to_owned(), v.clone());
        }
        if let Some(v) = &self.kms_master_key_id {
            out.insert("KmsMasterKeyId".to_owned(), v.clone());
        }
        out
    }
}

impl Adapter for model::Topic {
    type Props = TopicProps;

    /// `CreateTopic` with the attributes and tags.
    async fn create(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        props: &TopicProps,
        tags: &Tags,
    ) -> Result<Observed, AwsError> {
        let id = entry.id.as_str();
        let sns = &ctx.clients.sns;
        let mut attributes = props.attributes();
        if props.fifo_topic == Some(true) {
            attributes.insert("FifoTopic".to_owned(), "true".to_owned());
        }
        let request =
            sns.create_topic().name(&props.topic_name).set_attributes(Some(attributes)).set_tags(Some(sns_tags(tags)));
        // A key just made may not be usable by SNS for a moment.
        let out = ctx.retry(id, "sns:CreateTopic", &["KMSNotFound"], || request.clone().send()).await?;
        let arn =
            out.topic_arn().ok_or_else(|| ctx.fail(id, "sns:CreateTopic", "the answer names no topic"))?.to_owned();
        let mut observed = read(ctx, entry.id.clone(), &arn).await?;
        observed.hash = state::hash_of(tags);
        Ok(observed)
    }

    /// Each attribute that differs with `SetTopicAttributes`, then the tags.
    async fn update(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        current: &Observed,
        props: &TopicProps,
        tags: &Tags,
    ) -> Result<Observed, AwsError> {
        let id = entry.id.as_str();
        let sns = &ctx.clients.sns;
        let arn = current.physical_id.as_str();
        let now = read(ctx, entry.id.clone(), arn).await?;
        for (name, value) in props.attributes() {
            if now.props.get(&name).and_then(|v| v.as_str()) == Some(value.as_str()) {
                continue;
            }
            ctx.retry(id, "sns:SetTopicAttributes", &["KMSNotFound"], || {
                sns.set_topic_attributes().topic_arn(arn).attribute_name(&name).attribute_value(&value).send()
            })
            .await?;
        }
        ctx.retry(id, "sns:TagResource", &[], || {
            sns.tag_resource().resource_arn(arn).set_tags(Some(sns_tags(tags))).send()
        })
        .await?;
        let mut observed = read(ctx, entry.id.clone(), arn).await?;
        observed.hash = state::hash_of(tags);
        Ok(observed)
    }

    /// `DeleteTopic` (its subscriptions go with it); already gone is success.
    async fn delete(ctx: &Ctx<'_>, current: &Observed) -> Result<(), AwsError> {
        let sns = &ctx.clients.sns;
        match sns.delete_topic().topic_arn(&current.physical_id).send().await {
            Ok(_) => Ok(()),
            Err(e) if code_in(&e, &["NotFound"]) => Ok(()),
            Err(e) => Err(ctx.sdk_error(current.id.as_str(), "sns:DeleteTopic", e)),
        }
    }
}

async fn read(ctx: &Ctx<'_>, id: LogicalId, arn: &str) -> Result<Observed, AwsError> {
    let sns = &ctx.clients.sns;
    let out = ctx
        .retry(id.as_str(), "sns:GetTopicAttributes", &[], || async move {
            absent_on(sns.get_topic_attributes().topic_arn(arn).send().await, &["NotFound"])
        })
        .await?
        .ok_or_else(|| ctx.fail(id.as_str(), "sns:GetTopicAttributes", format!("topic {arn} does not exist")))?;
    Ok(observe(id, arn, &out.attributes().cloned().unwrap_or_default()))
}

/// The topic as the template spells it.
fn observe(id: LogicalId, arn: &str, attributes: &HashMap<String, String>) -> Observed {
    let name = arn.rsplit(':').next().unwrap_or(arn);
    let mut o = Observed::new(id, SdkKind::Topic.cfn_type(), arn)
        .attr("TopicArn", arn)
        .attr("TopicName", name)
        .prop("TopicName", name);
    // Absent is `null`, as in a template without the property.
    for key in ["DisplayName", "KmsMasterKeyId"] {
        let value = attributes.get(key).filter(|v| !v.is_empty());
        o = o.prop(key, value.map_or(serde_json::Value::Null, |v| serde_json::Value::from(v.as_str())));
    }
    if attributes.get("FifoTopic").is_some_and(|v| v == "true") {
        o = o.prop("FifoTopic", true);
    }
    o
}

/// Every topic of this stack and environment.
pub(super) async fn discover_topics(ctx: &Ctx<'_>) -> Result<Vec<Observed>, AwsError> {
    let sns = &ctx.clients.sns;
    let topics = paged_items(
        ctx,
        "-",
        "sns:ListTopics",
        |token| sns.list_topics().set_next_token(token).send(),
        |o| (o.topics(), o.next_token()),
    )
    .await?;
    let mut out = Vec::new();
    for t in topics {
        let Some(arn) = t.topic_arn() else { continue };
        let tags = ctx
            .retry("-", "sns:ListTagsForResource", &[], || async move {
                absent_on(
                    sns.list_tags_for_resource().resource_arn(arn).send().await,
                    &["ResourceNotFound", "NotFound"],
                )
            })
            .await?;
        let tags: Tags = tags
            .iter()
            .flat_map(aws_sdk_sns::operation::list_tags_for_resource::ListTagsForResourceOutput::tags)
            .map(|t| (t.key().to_owned(), t.value().to_owned()))
            .collect();
        if let Some((id, hash)) = ctx.ours(&tags) {
            let mut o = read(ctx, id, arn).await?;
            o.hash = hash;
            out.push(o);
        }
    }
    Ok(out)
}

fn sns_tags(tags: &Tags) -> Vec<Tag> {
    tags.iter().filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok()).collect()
}
