//! Elastic Load Balancing v2: application load balancers, target groups and listeners.
//!
//! One file per kind: its desired properties, its [`Adapter`](crate::adapter::Adapter) and its
//! calls; this file holds what they share and discovery.
//!
//! - `AWS::ElasticLoadBalancingV2::LoadBalancer`: created with its tags, waited on until `active`,
//!   then given its `LoadBalancerAttributes`. `Ref` is the ARN; `DNSName`,
//!   `CanonicalHostedZoneID`, `LoadBalancerFullName` and `LoadBalancerName` are attributes.
//!   Subnets, security groups and attributes change in place. Deleting one turns its deletion
//!   protection off first: the engine only deletes what the user asked it to (destroy, or a
//!   replacement the plan showed).
//! - `AWS::ElasticLoadBalancingV2::TargetGroup`: created with its tags and health check, then
//!   given its `TargetGroupAttributes`. The health check, matcher and attributes change in place
//!   (`ModifyTargetGroup`, `ModifyTargetGroupAttributes`).
//! - `AWS::ElasticLoadBalancingV2::Listener`: created with tags (`iac:*`, which CloudFormation
//!   cannot put on a listener, so the module adds them itself); port, protocol, certificates,
//!   TLS policy and default actions change in place (`ModifyListener`).
//!
//! Discovery: `DescribeLoadBalancers` and `DescribeTargetGroups`, then `DescribeTags` in batches
//! of 20 ARNs, keeping what carries this stack's `iac:stack`/`iac:env` tags. Listeners are found
//! through this stack's load balancers (`DescribeListeners`); a listener without tags (made by
//! another tool, or where tagging a listener is refused) is matched to the stack's own entries by
//! its load balancer's logical id and its port, and has no `iac:hash`.
//!
//! Only the properties this module manages are read back (the attributes the renderer sets, for
//! example), so what is read back equals the template when nothing changed.

use std::collections::{HashMap, HashSet};

use aws_sdk_elasticloadbalancingv2::types::{
    Action, ActionTypeEnum, Certificate, FixedResponseActionConfig, ForwardActionConfig, IpAddressType,
    Listener as AwsListener, LoadBalancer as AwsLoadBalancer, LoadBalancerAttribute, LoadBalancerSchemeEnum,
    LoadBalancerStateEnum, LoadBalancerTypeEnum, Matcher, ProtocolEnum, RedirectActionConfig,
    RedirectActionStatusCodeEnum, TargetGroup as AwsTargetGroup, TargetGroupAttribute, TargetGroupTuple,
    TargetTypeEnum,
};
use iac_core::LogicalId;
use iac_core::model::{Listener, LoadBalancer, ResourceEntry, TargetGroup};
use iac_core::value::Value;
use serde::Deserialize;
use serde_json::{Map, Value as Json, json};

use super::autoscaling::retry_if;
use super::{Ctx, absent_on, own_tags, paged_items, sdk_tags, tag_pairs};
use crate::adapter::{self, Adapter, CfnTag, Desired, SdkKind, de};
use crate::error::AwsError;
use crate::state::{Observed, TAG_STACK, Tags};

pub mod listener;
pub mod load_balancer;
pub mod target_group;

use self::listener::discover_listeners;
use self::load_balancer::{KeyValue, discover_load_balancers};
use self::target_group::{TargetGroupProps, discover_target_groups};

/// Load balancer attributes read back (the ones the renderer sets).
const LB_ATTRIBUTES: [&str; 3] =
    ["deletion_protection.enabled", "routing.http.drop_invalid_header_fields.enabled", "idle_timeout.timeout_seconds"];
/// Target group attributes read back (the ones the renderer sets).
const TG_ATTRIBUTES: [&str; 1] = ["deregistration_delay.timeout_seconds"];

/// A subnet or security group an ELB call cannot see yet right after EC2 created it.
const LB_CONSISTENCY: [&str; 3] = ["SubnetNotFound", "InvalidSubnet", "InvalidSecurityGroup"];

