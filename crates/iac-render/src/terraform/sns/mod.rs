//! SNS kinds (`aws_sns_topic`, `aws_sns_topic_subscription`): topics and subscriptions.

mod subscription;
mod topic;
