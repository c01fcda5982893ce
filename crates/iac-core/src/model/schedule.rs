//! Scheduled capacity changes of auto scaling groups (hosts on in the day and off at night, a
//! batch group scaled up for a periodic job).

use serde::Serialize;

use crate::model::spec::prelude::*;
use crate::value::{Refs, Value};

/// `AWS::AutoScaling::ScheduledAction` / `aws_autoscaling_schedule`: sets an ASG's sizes on a
/// cron schedule. A size left out stays as it is.
#[derive(Debug, Clone, Serialize, Refs)]
pub struct ScheduledAction {
    /// The group's name.
    pub auto_scaling_group_name: Value<String>,
    /// Five-field cron expression, e.g. `0 8 * * *`.
    pub recurrence: String,
    /// IANA time zone of the recurrence, e.g. `Europe/London` (UTC when absent).
    pub time_zone: Option<String>,
    /// New minimum size.
    pub min_size: Option<u32>,
    /// New maximum size.
    pub max_size: Option<u32>,
    /// New desired capacity.
    pub desired_capacity: Option<u32>,
}

impl ResourceKind for ScheduledAction {
    const SPEC: &'static KindSpec = &KindSpec {
        kind: "ScheduledAction",
        label: "scheduled action",
        provider: Provider::Aws,
        cloudformation: Some("AWS::AutoScaling::ScheduledAction"),
        terraform: Some("aws_autoscaling_schedule"),
        attrs: &[],
        naming: Naming::Unnamed,
        tagging: Tagging::Untagged("a scheduled action takes no tags"),
        data: Data::None,
        replacement: crate::replace!["AutoScalingGroupName"],
        replacement_notes: &[],
        teardown: 1,
    };
}
