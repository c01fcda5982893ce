//! EC2: VPCs, subnets, internet gateways and their attachments, route tables, routes and subnet
//! associations, Elastic IPs, NAT gateways, security groups (with inline rules), standalone
//! ingress rules, launch templates, instances, and EBS data volumes with their attachments
//! ([`volume`], with its own docs on data safety).
//!
//! One file per kind (kinds that only exist through another share its file: an attachment with
//! its gateway, routes and associations with their table, an Elastic IP with the NAT gateway):
//! the kind's desired properties, its [`Adapter`](crate::adapter::Adapter) and its calls. This
//! file holds what they share (paging, tag filters, retries of deletes) and discovery.
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
use iac_core::model::{self, ResourceEntry};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json, json};

use super::{Ctx, absent_on, code_in, own_tags, sdk_tags, tag_pairs};
use crate::adapter::{self, Adapter, CfnTag, Desired, SdkKind, de};
use crate::desired::{self, Facts};
use crate::error::AwsError;
use crate::state::{self, Observed, TAG_HASH, TAG_ID, Tags};

/// What AWS answers while something still depends on the resource being deleted.
const BUSY: &[&str] = &["DependencyViolation", "InvalidIPAddress.InUse", "InvalidGroup.InUse"];

macro_rules! tagged {
    ($($props:ty),*) => {
        $(impl Desired for $props {
            fn template_tags(&self) -> Vec<(&str, &str)> {
                adapter::pairs(&self.tags)
            }
        })*
    };
}

pub mod instance;
pub mod internet_gateway;
pub mod launch_template;
pub mod nat_gateway;
pub mod route_table;
pub mod security_group;
pub mod subnet;
pub mod volume;
pub mod vpc;

use self::instance::discover_instances;
use self::internet_gateway::{AttachmentProps, discover_igws, find_attachment};
use self::launch_template::{BlockDeviceProps, MetadataOptionsProps, discover_lts};
use self::nat_gateway::{discover_eips, discover_nats};
use self::route_table::{AssociationProps, RouteProps, discover_route_tables, find_association, find_route};
use self::security_group::{discover_ingress, discover_sgs};
use self::subnet::discover_subnets;
use self::vpc::discover_vpcs;

pub use self::launch_template::LaunchTemplateData;
pub(crate) use self::launch_template::{lt_json, lt_request};

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
    // EBS data volumes, then their attachments through them and the instances found above.
    let volumes = Box::pin(volume::discover_volumes(ctx)).await?;
    out.extend(volumes);
    let attachments = Box::pin(volume::discover_attachments(ctx, &out)).await?;
    out.extend(attachments);
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
    aws_sdk_ec2::operation::describe_volumes::DescribeVolumesOutput,
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
// The untaggable kinds, through their parents.

/// The EC2 kinds that take no tags: found through their parents.
const UNTAGGABLE: [SdkKind; 3] = [SdkKind::VpcGatewayAttachment, SdkKind::Route, SdkKind::SubnetRouteTableAssociation];

async fn discover_untaggable(ctx: &Ctx<'_>, found: &[Observed]) -> Result<Vec<Observed>, AwsError> {
    let entries: Vec<(&ResourceEntry, SdkKind)> = ctx
        .stack
        .resources()
        .filter_map(|e| SdkKind::of(&e.resource).ok().map(|k| (e, k)))
        .filter(|(_, k)| UNTAGGABLE.contains(k))
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
    for (e, kind) in entries {
        let id = &e.id;
        // A parent that does not exist (yet) means the child does not either.
        let Ok(Json::Object(props)) =
            desired::resolve(&facts, id.as_str(), &template["Resources"][id.as_str()]["Properties"], true)
        else {
            continue;
        };
        let (stack, ids) = (ctx.stack.name(), id.as_str());
        let seen = if kind == SdkKind::VpcGatewayAttachment {
            let p: AttachmentProps = adapter::parse(stack, ids, &props)?;
            find_attachment(ctx, id, &p.internet_gateway_id, &p.vpc_id).await?
        } else if kind == SdkKind::Route {
            let p: RouteProps = adapter::parse(stack, ids, &props)?;
            find_route(ctx, id, &p.route_table_id, &p.destination_cidr_block).await?
        } else {
            let p: AssociationProps = adapter::parse(stack, ids, &props)?;
            find_association(ctx, id, &p.route_table_id, &p.subnet_id).await?
        };
        out.extend(seen);
    }
    Ok(out)
}
