//! `AWS::ElasticLoadBalancingV2::TargetGroup`: health check, matcher and attributes change in
//! place.

use super::{
    Adapter, AwsError, AwsTargetGroup, CfnTag, Ctx, Deserialize, Desired, Json, KeyValue, LogicalId, Matcher, Observed,
    ProtocolEnum, ResourceEntry, SdkKind, TG_ATTRIBUTES, Tags, TargetGroup, TargetGroupAttribute, TargetTypeEnum,
    absent_on, adapter, add_tags, de, json, matcher, ours_by_arn, paged_items, retry_if, sdk_tags,
};

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

// ---------------------------------------------------------------------------------------------
// Target groups

pub(super) async fn create_target_group(
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

pub(super) async fn set_tg_attributes(
    ctx: &Ctx<'_>,
    id: &str,
    arn: &str,
    props: &TargetGroupProps,
) -> Result<(), AwsError> {
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

pub(super) async fn read_target_group(ctx: &Ctx<'_>, id: &LogicalId, arn: &str) -> Result<Observed, AwsError> {
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

pub(super) async fn observe_target_group(
    ctx: &Ctx<'_>,
    id: LogicalId,
    tg: &AwsTargetGroup,
) -> Result<Observed, AwsError> {
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

pub(super) async fn discover_target_groups(ctx: &Ctx<'_>) -> Result<Vec<Observed>, AwsError> {
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
