//! Patterns: functions that add a group of resources to a [`crate::stack::StackBuilder`] and
//! return typed handles. A user can always drop to the raw resources instead.

pub mod alarms;
pub mod cache;
pub mod cdn;
pub mod container_service;
pub mod database;
pub mod dns;
pub mod host;
pub mod network;
pub mod web_tier;

pub use alarms::Notifications;
pub use cache::{Cache, CacheProps};
pub use cdn::{AssetCdn, AssetCdnProps};
pub use container_service::{ContainerService, ContainerServiceProps, ScheduledCommand, SharedVolume};
pub use database::{Database, DatabaseProps};
pub use dns::alias_record;
pub use host::{DataVolumeProps, Host, HostProps};
pub use network::{Network, NetworkProps};
pub use web_tier::{WebTier, WebTierProps};

use crate::model::{Handle, Peer, Policy, Role, Rule, SecurityGroup, SecurityGroupIngress, Statement, Suppression};
use crate::stack::StackBuilder;
use crate::value::Value;

/// The managed policy that lets SSM Run Command and Session Manager reach an instance (used for
/// one-off commands such as migrations, and instead of opening SSH).
pub const SSM_MANAGED_POLICY: &str = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore";

/// A role for EC2 instances with SSM access and the given inline statements.
pub(crate) fn instance_role(
    stack: &mut StackBuilder,
    id: &str,
    description: String,
    statements: Vec<Statement>,
) -> crate::model::Handle<Role> {
    let policies = if statements.is_empty() { Vec::new() } else { vec![Policy { name: "app".into(), statements }] };
    stack.add(
        id,
        Role {
            description,
            assumed_by: vec!["ec2.amazonaws.com".into()],
            managed_policy_arns: vec![Value::from(SSM_MANAGED_POLICY)],
            policies,
        },
    )
}

/// TCP egress to the internet on `internet_ports` (images, packages, AWS APIs) and inside the
/// network's range on `vpc_ports` (the database).
pub(crate) fn egress_rules(internet_ports: &[u16], vpc_ports: &[u16], network: &Network) -> Vec<crate::model::Rule> {
    let internet = internet_ports
        .iter()
        .map(|port| Rule::tcp(*port, Peer::Cidr("0.0.0.0/0".into()), "images, packages and AWS APIs"));
    let vpc =
        vpc_ports.iter().map(|port| Rule::tcp(*port, Peer::Cidr(network.cidr.clone()), "services inside the VPC"));
    internet.chain(vpc).collect()
}

/// A group of machines or tasks in one security group (a [`Host`], a [`WebTier`]'s instances, a
/// [`ContainerService`]'s tasks), which databases, caches and other tiers admit by handle:
/// `db.allow_from(&mut stack, &web)`. For a group of your own, `("Name", &group_handle)` is a
/// tier too.
pub trait Tier {
    /// The tier's name (the prefix of its logical ids), e.g. `Web`.
    fn tier_name(&self) -> &str;
    /// The security group its members sit in.
    fn tier_group(&self) -> &Handle<SecurityGroup>;
}

impl Tier for (&str, &Handle<SecurityGroup>) {
    fn tier_name(&self) -> &str {
        self.0
    }
    fn tier_group(&self) -> &Handle<SecurityGroup> {
        self.1
    }
}

/// Admits `from` to `to` on `port`: a separate rule resource `<to_name>From<tier>`, so a group
/// made before the tier it admits has no cycle.
pub(crate) fn admit(
    stack: &mut StackBuilder,
    to_name: &str,
    to: &Handle<SecurityGroup>,
    port: u16,
    from_name: &str,
    from: Value<String>,
    what: &str,
) {
    // The rule belongs with the group it opens (the same pattern's).
    let origin = stack.origin_of(to.id());
    stack.with_origin(origin, |stack| {
        stack.add(
            &format!("{to_name}From{from_name}"),
            SecurityGroupIngress {
                group_id: to.group_id(),
                rule: Rule::tcp(port, Peer::Group(from), format!("{what} from the {from_name} tier")),
            },
        );
    });
}

/// Shorthand for a suppression.
pub fn suppress(check: &str, reason: &str) -> Suppression {
    Suppression { check: check.to_owned(), reason: reason.to_owned() }
}
