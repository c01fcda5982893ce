//! `AWS::SNS::Subscription`: one `Subscribe` (with `ReturnSubscriptionArn`, so the answer names
//! the subscription even while it waits for confirmation). Every property replaces it (its
//! spec), so there is nothing to update in place. It takes no tags (see the service docs for
//! how it is found).
//!
//! An email subscription waits for its recipient to confirm it; until then SNS lists it as
//! `PendingConfirmation` with no ARN, and such a subscription cannot be unsubscribed: SNS drops
//! it after three days, as it does for CloudFormation. Deleting one is then a no-op.

use iac_core::LogicalId;
use iac_core::model::{self, ResourceEntry};
use serde::Deserialize;

use crate::adapter::{Adapter, Desired, SdkKind, de};
use crate::error::AwsError;
use crate::services::{Ctx, code_in, paged_items};
use crate::state::{Observed, Tags};

/// What SNS lists for a subscription not yet confirmed.
const PENDING: &str = "PendingConfirmation";

/// The desired properties of an `AWS::SNS::Subscription`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct SubscriptionProps {
    #[serde(deserialize_with = "de::text")]
    pub(crate) topic_arn: String,
    #[serde(deserialize_with = "de::text")]
    pub(crate) protocol: String,
    #[serde(deserialize_with = "de::text")]
    pub(crate) endpoint: String,
}

impl Desired for SubscriptionProps {}

impl Adapter for model::Subscription {
    type Props = SubscriptionProps;

    /// `Subscribe`; SNS answers the existing subscription for the same topic, protocol and
    /// endpoint, so a rerun makes no second one.
    async fn create(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        props: &SubscriptionProps,
        _tags: &Tags,
    ) -> Result<Observed, AwsError> {
        let id = entry.id.as_str();
        let sns = &ctx.clients.sns;
        let out = ctx
            .retry(id, "sns:Subscribe", &["NotFound"], || {
                sns.subscribe()
                    .topic_arn(&props.topic_arn)
                    .protocol(&props.protocol)
                    .endpoint(&props.endpoint)
                    .return_subscription_arn(true)
                    .send()
            })
            .await?;
        let arn = out.subscription_arn().unwrap_or(PENDING);
        Ok(observe(entry.id.clone(), arn, &props.topic_arn, &props.protocol, &props.endpoint))
    }

    /// Nothing changes in place (every property replaces it): read back.
    async fn update(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        current: &Observed,
        props: &SubscriptionProps,
        _tags: &Tags,
    ) -> Result<Observed, AwsError> {
        let found = find(ctx, entry.id.clone(), &props.topic_arn, &props.protocol, &props.endpoint).await?;
        Ok(found.unwrap_or_else(|| current.clone()))
    }

    /// `Unsubscribe`; already gone, or still pending confirmation (see the module docs), is done.
    async fn delete(ctx: &Ctx<'_>, current: &Observed) -> Result<(), AwsError> {
        let sns = &ctx.clients.sns;
        let arn = current.physical_id.as_str();
        if !arn.starts_with("arn:") {
            return Ok(());
        }
        match sns.unsubscribe().subscription_arn(arn).send().await {
            Ok(_) => Ok(()),
            Err(e) if code_in(&e, &["NotFound"]) => Ok(()),
            Err(e) => Err(ctx.sdk_error(current.id.as_str(), "sns:Unsubscribe", e)),
        }
    }
}

/// The subscription of `topic_arn` with this protocol and endpoint, if there is one.
pub(super) async fn find(
    ctx: &Ctx<'_>,
    id: LogicalId,
    topic_arn: &str,
    protocol: &str,
    endpoint: &str,
) -> Result<Option<Observed>, AwsError> {
    let sns = &ctx.clients.sns;
    let subs = paged_items(
        ctx,
        id.as_str(),
        "sns:ListSubscriptionsByTopic",
        |token| sns.list_subscriptions_by_topic().topic_arn(topic_arn).set_next_token(token).send(),
        |o| (o.subscriptions(), o.next_token()),
    )
    .await;
    let subs = match subs {
        Ok(s) => s,
        // The topic itself is gone: so is the subscription.
        Err(AwsError::Sdk { ref source, .. }) if source.code() == Some("NotFound") => return Ok(None),
        Err(e) => return Err(e),
    };
    Ok(subs
        .iter()
        .find(|s| s.protocol() == Some(protocol) && s.endpoint() == Some(endpoint))
        .map(|s| observe(id, s.subscription_arn().unwrap_or(PENDING), topic_arn, protocol, endpoint)))
}

fn observe(id: LogicalId, arn: &str, topic_arn: &str, protocol: &str, endpoint: &str) -> Observed {
    Observed::new(id, SdkKind::Subscription.cfn_type(), arn)
        .attr("Arn", arn)
        .prop("TopicArn", topic_arn)
        .prop("Protocol", protocol)
        .prop("Endpoint", endpoint)
}
