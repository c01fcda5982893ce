//! `AWS::ElastiCache::ReplicationGroup`: created with every property and waited on until
//! `available`, changed in place with `ModifyReplicationGroup`, deleted with a final snapshot
//! (see [`super`] for what the delete waits for).

use std::time::{SystemTime, UNIX_EPOCH};

use aws_sdk_elasticache::operation::describe_replication_groups::DescribeReplicationGroupsError;
use aws_sdk_elasticache::types::{
    AutomaticFailoverStatus, CacheCluster, MultiAzStatus, ReplicationGroup, TransitEncryptionMode,
};
use iac_core::LogicalId;
use iac_core::model::{self, ResourceEntry};
use serde::Deserialize;
use serde_json::{Map, Value as Json, json};

use super::{Ctx, add_tags, list_tags};
use crate::adapter::{self, Adapter, CfnTag, Desired, SdkKind, de};
use crate::error::AwsError;
use crate::services::{absent, code_in, sdk_tags};
use crate::state::{self, Observed, Tags};

/// The desired properties of an `AWS::ElastiCache::ReplicationGroup`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
#[allow(clippy::struct_excessive_bools)] // the API's switches
pub struct ReplicationGroupProps {
    pub(crate) replication_group_id: String,
    pub(crate) replication_group_description: String,
    #[serde(default)]
    pub(crate) engine: Option<String>,
    #[serde(default, deserialize_with = "de::opt_text")]
    pub(crate) engine_version: Option<String>,
    pub(crate) cache_node_type: String,
    #[serde(default, deserialize_with = "de::opt_int")]
    pub(crate) num_cache_clusters: Option<i32>,
    #[serde(default, deserialize_with = "de::opt_int")]
    pub(crate) port: Option<i32>,
    #[serde(default, deserialize_with = "de::opt_bool")]
    pub(crate) automatic_failover_enabled: Option<bool>,
    #[serde(rename = "MultiAZEnabled", default, deserialize_with = "de::opt_bool")]
    pub(crate) multi_az_enabled: Option<bool>,
    #[serde(default, deserialize_with = "de::opt_bool")]
    pub(crate) at_rest_encryption_enabled: Option<bool>,
    #[serde(default, deserialize_with = "de::opt_bool")]
    pub(crate) transit_encryption_enabled: Option<bool>,
    #[serde(default)]
    pub(crate) transit_encryption_mode: Option<String>,
    #[serde(default)]
    pub(crate) auth_token: Option<String>,
    #[serde(default)]
    pub(crate) security_group_ids: Vec<String>,
    #[serde(default)]
    pub(crate) cache_subnet_group_name: Option<String>,
    #[serde(default)]
    pub(crate) cache_parameter_group_name: Option<String>,
    #[serde(default, deserialize_with = "de::opt_int")]
    pub(crate) snapshot_retention_limit: Option<i32>,
    #[serde(default)]
    pub(crate) snapshot_window: Option<String>,
    #[serde(default)]
    pub(crate) preferred_maintenance_window: Option<String>,
    #[serde(default, deserialize_with = "de::opt_bool")]
    pub(crate) auto_minor_version_upgrade: Option<bool>,
    #[serde(default)]
    pub(crate) tags: Vec<CfnTag>,
}

impl Desired for ReplicationGroupProps {
    fn template_tags(&self) -> Vec<(&str, &str)> {
        adapter::pairs(&self.tags)
    }
}

impl Adapter for model::CacheReplicationGroup {
    type Props = ReplicationGroupProps;

    async fn create(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        props: &ReplicationGroupProps,
        tags: &Tags,
    ) -> Result<Observed, AwsError> {
        let id = entry.id.as_str();
        let group = props.replication_group_id.as_str();
        if !create_group(ctx, id, props, tags).await? {
            // Made by an earlier attempt: check it is ours, then bring it to the template.
            let found = wait_settled(ctx, id, group).await?;
            let have = list_tags(ctx, id, found.arn().unwrap_or_default()).await?;
            state::claimable(&have, ctx.stack.name(), ctx.stack.env(), id).map_err(|who| {
                ctx.fail(
                    id,
                    "elasticache:CreateReplicationGroup",
                    format!("replication group `{group}` exists and is {who}"),
                )
            })?;
            let current = observe(ctx, entry.id.clone(), &found).await?;
            return modify(ctx, &entry.id, &current, props, tags).await;
        }
        let found = wait_settled(ctx, id, group).await?;
        observe(ctx, entry.id.clone(), &found).await
    }

