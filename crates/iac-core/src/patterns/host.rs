//! `Host`: one private EC2 instance with its own security group, role and user data.

use crate::app::HostConfig;
use crate::model::{
    Handle, Instance, InstanceProfile, MachineSpec, Peer, Role, RootVolume, Rule, SecurityGroup, Statement,
};
use crate::patterns::network::Network;
use crate::stack::StackBuilder;
use crate::value::Value;

/// What a host looks like.
#[derive(Debug, Clone)]
pub struct HostProps<'a> {
    /// Prefix of every logical id, e.g. `Daemons`.
    pub name: &'a str,
    /// Where it runs (the first private subnet).
    pub network: &'a Network,
    /// The AMI.
    pub image_id: Value<String>,
    /// Instance type.
    pub instance_type: String,
    /// What runs on it.
    pub host: HostConfig,
    /// Ranges admitted on SSH (the bastion's or the local subnet).
    pub admin_cidrs: Vec<String>,
    /// Root volume.
    pub root_volume: RootVolume,
    /// Extra permissions of the role.
    pub statements: Vec<Statement>,
    /// Ports open to the internet for egress.
    pub internet_egress_ports: Vec<u16>,
    /// Ports open inside the VPC for egress.
    pub vpc_egress_ports: Vec<u16>,
}

/// Handles of a host.
#[derive(Debug, Clone)]
pub struct Host {
    /// The instance.
    pub instance: Handle<Instance>,
    /// Its security group.
    pub security_group: Handle<SecurityGroup>,
    /// Its role.
    pub role: Handle<Role>,
}

impl Host {
    /// Adds the host's resources.
    pub fn create(stack: &mut StackBuilder, p: HostProps<'_>) -> Self {
        let n = p.name;
        let egress = super::egress_rules(&p.internet_egress_ports, &p.vpc_egress_ports, p.network);
        let sg = stack.add(
            &format!("{n}SecurityGroup"),
            SecurityGroup {
                description: format!("{} {} {n} host", stack.name(), stack.env()),
                vpc_id: p.network.vpc_id.clone(),
                ingress: p
                    .admin_cidrs
                    .iter()
                    .map(|c| Rule::tcp(22, Peer::Cidr(c.as_str().into()), "SSH from the local subnet (bastion hop)"))
                    .collect(),
                egress,
            },
        );
        let role = super::instance_role(
            stack,
            &format!("{n}Role"),
            format!("{} {} {n} host", stack.name(), stack.env()),
            p.statements,
        );
        let profile = stack.add(&format!("{n}InstanceProfile"), InstanceProfile { role: role.name() });
        let subnet = p.network.private_subnets.first().cloned().unwrap_or_else(|| Value::from(""));
        let instance = stack.add(
            &format!("{n}Instance"),
            Instance {
                subnet_id: subnet,
                machine: MachineSpec {
                    image_id: p.image_id,
                    instance_type: p.instance_type.into(),
                    security_group_ids: vec![sg.group_id()],
                    instance_profile: Some(profile.name()),
                    root_volume: Some(p.root_volume),
                    user_data: Some(p.host),
                    key_name: None,
                    detailed_monitoring: true,
                },
            },
        );
        Self { instance, security_group: sg, role }
    }
}
