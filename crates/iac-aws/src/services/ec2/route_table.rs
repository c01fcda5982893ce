//! `AWS::EC2::RouteTable`, `AWS::EC2::Route` and `AWS::EC2::SubnetRouteTableAssociation` (the
//! last two untaggable: found through their table).

use super::{
    Adapter, AwsError, CfnTag, Ctx, Deserialize, Desired, LogicalId, Observed, ResourceEntry, ResourceType, SdkKind,
    Tags, adapter, delete_when_free, describe_one, filter, model, must, ours, ours_paged, retag, split_pair, tag_spec,
    tolerant, with_hash,
};

/// The desired properties of an `AWS::EC2::RouteTable`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct RouteTableProps {
    pub(crate) vpc_id: String,
    #[serde(default)]
    pub(crate) tags: Vec<CfnTag>,
}

/// The desired properties of an `AWS::EC2::Route` (IPv4, to a gateway or a NAT gateway).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct RouteProps {
    pub(crate) route_table_id: String,
    pub(crate) destination_cidr_block: String,
    #[serde(default)]
    pub(crate) gateway_id: Option<String>,
    #[serde(default)]
    pub(crate) nat_gateway_id: Option<String>,
}

/// The desired properties of an `AWS::EC2::SubnetRouteTableAssociation`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct AssociationProps {
    pub(crate) subnet_id: String,
    pub(crate) route_table_id: String,
}

tagged!(RouteTableProps);
impl Desired for RouteProps {}
impl Desired for AssociationProps {}

impl Adapter for model::RouteTable {
    type Props = RouteTableProps;
    const REPLACED_BY: &'static [&'static str] = &["VpcId"];

    async fn create(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        props: &RouteTableProps,
        tags: &Tags,
    ) -> Result<Observed, AwsError> {
        create_route_table(ctx, &entry.id, props, tags).await
    }

    async fn update(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        current: &Observed,
        _props: &RouteTableProps,
        tags: &Tags,
    ) -> Result<Observed, AwsError> {
        let physical = current.physical_id.as_str();
        retag(ctx, entry.id.as_str(), &[physical.to_owned()], tags).await?;
        read_route_table(ctx, &entry.id, physical).await
    }

    /// Its subnet associations are removed first; its routes go with it.
    async fn delete(ctx: &Ctx<'_>, current: &Observed) -> Result<(), AwsError> {
        delete_route_table(ctx, current.id.as_str(), &current.physical_id).await
    }
}

impl Adapter for model::Route {
    type Props = RouteProps;
    const REPLACED_BY: &'static [&'static str] =
        &["RouteTableId", "DestinationCidrBlock", "DestinationIpv6CidrBlock", "DestinationPrefixListId"];

    async fn create(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        props: &RouteProps,
        _tags: &Tags,
    ) -> Result<Observed, AwsError> {
        create_route(ctx, &entry.id, props).await
    }

    /// The target changes in place.
    async fn update(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        _current: &Observed,
        props: &RouteProps,
        _tags: &Tags,
    ) -> Result<Observed, AwsError> {
        update_route(ctx, &entry.id, props).await
    }

    async fn delete(ctx: &Ctx<'_>, current: &Observed) -> Result<(), AwsError> {
        let ec2 = &ctx.clients.ec2;
        let (table, destination) = split_pair(&current.physical_id);
        tolerant(
            ctx,
            current.id.as_str(),
            "ec2:DeleteRoute",
            &[],
            &["InvalidRoute.NotFound", "InvalidRouteTableID.NotFound"],
            || ec2.delete_route().route_table_id(table).destination_cidr_block(destination).send(),
        )
        .await
        .map(drop)
    }
}

impl Adapter for model::SubnetRouteTableAssociation {
    type Props = AssociationProps;
    const REPLACED_BY: &'static [&'static str] = &["SubnetId", "RouteTableId"];

    async fn create(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        props: &AssociationProps,
        _tags: &Tags,
    ) -> Result<Observed, AwsError> {
        create_association(ctx, &entry.id, props).await
    }

    /// Both properties force a replacement; nothing else to change.
    async fn update(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        current: &Observed,
        props: &AssociationProps,
        _tags: &Tags,
    ) -> Result<Observed, AwsError> {
        let found = find_association(ctx, &entry.id, &props.route_table_id, &props.subnet_id).await?;
        must(ctx, entry.id.as_str(), found, &current.physical_id)
    }

    async fn delete(ctx: &Ctx<'_>, current: &Observed) -> Result<(), AwsError> {
        let ec2 = &ctx.clients.ec2;
        let physical = current.physical_id.as_str();
        tolerant(
            ctx,
            current.id.as_str(),
            "ec2:DisassociateRouteTable",
            &[],
            &["InvalidAssociationID.NotFound"],
            || ec2.disassociate_route_table().association_id(physical).send(),
        )
        .await
        .map(drop)
    }
}

// ---------------------------------------------------------------------------------------------
// Route tables, routes, associations.

