//! `AWS::CloudFront::OriginAccessControl`: created, updated with the `ETag` of a fresh read
//! (`IfMatch`), deleted once no distribution uses it. It takes no tags; its physical id is the
//! control's id, and it is found by its name (see the service docs). A create first looks for a
//! control of that name, so a rerun after a kill makes no second one.

use aws_sdk_cloudfront::types::{
    OriginAccessControl, OriginAccessControlConfig, OriginAccessControlOriginTypes,
    OriginAccessControlSigningBehaviors, OriginAccessControlSigningProtocols,
};
use iac_core::LogicalId;
use iac_core::model::{self, ResourceEntry};
use serde::{Deserialize, Serialize};

use crate::adapter::{Adapter, Desired, SdkKind, de};
use crate::error::AwsError;
use crate::services::{Ctx, absent_on, code_in, paged_items};
use crate::state::{Observed, Tags};

/// The desired properties of an `AWS::CloudFront::OriginAccessControl`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct OriginAccessControlProps {
    pub(crate) origin_access_control_config: OacConfig,
}

/// `OriginAccessControlConfig`, also read back in this shape.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct OacConfig {
    #[serde(deserialize_with = "de::text")]
    pub(crate) name: String,
    #[serde(default, deserialize_with = "de::opt_text", skip_serializing_if = "Option::is_none")]
    pub(crate) description: Option<String>,
    #[serde(deserialize_with = "de::text")]
    pub(crate) origin_access_control_origin_type: String,
    #[serde(deserialize_with = "de::text")]
    pub(crate) signing_behavior: String,
    #[serde(deserialize_with = "de::text")]
    pub(crate) signing_protocol: String,
}

impl Desired for OriginAccessControlProps {}

impl OacConfig {
    fn to_sdk(&self, ctx: &Ctx<'_>, id: &str) -> Result<OriginAccessControlConfig, AwsError> {
        OriginAccessControlConfig::builder()
            .name(&self.name)
            .set_description(self.description.clone())
            .origin_access_control_origin_type(OriginAccessControlOriginTypes::from(
                self.origin_access_control_origin_type.as_str(),
            ))
            .signing_behavior(OriginAccessControlSigningBehaviors::from(self.signing_behavior.as_str()))
            .signing_protocol(OriginAccessControlSigningProtocols::from(self.signing_protocol.as_str()))
            .build()
            .map_err(|e| ctx.fail(id, "cloudfront:CreateOriginAccessControl", e))
    }
}

impl Adapter for model::OriginAccessControl {
    type Props = OriginAccessControlProps;

    /// `CreateOriginAccessControl`, unless a control of that name exists (then updated).
    async fn create(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        props: &OriginAccessControlProps,
        tags: &Tags,
    ) -> Result<Observed, AwsError> {
        let id = entry.id.as_str();
        let config = &props.origin_access_control_config;
        let existing = discover_named(ctx, &[(entry.id.clone(), config.name.clone())]).await?;
        if let Some(current) = existing.first() {
            return Self::update(ctx, entry, current, props, tags).await;
        }
        let cf = &ctx.clients.cloudfront;
        let sdk = config.to_sdk(ctx, id)?;
        let out = ctx
            .retry(id, "cloudfront:CreateOriginAccessControl", &[], || {
                cf.create_origin_access_control().origin_access_control_config(sdk.clone()).send()
            })
            .await?;
        let oac = out
            .origin_access_control()
            .ok_or_else(|| ctx.fail(id, "cloudfront:CreateOriginAccessControl", "the answer names no control"))?;
        Ok(observe(entry.id.clone(), oac))
    }

