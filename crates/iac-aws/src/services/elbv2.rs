//! Elastic Load Balancing v2: application load balancers, target groups and listeners.
//!
//! - `AWS::ElasticLoadBalancingV2::LoadBalancer`: created with its tags, waited on until `active`,
//!   then given its `LoadBalancerAttributes`. `Ref` is the ARN; `DNSName`,
//!   `CanonicalHostedZoneID`, `LoadBalancerFullName` and `LoadBalancerName` are attributes.
//!   Subnets, security groups and attributes change in place. Deleting one turns its deletion
//!   protection off first: the engine only deletes what the user asked it to (destroy, or a
//!   replacement the plan showed).
//! - `AWS::ElasticLoadBalancingV2::TargetGroup`: created with its tags and health check, then
//!   given its `TargetGroupAttributes`. The health check, matcher and attributes change in place
//!   (`ModifyTargetGroup`, `ModifyTargetGroupAttributes`).
//! - `AWS::ElasticLoadBalancingV2::Listener`: created with tags (`iac:*`, which CloudFormation
//!   cannot put on a listener, so the module adds them itself); port, protocol, certificates,
//!   TLS policy and default actions change in place (`ModifyListener`).
//!
//! Discovery: `DescribeLoadBalancers` and `DescribeTargetGroups`, then `DescribeTags` in batches
//! of 20 ARNs, keeping what carries this stack's `iac:stack`/`iac:env` tags. Listeners are found
//! through this stack's load balancers (`DescribeListeners`); a listener without tags (made by
//! another tool, or where tagging a listener is refused) is matched to the stack's own entries by
//! its load balancer's logical id and its port, and has no `iac:hash`.
//!
//! Only the properties this module manages are read back (the attributes the renderer sets, for
//! example), so what is read back equals the template when nothing changed.

use std::collections::{HashMap, HashSet};

use aws_sdk_elasticloadbalancingv2::types::{
    Action, ActionTypeEnum, Certificate, FixedResponseActionConfig, ForwardActionConfig, IpAddressType,
    Listener as AwsListener, LoadBalancer as AwsLoadBalancer, LoadBalancerAttribute, LoadBalancerSchemeEnum,
    LoadBalancerStateEnum, LoadBalancerTypeEnum, Matcher, ProtocolEnum, RedirectActionConfig,
    RedirectActionStatusCodeEnum, TargetGroup as AwsTargetGroup, TargetGroupAttribute, TargetGroupTuple,
    TargetTypeEnum,
};
use iac_core::LogicalId;
use iac_core::model::{Listener, LoadBalancer, Resource, ResourceEntry, TargetGroup};
use iac_core::value::Value;
use serde::Deserialize;
use serde_json::{Map, Value as Json, json};

use super::autoscaling::retry_if;
use super::{Ctx, absent_on, own_tags, paged_items, sdk_tags, tag_pairs};
use crate::adapter::{self, Adapter, CfnTag, Desired, SdkKind, de};
use crate::error::AwsError;
use crate::state::{Observed, TAG_STACK, Tags};

/// Load balancer attributes read back (the ones the renderer sets).
const LB_ATTRIBUTES: [&str; 3] =
    ["deletion_protection.enabled", "routing.http.drop_invalid_header_fields.enabled", "idle_timeout.timeout_seconds"];
/// Target group attributes read back (the ones the renderer sets).
const TG_ATTRIBUTES: [&str; 1] = ["deregistration_delay.timeout_seconds"];

/// A subnet or security group an ELB call cannot see yet right after EC2 created it.
const LB_CONSISTENCY: [&str; 3] = ["SubnetNotFound", "InvalidSubnet", "InvalidSecurityGroup"];

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

