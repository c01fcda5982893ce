//! `AWS::ECS::Cluster`: created with its settings and tags; settings change in place.

use aws_sdk_ecs::types::{Cluster, ClusterField, ClusterSetting, ClusterSettingName};
use iac_core::LogicalId;
use iac_core::model::{self, ResourceEntry};
use serde::Deserialize;
use serde_json::{Value as Json, json};

use super::{ecs_tags, retag, tag_pairs};
use crate::adapter::{self, Adapter, CfnTag, Desired, SdkKind};
use crate::error::AwsError;
use crate::services::{Ctx, code_in};
use crate::state::{self, Observed, Tags};

/// The desired properties of an `AWS::ECS::Cluster`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct ClusterProps {
    pub(crate) cluster_name: String,
    #[serde(default)]
    pub(crate) cluster_settings: Vec<SettingProps>,
    #[serde(default)]
    pub(crate) tags: Vec<CfnTag>,
}

/// A `{ Name, Value }` cluster setting.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct SettingProps {
    pub(crate) name: String,
    pub(crate) value: String,
}

impl Desired for ClusterProps {
    fn template_tags(&self) -> Vec<(&str, &str)> {
        adapter::pairs(&self.tags)
    }
}

impl ClusterProps {
    fn settings(&self) -> Vec<ClusterSetting> {
        self.cluster_settings
            .iter()
            .map(|s| ClusterSetting::builder().name(ClusterSettingName::from(s.name.as_str())).value(&s.value).build())
            .collect()
    }
}

impl Adapter for model::EcsCluster {
    type Props = ClusterProps;

    /// `CreateCluster` (which returns the existing cluster of that name, so a rerun after a
    /// kill inside the call makes no second one).
    async fn create(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        props: &ClusterProps,
        tags: &Tags,
    ) -> Result<Observed, AwsError> {
        let id = entry.id.as_str();
        let ecs = &ctx.clients.ecs;
        let settings = props.settings();
        let tags = ecs_tags(tags);
        ctx.retry(id, "ecs:CreateCluster", &[], || {
            ecs.create_cluster()
                .cluster_name(&props.cluster_name)
                .set_settings(Some(settings.clone()))
                .set_tags(Some(tags.clone()))
                .send()
        })
        .await?;
        read_cluster(ctx, &entry.id, &props.cluster_name).await
    }

    /// Settings change in place; tags are rewritten.
    async fn update(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        current: &Observed,
        props: &ClusterProps,
        tags: &Tags,
    ) -> Result<Observed, AwsError> {
        let id = entry.id.as_str();
        let ecs = &ctx.clients.ecs;
        let name = current.physical_id.as_str();
        let settings = props.settings();
        if !settings.is_empty() {
            ctx.retry(id, "ecs:UpdateCluster", &[], || {
                ecs.update_cluster().cluster(name).set_settings(Some(settings.clone())).send()
            })
            .await?;
        }
        let cluster = describe_cluster(ctx, id, name)
            .await?
            .ok_or_else(|| ctx.fail(id, "ecs:DescribeClusters", "the cluster is gone"))?;
        let arn = cluster.cluster_arn().unwrap_or_default();
        retag(ctx, id, arn, &tag_pairs(cluster.tags()), tags).await?;
        read_cluster(ctx, &entry.id, name).await
    }

    /// Retried while services or tasks are still being drained out of it.
    async fn delete(ctx: &Ctx<'_>, current: &Observed) -> Result<(), AwsError> {
        let id = current.id.as_str();
        let ecs = &ctx.clients.ecs;
        let name = current.physical_id.as_str();
        let busy = ["ClusterContainsServicesException", "ClusterContainsTasksException", "UpdateInProgressException"];
        ctx.wait_for(id, "deletable (no services or tasks left)", || async {
            match ecs.delete_cluster().cluster(name).send().await {
                Ok(_) => Ok(Some(())),
                Err(e) if code_in(&e, &["ClusterNotFoundException"]) => Ok(Some(())),
                Err(e) if code_in(&e, &busy) => Ok(None),
                Err(e) => Err(ctx.sdk_error(id, "ecs:DeleteCluster", e)),
            }
        })
        .await?;
        ctx.wait_gone(id, || async { Ok(describe_cluster(ctx, id, name).await?.filter(is_active)) }).await
    }
}

fn is_active(c: &Cluster) -> bool {
    c.status() == Some("ACTIVE") || c.status() == Some("PROVISIONING")
}

/// The cluster `name` (any status), with its tags and settings; `None` when ECS does not know it.
pub(super) async fn describe_cluster(ctx: &Ctx<'_>, id: &str, name: &str) -> Result<Option<Cluster>, AwsError> {
    let ecs = &ctx.clients.ecs;
    let out = ctx
        .retry(id, "ecs:DescribeClusters", &[], || {
            ecs.describe_clusters().clusters(name).include(ClusterField::Tags).include(ClusterField::Settings).send()
        })
        .await?;
    Ok(out.clusters().first().cloned())
}

async fn read_cluster(ctx: &Ctx<'_>, id: &LogicalId, name: &str) -> Result<Observed, AwsError> {
    let cluster = describe_cluster(ctx, id.as_str(), name).await?.filter(is_active).ok_or_else(|| {
        ctx.fail(id.as_str(), "ecs:DescribeClusters", format!("cluster `{name}` is not there after create"))
    })?;
    let mut o = observe_cluster(id.clone(), &cluster);
    o.hash = state::hash_of(&tag_pairs(cluster.tags()));
    Ok(o)
}

fn observe_cluster(id: LogicalId, c: &Cluster) -> Observed {
    let name = c.cluster_name().unwrap_or_default();
    let settings: Vec<Json> = c
        .settings()
        .iter()
        .map(|s| json!({ "Name": s.name().map_or("", ClusterSettingName::as_str), "Value": s.value().unwrap_or_default() }))
        .collect();
    Observed::new(id, SdkKind::EcsCluster.cfn_type(), name)
        .attr("Arn", c.cluster_arn().unwrap_or_default())
        .prop("ClusterName", name)
        .prop("ClusterSettings", settings)
}

/// This stack's clusters, and the ARNs of every active cluster (their services are looked at).
pub(super) async fn discover_clusters(ctx: &Ctx<'_>) -> Result<(Vec<Observed>, Vec<String>), AwsError> {
    let ecs = &ctx.clients.ecs;
    let arns = crate::services::paged_items(
        ctx,
        "-",
        "ecs:ListClusters",
        |t| ecs.list_clusters().set_next_token(t).send(),
        |o| (o.cluster_arns(), o.next_token()),
    )
    .await?;
    let mut ours = Vec::new();
    let mut active = Vec::new();
    for batch in arns.chunks(100) {
        let out = ctx
            .retry("-", "ecs:DescribeClusters", &[], || {
                ecs.describe_clusters()
                    .set_clusters(Some(batch.to_vec()))
                    .include(ClusterField::Tags)
                    .include(ClusterField::Settings)
                    .send()
            })
            .await?;
        for c in out.clusters().iter().filter(|c| is_active(c)) {
            active.push(c.cluster_arn().unwrap_or_default().to_owned());
            if let Some((id, hash)) = ctx.ours(&tag_pairs(c.tags())) {
                let mut o = observe_cluster(id, c);
                o.hash = hash;
                ours.push(o);
            }
        }
    }
    Ok((ours, active))
}
