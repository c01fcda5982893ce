//! `AWS::CloudFront::Distribution`, waited on until `Deployed` after every change.
//!
//! - Create: `CreateDistributionWithTags`, so the distribution is tagged from the start, with a
//!   `CallerReference` derived from the stack, environment, logical id and desired hash: a rerun
//!   of a create that was killed inside the call is answered `DistributionAlreadyExists` by
//!   CloudFront instead of making a second distribution, and the engine then takes the tagged
//!   one found by discovery.
//! - Update: `GetDistributionConfig` for the current config and its `ETag`, then
//!   `UpdateDistribution` with `IfMatch` (the `CallerReference` kept), then the tags.
//! - Delete: disabled first (an update with `Enabled: false`), waited on until `Deployed`, then
//!   `DeleteDistribution` with the `ETag` of a fresh read.
//!
//! On moto (5.2.5): the origin's `OriginAccessControlId` is dropped, and so is an
//! `S3OriginConfig` with an empty `OriginAccessIdentity` (so neither is read back there), and
//! `IfMatch` is not checked (a stale `ETag` is not refused), nor is an enabled
//! distribution refused deletion; the tests exercise the rest.

use aws_sdk_cloudfront::types::{
    Aliases, AllowedMethods, CachedMethods, DefaultCacheBehavior, Distribution, DistributionConfig, HttpVersion,
    Method, MinimumProtocolVersion, Origin, Origins, PriceClass, S3OriginConfig, SslSupportMethod, Tag, Tags as CfTags,
    ViewerCertificate, ViewerProtocolPolicy,
};
use iac_core::LogicalId;
use iac_core::model::{self, ResourceEntry};
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use crate::adapter::{self, Adapter, CfnTag, Desired, SdkKind, de};
use crate::error::AwsError;
use crate::services::{Ctx, absent_on, code_in, paged_items};
use crate::state::{self, Observed, TAG_HASH, Tags};

/// The desired properties of an `AWS::CloudFront::Distribution`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct DistributionProps {
    pub(crate) distribution_config: DistConfig,
    #[serde(default)]
    pub(crate) tags: Vec<CfnTag>,
}

impl Desired for DistributionProps {
    fn template_tags(&self) -> Vec<(&str, &str)> {
        adapter::pairs(&self.tags)
    }
}

/// `DistributionConfig` as CloudFormation spells it (also read back in this shape).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct DistConfig {
    #[serde(deserialize_with = "de::boolean")]
    pub(crate) enabled: bool,
    #[serde(default, deserialize_with = "de::text")]
    pub(crate) comment: String,
    pub(crate) origins: Vec<OriginProps>,
    pub(crate) default_cache_behavior: CacheBehaviorProps,
    #[serde(default, deserialize_with = "de::opt_text", skip_serializing_if = "Option::is_none")]
    pub(crate) price_class: Option<String>,
    #[serde(default, deserialize_with = "de::opt_text", skip_serializing_if = "Option::is_none")]
    pub(crate) http_version: Option<String>,
    #[serde(
        rename = "IPV6Enabled",
        default,
        deserialize_with = "de::opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) ipv6_enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) viewer_certificate: Option<ViewerCertificateProps>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) aliases: Vec<String>,
    #[serde(default, deserialize_with = "de::opt_text", skip_serializing_if = "Option::is_none")]
    pub(crate) default_root_object: Option<String>,
}

/// One origin (an S3 bucket reached through origin access control).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct OriginProps {
    #[serde(deserialize_with = "de::text")]
    pub(crate) id: String,
    #[serde(deserialize_with = "de::text")]
    pub(crate) domain_name: String,
    #[serde(default, deserialize_with = "de::opt_text", skip_serializing_if = "Option::is_none")]
    pub(crate) origin_access_control_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) s3_origin_config: Option<S3OriginProps>,
    #[serde(default, deserialize_with = "de::opt_text", skip_serializing_if = "Option::is_none")]
    pub(crate) origin_path: Option<String>,
}

/// `S3OriginConfig` (an empty `OriginAccessIdentity` with origin access control).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct S3OriginProps {
    #[serde(default, deserialize_with = "de::text")]
    pub(crate) origin_access_identity: String,
}

