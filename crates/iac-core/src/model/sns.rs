//! SNS topics and their subscriptions: where alarms send their notifications.

use serde::Serialize;

use crate::model::spec::prelude::*;
use crate::value::{Refs, Value};

/// The AWS-managed SNS key (`aws/sns`).
pub const AWS_MANAGED_SNS_KEY: &str = "alias/aws/sns";

/// `AWS::SNS::Topic` / `aws_sns_topic`, encrypted at rest.
#[derive(Debug, Clone, Serialize, Refs)]
pub struct Topic {
    /// The topic's name (physical); `<stack>-<env>-<id>` when absent.
    pub name: Option<String>,
    /// Shown as the sender of email notifications (at most 100 characters).
    pub display_name: String,
    /// The KMS key that encrypts messages at rest: an alias, key id or ARN. The AWS-managed
    /// [`AWS_MANAGED_SNS_KEY`] needs no key of the stack's own, but its key policy cannot be
    /// changed: services that publish as themselves (CloudWatch alarms, `EventBridge`) are not in
    /// it, so their topics need a [`crate::model::Key`] that names them
    /// ([`crate::patterns::alarms::Notifications`] makes one).
    pub kms_master_key_id: Value<String>,
}
impl Topic {
    /// A topic encrypted with the AWS-managed key [`AWS_MANAGED_SNS_KEY`].
    pub fn encrypted(display_name: impl Into<String>) -> Self {
        Self { name: None, display_name: display_name.into(), kms_master_key_id: Value::from(AWS_MANAGED_SNS_KEY) }
    }
}

/// How a subscription receives messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Refs)]
#[non_exhaustive]
pub enum SubscriptionProtocol {
    /// Plain-text email. AWS sends a confirmation mail first; until the recipient follows its
    /// link the subscription is pending and receives nothing.
    Email,
}

impl SubscriptionProtocol {
    /// The SNS API spelling.
    pub fn as_aws(self) -> &'static str {
        match self {
            SubscriptionProtocol::Email => "email",
        }
    }
}

/// `AWS::SNS::Subscription` / `aws_sns_topic_subscription`: one endpoint of a topic. A kind of
/// its own (not the topic's inline `Subscription` list) because that is what both backends
/// express: Terraform has no inline form.
#[derive(Debug, Clone, Serialize, Refs)]
pub struct Subscription {
    /// The topic's ARN.
    pub topic_arn: Value<String>,
    /// The protocol.
    pub protocol: SubscriptionProtocol,
    /// Where messages go (an email address).
    pub endpoint: Value<String>,
}
impl ResourceKind for Topic {
    const SPEC: &'static KindSpec = &KindSpec {
        kind: "Topic",
        label: "SNS topic",
        provider: Provider::Aws,
        cloudformation: Some("AWS::SNS::Topic"),
        terraform: Some("aws_sns_topic"),
        attrs: &[by_ref(Attr::Arn, "arn"), get_att(Attr::Name, "TopicName", "name")],
        naming: Naming::Explicit { max: 256 },
        tagging: Tagging::Property("Tags"),
        data: Data::None,
        replacement: crate::replace!["TopicName": "a topic keeps its name for life", "FifoTopic": "a topic is standard or FIFO for life"],
        replacement_notes: &[],
        teardown: 9,
    };
    fn explicit_name(&self) -> Option<&str> {
        self.name.as_deref()
    }
    fn explicit_name_mut(&mut self) -> Option<&mut String> {
        self.name.as_mut()
    }
}

impl ResourceKind for Subscription {
    const SPEC: &'static KindSpec = &KindSpec {
        kind: "Subscription",
        label: "SNS subscription",
        provider: Provider::Aws,
        cloudformation: Some("AWS::SNS::Subscription"),
        terraform: Some("aws_sns_topic_subscription"),
        attrs: &[by_ref(Attr::Arn, "arn")],
        naming: Naming::Unnamed,
        tagging: Tagging::Untagged("a subscription takes no tags"),
        data: Data::None,
        replacement: crate::replace!["TopicArn", "Protocol", "Endpoint": "a new endpoint is a new subscription, confirmed anew"],
        replacement_notes: &[],
        teardown: 3,
    };
}
