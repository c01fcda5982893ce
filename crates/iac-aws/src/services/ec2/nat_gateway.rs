//! `AWS::EC2::EIP` and `AWS::EC2::NatGateway` (waited on until `available`, and until gone).

use super::{
    Adapter, AwsError, CfnTag, Ctx, Deserialize, Desired, LogicalId, NatGatewayState, Observed, ResourceEntry,
    ResourceType, SdkKind, Tags, adapter, delete_when_free, describe_one, filter, model, ours, ours_filters,
    ours_paged, retag, tag_spec, tolerant, with_hash,
};

/// The desired properties of an `AWS::EC2::EIP`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct EipProps {
    #[serde(default)]
    pub(crate) domain: Option<String>,
    #[serde(default)]
    pub(crate) tags: Vec<CfnTag>,
}

/// The desired properties of an `AWS::EC2::NatGateway`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct NatGatewayProps {
    pub(crate) subnet_id: String,
    #[serde(default)]
    pub(crate) allocation_id: Option<String>,
    #[serde(default)]
    pub(crate) connectivity_type: Option<String>,
    #[serde(default)]
    pub(crate) tags: Vec<CfnTag>,
}

tagged!(EipProps);
tagged!(NatGatewayProps);

impl Adapter for model::Eip {
    type Props = EipProps;
    const REPLACED_BY: &'static [&'static str] =
        &["Domain", "NetworkBorderGroup", "PublicIpv4Pool", "Address", "IpamPoolId"];

    async fn create(ctx: &Ctx<'_>, entry: &ResourceEntry, props: &EipProps, tags: &Tags) -> Result<Observed, AwsError> {
        create_eip(ctx, &entry.id, props, tags).await
    }

    async fn update(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        current: &Observed,
        _props: &EipProps,
        tags: &Tags,
    ) -> Result<Observed, AwsError> {
        let physical = current.physical_id.as_str();
        retag(ctx, entry.id.as_str(), &[physical.to_owned()], tags).await?;
        read_eip(ctx, &entry.id, physical).await
    }

    async fn delete(ctx: &Ctx<'_>, current: &Observed) -> Result<(), AwsError> {
        let ec2 = &ctx.clients.ec2;
        let physical = current.physical_id.as_str();
        delete_when_free(
            ctx,
            current.id.as_str(),
            "ec2:ReleaseAddress",
            &["InvalidAllocationID.NotFound", "InvalidAddress.NotFound"],
            || ec2.release_address().allocation_id(physical).send(),
        )
        .await
    }
}

impl Adapter for model::NatGateway {
    type Props = NatGatewayProps;
    const REPLACED_BY: &'static [&'static str] = &["SubnetId", "AllocationId", "ConnectivityType", "PrivateIpAddress"];

    async fn create(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        props: &NatGatewayProps,
        tags: &Tags,
    ) -> Result<Observed, AwsError> {
        create_nat(ctx, &entry.id, props, tags).await
    }

    async fn update(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        current: &Observed,
        _props: &NatGatewayProps,
        tags: &Tags,
    ) -> Result<Observed, AwsError> {
        let physical = current.physical_id.as_str();
        retag(ctx, entry.id.as_str(), &[physical.to_owned()], tags).await?;
        read_nat(ctx, &entry.id, physical).await
    }

    /// Waited for until gone (its address is released only then).
    async fn delete(ctx: &Ctx<'_>, current: &Observed) -> Result<(), AwsError> {
        delete_nat(ctx, current.id.as_str(), &current.physical_id).await
    }
}

// ---------------------------------------------------------------------------------------------
// Elastic IP and NAT gateway.

pub(super) async fn create_eip(
    ctx: &Ctx<'_>,
    id: &LogicalId,
    props: &EipProps,
    tags: &Tags,
) -> Result<Observed, AwsError> {
    let ec2 = &ctx.clients.ec2;
    let domain = props.domain.clone().unwrap_or_else(|| "vpc".to_owned());
    let spec = tag_spec(ResourceType::ElasticIp, tags);
    let out = ctx
        .retry(id.as_str(), "ec2:AllocateAddress", &[], || {
            ec2.allocate_address().domain(domain.as_str().into()).tag_specifications(spec.clone()).send()
        })
        .await?;
    let allocation = out.allocation_id().unwrap_or_default().to_owned();
    read_eip(ctx, id, &allocation).await
}

pub(super) fn observe_eip(id: LogicalId, a: &aws_sdk_ec2::types::Address) -> Observed {
    let allocation = a.allocation_id().unwrap_or_default();
    let ip = a.public_ip().unwrap_or_default();
    // `Ref` of an EIP is its public address; the physical id stays the allocation id.
    let o = Observed::new(id, SdkKind::Eip.cfn_type(), allocation)
        .attr("Ref", ip)
        .attr("PublicIp", ip)
        .attr("AllocationId", allocation)
        .prop("Domain", a.domain().map_or("vpc", |d| d.as_str()));
    with_hash(o, a.tags())
}

pub(super) async fn read_eip(ctx: &Ctx<'_>, id: &LogicalId, allocation: &str) -> Result<Observed, AwsError> {
    let ec2 = &ctx.clients.ec2;
    let a = describe_one(
        ctx,
        id.as_str(),
        "ec2:DescribeAddresses",
        &["InvalidAllocationID.NotFound"],
        allocation,
        || ec2.describe_addresses().allocation_ids(allocation).send(),
        |o| o.addresses().first(),
    )
    .await?;
    Ok(observe_eip(id.clone(), &a))
}

