//! Deterministic physical names that fit AWS length limits.

pub use crate::id::{fit, fnv1a};
use crate::model::{Resource, ResourceEntry};
use crate::stack::Stack;

/// The physical name the backends give a resource, when the kind has one: the model's explicit
/// name if set, otherwise `<stack>-<env>-<id>` fitted to the kind's limit (and lowercased where
/// AWS requires it). Every backend and the SDK engine use this one function, so a stack deployed
/// one way can be found the other way.
pub fn physical_name(stack: &Stack, entry: &ResourceEntry) -> Option<String> {
    let derived = |max: usize| stack.physical_name(&entry.id, max);
    match &entry.resource {
        Resource::Role(_) | Resource::InstanceProfile(_) => Some(derived(64)),
        Resource::LaunchTemplate(lt) => Some(lt.name.clone().unwrap_or_else(|| derived(128))),
        Resource::AutoScalingGroup(asg) => Some(asg.name.clone().unwrap_or_else(|| derived(255))),
        Resource::LoadBalancer(lb) => Some(lb.name.clone().unwrap_or_else(|| derived(32))),
        Resource::TargetGroup(tg) => Some(tg.name.clone().unwrap_or_else(|| derived(32))),
        Resource::DbInstance(db) => Some(db.identifier.clone().unwrap_or_else(|| derived(63))),
        Resource::EcsCluster(c) => Some(c.name.clone().unwrap_or_else(|| derived(255))),
        Resource::TaskDefinition(t) => Some(t.family.clone().unwrap_or_else(|| derived(255))),
        Resource::EcsService(s) => Some(s.name.clone().unwrap_or_else(|| derived(255))),
        Resource::LogGroup(g) => Some(g.name.clone().unwrap_or_else(|| derived(512))),
        Resource::Schedule(s) => Some(s.name.clone().unwrap_or_else(|| derived(64))),
        Resource::CacheReplicationGroup(g) => Some(g.replication_group_id.clone().unwrap_or_else(|| derived(40))),
        Resource::Bucket(b) => b.name.clone(),
        Resource::OriginAccessControl(o) => Some(o.name.clone().unwrap_or_else(|| derived(64))),
        Resource::Droplet(d) => Some(d.name.clone()),
        Resource::DoFirewall(f) => Some(f.name.clone()),
        Resource::SecurityGroup(_)
        | Resource::DbSubnetGroup(_)
        | Resource::DbParameterGroup(_)
        | Resource::Vpc(_)
        | Resource::Subnet(_)
        | Resource::InternetGateway(_)
        | Resource::RouteTable(_)
        | Resource::Eip(_)
        | Resource::NatGateway(_)
        | Resource::Instance(_)
        | Resource::FileSystem(_)
        | Resource::AccessPoint(_)
        | Resource::CacheSubnetGroup(_)
        | Resource::CacheParameterGroup(_) => Some(derived(255)),
        Resource::VpcGatewayAttachment(_)
        | Resource::Route(_)
        | Resource::SubnetRouteTableAssociation(_)
        | Resource::SecurityGroupIngress(_)
        | Resource::ScalingPolicy(_)
        | Resource::Listener(_)
        | Resource::RecordSet(_)
        | Resource::MountTarget(_)
        | Resource::RawResource(_)
        | Resource::BucketPolicy(_)
        | Resource::Distribution(_)
        | Resource::ScheduledAction(_) => None,
    }
}

/// The tags a resource carries in every backend: the stack's tags, `Name` (the physical name,
/// where the kind has one) and `iac:id`. Empty for kinds that cannot be tagged in both
/// CloudFormation and Terraform.
pub fn tags(stack: &Stack, entry: &ResourceEntry) -> Vec<(String, String)> {
    if !taggable(&entry.resource) {
        return Vec::new();
    }
    let mut out: Vec<(String, String)> = Vec::new();
    if let Some(name) = physical_name(stack, entry) {
        out.push(("Name".into(), name));
    }
    out.extend(stack.tags().iter().map(|(k, v)| (k.clone(), v.clone())));
    out.push(("iac:id".into(), entry.id.to_string()));
    out
}

/// Kinds that take tags in both CloudFormation and Terraform.
pub fn taggable(resource: &Resource) -> bool {
    !matches!(
        resource,
        Resource::VpcGatewayAttachment(_)
            | Resource::Route(_)
            | Resource::SubnetRouteTableAssociation(_)
            | Resource::SecurityGroupIngress(_)
            | Resource::ScalingPolicy(_)
            | Resource::Listener(_)
            | Resource::RecordSet(_)
            | Resource::InstanceProfile(_)
            | Resource::RawResource(_)
            | Resource::MountTarget(_)
            | Resource::Schedule(_)
            | Resource::BucketPolicy(_)
            | Resource::OriginAccessControl(_)
            | Resource::ScheduledAction(_)
            | Resource::Droplet(_)
            | Resource::DoFirewall(_)
    )
}
