//! `AWS::ECS::Service`: a Fargate replica service, created with its load balancers, network and
//! deployment configuration (circuit breaker with rollback), and waited on until it reaches a
//! steady state after every create and update.

use aws_sdk_ecs::types::{
    DeploymentCircuitBreaker, DeploymentConfiguration, DeploymentRolloutState, LaunchType, LoadBalancer, PropagateTags,
    SchedulingStrategy, Service, ServiceField,
};
use iac_core::LogicalId;
use iac_core::model::{self, ResourceEntry};
use serde::Deserialize;
use serde_json::{Map, Value as Json, json};

use super::{NetworkProps, arn_name, ecs_tags, network_json, retag, tag_pairs};
use crate::adapter::{self, Adapter, CfnTag, Desired, SdkKind, de};
use crate::error::AwsError;
use crate::services::{Ctx, SteadyState, code_in};
use crate::state::{self, Observed, Tags};

/// The desired properties of an `AWS::ECS::Service`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct ServiceProps {
    pub(crate) service_name: String,
    pub(crate) cluster: String,
    pub(crate) task_definition: String,
    #[serde(deserialize_with = "de::int")]
    pub(crate) desired_count: i32,
    #[serde(default)]
    pub(crate) launch_type: Option<String>,
    #[serde(default)]
    pub(crate) platform_version: Option<String>,
    #[serde(default)]
    pub(crate) scheduling_strategy: Option<String>,
    #[serde(default)]
    pub(crate) network_configuration: Option<NetworkProps>,
    #[serde(default)]
    pub(crate) deployment_configuration: Option<DeploymentProps>,
    #[serde(default)]
    pub(crate) propagate_tags: Option<String>,
    #[serde(default, rename = "EnableECSManagedTags", deserialize_with = "de::opt_bool")]
    pub(crate) enable_ecs_managed_tags: Option<bool>,
    #[serde(default)]
    pub(crate) load_balancers: Vec<LoadBalancerProps>,
    #[serde(default, deserialize_with = "de::opt_int")]
    pub(crate) health_check_grace_period_seconds: Option<i32>,
    #[serde(default)]
    pub(crate) tags: Vec<CfnTag>,
}

/// `DeploymentConfiguration`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct DeploymentProps {
    #[serde(default, deserialize_with = "de::opt_int")]
    pub(crate) minimum_healthy_percent: Option<i32>,
    #[serde(default, deserialize_with = "de::opt_int")]
    pub(crate) maximum_percent: Option<i32>,
    #[serde(default)]
    pub(crate) deployment_circuit_breaker: Option<CircuitBreakerProps>,
}

/// `DeploymentCircuitBreaker`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct CircuitBreakerProps {
    #[serde(deserialize_with = "de::boolean")]
    pub(crate) enable: bool,
    #[serde(deserialize_with = "de::boolean")]
    pub(crate) rollback: bool,
}

/// `LoadBalancers` entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct LoadBalancerProps {
    pub(crate) target_group_arn: String,
    pub(crate) container_name: String,
    #[serde(deserialize_with = "de::int")]
    pub(crate) container_port: i32,
}

impl Desired for ServiceProps {
    fn template_tags(&self) -> Vec<(&str, &str)> {
        adapter::pairs(&self.tags)
    }
}

impl ServiceProps {
    fn deployment(&self) -> Option<DeploymentConfiguration> {
        self.deployment_configuration.as_ref().map(|d| {
            DeploymentConfiguration::builder()
                .set_minimum_healthy_percent(d.minimum_healthy_percent)
                .set_maximum_percent(d.maximum_percent)
                .set_deployment_circuit_breaker(
                    d.deployment_circuit_breaker
                        .as_ref()
                        .map(|c| DeploymentCircuitBreaker::builder().enable(c.enable).rollback(c.rollback).build()),
                )
                .build()
        })
    }

