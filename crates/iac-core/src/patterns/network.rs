//! `Network`: a new VPC with public and private subnets across zones, or an existing one.

use crate::model::{
    Eip, InternetGateway, NatGateway, Route, RouteTable, RouteTarget, Subnet, SubnetRouteTableAssociation, Vpc,
    VpcGatewayAttachment,
};
use crate::net::Ipv4Cidr;
use crate::stack::StackBuilder;
use crate::value::{Pseudo, Value};

/// What a new network looks like.
#[derive(Debug, Clone)]
pub struct NetworkProps {
    /// The VPC's range, e.g. `10.20.0.0/16`.
    pub cidr: Ipv4Cidr,
    /// Zones to spread over (2 or 3).
    pub zones: u8,
    /// Prefix length of each subnet, e.g. 20 (4,096 addresses).
    pub subnet_prefix: u8,
    /// One NAT gateway per zone (resilient) instead of one shared (cheaper).
    pub nat_per_zone: bool,
}

impl Default for NetworkProps {
    /// `10.0.0.0/16` over two zones, `/20` subnets, one shared NAT gateway.
    fn default() -> Self {
        Self { cidr: Ipv4Cidr::new([10, 0, 0, 0], 16), zones: 2, subnet_prefix: 20, nat_per_zone: false }
    }
}

/// Ids of a network, new or existing.
#[derive(Debug, Clone)]
pub struct Network {
    /// The VPC.
    pub vpc_id: Value<String>,
    /// The VPC's range (used in egress rules to stay inside the network).
    pub cidr: Value<String>,
    /// Public subnets, one per zone (load balancers, NAT).
    pub public_subnets: Vec<Value<String>>,
    /// Private subnets, one per zone (instances, databases).
    pub private_subnets: Vec<Value<String>>,
}

impl Network {
    /// A network that already exists, given by ids (literals or parameters).
    pub fn existing(
        vpc_id: impl Into<Value<String>>,
        cidr: impl Into<Value<String>>,
        public_subnets: Vec<Value<String>>,
        private_subnets: Vec<Value<String>>,
    ) -> Self {
        Self { vpc_id: vpc_id.into(), cidr: cidr.into(), public_subnets, private_subnets }
    }

    /// Creates the VPC, an internet gateway, public subnets routed to it, NAT gateway(s), and
    /// private subnets routed through NAT. Subnet `i` of each kind is in zone `i`; public subnets
    /// take the first blocks of the range and private ones the blocks after them.
    pub fn create(stack: &mut StackBuilder, props: &NetworkProps) -> Self {
        stack.pattern("Network", "", |stack| Self::add_resources(stack, props))
    }

    /// [`Self::create`] inside its pattern scope.
    fn add_resources(stack: &mut StackBuilder, props: &NetworkProps) -> Self {
        let vpc = stack.add(
            "Vpc",
            Vpc { cidr_block: props.cidr.to_string().into(), enable_dns_hostnames: true, enable_dns_support: true },
        );
        stack.configure(&vpc, |e| {
            e.suppressions.push(super::suppress(
                "CKV2_AWS_11",
                "VPC flow logs are enabled account-wide by the organisation's logging baseline, not per stack",
            ));
            e.suppressions.push(super::suppress(
                "CKV2_AWS_12",
                "the default security group is unused: every resource gets its own group from this stack",
            ));
        });
        let igw = stack.add("InternetGateway", InternetGateway {});
        let attachment = stack.add(
            "InternetGatewayAttachment",
            VpcGatewayAttachment { vpc_id: vpc.vpc_id(), internet_gateway_id: igw.gateway_id() },
        );
        let public_rt = stack.add("PublicRouteTable", RouteTable { vpc_id: vpc.vpc_id() });
        let public_route = stack.add(
            "PublicDefaultRoute",
            Route {
                route_table_id: public_rt.route_table_id(),
                destination_cidr_block: "0.0.0.0/0".into(),
                target: RouteTarget::InternetGateway(igw.gateway_id()),
            },
        );
        stack.configure(&public_route, |e| {
            e.depends_on.push(attachment.id().clone());
        });

        let zones = u32::from(props.zones);
        let mut public_subnets = Vec::new();
        let mut private_subnets = Vec::new();
        let mut nats = Vec::new();
        for z in 0..zones {
            let n = z + 1;
            let cidr = props.cidr.subnet(props.subnet_prefix, z).map(|c| c.to_string()).unwrap_or_default();
            let subnet = stack.add(
                &format!("PublicSubnet{n}"),
                Subnet {
                    vpc_id: vpc.vpc_id(),
                    cidr_block: cidr.into(),
                    availability_zone: Value::Pseudo(Pseudo::AvailabilityZone(u8::try_from(z).unwrap_or(0))),
                    map_public_ip_on_launch: false,
                },
            );
            stack.add(
                &format!("PublicSubnet{n}RouteTableAssociation"),
                SubnetRouteTableAssociation {
                    subnet_id: subnet.subnet_id(),
                    route_table_id: public_rt.route_table_id(),
                },
            );
            if z == 0 || props.nat_per_zone {
                let eip = stack.add(&format!("NatEip{n}"), Eip {});
                let nat = stack.add(
                    &format!("NatGateway{n}"),
                    NatGateway { subnet_id: subnet.subnet_id(), allocation_id: eip.allocation_id() },
                );
                nats.push(nat);
            }
            public_subnets.push(subnet.subnet_id());
        }
        for z in 0..zones {
            let n = z + 1;
            let cidr = props.cidr.subnet(props.subnet_prefix, zones + z).map(|c| c.to_string()).unwrap_or_default();
            let subnet = stack.add(
                &format!("PrivateSubnet{n}"),
                Subnet {
                    vpc_id: vpc.vpc_id(),
                    cidr_block: cidr.into(),
                    availability_zone: Value::Pseudo(Pseudo::AvailabilityZone(u8::try_from(z).unwrap_or(0))),
                    map_public_ip_on_launch: false,
                },
            );
            let rt = stack.add(&format!("PrivateRouteTable{n}"), RouteTable { vpc_id: vpc.vpc_id() });
            let nat = &nats[if props.nat_per_zone { z as usize } else { 0 }];
            stack.add(
                &format!("PrivateDefaultRoute{n}"),
                Route {
                    route_table_id: rt.route_table_id(),
                    destination_cidr_block: "0.0.0.0/0".into(),
                    target: RouteTarget::NatGateway(nat.nat_gateway_id()),
                },
            );
            stack.add(
                &format!("PrivateSubnet{n}RouteTableAssociation"),
                SubnetRouteTableAssociation { subnet_id: subnet.subnet_id(), route_table_id: rt.route_table_id() },
            );
            private_subnets.push(subnet.subnet_id());
        }
        Self { vpc_id: vpc.vpc_id(), cidr: vpc.cidr_block(), public_subnets, private_subnets }
    }
}
