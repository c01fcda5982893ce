//! `AWS::ElasticLoadBalancingV2::LoadBalancer`: waited on until `active`, then given its
//! attributes; subnets, security groups and attributes change in place.

use super::{
    Adapter, AwsError, AwsLoadBalancer, CfnTag, Ctx, Deserialize, Desired, IpAddressType, Json, LB_ATTRIBUTES,
    LB_CONSISTENCY, LoadBalancer, LoadBalancerAttribute, LoadBalancerSchemeEnum, LoadBalancerStateEnum,
    LoadBalancerTypeEnum, LogicalId, Map, Observed, ResourceEntry, SdkKind, Tags, absent_on, adapter, add_tags, de,
    json, ours_by_arn, paged_items, same_set, sdk_tags,
};

/// The desired properties of an `AWS::ElasticLoadBalancingV2::LoadBalancer`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct LoadBalancerProps {
    pub(crate) name: String,
    #[serde(default)]
    pub(crate) r#type: Option<String>,
    #[serde(default)]
    pub(crate) scheme: Option<String>,
    #[serde(default)]
    pub(crate) ip_address_type: Option<String>,
    #[serde(default)]
    pub(crate) subnets: Vec<String>,
    #[serde(default)]
    pub(crate) security_groups: Vec<String>,
    #[serde(default)]
    pub(crate) load_balancer_attributes: Vec<KeyValue>,
    #[serde(default)]
    pub(crate) tags: Vec<CfnTag>,
}

/// A `{ Key, Value }` attribute.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct KeyValue {
    pub(crate) key: String,
    #[serde(deserialize_with = "de::text")]
    pub(crate) value: String,
}

impl Desired for LoadBalancerProps {
    fn template_tags(&self) -> Vec<(&str, &str)> {
        adapter::pairs(&self.tags)
    }
}

impl Adapter for LoadBalancer {
    type Props = LoadBalancerProps;
    const REPLACED_BY: &'static [&'static str] = &["Name", "Scheme", "Type"];

    /// Creates the load balancer and waits until it is active.
    async fn create(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        props: &LoadBalancerProps,
        tags: &Tags,
    ) -> Result<Observed, AwsError> {
        create_load_balancer(ctx, &entry.id, props, tags).await
    }

    /// Subnets, security groups and attributes change in place.
    async fn update(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        current: &Observed,
        props: &LoadBalancerProps,
        tags: &Tags,
    ) -> Result<Observed, AwsError> {
        let id = entry.id.as_str();
        let arn = current.physical_id.as_str();
        let elb = &ctx.clients.elbv2;
        let subnets = props.subnets.clone();
        if !subnets.is_empty() && !same_set(&subnets, &listed(&current.props, "Subnets")) {
            let req = elb.set_subnets().load_balancer_arn(arn).set_subnets(Some(subnets));
            ctx.retry(id, "elasticloadbalancing:SetSubnets", &LB_CONSISTENCY, || req.clone().send()).await?;
        }
        let groups = props.security_groups.clone();
        if !groups.is_empty() && !same_set(&groups, &listed(&current.props, "SecurityGroups")) {
            let req = elb.set_security_groups().load_balancer_arn(arn).set_security_groups(Some(groups));
            ctx.retry(id, "elasticloadbalancing:SetSecurityGroups", &LB_CONSISTENCY, || req.clone().send()).await?;
        }
        set_lb_attributes(ctx, id, arn, props).await?;
        add_tags(ctx, id, arn, tags).await?;
        wait_active(ctx, &entry.id, arn).await?;
        read_load_balancer(ctx, &entry.id, arn).await
    }

    /// Turns deletion protection off (the engine deletes only what the user asked it to), deletes
    /// and waits until it is gone.
    async fn delete(ctx: &Ctx<'_>, current: &Observed) -> Result<(), AwsError> {
        let id = current.id.as_str();
        let arn = current.physical_id.as_str();
        let elb = &ctx.clients.elbv2;
        let off = elb
            .modify_load_balancer_attributes()
            .load_balancer_arn(arn)
            .attributes(LoadBalancerAttribute::builder().key("deletion_protection.enabled").value("false").build());
        let found = ctx
            .retry(id, "elasticloadbalancing:ModifyLoadBalancerAttributes", &[], || {
                let req = off.clone();
                async move { absent_on(req.send().await, &["LoadBalancerNotFound"]) }
            })
            .await?;
        if found.is_none() {
            return Ok(());
        }
        let req = elb.delete_load_balancer().load_balancer_arn(arn);
        ctx.retry(id, "elasticloadbalancing:DeleteLoadBalancer", &["ResourceInUse"], || {
            let req = req.clone();
            async move { absent_on(req.send().await, &["LoadBalancerNotFound"]) }
        })
        .await?;
        ctx.wait_gone(id, || describe_load_balancer(ctx, id, arn)).await
    }
}

