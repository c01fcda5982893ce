//! `AWS::EC2::VPC`: created with its CIDR, waited on until `available`, then given its DNS
//! attributes (which change in place).

use super::{
    Adapter, AttributeBooleanValue, AwsError, CfnTag, Ctx, Deserialize, Desired, LogicalId, Observed, ResourceEntry,
    ResourceType, SdkKind, Tags, VpcAttributeName, adapter, bool_value, de, delete_when_free, describe_one, model,
    ours, ours_paged, retag, tag_spec, with_hash,
};

/// The desired properties of an `AWS::EC2::VPC`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct VpcProps {
    pub(crate) cidr_block: String,
    #[serde(default, deserialize_with = "de::opt_bool")]
    pub(crate) enable_dns_support: Option<bool>,
    #[serde(default, deserialize_with = "de::opt_bool")]
    pub(crate) enable_dns_hostnames: Option<bool>,
    #[serde(default)]
    pub(crate) tags: Vec<CfnTag>,
}

tagged!(VpcProps);

impl Adapter for model::Vpc {
    type Props = VpcProps;
    const REPLACED_BY: &'static [&'static str] =
        &["CidrBlock", "InstanceTenancy", "Ipv4IpamPoolId", "Ipv4NetmaskLength"];

    async fn create(ctx: &Ctx<'_>, entry: &ResourceEntry, props: &VpcProps, tags: &Tags) -> Result<Observed, AwsError> {
        create_vpc(ctx, &entry.id, props, tags).await
    }

    /// The DNS attributes change in place.
    async fn update(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        current: &Observed,
        props: &VpcProps,
        tags: &Tags,
    ) -> Result<Observed, AwsError> {
        let (id, physical) = (&entry.id, current.physical_id.as_str());
        set_vpc_dns(ctx, id.as_str(), physical, props).await?;
        retag(ctx, id.as_str(), &[physical.to_owned()], tags).await?;
        read_vpc(ctx, id, physical).await
    }

    /// Retried while something still depends on it.
    async fn delete(ctx: &Ctx<'_>, current: &Observed) -> Result<(), AwsError> {
        let ec2 = &ctx.clients.ec2;
        let physical = current.physical_id.as_str();
        delete_when_free(ctx, current.id.as_str(), "ec2:DeleteVpc", &["InvalidVpcID.NotFound"], || {
            ec2.delete_vpc().vpc_id(physical).send()
        })
        .await
    }
}

// ---------------------------------------------------------------------------------------------
// VPC.

pub(super) async fn create_vpc(
    ctx: &Ctx<'_>,
    id: &LogicalId,
    props: &VpcProps,
    tags: &Tags,
) -> Result<Observed, AwsError> {
    let ec2 = &ctx.clients.ec2;
    let cidr = &props.cidr_block;
    let spec = tag_spec(ResourceType::Vpc, tags);
    let out = ctx
        .retry(id.as_str(), "ec2:CreateVpc", &[], || {
            ec2.create_vpc().cidr_block(cidr).tag_specifications(spec.clone()).send()
        })
        .await?;
    let vpc_id = out.vpc().and_then(|v| v.vpc_id()).unwrap_or_default().to_owned();
    let vid = vpc_id.as_str();
    ctx.wait_for(id.as_str(), "available", move || async move {
        let out = ctx
            .retry(id.as_str(), "ec2:DescribeVpcs", &["InvalidVpcID.NotFound"], || {
                ec2.describe_vpcs().vpc_ids(vid).send()
            })
            .await?;
        Ok(out.vpcs().first().filter(|v| v.state().is_some_and(|s| s.as_str() == "available")).map(|_| ()))
    })
    .await?;
    set_vpc_dns(ctx, id.as_str(), vid, props).await?;
    read_vpc(ctx, id, vid).await
}

