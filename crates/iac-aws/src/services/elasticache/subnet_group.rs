//! `AWS::ElastiCache::SubnetGroup`: created with its tags; description and subnets change in
//! place (`ModifyCacheSubnetGroup`); deleted once no replication group uses it.

use aws_sdk_elasticache::operation::describe_cache_subnet_groups::DescribeCacheSubnetGroupsError;
use aws_sdk_elasticache::types::CacheSubnetGroup;
use iac_core::LogicalId;
use iac_core::model::{self, ResourceEntry};
use serde::Deserialize;
use serde_json::Value as Json;

use super::{Ctx, add_tags, list_tags};
use crate::adapter::{self, Adapter, CfnTag, Desired, SdkKind};
use crate::error::AwsError;
use crate::services::{absent, code_in, sdk_tags};
use crate::state::{self, Observed, Tags};

/// The desired properties of an `AWS::ElastiCache::SubnetGroup`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct CacheSubnetGroupProps {
    pub(crate) cache_subnet_group_name: String,
    pub(crate) description: String,
    pub(crate) subnet_ids: Vec<String>,
    #[serde(default)]
    pub(crate) tags: Vec<CfnTag>,
}

impl Desired for CacheSubnetGroupProps {
    fn template_tags(&self) -> Vec<(&str, &str)> {
        adapter::pairs(&self.tags)
    }
}

impl Adapter for model::CacheSubnetGroup {
    type Props = CacheSubnetGroupProps;

    async fn create(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        props: &CacheSubnetGroupProps,
        tags: &Tags,
    ) -> Result<Observed, AwsError> {
        let ec = &ctx.clients.elasticache;
        let id = entry.id.as_str();
        let name = props.cache_subnet_group_name.as_str();
        let tags_sdk = sdk_tags(tags);
        let made = ctx
            .retry(id, "elasticache:CreateCacheSubnetGroup", &["InvalidSubnet"], || async {
                let r = ec
                    .create_cache_subnet_group()
                    .cache_subnet_group_name(name)
                    .cache_subnet_group_description(&props.description)
                    .set_subnet_ids(Some(props.subnet_ids.clone()))
                    .set_tags(Some(tags_sdk.clone()))
                    .send()
                    .await;
                match r {
                    Ok(_) => Ok(true),
                    Err(e) if code_in(&e, &["CacheSubnetGroupAlreadyExists"]) => Ok(false),
                    Err(e) => Err(e),
                }
            })
            .await?;
        if !made {
            // An earlier attempt made it (its tags say so), or the name is someone else's.
            let group = find(ctx, id, name)
                .await?
                .ok_or_else(|| ctx.fail(id, "elasticache:CreateCacheSubnetGroup", "exists and is gone"))?;
            let arn = group.arn().unwrap_or_default();
            let have = list_tags(ctx, id, arn).await?;
            state::claimable(&have, ctx.stack.name(), ctx.stack.env(), id).map_err(|who| {
                ctx.fail(
                    id,
                    "elasticache:CreateCacheSubnetGroup",
                    format!("cache subnet group `{name}` exists and is {who}"),
                )
            })?;
            return update(ctx, &entry.id, &group, props, tags).await;
        }
        read(ctx, &entry.id, name).await
    }

    async fn update(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        current: &Observed,
        props: &CacheSubnetGroupProps,
        tags: &Tags,
    ) -> Result<Observed, AwsError> {
        let id = entry.id.as_str();
        let group = find(ctx, id, &current.physical_id).await?.ok_or_else(|| {
            ctx.fail(id, "elasticache:DescribeCacheSubnetGroups", "the subnet group is gone; re-run plan")
        })?;
        update(ctx, &entry.id, &group, props, tags).await
    }

    /// Deletes the group, waiting while a replication group still uses it.
    async fn delete(ctx: &Ctx<'_>, current: &Observed) -> Result<(), AwsError> {
        let ec = &ctx.clients.elasticache;
        let (id, name) = (current.id.as_str(), current.physical_id.as_str());
        ctx.wait_for(id, "deleted (a replication group still uses it)", || async {
            let done = ctx
                .retry(id, "elasticache:DeleteCacheSubnetGroup", &[], || async {
                    match ec.delete_cache_subnet_group().cache_subnet_group_name(name).send().await {
                        Ok(_) => Ok(true),
                        Err(e) if code_in(&e, &["CacheSubnetGroupNotFoundFault"]) => Ok(true),
                        Err(e) if code_in(&e, &["CacheSubnetGroupInUse"]) => Ok(false),
                        Err(e) => Err(e),
                    }
                })
                .await?;
            Ok(done.then_some(()))
        })
        .await
    }
}

