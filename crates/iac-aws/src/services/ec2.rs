//! EC2: VPCs, subnets, internet gateways and their attachments, route tables, routes and subnet
//! associations, Elastic IPs, NAT gateways, security groups (with inline rules), standalone
//! ingress rules, launch templates and instances.
//!
//! # State and discovery
//!
//! Every taggable kind is tagged in the call that creates it (`TagSpecifications`), and found
//! again with `tag:iac:stack` / `tag:iac:env` filters. A standalone ingress rule
//! (`AWS::EC2::SecurityGroupIngress`) is tagged the same way: `TagSpecifications` of type
//! `security-group-rule` on `AuthorizeSecurityGroupIngress`, with the stack's tags, `iac:id` and
//! `iac:hash`; its physical id is the rule id (`sgr-…`). A group's inline rules are the group's
//! rules that carry no `iac:id` tag, so a group and the standalone rules added to it never
//! fight over the same rule.
//!
//! Three kinds cannot carry tags at all. They are found through their parents, using the stack's
//! own entries: each entry's CloudFormation properties are resolved against the parents just
//! discovered, then the parent is read:
//!
//! | kind | read from | physical id |
//! |---|---|---|
//! | `VPCGatewayAttachment` | the gateway's attachments | `igw-…\|vpc-…` |
//! | `Route` | the table's routes, by destination | `rtb-…\|0.0.0.0/0` |
//! | `SubnetRouteTableAssociation` | the table's associations, by subnet | `rtbassoc-…` |
//!
//! They carry no hash, so plan compares the properties read back. One of them that is no longer
//! in the stack cannot be found (nothing names it); it goes with its parent instead: a table's
//! routes and associations with the table (deleting a table removes its associations first), an
//! attachment when its gateway is deleted (which detaches it first). Discovery has no parameter
//! values: an entry that refers to a parameter resolves with its default, and one without a
//! default is not found.
//!
//! # Updates in place
//!
//! VPC DNS attributes; a subnet's `MapPublicIpOnLaunch`; a route's target; a security group's
//! rules (added ones authorized first, removed ones revoked by rule id, a rule whose only change
//! is its description revoked and authorized again); a standalone rule's description; a launch
//! template's data (a new version holding the full data, made the default: `SourceVersion` is
//! never relied on); an instance's security groups, monitoring and instance profile (no
//! interruption) and its type, user data and EBS optimisation (stop, modify, start, as
//! CloudFormation does; user data is not run again). Tags are rewritten on every update.
//!
//! # Deleting
//!
//! Every delete is idempotent (already gone is success). NAT gateways and instances are waited
//! for until they are gone; subnets, gateways, tables, groups and VPCs are retried while AWS
//! answers `DependencyViolation` (network interfaces of terminated instances take minutes to go).
//!
//! # Local moto server
//!
//! Moto gives no description for a rule that references another group in
//! `DescribeSecurityGroupRules`, so descriptions are filled from `DescribeSecurityGroups`; it
//! cannot revoke such a rule by its permission, so rules are revoked by id. `DeleteNatGateway` of
//! an unknown id is an HTTP 500 there, so the gateway is described first. Moto also copies a
//! launch template's own tags into its data's `TagSpecifications`; those are not read back. Its
//! `DescribeLaunchTemplates` keeps showing a template's tags as they were at creation, so a
//! template's tags are read with `DescribeTags`.
//! Moto has no `MonitorInstances` / `UnmonitorInstances`, so changing an instance's detailed
//! monitoring cannot be tested there; and its `ModifyInstanceAttribute` wants user data encoded
//! twice (AWS: once, the SDK's own blob encoding), so changing an instance's user data in place
//! is written for AWS and not tested on moto.

// The SDK's accessor paths (`aws_sdk_ec2::operation::describe_vpcs::DescribeVpcsOutput::vpcs`)
// are longer than the closures they would replace.
#![allow(clippy::redundant_closure_for_method_calls)]

use std::collections::{BTreeMap, HashMap};
use std::future::Future;

use aws_sdk_ec2::primitives::Blob;
use aws_sdk_ec2::types::{
    AttributeBooleanValue, AttributeValue, BlockDeviceMapping, EbsBlockDevice, Filter, HttpTokensState,
    IamInstanceProfileSpecification, Instance, InstanceAttributeName, InstanceMetadataEndpointState,
    InstanceMetadataOptionsRequest, InstanceStateName, InstanceType, IpPermission, IpRange, Ipv6Range,
    LaunchTemplateBlockDeviceMappingRequest, LaunchTemplateEbsBlockDeviceRequest, LaunchTemplateHttpTokensState,
    LaunchTemplateIamInstanceProfileSpecificationRequest, LaunchTemplateInstanceMetadataEndpointState,
    LaunchTemplateInstanceMetadataOptionsRequest, LaunchTemplateInstanceMetadataTagsState,
    LaunchTemplateTagSpecificationRequest, LaunchTemplatesMonitoringRequest, NatGatewayState, Placement, PrefixListId,
    RequestLaunchTemplateData, ResourceType, ResponseLaunchTemplateData, RunInstancesMonitoringEnabled,
    SecureBlobAttributeValue, SecurityGroup, SecurityGroupRule, ShutdownBehavior, Tag, TagSpecification,
    UserIdGroupPair, VolumeType, VpcAttributeName,
};
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use base64::Engine as _;
use iac_core::LogicalId;
use iac_core::model::{self, Resource, ResourceEntry};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json, json};

use super::{Ctx, absent_on, code_in, own_tags, sdk_tags, tag_pairs};
use crate::adapter::{self, Adapter, CfnTag, Desired, SdkKind, de};
use crate::desired::{self, Facts};
use crate::error::AwsError;
use crate::state::{self, Observed, TAG_HASH, TAG_ID, Tags};

/// What AWS answers while something still depends on the resource being deleted.
const BUSY: &[&str] = &["DependencyViolation", "InvalidIPAddress.InUse", "InvalidGroup.InUse"];

// ---------------------------------------------------------------------------------------------
// Desired properties, one struct per kind.

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

/// The desired properties of an `AWS::EC2::SecurityGroup`, with its inline rules.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct SecurityGroupProps {
    pub(crate) group_name: String,
    pub(crate) group_description: String,
    #[serde(default)]
    pub(crate) vpc_id: Option<String>,
    #[serde(default)]
    pub(crate) security_group_ingress: Vec<RuleProps>,
    #[serde(default)]
    pub(crate) security_group_egress: Vec<RuleProps>,
    #[serde(default)]
    pub(crate) tags: Vec<CfnTag>,
}

/// One inline rule of a security group.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct RuleProps {
    #[serde(deserialize_with = "de::text")]
    pub(crate) ip_protocol: String,
    #[serde(default, deserialize_with = "de::opt_int")]
    pub(crate) from_port: Option<i32>,
    #[serde(default, deserialize_with = "de::opt_int")]
    pub(crate) to_port: Option<i32>,
    #[serde(default)]
    pub(crate) cidr_ip: Option<String>,
    #[serde(default)]
    pub(crate) cidr_ipv6: Option<String>,
    #[serde(default)]
    pub(crate) source_security_group_id: Option<String>,
    #[serde(default)]
    pub(crate) destination_security_group_id: Option<String>,
    #[serde(default)]
    pub(crate) source_prefix_list_id: Option<String>,
    #[serde(default)]
    pub(crate) destination_prefix_list_id: Option<String>,
    #[serde(default)]
    pub(crate) description: Option<String>,
}

/// The desired properties of an `AWS::EC2::SecurityGroupIngress` (a standalone rule).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct IngressProps {
    pub(crate) group_id: String,
    #[serde(deserialize_with = "de::text")]
    pub(crate) ip_protocol: String,
    #[serde(default, deserialize_with = "de::opt_int")]
    pub(crate) from_port: Option<i32>,
    #[serde(default, deserialize_with = "de::opt_int")]
    pub(crate) to_port: Option<i32>,
    #[serde(default)]
    pub(crate) cidr_ip: Option<String>,
    #[serde(default)]
    pub(crate) cidr_ipv6: Option<String>,
    #[serde(default)]
    pub(crate) source_security_group_id: Option<String>,
    #[serde(default)]
    pub(crate) source_prefix_list_id: Option<String>,
    #[serde(default)]
    pub(crate) description: Option<String>,
}

impl IngressProps {
    /// The rule, in the shape of a group's inline rule.
    fn rule(&self) -> RuleProps {
        RuleProps {
            ip_protocol: self.ip_protocol.clone(),
            from_port: self.from_port,
            to_port: self.to_port,
            cidr_ip: self.cidr_ip.clone(),
            cidr_ipv6: self.cidr_ipv6.clone(),
            source_security_group_id: self.source_security_group_id.clone(),
            source_prefix_list_id: self.source_prefix_list_id.clone(),
            description: self.description.clone(),
            ..RuleProps::default()
        }
    }
}

/// The desired properties of an `AWS::EC2::LaunchTemplate`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct LaunchTemplateProps {
    pub(crate) launch_template_name: String,
    pub(crate) launch_template_data: LaunchTemplateData,
    /// The template's own tags (`launch-template`).
    #[serde(default)]
    pub(crate) tag_specifications: Vec<TagSpec>,
}

/// A launch template's data (also read back from AWS, in the same shape: [`lt_json`]).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct LaunchTemplateData {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) image_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) instance_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) key_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) user_data: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "de::opt_bool")]
    pub(crate) ebs_optimized: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "de::opt_bool")]
    pub(crate) disable_api_termination: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) instance_initiated_shutdown_behavior: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) security_group_ids: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) security_groups: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) monitoring: Option<MonitoringProps>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) metadata_options: Option<MetadataOptionsProps>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) iam_instance_profile: Option<ProfileProps>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) block_device_mappings: Vec<BlockDeviceProps>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) tag_specifications: Vec<TagSpec>,
}

/// `Monitoring` of a launch template.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct MonitoringProps {
    #[serde(default, deserialize_with = "de::opt_bool")]
    pub(crate) enabled: Option<bool>,
}

/// `MetadataOptions` (IMDS).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct MetadataOptionsProps {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) http_endpoint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) http_tokens: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "de::opt_int")]
    pub(crate) http_put_response_hop_limit: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) instance_metadata_tags: Option<String>,
}

/// A launch template's `IamInstanceProfile`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct ProfileProps {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) arn: Option<String>,
}

/// A block device mapping.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct BlockDeviceProps {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) device_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) no_device: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) virtual_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) ebs: Option<EbsProps>,
}

/// The EBS volume of a block device mapping.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct EbsProps {
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "de::opt_int")]
    pub(crate) volume_size: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) volume_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "de::opt_bool")]
    pub(crate) encrypted: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "de::opt_bool")]
    pub(crate) delete_on_termination: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "de::opt_int")]
    pub(crate) iops: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "de::opt_int")]
    pub(crate) throughput: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) kms_key_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) snapshot_id: Option<String>,
}

/// Tags for the resources of one type (`instance`, `volume`, `launch-template`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct TagSpec {
    pub(crate) resource_type: String,
    #[serde(default)]
    pub(crate) tags: Vec<CfnTag>,
}