/// `DefaultCacheBehavior`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct CacheBehaviorProps {
    #[serde(deserialize_with = "de::text")]
    pub(crate) target_origin_id: String,
    #[serde(deserialize_with = "de::text")]
    pub(crate) viewer_protocol_policy: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) allowed_methods: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) cached_methods: Vec<String>,
    #[serde(default, deserialize_with = "de::opt_text", skip_serializing_if = "Option::is_none")]
    pub(crate) cache_policy_id: Option<String>,
    #[serde(default, deserialize_with = "de::opt_text", skip_serializing_if = "Option::is_none")]
    pub(crate) origin_request_policy_id: Option<String>,
    #[serde(default, deserialize_with = "de::opt_text", skip_serializing_if = "Option::is_none")]
    pub(crate) response_headers_policy_id: Option<String>,
    #[serde(default, deserialize_with = "de::opt_bool", skip_serializing_if = "Option::is_none")]
    pub(crate) compress: Option<bool>,
}

/// `ViewerCertificate`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct ViewerCertificateProps {
    #[serde(default, deserialize_with = "de::opt_text", skip_serializing_if = "Option::is_none")]
    pub(crate) acm_certificate_arn: Option<String>,
    #[serde(default, deserialize_with = "de::opt_text", skip_serializing_if = "Option::is_none")]
    pub(crate) ssl_support_method: Option<String>,
    #[serde(default, deserialize_with = "de::opt_text", skip_serializing_if = "Option::is_none")]
    pub(crate) minimum_protocol_version: Option<String>,
    #[serde(default, deserialize_with = "de::opt_bool", skip_serializing_if = "Option::is_none")]
    pub(crate) cloud_front_default_certificate: Option<bool>,
}

impl DistConfig {
    /// The API's config, with `caller_reference`.
    fn to_sdk(&self, ctx: &Ctx<'_>, id: &str, caller_reference: &str) -> Result<DistributionConfig, AwsError> {
        let fail = |e: aws_smithy_types::error::operation::BuildError| ctx.fail(id, "cloudfront:DistributionConfig", e);
        let origins =
            self.origins
                .iter()
                .map(|o| {
                    Origin::builder()
                        .id(&o.id)
                        .domain_name(&o.domain_name)
                        .set_origin_access_control_id(o.origin_access_control_id.clone())
                        .set_origin_path(o.origin_path.clone())
                        .set_s3_origin_config(o.s3_origin_config.as_ref().map(|s| {
                            S3OriginConfig::builder().origin_access_identity(&s.origin_access_identity).build()
                        }))
                        .build()
                        .map_err(fail)
                })
                .collect::<Result<Vec<_>, _>>()?;
        let b = &self.default_cache_behavior;
        let methods = |m: &[String]| m.iter().map(|x| Method::from(x.as_str())).collect::<Vec<_>>();
        let allowed = if b.allowed_methods.is_empty() {
            None
        } else {
            let cached = if b.cached_methods.is_empty() {
                None
            } else {
                Some(
                    CachedMethods::builder()
                        .quantity(len(&b.cached_methods))
                        .set_items(Some(methods(&b.cached_methods)))
                        .build()
                        .map_err(fail)?,
                )
            };
            Some(
                AllowedMethods::builder()
                    .quantity(len(&b.allowed_methods))
                    .set_items(Some(methods(&b.allowed_methods)))
                    .set_cached_methods(cached)
                    .build()
                    .map_err(fail)?,
            )
        };
        let behavior = DefaultCacheBehavior::builder()
            .target_origin_id(&b.target_origin_id)
            .viewer_protocol_policy(ViewerProtocolPolicy::from(b.viewer_protocol_policy.as_str()))
            .set_allowed_methods(allowed)
            .set_cache_policy_id(b.cache_policy_id.clone())
            .set_origin_request_policy_id(b.origin_request_policy_id.clone())
            .set_response_headers_policy_id(b.response_headers_policy_id.clone())
            .set_compress(b.compress)
            .build()
            .map_err(fail)?;
        let certificate = self.viewer_certificate.as_ref().map(|v| {
            ViewerCertificate::builder()
                .set_acm_certificate_arn(v.acm_certificate_arn.clone())
                .set_ssl_support_method(v.ssl_support_method.as_deref().map(SslSupportMethod::from))
                .set_minimum_protocol_version(v.minimum_protocol_version.as_deref().map(MinimumProtocolVersion::from))
                .set_cloud_front_default_certificate(v.cloud_front_default_certificate)
                .build()
        });
        let aliases = Aliases::builder()
            .quantity(len(&self.aliases))
            .set_items((!self.aliases.is_empty()).then(|| self.aliases.clone()))
            .build()
            .map_err(fail)?;
        DistributionConfig::builder()
            .caller_reference(caller_reference)
            .comment(&self.comment)
            .enabled(self.enabled)
            .origins(Origins::builder().quantity(len(&origins)).set_items(Some(origins)).build().map_err(fail)?)
            .default_cache_behavior(behavior)
            .set_price_class(self.price_class.as_deref().map(PriceClass::from))
            .set_http_version(self.http_version.as_deref().map(HttpVersion::from))
            .set_is_ipv6_enabled(self.ipv6_enabled)
            .set_viewer_certificate(certificate)
            .aliases(aliases)
            .set_default_root_object(self.default_root_object.clone())
            .build()
            .map_err(fail)
    }

