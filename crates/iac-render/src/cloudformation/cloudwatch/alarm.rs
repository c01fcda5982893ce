//! A CloudWatch metric alarm (`AWS::CloudWatch::Alarm`).

use iac_core::model::{Alarm, ResourceEntry};
use serde_json::{Value as Json, json};

use crate::cloudformation::{CfnContext, ToCloudFormation};
use crate::error::RenderError;

impl ToCloudFormation for Alarm {
    fn properties(&self, cx: &mut CfnContext<'_>, entry: &ResourceEntry) -> Result<Json, RenderError> {
        let dimensions = self
            .dimensions
            .iter()
            .map(|d| Ok(json!({ "Name": d.name, "Value": cx.value(&d.value, "Dimensions")? })))
            .collect::<Result<Vec<_>, RenderError>>()?;
        let mut p = json!({
            "AlarmName": cx.name(entry),
            "AlarmDescription": self.description,
            "Namespace": self.namespace,
            "MetricName": self.metric_name,
            "Dimensions": dimensions,
            "Statistic": self.statistic.as_aws(),
            "Period": self.period_seconds,
            "EvaluationPeriods": self.evaluation_periods,
            "Threshold": self.threshold,
            "ComparisonOperator": self.comparison.as_aws(),
            "TreatMissingData": self.missing_data.as_aws(),
        });
        if let Some(n) = self.datapoints_to_alarm {
            p["DatapointsToAlarm"] = json!(n);
        }
        if !self.alarm_actions.is_empty() {
            p["AlarmActions"] = cx.list(&self.alarm_actions, "AlarmActions")?;
        }
        if !self.ok_actions.is_empty() {
            p["OKActions"] = cx.list(&self.ok_actions, "AlarmActions")?;
        }
        Ok(p)
    }
}
