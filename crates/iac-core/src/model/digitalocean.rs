//! DigitalOcean droplets and cloud firewalls, for hosts that run outside AWS (rendered by
//! Terraform with the `digitalocean/digitalocean` provider; CloudFormation and the SDK engine
//! cannot create them).

use serde::Serialize;

use crate::app::{FirewallProtocol, HostConfig};
use crate::value::{Refs, Value};

/// `digitalocean_droplet`: one virtual machine with cloud-init user data.
#[derive(Debug, Clone, Serialize, Refs)]
pub struct Droplet {
    /// The droplet's name (host name).
    pub name: String,
    /// Region slug, e.g. `lon1`.
    pub region: String,
    /// Size slug, e.g. `s-2vcpu-4gb`.
    pub size: String,
    /// Image slug, e.g. `ubuntu-24-04-x64`.
    pub image: String,
    /// SSH key ids or fingerprints admitted for `root`.
    pub ssh_keys: Vec<String>,
    /// The metrics agent.
    pub monitoring: bool,
    /// Weekly backups by DigitalOcean.
    pub backups: bool,
    /// A public IPv6 address as well.
    pub ipv6: bool,
    /// Host setup, rendered as the same cloud-init user data an EC2 host gets.
    pub user_data: Option<HostConfig>,
}

/// One rule of a DigitalOcean cloud firewall.
#[derive(Debug, Clone, Serialize, Refs)]
pub struct DoFirewallRule {
    /// Protocol.
    pub protocol: FirewallProtocol,
    /// A port, or a range `first-last`.
    pub ports: String,
    /// Addresses (CIDR) the rule admits (inbound) or reaches (outbound).
    pub addresses: Vec<String>,
}

/// `digitalocean_firewall`: deny-by-default inbound rules in front of droplets.
#[derive(Debug, Clone, Serialize, Refs)]
pub struct DoFirewall {
    /// The firewall's name.
    pub name: String,
    /// The droplets it applies to.
    pub droplet_ids: Vec<Value<String>>,
    /// Admitted inbound traffic.
    pub inbound: Vec<DoFirewallRule>,
    /// Allowed outbound traffic.
    pub outbound: Vec<DoFirewallRule>,
}