    /// The API's config in CloudFormation's shape.
    fn from_sdk(c: &DistributionConfig) -> Self {
        let text = |v: Option<&str>| v.filter(|s| !s.is_empty()).map(str::to_owned);
        let origins = c
            .origins()
            .map(Origins::items)
            .unwrap_or_default()
            .iter()
            .map(|o| OriginProps {
                id: o.id().to_owned(),
                domain_name: o.domain_name().to_owned(),
                origin_access_control_id: text(o.origin_access_control_id()),
                s3_origin_config: o
                    .s3_origin_config()
                    .map(|s| S3OriginProps { origin_access_identity: s.origin_access_identity().to_owned() }),
                origin_path: text(o.origin_path()),
            })
            .collect();
        let b = c.default_cache_behavior();
        let allowed = b.and_then(DefaultCacheBehavior::allowed_methods);
        let names = |m: &[Method]| m.iter().map(|x| x.as_str().to_owned()).collect::<Vec<_>>();
        let behavior = CacheBehaviorProps {
            target_origin_id: b.map(DefaultCacheBehavior::target_origin_id).unwrap_or_default().to_owned(),
            viewer_protocol_policy: b.map(|b| b.viewer_protocol_policy().as_str()).unwrap_or_default().to_owned(),
            allowed_methods: allowed.map(|a| names(a.items())).unwrap_or_default(),
            cached_methods: allowed
                .and_then(AllowedMethods::cached_methods)
                .map(|m| names(m.items()))
                .unwrap_or_default(),
            cache_policy_id: text(b.and_then(DefaultCacheBehavior::cache_policy_id)),
            origin_request_policy_id: text(b.and_then(DefaultCacheBehavior::origin_request_policy_id)),
            response_headers_policy_id: text(b.and_then(DefaultCacheBehavior::response_headers_policy_id)),
            compress: b.and_then(DefaultCacheBehavior::compress),
        };
        let certificate = c.viewer_certificate().map(|v| ViewerCertificateProps {
            acm_certificate_arn: text(v.acm_certificate_arn()),
            ssl_support_method: v.ssl_support_method().map(|m| m.as_str().to_owned()),
            minimum_protocol_version: v.minimum_protocol_version().map(|m| m.as_str().to_owned()),
            cloud_front_default_certificate: v.cloud_front_default_certificate(),
        });
        Self {
            enabled: c.enabled(),
            comment: c.comment().to_owned(),
            origins,
            default_cache_behavior: behavior,
            price_class: c.price_class().map(|p| p.as_str().to_owned()),
            http_version: c.http_version().map(|h| h.as_str().to_owned()),
            ipv6_enabled: c.is_ipv6_enabled(),
            viewer_certificate: certificate,
            aliases: c.aliases().map(|a| a.items().to_vec()).unwrap_or_default(),
            default_root_object: text(c.default_root_object()),
        }
    }
}

fn len<T>(items: &[T]) -> i32 {
    i32::try_from(items.len()).unwrap_or(i32::MAX)
}

impl Adapter for model::Distribution {
    type Props = DistributionProps;

