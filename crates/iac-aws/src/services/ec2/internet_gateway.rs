//! `AWS::EC2::InternetGateway` and `AWS::EC2::VPCGatewayAttachment` (untaggable: found through
//! the gateway, physical id `igw-…|vpc-…`).

use super::{
    Adapter, AwsError, CfnTag, Ctx, Deserialize, Desired, LogicalId, Observed, ResourceEntry, ResourceType, SdkKind,
    Tags, adapter, delete_when_free, describe_one, filter, model, must, ours, ours_paged, retag, split_pair, tag_spec,
    tolerant, with_hash,
};

/// The desired properties of an `AWS::EC2::InternetGateway`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct InternetGatewayProps {
    #[serde(default)]
    pub(crate) tags: Vec<CfnTag>,
}

/// The desired properties of an `AWS::EC2::VPCGatewayAttachment` (an internet gateway's).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct AttachmentProps {
    pub(crate) vpc_id: String,
    pub(crate) internet_gateway_id: String,
}

tagged!(InternetGatewayProps);
impl Desired for AttachmentProps {}

impl Adapter for model::InternetGateway {
    type Props = InternetGatewayProps;
    const REPLACED_BY: &'static [&'static str] = &[];

    async fn create(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        _props: &InternetGatewayProps,
        tags: &Tags,
    ) -> Result<Observed, AwsError> {
        create_igw(ctx, &entry.id, tags).await
    }

    async fn update(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        current: &Observed,
        _props: &InternetGatewayProps,
        tags: &Tags,
    ) -> Result<Observed, AwsError> {
        let physical = current.physical_id.as_str();
        retag(ctx, entry.id.as_str(), &[physical.to_owned()], tags).await?;
        read_igw(ctx, &entry.id, physical).await
    }

    /// Detached from every VPC first.
    async fn delete(ctx: &Ctx<'_>, current: &Observed) -> Result<(), AwsError> {
        delete_igw(ctx, current.id.as_str(), &current.physical_id).await
    }
}

impl Adapter for model::VpcGatewayAttachment {
    type Props = AttachmentProps;
    /// Both properties (it has nothing to update in place).
    const REPLACED_BY: &'static [&'static str] = &["VpcId", "InternetGatewayId", "VpnGatewayId"];

    async fn create(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        props: &AttachmentProps,
        _tags: &Tags,
    ) -> Result<Observed, AwsError> {
        create_attachment(ctx, &entry.id, props).await
    }

    /// Both properties force a replacement; nothing else to change.
    async fn update(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        current: &Observed,
        _props: &AttachmentProps,
        _tags: &Tags,
    ) -> Result<Observed, AwsError> {
        let physical = current.physical_id.as_str();
        let (igw, vpc) = split_pair(physical);
        must(ctx, entry.id.as_str(), find_attachment(ctx, &entry.id, igw, vpc).await?, physical)
    }

    async fn delete(ctx: &Ctx<'_>, current: &Observed) -> Result<(), AwsError> {
        let (igw, vpc) = split_pair(&current.physical_id);
        detach(ctx, current.id.as_str(), igw, vpc).await
    }
}

// ---------------------------------------------------------------------------------------------
// Internet gateway and its attachment.

pub(super) async fn create_igw(ctx: &Ctx<'_>, id: &LogicalId, tags: &Tags) -> Result<Observed, AwsError> {
    let ec2 = &ctx.clients.ec2;
    let spec = tag_spec(ResourceType::InternetGateway, tags);
    let out = ctx
        .retry(id.as_str(), "ec2:CreateInternetGateway", &[], || {
            ec2.create_internet_gateway().tag_specifications(spec.clone()).send()
        })
        .await?;
    let igw = out.internet_gateway().and_then(|g| g.internet_gateway_id()).unwrap_or_default().to_owned();
    read_igw(ctx, id, &igw).await
}

pub(super) fn observe_igw(id: LogicalId, g: &aws_sdk_ec2::types::InternetGateway) -> Observed {
    let igw = g.internet_gateway_id().unwrap_or_default();
    with_hash(Observed::new(id, SdkKind::InternetGateway.cfn_type(), igw).attr("InternetGatewayId", igw), g.tags())
}

