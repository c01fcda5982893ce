//! ECS: `AWS::ECS::Cluster`, `AWS::ECS::TaskDefinition` and `AWS::ECS::Service`.
//!
//! One file per kind: its desired properties, its [`Adapter`](crate::adapter::Adapter) and its
//! calls; this file holds what they share and discovery. All three kinds are tagged in their
//! create call (`tags`), so a killed run never leaves an untagged resource.
//!
//! - Clusters: `CreateCluster` with the cluster settings (Container Insights); settings change in
//!   place (`UpdateCluster`). `Ref` is the name, `Arn` the ARN. Delete is retried while
//!   the cluster still holds services or tasks, and is done once the cluster is `INACTIVE`.
//! - Task definitions are revisions, never changed in place: every property but the tags is a
//!   replacement trigger in the kind's spec, and the adapter replaces *beside* the old one
//!   ([`Adapter::REPLACE_BESIDE`](crate::adapter::Adapter::REPLACE_BESIDE)): the engine registers
//!   a new revision of the same family, moves what refers to it (the service, the schedules), and
//!   only then deregisters the old revision. `Ref` is the revision's ARN. Discovery looks at the
//!   families of the stack's task definitions and at families named `<stack>-<env>-...`, and takes
//!   the newest `ACTIVE` revision tagged as this stack's; deleting a revision also deregisters
//!   the older `ACTIVE` revisions of its family that carry the same `iac:id` (left by a replacement
//!   that was interrupted before its old revision was deregistered). Deregistered revisions stay
//!   `INACTIVE` in the account, as ECS keeps them (they cost nothing and run nothing).
//! - Services (Fargate, `awsvpc`): `CreateService` with the load balancers, network
//!   configuration, deployment configuration (circuit breaker with rollback) and a client token
//!   derived from the stack, environment, logical id and desired hash, so a create retried after
//!   a kill inside the call makes no second service. Create and update wait for a steady state,
//!   as the SDKs' `services_stable` waiter does: one deployment, and as many tasks running as
//!   desired; a deployment the circuit breaker failed stops the wait at once with ECS's reason.
//!   [`SteadyState`](crate::services::SteadyState) can skip the wait, for a local moto server
//!   only (feature `testing`): moto's services never start a task, so they never become stable
//!   after a create (after an `UpdateService` moto reports the desired count as running, so the
//!   update's wait runs for real there). Everything else (the tasks, their registration in the
//!   target group, the circuit breaker) moto cannot show. Delete scales to zero, deletes with
//!   `force`, and waits until the service is `INACTIVE`. `Ref` is the service ARN, `Name` its name.
//!
//! Discovery lists clusters (`ListClusters`, `DescribeClusters` with their tags), the services
//! of every cluster (`DescribeServices` with their tags) and the task definition families above.

pub mod cluster;
pub mod service;
pub mod task_definition;

use aws_sdk_ecs::types::{AssignPublicIp, AwsVpcConfiguration, NetworkConfiguration, Tag};
use serde::Deserialize;
use serde_json::{Value as Json, json};

use super::Ctx;
use crate::error::AwsError;
use crate::state::{Observed, Tags};

/// Finds this stack's clusters, task definitions and services by their `iac:*` tags.
pub async fn discover(ctx: &Ctx<'_>) -> Result<Vec<Observed>, AwsError> {
    let (clusters, definitions) = tokio::join!(
        Box::pin(cluster::discover_clusters(ctx)),
        Box::pin(task_definition::discover_task_definitions(ctx))
    );
    let (ours, arns) = clusters?;
    let mut out = ours;
    out.extend(definitions?);
    out.extend(service::discover_services(ctx, &arns).await?);
    Ok(out)
}

/// Our tags as ECS tags.
fn ecs_tags(tags: &Tags) -> Vec<Tag> {
    tags.iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect()
}

/// ECS tags as our tags.
fn tag_pairs(tags: &[Tag]) -> Tags {
    tags.iter().map(|t| (t.key().unwrap_or_default().to_owned(), t.value().unwrap_or_default().to_owned())).collect()
}