pub(super) async fn create_route_table(
    ctx: &Ctx<'_>,
    id: &LogicalId,
    props: &RouteTableProps,
    tags: &Tags,
) -> Result<Observed, AwsError> {
    let ec2 = &ctx.clients.ec2;
    let vpc = &props.vpc_id;
    let spec = tag_spec(ResourceType::RouteTable, tags);
    let out = ctx
        .retry(id.as_str(), "ec2:CreateRouteTable", &["InvalidVpcID.NotFound"], || {
            ec2.create_route_table().vpc_id(vpc).tag_specifications(spec.clone()).send()
        })
        .await?;
    let table = out.route_table().and_then(|t| t.route_table_id()).unwrap_or_default().to_owned();
    read_route_table(ctx, id, &table).await
}

pub(super) fn observe_route_table(id: LogicalId, t: &aws_sdk_ec2::types::RouteTable) -> Observed {
    let table = t.route_table_id().unwrap_or_default();
    let o = Observed::new(id, SdkKind::RouteTable.cfn_type(), table)
        .attr("RouteTableId", table)
        .prop("VpcId", t.vpc_id().unwrap_or_default());
    with_hash(o, t.tags())
}

pub(super) async fn read_route_table(ctx: &Ctx<'_>, id: &LogicalId, table: &str) -> Result<Observed, AwsError> {
    let ec2 = &ctx.clients.ec2;
    let t = describe_one(
        ctx,
        id.as_str(),
        "ec2:DescribeRouteTables",
        &["InvalidRouteTableID.NotFound"],
        table,
        || ec2.describe_route_tables().route_table_ids(table).send(),
        |o| o.route_tables().first(),
    )
    .await?;
    Ok(observe_route_table(id.clone(), &t))
}

pub(super) async fn discover_route_tables(ctx: &Ctx<'_>) -> Result<Vec<Observed>, AwsError> {
    let ec2 = &ctx.clients.ec2;
    let pages = ours_paged(ctx, "ec2:DescribeRouteTables", |filters, t| {
        ec2.describe_route_tables().set_filters(Some(filters)).set_next_token(t).send()
    })
    .await?;
    Ok(pages
        .iter()
        .flat_map(|p| p.route_tables())
        .filter_map(|t| ours(ctx, t.tags()).map(|(id, _)| observe_route_table(id, t)))
        .collect())
}

/// Removes the table's explicit subnet associations (AWS refuses to delete it otherwise), then
/// deletes it (its routes go with it).
pub(super) async fn delete_route_table(ctx: &Ctx<'_>, id: &str, table: &str) -> Result<(), AwsError> {
    let ec2 = &ctx.clients.ec2;
    let out = ctx
        .retry(id, "ec2:DescribeRouteTables", &[], || {
            ec2.describe_route_tables().filters(filter("route-table-id", [table])).send()
        })
        .await?;
    let associations: Vec<String> = out
        .route_tables()
        .iter()
        .flat_map(|t| t.associations())
        .filter(|a| a.main() != Some(true))
        .filter_map(|a| a.route_table_association_id().map(str::to_owned))
        .collect();
    for association in &associations {
        tolerant(ctx, id, "ec2:DisassociateRouteTable", &[], &["InvalidAssociationID.NotFound"], || {
            ec2.disassociate_route_table().association_id(association).send()
        })
        .await?;
    }
    delete_when_free(ctx, id, "ec2:DeleteRouteTable", &["InvalidRouteTableID.NotFound"], || {
        ec2.delete_route_table().route_table_id(table).send()
    })
    .await
}

/// The route of `table` to `destination`, if it exists.
pub(super) async fn find_route(
    ctx: &Ctx<'_>,
    id: &LogicalId,
    table: &str,
    destination: &str,
) -> Result<Option<Observed>, AwsError> {
    let ec2 = &ctx.clients.ec2;
    let out = ctx
        .retry(id.as_str(), "ec2:DescribeRouteTables", &[], || {
            ec2.describe_route_tables().filters(filter("route-table-id", [table])).send()
        })
        .await?;
    let route =
        out.route_tables().iter().flat_map(|t| t.routes()).find(|r| r.destination_cidr_block() == Some(destination));
    Ok(route.map(|r| {
        let mut o = Observed::new(id.clone(), SdkKind::Route.cfn_type(), format!("{table}|{destination}"))
            .prop("RouteTableId", table)
            .prop("DestinationCidrBlock", destination);
        if let Some(nat) = r.nat_gateway_id().filter(|g| !g.is_empty()) {
            o = o.prop("NatGatewayId", nat);
        } else if let Some(gw) = r.gateway_id().filter(|g| !g.is_empty() && *g != "local") {
            o = o.prop("GatewayId", gw);
        }
        o
    }))
}