/// The desired properties of an `AWS::ElasticLoadBalancingV2::TargetGroup`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct TargetGroupProps {
    pub(crate) name: String,
    #[serde(default, deserialize_with = "de::opt_int")]
    pub(crate) port: Option<i32>,
    #[serde(default)]
    pub(crate) protocol: Option<String>,
    #[serde(default)]
    pub(crate) protocol_version: Option<String>,
    #[serde(default)]
    pub(crate) vpc_id: Option<String>,
    #[serde(default)]
    pub(crate) target_type: Option<String>,
    #[serde(default, deserialize_with = "de::opt_bool")]
    pub(crate) health_check_enabled: Option<bool>,
    #[serde(default)]
    pub(crate) health_check_path: Option<String>,
    #[serde(default, deserialize_with = "de::opt_text")]
    pub(crate) health_check_port: Option<String>,
    #[serde(default)]
    pub(crate) health_check_protocol: Option<String>,
    #[serde(default, deserialize_with = "de::opt_int")]
    pub(crate) health_check_interval_seconds: Option<i32>,
    #[serde(default, deserialize_with = "de::opt_int")]
    pub(crate) health_check_timeout_seconds: Option<i32>,
    #[serde(default, deserialize_with = "de::opt_int")]
    pub(crate) healthy_threshold_count: Option<i32>,
    #[serde(default, deserialize_with = "de::opt_int")]
    pub(crate) unhealthy_threshold_count: Option<i32>,
    #[serde(default)]
    pub(crate) matcher: Option<MatcherProps>,
    #[serde(default)]
    pub(crate) target_group_attributes: Vec<KeyValue>,
    #[serde(default)]
    pub(crate) tags: Vec<CfnTag>,
}

/// A target group's `Matcher`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct MatcherProps {
    #[serde(default, deserialize_with = "de::opt_text")]
    pub(crate) http_code: Option<String>,
    #[serde(default, deserialize_with = "de::opt_text")]
    pub(crate) grpc_code: Option<String>,
}

impl Desired for TargetGroupProps {
    fn template_tags(&self) -> Vec<(&str, &str)> {
        adapter::pairs(&self.tags)
    }
}

/// The desired properties of an `AWS::ElasticLoadBalancingV2::Listener`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct ListenerProps {
    pub(crate) load_balancer_arn: String,
    #[serde(default, deserialize_with = "de::opt_int")]
    pub(crate) port: Option<i32>,
    #[serde(default)]
    pub(crate) protocol: Option<String>,
    #[serde(default)]
    pub(crate) ssl_policy: Option<String>,
    #[serde(default)]
    pub(crate) certificates: Vec<CertificateProps>,
    #[serde(default)]
    pub(crate) default_actions: Vec<ActionProps>,
}

/// A listener's certificate.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct CertificateProps {
    pub(crate) certificate_arn: String,
}

/// A listener action.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct ActionProps {
    pub(crate) r#type: String,
    #[serde(default)]
    pub(crate) target_group_arn: Option<String>,
    #[serde(default, deserialize_with = "de::opt_int")]
    pub(crate) order: Option<i32>,
    #[serde(default)]
    pub(crate) redirect_config: Option<RedirectProps>,
    #[serde(default)]
    pub(crate) fixed_response_config: Option<FixedResponseProps>,
    #[serde(default)]
    pub(crate) forward_config: Option<ForwardProps>,
}

/// A redirect action's configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct RedirectProps {
    #[serde(default)]
    pub(crate) protocol: Option<String>,
    #[serde(default, deserialize_with = "de::opt_text")]
    pub(crate) port: Option<String>,
    #[serde(default)]
    pub(crate) host: Option<String>,
    #[serde(default)]
    pub(crate) path: Option<String>,
    #[serde(default)]
    pub(crate) query: Option<String>,
    pub(crate) status_code: String,
}

/// A fixed-response action's configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct FixedResponseProps {
    #[serde(deserialize_with = "de::text")]
    pub(crate) status_code: String,
    #[serde(default)]
    pub(crate) content_type: Option<String>,
    #[serde(default)]
    pub(crate) message_body: Option<String>,
}

/// A forward action's target groups.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct ForwardProps {
    #[serde(default)]
    pub(crate) target_groups: Vec<WeightedTargetGroup>,
}

/// A target group of a forward action, with its weight.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct WeightedTargetGroup {
    pub(crate) target_group_arn: String,
    #[serde(default, deserialize_with = "de::opt_int")]
    pub(crate) weight: Option<i32>,
}

impl Desired for ListenerProps {}

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

