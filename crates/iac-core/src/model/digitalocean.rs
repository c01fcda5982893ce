//! DigitalOcean droplets and cloud firewalls, for hosts that run outside AWS (rendered by
//! Terraform with the `digitalocean/digitalocean` provider; CloudFormation and the SDK engine
//! cannot create them).

use serde::Serialize;

use crate::app::{FirewallProtocol, HostConfig};
use crate::model::spec::prelude::*;
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

impl ResourceKind for Droplet {
    const SPEC: &'static KindSpec = &KindSpec {
        kind: "Droplet",
        label: "DigitalOcean droplet",
        provider: Provider::DigitalOcean,
        cloudformation: None,
        terraform: Some("digitalocean_droplet"),
        attrs: &[AttrSpec { attr: Attr::Id, cloudformation: CfnAttr::Ref, terraform: "id" }],
        naming: Naming::Required { max: 255 },
        tagging: Tagging::Untagged("DigitalOcean tags are labels of their own, not the stack's key/value tags"),
        data: Data::None,
        replacement: crate::replace![],
        replacement_notes: &[],
        teardown: 0,
    };
    fn explicit_name(&self) -> Option<&str> {
        Some(&self.name)
    }
    fn explicit_name_mut(&mut self) -> Option<&mut String> {
        Some(&mut self.name)
    }
    fn host(&self) -> Option<&HostConfig> {
        self.user_data.as_ref()
    }
}

impl ResourceKind for DoFirewall {
    const SPEC: &'static KindSpec = &KindSpec {
        kind: "DoFirewall",
        label: "DigitalOcean firewall",
        provider: Provider::DigitalOcean,
        cloudformation: None,
        terraform: Some("digitalocean_firewall"),
        attrs: &[AttrSpec { attr: Attr::Id, cloudformation: CfnAttr::Ref, terraform: "id" }],
        naming: Naming::Required { max: 255 },
        tagging: Tagging::Untagged("DigitalOcean tags are labels of their own, not the stack's key/value tags"),
        data: Data::None,
        replacement: crate::replace![],
        replacement_notes: &[],
        teardown: 0,
    };
    fn explicit_name(&self) -> Option<&str> {
        Some(&self.name)
    }
    fn explicit_name_mut(&mut self) -> Option<&mut String> {
        Some(&mut self.name)
    }
}
