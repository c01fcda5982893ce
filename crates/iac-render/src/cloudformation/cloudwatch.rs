//! CloudWatch metric alarms in CloudFormation.

use iac_core::model::{Alarm, ResourceEntry};
use serde_json::{Value as Json, json};

use super::{Ctx, Renderer};
use crate::error::RenderError;

impl Renderer<'_> {
    pub(super) fn alarm(&self, entry: &ResourceEntry, x: &Alarm) -> Result<Json, RenderError> {
        let ctx = Ctx { resource: entry.id.as_str(), property: "Dimensions".into() };
        let dimensions = x
            .dimensions
            .iter()
            .map(|d| Ok(json!({ "Name": d.name, "Value": self.str_value(&d.value, &ctx)? })))
            .collect::<Result<Vec<_>, RenderError>>()?;
        let actions = Ctx { resource: entry.id.as_str(), property: "AlarmActions".into() };
        let mut p = json!({
            "AlarmName": self.name(entry),
            "AlarmDescription": x.description,
            "Namespace": x.namespace,
            "MetricName": x.metric_name,
            "Dimensions": dimensions,
            "Statistic": x.statistic.as_aws(),
            "Period": x.period_seconds,
            "EvaluationPeriods": x.evaluation_periods,
            "Threshold": x.threshold,
            "ComparisonOperator": x.comparison.as_aws(),
            "TreatMissingData": x.missing_data.as_aws(),
        });
        if let Some(n) = x.datapoints_to_alarm {
            p["DatapointsToAlarm"] = json!(n);
        }
        if !x.alarm_actions.is_empty() {
            p["AlarmActions"] = self.list(&x.alarm_actions, &actions)?;
        }
        if !x.ok_actions.is_empty() {
            p["OKActions"] = self.list(&x.ok_actions, &actions)?;
        }
        Ok(p)
    }
}