impl Adapter for TargetGroup {
    type Props = TargetGroupProps;
    const REPLACED_BY: &'static [&'static str] =
        &["Name", "Port", "Protocol", "ProtocolVersion", "TargetType", "VpcId", "IpAddressType"];

    /// Creates the target group with its health check and attributes.
    async fn create(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        props: &TargetGroupProps,
        tags: &Tags,
    ) -> Result<Observed, AwsError> {
        create_target_group(ctx, &entry.id, props, tags).await
    }

    /// The health check, matcher and attributes change in place.
    async fn update(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        current: &Observed,
        props: &TargetGroupProps,
        tags: &Tags,
    ) -> Result<Observed, AwsError> {
        let id = entry.id.as_str();
        let arn = current.physical_id.as_str();
        let req = ctx
            .clients
            .elbv2
            .modify_target_group()
            .target_group_arn(arn)
            .set_health_check_enabled(props.health_check_enabled)
            .set_health_check_path(props.health_check_path.clone())
            .set_health_check_port(props.health_check_port.clone())
            .set_health_check_protocol(props.health_check_protocol.as_deref().map(ProtocolEnum::from))
            .set_health_check_interval_seconds(props.health_check_interval_seconds)
            .set_health_check_timeout_seconds(props.health_check_timeout_seconds)
            .set_healthy_threshold_count(props.healthy_threshold_count)
            .set_unhealthy_threshold_count(props.unhealthy_threshold_count)
            .set_matcher(matcher(props));
        ctx.retry(id, "elasticloadbalancing:ModifyTargetGroup", &[], || req.clone().send()).await?;
        set_tg_attributes(ctx, id, arn, props).await?;
        add_tags(ctx, id, arn, tags).await?;
        read_target_group(ctx, &entry.id, arn).await
    }

    /// Deletes the target group (retried while a listener being deleted still uses it).
    async fn delete(ctx: &Ctx<'_>, current: &Observed) -> Result<(), AwsError> {
        let req = ctx.clients.elbv2.delete_target_group().target_group_arn(&current.physical_id);
        ctx.retry(current.id.as_str(), "elasticloadbalancing:DeleteTargetGroup", &["ResourceInUse"], || {
            let req = req.clone();
            async move { absent_on(req.send().await, &["TargetGroupNotFound"]) }
        })
        .await?;
        Ok(())
    }
}

impl Adapter for Listener {
    type Props = ListenerProps;
    const REPLACED_BY: &'static [&'static str] = &["LoadBalancerArn"];

    /// Creates the listener with the engine's own tags (CloudFormation cannot tag one).
    async fn create(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        props: &ListenerProps,
        tags: &Tags,
    ) -> Result<Observed, AwsError> {
        let id = entry.id.as_str();
        let tags = own_tags(ctx, &entry.id, tags);
        let req = ctx
            .clients
            .elbv2
            .create_listener()
            .load_balancer_arn(&props.load_balancer_arn)
            .set_port(props.port)
            .set_protocol(props.protocol.as_deref().map(ProtocolEnum::from))
            .set_ssl_policy(props.ssl_policy.clone())
            .set_certificates(certificates(props))
            .set_default_actions(Some(actions(&props.default_actions)))
            .set_tags(Some(sdk_tags(&tags)));
        let out = ctx
            .retry(id, "elasticloadbalancing:CreateListener", &["TargetGroupNotFound", "CertificateNotFound"], || {
                req.clone().send()
            })
            .await?;
        let arn = out.listeners().first().and_then(AwsListener::listener_arn).map(str::to_owned);
        let arn = arn.ok_or_else(|| ctx.fail(id, "elasticloadbalancing:CreateListener", "no listener ARN"))?;
        read_listener(ctx, &entry.id, &arn).await
    }

    /// Port, protocol, certificates, TLS policy and default actions change in place.
    async fn update(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        current: &Observed,
        props: &ListenerProps,
        tags: &Tags,
    ) -> Result<Observed, AwsError> {
        let id = entry.id.as_str();
        let arn = current.physical_id.as_str();
        let req = ctx
            .clients
            .elbv2
            .modify_listener()
            .listener_arn(arn)
            .set_port(props.port)
            .set_protocol(props.protocol.as_deref().map(ProtocolEnum::from))
            .set_ssl_policy(props.ssl_policy.clone())
            .set_certificates(certificates(props))
            .set_default_actions(Some(actions(&props.default_actions)));
        ctx.retry(id, "elasticloadbalancing:ModifyListener", &["TargetGroupNotFound", "CertificateNotFound"], || {
            req.clone().send()
        })
        .await?;
        add_tags(ctx, id, arn, &own_tags(ctx, &entry.id, tags)).await?;
        read_listener(ctx, &entry.id, arn).await
    }

    /// Deletes the listener.
    async fn delete(ctx: &Ctx<'_>, current: &Observed) -> Result<(), AwsError> {
        let req = ctx.clients.elbv2.delete_listener().listener_arn(&current.physical_id);
        ctx.retry(current.id.as_str(), "elasticloadbalancing:DeleteListener", &[], || {
            let req = req.clone();
            async move { absent_on(req.send().await, &["ListenerNotFound"]) }
        })
        .await?;
        Ok(())
    }
}