/// The desired properties of an `AWS::EC2::Instance`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct InstanceProps {
    #[serde(default)]
    pub(crate) image_id: Option<String>,
    #[serde(default)]
    pub(crate) instance_type: Option<String>,
    #[serde(default)]
    pub(crate) subnet_id: Option<String>,
    #[serde(default)]
    pub(crate) security_group_ids: Option<Vec<String>>,
    #[serde(default, deserialize_with = "de::opt_bool")]
    pub(crate) ebs_optimized: Option<bool>,
    #[serde(default, deserialize_with = "de::opt_bool")]
    pub(crate) monitoring: Option<bool>,
    /// The profile's name.
    #[serde(default)]
    pub(crate) iam_instance_profile: Option<String>,
    #[serde(default)]
    pub(crate) block_device_mappings: Option<Vec<BlockDeviceProps>>,
    #[serde(default)]
    pub(crate) key_name: Option<String>,
    #[serde(default)]
    pub(crate) user_data: Option<String>,
    /// Not in CloudFormation's `AWS::EC2::Instance`; IMDSv2 is the default here.
    #[serde(default)]
    pub(crate) metadata_options: Option<MetadataOptionsProps>,
    #[serde(default)]
    pub(crate) availability_zone: Option<String>,
    #[serde(default)]
    pub(crate) private_ip_address: Option<String>,
    #[serde(default, deserialize_with = "de::opt_bool")]
    pub(crate) disable_api_termination: Option<bool>,
    #[serde(default)]
    pub(crate) instance_initiated_shutdown_behavior: Option<String>,
    #[serde(default)]
    pub(crate) tags: Vec<CfnTag>,
}

impl InstanceProps {
    /// The properties an instance reads back ([`observe_instance`]), in the template's shape.
    fn observable(&self) -> Json {
        json!({
            "ImageId": self.image_id,
            "InstanceType": self.instance_type,
            "SubnetId": self.subnet_id,
            "SecurityGroupIds": self.security_group_ids,
            "EbsOptimized": self.ebs_optimized,
            "Monitoring": self.monitoring,
            "IamInstanceProfile": self.iam_instance_profile,
            "KeyName": self.key_name,
            "UserData": self.user_data,
        })
    }
}

macro_rules! tagged {
    ($($props:ty),*) => {
        $(impl Desired for $props {
            fn template_tags(&self) -> Vec<(&str, &str)> {
                adapter::pairs(&self.tags)
            }
        })*
    };
}

tagged!(
    VpcProps,
    SubnetProps,
    InternetGatewayProps,
    RouteTableProps,
    EipProps,
    NatGatewayProps,
    SecurityGroupProps,
    InstanceProps
);

impl Desired for AttachmentProps {}
impl Desired for RouteProps {}
impl Desired for AssociationProps {}
impl Desired for IngressProps {}

impl Desired for LaunchTemplateProps {
    fn template_tags(&self) -> Vec<(&str, &str)> {
        self.tag_specifications
            .iter()
            .filter(|s| s.resource_type == "launch-template")
            .flat_map(|s| adapter::pairs(&s.tags))
            .collect()
    }
}

// ---------------------------------------------------------------------------------------------
// The adapters.

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

impl Adapter for model::SecurityGroup {
    type Props = SecurityGroupProps;
    const REPLACED_BY: &'static [&'static str] = &["GroupName", "GroupDescription", "VpcId"];

    async fn create(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        props: &SecurityGroupProps,
        tags: &Tags,
    ) -> Result<Observed, AwsError> {
        create_sg(ctx, &entry.id, props, tags).await
    }

    /// The inline rules are synced (see [`sync_rules`]).
    async fn update(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        current: &Observed,
        props: &SecurityGroupProps,
        tags: &Tags,
    ) -> Result<Observed, AwsError> {
        let (id, physical) = (&entry.id, current.physical_id.as_str());
        let (_, rules) = read_sg(ctx, id, physical).await?;
        sync_rules(ctx, id.as_str(), physical, props, &rules).await?;
        retag(ctx, id.as_str(), &[physical.to_owned()], tags).await?;
        Ok(read_sg(ctx, id, physical).await?.0)
    }

    async fn delete(ctx: &Ctx<'_>, current: &Observed) -> Result<(), AwsError> {
        let ec2 = &ctx.clients.ec2;
        let physical = current.physical_id.as_str();
        delete_when_free(ctx, current.id.as_str(), "ec2:DeleteSecurityGroup", &["InvalidGroup.NotFound"], || {
            ec2.delete_security_group().group_id(physical).send()
        })
        .await
    }
}

impl Adapter for model::SecurityGroupIngress {
    type Props = IngressProps;
    const REPLACED_BY: &'static [&'static str] = &[
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
        "SourcePrefixListId",
    ];

    /// Tagged by the engine (CloudFormation cannot tag a rule).
    async fn create(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        props: &IngressProps,
        tags: &Tags,
    ) -> Result<Observed, AwsError> {
        create_ingress(ctx, &entry.id, props, &own_tags(ctx, &entry.id, tags)).await
    }

    /// Only the description changes in place.
    async fn update(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        current: &Observed,
        props: &IngressProps,
        tags: &Tags,
    ) -> Result<Observed, AwsError> {
        update_ingress(ctx, &entry.id, current, props, &own_tags(ctx, &entry.id, tags)).await
    }

    async fn delete(ctx: &Ctx<'_>, current: &Observed) -> Result<(), AwsError> {
        delete_ingress(ctx, current.id.as_str(), &current.physical_id).await
    }
}

impl Adapter for model::LaunchTemplate {
    type Props = LaunchTemplateProps;
    const REPLACED_BY: &'static [&'static str] = &["LaunchTemplateName"];

    async fn create(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        props: &LaunchTemplateProps,
        tags: &Tags,
    ) -> Result<Observed, AwsError> {
        create_lt(ctx, &entry.id, props, tags).await
    }

    /// A new version holding the full data, made the default.
    async fn update(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        current: &Observed,
        props: &LaunchTemplateProps,
        tags: &Tags,
    ) -> Result<Observed, AwsError> {
        update_lt(ctx, &entry.id, current, props, tags).await
    }

    async fn delete(ctx: &Ctx<'_>, current: &Observed) -> Result<(), AwsError> {
        let ec2 = &ctx.clients.ec2;
        let physical = current.physical_id.as_str();
        tolerant(
            ctx,
            current.id.as_str(),
            "ec2:DeleteLaunchTemplate",
            &[],
            &[
                "InvalidLaunchTemplateId.NotFound",
                "InvalidLaunchTemplateName.NotFoundException",
                "InvalidLaunchTemplateId.Malformed",
            ],
            || ec2.delete_launch_template().launch_template_id(physical).send(),
        )
        .await
        .map(drop)
    }
}

impl Adapter for model::Instance {
    type Props = InstanceProps;
    const REPLACED_BY: &'static [&'static str] = &[
        "ImageId",
        "SubnetId",
        "AvailabilityZone",
        "KeyName",
        "PrivateIpAddress",
        "NetworkInterfaces",
        "Tenancy",
        "PlacementGroupName",
        "HostId",
        "LaunchTemplate",
        "BlockDeviceMappings",
        "SecurityGroups",
        "CpuOptions",
        "HibernationOptions",
        "EnclaveOptions",
    ];

    async fn create(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        props: &InstanceProps,
        tags: &Tags,
    ) -> Result<Observed, AwsError> {
        create_instance(ctx, &entry.id, props, tags).await
    }

    /// See [`update_instance`].
    async fn update(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        current: &Observed,
        props: &InstanceProps,
        tags: &Tags,
    ) -> Result<Observed, AwsError> {
        update_instance(ctx, &entry.id, current, props, tags).await
    }

    /// Terminated, and waited for until gone.
    async fn delete(ctx: &Ctx<'_>, current: &Observed) -> Result<(), AwsError> {
        delete_instance(ctx, current.id.as_str(), &current.physical_id).await
    }
}

/// Everything of this stack and environment that exists: taggable kinds by their tags, then
/// the untaggable ones through their parents (see the module docs).
pub async fn discover(ctx: &Ctx<'_>) -> Result<Vec<Observed>, AwsError> {
    let (vpcs, subnets, igws, tables, eips, nats, (groups, sg_found), lts, instances) = tokio::try_join!(
        Box::pin(discover_vpcs(ctx)),
        Box::pin(discover_subnets(ctx)),
        Box::pin(discover_igws(ctx)),
        Box::pin(discover_route_tables(ctx)),
        Box::pin(discover_eips(ctx)),
        Box::pin(discover_nats(ctx)),
        Box::pin(discover_sgs(ctx)),
        Box::pin(discover_lts(ctx)),
        Box::pin(discover_instances(ctx)),
    )?;
    // Boxed: the SDK's futures are large, and this one is joined with every other service's.
    let ingress = Box::pin(discover_ingress(ctx, &groups)).await?;
    let mut out: Vec<Observed> =
        [vpcs, subnets, igws, tables, eips, nats, sg_found, ingress, lts, instances].into_iter().flatten().collect();
    let untaggable = Box::pin(discover_untaggable(ctx, &out)).await?;
    out.extend(untaggable);
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Shared helpers.

fn must(ctx: &Ctx<'_>, id: &str, found: Option<Observed>, physical: &str) -> Result<Observed, AwsError> {
    found.ok_or_else(|| {
        ctx.fail(id, "ec2:Describe", format!("{physical} is not there; re-run plan (it will be created again)"))
    })
}

/// Runs `call` (retrying throttling and the `retry` codes); an error with a code in `gone` is
/// `Ok(None)`.
async fn tolerant<T, E, R, F, Fut>(
    ctx: &Ctx<'_>,
    id: &str,
    action: &str,
    retry: &[&str],
    gone: &[&str],
    call: F,
) -> Result<Option<T>, AwsError>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<T, SdkError<E, R>>>,
    E: std::error::Error + ProvideErrorMetadata + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    ctx.retry(id, action, retry, || {
        let fut = call();
        async move { absent_on(fut.await, gone) }
    })
    .await
}

/// Deletes with `call`, polling while something still depends on the resource ([`BUSY`]); an
/// error with a code in `gone` means it is already deleted.
async fn delete_when_free<T, E, R, F, Fut>(
    ctx: &Ctx<'_>,
    id: &str,
    action: &str,
    gone: &[&str],
    call: F,
) -> Result<(), AwsError>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<T, SdkError<E, R>>>,
    E: std::error::Error + ProvideErrorMetadata + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    let call = &call;
    ctx.wait_for(id, "deleted (something still depends on it)", move || async move {
        let done = ctx
            .retry(id, action, &[], || {
                let fut = call();
                async move {
                    match fut.await {
                        Ok(_) => Ok(true),
                        Err(e) if code_in(&e, gone) => Ok(true),
                        Err(e) if code_in(&e, BUSY) => Ok(false),
                        Err(e) => Err(e),
                    }
                }
            })
            .await?;
        Ok(done.then_some(()))
    })
    .await
}

/// A page of a paginated `Describe*` answer.
trait Page {
    /// The token of the next page, if any.
    fn next_page(&self) -> Option<&str>;
}

macro_rules! page {
    ($($output:ty),* $(,)?) => {
        $(impl Page for $output {
            fn next_page(&self) -> Option<&str> {
                self.next_token()
            }
        })*
    };
}