async fn update(
    ctx: &Ctx<'_>,
    id: &LogicalId,
    group: &CacheSubnetGroup,
    props: &CacheSubnetGroupProps,
    tags: &Tags,
) -> Result<Observed, AwsError> {
    let ec = &ctx.clients.elasticache;
    let ids = id.as_str();
    let name = group.cache_subnet_group_name().unwrap_or_default();
    let now = observe(id.clone(), group);
    let want_subnets = Json::Array(props.subnet_ids.iter().cloned().map(Json::String).collect());
    let same_subnets = crate::desired::changed(&serde_json::json!({ "SubnetIds": want_subnets }), &now.props)
        .iter()
        .all(|p| p != "SubnetIds");
    if group.cache_subnet_group_description() != Some(props.description.as_str()) || !same_subnets {
        ctx.retry(ids, "elasticache:ModifyCacheSubnetGroup", &["InvalidSubnet"], || {
            ec.modify_cache_subnet_group()
                .cache_subnet_group_name(name)
                .cache_subnet_group_description(&props.description)
                .set_subnet_ids(Some(props.subnet_ids.clone()))
                .send()
        })
        .await?;
    }
    add_tags(ctx, ids, group.arn().unwrap_or_default(), tags).await?;
    read(ctx, id, name).await
}

async fn find(ctx: &Ctx<'_>, id: &str, name: &str) -> Result<Option<CacheSubnetGroup>, AwsError> {
    let ec = &ctx.clients.elasticache;
    let out = ctx
        .retry(id, "elasticache:DescribeCacheSubnetGroups", &[], || async {
            absent(
                ec.describe_cache_subnet_groups().cache_subnet_group_name(name).send().await,
                DescribeCacheSubnetGroupsError::is_cache_subnet_group_not_found_fault,
            )
        })
        .await?;
    Ok(out.and_then(|o| o.cache_subnet_groups().first().cloned()))
}

async fn read(ctx: &Ctx<'_>, id: &LogicalId, name: &str) -> Result<Observed, AwsError> {
    let ids = id.as_str();
    let group = find(ctx, ids, name).await?.ok_or_else(|| {
        ctx.fail(ids, "elasticache:DescribeCacheSubnetGroups", format!("subnet group `{name}` is not there"))
    })?;
    let mut o = observe(id.clone(), &group);
    o.hash = state::hash_of(&list_tags(ctx, ids, group.arn().unwrap_or_default()).await?);
    Ok(o)
}

fn observe(id: LogicalId, g: &CacheSubnetGroup) -> Observed {
    let name = g.cache_subnet_group_name().unwrap_or_default();
    let subnets: Vec<Json> =
        g.subnets().iter().filter_map(|s| s.subnet_identifier().map(|x| Json::String(x.to_owned()))).collect();
    Observed::new(id, SdkKind::CacheSubnetGroup.cfn_type(), name)
        .prop("CacheSubnetGroupName", name)
        .prop("Description", g.cache_subnet_group_description().unwrap_or_default())
        .prop("SubnetIds", subnets)
}

pub(super) async fn discover_subnet_groups(ctx: &Ctx<'_>) -> Result<Vec<Observed>, AwsError> {
    let ec = &ctx.clients.elasticache;
    let mut found = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let m = marker.clone();
        let out = ctx
            .retry("-", "elasticache:DescribeCacheSubnetGroups", &[], || {
                ec.describe_cache_subnet_groups().set_marker(m.clone()).send()
            })
            .await?;
        for g in out.cache_subnet_groups() {
            let Some(arn) = g.arn() else { continue };
            let tags = list_tags(ctx, "-", arn).await?;
            if let Some((id, hash)) = ctx.ours(&tags) {
                let mut o = observe(id, g);
                o.hash = hash;
                found.push(o);
            }
        }
        marker = out.marker().filter(|m| !m.is_empty()).map(str::to_owned);
        if marker.is_none() {
            return Ok(found);
        }
    }
}
