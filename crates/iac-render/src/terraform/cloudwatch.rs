//! CloudWatch metric alarms in Terraform.

use hcl::Expression;
use iac_core::model::Alarm;

use super::{Args, Renderer, object};
use crate::error::RenderError;

impl Renderer<'_> {
    pub(super) fn alarm(
        &mut self,
        r: &Alarm,
        name: Option<String>,
        tags: Option<Expression>,
    ) -> Result<Args, RenderError> {
        let mut dimensions = Vec::new();
        for d in &r.dimensions {
            dimensions.push((d.name.as_str(), self.expr(&d.value, "dimensions")?));
        }
        let mut a = Args::default();
        a.set_opt("alarm_name", name.map(Expression::from))
            .set("alarm_description", r.description.as_str())
            .set("namespace", r.namespace.as_str())
            .set("metric_name", r.metric_name.as_str())
            .set("dimensions", object(dimensions))
            .set("statistic", r.statistic.as_aws())
            .set("period", r.period_seconds)
            .set("evaluation_periods", r.evaluation_periods)
            .set_opt("datapoints_to_alarm", r.datapoints_to_alarm.map(Expression::from))
            .set("threshold", r.threshold)
            .set("comparison_operator", r.comparison.as_aws())
            .set("treat_missing_data", r.missing_data.as_aws());
        if !r.alarm_actions.is_empty() {
            a.set("alarm_actions", self.exprs(&r.alarm_actions, "alarm_actions")?);
        }
        if !r.ok_actions.is_empty() {
            a.set("ok_actions", self.exprs(&r.ok_actions, "ok_actions")?);
        }
        a.set_opt("tags", tags);
        Ok(a)
    }
}