    fn load_balancers(&self) -> Vec<LoadBalancer> {
        self.load_balancers
            .iter()
            .map(|l| {
                LoadBalancer::builder()
                    .target_group_arn(&l.target_group_arn)
                    .container_name(&l.container_name)
                    .container_port(l.container_port)
                    .build()
            })
            .collect()
    }
}

impl Adapter for model::EcsService {
    type Props = ServiceProps;

    /// `CreateService` with a client token derived from the stack, environment, logical id and
    /// desired hash, then the wait for a steady state.
    async fn create(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        props: &ServiceProps,
        tags: &Tags,
    ) -> Result<Observed, AwsError> {
        let id = entry.id.as_str();
        let ecs = &ctx.clients.ecs;
        let network = props.network_configuration.as_ref().map(|n| n.to_ecs(ctx, id)).transpose()?;
        let token = client_token(ctx, id, state::hash_of(tags).as_deref().unwrap_or_default());
        let request = ecs
            .create_service()
            .cluster(&props.cluster)
            .service_name(&props.service_name)
            .task_definition(&props.task_definition)
            .desired_count(props.desired_count)
            .set_launch_type(props.launch_type.as_deref().map(LaunchType::from))
            .set_platform_version(props.platform_version.clone())
            .set_scheduling_strategy(props.scheduling_strategy.as_deref().map(SchedulingStrategy::from))
            .set_network_configuration(network)
            .set_deployment_configuration(props.deployment())
            .set_propagate_tags(props.propagate_tags.as_deref().map(PropagateTags::from))
            .set_enable_ecs_managed_tags(props.enable_ecs_managed_tags)
            .set_load_balancers(Some(props.load_balancers()))
            .set_health_check_grace_period_seconds(props.health_check_grace_period_seconds)
            .set_tags(Some(ecs_tags(tags)))
            .client_token(token);
        // A target group just attached to its listener, or a role just made, may not be visible yet.
        let out = ctx.retry(id, "ecs:CreateService", &["InvalidParameterException"], || request.clone().send()).await?;
        let arn = out.service().and_then(Service::service_arn).unwrap_or_default().to_owned();
        steady(ctx, &entry.id, &props.cluster, &arn).await
    }

    /// Everything `UpdateService` takes changes in place (a new task definition starts a
    /// deployment); then tags, then the wait for a steady state.
    async fn update(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        current: &Observed,
        props: &ServiceProps,
        tags: &Tags,
    ) -> Result<Observed, AwsError> {
        let id = entry.id.as_str();
        let ecs = &ctx.clients.ecs;
        let arn = current.physical_id.as_str();
        let network = props.network_configuration.as_ref().map(|n| n.to_ecs(ctx, id)).transpose()?;
        let request = ecs
            .update_service()
            .cluster(&props.cluster)
            .service(arn)
            .task_definition(&props.task_definition)
            .desired_count(props.desired_count)
            .set_platform_version(props.platform_version.clone())
            .set_network_configuration(network)
            .set_deployment_configuration(props.deployment())
            .set_propagate_tags(props.propagate_tags.as_deref().map(PropagateTags::from))
            .set_enable_ecs_managed_tags(props.enable_ecs_managed_tags)
            .set_load_balancers(Some(props.load_balancers()))
            .set_health_check_grace_period_seconds(props.health_check_grace_period_seconds);
        ctx.retry(id, "ecs:UpdateService", &["InvalidParameterException"], || request.clone().send()).await?;
        let had = describe(ctx, id, &props.cluster, arn).await?.map(|s| tag_pairs(s.tags())).unwrap_or_default();
        retag(ctx, id, arn, &had, tags).await?;
        steady(ctx, &entry.id, &props.cluster, arn).await
    }

