//! VPC, subnets, gateways, routes and security groups.

use serde::Serialize;

use crate::model::spec::prelude::*;
use crate::value::{Refs, Value};

/// `AWS::EC2::VPC` / `aws_vpc`.
#[derive(Debug, Clone, Serialize, Refs)]
pub struct Vpc {
    /// Primary IPv4 CIDR, e.g. `10.0.0.0/16`.
    pub cidr_block: Value<String>,
    /// Needed for EFS, RDS endpoint names and ECS.
    pub enable_dns_hostnames: bool,
    /// Use the Amazon-provided DNS server.
    pub enable_dns_support: bool,
}

/// `AWS::EC2::Subnet` / `aws_subnet`.
#[derive(Debug, Clone, Serialize, Refs)]
pub struct Subnet {
    /// The VPC.
    pub vpc_id: Value<String>,
    /// The subnet's CIDR, inside the VPC's.
    pub cidr_block: Value<String>,
    /// The zone, usually [`crate::value::Pseudo::AvailabilityZone`].
    pub availability_zone: Value<String>,
    /// Give instances a public IPv4 address (off everywhere in this project's patterns).
    pub map_public_ip_on_launch: bool,
}

/// `AWS::EC2::InternetGateway` / `aws_internet_gateway`.
#[derive(Debug, Clone, Serialize, Default, Refs)]
pub struct InternetGateway {}

/// `AWS::EC2::VPCGatewayAttachment` / `aws_internet_gateway_attachment`.
#[derive(Debug, Clone, Serialize, Refs)]
pub struct VpcGatewayAttachment {
    /// The VPC.
    pub vpc_id: Value<String>,
    /// The internet gateway.
    pub internet_gateway_id: Value<String>,
}

/// `AWS::EC2::RouteTable` / `aws_route_table`.
#[derive(Debug, Clone, Serialize, Refs)]
pub struct RouteTable {
    /// The VPC.
    pub vpc_id: Value<String>,
}

/// Where a route sends traffic.
#[derive(Debug, Clone, Serialize, Refs)]
pub enum RouteTarget {
    /// To the internet through an internet gateway.
    InternetGateway(Value<String>),
    /// To the internet through a NAT gateway (private subnets).
    NatGateway(Value<String>),
}

/// `AWS::EC2::Route` / `aws_route`.
#[derive(Debug, Clone, Serialize, Refs)]
pub struct Route {
    /// The table.
    pub route_table_id: Value<String>,
    /// Destination, e.g. `0.0.0.0/0`.
    pub destination_cidr_block: Value<String>,
    /// Where to.
    pub target: RouteTarget,
}

/// `AWS::EC2::SubnetRouteTableAssociation` / `aws_route_table_association`.
#[derive(Debug, Clone, Serialize, Refs)]
pub struct SubnetRouteTableAssociation {
    /// The subnet.
    pub subnet_id: Value<String>,
    /// The table.
    pub route_table_id: Value<String>,
}

/// `AWS::EC2::EIP` / `aws_eip` (VPC domain).
#[derive(Debug, Clone, Serialize, Default, Refs)]
pub struct Eip {}

/// `AWS::EC2::NatGateway` / `aws_nat_gateway`.
#[derive(Debug, Clone, Serialize, Refs)]
pub struct NatGateway {
    /// A public subnet.
    pub subnet_id: Value<String>,
    /// The Elastic IP's allocation id.
    pub allocation_id: Value<String>,
}

/// IP protocol of a security group rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Refs)]
pub enum Protocol {
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
    /// Every protocol (`-1`); ports are ignored.
    All,
}

impl Protocol {
    /// The EC2 API spelling.
    pub fn as_aws(self) -> &'static str {
        match self {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
            Protocol::All => "-1",
        }
    }
}

/// The other end of a rule.
#[derive(Debug, Clone, Serialize, Refs)]
pub enum Peer {
    /// An IPv4 CIDR.
    Cidr(Value<String>),
    /// An IPv6 CIDR.
    CidrV6(Value<String>),
    /// Another security group (a named tier).
    Group(Value<String>),
}

impl Peer {
    /// True for `0.0.0.0/0` or `::/0`.
    pub fn is_world(&self) -> bool {
        match self {
            Peer::Cidr(Value::Lit(c)) => c == "0.0.0.0/0",
            Peer::CidrV6(Value::Lit(c)) => c == "::/0",
            _ => false,
        }
    }
}

/// One ingress or egress rule.
#[derive(Debug, Clone, Serialize, Refs)]
pub struct Rule {
    /// Protocol.
    pub protocol: Protocol,
    /// First port.
    pub from_port: u16,
    /// Last port.
    pub to_port: u16,
    /// Source (ingress) or destination (egress).
    pub peer: Peer,
    /// Why the rule exists (shown in the console; checkov requires it).
    pub description: String,
}

impl Rule {
    /// A TCP rule for one port.
    pub fn tcp(port: u16, peer: Peer, description: impl Into<String>) -> Self {
        Self { protocol: Protocol::Tcp, from_port: port, to_port: port, peer, description: description.into() }
    }

