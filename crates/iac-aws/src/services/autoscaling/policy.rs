//! `AWS::AutoScaling::ScalingPolicy`: put under a name derived from its logical id (a policy takes
//! no tags), replaced in place by another put.

use super::{
    Adapter, AwsError, AwsPolicy, Ctx, Deserialize, Desired, HashMap, LogicalId, Map, MetricType, Observed,
    PredefinedMetricSpecification, ResourceEntry, ScalingPolicy, SdkKind, Tags, TargetTrackingConfiguration, Value,
    busy, de, ignore_not_found, json, not_visible_yet, policy_name, retry_if,
};

/// The desired properties of an `AWS::AutoScaling::ScalingPolicy` (target tracking or simple).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct PolicyProps {
    pub(crate) auto_scaling_group_name: String,
    #[serde(default)]
    pub(crate) policy_type: Option<String>,
    #[serde(default)]
    pub(crate) target_tracking_configuration: Option<TargetTracking>,
    #[serde(default, deserialize_with = "de::opt_int")]
    pub(crate) estimated_instance_warmup: Option<i32>,
    #[serde(default)]
    pub(crate) adjustment_type: Option<String>,
    #[serde(default, deserialize_with = "de::opt_int")]
    pub(crate) scaling_adjustment: Option<i32>,
    #[serde(default, deserialize_with = "de::opt_int")]
    pub(crate) min_adjustment_magnitude: Option<i32>,
    #[serde(default, deserialize_with = "de::opt_int")]
    pub(crate) cooldown: Option<i32>,
}

/// A policy's `TargetTrackingConfiguration`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct TargetTracking {
    #[serde(default)]
    pub(crate) predefined_metric_specification: Option<PredefinedMetric>,
    #[serde(default, deserialize_with = "de::opt_float")]
    pub(crate) target_value: Option<f64>,
    #[serde(default, deserialize_with = "de::opt_bool")]
    pub(crate) disable_scale_in: Option<bool>,
}

/// A `PredefinedMetricSpecification`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct PredefinedMetric {
    pub(crate) predefined_metric_type: String,
    #[serde(default)]
    pub(crate) resource_label: Option<String>,
}

impl Desired for PolicyProps {}

impl Adapter for ScalingPolicy {
    type Props = PolicyProps;
    /// Puts the policy.
    async fn create(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        props: &PolicyProps,
        _tags: &Tags,
    ) -> Result<Observed, AwsError> {
        put_policy(ctx, &entry.id, props).await
    }

    /// `PutScalingPolicy` replaces the policy of that name in place.
    async fn update(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        _current: &Observed,
        props: &PolicyProps,
        _tags: &Tags,
    ) -> Result<Observed, AwsError> {
        put_policy(ctx, &entry.id, props).await
    }