pub(super) async fn read_igw(ctx: &Ctx<'_>, id: &LogicalId, igw: &str) -> Result<Observed, AwsError> {
    let ec2 = &ctx.clients.ec2;
    let g = describe_one(
        ctx,
        id.as_str(),
        "ec2:DescribeInternetGateways",
        &["InvalidInternetGatewayID.NotFound"],
        igw,
        || ec2.describe_internet_gateways().internet_gateway_ids(igw).send(),
        |o| o.internet_gateways().first(),
    )
    .await?;
    Ok(observe_igw(id.clone(), &g))
}

pub(super) async fn discover_igws(ctx: &Ctx<'_>) -> Result<Vec<Observed>, AwsError> {
    let ec2 = &ctx.clients.ec2;
    let pages = ours_paged(ctx, "ec2:DescribeInternetGateways", |filters, t| {
        ec2.describe_internet_gateways().set_filters(Some(filters)).set_next_token(t).send()
    })
    .await?;
    Ok(pages
        .iter()
        .flat_map(|p| p.internet_gateways())
        .filter_map(|g| ours(ctx, g.tags()).map(|(id, _)| observe_igw(id, g)))
        .collect())
}

/// Detaches the gateway from every VPC, then deletes it.
pub(super) async fn delete_igw(ctx: &Ctx<'_>, id: &str, igw: &str) -> Result<(), AwsError> {
    let ec2 = &ctx.clients.ec2;
    let out = ctx
        .retry(id, "ec2:DescribeInternetGateways", &[], || {
            ec2.describe_internet_gateways().filters(filter("internet-gateway-id", [igw])).send()
        })
        .await?;
    let vpcs: Vec<String> = out
        .internet_gateways()
        .iter()
        .flat_map(|g| g.attachments())
        .filter_map(|a| a.vpc_id().map(str::to_owned))
        .collect();
    for vpc in &vpcs {
        detach(ctx, id, igw, vpc).await?;
    }
    delete_when_free(ctx, id, "ec2:DeleteInternetGateway", &["InvalidInternetGatewayID.NotFound"], || {
        ec2.delete_internet_gateway().internet_gateway_id(igw).send()
    })
    .await
}

pub(super) async fn detach(ctx: &Ctx<'_>, id: &str, igw: &str, vpc: &str) -> Result<(), AwsError> {
    let ec2 = &ctx.clients.ec2;
    delete_when_free(
        ctx,
        id,
        "ec2:DetachInternetGateway",
        &["Gateway.NotAttached", "InvalidInternetGatewayID.NotFound", "InvalidVpcID.NotFound"],
        || ec2.detach_internet_gateway().internet_gateway_id(igw).vpc_id(vpc).send(),
    )
    .await
}

pub(super) async fn create_attachment(
    ctx: &Ctx<'_>,
    id: &LogicalId,
    props: &AttachmentProps,
) -> Result<Observed, AwsError> {
    let ec2 = &ctx.clients.ec2;
    let (igw, vpc) = (&props.internet_gateway_id, &props.vpc_id);
    // Already attached (a resumed apply): adopt it if it is attached to this VPC.
    tolerant(
        ctx,
        id.as_str(),
        "ec2:AttachInternetGateway",
        &["InvalidInternetGatewayID.NotFound", "InvalidVpcID.NotFound"],
        &["Resource.AlreadyAssociated"],
        || ec2.attach_internet_gateway().internet_gateway_id(igw).vpc_id(vpc).send(),
    )
    .await?;
    let (igw, vpc) = (igw.as_str(), vpc.as_str());
    ctx.wait_for(id.as_str(), "attached", move || async move { find_attachment(ctx, id, igw, vpc).await }).await
}

/// The attachment of `igw` to `vpc`, if it exists.
pub(super) async fn find_attachment(
    ctx: &Ctx<'_>,
    id: &LogicalId,
    igw: &str,
    vpc: &str,
) -> Result<Option<Observed>, AwsError> {
    let ec2 = &ctx.clients.ec2;
    let out = ctx
        .retry(id.as_str(), "ec2:DescribeInternetGateways", &[], || {
            ec2.describe_internet_gateways().filters(filter("internet-gateway-id", [igw])).send()
        })
        .await?;
    let attached =
        out.internet_gateways().iter().flat_map(|g| g.attachments()).any(|a| {
            a.vpc_id() == Some(vpc) && !a.state().is_some_and(|s| matches!(s.as_str(), "detached" | "detaching"))
        });
    Ok(attached.then(|| {
        Observed::new(id.clone(), SdkKind::VpcGatewayAttachment.cfn_type(), format!("{igw}|{vpc}"))
            .prop("VpcId", vpc)
            .prop("InternetGatewayId", igw)
    }))
}
