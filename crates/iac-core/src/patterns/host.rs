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

impl<'a> HostProps<'a> {
    /// A `t3.micro` booting `image_id` with a 20 GiB encrypted gp3 root volume (`/dev/xvda`, the
    /// Amazon Linux device; Ubuntu images use `/dev/sda1`), HTTPS egress to the internet only,
    /// no SSH, and an empty [`HostConfig`] named after the host. Change what differs with struct
    /// update syntax.
    pub fn new(name: &'a str, network: &'a Network, image_id: impl Into<Value<String>>) -> Self {
        Self {
            name,
            network,
            image_id: image_id.into(),
            instance_type: "t3.micro".into(),
            host: HostConfig { name: name.to_ascii_lowercase(), ..HostConfig::default() },
            admin_cidrs: Vec::new(),
            root_volume: RootVolume::gp3("/dev/xvda", 20),
            statements: Vec::new(),
            internet_egress_ports: vec![443],
            vpc_egress_ports: Vec::new(),
        }
    }
}

/// Handles of a host.
#[derive(Debug, Clone)]
pub struct Host {
    /// The name given in its props (the prefix of its logical ids).
    pub name: String,
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
        Self { name: n.to_owned(), instance, security_group: sg, role }
    }
}

impl super::Tier for Host {
    fn tier_name(&self) -> &str {
        &self.name
    }
    fn tier_group(&self) -> &Handle<SecurityGroup> {
        &self.security_group
    }
}

impl Host {
    /// Admits `tier` to the host on `port` (a rule resource `<Host>From<tier>`).
    pub fn allow_from(&self, stack: &mut StackBuilder, tier: &impl super::Tier, port: u16) {
        super::admit(
            stack,
            &self.name,
            &self.security_group,
            port,
            tier.tier_name(),
            tier.tier_group().group_id(),
            "TCP",
        );
    }
}
