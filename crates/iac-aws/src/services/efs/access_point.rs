//! `AWS::EFS::AccessPoint`: created with a deterministic `ClientToken` and its tags; everything
//! but the tags replaces it.

use aws_sdk_efs::operation::describe_access_points::DescribeAccessPointsError;
use aws_sdk_efs::types::{AccessPointDescription, CreationInfo, LifeCycleState, PosixUser, RootDirectory};
use iac_core::LogicalId;
use iac_core::model::{self, ResourceEntry};
use serde::Deserialize;
use serde_json::json;

use super::{Ctx, efs_tags, retag, tag_pairs};
use crate::adapter::{self, Adapter, CfnTag, Desired, SdkKind, de};
use crate::error::AwsError;
use crate::services::{absent, client_token, code_in};
use crate::state::{self, Observed, Tags};

/// The desired properties of an `AWS::EFS::AccessPoint`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct AccessPointProps {
    pub(crate) file_system_id: String,
    #[serde(default)]
    pub(crate) posix_user: Option<Posix>,
    #[serde(default)]
    pub(crate) root_directory: Option<Root>,
    #[serde(default)]
    pub(crate) access_point_tags: Vec<CfnTag>,
}

impl Desired for AccessPointProps {
    fn template_tags(&self) -> Vec<(&str, &str)> {
        adapter::pairs(&self.access_point_tags)
    }
}

/// `PosixUser`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct Posix {
    #[serde(deserialize_with = "de::text")]
    pub(crate) uid: String,
    #[serde(deserialize_with = "de::text")]
    pub(crate) gid: String,
}

/// `RootDirectory`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct Root {
    #[serde(default)]
    pub(crate) path: Option<String>,
    #[serde(default)]
    pub(crate) creation_info: Option<Creation>,
}

/// `CreationInfo`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct Creation {
    #[serde(deserialize_with = "de::text")]
    pub(crate) owner_uid: String,
    #[serde(deserialize_with = "de::text")]
    pub(crate) owner_gid: String,
    pub(crate) permissions: String,
}

fn number(ctx: &Ctx<'_>, id: &str, property: &str, v: &str) -> Result<i64, AwsError> {
    v.parse().map_err(|_| AwsError::Property {
        stack: ctx.stack.name().to_owned(),
        id: id.to_owned(),
        property: property.to_owned(),
        message: format!("expected a number, found `{v}`"),
    })
}

impl Adapter for model::AccessPoint {
    type Props = AccessPointProps;

    async fn create(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        props: &AccessPointProps,
        tags: &Tags,
    ) -> Result<Observed, AwsError> {
        let efs = &ctx.clients.efs;
        let id = entry.id.as_str();
        let action = "elasticfilesystem:CreateAccessPoint";
        let posix = match &props.posix_user {
            Some(p) => Some(
                PosixUser::builder()
                    .uid(number(ctx, id, "PosixUser.Uid", &p.uid)?)
                    .gid(number(ctx, id, "PosixUser.Gid", &p.gid)?)
                    .build()
                    .map_err(|e| ctx.fail(id, action, e))?,
            ),
            None => None,
        };
        let root = match &props.root_directory {
            Some(r) => {
                let info = match &r.creation_info {
                    Some(c) => Some(
                        CreationInfo::builder()
                            .owner_uid(number(ctx, id, "RootDirectory.CreationInfo.OwnerUid", &c.owner_uid)?)
                            .owner_gid(number(ctx, id, "RootDirectory.CreationInfo.OwnerGid", &c.owner_gid)?)
                            .permissions(&c.permissions)
                            .build()
                            .map_err(|e| ctx.fail(id, action, e))?,
                    ),
                    None => None,
                };
                Some(RootDirectory::builder().set_path(r.path.clone()).set_creation_info(info).build())
            }
            None => None,
        };
        let token = client_token(ctx, &entry.id, tags, 64);
        let request = efs
            .create_access_point()
            .client_token(token)
            .file_system_id(&props.file_system_id)
            .set_posix_user(posix)
            .set_root_directory(root)
            .set_tags(Some(efs_tags(ctx, id, action, tags)?));
        let out = ctx.retry(id, action, &["IncorrectFileSystemLifeCycleState"], || request.clone().send()).await?;
        let ap = out.access_point_id().unwrap_or_default().to_owned();
        let found = ctx
            .wait_for(id, "available", || async {
                let Some(found) = find(ctx, id, &ap).await? else {
                    return Err(ctx.fail(
                        id,
                        "elasticfilesystem:DescribeAccessPoints",
                        format!("access point {ap} is gone; re-run plan"),
                    ));
                };
                Ok(found.life_cycle_state().is_none_or(|s| *s == LifeCycleState::Available).then_some(found))
            })
            .await?;
        Ok(observe(entry.id.clone(), &found))
    }

