//! Auto Scaling: groups and target tracking scaling policies.
//!
//! - `AWS::AutoScaling::AutoScalingGroup`: created with its launch template, subnets
//!   (`VPCZoneIdentifier`, comma-joined for the API), target groups, health check and tags (with
//!   `PropagateAtLaunch` as the template says; `iac:hash` is not propagated), then
//!   `MetricsCollection` is switched on. Create and update wait until the group has its desired
//!   number of instances `InService`. Sizes, launch template (and version), subnets, health check,
//!   target groups and metrics change in place. Delete uses `ForceDelete` and waits until the
//!   group is gone. `Ref` is the group name.
//! - `AWS::AutoScaling::ScalingPolicy` (`PutScalingPolicy`, target tracking or simple): `Ref` is
//!   the policy ARN. A policy takes no tags, so it gets a deterministic name,
//!   `<stack>-<env>-<LogicalId>` (fitted to 255 characters), and discovery lists the policies
//!   of this stack's groups (`DescribePolicies`): a name that matches a scaling policy of the
//!   stack is that entry; any other name with this stack's prefix and a logical id after it is a
//!   policy that left the stack (so plan deletes it). Policies have no `iac:hash`: plan compares
//!   the properties read back.
//!
//! Groups are discovered with `DescribeAutoScalingGroups` filtered on the `tag:iac:stack` and
//! `tag:iac:env` tags. A group made by a blue/green rollout ([`crate::rollout`]) has a suffixed
//! name and carries the stack's name in `iac:name`; plan compares that one, so a finished rollout
//! plans no change.

use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;

use aws_sdk_autoscaling::types::{
    AutoScalingGroup as AwsGroup, Filter, LaunchTemplateSpecification, LifecycleState, MetricType,
    PredefinedMetricSpecification, ScalingPolicy as AwsPolicy, Tag, TargetTrackingConfiguration,
};
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use iac_core::LogicalId;
use iac_core::model::{AutoScalingGroup, Resource, ResourceEntry, ScalingPolicy};
use iac_core::value::Value;
use serde::Deserialize;
use serde_json::{Map, Value as Json, json};

use super::{Ctx, absent, tag_pairs};
use crate::adapter::{Adapter, Desired, SdkKind, de};
use crate::error::AwsError;
use crate::state::{Observed, TAG_ENV, TAG_HASH, TAG_NAME, TAG_STACK, Tags};

/// The desired properties of an `AWS::AutoScaling::AutoScalingGroup`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct GroupProps {
    pub(crate) auto_scaling_group_name: String,
    #[serde(default)]
    pub(crate) launch_template: Option<LaunchTemplateSpec>,
    #[serde(default, deserialize_with = "de::opt_int")]
    pub(crate) min_size: Option<i32>,
    #[serde(default, deserialize_with = "de::opt_int")]
    pub(crate) max_size: Option<i32>,
    #[serde(default, deserialize_with = "de::opt_int")]
    pub(crate) desired_capacity: Option<i32>,
    /// A list in CloudFormation; one comma-joined string for the API.
    #[serde(rename = "VPCZoneIdentifier", default)]
    pub(crate) vpc_zone_identifier: Subnets,
    #[serde(rename = "TargetGroupARNs", default)]
    pub(crate) target_group_arns: Vec<String>,
    #[serde(default)]
    pub(crate) health_check_type: Option<String>,
    #[serde(default, deserialize_with = "de::opt_int")]
    pub(crate) health_check_grace_period: Option<i32>,
    #[serde(default, deserialize_with = "de::opt_int")]
    pub(crate) cooldown: Option<i32>,
    #[serde(default)]
    pub(crate) metrics_collection: Vec<MetricsCollection>,
    #[serde(default)]
    pub(crate) tags: Vec<GroupTag>,
}

/// A group's subnets: a list, or one comma-joined string.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(untagged)]
pub enum Subnets {
    /// `["subnet-1", "subnet-2"]`.
    #[default]
    #[serde(skip)]
    None,
    /// A list.
    List(Vec<String>),
    /// `"subnet-1,subnet-2"`.
    Joined(String),
}

/// A group's `LaunchTemplate`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct LaunchTemplateSpec {
    #[serde(default)]
    pub(crate) launch_template_id: Option<String>,
    #[serde(default)]
    pub(crate) launch_template_name: Option<String>,
    #[serde(default, deserialize_with = "de::opt_text")]
    pub(crate) version: Option<String>,
}

