//! CloudWatch log groups.

use serde::Serialize;

use crate::model::spec::prelude::*;
use crate::value::{Refs, Value};

/// Retention periods CloudWatch Logs accepts, in days.
pub const LOG_RETENTION_DAYS: &[u32] =
    &[1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

/// `AWS::Logs::LogGroup` / `aws_cloudwatch_log_group`.
#[derive(Debug, Clone, Serialize, Refs)]
pub struct LogGroup {
    /// The group's name; `<stack>-<env>-<id>` when absent.
    pub name: Option<String>,
    /// Days events are kept (one of [`LOG_RETENTION_DAYS`]).
    pub retention_days: u32,
    /// A customer-managed KMS key ARN; CloudWatch's own encryption when absent.
    pub kms_key_arn: Option<Value<String>>,
}

impl ResourceKind for LogGroup {
    const SPEC: &'static KindSpec = &KindSpec {
        kind: "LogGroup",
        label: "log group",
        provider: Provider::Aws,
        cloudformation: Some("AWS::Logs::LogGroup"),
        terraform: Some("aws_cloudwatch_log_group"),
        attrs: &[by_ref(Attr::Name, "name"), get_att(Attr::Arn, "Arn", "arn")],
        naming: Naming::Explicit { max: 512 },
        tagging: Tagging::Property("Tags"),
        data: Data::None,
        replacement: crate::replace!["LogGroupName"],
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
