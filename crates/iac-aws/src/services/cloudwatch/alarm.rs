//! `AWS::CloudWatch::Alarm`: one `PutMetricAlarm` with every property, which creates or
//! overwrites the alarm by name (so a rerun makes no second one), with the tags at creation;
//! tags change with `TagResource`. A new name is a new alarm. Deleting is `DeleteAlarms`.

use aws_sdk_cloudwatch::types::{ComparisonOperator, Dimension, MetricAlarm, StandardUnit, Statistic, Tag};
use iac_core::LogicalId;
use iac_core::model::{self, ResourceEntry};
use serde::Deserialize;
use serde_json::{Value as Json, json};

use crate::adapter::{self, Adapter, CfnTag, Desired, SdkKind, de};
use crate::error::AwsError;
use crate::services::{Ctx, code_in};
use crate::state::{self, Observed, Tags};

/// The desired properties of an `AWS::CloudWatch::Alarm` (a single metric).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct AlarmProps {
    #[serde(deserialize_with = "de::text")]
    pub(crate) alarm_name: String,
    #[serde(default, deserialize_with = "de::opt_text")]
    pub(crate) alarm_description: Option<String>,
    #[serde(deserialize_with = "de::text")]
    pub(crate) namespace: String,
    #[serde(deserialize_with = "de::text")]
    pub(crate) metric_name: String,
    #[serde(default)]
    pub(crate) dimensions: Vec<DimensionProps>,
    #[serde(default, deserialize_with = "de::opt_text")]
    pub(crate) statistic: Option<String>,
    #[serde(default, deserialize_with = "de::opt_text")]
    pub(crate) extended_statistic: Option<String>,
    #[serde(deserialize_with = "de::int")]
    pub(crate) period: i32,
    #[serde(deserialize_with = "de::int")]
    pub(crate) evaluation_periods: i32,
    #[serde(default, deserialize_with = "de::opt_int")]
    pub(crate) datapoints_to_alarm: Option<i32>,
    #[serde(default, deserialize_with = "de::opt_float")]
    pub(crate) threshold: Option<f64>,
    #[serde(deserialize_with = "de::text")]
    pub(crate) comparison_operator: String,
    #[serde(default, deserialize_with = "de::opt_text")]
    pub(crate) treat_missing_data: Option<String>,
    #[serde(default, deserialize_with = "de::opt_text")]
    pub(crate) unit: Option<String>,
    #[serde(default, deserialize_with = "de::opt_bool")]
    pub(crate) actions_enabled: Option<bool>,
    #[serde(default)]
    pub(crate) alarm_actions: Vec<String>,
    #[serde(rename = "OKActions", default)]
    pub(crate) ok_actions: Vec<String>,
    #[serde(default)]
    pub(crate) insufficient_data_actions: Vec<String>,
    #[serde(default)]
    pub(crate) tags: Vec<CfnTag>,
}

/// One `{ Name, Value }` dimension.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct DimensionProps {
    #[serde(deserialize_with = "de::text")]
    pub(crate) name: String,
    #[serde(deserialize_with = "de::text")]
    pub(crate) value: String,
}

impl Desired for AlarmProps {
    fn template_tags(&self) -> Vec<(&str, &str)> {
        adapter::pairs(&self.tags)
    }
}

impl Adapter for model::Alarm {
    type Props = AlarmProps;

    /// `PutMetricAlarm` with the tags.
    async fn create(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        props: &AlarmProps,
        tags: &Tags,
    ) -> Result<Observed, AwsError> {
        put(ctx, entry.id.as_str(), props, Some(tags)).await?;
        let mut observed = read(ctx, entry.id.clone(), &props.alarm_name).await?;
        observed.hash = state::hash_of(tags);
        Ok(observed)
    }

    /// `PutMetricAlarm` again (it overwrites every setting), then the tags.
    async fn update(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        current: &Observed,
        props: &AlarmProps,
        tags: &Tags,
    ) -> Result<Observed, AwsError> {
        let id = entry.id.as_str();
        put(ctx, id, props, None).await?;
        let cw = &ctx.clients.cloudwatch;
        let arn = current.attrs.get("Arn").cloned().unwrap_or_default();
        ctx.retry(id, "cloudwatch:TagResource", &[], || {
            cw.tag_resource().resource_arn(&arn).set_tags(Some(cw_tags(tags))).send()
        })
        .await?;
        let mut observed = read(ctx, entry.id.clone(), &props.alarm_name).await?;
        observed.hash = state::hash_of(tags);
        Ok(observed)
    }

    /// `DeleteAlarms`; already gone is success.
    async fn delete(ctx: &Ctx<'_>, current: &Observed) -> Result<(), AwsError> {
        let cw = &ctx.clients.cloudwatch;
        match cw.delete_alarms().alarm_names(&current.physical_id).send().await {
            Ok(_) => Ok(()),
            Err(e) if code_in(&e, &["ResourceNotFound", "ResourceNotFoundException"]) => Ok(()),
            Err(e) => Err(ctx.sdk_error(current.id.as_str(), "cloudwatch:DeleteAlarms", e)),
        }
    }
}

