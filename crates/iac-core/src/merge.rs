//! Copies of a stack inside another: every resource of the copied stack is added under a
//! prefixed logical id (`Database` becomes `C002Database`), with every reference to it rewritten
//! through the typed values ([`crate::value::HasRefs::rewrite_refs`]), never by editing text.
//!
//! What a copy shares and what it owns:
//!
//! - **Resources** are the copy's own. Names derived from the logical id
//!   (`<stack>-<env>-<id>`) differ because the id does; names the model sets explicitly (a DB
//!   identifier, a load balancer, target group, launch template or ASG name) get the prefix as a
//!   suffix (`aquamark` becomes `aquamark-c002`), fitted to the kind's length limit; a DNS record
//!   with a literal name gets it on its first label (`survey.example.org` becomes
//!   `c002-survey.example.org`). Other literal strings (a URL in an output, a host name in user
//!   data) are left as they are.
//! - **Tags** of the copied stack (other than `iac:stack` and `iac:env`, which name the stack
//!   the copies are in) are added to the stack unless it has them already.
//! - **Parameters** are shared: copies of one environment take the same image, certificate and
//!   so on. A parameter the stack already has must be declared the same way by the copy.
//! - **Outputs** are added under the prefixed id when [`CopyOptions::outputs`] is set (a
//!   CloudFormation stack takes at most 200 outputs, so many copies cannot all keep theirs).
//! - **Bakes** are shared by name: a copy's bake must equal the one already there.
//! - The **rollout plan** is not copied: it names roles of one system.

use crate::diag::{Code, Diagnostic, Path};
use crate::id::LogicalId;
use crate::model::ResourceEntry;
use crate::naming;
use crate::stack::{Stack, StackBuilder};
use crate::value::{HasRefs, RefMut};

/// How [`add_copy`] adds a stack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyOptions {
    /// Prefix of every logical id of the copy, e.g. `C002` (letters and digits, starting with
    /// an upper-case letter).
    pub prefix: String,
    /// Keep the copy's outputs (under prefixed ids).
    pub outputs: bool,
}

/// Adds every resource (and the parameters, outputs and bakes, as the module doc says) of
/// `source` to `target` under `options.prefix`. Problems (an invalid prefix, clashing ids, a
/// parameter or bake declared differently) are reported by [`StackBuilder::build`].
pub fn add_copy(target: &mut StackBuilder, source: &Stack, options: &CopyOptions) {
    let prefix = options.prefix.as_str();
    let valid_prefix =
        prefix.starts_with(|c: char| c.is_ascii_uppercase()) && prefix.chars().all(|c| c.is_ascii_alphanumeric());
    if !valid_prefix {
        target.problem(Diagnostic::new(
            Code::InvalidCopyPrefix,
            Path::stack(target.name()),
            format!("copy prefix `{prefix}` of stack `{}` is not valid", source.name()),
            "use letters and digits starting with an upper-case letter, e.g. `C002`",
        ));
        return;
    }
    let label = prefix.to_ascii_lowercase();
    for (id, parameter) in source.parameters() {
        match target.parameters_so_far().get(id) {
            None => {
                target.parameter(id.as_str(), parameter.clone());
            }
            Some(existing)
                if existing.kind == parameter.kind
                    && existing.default == parameter.default
                    && existing.description == parameter.description => {}
            Some(_) => target.problem(Diagnostic::new(
                Code::CopyParameterDiffers,
                Path::stack(target.name()).resource(id.as_str()),
                format!(
                    "parameter `{id}` of the copy `{prefix}` of `{}` differs from the one already in the stack",
                    source.name()
                ),
                "copies share parameters: declare it the same way in each, or rename it",
            )),
        }
    }
    for (key, value) in source.tags() {
        if !key.starts_with("iac:") && !target.tags_so_far().contains_key(key) {
            target.tag(key.clone(), value.clone());
        }
    }
    for entry in source.resources() {
        let mut entry = entry.clone();
        entry.id = prefixed(prefix, &entry.id);
        entry.depends_on = entry.depends_on.iter().map(|d| prefixed(prefix, d)).collect();
        entry.resource.rewrite_refs(&mut |r| rename_ref(prefix, r));
        if let Some(origin) = &mut entry.origin {
            origin.name = format!("{prefix}{}", origin.name);
        }
        make_names_unique(&mut entry, &label);
        target.add_entry(entry);
    }
    if options.outputs {
        for (id, output) in source.outputs() {
            let mut value = output.value.clone();
            value.rewrite_refs(&mut |r| rename_ref(prefix, r));
            target.output(&format!("{prefix}{id}"), format!("{} (copy {prefix})", output.description), value);
        }
    }
    for bake in source.bakes() {
        let existing = target.bakes_so_far().iter().find(|b| b.name == bake.name);
        match existing {
            None => {
                target.bake(bake.clone());
            }
            Some(b) if serde_json::to_value(b).ok() == serde_json::to_value(bake).ok() => {}
            Some(_) => target.problem(Diagnostic::new(
                Code::CopyBakeDiffers,
                Path::stack(target.name()).resource(&bake.name),
                format!("bake `{}` of the copy `{prefix}` differs from the one already in the stack", bake.name),
                "copies share bakes by name: make them equal or rename one",
            )),
        }
    }
}