/// One entry of `MetricsCollection`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct MetricsCollection {
    #[serde(default)]
    pub(crate) granularity: Option<String>,
    #[serde(default)]
    pub(crate) metrics: Vec<String>,
}

/// A group's tag, with whether instances get it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct GroupTag {
    pub(crate) key: String,
    #[serde(deserialize_with = "de::text")]
    pub(crate) value: String,
    #[serde(default, deserialize_with = "de::opt_bool")]
    pub(crate) propagate_at_launch: Option<bool>,
}

impl Desired for GroupProps {
    fn template_tags(&self) -> Vec<(&str, &str)> {
        self.tags.iter().map(|t| (t.key.as_str(), t.value.as_str())).collect()
    }
}

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

impl Adapter for AutoScalingGroup {
    type Props = GroupProps;
    const REPLACED_BY: &'static [&'static str] = &["AutoScalingGroupName"];

    /// Creates the group and waits for its instances.
    async fn create(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        props: &GroupProps,
        tags: &Tags,
    ) -> Result<Observed, AwsError> {
        create_group(ctx, &entry.id, props, tags).await
    }

    /// Updates the group in place.
    async fn update(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        current: &Observed,
        props: &GroupProps,
        tags: &Tags,
    ) -> Result<Observed, AwsError> {
        update_group(ctx, &entry.id, current, props, tags).await
    }

    /// Deletes the group with its instances and waits until it is gone.
    async fn delete(ctx: &Ctx<'_>, current: &Observed) -> Result<(), AwsError> {
        let id = current.id.as_str();
        let name = current.physical_id.as_str();
        if describe_group(ctx, id, name).await?.is_none() {
            return Ok(());
        }
        let req = ctx.clients.autoscaling.delete_auto_scaling_group().auto_scaling_group_name(name).force_delete(true);
        retry_if(ctx, id, "autoscaling:DeleteAutoScalingGroup", busy, || {
            let req = req.clone();
            async move { ignore_not_found(req.send().await) }
        })
        .await?;
        ctx.wait_gone(id, || describe_group(ctx, id, name)).await
    }
}

impl Adapter for ScalingPolicy {
    type Props = PolicyProps;
    /// A policy's name is derived from its logical id; it moves to another group by being created
    /// there.
    const REPLACED_BY: &'static [&'static str] = &["AutoScalingGroupName"];

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

/// Finds this stack's groups by their tags and the policies of those groups by name.
pub async fn discover(ctx: &Ctx<'_>) -> Result<Vec<Observed>, AwsError> {
    let mut groups = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let req = ctx
            .clients
            .autoscaling
            .describe_auto_scaling_groups()
            .filters(Filter::builder().name(format!("tag:{TAG_STACK}")).values(ctx.stack.name()).build())
            .filters(Filter::builder().name(format!("tag:{TAG_ENV}")).values(ctx.stack.env()).build())
            .set_next_token(token.clone());
        let page = ctx.retry("-", "autoscaling:DescribeAutoScalingGroups", &[], || req.clone().send()).await?;
        for g in page.auto_scaling_groups() {
            if is_deleting(g) {
                continue;
            }
            if let Some((id, hash)) = ctx.ours(&tag_pairs(g.tags())) {
                let mut o = observe_group(id, g);
                o.hash = hash;
                groups.push(o);
            }
        }
        token = page.next_token().filter(|t| !t.is_empty()).map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    let mut policies = Vec::new();
    let wanted = policy_entries(ctx, &groups);
    let prefix = format!("{}-{}-", ctx.stack.name(), ctx.stack.env());
    for g in &groups {
        for p in describe_policies(ctx, g.id.as_str(), &g.physical_id, None).await? {
            let name = p.policy_name().unwrap_or_default();
            let id = match wanted.get(name) {
                Some((id, group)) if group.as_ref().is_none_or(|want| *want == g.physical_id) => Some(id.clone()),
                Some(_) => None,
                // A policy that left the stack: its name still says which one it was.
                None => name
                    .strip_prefix(&prefix)
                    .and_then(|rest| LogicalId::new(rest).ok())
                    .filter(|id| ctx.stack.resource(id).is_none() && policy_name(ctx, id) == name),
            };
            if let Some(id) = id {
                policies.push(observe_policy(id, &p));
            }
        }
    }
    groups.extend(policies);
    Ok(groups)
}

