//! `AWS::ElastiCache::ParameterGroup`: named `<stack>-<env>-<id>` (CloudFormation names it
//! itself: the template has no name property), created with its tags, its parameters set with
//! `ModifyCacheParameterGroup` (20 at a time) and those removed from the stack reset to the
//! family's default. Moto has none of these calls (see [`super`]).

use std::collections::BTreeMap;

use aws_sdk_elasticache::operation::describe_cache_parameter_groups::DescribeCacheParameterGroupsError;
use aws_sdk_elasticache::types::{CacheParameterGroup, ParameterNameValue};
use iac_core::LogicalId;
use iac_core::model::{self, ResourceEntry};
use serde::Deserialize;
use serde_json::{Map, Value as Json};

use super::{Ctx, add_tags, list_tags};
use crate::adapter::{self, Adapter, CfnTag, Desired, SdkKind, de};
use crate::error::AwsError;
use crate::services::{absent, code_in, sdk_tags};
use crate::state::{self, Observed, Tags};

/// The desired properties of an `AWS::ElastiCache::ParameterGroup`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct CacheParameterGroupProps {
    pub(crate) cache_parameter_group_family: String,
    pub(crate) description: String,
    #[serde(default, deserialize_with = "de::text_map")]
    pub(crate) properties: BTreeMap<String, String>,
    #[serde(default)]
    pub(crate) tags: Vec<CfnTag>,
}

impl Desired for CacheParameterGroupProps {
    fn template_tags(&self) -> Vec<(&str, &str)> {
        adapter::pairs(&self.tags)
    }
}

impl Adapter for model::CacheParameterGroup {
    type Props = CacheParameterGroupProps;

    async fn create(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        props: &CacheParameterGroupProps,
        tags: &Tags,
    ) -> Result<Observed, AwsError> {
        let ec = &ctx.clients.elasticache;
        let id = entry.id.as_str();
        let name = iac_core::naming::physical_name(ctx.stack, entry).unwrap_or_else(|| id.to_owned());
        let tags_sdk = sdk_tags(tags);
        ctx.retry(id, "elasticache:CreateCacheParameterGroup", &[], || async {
            let r = ec
                .create_cache_parameter_group()
                .cache_parameter_group_name(&name)
                .cache_parameter_group_family(&props.cache_parameter_group_family)
                .description(&props.description)
                .set_tags(Some(tags_sdk.clone()))
                .send()
                .await;
            match r {
                Ok(_) => Ok(()),
                // An earlier attempt made it: its tags are checked and rewritten below.
                Err(e) if code_in(&e, &["CacheParameterGroupAlreadyExists"]) => Ok(()),
                Err(e) => Err(e),
            }
        })
        .await?;
        let group = find(ctx, id, &name)
            .await?
            .ok_or_else(|| ctx.fail(id, "elasticache:DescribeCacheParameterGroups", "not there after its create"))?;
        let have = list_tags(ctx, id, group.arn().unwrap_or_default()).await?;
        state::claimable(&have, ctx.stack.name(), ctx.stack.env(), id).map_err(|who| {
            ctx.fail(
                id,
                "elasticache:CreateCacheParameterGroup",
                format!("cache parameter group `{name}` exists and is {who}"),
            )
        })?;
        set_parameters(ctx, id, &name, &props.properties, &BTreeMap::new()).await?;
        add_tags(ctx, id, group.arn().unwrap_or_default(), tags).await?;
        read(ctx, &entry.id, &name).await
    }

    async fn update(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        current: &Observed,
        props: &CacheParameterGroupProps,
        tags: &Tags,
    ) -> Result<Observed, AwsError> {
        let id = entry.id.as_str();
        let name = current.physical_id.as_str();
        let now: BTreeMap<String, String> = current
            .props
            .get("Properties")
            .and_then(Json::as_object)
            .map(|m| m.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned())).collect())
            .unwrap_or_default();
        set_parameters(ctx, id, name, &props.properties, &now).await?;
        if let Some(arn) = current.attrs.get("Arn") {
            add_tags(ctx, id, arn, tags).await?;
        }
        read(ctx, &entry.id, name).await
    }

    async fn delete(ctx: &Ctx<'_>, current: &Observed) -> Result<(), AwsError> {
        let ec = &ctx.clients.elasticache;
        let (id, name) = (current.id.as_str(), current.physical_id.as_str());
        ctx.wait_for(id, "deleted (a replication group still uses it)", || async {
            let done = ctx
                .retry(id, "elasticache:DeleteCacheParameterGroup", &[], || async {
                    match ec.delete_cache_parameter_group().cache_parameter_group_name(name).send().await {
                        Ok(_) => Ok(true),
                        Err(e) if code_in(&e, &["CacheParameterGroupNotFound"]) => Ok(true),
                        Err(e) if code_in(&e, &["InvalidCacheParameterGroupState"]) => Ok(false),
                        Err(e) => Err(e),
                    }
                })
                .await?;
            Ok(done.then_some(()))
        })
        .await
    }
}