page!(
    aws_sdk_ec2::operation::describe_vpcs::DescribeVpcsOutput,
    aws_sdk_ec2::operation::describe_subnets::DescribeSubnetsOutput,
    aws_sdk_ec2::operation::describe_internet_gateways::DescribeInternetGatewaysOutput,
    aws_sdk_ec2::operation::describe_route_tables::DescribeRouteTablesOutput,
    aws_sdk_ec2::operation::describe_nat_gateways::DescribeNatGatewaysOutput,
    aws_sdk_ec2::operation::describe_security_group_rules::DescribeSecurityGroupRulesOutput,
    aws_sdk_ec2::operation::describe_security_groups::DescribeSecurityGroupsOutput,
    aws_sdk_ec2::operation::describe_tags::DescribeTagsOutput,
    aws_sdk_ec2::operation::describe_launch_templates::DescribeLaunchTemplatesOutput,
    aws_sdk_ec2::operation::describe_instances::DescribeInstancesOutput,
);

/// Every page of a paginated call.
async fn paged<O, E, R, F, Fut>(ctx: &Ctx<'_>, id: &str, action: &str, call: F) -> Result<Vec<O>, AwsError>
where
    O: Page,
    F: Fn(Option<String>) -> Fut,
    Fut: Future<Output = Result<O, SdkError<E, R>>>,
    E: std::error::Error + ProvideErrorMetadata + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    let mut pages = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = ctx.retry(id, action, &[], || call(token.clone())).await?;
        token = page.next_page().filter(|t| !t.is_empty()).map(str::to_owned);
        pages.push(page);
        if token.is_none() {
            return Ok(pages);
        }
    }
}

/// Every page of a discovery call, given the filters on this stack's tags (and the page token).
async fn ours_paged<O, E, R, F, Fut>(ctx: &Ctx<'_>, action: &str, call: F) -> Result<Vec<O>, AwsError>
where
    O: Page,
    F: Fn(Vec<Filter>, Option<String>) -> Fut,
    Fut: Future<Output = Result<O, SdkError<E, R>>>,
    E: std::error::Error + ProvideErrorMetadata + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    let filters = ours_filters(ctx);
    paged(ctx, "-", action, |t| call(filters.clone(), t)).await
}

/// Reads the one resource `physical` with `call` (retrying the `not_yet` codes: it may have just
/// been made) and picks it out of the answer; not listed is an error.
async fn describe_one<O, T, E, R, F, Fut>(
    ctx: &Ctx<'_>,
    id: &str,
    action: &str,
    not_yet: &[&str],
    physical: &str,
    call: F,
    pick: impl FnOnce(&O) -> Option<&T>,
) -> Result<T, AwsError>
where
    T: Clone,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<O, SdkError<E, R>>>,
    E: std::error::Error + ProvideErrorMetadata + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    let out = ctx.retry(id, action, not_yet, call).await?;
    pick(&out).cloned().ok_or_else(|| ctx.fail(id, action, format!("{physical} is not listed")))
}

fn filter<S: Into<String>>(name: &str, values: impl IntoIterator<Item = S>) -> Filter {
    Filter::builder().name(name).set_values(Some(values.into_iter().map(Into::into).collect())).build()
}

/// The filters that select this stack and environment.
fn ours_filters(ctx: &Ctx<'_>) -> Vec<Filter> {
    vec![
        filter(&format!("tag:{}", state::TAG_STACK), [ctx.stack.name()]),
        filter(&format!("tag:{}", state::TAG_ENV), [ctx.stack.env()]),
    ]
}

fn tag_spec(kind: ResourceType, tags: &Tags) -> TagSpecification {
    TagSpecification::builder().resource_type(kind).set_tags(Some(sdk_tags(tags))).build()
}

/// The logical id and hash, when `tags` mark this stack and environment.
fn ours(ctx: &Ctx<'_>, tags: &[Tag]) -> Option<(LogicalId, Option<String>)> {
    ctx.ours(&tag_pairs(tags))
}

fn with_hash(mut o: Observed, tags: &[Tag]) -> Observed {
    o.hash = tags.iter().find(|t| t.key() == Some(TAG_HASH)).and_then(|t| t.value().map(str::to_owned));
    o
}

/// Writes `tags` on `resources` (overwriting values; other tags are left alone).
async fn retag(ctx: &Ctx<'_>, id: &str, resources: &[String], tags: &Tags) -> Result<(), AwsError> {
    if tags.is_empty() || resources.is_empty() {
        return Ok(());
    }
    let ec2 = &ctx.clients.ec2;
    let tags = sdk_tags(tags);
    ctx.retry(id, "ec2:CreateTags", &[], || {
        ec2.create_tags().set_resources(Some(resources.to_vec())).set_tags(Some(tags.clone())).send()
    })
    .await
    .map(drop)
}

/// `a|b` physical ids of the untaggable kinds.
fn split_pair(physical: &str) -> (&str, &str) {
    physical.split_once('|').unwrap_or((physical, ""))
}

fn bool_value(v: bool) -> AttributeBooleanValue {
    AttributeBooleanValue::builder().value(v).build()
}

// ---------------------------------------------------------------------------------------------
// VPC.