/// The deterministic name of the scaling policy `id` (policies cannot be tagged).
pub fn policy_name(ctx: &Ctx<'_>, id: &LogicalId) -> String {
    iac_core::naming::fit(&format!("{}-{}-{}", ctx.stack.name(), ctx.stack.env(), id), 255)
}

// ---------------------------------------------------------------------------------------------
// Groups

async fn create_group(ctx: &Ctx<'_>, id: &LogicalId, props: &GroupProps, tags: &Tags) -> Result<Observed, AwsError> {
    let name = props.auto_scaling_group_name.clone();
    let targets = props.target_group_arns.clone();
    let req = ctx
        .clients
        .autoscaling
        .create_auto_scaling_group()
        .auto_scaling_group_name(&name)
        .set_launch_template(launch_template(props))
        .set_min_size(props.min_size)
        .set_max_size(props.max_size)
        .set_desired_capacity(props.desired_capacity)
        .set_vpc_zone_identifier(zones(props))
        .set_target_group_arns((!targets.is_empty()).then_some(targets))
        .set_health_check_type(props.health_check_type.clone())
        .set_health_check_grace_period(props.health_check_grace_period)
        .set_default_cooldown(props.cooldown)
        .set_tags(Some(group_tags(&name, props, tags)));
    // A launch template, target group or instance profile made moments ago may not be visible yet.
    retry_if(ctx, id.as_str(), "autoscaling:CreateAutoScalingGroup", not_visible_yet, || req.clone().send()).await?;
    set_metrics(ctx, id.as_str(), &name, props, false).await?;
    wait_in_service(ctx, id, &name, props).await?;
    read_group(ctx, id, &name).await
}

async fn update_group(
    ctx: &Ctx<'_>,
    id: &LogicalId,
    current: &Observed,
    props: &GroupProps,
    tags: &Tags,
) -> Result<Observed, AwsError> {
    let name = current.physical_id.as_str();
    let asg = &ctx.clients.autoscaling;
    let req = asg
        .update_auto_scaling_group()
        .auto_scaling_group_name(name)
        .set_launch_template(launch_template(props))
        .set_min_size(props.min_size)
        .set_max_size(props.max_size)
        .set_desired_capacity(props.desired_capacity)
        .set_vpc_zone_identifier(zones(props))
        .set_health_check_type(props.health_check_type.clone())
        .set_health_check_grace_period(props.health_check_grace_period)
        .set_default_cooldown(props.cooldown);
    retry_if(ctx, id.as_str(), "autoscaling:UpdateAutoScalingGroup", not_visible_yet, || req.clone().send()).await?;

    let live = describe_group(ctx, id.as_str(), name).await?;
    let attached: Vec<String> = live.as_ref().map(|g| g.target_group_arns().to_vec()).unwrap_or_default();
    let wanted = &props.target_group_arns;
    let add: Vec<String> = wanted.iter().filter(|t| !attached.contains(t)).cloned().collect();
    let remove: Vec<String> = attached.iter().filter(|t| !wanted.contains(t)).cloned().collect();
    if !add.is_empty() {
        let req =
            asg.attach_load_balancer_target_groups().auto_scaling_group_name(name).set_target_group_arns(Some(add));
        retry_if(ctx, id.as_str(), "autoscaling:AttachLoadBalancerTargetGroups", not_visible_yet, || {
            req.clone().send()
        })
        .await?;
    }
    if !remove.is_empty() {
        let req =
            asg.detach_load_balancer_target_groups().auto_scaling_group_name(name).set_target_group_arns(Some(remove));
        retry_if(ctx, id.as_str(), "autoscaling:DetachLoadBalancerTargetGroups", busy, || req.clone().send()).await?;
    }
    let had_metrics = live.as_ref().is_some_and(|g| !g.enabled_metrics().is_empty());
    set_metrics(ctx, id.as_str(), name, props, had_metrics).await?;

    let req = asg.create_or_update_tags().set_tags(Some(group_tags(name, props, tags)));
    retry_if(ctx, id.as_str(), "autoscaling:CreateOrUpdateTags", busy, || req.clone().send()).await?;
    wait_in_service(ctx, id, name, props).await?;
    read_group(ctx, id, name).await
}

