//! SNS: `AWS::SNS::Topic` and `AWS::SNS::Subscription`.
//!
//! One file per kind (its desired properties, its [`Adapter`](crate::adapter::Adapter) and its
//! calls); this file holds discovery.
//!
//! Topics are tagged in `CreateTopic` and found by their `iac:*` tags (`ListTopics`, then
//! `ListTagsForResource`). Subscriptions take no tags: each subscription of the stack is looked
//! for on its topic (`ListSubscriptionsByTopic`) by protocol and endpoint, when the topic is one
//! of the stack's (or a literal ARN) and the endpoint a literal. A subscription removed from the
//! stack is therefore not found as an orphan; deleting its topic (or the stack) removes it.

use iac_core::model::{Resource, Subscription};
use iac_core::value::Value;

use super::Ctx;
use crate::error::AwsError;
use crate::state::Observed;

pub mod subscription;
pub mod topic;

/// Every topic of this stack and environment, and the stack's subscriptions on them.
pub async fn discover(ctx: &Ctx<'_>) -> Result<Vec<Observed>, AwsError> {
    let topics = topic::discover_topics(ctx).await?;
    let mut out = Vec::new();
    for entry in ctx.stack.resources() {
        let Resource::Subscription(sub) = &entry.resource else { continue };
        let (Some(topic_arn), Value::Lit(endpoint)) = (topic_of(sub, &topics), &sub.endpoint) else { continue };
        if let Some(found) =
            subscription::find(ctx, entry.id.clone(), &topic_arn, sub.protocol.as_aws(), endpoint).await?
        {
            out.push(found);
        }
    }
    out.extend(topics);
    Ok(out)
}

/// The ARN of a subscription's topic, when it is known before apply.
fn topic_of(sub: &Subscription, topics: &[Observed]) -> Option<String> {
    match &sub.topic_arn {
        Value::Lit(arn) => Some(arn.clone()),
        Value::Attr(r) => topics.iter().find(|t| t.id == r.id).map(|t| t.physical_id.clone()),
        Value::Param(_) | Value::Pseudo(_) | Value::Join(_) | Value::Secret(_) => None,
    }
}