/// A list of strings read back into an observation.
pub(super) fn listed(props: &Map<String, Json>, key: &str) -> Vec<String> {
    props
        .get(key)
        .and_then(Json::as_array)
        .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------
// Load balancers

pub(super) async fn create_load_balancer(
    ctx: &Ctx<'_>,
    id: &LogicalId,
    props: &LoadBalancerProps,
    tags: &Tags,
) -> Result<Observed, AwsError> {
    let groups = props.security_groups.clone();
    let req = ctx
        .clients
        .elbv2
        .create_load_balancer()
        .name(&props.name)
        .set_subnets(Some(props.subnets.clone()))
        .set_security_groups((!groups.is_empty()).then_some(groups))
        .set_scheme(props.scheme.as_deref().map(LoadBalancerSchemeEnum::from))
        .set_type(props.r#type.as_deref().map(LoadBalancerTypeEnum::from))
        .set_ip_address_type(props.ip_address_type.as_deref().map(IpAddressType::from))
        .set_tags(Some(sdk_tags(tags)));
    let out = ctx
        .retry(id.as_str(), "elasticloadbalancing:CreateLoadBalancer", &LB_CONSISTENCY, || req.clone().send())
        .await?;
    let arn = out.load_balancers().first().and_then(AwsLoadBalancer::load_balancer_arn).map(str::to_owned);
    let arn =
        arn.ok_or_else(|| ctx.fail(id.as_str(), "elasticloadbalancing:CreateLoadBalancer", "no load balancer ARN"))?;
    wait_active(ctx, id, &arn).await?;
    set_lb_attributes(ctx, id.as_str(), &arn, props).await?;
    read_load_balancer(ctx, id, &arn).await
}

pub(super) async fn wait_active(ctx: &Ctx<'_>, id: &LogicalId, arn: &str) -> Result<(), AwsError> {
    let idstr = id.as_str();
    ctx.wait_for(idstr, "active", || async move {
        let lb = describe_load_balancer(ctx, idstr, arn).await?;
        match lb.as_ref().and_then(AwsLoadBalancer::state).and_then(|s| s.code()) {
            Some(LoadBalancerStateEnum::Active) => Ok(Some(())),
            Some(LoadBalancerStateEnum::Failed) => {
                let reason =
                    lb.as_ref().and_then(AwsLoadBalancer::state).and_then(|s| s.reason()).unwrap_or("no reason given");
                Err(ctx.fail(
                    idstr,
                    "elasticloadbalancing:DescribeLoadBalancers",
                    format!("the load balancer failed: {reason}"),
                ))
            }
            _ => Ok(None),
        }
    })
    .await
}

pub(super) async fn describe_load_balancer(
    ctx: &Ctx<'_>,
    id: &str,
    arn: &str,
) -> Result<Option<AwsLoadBalancer>, AwsError> {
    let req = ctx.clients.elbv2.describe_load_balancers().load_balancer_arns(arn);
    let out = ctx
        .retry(id, "elasticloadbalancing:DescribeLoadBalancers", &[], || {
            let req = req.clone();
            async move { absent_on(req.send().await, &["LoadBalancerNotFound"]) }
        })
        .await?;
    Ok(out.and_then(|o| o.load_balancers().first().cloned()))
}

pub(super) async fn set_lb_attributes(
    ctx: &Ctx<'_>,
    id: &str,
    arn: &str,
    props: &LoadBalancerProps,
) -> Result<(), AwsError> {
    let attrs: Vec<LoadBalancerAttribute> = props
        .load_balancer_attributes
        .iter()
        .filter(|a| !a.key.is_empty())
        .map(|a| LoadBalancerAttribute::builder().key(&a.key).value(&a.value).build())
        .collect();
    if attrs.is_empty() {
        return Ok(());
    }
    let req = ctx.clients.elbv2.modify_load_balancer_attributes().load_balancer_arn(arn).set_attributes(Some(attrs));
    ctx.retry(id, "elasticloadbalancing:ModifyLoadBalancerAttributes", &["LoadBalancerNotFound"], || {
        req.clone().send()
    })
    .await?;
    Ok(())
}

pub(super) async fn read_load_balancer(ctx: &Ctx<'_>, id: &LogicalId, arn: &str) -> Result<Observed, AwsError> {
    let lb = describe_load_balancer(ctx, id.as_str(), arn).await?;
    let lb = lb.ok_or_else(|| {
        ctx.fail(id.as_str(), "elasticloadbalancing:DescribeLoadBalancers", "the load balancer is gone")
    })?;
    observe_load_balancer(ctx, id.clone(), &lb).await
}

pub(super) async fn observe_load_balancer(
    ctx: &Ctx<'_>,
    id: LogicalId,
    lb: &AwsLoadBalancer,
) -> Result<Observed, AwsError> {
    let arn = lb.load_balancer_arn().unwrap_or_default().to_owned();
    let req = ctx.clients.elbv2.describe_load_balancer_attributes().load_balancer_arn(&arn);
    let attrs = ctx
        .retry(id.as_str(), "elasticloadbalancing:DescribeLoadBalancerAttributes", &[], || req.clone().send())
        .await?;
    let attributes: Vec<Json> = attrs
        .attributes()
        .iter()
        .filter(|a| a.key().is_some_and(|k| LB_ATTRIBUTES.contains(&k)))
        .map(|a| json!({ "Key": a.key().unwrap_or_default(), "Value": a.value().unwrap_or_default() }))
        .collect();
    let name = lb.load_balancer_name().unwrap_or_default();
    let full_name = arn.split_once(":loadbalancer/").map_or("", |(_, rest)| rest);
    let mut o = Observed::new(id, SdkKind::LoadBalancer.cfn_type(), &arn)
        .attr("LoadBalancerArn", &arn)
        .attr("DNSName", lb.dns_name().unwrap_or_default())
        .attr("CanonicalHostedZoneID", lb.canonical_hosted_zone_id().unwrap_or_default())
        .attr("LoadBalancerFullName", full_name)
        .attr("LoadBalancerName", name)
        .prop("Name", name);
    if let Some(t) = lb.r#type() {
        o = o.prop("Type", t.as_str());
    }
    if let Some(scheme) = lb.scheme() {
        o = o.prop("Scheme", scheme.as_str());
    }
    let subnets: Vec<Json> = lb.availability_zones().iter().filter_map(|z| z.subnet_id()).map(|x| json!(x)).collect();
    if !subnets.is_empty() {
        o = o.prop("Subnets", subnets);
    }
    if !lb.security_groups().is_empty() {
        o = o.prop("SecurityGroups", lb.security_groups().to_vec());
    }
    if !attributes.is_empty() {
        o = o.prop("LoadBalancerAttributes", attributes);
    }
    Ok(o)
}

pub(super) async fn discover_load_balancers(ctx: &Ctx<'_>) -> Result<Vec<Observed>, AwsError> {
    let elb = &ctx.clients.elbv2;
    let all = paged_items(
        ctx,
        "-",
        "elasticloadbalancing:DescribeLoadBalancers",
        |marker| elb.describe_load_balancers().set_marker(marker).send(),
        |p| (p.load_balancers(), p.next_marker().filter(|m| !m.is_empty())),
    )
    .await?;
    let mut out = Vec::new();
    for (id, hash, x) in ours_by_arn(ctx, &all, AwsLoadBalancer::load_balancer_arn, "LoadBalancerNotFound").await? {
        let mut o = observe_load_balancer(ctx, id, x).await?;
        o.hash = hash;
        out.push(o);
    }
    Ok(out)
}