    /// `UpdateOriginAccessControl` with the `ETag` of a fresh read.
    async fn update(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        current: &Observed,
        props: &OriginAccessControlProps,
        _tags: &Tags,
    ) -> Result<Observed, AwsError> {
        let id = entry.id.as_str();
        let cf = &ctx.clients.cloudfront;
        let oac_id = current.physical_id.as_str();
        let (_, etag) = get(ctx, id, oac_id)
            .await?
            .ok_or_else(|| ctx.fail(id, "cloudfront:GetOriginAccessControl", format!("{oac_id} does not exist")))?;
        let sdk = props.origin_access_control_config.to_sdk(ctx, id)?;
        let out = ctx
            .retry(id, "cloudfront:UpdateOriginAccessControl", &["PreconditionFailed"], || {
                cf.update_origin_access_control()
                    .id(oac_id)
                    .if_match(&etag)
                    .origin_access_control_config(sdk.clone())
                    .send()
            })
            .await?;
        let oac = out
            .origin_access_control()
            .ok_or_else(|| ctx.fail(id, "cloudfront:UpdateOriginAccessControl", "the answer names no control"))?;
        Ok(observe(entry.id.clone(), oac))
    }

    /// `DeleteOriginAccessControl` with the `ETag` of a fresh read, polled while a distribution
    /// still uses it; already gone is success.
    async fn delete(ctx: &Ctx<'_>, current: &Observed) -> Result<(), AwsError> {
        let id = current.id.as_str();
        let cf = &ctx.clients.cloudfront;
        let oac_id = current.physical_id.as_str();
        ctx.wait_for(id, "deletable (no distribution uses it)", || async move {
            let Some((_, etag)) = get(ctx, id, oac_id).await? else { return Ok(Some(())) };
            match cf.delete_origin_access_control().id(oac_id).if_match(etag).send().await {
                Ok(_) => Ok(Some(())),
                Err(e) if code_in(&e, &["NoSuchOriginAccessControl"]) => Ok(Some(())),
                Err(e) if code_in(&e, &["OriginAccessControlInUse", "PreconditionFailed"]) => Ok(None),
                Err(e) => Err(ctx.sdk_error(id, "cloudfront:DeleteOriginAccessControl", e)),
            }
        })
        .await
    }
}

/// The control and its `ETag`, `None` when it does not exist.
async fn get(ctx: &Ctx<'_>, id: &str, oac_id: &str) -> Result<Option<(OriginAccessControl, String)>, AwsError> {
    let cf = &ctx.clients.cloudfront;
    let out = ctx
        .retry(id, "cloudfront:GetOriginAccessControl", &[], || async move {
            absent_on(cf.get_origin_access_control().id(oac_id).send().await, &["NoSuchOriginAccessControl"])
        })
        .await?;
    Ok(out.and_then(|o| Some((o.origin_access_control()?.clone(), o.e_tag().unwrap_or_default().to_owned()))))
}

/// The controls named as `wanted` says, as the resources of those logical ids.
pub(super) async fn discover_named(ctx: &Ctx<'_>, wanted: &[(LogicalId, String)]) -> Result<Vec<Observed>, AwsError> {
    let cf = &ctx.clients.cloudfront;
    let all = paged_items(
        ctx,
        "-",
        "cloudfront:ListOriginAccessControls",
        |marker| cf.list_origin_access_controls().set_marker(marker).send(),
        |o| {
            let list = o.origin_access_control_list();
            (
                list.map_or(&[][..], aws_sdk_cloudfront::types::OriginAccessControlList::items),
                list.filter(|l| l.is_truncated()).and_then(|l| l.next_marker()),
            )
        },
    )
    .await?;
    let mut out = Vec::new();
    for (id, name) in wanted {
        if let Some(summary) = all.iter().find(|s| s.name() == name)
            && let Some((oac, _)) = get(ctx, id.as_str(), summary.id()).await?
        {
            out.push(observe(id.clone(), &oac));
        }
    }
    Ok(out)
}

fn observe(id: LogicalId, oac: &OriginAccessControl) -> Observed {
    let mut o = Observed::new(id, SdkKind::OriginAccessControl.cfn_type(), oac.id()).attr("Id", oac.id());
    if let Some(c) = oac.origin_access_control_config() {
        let config = OacConfig {
            name: c.name().to_owned(),
            description: c.description().filter(|d| !d.is_empty()).map(str::to_owned),
            origin_access_control_origin_type: c.origin_access_control_origin_type().as_str().to_owned(),
            signing_behavior: c.signing_behavior().as_str().to_owned(),
            signing_protocol: c.signing_protocol().as_str().to_owned(),
        };
        o = o.prop("OriginAccessControlConfig", serde_json::to_value(config).unwrap_or_default());
    }
    o
}