/// A list of strings read back into an observation.
fn listed(props: &Map<String, Json>, key: &str) -> Vec<String> {
    props
        .get(key)
        .and_then(Json::as_array)
        .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}

/// Finds this stack's load balancers and target groups by their tags, and the listeners of those
/// load balancers (by tags, or by port for untagged ones).
pub async fn discover(ctx: &Ctx<'_>) -> Result<Vec<Observed>, AwsError> {
    let (lbs, tgs) = tokio::join!(discover_load_balancers(ctx), discover_target_groups(ctx));
    let (lbs, tgs) = (lbs?, tgs?);
    let listeners = discover_listeners(ctx, &lbs).await?;
    Ok(lbs.into_iter().chain(tgs).chain(listeners).collect())
}

// ---------------------------------------------------------------------------------------------
// Load balancers

async fn create_load_balancer(
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

async fn wait_active(ctx: &Ctx<'_>, id: &LogicalId, arn: &str) -> Result<(), AwsError> {
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

async fn describe_load_balancer(ctx: &Ctx<'_>, id: &str, arn: &str) -> Result<Option<AwsLoadBalancer>, AwsError> {
    let req = ctx.clients.elbv2.describe_load_balancers().load_balancer_arns(arn);
    let out = ctx
        .retry(id, "elasticloadbalancing:DescribeLoadBalancers", &[], || {
            let req = req.clone();
            async move { absent_on(req.send().await, &["LoadBalancerNotFound"]) }
        })
        .await?;
    Ok(out.and_then(|o| o.load_balancers().first().cloned()))
}

async fn set_lb_attributes(ctx: &Ctx<'_>, id: &str, arn: &str, props: &LoadBalancerProps) -> Result<(), AwsError> {
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

async fn read_load_balancer(ctx: &Ctx<'_>, id: &LogicalId, arn: &str) -> Result<Observed, AwsError> {
    let lb = describe_load_balancer(ctx, id.as_str(), arn).await?;
    let lb = lb.ok_or_else(|| {
        ctx.fail(id.as_str(), "elasticloadbalancing:DescribeLoadBalancers", "the load balancer is gone")
    })?;
    observe_load_balancer(ctx, id.clone(), &lb).await
}

async fn observe_load_balancer(ctx: &Ctx<'_>, id: LogicalId, lb: &AwsLoadBalancer) -> Result<Observed, AwsError> {
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

async fn discover_load_balancers(ctx: &Ctx<'_>) -> Result<Vec<Observed>, AwsError> {
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

// ---------------------------------------------------------------------------------------------
// Target groups

async fn create_target_group(
    ctx: &Ctx<'_>,
    id: &LogicalId,
    props: &TargetGroupProps,
    tags: &Tags,
) -> Result<Observed, AwsError> {
    let req = ctx
        .clients
        .elbv2
        .create_target_group()
        .name(&props.name)
        .set_port(props.port)
        .set_protocol(props.protocol.as_deref().map(ProtocolEnum::from))
        .set_protocol_version(props.protocol_version.clone())
        .set_vpc_id(props.vpc_id.clone())
        .set_target_type(props.target_type.as_deref().map(TargetTypeEnum::from))
        .set_health_check_enabled(props.health_check_enabled)
        .set_health_check_path(props.health_check_path.clone())
        .set_health_check_port(props.health_check_port.clone())
        .set_health_check_protocol(props.health_check_protocol.as_deref().map(ProtocolEnum::from))
        .set_health_check_interval_seconds(props.health_check_interval_seconds)
        .set_health_check_timeout_seconds(props.health_check_timeout_seconds)
        .set_healthy_threshold_count(props.healthy_threshold_count)
        .set_unhealthy_threshold_count(props.unhealthy_threshold_count)
        .set_matcher(matcher(props))
        .set_tags(Some(sdk_tags(tags)));
    // A VPC EC2 just created may not be visible to ELB yet ("ValidationError: The VPC ID ... is not found").
    let vpc_not_yet = |code: &str, message: &str| code == "ValidationError" && message.contains("not found");
    let out = retry_if(ctx, id.as_str(), "elasticloadbalancing:CreateTargetGroup", vpc_not_yet, || req.clone().send())
        .await?;
    let arn = out.target_groups().first().and_then(AwsTargetGroup::target_group_arn).map(str::to_owned);
    let arn =
        arn.ok_or_else(|| ctx.fail(id.as_str(), "elasticloadbalancing:CreateTargetGroup", "no target group ARN"))?;
    set_tg_attributes(ctx, id.as_str(), &arn, props).await?;
    read_target_group(ctx, id, &arn).await
}

async fn set_tg_attributes(ctx: &Ctx<'_>, id: &str, arn: &str, props: &TargetGroupProps) -> Result<(), AwsError> {
    let attrs: Vec<TargetGroupAttribute> = props
        .target_group_attributes
        .iter()
        .filter(|a| !a.key.is_empty())
        .map(|a| TargetGroupAttribute::builder().key(&a.key).value(&a.value).build())
        .collect();
    if attrs.is_empty() {
        return Ok(());
    }
    let req = ctx.clients.elbv2.modify_target_group_attributes().target_group_arn(arn).set_attributes(Some(attrs));
    ctx.retry(id, "elasticloadbalancing:ModifyTargetGroupAttributes", &["TargetGroupNotFound"], || req.clone().send())
        .await?;
    Ok(())
}

async fn read_target_group(ctx: &Ctx<'_>, id: &LogicalId, arn: &str) -> Result<Observed, AwsError> {
    let req = ctx.clients.elbv2.describe_target_groups().target_group_arns(arn);
    let out = ctx
        .retry(id.as_str(), "elasticloadbalancing:DescribeTargetGroups", &["TargetGroupNotFound"], || {
            req.clone().send()
        })
        .await?;
    let tg = out.target_groups().first().ok_or_else(|| {
        ctx.fail(id.as_str(), "elasticloadbalancing:DescribeTargetGroups", "the target group is gone")
    })?;
    observe_target_group(ctx, id.clone(), tg).await
}

async fn observe_target_group(ctx: &Ctx<'_>, id: LogicalId, tg: &AwsTargetGroup) -> Result<Observed, AwsError> {
    let arn = tg.target_group_arn().unwrap_or_default().to_owned();
    let req = ctx.clients.elbv2.describe_target_group_attributes().target_group_arn(&arn);
    let attrs = ctx
        .retry(id.as_str(), "elasticloadbalancing:DescribeTargetGroupAttributes", &[], || req.clone().send())
        .await?;
    let attributes: Vec<Json> = attrs
        .attributes()
        .iter()
        .filter(|a| a.key().is_some_and(|k| TG_ATTRIBUTES.contains(&k)))
        .map(|a| json!({ "Key": a.key().unwrap_or_default(), "Value": a.value().unwrap_or_default() }))
        .collect();
    let name = tg.target_group_name().unwrap_or_default();
    let full_name = arn.split_once(":targetgroup/").map_or(String::new(), |(_, rest)| format!("targetgroup/{rest}"));
    let mut o = Observed::new(id, SdkKind::TargetGroup.cfn_type(), &arn)
        .attr("TargetGroupArn", &arn)
        .attr("TargetGroupFullName", full_name)
        .attr("TargetGroupName", name)
        .prop("Name", name);
    let mut put = |k: &str, v: Option<Json>| {
        if let Some(v) = v {
            o.props.insert(k.to_owned(), v);
        }
    };
    put("Port", tg.port().map(Json::from));
    put("Protocol", tg.protocol().map(|p| json!(p.as_str())));
    put("VpcId", tg.vpc_id().map(Json::from));
    put("TargetType", tg.target_type().map(|t| json!(t.as_str())));
    put("HealthCheckEnabled", tg.health_check_enabled().map(Json::from));
    put("HealthCheckPath", tg.health_check_path().map(Json::from));
    put("HealthCheckPort", tg.health_check_port().map(Json::from));
    put("HealthCheckProtocol", tg.health_check_protocol().map(|p| json!(p.as_str())));
    put("HealthCheckIntervalSeconds", tg.health_check_interval_seconds().map(Json::from));
    put("HealthCheckTimeoutSeconds", tg.health_check_timeout_seconds().map(Json::from));
    put("HealthyThresholdCount", tg.healthy_threshold_count().map(Json::from));
    put("UnhealthyThresholdCount", tg.unhealthy_threshold_count().map(Json::from));
    put("Matcher", tg.matcher().and_then(Matcher::http_code).map(|c| json!({ "HttpCode": c })));
    put("TargetGroupAttributes", (!attributes.is_empty()).then_some(Json::Array(attributes)));
    Ok(o)
}

async fn discover_target_groups(ctx: &Ctx<'_>) -> Result<Vec<Observed>, AwsError> {
    let elb = &ctx.clients.elbv2;
    let all = paged_items(
        ctx,
        "-",
        "elasticloadbalancing:DescribeTargetGroups",
        |marker| elb.describe_target_groups().set_marker(marker).send(),
        |p| (p.target_groups(), p.next_marker().filter(|m| !m.is_empty())),
    )
    .await?;
    let mut out = Vec::new();
    for (id, hash, x) in ours_by_arn(ctx, &all, AwsTargetGroup::target_group_arn, "TargetGroupNotFound").await? {
        let mut o = observe_target_group(ctx, id, x).await?;
        o.hash = hash;
        out.push(o);
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Listeners

async fn read_listener(ctx: &Ctx<'_>, id: &LogicalId, arn: &str) -> Result<Observed, AwsError> {
    let req = ctx.clients.elbv2.describe_listeners().listener_arns(arn);
    let out = ctx
        .retry(id.as_str(), "elasticloadbalancing:DescribeListeners", &["ListenerNotFound"], || req.clone().send())
        .await?;
    let l = out
        .listeners()
        .first()
        .ok_or_else(|| ctx.fail(id.as_str(), "elasticloadbalancing:DescribeListeners", "the listener is gone"))?;
    Ok(observe_listener(id.clone(), l))
}

fn observe_listener(id: LogicalId, l: &AwsListener) -> Observed {
    let arn = l.listener_arn().unwrap_or_default();
    let mut o = Observed::new(id, SdkKind::Listener.cfn_type(), arn).attr("ListenerArn", arn);
    if let Some(lb) = l.load_balancer_arn() {
        o = o.prop("LoadBalancerArn", lb);
    }
    if let Some(port) = l.port() {
        o = o.prop("Port", port);
    }
    let protocol = l.protocol().map(ProtocolEnum::as_str).unwrap_or_default();
    if !protocol.is_empty() {
        o = o.prop("Protocol", protocol);
    }
    o = o.prop("DefaultActions", l.default_actions().iter().map(action_json).collect::<Vec<_>>());
    // Plain HTTP listeners have neither (moto reports a TLS policy on them anyway).
    if matches!(protocol, "HTTPS" | "TLS") {
        let certs: Vec<Json> = l
            .certificates()
            .iter()
            .filter_map(|c| c.certificate_arn())
            .map(|c| json!({ "CertificateArn": c }))
            .collect();
        o = o.prop("Certificates", certs);
        if let Some(p) = l.ssl_policy() {
            o = o.prop("SslPolicy", p);
        }
    }
    o
}

fn action_json(a: &Action) -> Json {
    let mut m = Map::new();
    if let Some(t) = a.r#type() {
        m.insert("Type".into(), json!(t.as_str()));
    }
    if let Some(arn) = a.target_group_arn() {
        m.insert("TargetGroupArn".into(), json!(arn));
    }
    if let Some(order) = a.order() {
        m.insert("Order".into(), json!(order));
    }
    if let Some(r) = a.redirect_config() {
        let mut c = Map::new();
        for (k, v) in [
            ("Protocol", r.protocol()),
            ("Port", r.port()),
            ("Host", r.host()),
            ("Path", r.path()),
            ("Query", r.query()),
        ] {
            if let Some(v) = v {
                c.insert(k.into(), json!(v));
            }
        }
        if let Some(code) = r.status_code() {
            c.insert("StatusCode".into(), json!(code.as_str()));
        }
        m.insert("RedirectConfig".into(), Json::Object(c));
    }
    if let Some(f) = a.fixed_response_config() {
        let mut c = Map::new();
        for (k, v) in
            [("StatusCode", f.status_code()), ("ContentType", f.content_type()), ("MessageBody", f.message_body())]
        {
            if let Some(v) = v {
                c.insert(k.into(), json!(v));
            }
        }
        m.insert("FixedResponseConfig".into(), Json::Object(c));
    }
    if let Some(f) = a.forward_config() {
        let groups: Vec<Json> = f
            .target_groups()
            .iter()
            .map(|t| {
                let mut g = json!({ "TargetGroupArn": t.target_group_arn().unwrap_or_default() });
                if let Some(w) = t.weight() {
                    g["Weight"] = json!(w);
                }
                g
            })
            .collect();
        m.insert("ForwardConfig".into(), json!({ "TargetGroups": groups }));
    }
    Json::Object(m)
}

/// The listeners of this stack's load balancers: tagged ones by their tags, untagged ones by
/// matching the stack's listener entries (same load balancer, same port).
async fn discover_listeners(ctx: &Ctx<'_>, lbs: &[Observed]) -> Result<Vec<Observed>, AwsError> {
    let mut out = Vec::new();
    for lb in lbs {
        let mut found = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let req =
                ctx.clients.elbv2.describe_listeners().load_balancer_arn(&lb.physical_id).set_marker(marker.clone());
            let page = ctx
                .retry(lb.id.as_str(), "elasticloadbalancing:DescribeListeners", &[], || {
                    let req = req.clone();
                    async move { absent_on(req.send().await, &["LoadBalancerNotFound"]) }
                })
                .await?;
            let Some(page) = page else { break };
            found.extend(page.listeners().iter().cloned());
            marker = page.next_marker().filter(|m| !m.is_empty()).map(str::to_owned);
            if marker.is_none() {
                break;
            }
        }
        let arns: Vec<String> = found.iter().filter_map(|l| l.listener_arn().map(str::to_owned)).collect();
        let tags = tags_of(ctx, &arns, "ListenerNotFound").await?;
        let mut untagged = Vec::new();
        let mut seen: HashSet<LogicalId> = HashSet::new();
        for l in &found {
            let t = l.listener_arn().and_then(|a| tags.get(a));
            match t.and_then(|t| ctx.ours(t)) {
                Some((id, hash)) => {
                    seen.insert(id.clone());
                    let mut o = observe_listener(id, l);
                    o.hash = hash;
                    out.push(o);
                }
                None if t.is_none_or(|t| !t.iter().any(|(k, _)| k == TAG_STACK)) => untagged.push(l),
                None => {}
            }
        }
        for l in untagged {
            let entry = ctx.stack.resources().find(|e| match &e.resource {
                Resource::Listener(x) => {
                    !seen.contains(&e.id)
                        && matches!(&x.load_balancer_arn, Value::Attr(r) if r.id == lb.id)
                        && l.port() == Some(i32::from(x.port))
                }
                _ => false,
            });
            if let Some(entry) = entry {
                seen.insert(entry.id.clone());
                out.push(observe_listener(entry.id.clone(), l));
            }
        }
    }
    Ok(out)
}

fn certificates(props: &ListenerProps) -> Option<Vec<Certificate>> {
    let certs: Vec<Certificate> =
        props.certificates.iter().map(|c| Certificate::builder().certificate_arn(&c.certificate_arn).build()).collect();
    (!certs.is_empty()).then_some(certs)
}

/// `DefaultActions` in CloudFormation's shape to SDK actions.
fn actions(list: &[ActionProps]) -> Vec<Action> {
    list.iter()
        .map(|a| {
            let mut builder = Action::builder()
                .r#type(ActionTypeEnum::from(a.r#type.as_str()))
                .set_target_group_arn(a.target_group_arn.clone())
                .set_order(a.order);
            if let Some(r) = &a.redirect_config {
                builder = builder.redirect_config(
                    RedirectActionConfig::builder()
                        .set_protocol(r.protocol.clone())
                        .set_port(r.port.clone())
                        .set_host(r.host.clone())
                        .set_path(r.path.clone())
                        .set_query(r.query.clone())
                        .status_code(RedirectActionStatusCodeEnum::from(r.status_code.as_str()))
                        .build(),
                );
            }
            if let Some(f) = &a.fixed_response_config {
                builder = builder.fixed_response_config(
                    FixedResponseActionConfig::builder()
                        .status_code(&f.status_code)
                        .set_content_type(f.content_type.clone())
                        .set_message_body(f.message_body.clone())
                        .build(),
                );
            }
            if let Some(f) = &a.forward_config {
                let groups: Vec<TargetGroupTuple> = f
                    .target_groups
                    .iter()
                    .map(|t| {
                        TargetGroupTuple::builder().target_group_arn(&t.target_group_arn).set_weight(t.weight).build()
                    })
                    .collect();
                builder =
                    builder.forward_config(ForwardActionConfig::builder().set_target_groups(Some(groups)).build());
            }
            builder.build()
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Shared

fn matcher(props: &TargetGroupProps) -> Option<Matcher> {
    let m = props.matcher.as_ref()?;
    Some(Matcher::builder().set_http_code(m.http_code.clone()).set_grpc_code(m.grpc_code.clone()).build())
}

async fn add_tags(ctx: &Ctx<'_>, id: &str, arn: &str, tags: &Tags) -> Result<(), AwsError> {
    if tags.is_empty() {
        return Ok(());
    }
    let req = ctx.clients.elbv2.add_tags().resource_arns(arn).set_tags(Some(sdk_tags(tags)));
    ctx.retry(id, "elasticloadbalancing:AddTags", &[], || req.clone().send()).await?;
    Ok(())
}

/// The resources among `all` that carry this stack's tags, with their logical id and hash (their
/// tags read by ARN; one deleted meanwhile, `not_found`, is left out).
async fn ours_by_arn<'a, T>(
    ctx: &Ctx<'_>,
    all: &'a [T],
    arn: impl Fn(&T) -> Option<&str>,
    not_found: &'static str,
) -> Result<Vec<(LogicalId, Option<String>, &'a T)>, AwsError> {
    let arns: Vec<String> = all.iter().filter_map(|x| arn(x).map(str::to_owned)).collect();
    let tags = tags_of(ctx, &arns, not_found).await?;
    Ok(all
        .iter()
        .filter_map(|x| {
            let t = arn(x).and_then(|a| tags.get(a))?;
            let (id, hash) = ctx.ours(t)?;
            Some((id, hash, x))
        })
        .collect())
}

/// Tags of `arns`, by ARN, read in batches of 20 (the API's limit). A resource deleted between
/// the listing and this call (`not_found`) is left out.
async fn tags_of(ctx: &Ctx<'_>, arns: &[String], not_found: &'static str) -> Result<HashMap<String, Tags>, AwsError> {
    let mut out = HashMap::new();
    for chunk in arns.chunks(20) {
        let req = ctx.clients.elbv2.describe_tags().set_resource_arns(Some(chunk.to_vec()));
        let page = ctx
            .retry("-", "elasticloadbalancing:DescribeTags", &[], || {
                let req = req.clone();
                async move { absent_on(req.send().await, &[not_found]) }
            })
            .await?;
        let mut pages: Vec<_> = page.into_iter().collect();
        if pages.is_empty() {
            // One of the batch is gone: ask one by one.
            for arn in chunk {
                let req = ctx.clients.elbv2.describe_tags().resource_arns(arn);
                let one = ctx
                    .retry("-", "elasticloadbalancing:DescribeTags", &[], || {
                        let req = req.clone();
                        async move { absent_on(req.send().await, &[not_found]) }
                    })
                    .await?;
                pages.extend(one);
            }
        }
        for p in pages {
            for d in p.tag_descriptions() {
                let Some(arn) = d.resource_arn() else { continue };
                out.insert(arn.to_owned(), tag_pairs(d.tags()));
            }
        }
    }
    Ok(out)
}

fn same_set(a: &[String], b: &[String]) -> bool {
    let a: HashSet<&String> = a.iter().collect();
    let b: HashSet<&String> = b.iter().collect();
    a == b
}
