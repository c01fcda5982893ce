//! `AWS::EC2::Subnet`: created in its zone, waited on until `available`; `MapPublicIpOnLaunch`
//! changes in place.

use super::{
    Adapter, AwsError, CfnTag, Ctx, Deserialize, Desired, Json, LogicalId, Observed, ResourceEntry, ResourceType,
    SdkKind, Tags, adapter, bool_value, de, delete_when_free, describe_one, model, ours, ours_paged, retag, tag_spec,
    with_hash,
};

/// The desired properties of an `AWS::EC2::Subnet`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct SubnetProps {
    pub(crate) vpc_id: String,
    pub(crate) cidr_block: String,
    #[serde(default)]
    pub(crate) availability_zone: Option<String>,
    #[serde(default, deserialize_with = "de::opt_bool")]
    pub(crate) map_public_ip_on_launch: Option<bool>,
    #[serde(default)]
    pub(crate) tags: Vec<CfnTag>,
}

tagged!(SubnetProps);

impl Adapter for model::Subnet {
    type Props = SubnetProps;
    const REPLACED_BY: &'static [&'static str] = &[
        "VpcId",
        "CidrBlock",
        "AvailabilityZone",
        "AvailabilityZoneId",
        "Ipv4IpamPoolId",
        "Ipv4NetmaskLength",
        "OutpostArn",
    ];

    async fn create(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        props: &SubnetProps,
        tags: &Tags,
    ) -> Result<Observed, AwsError> {
        create_subnet(ctx, &entry.id, props, tags).await
    }

    /// `MapPublicIpOnLaunch` changes in place.
    async fn update(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        current: &Observed,
        props: &SubnetProps,
        tags: &Tags,
    ) -> Result<Observed, AwsError> {
        let (id, physical) = (&entry.id, current.physical_id.as_str());
        let want = props.map_public_ip_on_launch.unwrap_or(false);
        if current.props.get("MapPublicIpOnLaunch").and_then(Json::as_bool) != Some(want) {
            set_map_public_ip(ctx, id.as_str(), physical, want).await?;
        }
        retag(ctx, id.as_str(), &[physical.to_owned()], tags).await?;
        read_subnet(ctx, id, physical).await
    }

    async fn delete(ctx: &Ctx<'_>, current: &Observed) -> Result<(), AwsError> {
        let ec2 = &ctx.clients.ec2;
        let physical = current.physical_id.as_str();
        delete_when_free(ctx, current.id.as_str(), "ec2:DeleteSubnet", &["InvalidSubnetID.NotFound"], || {
            ec2.delete_subnet().subnet_id(physical).send()
        })
        .await
    }
}

// ---------------------------------------------------------------------------------------------
// Subnet.

pub(super) async fn create_subnet(
    ctx: &Ctx<'_>,
    id: &LogicalId,
    props: &SubnetProps,
    tags: &Tags,
) -> Result<Observed, AwsError> {
    let ec2 = &ctx.clients.ec2;
    let (vpc, cidr, zone) = (&props.vpc_id, &props.cidr_block, props.availability_zone.clone());
    let spec = tag_spec(ResourceType::Subnet, tags);
    let out = ctx
        .retry(id.as_str(), "ec2:CreateSubnet", &["InvalidVpcID.NotFound"], || {
            ec2.create_subnet()
                .vpc_id(vpc)
                .cidr_block(cidr)
                .set_availability_zone(zone.clone())
                .tag_specifications(spec.clone())
                .send()
        })
        .await?;
    let subnet_id = out.subnet().and_then(|x| x.subnet_id()).unwrap_or_default().to_owned();
    let sid = subnet_id.as_str();
    ctx.wait_for(id.as_str(), "available", move || async move {
        let out = ctx
            .retry(id.as_str(), "ec2:DescribeSubnets", &["InvalidSubnetID.NotFound"], || {
                ec2.describe_subnets().subnet_ids(sid).send()
            })
            .await?;
        Ok(out.subnets().first().filter(|x| x.state().is_some_and(|s| s.as_str() == "available")).map(|_| ()))
    })
    .await?;
    if props.map_public_ip_on_launch == Some(true) {
        set_map_public_ip(ctx, id.as_str(), sid, true).await?;
    }
    read_subnet(ctx, id, sid).await
}

pub(super) async fn set_map_public_ip(ctx: &Ctx<'_>, id: &str, subnet_id: &str, value: bool) -> Result<(), AwsError> {
    let ec2 = &ctx.clients.ec2;
    ctx.retry(id, "ec2:ModifySubnetAttribute", &["InvalidSubnetID.NotFound"], || {
        ec2.modify_subnet_attribute().subnet_id(subnet_id).map_public_ip_on_launch(bool_value(value)).send()
    })
    .await
    .map(drop)
}

pub(super) fn observe_subnet(id: LogicalId, x: &aws_sdk_ec2::types::Subnet) -> Observed {
    let subnet_id = x.subnet_id().unwrap_or_default();
    let o = Observed::new(id, SdkKind::Subnet.cfn_type(), subnet_id)
        .attr("SubnetId", subnet_id)
        .attr("AvailabilityZone", x.availability_zone().unwrap_or_default())
        .attr("VpcId", x.vpc_id().unwrap_or_default())
        .attr("CidrBlock", x.cidr_block().unwrap_or_default())
        .prop("VpcId", x.vpc_id().unwrap_or_default())
        .prop("CidrBlock", x.cidr_block().unwrap_or_default())
        .prop("AvailabilityZone", x.availability_zone().unwrap_or_default())
        .prop("MapPublicIpOnLaunch", x.map_public_ip_on_launch().unwrap_or(false));
    with_hash(o, x.tags())
}

pub(super) async fn read_subnet(ctx: &Ctx<'_>, id: &LogicalId, subnet_id: &str) -> Result<Observed, AwsError> {
    let ec2 = &ctx.clients.ec2;
    let x = describe_one(
        ctx,
        id.as_str(),
        "ec2:DescribeSubnets",
        &["InvalidSubnetID.NotFound"],
        subnet_id,
        || ec2.describe_subnets().subnet_ids(subnet_id).send(),
        |o| o.subnets().first(),
    )
    .await?;
    Ok(observe_subnet(id.clone(), &x))
}

pub(super) async fn discover_subnets(ctx: &Ctx<'_>) -> Result<Vec<Observed>, AwsError> {
    let ec2 = &ctx.clients.ec2;
    let pages = ours_paged(ctx, "ec2:DescribeSubnets", |filters, t| {
        ec2.describe_subnets().set_filters(Some(filters)).set_next_token(t).send()
    })
    .await?;
    Ok(pages
        .iter()
        .flat_map(|p| p.subnets())
        .filter_map(|x| ours(ctx, x.tags()).map(|(id, _)| observe_subnet(id, x)))
        .collect())
}