    async fn update(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        current: &Observed,
        props: &ReplicationGroupProps,
        tags: &Tags,
    ) -> Result<Observed, AwsError> {
        modify(ctx, &entry.id, current, props, tags).await
    }

    /// Deletes with a final snapshot; returns once the group is `deleting` or gone.
    async fn delete(ctx: &Ctx<'_>, current: &Observed) -> Result<(), AwsError> {
        let ec = &ctx.clients.elasticache;
        let (id, group) = (current.id.as_str(), current.physical_id.as_str());
        let seconds = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let snapshot = format!("{group}-final-{seconds}");
        ctx.wait_for(id, "deletable", || async {
            let Some(found) = find(ctx, id, group).await? else { return Ok(Some(())) };
            if found.status() == Some("deleting") {
                return Ok(Some(()));
            }
            if found.status() != Some("available") {
                return Ok(None);
            }
            let r = ec
                .delete_replication_group()
                .replication_group_id(group)
                .final_snapshot_identifier(&snapshot)
                .retain_primary_cluster(false)
                .send()
                .await;
            match r {
                Ok(_) => Ok(Some(())),
                Err(e) if code_in(&e, &["ReplicationGroupNotFoundFault"]) => Ok(Some(())),
                // Busy (modifying, snapshotting): at the next poll.
                Err(e) if code_in(&e, &["InvalidReplicationGroupState"]) => Ok(None),
                Err(e) => Err(ctx.sdk_error(id, "elasticache:DeleteReplicationGroup", e)),
            }
        })
        .await
    }
}

/// Sends `CreateReplicationGroup`; `false` when a group of that id exists (not `deleting`: one
/// that is, is waited out first).
async fn create_group(ctx: &Ctx<'_>, id: &str, props: &ReplicationGroupProps, tags: &Tags) -> Result<bool, AwsError> {
    let ec = &ctx.clients.elasticache;
    let group = props.replication_group_id.as_str();
    let sgs = (!props.security_group_ids.is_empty()).then(|| props.security_group_ids.clone());
    let request = ec
        .create_replication_group()
        .replication_group_id(group)
        .replication_group_description(&props.replication_group_description)
        .set_engine(props.engine.clone())
        .set_engine_version(props.engine_version.clone())
        .cache_node_type(&props.cache_node_type)
        .set_num_cache_clusters(props.num_cache_clusters)
        .set_port(props.port)
        .set_automatic_failover_enabled(props.automatic_failover_enabled)
        .set_multi_az_enabled(props.multi_az_enabled)
        .set_at_rest_encryption_enabled(props.at_rest_encryption_enabled)
        .set_transit_encryption_enabled(props.transit_encryption_enabled)
        .set_transit_encryption_mode(props.transit_encryption_mode.as_deref().map(TransitEncryptionMode::from))
        .set_auth_token(props.auth_token.clone())
        .set_security_group_ids(sgs)
        .set_cache_subnet_group_name(props.cache_subnet_group_name.clone())
        .set_cache_parameter_group_name(props.cache_parameter_group_name.clone())
        .set_snapshot_retention_limit(props.snapshot_retention_limit)
        .set_snapshot_window(props.snapshot_window.clone())
        .set_preferred_maintenance_window(props.preferred_maintenance_window.clone())
        .set_auto_minor_version_upgrade(props.auto_minor_version_upgrade)
        .set_tags(Some(sdk_tags(tags)));
    ctx.wait_for(id, "created (a group of this id is still being deleted)", || async {
        let r = ctx
            .retry(
                id,
                "elasticache:CreateReplicationGroup",
                &["InvalidVPCNetworkStateFault", "CacheSubnetGroupNotFoundFault"],
                || async {
                    match request.clone().send().await {
                        Ok(_) => Ok(true),
                        Err(e) if code_in(&e, &["ReplicationGroupAlreadyExists"]) => Ok(false),
                        Err(e) => Err(e),
                    }
                },
            )
            .await?;
        if r {
            return Ok(Some(true));
        }
        match find(ctx, id, group).await? {
            Some(g) if g.status() == Some("deleting") => Ok(None),
            Some(_) => Ok(Some(false)),
            None => Ok(None),
        }
    })
    .await
}

