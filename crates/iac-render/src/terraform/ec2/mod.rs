//! EC2 kinds (`aws_vpc`, `aws_subnet`, ..., `aws_launch_template`, `aws_instance`): the network,
//! security groups, launch templates and instances.
//!
//! Shared here: the instance metadata options of a launch template and an instance.

use crate::terraform::Args;

mod eip;
mod instance;
mod internet_gateway;
mod launch_template;
mod nat_gateway;
mod route;
mod route_table;
mod security_group;
mod security_group_ingress;
mod subnet;
mod subnet_route_table_association;
mod volume;
mod volume_attachment;
mod vpc;
mod vpc_gateway_attachment;

/// IMDSv2 only, with a hop limit that lets containers on the host reach it.
fn metadata_options() -> Args {
    let mut a = Args::default();
    a.set("http_endpoint", "enabled").set("http_tokens", "required").set("http_put_response_hop_limit", 2);
    a
}
