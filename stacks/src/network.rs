//! The network part of the stacks' config, shared by every stack: a new VPC (range, zones, NAT
//! per zone) or the ids of one that exists, turned into an [`iac_core::patterns::Network`].

use iac_core::net::Ipv4Cidr;
use iac_core::patterns::{Network, NetworkProps};
use iac_core::stack::StackBuilder;
use iac_core::value::Value;
use serde::Deserialize;

use crate::config::ConfigSource;
use crate::error::StackError;

/// Ids of an existing VPC.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExistingNetwork {
    /// `vpc-...`.
    pub vpc_id: String,
    /// Its range.
    pub cidr: Ipv4Cidr,
    /// Public subnets (load balancer).
    pub public_subnet_ids: Vec<String>,
    /// Private subnets (instances, tasks, file systems, databases).
    pub private_subnet_ids: Vec<String>,
}

/// How a new VPC is laid out.
#[derive(Debug, Clone, Copy)]
pub struct NewVpc {
    /// Zones.
    pub zones: u8,
    /// One NAT gateway per zone (else one for all).
    pub nat_per_zone: bool,
}

/// The stack's network: a new VPC of `cidr`, or `existing`; exactly one of them (the error
/// names the config file and says what to write).
pub fn network(
    stack: &mut StackBuilder,
    source: &ConfigSource,
    cidr: Option<Ipv4Cidr>,
    existing: Option<&ExistingNetwork>,
    layout: NewVpc,
) -> Result<Network, StackError> {
    match (existing, cidr) {
        (Some(e), None) => Ok(Network::existing(
            e.vpc_id.as_str(),
            e.cidr.to_string(),
            e.public_subnet_ids.iter().map(Value::from).collect(),
            e.private_subnet_ids.iter().map(Value::from).collect(),
        )),
        (None, Some(cidr)) => Ok(Network::create(
            stack,
            &NetworkProps { cidr, zones: layout.zones, subnet_prefix: 20, nat_per_zone: layout.nat_per_zone },
        )),
        _ => Err(source.value_error(
            "network",
            "give exactly one of `cidr` (a new VPC) or `existing` (ids of a VPC you already have)",
        )),
    }
}