/// One `ModifyReplicationGroup` of what differs from `current`, a replica count change if
/// `NumCacheClusters` differs, then the tags.
#[allow(clippy::too_many_lines)] // one block per setting
async fn modify(
    ctx: &Ctx<'_>,
    id: &LogicalId,
    current: &Observed,
    props: &ReplicationGroupProps,
    tags: &Tags,
) -> Result<Observed, AwsError> {
    let ec = &ctx.clients.elasticache;
    let ids = id.as_str();
    let group = current.physical_id.as_str();
    let mut req = ec.modify_replication_group().replication_group_id(group).apply_immediately(true);
    let mut any = false;
    let mut differs = |key: &str, want: Json| {
        let d = match current.props.get(key) {
            None => true,
            Some(seen) => {
                !crate::desired::changed(&json!({ key: want }), &Map::from_iter([(key.to_owned(), seen.clone())]))
                    .is_empty()
            }
        };
        any |= d;
        d
    };
    if differs("ReplicationGroupDescription", json!(props.replication_group_description)) {
        req = req.replication_group_description(&props.replication_group_description);
    }
    if differs("CacheNodeType", json!(props.cache_node_type)) {
        req = req.cache_node_type(&props.cache_node_type);
    }
    if let Some(v) = props.automatic_failover_enabled.filter(|v| differs("AutomaticFailoverEnabled", json!(v))) {
        req = req.automatic_failover_enabled(v);
    }
    if let Some(v) = props.multi_az_enabled.filter(|v| differs("MultiAZEnabled", json!(v))) {
        req = req.multi_az_enabled(v);
    }
    if let Some(v) = props.snapshot_retention_limit.filter(|v| differs("SnapshotRetentionLimit", json!(v))) {
        req = req.snapshot_retention_limit(v);
    }
    if let Some(v) = props.snapshot_window.as_ref().filter(|v| differs("SnapshotWindow", json!(v))) {
        req = req.snapshot_window(v);
    }
    if let Some(v) =
        props.preferred_maintenance_window.as_ref().filter(|v| differs("PreferredMaintenanceWindow", json!(v)))
    {
        req = req.preferred_maintenance_window(v);
    }
    if let Some(v) = props.engine_version.as_ref().filter(|v| differs("EngineVersion", json!(v))) {
        req = req.engine_version(v);
    }
    if !props.security_group_ids.is_empty() && differs("SecurityGroupIds", json!(props.security_group_ids)) {
        req = req.set_security_group_ids(Some(props.security_group_ids.clone()));
    }
    if let Some(v) = props.cache_parameter_group_name.as_ref().filter(|v| differs("CacheParameterGroupName", json!(v)))
    {
        req = req.cache_parameter_group_name(v);
    }
    if let Some(v) = props.auto_minor_version_upgrade.filter(|v| differs("AutoMinorVersionUpgrade", json!(v))) {
        req = req.auto_minor_version_upgrade(v);
    }
    if let Some(v) = props.transit_encryption_enabled.filter(|v| differs("TransitEncryptionEnabled", json!(v))) {
        req = req.transit_encryption_enabled(v);
    }
    if let Some(v) = props.transit_encryption_mode.as_ref().filter(|v| differs("TransitEncryptionMode", json!(v))) {
        req = req.transit_encryption_mode(TransitEncryptionMode::from(v.as_str()));
    }
    if any {
        wait_settled(ctx, ids, group).await?;
        ctx.retry(ids, "elasticache:ModifyReplicationGroup", &["InvalidReplicationGroupState"], || req.clone().send())
            .await?;
        wait_settled(ctx, ids, group).await?;
    }
    let now = current.props.get("NumCacheClusters").and_then(Json::as_i64);
    if let (Some(want), Some(now)) = (props.num_cache_clusters, now) {
        let replicas = want - 1;
        if i64::from(want) > now {
            ctx.retry(ids, "elasticache:IncreaseReplicaCount", &["InvalidReplicationGroupState"], || {
                ec.increase_replica_count()
                    .replication_group_id(group)
                    .new_replica_count(replicas)
                    .apply_immediately(true)
                    .send()
            })
            .await?;
        } else if i64::from(want) < now {
            ctx.retry(ids, "elasticache:DecreaseReplicaCount", &["InvalidReplicationGroupState"], || {
                ec.decrease_replica_count()
                    .replication_group_id(group)
                    .new_replica_count(replicas)
                    .apply_immediately(true)
                    .send()
            })
            .await?;
        }
        wait_settled(ctx, ids, group).await?;
    }
    let found = wait_settled(ctx, ids, group).await?;
    add_tags(ctx, ids, found.arn().unwrap_or_default(), tags).await?;
    observe(ctx, id.clone(), &found).await
}