fn prefixed(prefix: &str, id: &LogicalId) -> LogicalId {
    // The prefix is alphanumeric and starts with a letter; only the length can fail, and then
    // the builder reports the id when the entry is added.
    LogicalId::new(format!("{prefix}{id}")).unwrap_or_else(|_| id.clone())
}

fn rename_ref(prefix: &str, r: RefMut<'_>) {
    match r {
        RefMut::Attr(a) => a.id = prefixed(prefix, &a.id),
        // Parameters are shared between copies.
        RefMut::Param(_) => {}
    }
}

/// Gives the copy's resources names of their own (`label` is the prefix in lower case): a name
/// the user set gets it as a suffix, fitted to the kind's limit; literal DNS names that must be
/// unique (a record's name, a distribution's aliases) get it on their first label. Names derived
/// from the logical id differ already. The facts come from each kind's
/// [`crate::model::KindSpec`].
fn make_names_unique(entry: &mut ResourceEntry, label: &str) {
    let max = entry.resource.spec().name_limit();
    if let (Some(name), Some(max)) = (entry.resource.explicit_name_mut(), max) {
        *name = naming::fit(&format!("{name}-{label}"), max);
    }
    for name in entry.resource.unique_dns_names_mut() {
        *name = format!("{label}-{name}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{DbSubnetGroup, Instance, LoadBalancer, MachineSpec, Scheme, SecurityGroup, Subnet, Vpc};
    use crate::stack::{ParamKind, Parameter};
    use crate::value::{Attr, AttrRef, Value};

    fn base() -> Stack {
        let mut s = StackBuilder::new("demo", "dev");
        let ami =
            s.parameter("ImageId", Parameter { kind: ParamKind::ImageId, description: "AMI".into(), default: None });
        let vpc = s
            .add("Vpc", Vpc { cidr_block: "10.0.0.0/16".into(), enable_dns_hostnames: true, enable_dns_support: true });
        let subnet = s.add_with(
            "Subnet",
            Subnet {
                vpc_id: vpc.vpc_id(),
                cidr_block: "10.0.0.0/24".into(),
                availability_zone: Value::Pseudo(crate::value::Pseudo::AvailabilityZone(0)),
                map_public_ip_on_launch: false,
            },
            |e| e.depends_on.push(vpc.id().clone()),
        );
        let sg = s.add(
            "Sg",
            SecurityGroup { description: "x".into(), vpc_id: vpc.vpc_id(), ingress: vec![], egress: vec![] },
        );
        s.add(
            "Host",
            Instance {
                subnet_id: subnet.subnet_id(),
                machine: MachineSpec {
                    image_id: ami.value(),
                    instance_type: "t3.micro".into(),
                    security_group_ids: vec![sg.group_id()],
                    instance_profile: None,
                    user_data: None,
                    key_name: None,
                    root_volume: None,
                    detailed_monitoring: false,
                },
                launch_template: None,
            },
        );
        s.add(
            "Subnets",
            DbSubnetGroup { description: "db".into(), subnet_ids: vec![Value::join(["x-", ""]), subnet.subnet_id()] },
        );
        s.output("SubnetId", "the subnet", subnet.subnet_id());
        s.build().unwrap()
    }

    #[test]
    fn copies_prefix_ids_and_every_reference_and_share_parameters() {
        let source = base();
        let mut s = StackBuilder::new("many", "dev");
        add_copy(&mut s, &source, &CopyOptions { prefix: "C001".into(), outputs: true });
        add_copy(&mut s, &source, &CopyOptions { prefix: "C002".into(), outputs: false });
        let stack = s.build().unwrap();
        assert_eq!(stack.resources().len(), 2 * source.resources().len());
        assert_eq!(stack.parameters().len(), 1, "parameters are shared");
        assert_eq!(stack.outputs().len(), 1);
        let out = &stack.outputs()[0];
        assert_eq!(out.value, Value::Attr(AttrRef { id: LogicalId::new("C001Subnet").unwrap(), attr: Attr::Id }));
        for entry in stack.resources() {
            let prefix = &entry.id.as_str()[..4];
            let refs = entry.resource.refs();
            for r in &refs.attrs {
                assert!(r.id.as_str().starts_with(prefix), "{} refers to {}", entry.id, r.id);
                assert!(stack.resource(&r.id).is_some(), "{} refers to a missing {}", entry.id, r.id);
            }
            for p in &refs.params {
                assert_eq!(p.as_str(), "ImageId");
            }
            for d in &entry.depends_on {
                assert!(d.as_str().starts_with(prefix));
            }
        }
        assert!(crate::validate::validate(&stack).iter().all(|d| d.severity != crate::diag::Severity::Error));
    }

    #[test]
    fn explicit_names_get_the_prefix() {
        let mut s = StackBuilder::new("demo", "dev");
        s.add("G", DbSubnetGroup { description: "db".into(), subnet_ids: vec![] });
        s.add(
            "Lb",
            LoadBalancer {
                name: Some("aquamark".into()),
                scheme: Scheme::Internal,
                subnet_ids: vec![],
                security_group_ids: vec![],
                deletion_protection: false,
                drop_invalid_header_fields: true,
                idle_timeout_seconds: 60,
            },
        );
        s.add(
            "LongLb",
            LoadBalancer {
                name: Some("a-load-balancer-with-a-long-name".into()),
                scheme: Scheme::Internal,
                subnet_ids: vec![],
                security_group_ids: vec![],
                deletion_protection: false,
                drop_invalid_header_fields: true,
                idle_timeout_seconds: 60,
            },
        );
        let mut copy = StackBuilder::new("many", "dev");
        add_copy(&mut copy, &s.build().unwrap(), &CopyOptions { prefix: "C007".into(), outputs: false });
        let stack = copy.build().unwrap();
        let names: Vec<String> = stack.resources().filter_map(|e| naming::physical_name(&stack, e)).collect();
        assert_eq!(names[0], "many-dev-c007-g");
        assert_eq!(names[1], "aquamark-c007");
        assert!(names[2].len() <= 32 && names[2] != "a-load-balancer-with-a-long-name", "{}", names[2]);
        assert!(names[2].starts_with("a-load-balancer-with-a-"), "{}", names[2]);
    }

    #[test]
    fn bad_prefix_and_differing_parameters_are_reported() {
        let source = base();
        let mut s = StackBuilder::new("many", "dev");
        add_copy(&mut s, &source, &CopyOptions { prefix: "c1".into(), outputs: false });
        s.parameter("ImageId", Parameter { kind: ParamKind::String, description: "other".into(), default: None });
        add_copy(&mut s, &source, &CopyOptions { prefix: "C1".into(), outputs: false });
        add_copy(&mut s, &source, &CopyOptions { prefix: "C1".into(), outputs: false });
        let Err(crate::CoreError::Invalid { diagnostics, .. }) = s.build() else { panic!("must fail") };
        let codes: Vec<Code> = diagnostics.iter().map(|d| d.code).collect();
        assert!(codes.contains(&Code::InvalidCopyPrefix), "{codes:?}");
        assert!(codes.contains(&Code::CopyParameterDiffers), "{codes:?}");
        assert!(codes.contains(&Code::DuplicateLogicalId), "a second copy under the same prefix clashes: {codes:?}");
    }
}
