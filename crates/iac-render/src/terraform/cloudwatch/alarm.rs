//! A CloudWatch metric alarm (`aws_cloudwatch_metric_alarm`).

use hcl::Expression;
use iac_core::model::{Alarm, ResourceEntry};

use crate::error::RenderError;
use crate::terraform::object;
use crate::terraform::{Args, TfContext, ToTerraform};

impl ToTerraform for Alarm {
    fn arguments(&self, cx: &mut TfContext<'_>, entry: &ResourceEntry) -> Result<Args, RenderError> {
        let mut dimensions = Vec::new();
        for d in &self.dimensions {
            dimensions.push((d.name.as_str(), cx.expr(&d.value, "dimensions")?));
        }
        let mut a = Args::default();
        a.set_opt("alarm_name", cx.name(entry).map(Expression::from))
            .set("alarm_description", self.description.as_str())
            .set("namespace", self.namespace.as_str())
            .set("metric_name", self.metric_name.as_str())
            .set("dimensions", object(dimensions))
            .set("statistic", self.statistic.as_aws())
            .set("period", self.period_seconds)
            .set("evaluation_periods", self.evaluation_periods)
            .set_opt("datapoints_to_alarm", self.datapoints_to_alarm.map(Expression::from))
            .set("threshold", self.threshold)
            .set("comparison_operator", self.comparison.as_aws())
            .set("treat_missing_data", self.missing_data.as_aws());
        if !self.alarm_actions.is_empty() {
            a.set("alarm_actions", cx.exprs(&self.alarm_actions, "alarm_actions")?);
        }
        if !self.ok_actions.is_empty() {
            a.set("ok_actions", cx.exprs(&self.ok_actions, "ok_actions")?);
        }
        a.set_opt("tags", cx.tags(entry));
        Ok(a)
    }
}