/// Sets `want` (those differing from `now`), 20 at a time, and resets what `now` has and `want`
/// has not.
async fn set_parameters(
    ctx: &Ctx<'_>,
    id: &str,
    name: &str,
    want: &BTreeMap<String, String>,
    now: &BTreeMap<String, String>,
) -> Result<(), AwsError> {
    let ec = &ctx.clients.elasticache;
    let changed: Vec<ParameterNameValue> = want
        .iter()
        .filter(|(k, v)| now.get(*k) != Some(*v))
        .map(|(k, v)| ParameterNameValue::builder().parameter_name(k).parameter_value(v).build())
        .collect();
    for chunk in changed.chunks(20) {
        ctx.retry(id, "elasticache:ModifyCacheParameterGroup", &["InvalidCacheParameterGroupState"], || {
            ec.modify_cache_parameter_group()
                .cache_parameter_group_name(name)
                .set_parameter_name_values(Some(chunk.to_vec()))
                .send()
        })
        .await?;
    }
    let removed: Vec<ParameterNameValue> = now
        .keys()
        .filter(|k| !want.contains_key(*k))
        .map(|k| ParameterNameValue::builder().parameter_name(k).build())
        .collect();
    for chunk in removed.chunks(20) {
        ctx.retry(id, "elasticache:ResetCacheParameterGroup", &["InvalidCacheParameterGroupState"], || {
            ec.reset_cache_parameter_group()
                .cache_parameter_group_name(name)
                .set_parameter_name_values(Some(chunk.to_vec()))
                .send()
        })
        .await?;
    }
    Ok(())
}

async fn find(ctx: &Ctx<'_>, id: &str, name: &str) -> Result<Option<CacheParameterGroup>, AwsError> {
    let ec = &ctx.clients.elasticache;
    let out = ctx
        .retry(id, "elasticache:DescribeCacheParameterGroups", &[], || async {
            absent(
                ec.describe_cache_parameter_groups().cache_parameter_group_name(name).send().await,
                DescribeCacheParameterGroupsError::is_cache_parameter_group_not_found_fault,
            )
        })
        .await?;
    Ok(out.and_then(|o| o.cache_parameter_groups().first().cloned()))
}

/// The parameters set by the user (`Source` = `user`).
async fn user_parameters(ctx: &Ctx<'_>, id: &str, name: &str) -> Result<Map<String, Json>, AwsError> {
    let ec = &ctx.clients.elasticache;
    let mut out = Map::new();
    let mut marker: Option<String> = None;
    loop {
        let m = marker.clone();
        let page = ctx
            .retry(id, "elasticache:DescribeCacheParameters", &[], || {
                ec.describe_cache_parameters()
                    .cache_parameter_group_name(name)
                    .source("user")
                    .set_marker(m.clone())
                    .send()
            })
            .await?;
        for p in page.parameters() {
            if let (Some(k), Some(v)) = (p.parameter_name(), p.parameter_value()) {
                out.insert(k.to_owned(), Json::String(v.to_owned()));
            }
        }
        marker = page.marker().filter(|m| !m.is_empty()).map(str::to_owned);
        if marker.is_none() {
            return Ok(out);
        }
    }
}

async fn observe(ctx: &Ctx<'_>, id: LogicalId, g: &CacheParameterGroup, tags: &Tags) -> Result<Observed, AwsError> {
    let name = g.cache_parameter_group_name().unwrap_or_default();
    let params = user_parameters(ctx, id.as_str(), name).await?;
    let mut o = Observed::new(id, SdkKind::CacheParameterGroup.cfn_type(), name)
        .attr("Arn", g.arn().unwrap_or_default())
        .prop("CacheParameterGroupFamily", g.cache_parameter_group_family().unwrap_or_default())
        .prop("Description", g.description().unwrap_or_default())
        .prop("Properties", Json::Object(params));
    o.hash = state::hash_of(tags);
    Ok(o)
}

async fn read(ctx: &Ctx<'_>, id: &LogicalId, name: &str) -> Result<Observed, AwsError> {
    let ids = id.as_str();
    let g = find(ctx, ids, name).await?.ok_or_else(|| {
        ctx.fail(ids, "elasticache:DescribeCacheParameterGroups", format!("parameter group `{name}` is not there"))
    })?;
    let tags = list_tags(ctx, ids, g.arn().unwrap_or_default()).await?;
    observe(ctx, id.clone(), &g, &tags).await
}

pub(super) async fn discover_parameter_groups(ctx: &Ctx<'_>) -> Result<Vec<Observed>, AwsError> {
    let ec = &ctx.clients.elasticache;
    let mut found = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let m = marker.clone();
        let out = ctx
            .retry("-", "elasticache:DescribeCacheParameterGroups", &[], || {
                ec.describe_cache_parameter_groups().set_marker(m.clone()).send()
            })
            .await?;
        for g in out.cache_parameter_groups() {
            // The families' own defaults carry no tags of ours.
            if g.cache_parameter_group_name().is_none_or(|n| n.starts_with("default.")) {
                continue;
            }
            let Some(arn) = g.arn() else { continue };
            let tags = list_tags(ctx, "-", arn).await?;
            if let Some((id, _)) = ctx.ours(&tags) {
                found.push(observe(ctx, id, g, &tags).await?);
            }
        }
        marker = out.marker().filter(|m| !m.is_empty()).map(str::to_owned);
        if marker.is_none() {
            return Ok(found);
        }
    }
}