    /// `CreateDistributionWithTags` (see the module docs), then the wait until `Deployed`.
    async fn create(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        props: &DistributionProps,
        tags: &Tags,
    ) -> Result<Observed, AwsError> {
        let id = entry.id.as_str();
        let cf = &ctx.clients.cloudfront;
        let reference = caller_reference(ctx, entry, tags);
        let config = props.distribution_config.to_sdk(ctx, id, &reference)?;
        let with_tags = aws_sdk_cloudfront::types::DistributionConfigWithTags::builder()
            .distribution_config(config)
            .tags(CfTags::builder().set_items(Some(cf_tags(tags))).build())
            .build();
        let made = ctx
            .retry(id, "cloudfront:CreateDistributionWithTags", &[], || {
                cf.create_distribution_with_tags().distribution_config_with_tags(with_tags.clone()).send()
            })
            .await;
        let dist_id = match made {
            Ok(out) => out.distribution().map(|d| d.id().to_owned()).ok_or_else(|| {
                ctx.fail(id, "cloudfront:CreateDistributionWithTags", "the answer names no distribution")
            })?,
            // A create of this very config was made before (a rerun after a kill): take it.
            Err(AwsError::Sdk { ref source, .. }) if source.code() == Some("DistributionAlreadyExists") => {
                let found = discover_distributions(ctx).await?;
                let current = found.into_iter().find(|o| o.id == entry.id).ok_or_else(|| {
                    ctx.fail(
                        id,
                        "cloudfront:CreateDistributionWithTags",
                        "CloudFront has a distribution of this caller reference that is not tagged as this resource",
                    )
                })?;
                return Self::update(ctx, entry, &current, props, tags).await;
            }
            Err(e) => return Err(e),
        };
        let mut observed = wait_deployed(ctx, entry.id.clone(), &dist_id).await?;
        observed.hash = state::hash_of(tags);
        Ok(observed)
    }

    /// `UpdateDistribution` with `IfMatch`, the tags, then the wait until `Deployed`.
    async fn update(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        current: &Observed,
        props: &DistributionProps,
        tags: &Tags,
    ) -> Result<Observed, AwsError> {
        let id = entry.id.as_str();
        let dist_id = current.physical_id.as_str();
        put_config(ctx, id, dist_id, &props.distribution_config).await?;
        let cf = &ctx.clients.cloudfront;
        let arn = current.attrs.get("Arn").cloned().unwrap_or_default();
        ctx.retry(id, "cloudfront:TagResource", &[], || {
            cf.tag_resource().resource(&arn).tags(CfTags::builder().set_items(Some(cf_tags(tags))).build()).send()
        })
        .await?;
        let mut observed = wait_deployed(ctx, entry.id.clone(), dist_id).await?;
        observed.hash = state::hash_of(tags);
        Ok(observed)
    }

    /// Disabled, deployed, then deleted with the `ETag` of a fresh read; already gone is success.
    async fn delete(ctx: &Ctx<'_>, current: &Observed) -> Result<(), AwsError> {
        let id = current.id.as_str();
        let cf = &ctx.clients.cloudfront;
        let dist_id = current.physical_id.as_str();
        let Some((config, _)) = get_config(ctx, id, dist_id).await? else { return Ok(()) };
        if config.enabled() {
            let mut disabled = DistConfig::from_sdk(&config);
            disabled.enabled = false;
            put_config(ctx, id, dist_id, &disabled).await?;
        }
        wait_deployed(ctx, current.id.clone(), dist_id).await?;
        ctx.wait_for(id, "deletable (disabled and deployed)", || async move {
            let Some((_, etag)) = get_config(ctx, id, dist_id).await? else { return Ok(Some(())) };
            match cf.delete_distribution().id(dist_id).if_match(etag).send().await {
                Ok(_) => Ok(Some(())),
                Err(e) if code_in(&e, &["NoSuchDistribution"]) => Ok(Some(())),
                Err(e) if code_in(&e, &["DistributionNotDisabled", "PreconditionFailed"]) => Ok(None),
                Err(e) => Err(ctx.sdk_error(id, "cloudfront:DeleteDistribution", e)),
            }
        })
        .await
    }
}

/// `iac-<stack>-<env>-<id>-<hash>` (the desired hash): the same for a rerun of the same create.
fn caller_reference(ctx: &Ctx<'_>, entry: &ResourceEntry, tags: &Tags) -> String {
    let hash = tags.iter().find(|(k, _)| k == TAG_HASH).map_or("", |(_, v)| v.as_str());
    format!("iac-{}-{}-{}-{hash}", ctx.stack.name(), ctx.stack.env(), entry.id)
}