/// Finds this stack's load balancers and target groups by their tags, and the listeners of those
/// load balancers (by tags, or by port for untagged ones).
pub async fn discover(ctx: &Ctx<'_>) -> Result<Vec<Observed>, AwsError> {
    let (lbs, tgs) = tokio::join!(discover_load_balancers(ctx), discover_target_groups(ctx));
    let (lbs, tgs) = (lbs?, tgs?);
    let listeners = discover_listeners(ctx, &lbs).await?;
    Ok(lbs.into_iter().chain(tgs).chain(listeners).collect())
}

// ---------------------------------------------------------------------------------------------
// Shared

fn matcher(props: &TargetGroupProps) -> Option<Matcher> {
    let m = props.matcher.as_ref()?;
    Some(Matcher::builder().set_http_code(m.http_code.clone()).set_grpc_code(m.grpc_code.clone()).build())
}

async fn add_tags(ctx: &Ctx<'_>, id: &str, arn: &str, tags: &Tags) -> Result<(), AwsError> {
    if tags.is_empty() {
        return Ok(());
    }
    let req = ctx.clients.elbv2.add_tags().resource_arns(arn).set_tags(Some(sdk_tags(tags)));
    ctx.retry(id, "elasticloadbalancing:AddTags", &[], || req.clone().send()).await?;
    Ok(())
}

/// The resources among `all` that carry this stack's tags, with their logical id and hash (their
/// tags read by ARN; one deleted meanwhile, `not_found`, is left out).
async fn ours_by_arn<'a, T>(
    ctx: &Ctx<'_>,
    all: &'a [T],
    arn: impl Fn(&T) -> Option<&str>,
    not_found: &'static str,
) -> Result<Vec<(LogicalId, Option<String>, &'a T)>, AwsError> {
    let arns: Vec<String> = all.iter().filter_map(|x| arn(x).map(str::to_owned)).collect();
    let tags = tags_of(ctx, &arns, not_found).await?;
    Ok(all
        .iter()
        .filter_map(|x| {
            let t = arn(x).and_then(|a| tags.get(a))?;
            let (id, hash) = ctx.ours(t)?;
            Some((id, hash, x))
        })
        .collect())
}

/// Tags of `arns`, by ARN, read in batches of 20 (the API's limit). A resource deleted between
/// the listing and this call (`not_found`) is left out.
async fn tags_of(ctx: &Ctx<'_>, arns: &[String], not_found: &'static str) -> Result<HashMap<String, Tags>, AwsError> {
    let mut out = HashMap::new();
    for chunk in arns.chunks(20) {
        let req = ctx.clients.elbv2.describe_tags().set_resource_arns(Some(chunk.to_vec()));
        let page = ctx
            .retry("-", "elasticloadbalancing:DescribeTags", &[], || {
                let req = req.clone();
                async move { absent_on(req.send().await, &[not_found]) }
            })
            .await?;
        let mut pages: Vec<_> = page.into_iter().collect();
        if pages.is_empty() {
            // One of the batch is gone: ask one by one.
            for arn in chunk {
                let req = ctx.clients.elbv2.describe_tags().resource_arns(arn);
                let one = ctx
                    .retry("-", "elasticloadbalancing:DescribeTags", &[], || {
                        let req = req.clone();
                        async move { absent_on(req.send().await, &[not_found]) }
                    })
                    .await?;
                pages.extend(one);
            }
        }
        for p in pages {
            for d in p.tag_descriptions() {
                let Some(arn) = d.resource_arn() else { continue };
                out.insert(arn.to_owned(), tag_pairs(d.tags()));
            }
        }
    }
    Ok(out)
}

fn same_set(a: &[String], b: &[String]) -> bool {
    let a: HashSet<&String> = a.iter().collect();
    let b: HashSet<&String> = b.iter().collect();
    a == b
}