/// Sets both DNS attributes (one per call, as the API requires), hostnames last when enabling.
pub(super) async fn set_vpc_dns(ctx: &Ctx<'_>, id: &str, vpc_id: &str, props: &VpcProps) -> Result<(), AwsError> {
    let ec2 = &ctx.clients.ec2;
    let support = props.enable_dns_support.unwrap_or(true);
    let hostnames = props.enable_dns_hostnames.unwrap_or(false);
    let set_support = || async {
        ctx.retry(id, "ec2:ModifyVpcAttribute", &["InvalidVpcID.NotFound"], || {
            ec2.modify_vpc_attribute().vpc_id(vpc_id).enable_dns_support(bool_value(support)).send()
        })
        .await
    };
    let set_hostnames = || async {
        ctx.retry(id, "ec2:ModifyVpcAttribute", &["InvalidVpcID.NotFound"], || {
            ec2.modify_vpc_attribute().vpc_id(vpc_id).enable_dns_hostnames(bool_value(hostnames)).send()
        })
        .await
    };
    if hostnames {
        set_support().await?;
        set_hostnames().await?;
    } else {
        set_hostnames().await?;
        set_support().await?;
    }
    Ok(())
}

pub(super) async fn vpc_attribute(
    ctx: &Ctx<'_>,
    id: &str,
    vpc_id: &str,
    attribute: VpcAttributeName,
) -> Result<bool, AwsError> {
    let ec2 = &ctx.clients.ec2;
    let out = ctx
        .retry(id, "ec2:DescribeVpcAttribute", &["InvalidVpcID.NotFound"], || {
            ec2.describe_vpc_attribute().vpc_id(vpc_id).attribute(attribute.clone()).send()
        })
        .await?;
    let value = match attribute {
        VpcAttributeName::EnableDnsHostnames => out.enable_dns_hostnames(),
        _ => out.enable_dns_support(),
    };
    Ok(value.and_then(AttributeBooleanValue::value).unwrap_or(false))
}

pub(super) async fn observe_vpc(
    ctx: &Ctx<'_>,
    id: LogicalId,
    vpc: &aws_sdk_ec2::types::Vpc,
) -> Result<Observed, AwsError> {
    let vpc_id = vpc.vpc_id().unwrap_or_default();
    let cidr = vpc.cidr_block().unwrap_or_default();
    let (support, hostnames) = tokio::try_join!(
        vpc_attribute(ctx, id.as_str(), vpc_id, VpcAttributeName::EnableDnsSupport),
        vpc_attribute(ctx, id.as_str(), vpc_id, VpcAttributeName::EnableDnsHostnames),
    )?;
    let o = Observed::new(id, SdkKind::Vpc.cfn_type(), vpc_id)
        .attr("VpcId", vpc_id)
        .attr("CidrBlock", cidr)
        .prop("CidrBlock", cidr)
        .prop("EnableDnsSupport", support)
        .prop("EnableDnsHostnames", hostnames);
    Ok(with_hash(o, vpc.tags()))
}

pub(super) async fn read_vpc(ctx: &Ctx<'_>, id: &LogicalId, vpc_id: &str) -> Result<Observed, AwsError> {
    let ec2 = &ctx.clients.ec2;
    let vpc = describe_one(
        ctx,
        id.as_str(),
        "ec2:DescribeVpcs",
        &["InvalidVpcID.NotFound"],
        vpc_id,
        || ec2.describe_vpcs().vpc_ids(vpc_id).send(),
        |o| o.vpcs().first(),
    )
    .await?;
    observe_vpc(ctx, id.clone(), &vpc).await
}

pub(super) async fn discover_vpcs(ctx: &Ctx<'_>) -> Result<Vec<Observed>, AwsError> {
    let ec2 = &ctx.clients.ec2;
    let pages = ours_paged(ctx, "ec2:DescribeVpcs", |filters, t| {
        ec2.describe_vpcs().set_filters(Some(filters)).set_next_token(t).send()
    })
    .await?;
    let mut out = Vec::new();
    for vpc in pages.iter().flat_map(|p| p.vpcs()) {
        if let Some((id, _)) = ours(ctx, vpc.tags()) {
            out.push(observe_vpc(ctx, id, vpc).await?);
        }
    }
    Ok(out)
}