    /// Scales to zero, deletes with `force` and waits until the service is `INACTIVE`.
    async fn delete(ctx: &Ctx<'_>, current: &Observed) -> Result<(), AwsError> {
        let id = current.id.as_str();
        let ecs = &ctx.clients.ecs;
        let arn = current.physical_id.as_str();
        let cluster = current.props.get("Cluster").and_then(Json::as_str).unwrap_or_default().to_owned();
        let gone = ["ServiceNotFoundException", "ServiceNotActiveException", "ClusterNotFoundException"];
        let scaled = ecs.update_service().cluster(&cluster).service(arn).desired_count(0).send().await;
        if let Err(e) = scaled
            && !code_in(&e, &gone)
        {
            return Err(ctx.sdk_error(id, "ecs:UpdateService", e));
        }
        let deleted = ecs.delete_service().cluster(&cluster).service(arn).force(true).send().await;
        if let Err(e) = deleted
            && !code_in(&e, &gone)
        {
            return Err(ctx.sdk_error(id, "ecs:DeleteService", e));
        }
        ctx.wait_gone(id, || async {
            Ok(describe(ctx, id, &cluster, arn).await?.filter(|s| s.status().is_some_and(|st| st != "INACTIVE")))
        })
        .await
    }
}

/// The idempotency token of a create: the same stack, environment, id and desired state give
/// the same token (36 characters at most, as ECS requires).
fn client_token(ctx: &Ctx<'_>, id: &str, hash: &str) -> String {
    let text = format!("{}/{}/{id}/{hash}", ctx.stack.name(), ctx.stack.env());
    format!("iac-{:08x}{}", iac_core::naming::fnv1a(text.as_bytes()), &hash[..hash.len().min(16)])
}

/// Waits (unless [`SteadyState::Skip`]) until the service has one deployment and as many tasks
/// running as desired, as the SDKs' `services_stable` waiter does, and reads it back.
async fn steady(ctx: &Ctx<'_>, id: &LogicalId, cluster: &str, arn: &str) -> Result<Observed, AwsError> {
    let name = id.as_str();
    let service = match ctx.timing.steady_state {
        SteadyState::Wait => {
            ctx.wait_for(name, "steady state (one deployment, all desired tasks running)", || async {
                let s = describe(ctx, name, cluster, arn)
                    .await?
                    .ok_or_else(|| ctx.fail(name, "ecs:DescribeServices", format!("service `{arn}` is gone")))?;
                if s.status() != Some("ACTIVE") {
                    return Err(ctx.fail(
                        name,
                        "ecs:DescribeServices",
                        format!("service `{arn}` is {} while it should be starting", s.status().unwrap_or("?")),
                    ));
                }
                let primary = s.deployments().iter().find(|d| d.status() == Some("PRIMARY"));
                if let Some(d) = primary.filter(|d| d.rollout_state() == Some(&DeploymentRolloutState::Failed)) {
                    return Err(ctx.fail(
                        name,
                        "ecs:DescribeServices",
                        format!(
                            "the deployment of `{}` failed (the circuit breaker rolls it back): {}; see the service's \
                             events and the stopped tasks' reasons",
                            d.task_definition().unwrap_or("?"),
                            d.rollout_state_reason().unwrap_or("no reason given")
                        ),
                    ));
                }
                Ok((s.deployments().len() == 1 && s.running_count() == s.desired_count()).then_some(s))
            })
            .await?
        }
        #[cfg(feature = "testing")]
        SteadyState::Skip => describe(ctx, name, cluster, arn)
            .await?
            .ok_or_else(|| ctx.fail(name, "ecs:DescribeServices", format!("service `{arn}` is not there")))?,
    };
    let mut o = observe(id.clone(), &service);
    o.hash = state::hash_of(&tag_pairs(service.tags()));
    Ok(o)
}

/// The service (any status) with its tags; `None` when ECS does not know it.
async fn describe(ctx: &Ctx<'_>, id: &str, cluster: &str, arn: &str) -> Result<Option<Service>, AwsError> {
    let ecs = &ctx.clients.ecs;
    let out = ctx
        .retry(id, "ecs:DescribeServices", &[], || async {
            crate::services::absent_on(
                ecs.describe_services().cluster(cluster).services(arn).include(ServiceField::Tags).send().await,
                &["ClusterNotFoundException"],
            )
        })
        .await?;
    Ok(out.and_then(|o| o.services().first().cloned()))
}