async fn find(ctx: &Ctx<'_>, id: &str, group: &str) -> Result<Option<ReplicationGroup>, AwsError> {
    let ec = &ctx.clients.elasticache;
    let out = ctx
        .retry(id, "elasticache:DescribeReplicationGroups", &[], || async {
            absent(
                ec.describe_replication_groups().replication_group_id(group).send().await,
                DescribeReplicationGroupsError::is_replication_group_not_found_fault,
            )
        })
        .await?;
    Ok(out.and_then(|o| o.replication_groups().first().cloned()))
}

/// Waits until the group is `available`.
async fn wait_settled(ctx: &Ctx<'_>, id: &str, group: &str) -> Result<ReplicationGroup, AwsError> {
    ctx.wait_for(id, "available", || async move {
        let Some(found) = find(ctx, id, group).await? else {
            return Err(ctx.fail(
                id,
                "elasticache:DescribeReplicationGroups",
                format!("replication group `{group}` does not exist (deleted outside this tool?); re-run plan"),
            ));
        };
        Ok((found.status() == Some("available")).then_some(found))
    })
    .await
}

/// The first member cluster, for the per-node settings; `None` where it cannot be described
/// (moto lists no members).
async fn member(ctx: &Ctx<'_>, id: &str, g: &ReplicationGroup) -> Result<Option<CacheCluster>, AwsError> {
    let ec = &ctx.clients.elasticache;
    let Some(first) = g.member_clusters().first() else { return Ok(None) };
    let out = ctx
        .retry(id, "elasticache:DescribeCacheClusters", &[], || async {
            absent(
                ec.describe_cache_clusters().cache_cluster_id(first).send().await,
                aws_sdk_elasticache::operation::describe_cache_clusters::DescribeCacheClustersError::is_cache_cluster_not_found_fault,
            )
        })
        .await?;
    Ok(out.and_then(|o| o.cache_clusters().first().cloned()))
}

/// `7.1.0` as the template writes it, `7.1`.
fn major_minor(version: &str) -> String {
    version.split('.').take(2).collect::<Vec<_>>().join(".")
}