pub(super) async fn discover_eips(ctx: &Ctx<'_>) -> Result<Vec<Observed>, AwsError> {
    let ec2 = &ctx.clients.ec2;
    let filters = ours_filters(ctx);
    let out = ctx
        .retry("-", "ec2:DescribeAddresses", &[], || ec2.describe_addresses().set_filters(Some(filters.clone())).send())
        .await?;
    Ok(out.addresses().iter().filter_map(|a| ours(ctx, a.tags()).map(|(id, _)| observe_eip(id, a))).collect())
}

pub(super) async fn create_nat(
    ctx: &Ctx<'_>,
    id: &LogicalId,
    props: &NatGatewayProps,
    tags: &Tags,
) -> Result<Observed, AwsError> {
    let ec2 = &ctx.clients.ec2;
    let (subnet, allocation) = (&props.subnet_id, props.allocation_id.clone());
    let spec = tag_spec(ResourceType::Natgateway, tags);
    let out = ctx
        .retry(
            id.as_str(),
            "ec2:CreateNatGateway",
            &["InvalidSubnetID.NotFound", "InvalidAllocationID.NotFound"],
            || {
                ec2.create_nat_gateway()
                    .subnet_id(subnet)
                    .set_allocation_id(allocation.clone())
                    .set_connectivity_type(props.connectivity_type.as_deref().map(Into::into))
                    .tag_specifications(spec.clone())
                    .send()
            },
        )
        .await?;
    let nat = out.nat_gateway().and_then(|g| g.nat_gateway_id()).unwrap_or_default().to_owned();
    let nat_id = nat.as_str();
    ctx.wait_for(id.as_str(), "available", move || async move {
        let g = describe_nat(ctx, id.as_str(), nat_id).await?;
        match g.as_ref().and_then(|g| g.state()) {
            Some(NatGatewayState::Available) => Ok(Some(())),
            Some(NatGatewayState::Failed | NatGatewayState::Deleted | NatGatewayState::Deleting) => {
                let why = g.as_ref().and_then(|g| g.failure_message()).unwrap_or("no reason given");
                Err(ctx.fail(id.as_str(), "ec2:CreateNatGateway", format!("{nat_id} failed: {why}")))
            }
            _ => Ok(None),
        }
    })
    .await?;
    read_nat(ctx, id, nat_id).await
}

/// The NAT gateway, if AWS lists it (deleted ones stay listed for a while, as `deleted`).
pub(super) async fn describe_nat(
    ctx: &Ctx<'_>,
    id: &str,
    nat: &str,
) -> Result<Option<aws_sdk_ec2::types::NatGateway>, AwsError> {
    let ec2 = &ctx.clients.ec2;
    let out = ctx
        .retry(id, "ec2:DescribeNatGateways", &[], || {
            ec2.describe_nat_gateways().filter(filter("nat-gateway-id", [nat])).send()
        })
        .await?;
    Ok(out.nat_gateways().iter().find(|g| g.nat_gateway_id() == Some(nat)).cloned())
}

pub(super) fn observe_nat(id: LogicalId, g: &aws_sdk_ec2::types::NatGateway) -> Observed {
    let nat = g.nat_gateway_id().unwrap_or_default();
    let mut o = Observed::new(id, SdkKind::NatGateway.cfn_type(), nat)
        .attr("NatGatewayId", nat)
        .prop("SubnetId", g.subnet_id().unwrap_or_default());
    if let Some(allocation) = g.nat_gateway_addresses().iter().find_map(|a| a.allocation_id()) {
        o = o.prop("AllocationId", allocation);
    }
    with_hash(o, g.tags())
}

pub(super) async fn read_nat(ctx: &Ctx<'_>, id: &LogicalId, nat: &str) -> Result<Observed, AwsError> {
    let g = describe_nat(ctx, id.as_str(), nat).await?;
    let g = g.ok_or_else(|| ctx.fail(id.as_str(), "ec2:DescribeNatGateways", format!("{nat} is not listed")))?;
    Ok(observe_nat(id.clone(), &g))
}

pub(super) async fn discover_nats(ctx: &Ctx<'_>) -> Result<Vec<Observed>, AwsError> {
    let ec2 = &ctx.clients.ec2;
    let pages = ours_paged(ctx, "ec2:DescribeNatGateways", |filters, t| {
        ec2.describe_nat_gateways().set_filter(Some(filters)).set_next_token(t).send()
    })
    .await?;
    Ok(pages
        .iter()
        .flat_map(|p| p.nat_gateways())
        .filter(|g| matches!(g.state(), Some(NatGatewayState::Pending | NatGatewayState::Available)))
        .filter_map(|g| ours(ctx, g.tags()).map(|(id, _)| observe_nat(id, g)))
        .collect())
}

/// Deletes the gateway and waits until it is gone (its address is released only then).
pub(super) async fn delete_nat(ctx: &Ctx<'_>, id: &str, nat: &str) -> Result<(), AwsError> {
    let ec2 = &ctx.clients.ec2;
    let gone = |g: &Option<aws_sdk_ec2::types::NatGateway>| {
        g.as_ref().and_then(|g| g.state()).is_none_or(|s| *s == NatGatewayState::Deleted)
    };
    if gone(&describe_nat(ctx, id, nat).await?) {
        return Ok(());
    }
    tolerant(ctx, id, "ec2:DeleteNatGateway", &[], &["NatGatewayNotFound", "InvalidNatGatewayID.NotFound"], || {
        ec2.delete_nat_gateway().nat_gateway_id(nat).send()
    })
    .await?;
    ctx.wait_for(id, "deleted", move || async move { Ok(gone(&describe_nat(ctx, id, nat).await?).then_some(())) }).await
}