/// `config` on the distribution: `UpdateDistribution` with the current `ETag` and caller reference.
async fn put_config(ctx: &Ctx<'_>, id: &str, dist_id: &str, config: &DistConfig) -> Result<(), AwsError> {
    let cf = &ctx.clients.cloudfront;
    ctx.wait_for(id, "updated (`ETag` current)", || async move {
        let (now, etag) = get_config(ctx, id, dist_id)
            .await?
            .ok_or_else(|| ctx.fail(id, "cloudfront:GetDistributionConfig", format!("{dist_id} does not exist")))?;
        let sdk = config.to_sdk(ctx, id, now.caller_reference())?;
        match cf.update_distribution().id(dist_id).if_match(etag).distribution_config(sdk).send().await {
            Ok(_) => Ok(Some(())),
            // Changed between the read and the write: read again.
            Err(e) if code_in(&e, &["PreconditionFailed"]) => Ok(None),
            Err(e) => Err(ctx.sdk_error(id, "cloudfront:UpdateDistribution", e)),
        }
    })
    .await
}

/// The config and its `ETag`, `None` when the distribution does not exist.
async fn get_config(ctx: &Ctx<'_>, id: &str, dist_id: &str) -> Result<Option<(DistributionConfig, String)>, AwsError> {
    let cf = &ctx.clients.cloudfront;
    let out = ctx
        .retry(id, "cloudfront:GetDistributionConfig", &[], || async move {
            absent_on(cf.get_distribution_config().id(dist_id).send().await, &["NoSuchDistribution"])
        })
        .await?;
    Ok(out.and_then(|o| Some((o.distribution_config()?.clone(), o.e_tag().unwrap_or_default().to_owned()))))
}

async fn get(ctx: &Ctx<'_>, id: &str, dist_id: &str) -> Result<Option<Distribution>, AwsError> {
    let cf = &ctx.clients.cloudfront;
    let out = ctx
        .retry(id, "cloudfront:GetDistribution", &[], || async move {
            absent_on(cf.get_distribution().id(dist_id).send().await, &["NoSuchDistribution"])
        })
        .await?;
    Ok(out.and_then(|o| o.distribution().cloned()))
}

/// Polls until the distribution is `Deployed`, and reads it.
async fn wait_deployed(ctx: &Ctx<'_>, id: LogicalId, dist_id: &str) -> Result<Observed, AwsError> {
    let name = id.as_str();
    let d = ctx
        .wait_for(name, "Deployed", || async move {
            let d = get(ctx, name, dist_id).await?.ok_or_else(|| {
                ctx.fail(name, "cloudfront:GetDistribution", format!("{dist_id} does not exist; re-run plan"))
            })?;
            Ok((d.status() == "Deployed").then_some(d))
        })
        .await?;
    Ok(observe(id, &d))
}

fn observe(id: LogicalId, d: &Distribution) -> Observed {
    let mut o = Observed::new(id, SdkKind::Distribution.cfn_type(), d.id())
        .attr("Id", d.id())
        .attr("Arn", d.arn())
        .attr("DomainName", d.domain_name());
    if let Some(c) = d.distribution_config() {
        o = o.prop("DistributionConfig", serde_json::to_value(DistConfig::from_sdk(c)).unwrap_or(Json::Null));
    }
    o
}

/// Every distribution of this stack and environment.
pub(super) async fn discover_distributions(ctx: &Ctx<'_>) -> Result<Vec<Observed>, AwsError> {
    let cf = &ctx.clients.cloudfront;
    let all = paged_items(
        ctx,
        "-",
        "cloudfront:ListDistributions",
        |marker| cf.list_distributions().set_marker(marker).send(),
        |o| {
            let list = o.distribution_list();
            (
                list.map_or(&[][..], aws_sdk_cloudfront::types::DistributionList::items),
                list.filter(|l| l.is_truncated()).and_then(|l| l.next_marker()),
            )
        },
    )
    .await?;
    let mut out = Vec::new();
    for summary in &all {
        let arn = summary.arn();
        let tags = ctx
            .retry("-", "cloudfront:ListTagsForResource", &[], || cf.list_tags_for_resource().resource(arn).send())
            .await?;
        let tags: Tags = tags
            .tags()
            .map(CfTags::items)
            .unwrap_or_default()
            .iter()
            .map(|t| (t.key().to_owned(), t.value().unwrap_or_default().to_owned()))
            .collect();
        if let Some((id, hash)) = ctx.ours(&tags)
            && let Some(d) = get(ctx, id.as_str(), summary.id()).await?
        {
            let mut o = observe(id, &d);
            o.hash = hash;
            out.push(o);
        }
    }
    Ok(out)
}

fn cf_tags(tags: &Tags) -> Vec<Tag> {
    tags.iter().filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok()).collect()
}