    /// Only the tags change in place.
    async fn update(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        current: &Observed,
        _: &AccessPointProps,
        tags: &Tags,
    ) -> Result<Observed, AwsError> {
        let id = entry.id.as_str();
        retag(ctx, id, &current.physical_id, tags).await?;
        let found = find(ctx, id, &current.physical_id).await?.ok_or_else(|| {
            ctx.fail(id, "elasticfilesystem:DescribeAccessPoints", "the access point is gone; re-run plan")
        })?;
        Ok(observe(entry.id.clone(), &found))
    }

    async fn delete(ctx: &Ctx<'_>, current: &Observed) -> Result<(), AwsError> {
        let efs = &ctx.clients.efs;
        let (id, ap) = (current.id.as_str(), current.physical_id.as_str());
        ctx.retry(id, "elasticfilesystem:DeleteAccessPoint", &[], || async {
            match efs.delete_access_point().access_point_id(ap).send().await {
                Ok(_) => Ok(()),
                Err(e) if code_in(&e, &["AccessPointNotFound"]) => Ok(()),
                Err(e) => Err(e),
            }
        })
        .await?;
        ctx.wait_gone(id, || find(ctx, id, ap)).await
    }
}

async fn find(ctx: &Ctx<'_>, id: &str, ap: &str) -> Result<Option<AccessPointDescription>, AwsError> {
    let efs = &ctx.clients.efs;
    let out = ctx
        .retry(id, "elasticfilesystem:DescribeAccessPoints", &[], || async {
            absent(
                efs.describe_access_points().access_point_id(ap).send().await,
                DescribeAccessPointsError::is_access_point_not_found,
            )
        })
        .await?;
    Ok(out
        .and_then(|o| o.access_points().first().cloned())
        .filter(|a| a.life_cycle_state() != Some(&LifeCycleState::Deleted)))
}

fn observe(id: LogicalId, ap: &AccessPointDescription) -> Observed {
    let ap_id = ap.access_point_id().unwrap_or_default();
    let mut o = Observed::new(id, SdkKind::AccessPoint.cfn_type(), ap_id)
        .attr("AccessPointId", ap_id)
        .attr("Arn", ap.access_point_arn().unwrap_or_default())
        .prop("FileSystemId", ap.file_system_id().unwrap_or_default());
    if let Some(p) = ap.posix_user() {
        o = o.prop("PosixUser", json!({ "Uid": p.uid().to_string(), "Gid": p.gid().to_string() }));
    }
    if let Some(r) = ap.root_directory() {
        let mut root = json!({ "Path": r.path().unwrap_or("/") });
        if let Some(c) = r.creation_info() {
            root["CreationInfo"] = json!({
                "OwnerUid": c.owner_uid().to_string(),
                "OwnerGid": c.owner_gid().to_string(),
                "Permissions": c.permissions(),
            });
        }
        o = o.prop("RootDirectory", root);
    }
    o.hash = state::hash_of(&tag_pairs(ap.tags()));
    o
}

/// Every access point of this region whose tags name this stack and environment.
pub(super) async fn discover_access_points(ctx: &Ctx<'_>) -> Result<Vec<Observed>, AwsError> {
    let efs = &ctx.clients.efs;
    let mut found = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let t = token.clone();
        let out = ctx
            .retry("-", "elasticfilesystem:DescribeAccessPoints", &[], || {
                efs.describe_access_points().set_next_token(t.clone()).send()
            })
            .await?;
        for ap in out.access_points() {
            if ap.life_cycle_state().is_some_and(|s| matches!(s, LifeCycleState::Deleting | LifeCycleState::Deleted)) {
                continue;
            }
            if ctx.ours(&tag_pairs(ap.tags())).is_some() {
                let (id, _) = ctx.ours(&tag_pairs(ap.tags())).expect("checked");
                found.push(observe(id, ap));
            }
        }
        token = out.next_token().filter(|t| !t.is_empty()).map(str::to_owned);
        if token.is_none() {
            return Ok(found);
        }
    }
}