/// Switches metrics collection on as `MetricsCollection` says, or off when it says nothing and
/// the group `had` some.
async fn set_metrics(ctx: &Ctx<'_>, id: &str, name: &str, props: &GroupProps, had: bool) -> Result<(), AwsError> {
    if props.metrics_collection.is_empty() {
        if had {
            let req = ctx.clients.autoscaling.disable_metrics_collection().auto_scaling_group_name(name);
            retry_if(ctx, id, "autoscaling:DisableMetricsCollection", busy, || req.clone().send()).await?;
        }
        return Ok(());
    }
    for m in &props.metrics_collection {
        let metrics = m.metrics.clone();
        let req = ctx
            .clients
            .autoscaling
            .enable_metrics_collection()
            .auto_scaling_group_name(name)
            .granularity(m.granularity.clone().unwrap_or_else(|| "1Minute".to_owned()))
            .set_metrics((!metrics.is_empty()).then_some(metrics));
        retry_if(ctx, id, "autoscaling:EnableMetricsCollection", busy, || req.clone().send()).await?;
    }
    Ok(())
}

/// Waits until the group has its desired number of instances in service.
async fn wait_in_service(ctx: &Ctx<'_>, id: &LogicalId, name: &str, props: &GroupProps) -> Result<(), AwsError> {
    let desired = props.desired_capacity.or(props.min_size).unwrap_or(0);
    let idstr = id.as_str();
    let wanted = usize::try_from(desired).unwrap_or(0);
    ctx.wait_for(idstr, &format!("{desired} instances InService"), || async move {
        let Some(g) = describe_group(ctx, idstr, name).await? else {
            return Err(ctx.fail(
                idstr,
                "autoscaling:DescribeAutoScalingGroups",
                format!("the group `{name}` disappeared while waiting for its instances"),
            ));
        };
        let in_service =
            g.instances().iter().filter(|x| x.lifecycle_state() == Some(&LifecycleState::InService)).count();
        Ok((in_service >= wanted).then_some(()))
    })
    .await
}

async fn describe_group(ctx: &Ctx<'_>, id: &str, name: &str) -> Result<Option<AwsGroup>, AwsError> {
    let req = ctx.clients.autoscaling.describe_auto_scaling_groups().auto_scaling_group_names(name);
    let out = ctx.retry(id, "autoscaling:DescribeAutoScalingGroups", &[], || req.clone().send()).await?;
    Ok(out.auto_scaling_groups().iter().find(|g| !is_deleting(g)).cloned())
}

fn is_deleting(g: &AwsGroup) -> bool {
    g.status().is_some_and(|s| s.starts_with("Delete"))
}

async fn read_group(ctx: &Ctx<'_>, id: &LogicalId, name: &str) -> Result<Observed, AwsError> {
    match describe_group(ctx, id.as_str(), name).await? {
        Some(g) => Ok(observe_group(id.clone(), &g)),
        None => {
            Err(ctx.fail(id.as_str(), "autoscaling:DescribeAutoScalingGroups", format!("the group `{name}` is gone")))
        }
    }
}