    /// True when `port` is inside the rule's range (or the rule covers every protocol).
    pub fn covers(&self, port: u16) -> bool {
        self.protocol == Protocol::All || (self.from_port..=self.to_port).contains(&port)
    }
}

/// `AWS::EC2::SecurityGroup` / `aws_security_group` with inline rules.
#[derive(Debug, Clone, Serialize, Refs)]
pub struct SecurityGroup {
    /// The group's description (immutable in AWS).
    pub description: String,
    /// The VPC.
    pub vpc_id: Value<String>,
    /// Ingress rules.
    pub ingress: Vec<Rule>,
    /// Egress rules. Empty means no egress at all (not AWS's allow-all default).
    pub egress: Vec<Rule>,
}

/// `AWS::EC2::SecurityGroupIngress` / `aws_vpc_security_group_ingress_rule`: one rule added to a
/// group from outside, so that a group can admit a tier created later without a cycle.
#[derive(Debug, Clone, Serialize, Refs)]
pub struct SecurityGroupIngress {
    /// The group the rule belongs to.
    pub group_id: Value<String>,
    /// The rule.
    pub rule: Rule,
}

impl ResourceKind for Vpc {
    const SPEC: &'static KindSpec = &KindSpec {
        kind: "Vpc",
        label: "VPC",
        provider: Provider::Aws,
        cloudformation: Some("AWS::EC2::VPC"),
        terraform: Some("aws_vpc"),
        attrs: &[by_ref(Attr::Id, "id"), get_att(Attr::CidrBlock, "CidrBlock", "cidr_block")],
        naming: Naming::Derived { max: 255 },
        tagging: Tagging::Property("Tags"),
        data: Data::None,
        replacement: crate::replace!["CidrBlock": "a VPC keeps its primary CIDR block for life", "Ipv4IpamPoolId", "Ipv4NetmaskLength", "VpcEncryptionControl", "InstanceTenancy": "the SDK path cannot change a VPC's tenancy in place"],
        replacement_notes: &[(
            "InstanceTenancy",
            "CloudFormation updates dedicated to default in place; the SDK path replaces (ModifyVpcTenancy cannot go the other way)",
        )],
        teardown: 23,
    };
}

impl ResourceKind for Subnet {
    const SPEC: &'static KindSpec = &KindSpec {
        kind: "Subnet",
        label: "subnet",
        provider: Provider::Aws,
        cloudformation: Some("AWS::EC2::Subnet"),
        terraform: Some("aws_subnet"),
        attrs: &[by_ref(Attr::Id, "id"), get_att(Attr::AvailabilityZone, "AvailabilityZone", "availability_zone")],
        naming: Naming::Derived { max: 255 },
        tagging: Tagging::Property("Tags"),
        data: Data::None,
        replacement: crate::replace!["VpcId", "AvailabilityZone": "a subnet lives in one zone for life", "AvailabilityZoneId", "CidrBlock": "a subnet keeps its CIDR block for life", "OutpostArn", "Ipv6Native", "Ipv4IpamPoolId", "Ipv4NetmaskLength", "Ipv6IpamPoolId", "Ipv6NetmaskLength"],
        replacement_notes: &[],
        teardown: 20,
    };
}

impl ResourceKind for InternetGateway {
    const SPEC: &'static KindSpec = &KindSpec {
        kind: "InternetGateway",
        label: "internet gateway",
        provider: Provider::Aws,
        cloudformation: Some("AWS::EC2::InternetGateway"),
        terraform: Some("aws_internet_gateway"),
        attrs: &[by_ref(Attr::Id, "id")],
        naming: Naming::Derived { max: 255 },
        tagging: Tagging::Property("Tags"),
        data: Data::None,
        replacement: crate::replace![],
        replacement_notes: &[],
        teardown: 22,
    };
}

impl ResourceKind for VpcGatewayAttachment {
    const SPEC: &'static KindSpec = &KindSpec {
        kind: "VpcGatewayAttachment",
        label: "gateway attachment",
        provider: Provider::Aws,
        cloudformation: Some("AWS::EC2::VPCGatewayAttachment"),
        terraform: Some("aws_internet_gateway_attachment"),
        attrs: &[],
        naming: Naming::Unnamed,
        tagging: Tagging::Untagged("an attachment takes no tags"),
        data: Data::None,
        replacement: crate::replace!["VpcId", "InternetGatewayId": "the SDK path detaches and attaches again", "VpnGatewayId": "the SDK path detaches and attaches again"],
        replacement_notes: &[
            (
                "InternetGatewayId",
                "CloudFormation updates the attachment in place; the SDK path detaches the old gateway and attaches the new one",
            ),
            ("VpnGatewayId", "as InternetGatewayId"),
        ],
        teardown: 21,
    };
}