async fn create_vpc(ctx: &Ctx<'_>, id: &LogicalId, props: &VpcProps, tags: &Tags) -> Result<Observed, AwsError> {
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
async fn set_vpc_dns(ctx: &Ctx<'_>, id: &str, vpc_id: &str, props: &VpcProps) -> Result<(), AwsError> {
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

async fn vpc_attribute(ctx: &Ctx<'_>, id: &str, vpc_id: &str, attribute: VpcAttributeName) -> Result<bool, AwsError> {
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

async fn observe_vpc(ctx: &Ctx<'_>, id: LogicalId, vpc: &aws_sdk_ec2::types::Vpc) -> Result<Observed, AwsError> {
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

async fn read_vpc(ctx: &Ctx<'_>, id: &LogicalId, vpc_id: &str) -> Result<Observed, AwsError> {
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

async fn discover_vpcs(ctx: &Ctx<'_>) -> Result<Vec<Observed>, AwsError> {
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

// ---------------------------------------------------------------------------------------------
// Subnet.

async fn create_subnet(ctx: &Ctx<'_>, id: &LogicalId, props: &SubnetProps, tags: &Tags) -> Result<Observed, AwsError> {
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

async fn set_map_public_ip(ctx: &Ctx<'_>, id: &str, subnet_id: &str, value: bool) -> Result<(), AwsError> {
    let ec2 = &ctx.clients.ec2;
    ctx.retry(id, "ec2:ModifySubnetAttribute", &["InvalidSubnetID.NotFound"], || {
        ec2.modify_subnet_attribute().subnet_id(subnet_id).map_public_ip_on_launch(bool_value(value)).send()
    })
    .await
    .map(drop)
}

fn observe_subnet(id: LogicalId, x: &aws_sdk_ec2::types::Subnet) -> Observed {
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

async fn read_subnet(ctx: &Ctx<'_>, id: &LogicalId, subnet_id: &str) -> Result<Observed, AwsError> {
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

async fn discover_subnets(ctx: &Ctx<'_>) -> Result<Vec<Observed>, AwsError> {
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

// ---------------------------------------------------------------------------------------------
// Internet gateway and its attachment.

async fn create_igw(ctx: &Ctx<'_>, id: &LogicalId, tags: &Tags) -> Result<Observed, AwsError> {
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

fn observe_igw(id: LogicalId, g: &aws_sdk_ec2::types::InternetGateway) -> Observed {
    let igw = g.internet_gateway_id().unwrap_or_default();
    with_hash(Observed::new(id, SdkKind::InternetGateway.cfn_type(), igw).attr("InternetGatewayId", igw), g.tags())
}

async fn read_igw(ctx: &Ctx<'_>, id: &LogicalId, igw: &str) -> Result<Observed, AwsError> {
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

async fn discover_igws(ctx: &Ctx<'_>) -> Result<Vec<Observed>, AwsError> {
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
async fn delete_igw(ctx: &Ctx<'_>, id: &str, igw: &str) -> Result<(), AwsError> {
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

async fn detach(ctx: &Ctx<'_>, id: &str, igw: &str, vpc: &str) -> Result<(), AwsError> {
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

async fn create_attachment(ctx: &Ctx<'_>, id: &LogicalId, props: &AttachmentProps) -> Result<Observed, AwsError> {
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
async fn find_attachment(ctx: &Ctx<'_>, id: &LogicalId, igw: &str, vpc: &str) -> Result<Option<Observed>, AwsError> {
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

// ---------------------------------------------------------------------------------------------
// Route tables, routes, associations.

async fn create_route_table(
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

fn observe_route_table(id: LogicalId, t: &aws_sdk_ec2::types::RouteTable) -> Observed {
    let table = t.route_table_id().unwrap_or_default();
    let o = Observed::new(id, SdkKind::RouteTable.cfn_type(), table)
        .attr("RouteTableId", table)
        .prop("VpcId", t.vpc_id().unwrap_or_default());
    with_hash(o, t.tags())
}

async fn read_route_table(ctx: &Ctx<'_>, id: &LogicalId, table: &str) -> Result<Observed, AwsError> {
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

async fn discover_route_tables(ctx: &Ctx<'_>) -> Result<Vec<Observed>, AwsError> {
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
async fn delete_route_table(ctx: &Ctx<'_>, id: &str, table: &str) -> Result<(), AwsError> {
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
async fn find_route(
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

async fn create_route(ctx: &Ctx<'_>, id: &LogicalId, props: &RouteProps) -> Result<Observed, AwsError> {
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

async fn update_route(ctx: &Ctx<'_>, id: &LogicalId, props: &RouteProps) -> Result<Observed, AwsError> {
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
async fn find_association(
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

async fn create_association(ctx: &Ctx<'_>, id: &LogicalId, props: &AssociationProps) -> Result<Observed, AwsError> {
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

// ---------------------------------------------------------------------------------------------
// Elastic IP and NAT gateway.

async fn create_eip(ctx: &Ctx<'_>, id: &LogicalId, props: &EipProps, tags: &Tags) -> Result<Observed, AwsError> {
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

fn observe_eip(id: LogicalId, a: &aws_sdk_ec2::types::Address) -> Observed {
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

async fn read_eip(ctx: &Ctx<'_>, id: &LogicalId, allocation: &str) -> Result<Observed, AwsError> {
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

async fn discover_eips(ctx: &Ctx<'_>) -> Result<Vec<Observed>, AwsError> {
    let ec2 = &ctx.clients.ec2;
    let filters = ours_filters(ctx);
    let out = ctx
        .retry("-", "ec2:DescribeAddresses", &[], || ec2.describe_addresses().set_filters(Some(filters.clone())).send())
        .await?;
    Ok(out.addresses().iter().filter_map(|a| ours(ctx, a.tags()).map(|(id, _)| observe_eip(id, a))).collect())
}

async fn create_nat(ctx: &Ctx<'_>, id: &LogicalId, props: &NatGatewayProps, tags: &Tags) -> Result<Observed, AwsError> {
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
async fn describe_nat(ctx: &Ctx<'_>, id: &str, nat: &str) -> Result<Option<aws_sdk_ec2::types::NatGateway>, AwsError> {
    let ec2 = &ctx.clients.ec2;
    let out = ctx
        .retry(id, "ec2:DescribeNatGateways", &[], || {
            ec2.describe_nat_gateways().filter(filter("nat-gateway-id", [nat])).send()
        })
        .await?;
    Ok(out.nat_gateways().iter().find(|g| g.nat_gateway_id() == Some(nat)).cloned())
}

fn observe_nat(id: LogicalId, g: &aws_sdk_ec2::types::NatGateway) -> Observed {
    let nat = g.nat_gateway_id().unwrap_or_default();
    let mut o = Observed::new(id, SdkKind::NatGateway.cfn_type(), nat)
        .attr("NatGatewayId", nat)
        .prop("SubnetId", g.subnet_id().unwrap_or_default());
    if let Some(allocation) = g.nat_gateway_addresses().iter().find_map(|a| a.allocation_id()) {
        o = o.prop("AllocationId", allocation);
    }
    with_hash(o, g.tags())
}

async fn read_nat(ctx: &Ctx<'_>, id: &LogicalId, nat: &str) -> Result<Observed, AwsError> {
    let g = describe_nat(ctx, id.as_str(), nat).await?;
    let g = g.ok_or_else(|| ctx.fail(id.as_str(), "ec2:DescribeNatGateways", format!("{nat} is not listed")))?;
    Ok(observe_nat(id.clone(), &g))
}

async fn discover_nats(ctx: &Ctx<'_>) -> Result<Vec<Observed>, AwsError> {
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
async fn delete_nat(ctx: &Ctx<'_>, id: &str, nat: &str) -> Result<(), AwsError> {
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

// ---------------------------------------------------------------------------------------------
// Security group rules.

/// The other end of a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PeerKind {
    Cidr,
    CidrV6,
    Group,
    PrefixList,
}

/// One rule, from the template or from AWS.
#[derive(Debug, Clone)]
struct SgRule {
    /// `sgr-…`, when read from AWS.
    rule_id: Option<String>,
    group_id: String,
    egress: bool,
    /// `tcp`, `udp`, `icmp`, `-1`...
    protocol: String,
    /// -1 for every protocol.
    from: i32,
    to: i32,
    peer: (PeerKind, String),
    description: String,
    /// Managed as its own resource (it carries an `iac:id` tag).
    standalone: bool,
}

/// The API's protocol names (numbers and `all` spelled the way AWS reads them back).
fn protocol_name(p: &str) -> String {
    match p.to_ascii_lowercase().as_str() {
        "-1" | "all" => "-1".to_owned(),
        "6" => "tcp".to_owned(),
        "17" => "udp".to_owned(),
        "1" => "icmp".to_owned(),
        "58" => "icmpv6".to_owned(),
        other => other.to_owned(),
    }
}

impl SgRule {
    /// A rule in CloudFormation's shape (`SecurityGroupIngress` items and standalone rules).
    fn from_cfn(group_id: &str, egress: bool, r: &RuleProps) -> Option<Self> {
        let peers = [
            (&r.cidr_ip, PeerKind::Cidr),
            (&r.cidr_ipv6, PeerKind::CidrV6),
            (&r.source_security_group_id, PeerKind::Group),
            (&r.destination_security_group_id, PeerKind::Group),
            (&r.source_prefix_list_id, PeerKind::PrefixList),
            (&r.destination_prefix_list_id, PeerKind::PrefixList),
        ];
        let peer = peers.into_iter().find_map(|(v, kind)| v.clone().map(|v| (kind, v)))?;
        let protocol = protocol_name(&r.ip_protocol);
        let all = protocol == "-1";
        Some(Self {
            rule_id: None,
            group_id: group_id.to_owned(),
            egress,
            from: if all { -1 } else { r.from_port.unwrap_or(-1) },
            to: if all { -1 } else { r.to_port.unwrap_or(-1) },
            protocol,
            peer,
            description: r.description.clone().unwrap_or_default(),
            standalone: false,
        })
    }

    fn from_sdk(r: &SecurityGroupRule) -> Option<Self> {
        let peer = if let Some(c) = r.cidr_ipv4() {
            (PeerKind::Cidr, c.to_owned())
        } else if let Some(c) = r.cidr_ipv6() {
            (PeerKind::CidrV6, c.to_owned())
        } else if let Some(g) = r.referenced_group_info().and_then(|g| g.group_id()) {
            (PeerKind::Group, g.to_owned())
        } else {
            (PeerKind::PrefixList, r.prefix_list_id()?.to_owned())
        };
        let protocol = protocol_name(r.ip_protocol().unwrap_or("-1"));
        let all = protocol == "-1";
        Some(Self {
            rule_id: r.security_group_rule_id().map(str::to_owned),
            group_id: r.group_id().unwrap_or_default().to_owned(),
            egress: r.is_egress().unwrap_or(false),
            from: if all { -1 } else { r.from_port().unwrap_or(-1) },
            to: if all { -1 } else { r.to_port().unwrap_or(-1) },
            protocol,
            peer,
            description: r.description().unwrap_or_default().to_owned(),
            standalone: r.tags().iter().any(|t| t.key() == Some(TAG_ID)),
        })
    }

    /// Same rule (direction, protocol, ports, peer), whatever the description.
    fn same_rule(&self, other: &Self) -> bool {
        self.egress == other.egress
            && self.protocol == other.protocol
            && self.from == other.from
            && self.to == other.to
            && self.peer == other.peer
    }

    fn identical(&self, other: &Self) -> bool {
        self.same_rule(other) && self.description == other.description
    }

    fn to_cfn(&self) -> Json {
        let mut o = Map::new();
        o.insert("IpProtocol".into(), json!(self.protocol));
        if self.protocol != "-1" {
            o.insert("FromPort".into(), json!(self.from));
            o.insert("ToPort".into(), json!(self.to));
        }
        let key = match (self.peer.0, self.egress) {
            (PeerKind::Cidr, _) => "CidrIp",
            (PeerKind::CidrV6, _) => "CidrIpv6",
            (PeerKind::Group, false) => "SourceSecurityGroupId",
            (PeerKind::Group, true) => "DestinationSecurityGroupId",
            (PeerKind::PrefixList, false) => "SourcePrefixListId",
            (PeerKind::PrefixList, true) => "DestinationPrefixListId",
        };
        o.insert(key.into(), json!(self.peer.1));
        o.insert("Description".into(), json!(self.description));
        Json::Object(o)
    }

    fn permission(&self) -> IpPermission {
        let mut p = IpPermission::builder().ip_protocol(&self.protocol);
        if self.protocol != "-1" {
            p = p.from_port(self.from).to_port(self.to);
        }
        let description = (!self.description.is_empty()).then(|| self.description.clone());
        let value = &self.peer.1;
        p = match self.peer.0 {
            PeerKind::Cidr => p.ip_ranges(IpRange::builder().cidr_ip(value).set_description(description).build()),
            PeerKind::CidrV6 => {
                p.ipv6_ranges(Ipv6Range::builder().cidr_ipv6(value).set_description(description).build())
            }
            PeerKind::Group => {
                p.user_id_group_pairs(UserIdGroupPair::builder().group_id(value).set_description(description).build())
            }
            PeerKind::PrefixList => {
                p.prefix_list_ids(PrefixListId::builder().prefix_list_id(value).set_description(description).build())
            }
        };
        p.build()
    }
}

/// The rules of `groups`, with descriptions filled from the groups themselves where
/// `DescribeSecurityGroupRules` leaves them out (moto, for rules that reference a group).
async fn group_rules(ctx: &Ctx<'_>, id: &str, groups: &[SecurityGroup]) -> Result<Vec<SgRule>, AwsError> {
    let ids: Vec<String> = groups.iter().filter_map(|g| g.group_id().map(str::to_owned)).collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let ec2 = &ctx.clients.ec2;
    let pages = paged(ctx, id, "ec2:DescribeSecurityGroupRules", |t| {
        ec2.describe_security_group_rules().filters(filter("group-id", ids.clone())).set_next_token(t).send()
    })
    .await?;
    let mut rules: Vec<SgRule> =
        pages.iter().flat_map(|p| p.security_group_rules()).filter_map(SgRule::from_sdk).collect();
    fill_descriptions(&mut rules, groups);
    Ok(rules)
}

fn fill_descriptions(rules: &mut [SgRule], groups: &[SecurityGroup]) {
    for r in rules.iter_mut().filter(|r| r.description.is_empty() && r.peer.0 == PeerKind::Group) {
        let Some(g) = groups.iter().find(|g| g.group_id() == Some(r.group_id.as_str())) else { continue };
        let permissions = if r.egress { g.ip_permissions_egress() } else { g.ip_permissions() };
        let found = permissions
            .iter()
            .filter(|p| protocol_name(p.ip_protocol().unwrap_or("-1")) == r.protocol)
            .filter(|p| r.protocol == "-1" || (p.from_port() == Some(r.from) && p.to_port() == Some(r.to)))
            .flat_map(|p| p.user_id_group_pairs())
            .find(|u| u.group_id() == Some(r.peer.1.as_str()))
            .and_then(|u| u.description());
        if let Some(d) = found {
            d.clone_into(&mut r.description);
        }
    }
}

/// The inline rules `props` asks for.
fn desired_rules(ctx: &Ctx<'_>, id: &str, group_id: &str, props: &SecurityGroupProps) -> Result<Vec<SgRule>, AwsError> {
    let mut out = Vec::new();
    for (key, egress, rules) in [
        ("SecurityGroupIngress", false, &props.security_group_ingress),
        ("SecurityGroupEgress", true, &props.security_group_egress),
    ] {
        for (n, r) in rules.iter().enumerate() {
            let rule = SgRule::from_cfn(group_id, egress, r).ok_or_else(|| AwsError::Property {
                stack: ctx.stack.name().to_owned(),
                id: id.to_owned(),
                property: format!("{key}[{n}]"),
                message: "a rule needs CidrIp, CidrIpv6, a security group id or a prefix list id".into(),
            })?;
            out.push(rule);
        }
    }
    Ok(out)
}

async fn authorize(ctx: &Ctx<'_>, id: &str, group_id: &str, rules: &[&SgRule]) -> Result<(), AwsError> {
    let ec2 = &ctx.clients.ec2;
    let ingress: Vec<IpPermission> = rules.iter().filter(|r| !r.egress).map(|r| r.permission()).collect();
    let egress: Vec<IpPermission> = rules.iter().filter(|r| r.egress).map(|r| r.permission()).collect();
    if !ingress.is_empty() {
        ctx.retry(id, "ec2:AuthorizeSecurityGroupIngress", &["InvalidGroup.NotFound"], || {
            ec2.authorize_security_group_ingress().group_id(group_id).set_ip_permissions(Some(ingress.clone())).send()
        })
        .await?;
    }
    if !egress.is_empty() {
        ctx.retry(id, "ec2:AuthorizeSecurityGroupEgress", &["InvalidGroup.NotFound"], || {
            ec2.authorize_security_group_egress().group_id(group_id).set_ip_permissions(Some(egress.clone())).send()
        })
        .await?;
    }
    Ok(())
}

async fn revoke(ctx: &Ctx<'_>, id: &str, group_id: &str, rules: &[&SgRule]) -> Result<(), AwsError> {
    let ec2 = &ctx.clients.ec2;
    let gone = &["InvalidPermission.NotFound", "InvalidSecurityGroupRuleId.NotFound"];
    let ids = |egress: bool| -> Vec<String> {
        rules.iter().filter(|r| r.egress == egress).filter_map(|r| r.rule_id.clone()).collect()
    };
    let (ingress, egress) = (ids(false), ids(true));
    if !ingress.is_empty() {
        tolerant(ctx, id, "ec2:RevokeSecurityGroupIngress", &[], gone, || {
            ec2.revoke_security_group_ingress()
                .group_id(group_id)
                .set_security_group_rule_ids(Some(ingress.clone()))
                .send()
        })
        .await?;
    }
    if !egress.is_empty() {
        tolerant(ctx, id, "ec2:RevokeSecurityGroupEgress", &[], gone, || {
            ec2.revoke_security_group_egress()
                .group_id(group_id)
                .set_security_group_rule_ids(Some(egress.clone()))
                .send()
        })
        .await?;
    }
    Ok(())
}

/// Makes the group's inline rules those of `props`: new rules first, then removed ones revoked,
/// then rules whose description changed revoked and authorized again. The default allow-all
/// egress rule of a new group goes the same way when the template does not ask for it (the
/// renderer's "Disallow all egress" rule for a group without egress).
async fn sync_rules(
    ctx: &Ctx<'_>,
    id: &str,
    group_id: &str,
    props: &SecurityGroupProps,
    have: &[SgRule],
) -> Result<(), AwsError> {
    let want = desired_rules(ctx, id, group_id, props)?;
    let have: Vec<&SgRule> = have.iter().filter(|r| r.group_id == group_id && !r.standalone).collect();
    let new: Vec<&SgRule> = want.iter().filter(|w| !have.iter().any(|h| h.same_rule(w))).collect();
    let unwanted: Vec<&SgRule> = have.iter().copied().filter(|h| !want.iter().any(|w| w.identical(h))).collect();
    let redescribed: Vec<&SgRule> =
        want.iter().filter(|w| have.iter().any(|h| h.same_rule(w)) && !have.iter().any(|h| h.identical(w))).collect();
    authorize(ctx, id, group_id, &new).await?;
    revoke(ctx, id, group_id, &unwanted).await?;
    authorize(ctx, id, group_id, &redescribed).await
}

// ---------------------------------------------------------------------------------------------
// Security group.

async fn create_sg(
    ctx: &Ctx<'_>,
    id: &LogicalId,
    props: &SecurityGroupProps,
    tags: &Tags,
) -> Result<Observed, AwsError> {
    let ec2 = &ctx.clients.ec2;
    let (name, description, vpc) = (&props.group_name, &props.group_description, props.vpc_id.clone());
    let spec = tag_spec(ResourceType::SecurityGroup, tags);
    let out = ctx
        .retry(id.as_str(), "ec2:CreateSecurityGroup", &["InvalidVpcID.NotFound"], || {
            ec2.create_security_group()
                .group_name(name)
                .description(description)
                .set_vpc_id(vpc.clone())
                .tag_specifications(spec.clone())
                .send()
        })
        .await?;
    let group_id = out.group_id().unwrap_or_default().to_owned();
    let (_, rules) = read_sg(ctx, id, &group_id).await?;
    sync_rules(ctx, id.as_str(), &group_id, props, &rules).await?;
    Ok(read_sg(ctx, id, &group_id).await?.0)
}

fn observe_sg(id: LogicalId, g: &SecurityGroup, rules: &[SgRule]) -> Observed {
    let group_id = g.group_id().unwrap_or_default();
    let mine = || rules.iter().filter(|r| r.group_id == group_id && !r.standalone);
    let ingress: Vec<Json> = mine().filter(|r| !r.egress).map(SgRule::to_cfn).collect();
    let egress: Vec<Json> = mine().filter(|r| r.egress).map(SgRule::to_cfn).collect();
    let mut o = Observed::new(id, SdkKind::SecurityGroup.cfn_type(), group_id)
        .attr("GroupId", group_id)
        .attr("VpcId", g.vpc_id().unwrap_or_default())
        .prop("GroupName", g.group_name().unwrap_or_default())
        .prop("GroupDescription", g.description().unwrap_or_default())
        .prop("VpcId", g.vpc_id().unwrap_or_default())
        .prop("SecurityGroupEgress", egress);
    // The template leaves the key out when a group has no inline ingress.
    if !ingress.is_empty() {
        o = o.prop("SecurityGroupIngress", ingress);
    }
    with_hash(o, g.tags())
}

async fn read_sg(ctx: &Ctx<'_>, id: &LogicalId, group_id: &str) -> Result<(Observed, Vec<SgRule>), AwsError> {
    let ec2 = &ctx.clients.ec2;
    let out = ctx
        .retry(id.as_str(), "ec2:DescribeSecurityGroups", &["InvalidGroup.NotFound"], || {
            ec2.describe_security_groups().group_ids(group_id).send()
        })
        .await?;
    let groups = out.security_groups();
    let g = groups
        .first()
        .ok_or_else(|| ctx.fail(id.as_str(), "ec2:DescribeSecurityGroups", format!("{group_id} is not listed")))?;
    let rules = group_rules(ctx, id.as_str(), groups).await?;
    Ok((observe_sg(id.clone(), g, &rules), rules))
}

/// This stack's groups (and the raw groups, for the standalone rules' descriptions).
async fn discover_sgs(ctx: &Ctx<'_>) -> Result<(Vec<SecurityGroup>, Vec<Observed>), AwsError> {
    let ec2 = &ctx.clients.ec2;
    let pages = ours_paged(ctx, "ec2:DescribeSecurityGroups", |filters, t| {
        ec2.describe_security_groups().set_filters(Some(filters)).set_next_token(t).send()
    })
    .await?;
    let groups: Vec<SecurityGroup> = pages.iter().flat_map(|p| p.security_groups()).cloned().collect();
    let rules = group_rules(ctx, "-", &groups).await?;
    let found = groups.iter().filter_map(|g| ours(ctx, g.tags()).map(|(id, _)| observe_sg(id, g, &rules))).collect();
    Ok((groups, found))
}

// ---------------------------------------------------------------------------------------------
// Standalone ingress rule.

fn observe_ingress(id: LogicalId, r: &SgRule, tags: &[Tag]) -> Observed {
    let rule_id = r.rule_id.clone().unwrap_or_default();
    let mut o = Observed::new(id, SdkKind::SecurityGroupIngress.cfn_type(), rule_id.as_str())
        .attr("Id", rule_id.as_str())
        .prop("GroupId", r.group_id.as_str());
    if let Json::Object(rule) = r.to_cfn() {
        o.props.extend(rule);
    }
    with_hash(o, tags)
}

/// The rule `rule_id`, its tags and its group (for the description), if it exists.
async fn describe_rule(ctx: &Ctx<'_>, id: &str, rule_id: &str) -> Result<Option<(SgRule, Vec<Tag>)>, AwsError> {
    let ec2 = &ctx.clients.ec2;
    let out =
        tolerant(ctx, id, "ec2:DescribeSecurityGroupRules", &[], &["InvalidSecurityGroupRuleId.NotFound"], || {
            ec2.describe_security_group_rules().security_group_rule_ids(rule_id).send()
        })
        .await?;
    let Some(raw) = out.as_ref().and_then(|o| o.security_group_rules().first()) else { return Ok(None) };
    let Some(mut rule) = SgRule::from_sdk(raw) else { return Ok(None) };
    if rule.description.is_empty() && rule.peer.0 == PeerKind::Group {
        let group = rule.group_id.clone();
        let groups = ctx
            .retry(id, "ec2:DescribeSecurityGroups", &[], || {
                ec2.describe_security_groups().filters(filter("group-id", [group.as_str()])).send()
            })
            .await?;
        fill_descriptions(std::slice::from_mut(&mut rule), groups.security_groups());
    }
    Ok(Some((rule, raw.tags().to_vec())))
}

async fn read_ingress(ctx: &Ctx<'_>, id: &LogicalId, rule_id: &str) -> Result<Observed, AwsError> {
    let (rule, tags) = describe_rule(ctx, id.as_str(), rule_id)
        .await?
        .ok_or_else(|| ctx.fail(id.as_str(), "ec2:DescribeSecurityGroupRules", format!("{rule_id} is not listed")))?;
    Ok(observe_ingress(id.clone(), &rule, &tags))
}

async fn create_ingress(
    ctx: &Ctx<'_>,
    id: &LogicalId,
    props: &IngressProps,
    tags: &Tags,
) -> Result<Observed, AwsError> {
    let ec2 = &ctx.clients.ec2;
    let group_id = props.group_id.clone();
    let rule = SgRule::from_cfn(&group_id, false, &props.rule()).ok_or_else(|| AwsError::Property {
        stack: ctx.stack.name().to_owned(),
        id: id.to_string(),
        property: "CidrIp".into(),
        message: "a rule needs CidrIp, CidrIpv6, SourceSecurityGroupId or SourcePrefixListId".into(),
    })?;
    let spec = tag_spec(ResourceType::SecurityGroupRule, tags);
    let permission = rule.permission();
    let out = tolerant(
        ctx,
        id.as_str(),
        "ec2:AuthorizeSecurityGroupIngress",
        &["InvalidGroup.NotFound"],
        &["InvalidPermission.Duplicate"],
        || {
            ec2.authorize_security_group_ingress()
                .group_id(&group_id)
                .ip_permissions(permission.clone())
                .tag_specifications(spec.clone())
                .send()
        },
    )
    .await?;
    let rule_id =
        match out.as_ref().and_then(|o| o.security_group_rules().first()).and_then(|r| r.security_group_rule_id()) {
            Some(r) => r.to_owned(),
            None => adopt_rule(ctx, id, &rule, tags).await?,
        };
    read_ingress(ctx, id, &rule_id).await
}

/// The rule exists already (AWS refused a duplicate): find it, tag it, use it.
async fn adopt_rule(ctx: &Ctx<'_>, id: &LogicalId, rule: &SgRule, tags: &Tags) -> Result<String, AwsError> {
    let ec2 = &ctx.clients.ec2;
    let groups = ctx
        .retry(id.as_str(), "ec2:DescribeSecurityGroups", &["InvalidGroup.NotFound"], || {
            ec2.describe_security_groups().group_ids(&rule.group_id).send()
        })
        .await?;
    let rules = group_rules(ctx, id.as_str(), groups.security_groups()).await?;
    let existing = rules.iter().find(|r| r.same_rule(rule)).and_then(|r| r.rule_id.clone()).ok_or_else(|| {
        ctx.fail(
            id.as_str(),
            "ec2:AuthorizeSecurityGroupIngress",
            format!("AWS calls the rule a duplicate, but {} has no such rule", rule.group_id),
        )
    })?;
    retag(ctx, id.as_str(), std::slice::from_ref(&existing), tags).await?;
    Ok(existing)
}

async fn update_ingress(
    ctx: &Ctx<'_>,
    id: &LogicalId,
    current: &Observed,
    props: &IngressProps,
    tags: &Tags,
) -> Result<Observed, AwsError> {
    let now = current.props.get("Description").and_then(Json::as_str).unwrap_or_default();
    if now == props.description.as_deref().unwrap_or_default() {
        retag(ctx, id.as_str(), std::slice::from_ref(&current.physical_id), tags).await?;
        return read_ingress(ctx, id, &current.physical_id).await;
    }
    // Only the description changes in place (everything else replaces): a new rule, since
    // moto cannot change the description of a rule that names a group.
    delete_ingress(ctx, id.as_str(), &current.physical_id).await?;
    create_ingress(ctx, id, props, tags).await
}

async fn delete_ingress(ctx: &Ctx<'_>, id: &str, rule_id: &str) -> Result<(), AwsError> {
    let ec2 = &ctx.clients.ec2;
    let Some((rule, _)) = describe_rule(ctx, id, rule_id).await? else { return Ok(()) };
    tolerant(
        ctx,
        id,
        "ec2:RevokeSecurityGroupIngress",
        &[],
        &["InvalidPermission.NotFound", "InvalidSecurityGroupRuleId.NotFound", "InvalidGroup.NotFound"],
        || ec2.revoke_security_group_ingress().group_id(&rule.group_id).security_group_rule_ids(rule_id).send(),
    )
    .await
    .map(drop)
}

async fn discover_ingress(ctx: &Ctx<'_>, groups: &[SecurityGroup]) -> Result<Vec<Observed>, AwsError> {
    let ec2 = &ctx.clients.ec2;
    let pages = ours_paged(ctx, "ec2:DescribeSecurityGroupRules", |filters, t| {
        ec2.describe_security_group_rules().set_filters(Some(filters)).set_next_token(t).send()
    })
    .await?;
    let raw: Vec<&SecurityGroupRule> = pages.iter().flat_map(|p| p.security_group_rules()).collect();
    // Descriptions come from the groups; fetch those that are not this stack's.
    let mut groups = groups.to_vec();
    let missing: Vec<String> = raw
        .iter()
        .filter_map(|r| r.group_id())
        .filter(|g| !groups.iter().any(|x| x.group_id() == Some(*g)))
        .map(str::to_owned)
        .collect();
    if !missing.is_empty() {
        let out = ctx
            .retry("-", "ec2:DescribeSecurityGroups", &[], || {
                ec2.describe_security_groups().filters(filter("group-id", missing.clone())).send()
            })
            .await?;
        groups.extend(out.security_groups().iter().cloned());
    }
    let mut out = Vec::new();
    for r in raw {
        let (Some((id, _)), Some(rule)) = (ours(ctx, r.tags()), SgRule::from_sdk(r)) else { continue };
        let mut rules = [rule];
        fill_descriptions(&mut rules, &groups);
        out.push(observe_ingress(id, &rules[0], r.tags()));
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Launch template.

fn sdk_tags_of(tags: &[CfnTag]) -> Vec<Tag> {
    tags.iter().map(|t| Tag::builder().key(&t.key).value(&t.value).build()).collect()
}

fn tags_json(tags: &[Tag]) -> Json {
    Json::Array(
        tags.iter()
            .map(|t| json!({ "Key": t.key().unwrap_or_default(), "Value": t.value().unwrap_or_default() }))
            .collect(),
    )
}

/// CloudFormation's `LaunchTemplateData` as the API's request.
pub(crate) fn lt_request(data: &LaunchTemplateData) -> RequestLaunchTemplateData {
    let mut d = RequestLaunchTemplateData::builder()
        .set_image_id(data.image_id.clone())
        .set_instance_type(data.instance_type.as_deref().map(InstanceType::from))
        .set_key_name(data.key_name.clone())
        .set_user_data(data.user_data.clone())
        .set_ebs_optimized(data.ebs_optimized)
        .set_disable_api_termination(data.disable_api_termination)
        .set_instance_initiated_shutdown_behavior(
            data.instance_initiated_shutdown_behavior.as_deref().map(ShutdownBehavior::from),
        )
        .set_security_group_ids(data.security_group_ids.clone())
        .set_security_groups(data.security_groups.clone());
    if let Some(m) = &data.monitoring {
        d = d.monitoring(LaunchTemplatesMonitoringRequest::builder().set_enabled(m.enabled).build());
    }
    if let Some(m) = &data.metadata_options {
        d = d.metadata_options(
            LaunchTemplateInstanceMetadataOptionsRequest::builder()
                .set_http_endpoint(m.http_endpoint.as_deref().map(LaunchTemplateInstanceMetadataEndpointState::from))
                .set_http_tokens(m.http_tokens.as_deref().map(LaunchTemplateHttpTokensState::from))
                .set_http_put_response_hop_limit(m.http_put_response_hop_limit)
                .set_instance_metadata_tags(
                    m.instance_metadata_tags.as_deref().map(LaunchTemplateInstanceMetadataTagsState::from),
                )
                .build(),
        );
    }
    if let Some(p) = &data.iam_instance_profile {
        d = d.iam_instance_profile(
            LaunchTemplateIamInstanceProfileSpecificationRequest::builder()
                .set_name(p.name.clone())
                .set_arn(p.arn.clone())
                .build(),
        );
    }
    for m in &data.block_device_mappings {
        let ebs = m.ebs.as_ref().map(|e| {
            LaunchTemplateEbsBlockDeviceRequest::builder()
                .set_volume_size(e.volume_size)
                .set_volume_type(e.volume_type.as_deref().map(VolumeType::from))
                .set_encrypted(e.encrypted)
                .set_delete_on_termination(e.delete_on_termination)
                .set_iops(e.iops)
                .set_throughput(e.throughput)
                .set_kms_key_id(e.kms_key_id.clone())
                .set_snapshot_id(e.snapshot_id.clone())
                .build()
        });
        d = d.block_device_mappings(
            LaunchTemplateBlockDeviceMappingRequest::builder()
                .set_device_name(m.device_name.clone())
                .set_no_device(m.no_device.clone())
                .set_virtual_name(m.virtual_name.clone())
                .set_ebs(ebs)
                .build(),
        );
    }
    for t in &data.tag_specifications {
        d = d.tag_specifications(
            LaunchTemplateTagSpecificationRequest::builder()
                .resource_type(ResourceType::from(t.resource_type.as_str()))
                .set_tags(Some(sdk_tags_of(&t.tags)))
                .build(),
        );
    }
    d.build()
}

/// The API's launch template data in CloudFormation's shape (only what is set).
pub(crate) fn lt_json(d: &ResponseLaunchTemplateData) -> Json {
    let mut o = Map::new();
    let mut put = |k: &str, v: Option<Json>| {
        if let Some(v) = v {
            o.insert(k.to_owned(), v);
        }
    };
    put("ImageId", d.image_id().map(|v| json!(v)));
    put("InstanceType", d.instance_type().map(|v| json!(v.as_str())));
    put("KeyName", d.key_name().map(|v| json!(v)));
    put("UserData", d.user_data().map(|v| json!(v)));
    put("EbsOptimized", d.ebs_optimized().map(|v| json!(v)));
    put("DisableApiTermination", d.disable_api_termination().map(|v| json!(v)));
    put("InstanceInitiatedShutdownBehavior", d.instance_initiated_shutdown_behavior().map(|v| json!(v.as_str())));
    put("SecurityGroupIds", (!d.security_group_ids().is_empty()).then(|| json!(d.security_group_ids())));
    put("SecurityGroups", (!d.security_groups().is_empty()).then(|| json!(d.security_groups())));
    put("Monitoring", d.monitoring().map(|m| json!({ "Enabled": m.enabled().unwrap_or(false) })));
    put(
        "MetadataOptions",
        d.metadata_options().map(|m| {
            let mut x = Map::new();
            if let Some(v) = m.http_endpoint() {
                x.insert("HttpEndpoint".into(), json!(v.as_str()));
            }
            if let Some(v) = m.http_tokens() {
                x.insert("HttpTokens".into(), json!(v.as_str()));
            }
            if let Some(v) = m.http_put_response_hop_limit() {
                x.insert("HttpPutResponseHopLimit".into(), json!(v));
            }
            if let Some(v) = m.instance_metadata_tags() {
                x.insert("InstanceMetadataTags".into(), json!(v.as_str()));
            }
            Json::Object(x)
        }),
    );
    put(
        "IamInstanceProfile",
        d.iam_instance_profile().map(|p| {
            let mut x = Map::new();
            if let Some(v) = p.name() {
                x.insert("Name".into(), json!(v));
            }
            if let Some(v) = p.arn() {
                x.insert("Arn".into(), json!(v));
            }
            Json::Object(x)
        }),
    );
    let mappings: Vec<Json> = d
        .block_device_mappings()
        .iter()
        .map(|m| {
            let mut x = Map::new();
            if let Some(v) = m.device_name() {
                x.insert("DeviceName".into(), json!(v));
            }
            if let Some(v) = m.no_device() {
                x.insert("NoDevice".into(), json!(v));
            }
            if let Some(v) = m.virtual_name() {
                x.insert("VirtualName".into(), json!(v));
            }
            if let Some(e) = m.ebs() {
                let mut y = Map::new();
                let fields = [
                    ("VolumeSize", e.volume_size().map(|v| json!(v))),
                    ("VolumeType", e.volume_type().map(|v| json!(v.as_str()))),
                    ("Encrypted", e.encrypted().map(|v| json!(v))),
                    ("DeleteOnTermination", e.delete_on_termination().map(|v| json!(v))),
                    ("Iops", e.iops().map(|v| json!(v))),
                    ("Throughput", e.throughput().map(|v| json!(v))),
                    ("KmsKeyId", e.kms_key_id().map(|v| json!(v))),
                    ("SnapshotId", e.snapshot_id().map(|v| json!(v))),
                ];
                for (k, v) in fields {
                    if let Some(v) = v {
                        y.insert(k.into(), v);
                    }
                }
                x.insert("Ebs".into(), Json::Object(y));
            }
            Json::Object(x)
        })
        .collect();
    put("BlockDeviceMappings", (!mappings.is_empty()).then_some(Json::Array(mappings)));
    let specs: Vec<Json> = d
        .tag_specifications()
        .iter()
        // Moto copies the template's own tags (`launch-template`, never valid inside the data)
        // into its data.
        .filter(|t| t.resource_type().is_none_or(|r| *r != ResourceType::LaunchTemplate))
        .map(|t| json!({ "ResourceType": t.resource_type().map_or("", |r| r.as_str()), "Tags": tags_json(t.tags()) }))
        .collect();
    put("TagSpecifications", (!specs.is_empty()).then_some(Json::Array(specs)));
    Json::Object(o)
}

async fn create_lt(
    ctx: &Ctx<'_>,
    id: &LogicalId,
    props: &LaunchTemplateProps,
    tags: &Tags,
) -> Result<Observed, AwsError> {
    let ec2 = &ctx.clients.ec2;
    let name = &props.launch_template_name;
    let data = lt_request(&props.launch_template_data);
    let spec = tag_spec(ResourceType::LaunchTemplate, tags);
    let out = ctx
        .retry(id.as_str(), "ec2:CreateLaunchTemplate", &[], || {
            ec2.create_launch_template()
                .launch_template_name(name)
                .launch_template_data(data.clone())
                .tag_specifications(spec.clone())
                .send()
        })
        .await?;
    let lt_id = out.launch_template().and_then(|t| t.launch_template_id()).unwrap_or_default().to_owned();
    read_lt(ctx, id, &lt_id).await
}

/// The tags of `resources`, from `DescribeTags` (moto's `DescribeLaunchTemplates` keeps showing
/// a template's tags as they were at creation).
async fn tags_by_resource(
    ctx: &Ctx<'_>,
    id: &str,
    resources: &[String],
) -> Result<HashMap<String, Vec<Tag>>, AwsError> {
    let mut out: HashMap<String, Vec<Tag>> = HashMap::new();
    if resources.is_empty() {
        return Ok(out);
    }
    let ec2 = &ctx.clients.ec2;
    let pages = paged(ctx, id, "ec2:DescribeTags", |t| {
        ec2.describe_tags().filters(filter("resource-id", resources.to_vec())).set_next_token(t).send()
    })
    .await?;
    for t in pages.iter().flat_map(|p| p.tags()) {
        if let Some(resource) = t.resource_id() {
            let tag =
                Tag::builder().set_key(t.key().map(str::to_owned)).set_value(t.value().map(str::to_owned)).build();
            out.entry(resource.to_owned()).or_default().push(tag);
        }
    }
    Ok(out)
}

async fn observe_lt(
    ctx: &Ctx<'_>,
    id: LogicalId,
    t: &aws_sdk_ec2::types::LaunchTemplate,
    tags: &[Tag],
) -> Result<Observed, AwsError> {
    let ec2 = &ctx.clients.ec2;
    let lt_id = t.launch_template_id().unwrap_or_default();
    let versions = ctx
        .retry(id.as_str(), "ec2:DescribeLaunchTemplateVersions", &["InvalidLaunchTemplateId.NotFound"], || {
            ec2.describe_launch_template_versions().launch_template_id(lt_id).versions("$Default").send()
        })
        .await?;
    let data = versions
        .launch_template_versions()
        .first()
        .and_then(|v| v.launch_template_data())
        .map_or_else(|| json!({}), lt_json);
    let o = Observed::new(id, SdkKind::LaunchTemplate.cfn_type(), lt_id)
        .attr("LaunchTemplateId", lt_id)
        .attr("LatestVersionNumber", t.latest_version_number().unwrap_or(1).to_string())
        .attr("DefaultVersionNumber", t.default_version_number().unwrap_or(1).to_string())
        .prop("LaunchTemplateName", t.launch_template_name().unwrap_or_default())
        .prop("LaunchTemplateData", data);
    Ok(with_hash(o, tags))
}

async fn read_lt(ctx: &Ctx<'_>, id: &LogicalId, lt_id: &str) -> Result<Observed, AwsError> {
    let ec2 = &ctx.clients.ec2;
    let t = describe_one(
        ctx,
        id.as_str(),
        "ec2:DescribeLaunchTemplates",
        &["InvalidLaunchTemplateId.NotFound", "InvalidLaunchTemplateName.NotFoundException"],
        lt_id,
        || ec2.describe_launch_templates().launch_template_ids(lt_id).send(),
        |o| o.launch_templates().first(),
    )
    .await?;
    let tags = tags_by_resource(ctx, id.as_str(), &[lt_id.to_owned()]).await?;
    observe_lt(ctx, id.clone(), &t, tags.get(lt_id).map_or(&[], Vec::as_slice)).await
}

async fn discover_lts(ctx: &Ctx<'_>) -> Result<Vec<Observed>, AwsError> {
    let ec2 = &ctx.clients.ec2;
    let pages = ours_paged(ctx, "ec2:DescribeLaunchTemplates", |filters, t| {
        ec2.describe_launch_templates().set_filters(Some(filters)).set_next_token(t).send()
    })
    .await?;
    let templates: Vec<&aws_sdk_ec2::types::LaunchTemplate> = pages.iter().flat_map(|p| p.launch_templates()).collect();
    let ids: Vec<String> = templates.iter().filter_map(|t| t.launch_template_id().map(str::to_owned)).collect();
    let tags = tags_by_resource(ctx, "-", &ids).await?;
    let mut out = Vec::new();
    for t in templates {
        let tags = t.launch_template_id().and_then(|lt| tags.get(lt)).map_or(&[][..], Vec::as_slice);
        if let Some((id, _)) = ours(ctx, tags) {
            out.push(observe_lt(ctx, id, t, tags).await?);
        }
    }
    Ok(out)
}

/// A new version with the full data (never `SourceVersion`: moto ignores it), made the default,
/// when the data changed; the tags are rewritten either way.
async fn update_lt(
    ctx: &Ctx<'_>,
    id: &LogicalId,
    current: &Observed,
    props: &LaunchTemplateProps,
    tags: &Tags,
) -> Result<Observed, AwsError> {
    let ec2 = &ctx.clients.ec2;
    let lt_id = current.physical_id.as_str();
    let data = serde_json::to_value(&props.launch_template_data).unwrap_or_default();
    let want = json!({ "LaunchTemplateName": props.launch_template_name, "LaunchTemplateData": data });
    if desired::changed(&want, &current.props).iter().any(|k| k == "LaunchTemplateData")
        || !current.props.contains_key("LaunchTemplateData")
    {
        let data = lt_request(&props.launch_template_data);
        let out = ctx
            .retry(id.as_str(), "ec2:CreateLaunchTemplateVersion", &["InvalidLaunchTemplateId.NotFound"], || {
                ec2.create_launch_template_version().launch_template_id(lt_id).launch_template_data(data.clone()).send()
            })
            .await?;
        let version = out.launch_template_version().and_then(|v| v.version_number()).unwrap_or(1).to_string();
        ctx.retry(id.as_str(), "ec2:ModifyLaunchTemplate", &["InvalidLaunchTemplateId.NotFound"], || {
            ec2.modify_launch_template().launch_template_id(lt_id).default_version(&version).send()
        })
        .await?;
    }
    retag(ctx, id.as_str(), &[lt_id.to_owned()], tags).await?;
    read_lt(ctx, id, lt_id).await
}

// ---------------------------------------------------------------------------------------------
// Instance.

fn profile_spec(profile: &str) -> IamInstanceProfileSpecification {
    if profile.starts_with("arn:") {
        IamInstanceProfileSpecification::builder().arn(profile).build()
    } else {
        IamInstanceProfileSpecification::builder().name(profile).build()
    }
}

/// IMDSv2 always (CloudFormation's instance takes no metadata options; the SDK path can).
fn metadata_options(props: &InstanceProps) -> InstanceMetadataOptionsRequest {
    let m = props.metadata_options.clone().unwrap_or_default();
    InstanceMetadataOptionsRequest::builder()
        .http_endpoint(InstanceMetadataEndpointState::from(m.http_endpoint.as_deref().unwrap_or("enabled")))
        .http_tokens(HttpTokensState::from(m.http_tokens.as_deref().unwrap_or("required")))
        .http_put_response_hop_limit(m.http_put_response_hop_limit.unwrap_or(2))
        .build()
}

fn block_devices(props: &InstanceProps) -> Option<Vec<BlockDeviceMapping>> {
    let mappings = props.block_device_mappings.as_ref()?;
    Some(
        mappings
            .iter()
            .map(|m| {
                let ebs = m.ebs.as_ref().map(|e| {
                    EbsBlockDevice::builder()
                        .set_volume_size(e.volume_size)
                        .set_volume_type(e.volume_type.as_deref().map(VolumeType::from))
                        .set_encrypted(e.encrypted)
                        .set_delete_on_termination(e.delete_on_termination)
                        .set_iops(e.iops)
                        .set_throughput(e.throughput)
                        .set_kms_key_id(e.kms_key_id.clone())
                        .set_snapshot_id(e.snapshot_id.clone())
                        .build()
                });
                BlockDeviceMapping::builder()
                    .set_device_name(m.device_name.clone())
                    .set_no_device(m.no_device.clone())
                    .set_virtual_name(m.virtual_name.clone())
                    .set_ebs(ebs)
                    .build()
            })
            .collect(),
    )
}

async fn create_instance(
    ctx: &Ctx<'_>,
    id: &LogicalId,
    props: &InstanceProps,
    tags: &Tags,
) -> Result<Observed, AwsError> {
    let ec2 = &ctx.clients.ec2;
    let profile = props.iam_instance_profile.clone().filter(|p| !p.is_empty());
    // An instance profile IAM has not propagated yet is "invalid" for a while.
    let mut retry = vec!["InvalidGroup.NotFound", "InvalidSubnetID.NotFound", "InvalidSubnetId.NotFound"];
    if profile.is_some() {
        retry.push("InvalidParameterValue");
    }
    let request = ec2
        .run_instances()
        .min_count(1)
        .max_count(1)
        .set_image_id(props.image_id.clone())
        .set_instance_type(props.instance_type.as_deref().map(InstanceType::from))
        .set_subnet_id(props.subnet_id.clone())
        .set_security_group_ids(props.security_group_ids.clone())
        .set_ebs_optimized(props.ebs_optimized)
        .set_monitoring(props.monitoring.map(|m| RunInstancesMonitoringEnabled::builder().enabled(m).build()))
        .set_iam_instance_profile(profile.as_deref().map(profile_spec))
        .set_block_device_mappings(block_devices(props))
        .set_key_name(props.key_name.clone())
        .set_user_data(props.user_data.clone())
        .set_private_ip_address(props.private_ip_address.clone())
        .set_placement(props.availability_zone.clone().map(|z| Placement::builder().availability_zone(z).build()))
        .set_disable_api_termination(props.disable_api_termination)
        .set_instance_initiated_shutdown_behavior(
            props.instance_initiated_shutdown_behavior.as_deref().map(ShutdownBehavior::from),
        )
        .metadata_options(metadata_options(props))
        .tag_specifications(tag_spec(ResourceType::Instance, tags))
        .tag_specifications(tag_spec(ResourceType::Volume, tags));
    let out = ctx.retry(id.as_str(), "ec2:RunInstances", &retry, || request.clone().send()).await?;
    let instance_id = out.instances().first().and_then(|x| x.instance_id()).unwrap_or_default().to_owned();
    wait_instance(ctx, id.as_str(), &instance_id, &InstanceStateName::Running).await?;
    read_instance(ctx, id, &instance_id).await
}

async fn describe_instance(ctx: &Ctx<'_>, id: &str, instance_id: &str) -> Result<Option<Instance>, AwsError> {
    let ec2 = &ctx.clients.ec2;
    let out = tolerant(ctx, id, "ec2:DescribeInstances", &[], &["InvalidInstanceID.NotFound"], || {
        ec2.describe_instances().instance_ids(instance_id).send()
    })
    .await?;
    Ok(out.and_then(|o| {
        o.reservations().iter().flat_map(|r| r.instances()).find(|x| x.instance_id() == Some(instance_id)).cloned()
    }))
}

/// Polls until the instance is in `state` (a missing instance counts as terminated).
async fn wait_instance(ctx: &Ctx<'_>, id: &str, instance_id: &str, state: &InstanceStateName) -> Result<(), AwsError> {
    ctx.wait_for(id, state.as_str(), move || async move {
        let x = describe_instance(ctx, id, instance_id).await?;
        let now = x.as_ref().and_then(|x| x.state()).and_then(|s| s.name()).cloned();
        match now {
            None if *state == InstanceStateName::Terminated => Ok(Some(())),
            Some(s) if s == *state => Ok(Some(())),
            Some(InstanceStateName::Terminated | InstanceStateName::ShuttingDown)
                if *state != InstanceStateName::Terminated =>
            {
                let why =
                    x.as_ref().and_then(|x| x.state_reason()).and_then(|r| r.message()).unwrap_or("no reason given");
                Err(ctx.fail(
                    id,
                    "ec2:RunInstances",
                    format!("{instance_id} is terminating instead of {}: {why}", state.as_str()),
                ))
            }
            _ => Ok(None),
        }
    })
    .await
}

/// The profile's name out of its ARN (`arn:aws:iam::1:instance-profile/path/name`).
fn profile_name(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

async fn observe_instance(ctx: &Ctx<'_>, id: LogicalId, x: &Instance) -> Result<Observed, AwsError> {
    let ec2 = &ctx.clients.ec2;
    let instance_id = x.instance_id().unwrap_or_default();
    let user_data = ctx
        .retry(id.as_str(), "ec2:DescribeInstanceAttribute", &["InvalidInstanceID.NotFound"], || {
            ec2.describe_instance_attribute().instance_id(instance_id).attribute(InstanceAttributeName::UserData).send()
        })
        .await?;
    let groups: Vec<&str> = x.security_groups().iter().filter_map(|g| g.group_id()).collect();
    let monitoring =
        x.monitoring().and_then(|m| m.state()).is_some_and(|s| matches!(s.as_str(), "enabled" | "pending"));
    let mut o = Observed::new(id, SdkKind::Instance.cfn_type(), instance_id)
        .attr("InstanceId", instance_id)
        .attr("PrivateIp", x.private_ip_address().unwrap_or_default())
        .attr("PrivateDnsName", x.private_dns_name().unwrap_or_default())
        .attr("AvailabilityZone", x.placement().and_then(|p| p.availability_zone()).unwrap_or_default())
        .prop("ImageId", x.image_id().unwrap_or_default())
        .prop("InstanceType", x.instance_type().map_or("", |t| t.as_str()))
        .prop("SubnetId", x.subnet_id().unwrap_or_default())
        .prop("SecurityGroupIds", groups)
        .prop("EbsOptimized", x.ebs_optimized().unwrap_or(false))
        .prop("Monitoring", monitoring);
    if let Some(ip) = x.public_ip_address() {
        o = o.attr("PublicIp", ip);
    }
    if let Some(dns) = x.public_dns_name().filter(|d| !d.is_empty()) {
        o = o.attr("PublicDnsName", dns);
    }
    if let Some(arn) = x.iam_instance_profile().and_then(|p| p.arn()) {
        o = o.prop("IamInstanceProfile", profile_name(arn));
    }
    if let Some(key) = x.key_name() {
        o = o.prop("KeyName", key);
    }
    if let Some(data) = user_data.user_data().and_then(AttributeValue::value).filter(|d| !d.is_empty()) {
        o = o.prop("UserData", data);
    }
    Ok(with_hash(o, x.tags()))
}

async fn read_instance(ctx: &Ctx<'_>, id: &LogicalId, instance_id: &str) -> Result<Observed, AwsError> {
    let x = describe_instance(ctx, id.as_str(), instance_id)
        .await?
        .ok_or_else(|| ctx.fail(id.as_str(), "ec2:DescribeInstances", format!("{instance_id} is not listed")))?;
    observe_instance(ctx, id.clone(), &x).await
}

async fn discover_instances(ctx: &Ctx<'_>) -> Result<Vec<Observed>, AwsError> {
    let ec2 = &ctx.clients.ec2;
    let mut filters = ours_filters(ctx);
    filters.push(filter("instance-state-name", ["pending", "running", "stopping", "stopped"]));
    let pages = paged(ctx, "-", "ec2:DescribeInstances", |t| {
        ec2.describe_instances().set_filters(Some(filters.clone())).set_next_token(t).send()
    })
    .await?;
    let mut out = Vec::new();
    for x in pages.iter().flat_map(|p| p.reservations()).flat_map(|r| r.instances()) {
        let live = x
            .state()
            .and_then(|s| s.name())
            .is_some_and(|s| !matches!(s, InstanceStateName::Terminated | InstanceStateName::ShuttingDown));
        if let (true, Some((id, _))) = (live, ours(ctx, x.tags())) {
            out.push(observe_instance(ctx, id, x).await?);
        }
    }
    Ok(out)
}

/// Security groups, monitoring and the instance profile change with no interruption; type,
/// user data and EBS optimisation need the instance stopped (as CloudFormation does).
async fn update_instance(
    ctx: &Ctx<'_>,
    id: &LogicalId,
    current: &Observed,
    props: &InstanceProps,
    tags: &Tags,
) -> Result<Observed, AwsError> {
    let ec2 = &ctx.clients.ec2;
    let ids = id.as_str();
    let iid = current.physical_id.as_str();
    let differences = desired::changed(&props.observable(), &current.props);
    let changed = |k: &str| differences.iter().any(|c| c == k);
    if changed("SecurityGroupIds") {
        let groups = props.security_group_ids.clone().unwrap_or_default();
        ctx.retry(ids, "ec2:ModifyInstanceAttribute", &["InvalidGroup.NotFound"], || {
            ec2.modify_instance_attribute().instance_id(iid).set_groups(Some(groups.clone())).send()
        })
        .await?;
    }
    if changed("Monitoring") {
        if props.monitoring == Some(true) {
            ctx.retry(ids, "ec2:MonitorInstances", &[], || ec2.monitor_instances().instance_ids(iid).send()).await?;
        } else {
            ctx.retry(ids, "ec2:UnmonitorInstances", &[], || ec2.unmonitor_instances().instance_ids(iid).send())
                .await?;
        }
    }
    if changed("IamInstanceProfile") {
        set_profile(ctx, ids, iid, props.iam_instance_profile.clone().filter(|p| !p.is_empty())).await?;
    }
    let restart: Vec<&str> = ["InstanceType", "UserData", "EbsOptimized"].into_iter().filter(|k| changed(k)).collect();
    if !restart.is_empty() {
        ctx.retry(ids, "ec2:StopInstances", &[], || ec2.stop_instances().instance_ids(iid).send()).await?;
        wait_instance(ctx, ids, iid, &InstanceStateName::Stopped).await?;
        for k in restart {
            let call = ec2.modify_instance_attribute().instance_id(iid);
            let call = match k {
                "InstanceType" => call.instance_type(
                    AttributeValue::builder().value(props.instance_type.clone().unwrap_or_default()).build(),
                ),
                "EbsOptimized" => call.ebs_optimized(bool_value(props.ebs_optimized.unwrap_or(false))),
                _ => {
                    // The SDK base64-encodes blobs itself: send the script, not its encoding.
                    let text = props.user_data.clone().unwrap_or_default();
                    let raw = base64::engine::general_purpose::STANDARD
                        .decode(text.as_bytes())
                        .unwrap_or_else(|_| text.into_bytes());
                    call.user_data(SecureBlobAttributeValue::builder().value(Blob::new(raw)).build())
                }
            };
            ctx.retry(ids, "ec2:ModifyInstanceAttribute", &[], || call.clone().send()).await?;
        }
        ctx.retry(ids, "ec2:StartInstances", &[], || ec2.start_instances().instance_ids(iid).send()).await?;
        wait_instance(ctx, ids, iid, &InstanceStateName::Running).await?;
    }
    let mut resources = vec![iid.to_owned()];
    if let Some(x) = describe_instance(ctx, ids, iid).await? {
        resources.extend(
            x.block_device_mappings().iter().filter_map(|m| m.ebs().and_then(|e| e.volume_id()).map(str::to_owned)),
        );
    }
    retag(ctx, ids, &resources, tags).await?;
    read_instance(ctx, id, iid).await
}

async fn set_profile(ctx: &Ctx<'_>, id: &str, instance_id: &str, profile: Option<String>) -> Result<(), AwsError> {
    let ec2 = &ctx.clients.ec2;
    let out = ctx
        .retry(id, "ec2:DescribeIamInstanceProfileAssociations", &[], || {
            ec2.describe_iam_instance_profile_associations().filters(filter("instance-id", [instance_id])).send()
        })
        .await?;
    let existing = out
        .iam_instance_profile_associations()
        .iter()
        .filter(|a| a.state().is_some_and(|s| matches!(s.as_str(), "associated" | "associating")))
        .find_map(|a| a.association_id().map(str::to_owned));
    let propagating = &["InvalidParameterValue"];
    match (profile, existing) {
        (Some(p), Some(a)) => {
            ctx.retry(id, "ec2:ReplaceIamInstanceProfileAssociation", propagating, || {
                ec2.replace_iam_instance_profile_association()
                    .association_id(&a)
                    .iam_instance_profile(profile_spec(&p))
                    .send()
            })
            .await?;
        }
        (Some(p), None) => {
            ctx.retry(id, "ec2:AssociateIamInstanceProfile", propagating, || {
                ec2.associate_iam_instance_profile()
                    .instance_id(instance_id)
                    .iam_instance_profile(profile_spec(&p))
                    .send()
            })
            .await?;
        }
        (None, Some(a)) => {
            ctx.retry(id, "ec2:DisassociateIamInstanceProfile", &[], || {
                ec2.disassociate_iam_instance_profile().association_id(&a).send()
            })
            .await?;
        }
        (None, None) => {}
    }
    Ok(())
}

async fn delete_instance(ctx: &Ctx<'_>, id: &str, instance_id: &str) -> Result<(), AwsError> {
    let ec2 = &ctx.clients.ec2;
    let done = tolerant(ctx, id, "ec2:TerminateInstances", &[], &["InvalidInstanceID.NotFound"], || {
        ec2.terminate_instances().instance_ids(instance_id).send()
    })
    .await?;
    if done.is_none() {
        return Ok(());
    }
    wait_instance(ctx, id, instance_id, &InstanceStateName::Terminated).await
}

// ---------------------------------------------------------------------------------------------
// The untaggable kinds, through their parents.

async fn discover_untaggable(ctx: &Ctx<'_>, found: &[Observed]) -> Result<Vec<Observed>, AwsError> {
    let entries: Vec<&ResourceEntry> = ctx
        .stack
        .resources()
        .filter(|e| {
            matches!(
                e.resource,
                Resource::VpcGatewayAttachment(_) | Resource::Route(_) | Resource::SubnetRouteTableAssociation(_)
            )
        })
        .collect();
    if entries.is_empty() {
        return Ok(Vec::new());
    }
    let template = iac_render::cloudformation::template(ctx.stack)?;
    let observed: HashMap<LogicalId, Observed> = found.iter().map(|o| (o.id.clone(), o.clone())).collect();
    let params = BTreeMap::new();
    let facts = Facts {
        stack: ctx.stack,
        params: &params,
        region: &ctx.clients.region,
        account: None,
        zones: &[],
        observed: &observed,
    };
    let mut out = Vec::new();
    for e in entries {
        let id = &e.id;
        // A parent that does not exist (yet) means the child does not either.
        let Ok(Json::Object(props)) =
            desired::resolve(&facts, id.as_str(), &template["Resources"][id.as_str()]["Properties"], true)
        else {
            continue;
        };
        let (stack, ids) = (ctx.stack.name(), id.as_str());
        let seen = match &e.resource {
            Resource::VpcGatewayAttachment(_) => {
                let p: AttachmentProps = adapter::parse(stack, ids, &props)?;
                find_attachment(ctx, id, &p.internet_gateway_id, &p.vpc_id).await?
            }
            Resource::Route(_) => {
                let p: RouteProps = adapter::parse(stack, ids, &props)?;
                find_route(ctx, id, &p.route_table_id, &p.destination_cidr_block).await?
            }
            _ => {
                let p: AssociationProps = adapter::parse(stack, ids, &props)?;
                find_association(ctx, id, &p.route_table_id, &p.subnet_id).await?
            }
        };
        out.extend(seen);
    }
    Ok(out)
}