fn observe_group(id: LogicalId, g: &AwsGroup) -> Observed {
    let name = g.auto_scaling_group_name().unwrap_or_default();
    // A blue/green rollout's green group has a suffixed name and says the stack's name in a tag.
    let stack_name = g.tags().iter().find(|t| t.key() == Some(TAG_NAME)).and_then(|t| t.value()).unwrap_or(name);
    let mut o = Observed::new(id, SdkKind::AutoScalingGroup.cfn_type(), name)
        .attr("AutoScalingGroupName", name)
        .prop("AutoScalingGroupName", stack_name);
    if let Some(arn) = g.auto_scaling_group_arn() {
        o = o.attr("Arn", arn);
    }
    if let Some(lt) = g.launch_template() {
        let mut spec = Map::new();
        for (k, v) in [
            ("LaunchTemplateId", lt.launch_template_id()),
            ("LaunchTemplateName", lt.launch_template_name()),
            ("Version", lt.version()),
        ] {
            if let Some(v) = v {
                spec.insert(k.into(), json!(v));
            }
        }
        o = o.prop("LaunchTemplate", spec);
    }
    // CloudFormation gives the sizes as strings.
    for (k, v) in [("MinSize", g.min_size()), ("MaxSize", g.max_size()), ("DesiredCapacity", g.desired_capacity())] {
        if let Some(v) = v {
            o = o.prop(k, v.to_string());
        }
    }
    let subnets: Vec<Json> = g
        .vpc_zone_identifier()
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(|x| json!(x))
        .collect();
    if !subnets.is_empty() {
        o = o.prop("VPCZoneIdentifier", subnets);
    }
    if !g.target_group_arns().is_empty() {
        o = o.prop("TargetGroupARNs", g.target_group_arns().to_vec());
    }
    if let Some(t) = g.health_check_type() {
        o = o.prop("HealthCheckType", t);
    }
    if let Some(p) = g.health_check_grace_period() {
        o = o.prop("HealthCheckGracePeriod", p);
    }
    // Metrics by granularity, in CloudFormation's shape.
    let mut by_granularity: Vec<(String, Vec<String>)> = Vec::new();
    for m in g.enabled_metrics() {
        let granularity = m.granularity().unwrap_or("1Minute").to_owned();
        let metric = m.metric().unwrap_or_default().to_owned();
        match by_granularity.iter_mut().find(|(gr, _)| *gr == granularity) {
            Some((_, ms)) => ms.push(metric),
            None => by_granularity.push((granularity, vec![metric])),
        }
    }
    if !by_granularity.is_empty() {
        let metrics: Vec<Json> =
            by_granularity.into_iter().map(|(g, ms)| json!({ "Granularity": g, "Metrics": ms })).collect();
        o = o.prop("MetricsCollection", metrics);
    }
    o
}

fn launch_template(props: &GroupProps) -> Option<LaunchTemplateSpecification> {
    let lt = props.launch_template.as_ref()?;
    Some(
        LaunchTemplateSpecification::builder()
            .set_launch_template_id(lt.launch_template_id.clone())
            .set_launch_template_name(lt.launch_template_name.clone())
            .set_version(lt.version.clone())
            .build(),
    )
}

/// `VPCZoneIdentifier`: a list in CloudFormation, one comma-joined string for the API.
fn zones(props: &GroupProps) -> Option<String> {
    let joined = match &props.vpc_zone_identifier {
        Subnets::None => return None,
        Subnets::List(subnets) => subnets.join(","),
        Subnets::Joined(joined) => joined.clone(),
    };
    (!joined.is_empty()).then_some(joined)
}