async fn put(ctx: &Ctx<'_>, id: &str, p: &AlarmProps, tags: Option<&Tags>) -> Result<(), AwsError> {
    let cw = &ctx.clients.cloudwatch;
    let dimensions: Vec<Dimension> =
        p.dimensions.iter().map(|d| Dimension::builder().name(&d.name).value(&d.value).build()).collect();
    let list = |v: &Vec<String>| (!v.is_empty()).then(|| v.clone());
    let request = cw
        .put_metric_alarm()
        .alarm_name(&p.alarm_name)
        .set_alarm_description(p.alarm_description.clone())
        .namespace(&p.namespace)
        .metric_name(&p.metric_name)
        .set_dimensions((!dimensions.is_empty()).then_some(dimensions))
        .set_statistic(p.statistic.as_deref().map(Statistic::from))
        .set_extended_statistic(p.extended_statistic.clone())
        .period(p.period)
        .evaluation_periods(p.evaluation_periods)
        .set_datapoints_to_alarm(p.datapoints_to_alarm)
        .set_threshold(p.threshold)
        .comparison_operator(ComparisonOperator::from(p.comparison_operator.as_str()))
        .set_treat_missing_data(p.treat_missing_data.clone())
        .set_unit(p.unit.as_deref().map(StandardUnit::from))
        .set_actions_enabled(p.actions_enabled)
        .set_alarm_actions(list(&p.alarm_actions))
        .set_ok_actions(list(&p.ok_actions))
        .set_insufficient_data_actions(list(&p.insufficient_data_actions))
        .set_tags(tags.map(cw_tags));
    ctx.retry(id, "cloudwatch:PutMetricAlarm", &[], || request.clone().send()).await.map(drop)
}

async fn read(ctx: &Ctx<'_>, id: LogicalId, name: &str) -> Result<Observed, AwsError> {
    let cw = &ctx.clients.cloudwatch;
    let out = ctx
        .retry(id.as_str(), "cloudwatch:DescribeAlarms", &[], || cw.describe_alarms().alarm_names(name).send())
        .await?;
    let alarm =
        out.metric_alarms().iter().find(|a| a.alarm_name() == Some(name)).ok_or_else(|| {
            ctx.fail(id.as_str(), "cloudwatch:DescribeAlarms", format!("alarm `{name}` is not listed"))
        })?;
    Ok(observe(id, alarm))
}

/// The alarm's tags.
pub(super) async fn tags(ctx: &Ctx<'_>, id: &str, arn: &str) -> Result<Tags, AwsError> {
    let cw = &ctx.clients.cloudwatch;
    let out = ctx
        .retry(id, "cloudwatch:ListTagsForResource", &[], || cw.list_tags_for_resource().resource_arn(arn).send())
        .await?;
    Ok(out
        .tags()
        .iter()
        .map(|t| (t.key().unwrap_or_default().to_owned(), t.value().unwrap_or_default().to_owned()))
        .collect())
}

/// The alarm as the template spells it (what `DescribeAlarms` answers, in CloudFormation's shape).
pub fn observe(id: LogicalId, a: &MetricAlarm) -> Observed {
    let name = a.alarm_name().unwrap_or_default();
    let dimensions: Vec<Json> = a
        .dimensions()
        .iter()
        .map(|d| json!({ "Name": d.name().unwrap_or_default(), "Value": d.value().unwrap_or_default() }))
        .collect();
    let mut o = Observed::new(id, SdkKind::Alarm.cfn_type(), name)
        .prop("AlarmName", name)
        .prop("Namespace", a.namespace().unwrap_or_default())
        .prop("MetricName", a.metric_name().unwrap_or_default())
        .prop("Dimensions", dimensions)
        .prop("Period", a.period().unwrap_or(0))
        .prop("EvaluationPeriods", a.evaluation_periods().unwrap_or(0))
        .prop("ComparisonOperator", a.comparison_operator().map_or("", ComparisonOperator::as_str))
        .prop("AlarmActions", list(a.alarm_actions()))
        .prop("OKActions", list(a.ok_actions()))
        .prop("InsufficientDataActions", list(a.insufficient_data_actions()));
    if let Some(arn) = a.alarm_arn() {
        o = o.attr("Arn", arn);
    }
    let optional: [(&str, Option<Json>); 7] = [
        ("AlarmDescription", a.alarm_description().map(Json::from)),
        ("Statistic", a.statistic().map(|s| Json::from(s.as_str()))),
        ("ExtendedStatistic", a.extended_statistic().map(Json::from)),
        ("DatapointsToAlarm", a.datapoints_to_alarm().map(Json::from)),
        ("Threshold", a.threshold().map(Json::from)),
        ("TreatMissingData", a.treat_missing_data().map(Json::from)),
        ("Unit", a.unit().map(|u| Json::from(u.as_str()))),
    ];
    // Absent is `null`, as in a template without the property: removing one is drift too.
    for (key, value) in optional {
        o = o.prop(key, value.unwrap_or(Json::Null));
    }
    o
}

/// A list of actions; none is `null`, as in a template without the property.
fn list(items: &[String]) -> Json {
    if items.is_empty() { Json::Null } else { Json::from(items.to_vec()) }
}

fn cw_tags(tags: &Tags) -> Vec<Tag> {
    tags.iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect()
}
