//! CloudWatch Logs: `AWS::Logs::LogGroup`.
//!
//! One file per kind (its desired properties, its [`Adapter`](crate::adapter::Adapter) and its
//! calls); this file holds discovery.
//!
//! A log group is created with its KMS key (when the stack gives one) and its tags in one call,
//! then given its retention; the `iac:hash` tag goes on last, so a run killed in between leaves a
//! group the next plan updates. Retention and the KMS key change in place
//! (`PutRetentionPolicy`, `AssociateKmsKey` / `DisassociateKmsKey`). `Ref` is the name and `Arn`
//! the ARN as CloudFormation gives it (ending in `:*`). Delete removes the group with its log
//! events: a log group holds no data the kind's spec keeps (CloudFormation deletes it too).
//! Discovery lists the log groups (`DescribeLogGroups`) and reads each one's tags.

pub mod log_group;

use super::Ctx;
use crate::error::AwsError;
use crate::state::Observed;

/// Every log group that belongs to this stack and environment (by its tags).
pub async fn discover(ctx: &Ctx<'_>) -> Result<Vec<Observed>, AwsError> {
    log_group::discover_log_groups(ctx).await
}