/// Sets `tags` on `arn` and removes the keys it had that `tags` lacks.
async fn retag(ctx: &Ctx<'_>, id: &str, arn: &str, had: &Tags, tags: &Tags) -> Result<(), AwsError> {
    let ecs = &ctx.clients.ecs;
    let stale: Vec<String> =
        had.iter().filter(|(k, _)| !tags.iter().any(|(n, _)| n == k)).map(|(k, _)| k.clone()).collect();
    if !stale.is_empty() {
        ctx.retry(id, "ecs:UntagResource", &[], || {
            ecs.untag_resource().resource_arn(arn).set_tag_keys(Some(stale.clone())).send()
        })
        .await?;
    }
    let new = ecs_tags(tags);
    ctx.retry(id, "ecs:TagResource", &[], || ecs.tag_resource().resource_arn(arn).set_tags(Some(new.clone())).send())
        .await?;
    Ok(())
}

/// The `awsvpc` network configuration of a service or a scheduled task, as the template writes it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct NetworkProps {
    pub(crate) awsvpc_configuration: AwsvpcProps,
}

/// `AwsvpcConfiguration`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct AwsvpcProps {
    pub(crate) subnets: Vec<String>,
    #[serde(default)]
    pub(crate) security_groups: Vec<String>,
    #[serde(default)]
    pub(crate) assign_public_ip: Option<String>,
}

impl NetworkProps {
    /// As the ECS API takes it.
    fn to_ecs(&self, ctx: &Ctx<'_>, id: &str) -> Result<NetworkConfiguration, AwsError> {
        let c = &self.awsvpc_configuration;
        let vpc = AwsVpcConfiguration::builder()
            .set_subnets(Some(c.subnets.clone()))
            .set_security_groups(Some(c.security_groups.clone()))
            .set_assign_public_ip(c.assign_public_ip.as_deref().map(AssignPublicIp::from))
            .build()
            .map_err(|e| ctx.fail(id, "ecs:AwsVpcConfiguration", e))?;
        Ok(NetworkConfiguration::builder().awsvpc_configuration(vpc).build())
    }
}

/// An ECS network configuration read back, in the template's shape.
fn network_json(n: &NetworkConfiguration) -> Json {
    let Some(c) = n.awsvpc_configuration() else { return json!({}) };
    json!({
        "AwsvpcConfiguration": {
            "Subnets": c.subnets(),
            "SecurityGroups": c.security_groups(),
            "AssignPublicIp": c.assign_public_ip().map_or("DISABLED", AssignPublicIp::as_str),
        }
    })
}

/// The revision number at the end of a task definition ARN (`...:task-definition/family:7`).
pub(crate) fn revision_of(arn: &str) -> Option<i64> {
    arn.rsplit_once(':').and_then(|(_, r)| r.parse().ok())
}

/// The family of a task definition ARN.
pub(crate) fn family_of(arn: &str) -> Option<&str> {
    let (head, _) = arn.rsplit_once(':')?;
    head.rsplit_once('/').map(|(_, f)| f)
}

/// The last part of an ARN (`.../name`).
fn arn_name(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_definition_arns_split_into_family_and_revision() {
        let arn = "arn:aws:ecs:us-east-1:123456789012:task-definition/concerto-prod-app:12";
        assert_eq!(revision_of(arn), Some(12));
        assert_eq!(family_of(arn), Some("concerto-prod-app"));
        assert_eq!(arn_name("arn:aws:ecs:us-east-1:123456789012:cluster/c1"), "c1");
        assert_eq!(revision_of("nonsense"), None);
    }

    #[test]
    fn replacement_properties_come_from_the_spec() {
        use crate::adapter::SdkKind;
        use crate::services::replaced_by;
        assert!(replaced_by(SdkKind::TaskDefinition.cfn_type()).contains(&"ContainerDefinitions"));
        assert!(!replaced_by(SdkKind::TaskDefinition.cfn_type()).contains(&"Tags"));
        assert_eq!(replaced_by(SdkKind::EcsCluster.cfn_type()), ["ClusterName"]);
        assert!(!replaced_by(SdkKind::EcsService.cfn_type()).contains(&"TaskDefinition"));
    }
}