impl ResourceKind for RouteTable {
    const SPEC: &'static KindSpec = &KindSpec {
        kind: "RouteTable",
        label: "route table",
        provider: Provider::Aws,
        cloudformation: Some("AWS::EC2::RouteTable"),
        terraform: Some("aws_route_table"),
        attrs: &[by_ref(Attr::Id, "id")],
        naming: Naming::Derived { max: 255 },
        tagging: Tagging::Property("Tags"),
        data: Data::None,
        replacement: crate::replace!["VpcId"],
        replacement_notes: &[],
        teardown: 19,
    };
}

impl ResourceKind for Route {
    const SPEC: &'static KindSpec = &KindSpec {
        kind: "Route",
        label: "route",
        provider: Provider::Aws,
        cloudformation: Some("AWS::EC2::Route"),
        terraform: Some("aws_route"),
        attrs: &[],
        naming: Naming::Unnamed,
        tagging: Tagging::Untagged("a route takes no tags"),
        data: Data::None,
        replacement: crate::replace![
            "RouteTableId",
            "DestinationCidrBlock",
            "DestinationIpv6CidrBlock",
            "DestinationPrefixListId"
        ],
        replacement_notes: &[],
        teardown: 15,
    };
}

impl ResourceKind for SubnetRouteTableAssociation {
    const SPEC: &'static KindSpec = &KindSpec {
        kind: "SubnetRouteTableAssociation",
        label: "route table association",
        provider: Provider::Aws,
        cloudformation: Some("AWS::EC2::SubnetRouteTableAssociation"),
        terraform: Some("aws_route_table_association"),
        attrs: &[],
        naming: Naming::Unnamed,
        tagging: Tagging::Untagged("an association takes no tags"),
        data: Data::None,
        replacement: crate::replace!["SubnetId", "RouteTableId"],
        replacement_notes: &[],
        teardown: 16,
    };
}

impl ResourceKind for Eip {
    const SPEC: &'static KindSpec = &KindSpec {
        kind: "Eip",
        label: "Elastic IP",
        provider: Provider::Aws,
        cloudformation: Some("AWS::EC2::EIP"),
        terraform: Some("aws_eip"),
        attrs: &[get_att(Attr::AllocationId, "AllocationId", "allocation_id")],
        naming: Naming::Derived { max: 255 },
        tagging: Tagging::Property("Tags"),
        data: Data::None,
        replacement: crate::replace!["NetworkBorderGroup", "TransferAddress", "IpamPoolId", "Address": "a new address is a new allocation", "Domain": "the SDK path allocates a new address", "PublicIpv4Pool": "the SDK path allocates a new address"],
        replacement_notes: &[
            ("Domain", "CloudFormation updates it in place; the SDK path allocates a new address in the new domain"),
            ("PublicIpv4Pool", "as Domain"),
        ],
        teardown: 18,
    };
}

impl ResourceKind for NatGateway {
    const SPEC: &'static KindSpec = &KindSpec {
        kind: "NatGateway",
        label: "NAT gateway",
        provider: Provider::Aws,
        cloudformation: Some("AWS::EC2::NatGateway"),
        terraform: Some("aws_nat_gateway"),
        attrs: &[by_ref(Attr::Id, "id")],
        naming: Naming::Derived { max: 255 },
        tagging: Tagging::Property("Tags"),
        data: Data::None,
        replacement: crate::replace!["VpcId", "SubnetId": "a NAT gateway lives in one subnet for life", "ConnectivityType", "AllocationId": "a NAT gateway keeps its address for life", "PrivateIpAddress", "AvailabilityMode"],
        replacement_notes: &[],
        teardown: 17,
    };
}

impl ResourceKind for SecurityGroup {
    const SPEC: &'static KindSpec = &KindSpec {
        kind: "SecurityGroup",
        label: "security group",
        provider: Provider::Aws,
        cloudformation: Some("AWS::EC2::SecurityGroup"),
        terraform: Some("aws_security_group"),
        attrs: &[get_att(Attr::Id, "GroupId", "id")],
        naming: Naming::Derived { max: 255 },
        tagging: Tagging::Property("Tags"),
        data: Data::None,
        replacement: crate::replace!["GroupDescription": "EC2 cannot change a group's description", "GroupName", "VpcId"],
        replacement_notes: &[],
        teardown: 14,
    };
}

impl ResourceKind for SecurityGroupIngress {
    const SPEC: &'static KindSpec = &KindSpec {
        kind: "SecurityGroupIngress",
        label: "security group rule",
        provider: Provider::Aws,
        cloudformation: Some("AWS::EC2::SecurityGroupIngress"),
        terraform: Some("aws_vpc_security_group_ingress_rule"),
        attrs: &[],
        naming: Naming::Unnamed,
        tagging: Tagging::Untagged("an ingress rule resource takes no tags in CloudFormation"),
        data: Data::None,
        replacement: crate::replace![
            "GroupId",
            "GroupName",
            "IpProtocol",
            "FromPort",
            "ToPort",
            "CidrIp",
            "CidrIpv6",
            "SourceSecurityGroupId",
            "SourceSecurityGroupName",
            "SourceSecurityGroupOwnerId",
            "SourcePrefixListId"
        ],
        replacement_notes: &[],
        teardown: 13,
    };
}