async fn observe(ctx: &Ctx<'_>, id: LogicalId, g: &ReplicationGroup) -> Result<Observed, AwsError> {
    let ids = id.to_string();
    let group = g.replication_group_id().unwrap_or_default();
    let mut o = Observed::new(id, SdkKind::CacheReplicationGroup.cfn_type(), group);
    let node = g.node_groups().first();
    if let Some(e) = node.and_then(|n| n.primary_endpoint()) {
        o = o.attr("PrimaryEndPoint.Address", e.address().unwrap_or_default());
        if let Some(port) = e.port() {
            o = o.attr("PrimaryEndPoint.Port", port.to_string()).prop("Port", port);
        }
    }
    if let Some(e) = node.and_then(|n| n.reader_endpoint()) {
        o = o.attr("ReaderEndPoint.Address", e.address().unwrap_or_default());
        if let Some(port) = e.port() {
            o = o.attr("ReaderEndPoint.Port", port.to_string());
        }
    }
    if let Some(arn) = g.arn() {
        o = o.attr("Arn", arn);
    }
    o = o
        .prop("ReplicationGroupId", group)
        .prop("ReplicationGroupDescription", g.description().unwrap_or_default())
        .prop("Engine", g.engine().unwrap_or("redis"))
        .prop("CacheNodeType", g.cache_node_type().unwrap_or_default())
        .prop(
            "AutomaticFailoverEnabled",
            matches!(
                g.automatic_failover(),
                Some(AutomaticFailoverStatus::Enabled | AutomaticFailoverStatus::Enabling)
            ),
        )
        .prop("MultiAZEnabled", matches!(g.multi_az(), Some(MultiAzStatus::Enabled)))
        .prop("AtRestEncryptionEnabled", g.at_rest_encryption_enabled().unwrap_or(false))
        .prop("TransitEncryptionEnabled", g.transit_encryption_enabled().unwrap_or(false))
        .prop("SnapshotRetentionLimit", g.snapshot_retention_limit().unwrap_or(0));
    // Absent settings read back as `null`, as a template without them means.
    o = o
        .prop("TransitEncryptionMode", g.transit_encryption_mode().map_or(Json::Null, |m| json!(m.as_str())))
        .prop("SnapshotWindow", g.snapshot_window().map_or(Json::Null, Json::from))
        .prop("AutoMinorVersionUpgrade", g.auto_minor_version_upgrade().map_or(Json::Null, Json::from));
    if let Some(c) = member(ctx, &ids, g).await? {
        let sgs: Vec<Json> = c
            .security_groups()
            .iter()
            .filter_map(|s| s.security_group_id().map(|x| Json::String(x.to_owned())))
            .collect();
        o = o
            .prop("NumCacheClusters", i64::try_from(g.member_clusters().len()).unwrap_or(i64::MAX))
            .prop("EngineVersion", major_minor(c.engine_version().unwrap_or_default()))
            .prop("CacheSubnetGroupName", c.cache_subnet_group_name().unwrap_or_default())
            .prop("SecurityGroupIds", sgs);
        // A group given none has its family's default, which the template does not name.
        let group = c
            .cache_parameter_group()
            .and_then(|p| p.cache_parameter_group_name())
            .filter(|p| !p.starts_with("default."));
        o = o
            .prop("PreferredMaintenanceWindow", c.preferred_maintenance_window().map_or(Json::Null, Json::from))
            .prop("CacheParameterGroupName", group.map_or(Json::Null, Json::from));
    }
    o.hash = state::hash_of(&list_tags(ctx, &ids, g.arn().unwrap_or_default()).await?);
    Ok(o)
}

pub(super) async fn discover_replication_groups(ctx: &Ctx<'_>) -> Result<Vec<Observed>, AwsError> {
    let ec = &ctx.clients.elasticache;
    let mut found = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let m = marker.clone();
        let out = ctx
            .retry("-", "elasticache:DescribeReplicationGroups", &[], || {
                ec.describe_replication_groups().set_marker(m.clone()).send()
            })
            .await?;
        for g in out.replication_groups() {
            // Its delete was taken: no longer the stack's (see the module docs).
            if g.status() == Some("deleting") {
                continue;
            }
            let Some(arn) = g.arn() else { continue };
            if let Some((id, _)) = ctx.ours(&list_tags(ctx, "-", arn).await?) {
                found.push(observe(ctx, id, g).await?);
            }
        }
        marker = out.marker().filter(|m| !m.is_empty()).map(str::to_owned);
        if marker.is_none() {
            return Ok(found);
        }
    }
}
