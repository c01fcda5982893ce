//! CloudWatch metric alarms.

use serde::Serialize;

use crate::model::spec::prelude::*;
use crate::value::{Refs, Value};

/// How the data points of one period are summarised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Refs)]
#[non_exhaustive]
pub enum Statistic {
    /// The mean.
    Average,
    /// The largest value.
    Maximum,
    /// The smallest value.
    Minimum,
    /// The total.
    Sum,
    /// The number of data points.
    SampleCount,
}

impl Statistic {
    /// The CloudWatch API spelling.
    pub fn as_aws(self) -> &'static str {
        match self {
            Statistic::Average => "Average",
            Statistic::Maximum => "Maximum",
            Statistic::Minimum => "Minimum",
            Statistic::Sum => "Sum",
            Statistic::SampleCount => "SampleCount",
        }
    }
}

/// How the statistic is compared with the threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Refs)]
#[non_exhaustive]
pub enum Comparison {
    /// `>=`.
    GreaterThanOrEqual,
    /// `>`.
    GreaterThan,
    /// `<`.
    LessThan,
    /// `<=`.
    LessThanOrEqual,
}

impl Comparison {
    /// The CloudWatch API spelling.
    pub fn as_aws(self) -> &'static str {
        match self {
            Comparison::GreaterThanOrEqual => "GreaterThanOrEqualToThreshold",
            Comparison::GreaterThan => "GreaterThanThreshold",
            Comparison::LessThan => "LessThanThreshold",
            Comparison::LessThanOrEqual => "LessThanOrEqualToThreshold",
        }
    }
}

/// What a period without data means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Refs)]
pub enum MissingData {
    /// Keep the current state (CloudWatch's default).
    Missing,
    /// As a breach: silence is itself a problem (a replica that stopped reporting its lag).
    Breaching,
    /// As within the threshold.
    NotBreaching,
    /// Decide on the periods that have data.
    Ignore,
}

impl MissingData {
    /// The CloudWatch API spelling.
    pub fn as_aws(self) -> &'static str {
        match self {
            MissingData::Missing => "missing",
            MissingData::Breaching => "breaching",
            MissingData::NotBreaching => "notBreaching",
            MissingData::Ignore => "ignore",
        }
    }
}

/// One dimension of a metric, e.g. `DBInstanceIdentifier` = a database's identifier.
#[derive(Debug, Clone, Serialize, Refs)]
pub struct Dimension {
    /// The dimension's name.
    pub name: String,
    /// Its value, usually a reference to the resource the metric is about.
    pub value: Value<String>,
}
/// `AWS::CloudWatch::Alarm` / `aws_cloudwatch_metric_alarm`: one metric against a threshold.
/// [`crate::patterns::alarms`] builds the common ones.
#[derive(Debug, Clone, Serialize, Refs)]
pub struct Alarm {
    /// The alarm's name (physical, unique in the account and region); `<stack>-<env>-<id>`
    /// when absent.
    pub name: Option<String>,
    /// What it means and what to do, shown in every notification.
    pub description: String,
    /// The metric's namespace, e.g. `AWS/RDS`.
    pub namespace: String,
    /// The metric, e.g. `CPUUtilization`.
    pub metric_name: String,
    /// Which resource's metric.
    pub dimensions: Vec<Dimension>,
    /// How a period is summarised.
    pub statistic: Statistic,
    /// Seconds per period: 10, 30 or a multiple of 60.
    pub period_seconds: u32,
    /// Periods looked at.
    pub evaluation_periods: u32,
    /// Of those, how many must breach (all of them when absent).
    pub datapoints_to_alarm: Option<u32>,
    /// The threshold, in the metric's unit.
    pub threshold: f64,
    /// How the statistic is compared with it.
    pub comparison: Comparison,
    /// What a period without data means.
    pub missing_data: MissingData,
    /// Notified (topic ARNs) when the alarm goes off.
    pub alarm_actions: Vec<Value<String>>,
    /// Notified when it is back to normal.
    pub ok_actions: Vec<Value<String>>,
}
impl ResourceKind for Alarm {
    const SPEC: &'static KindSpec = &KindSpec {
        kind: "Alarm",
        label: "CloudWatch alarm",
        provider: Provider::Aws,
        cloudformation: Some("AWS::CloudWatch::Alarm"),
        terraform: Some("aws_cloudwatch_metric_alarm"),
        attrs: &[by_ref(Attr::Name, "alarm_name"), get_att(Attr::Arn, "Arn", "arn")],
        naming: Naming::Explicit { max: 255 },
        tagging: Tagging::Property("Tags"),
        data: Data::None,
        replacement: crate::replace!["AlarmName": "an alarm is known by its name"],
        replacement_notes: &[],
        teardown: 2,
    };
    fn explicit_name(&self) -> Option<&str> {
        self.name.as_deref()
    }
    fn explicit_name_mut(&mut self) -> Option<&mut String> {
        self.name.as_mut()
    }
}