    /// Deletes the policy; already gone is success.
    async fn delete(ctx: &Ctx<'_>, current: &Observed) -> Result<(), AwsError> {
        let id = current.id.as_str();
        let Some((group, name)) = policy_arn_parts(&current.physical_id) else {
            return Err(ctx.fail(
                id,
                "autoscaling:DeletePolicy",
                format!("`{}` is not a scaling policy ARN", current.physical_id),
            ));
        };
        if describe_policies(ctx, id, &group, Some(&name)).await?.is_empty() {
            return Ok(());
        }
        let req = ctx.clients.autoscaling.delete_policy().auto_scaling_group_name(&group).policy_name(&name);
        retry_if(ctx, id, "autoscaling:DeletePolicy", busy, || {
            let req = req.clone();
            async move { ignore_not_found(req.send().await) }
        })
        .await?;
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Policies

pub(super) async fn put_policy(ctx: &Ctx<'_>, id: &LogicalId, props: &PolicyProps) -> Result<Observed, AwsError> {
    let group = props.auto_scaling_group_name.clone();
    let name = policy_name(ctx, id);
    let req = ctx
        .clients
        .autoscaling
        .put_scaling_policy()
        .auto_scaling_group_name(&group)
        .policy_name(&name)
        .set_policy_type(props.policy_type.clone())
        .set_target_tracking_configuration(target_tracking(props))
        .set_estimated_instance_warmup(props.estimated_instance_warmup)
        .set_adjustment_type(props.adjustment_type.clone())
        .set_scaling_adjustment(props.scaling_adjustment)
        .set_min_adjustment_magnitude(props.min_adjustment_magnitude)
        .set_cooldown(props.cooldown);
    retry_if(ctx, id.as_str(), "autoscaling:PutScalingPolicy", not_visible_yet, || req.clone().send()).await?;
    // The response's PolicyARN is optional (moto leaves it out): read the policy back.
    let found = describe_policies(ctx, id.as_str(), &group, Some(&name)).await?;
    match found.first() {
        Some(p) => Ok(observe_policy(id.clone(), p)),
        None => Err(ctx.fail(
            id.as_str(),
            "autoscaling:DescribePolicies",
            format!("policy `{name}` of group `{group}` is not there after PutScalingPolicy"),
        )),
    }
}

pub(super) fn target_tracking(props: &PolicyProps) -> Option<TargetTrackingConfiguration> {
    let t = props.target_tracking_configuration.as_ref()?;
    let predefined = t.predefined_metric_specification.as_ref().map(|p| {
        PredefinedMetricSpecification::builder()
            .predefined_metric_type(MetricType::from(p.predefined_metric_type.as_str()))
            .set_resource_label(p.resource_label.clone())
            .build()
    });
    Some(
        TargetTrackingConfiguration::builder()
            .set_predefined_metric_specification(predefined)
            .set_target_value(t.target_value)
            .set_disable_scale_in(t.disable_scale_in)
            .build(),
    )
}

/// Policies of `group` (only `name`, if given). A group that does not exist has none.
pub(super) async fn describe_policies(
    ctx: &Ctx<'_>,
    id: &str,
    group: &str,
    name: Option<&str>,
) -> Result<Vec<AwsPolicy>, AwsError> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let req = ctx
            .clients
            .autoscaling
            .describe_policies()
            .auto_scaling_group_name(group)
            .set_policy_names(name.map(|n| vec![n.to_owned()]))
            .set_next_token(token.clone());
        let page = ctx
            .retry(id, "autoscaling:DescribePolicies", &[], || {
                let req = req.clone();
                async move { ignore_not_found(req.send().await) }
            })
            .await?;
        let Some(page) = page else { break };
        out.extend(page.scaling_policies().iter().cloned());
        token = page.next_token().filter(|t| !t.is_empty()).map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    Ok(out)
}

pub(super) fn observe_policy(id: LogicalId, p: &AwsPolicy) -> Observed {
    let arn = p.policy_arn().unwrap_or_default();
    let mut o = Observed::new(id, SdkKind::ScalingPolicy.cfn_type(), arn)
        .attr("Arn", arn)
        .attr("PolicyName", p.policy_name().unwrap_or_default())
        .prop("AutoScalingGroupName", p.auto_scaling_group_name().unwrap_or_default());
    if let Some(t) = p.policy_type() {
        o = o.prop("PolicyType", t);
    }
    if let Some(t) = p.target_tracking_configuration() {
        let mut c = Map::new();
        if let Some(m) = t.predefined_metric_specification() {
            let mut spec = json!({ "PredefinedMetricType": m.predefined_metric_type().map(MetricType::as_str).unwrap_or_default() });
            if let Some(label) = m.resource_label() {
                spec["ResourceLabel"] = json!(label);
            }
            c.insert("PredefinedMetricSpecification".into(), spec);
        }
        if let Some(v) = t.target_value() {
            c.insert("TargetValue".into(), json!(v));
        }
        if let Some(v) = t.disable_scale_in() {
            c.insert("DisableScaleIn".into(), json!(v));
        }
        o = o.prop("TargetTrackingConfiguration", c);
    }
    o
}

/// `(group, policy name)` out of `arn:...:scalingPolicy:<uuid>:autoScalingGroupName/<g>:policyName/<p>`.
pub(super) fn policy_arn_parts(arn: &str) -> Option<(String, String)> {
    let (head, name) = arn.rsplit_once(":policyName/")?;
    let (_, group) = head.split_once(":autoScalingGroupName/")?;
    Some((group.to_owned(), name.to_owned()))
}

/// Policy entries of the stack by their deterministic name, with the group they belong to when
/// it is one of this stack's groups (so a policy of that name on another group is not taken).
pub(super) fn policy_entries(ctx: &Ctx<'_>, groups: &[Observed]) -> HashMap<String, (LogicalId, Option<String>)> {
    ctx.stack
        .resources()
        .filter_map(|e| {
            let p = e.resource.get::<ScalingPolicy>()?;
            let group = match &p.auto_scaling_group_name {
                Value::Attr(r) => groups.iter().find(|g| g.id == r.id).map(|g| g.physical_id.clone()),
                Value::Lit(name) => Some(name.clone()),
                _ => None,
            };
            Some((policy_name(ctx, &e.id), (e.id.clone(), group)))
        })
        .collect()
}