pub(super) async fn create_route(ctx: &Ctx<'_>, id: &LogicalId, props: &RouteProps) -> Result<Observed, AwsError> {
    let ec2 = &ctx.clients.ec2;
    let (table, destination) = (props.route_table_id.clone(), props.destination_cidr_block.clone());
    let (gateway, nat) = (props.gateway_id.clone(), props.nat_gateway_id.clone());
    let created = tolerant(
        ctx,
        id.as_str(),
        "ec2:CreateRoute",
        &[
            "InvalidRouteTableID.NotFound",
            "InvalidGatewayID.NotFound",
            "InvalidInternetGatewayID.NotFound",
            "InvalidNatGatewayID.NotFound",
            "NatGatewayNotFound",
        ],
        &["RouteAlreadyExists"],
        || {
            ec2.create_route()
                .route_table_id(&table)
                .destination_cidr_block(&destination)
                .set_gateway_id(gateway.clone())
                .set_nat_gateway_id(nat.clone())
                .send()
        },
    )
    .await?;
    if created.is_none() {
        // A route to that destination is there already (a resumed apply): point it here.
        return update_route(ctx, id, props).await;
    }
    let (table, destination) = (table.as_str(), destination.as_str());
    ctx.wait_for(id.as_str(), "created", move || async move { find_route(ctx, id, table, destination).await }).await
}

pub(super) async fn update_route(ctx: &Ctx<'_>, id: &LogicalId, props: &RouteProps) -> Result<Observed, AwsError> {
    let ec2 = &ctx.clients.ec2;
    let (table, destination) = (props.route_table_id.clone(), props.destination_cidr_block.clone());
    let (gateway, nat) = (props.gateway_id.clone(), props.nat_gateway_id.clone());
    ctx.retry(
        id.as_str(),
        "ec2:ReplaceRoute",
        &["InvalidGatewayID.NotFound", "InvalidNatGatewayID.NotFound", "NatGatewayNotFound"],
        || {
            ec2.replace_route()
                .route_table_id(&table)
                .destination_cidr_block(&destination)
                .set_gateway_id(gateway.clone())
                .set_nat_gateway_id(nat.clone())
                .send()
        },
    )
    .await?;
    let physical = format!("{table}|{destination}");
    must(ctx, id.as_str(), find_route(ctx, id, &table, &destination).await?, &physical)
}

/// The association of `subnet` with `table`, if it exists.
pub(super) async fn find_association(
    ctx: &Ctx<'_>,
    id: &LogicalId,
    table: &str,
    subnet: &str,
) -> Result<Option<Observed>, AwsError> {
    let ec2 = &ctx.clients.ec2;
    let out = ctx
        .retry(id.as_str(), "ec2:DescribeRouteTables", &[], || {
            ec2.describe_route_tables().filters(filter("route-table-id", [table])).send()
        })
        .await?;
    let association = out.route_tables().iter().flat_map(|t| t.associations()).find(|a| {
        a.subnet_id() == Some(subnet)
            && !a
                .association_state()
                .and_then(|s| s.state())
                .is_some_and(|s| matches!(s.as_str(), "disassociating" | "disassociated"))
    });
    Ok(association.map(|a| {
        let association_id = a.route_table_association_id().unwrap_or_default();
        Observed::new(id.clone(), SdkKind::SubnetRouteTableAssociation.cfn_type(), association_id)
            .attr("Id", association_id)
            .prop("SubnetId", subnet)
            .prop("RouteTableId", table)
    }))
}

pub(super) async fn create_association(
    ctx: &Ctx<'_>,
    id: &LogicalId,
    props: &AssociationProps,
) -> Result<Observed, AwsError> {
    let ec2 = &ctx.clients.ec2;
    let (table, subnet) = (props.route_table_id.clone(), props.subnet_id.clone());
    let associated = tolerant(
        ctx,
        id.as_str(),
        "ec2:AssociateRouteTable",
        &["InvalidRouteTableID.NotFound", "InvalidSubnetID.NotFound"],
        &["Resource.AlreadyAssociated"],
        || ec2.associate_route_table().route_table_id(&table).subnet_id(&subnet).send(),
    )
    .await?;
    if associated.is_none() {
        // The subnet is explicitly associated with a table already: move it to this one.
        let out = ctx
            .retry(id.as_str(), "ec2:DescribeRouteTables", &[], || {
                ec2.describe_route_tables().filters(filter("association.subnet-id", [subnet.as_str()])).send()
            })
            .await?;
        let existing = out
            .route_tables()
            .iter()
            .flat_map(|t| t.associations())
            .find(|a| a.subnet_id() == Some(subnet.as_str()))
            .map(|a| {
                (
                    a.route_table_id().unwrap_or_default().to_owned(),
                    a.route_table_association_id().unwrap_or_default().to_owned(),
                )
            });
        if let Some((_, association)) = existing.filter(|(t, _)| *t != table) {
            ctx.retry(id.as_str(), "ec2:ReplaceRouteTableAssociation", &[], || {
                ec2.replace_route_table_association().association_id(&association).route_table_id(&table).send()
            })
            .await?;
        }
    }
    let (table, subnet) = (table.as_str(), subnet.as_str());
    ctx.wait_for(id.as_str(), "associated", move || async move { find_association(ctx, id, table, subnet).await }).await
}