/// The group's tags, propagated to instances as the template's `Tags` say (a tag the template
/// does not list, such as `iac:hash`, stays on the group).
fn group_tags(name: &str, props: &GroupProps, tags: &Tags) -> Vec<Tag> {
    let propagate: HashMap<&str, bool> =
        props.tags.iter().map(|t| (t.key.as_str(), t.propagate_at_launch.unwrap_or(true))).collect();
    tags.iter()
        .map(|(k, v)| {
            Tag::builder()
                .resource_id(name)
                .resource_type("auto-scaling-group")
                .key(k)
                .value(v)
                .propagate_at_launch(k != TAG_HASH && propagate.get(k.as_str()).copied().unwrap_or(true))
                .build()
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Policies

async fn put_policy(ctx: &Ctx<'_>, id: &LogicalId, props: &PolicyProps) -> Result<Observed, AwsError> {
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

fn target_tracking(props: &PolicyProps) -> Option<TargetTrackingConfiguration> {
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
async fn describe_policies(
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

fn observe_policy(id: LogicalId, p: &AwsPolicy) -> Observed {
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
fn policy_arn_parts(arn: &str) -> Option<(String, String)> {
    let (head, name) = arn.rsplit_once(":policyName/")?;
    let (_, group) = head.split_once(":autoScalingGroupName/")?;
    Some((group.to_owned(), name.to_owned()))
}

/// Policy entries of the stack by their deterministic name, with the group they belong to when
/// it is one of this stack's groups (so a policy of that name on another group is not taken).
fn policy_entries(ctx: &Ctx<'_>, groups: &[Observed]) -> HashMap<String, (LogicalId, Option<String>)> {
    ctx.stack
        .resources()
        .filter_map(|e| match &e.resource {
            Resource::ScalingPolicy(p) => {
                let group = match &p.auto_scaling_group_name {
                    Value::Attr(r) => groups.iter().find(|g| g.id == r.id).map(|g| g.physical_id.clone()),
                    Value::Lit(name) => Some(name.clone()),
                    _ => None,
                };
                Some((policy_name(ctx, &e.id), (e.id.clone(), group)))
            }
            _ => None,
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Errors and retries

/// Auto Scaling reports most problems as `ValidationError`; these messages mean "not there yet"
/// (a launch template, target group or instance profile made moments ago).
fn not_visible_yet(code: &str, message: &str) -> bool {
    const HINTS: [&str; 6] = [
        "does not exist",
        "not found",
        "Invalid IAM Instance Profile",
        "Target Groups may not be valid",
        "launch template",
        "instance profile",
    ];
    match code {
        "ValidationError" => HINTS.iter().any(|h| message.contains(h)),
        "InvalidLaunchTemplateName.NotFoundException" | "InvalidLaunchTemplateId.NotFound" | "TargetGroupNotFound" => {
            true
        }
        other => busy(other, message),
    }
}

/// A scaling activity or another update is under way.
fn busy(code: &str, _message: &str) -> bool {
    matches!(code, "ScalingActivityInProgress" | "ResourceInUse" | "ResourceContention")
}

/// `Ok(None)` when the group or policy does not exist.
fn ignore_not_found<T, E: ProvideErrorMetadata, R>(
    result: Result<T, SdkError<E, R>>,
) -> Result<Option<T>, SdkError<E, R>> {
    absent(result, |s| {
        s.code() == Some("ValidationError")
            && s.message().is_some_and(|m| m.contains("not found") || m.contains("does not exist"))
    })
}

/// Like [`Ctx::retry`], for errors recognised by code *and message* (`transient`), on top of
/// throttling and transport errors. (Auto Scaling and ELB report most problems as
/// `ValidationError`, where only the message tells "not visible yet" from a real mistake.)
pub(crate) async fn retry_if<T, E, R, F, Fut>(
    ctx: &Ctx<'_>,
    id: &str,
    action: &str,
    transient: fn(&str, &str) -> bool,
    mut call: F,
) -> Result<T, AwsError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, SdkError<E, R>>>,
    E: std::error::Error + ProvideErrorMetadata + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    const THROTTLING: [&str; 3] = ["Throttling", "ThrottlingException", "RequestLimitExceeded"];
    let mut attempt: u32 = 0;
    loop {
        match call().await {
            Ok(v) => return Ok(v),
            Err(err) => {
                attempt += 1;
                let retry = match &err {
                    SdkError::ServiceError(e) => {
                        let code = e.err().code().unwrap_or_default();
                        THROTTLING.contains(&code) || transient(code, e.err().message().unwrap_or_default())
                    }
                    SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) => true,
                    _ => false,
                };
                if !retry || attempt >= ctx.timing.attempts {
                    return Err(ctx.sdk_error(id, action, err));
                }
                tokio::time::sleep(backoff(ctx.timing.backoff, attempt)).await;
            }
        }
    }
}

/// `base * 2^(attempt-1)`, capped at 20 s, with jitter from the clock.
fn backoff(base: Duration, attempt: u32) -> Duration {
    let ceiling = base.saturating_mul(1 << attempt.min(10).saturating_sub(1)).min(Duration::from_secs(20));
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    ceiling.mul_f64(0.5 + f64::from(nanos % 500) / 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_arns_split_into_group_and_name() {
        let arn = "arn:aws:autoscaling:us-east-1:123456789012:scalingPolicy:c322761b-3172:autoScalingGroupName/web-asg:policyName/app-prod-Cpu";
        assert_eq!(policy_arn_parts(arn), Some(("web-asg".into(), "app-prod-Cpu".into())));
        assert_eq!(policy_arn_parts("not an arn"), None);
    }

    #[test]
    fn validation_errors_that_mean_not_yet_are_retried() {
        assert!(not_visible_yet("ValidationError", "Invalid IAM Instance Profile name"));
        assert!(not_visible_yet("ScalingActivityInProgress", ""));
        assert!(!not_visible_yet("ValidationError", "Max bound, 1, must be greater than or equal to min bound, 2"));
    }
}