/// A service read back, in the template's shape.
fn observe(id: LogicalId, s: &Service) -> Observed {
    let arn = s.service_arn().unwrap_or_default();
    let name = s.service_name().unwrap_or_else(|| arn_name(arn));
    let mut o = Observed::new(id, SdkKind::EcsService.cfn_type(), arn)
        .attr("Name", name)
        .attr("ServiceArn", arn)
        .prop("ServiceName", name)
        .prop("Cluster", s.cluster_arn().unwrap_or_default())
        .prop("TaskDefinition", s.task_definition().unwrap_or_default())
        .prop("DesiredCount", s.desired_count())
        .prop("EnableECSManagedTags", s.enable_ecs_managed_tags());
    let text = [
        ("LaunchType", s.launch_type().map(LaunchType::as_str)),
        ("PlatformVersion", s.platform_version()),
        ("SchedulingStrategy", s.scheduling_strategy().map(SchedulingStrategy::as_str)),
        ("PropagateTags", s.propagate_tags().map(PropagateTags::as_str)),
    ];
    for (key, value) in text {
        if let Some(v) = value {
            o = o.prop(key, v);
        }
    }
    if let Some(n) = s.network_configuration() {
        o = o.prop("NetworkConfiguration", network_json(n));
    }
    if let Some(d) = s.deployment_configuration() {
        let mut m = Map::new();
        if let Some(v) = d.minimum_healthy_percent() {
            m.insert("MinimumHealthyPercent".into(), json!(v));
        }
        if let Some(v) = d.maximum_percent() {
            m.insert("MaximumPercent".into(), json!(v));
        }
        if let Some(c) = d.deployment_circuit_breaker() {
            m.insert("DeploymentCircuitBreaker".into(), json!({ "Enable": c.enable(), "Rollback": c.rollback() }));
        }
        o = o.prop("DeploymentConfiguration", m);
    }
    if !s.load_balancers().is_empty() {
        let lbs: Vec<Json> = s
            .load_balancers()
            .iter()
            .map(|l| {
                json!({
                    "TargetGroupArn": l.target_group_arn().unwrap_or_default(),
                    "ContainerName": l.container_name().unwrap_or_default(),
                    "ContainerPort": l.container_port(),
                })
            })
            .collect();
        o = o.prop("LoadBalancers", lbs);
    }
    if let Some(g) = s.health_check_grace_period_seconds() {
        o = o.prop("HealthCheckGracePeriodSeconds", g);
    }
    o
}

/// This stack's services in `clusters` (every active cluster: a service of the stack may sit in
/// a cluster it does not own).
pub(super) async fn discover_services(ctx: &Ctx<'_>, clusters: &[String]) -> Result<Vec<Observed>, AwsError> {
    let ecs = &ctx.clients.ecs;
    let mut out = Vec::new();
    for cluster in clusters {
        let arns = crate::services::paged_items(
            ctx,
            "-",
            "ecs:ListServices",
            |t| ecs.list_services().cluster(cluster).set_next_token(t).send(),
            |o| (o.service_arns(), o.next_token()),
        )
        .await?;
        for batch in arns.chunks(10) {
            let found = ctx
                .retry("-", "ecs:DescribeServices", &[], || {
                    ecs.describe_services()
                        .cluster(cluster)
                        .set_services(Some(batch.to_vec()))
                        .include(ServiceField::Tags)
                        .send()
                })
                .await?;
            for s in found.services().iter().filter(|s| s.status() == Some("ACTIVE")) {
                if let Some((id, hash)) = ctx.ours(&tag_pairs(s.tags())) {
                    let mut o = observe(id, s);
                    o.hash = hash;
                    out.push(o);
                }
            }
        }
    }
    Ok(out)
}
