//! `AWS::AutoScaling::AutoScalingGroup`: created with its launch template, subnets, target groups
//! and tags, waited on until its instances are `InService`; deleted with its instances.

use super::{
    Adapter, AutoScalingGroup, AwsError, AwsGroup, Ctx, Deserialize, Desired, HashMap, Json,
    LaunchTemplateSpecification, LifecycleState, LogicalId, Map, Observed, ResourceEntry, SdkKind, TAG_HASH, TAG_NAME,
    Tag, Tags, busy, de, ignore_not_found, json, not_visible_yet, retry_if,
};

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

// ---------------------------------------------------------------------------------------------
// Groups

pub(super) async fn create_group(
    ctx: &Ctx<'_>,
    id: &LogicalId,
    props: &GroupProps,
    tags: &Tags,
) -> Result<Observed, AwsError> {
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

pub(super) async fn update_group(
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
pub(super) async fn set_metrics(
    ctx: &Ctx<'_>,
    id: &str,
    name: &str,
    props: &GroupProps,
    had: bool,
) -> Result<(), AwsError> {
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
pub(super) async fn wait_in_service(
    ctx: &Ctx<'_>,
    id: &LogicalId,
    name: &str,
    props: &GroupProps,
) -> Result<(), AwsError> {
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

pub(super) async fn describe_group(ctx: &Ctx<'_>, id: &str, name: &str) -> Result<Option<AwsGroup>, AwsError> {
    let req = ctx.clients.autoscaling.describe_auto_scaling_groups().auto_scaling_group_names(name);
    let out = ctx.retry(id, "autoscaling:DescribeAutoScalingGroups", &[], || req.clone().send()).await?;
    Ok(out.auto_scaling_groups().iter().find(|g| !is_deleting(g)).cloned())
}

pub(super) fn is_deleting(g: &AwsGroup) -> bool {
    g.status().is_some_and(|s| s.starts_with("Delete"))
}

pub(super) async fn read_group(ctx: &Ctx<'_>, id: &LogicalId, name: &str) -> Result<Observed, AwsError> {
    match describe_group(ctx, id.as_str(), name).await? {
        Some(g) => Ok(observe_group(id.clone(), &g)),
        None => {
            Err(ctx.fail(id.as_str(), "autoscaling:DescribeAutoScalingGroups", format!("the group `{name}` is gone")))
        }
    }
}

pub(super) fn observe_group(id: LogicalId, g: &AwsGroup) -> Observed {
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

pub(super) fn launch_template(props: &GroupProps) -> Option<LaunchTemplateSpecification> {
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
pub(super) fn zones(props: &GroupProps) -> Option<String> {
    let joined = match &props.vpc_zone_identifier {
        Subnets::None => return None,
        Subnets::List(subnets) => subnets.join(","),
        Subnets::Joined(joined) => joined.clone(),
    };
    (!joined.is_empty()).then_some(joined)
}

/// The group's tags, propagated to instances as the template's `Tags` say (a tag the template
/// does not list, such as `iac:hash`, stays on the group).
pub(super) fn group_tags(name: &str, props: &GroupProps, tags: &Tags) -> Vec<Tag> {
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
