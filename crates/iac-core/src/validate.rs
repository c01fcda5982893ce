//! Validation: every problem of a stack in one pass, as [`Diagnostic`]s with a
//! stack/resource/property path, a code and a hint.
//!
//! Covers references (unknown ids, attributes a kind does not have, unknown parameters), the
//! security and safety rules of the project (no world-open ingress except 80/443 on a public load
//! balancer, private databases admitting only named tiers, stateful resources protected and
//! encrypted, pinned images, secrets never literal) and the backends' limits.

use std::collections::BTreeSet;
use std::fmt;

use serde::Serialize;

use crate::app::HostConfig;
use crate::model::{
    AppProtocol, DbInstance, ListenerAction, MachineSpec, Peer, Resource, ResourceEntry, Scheme, Stack,
};
use crate::net::Ipv4Cidr;
use crate::value::{Attr, Value};

/// CloudFormation's limit on resources per template.
pub const CFN_MAX_RESOURCES: usize = 500;
/// CloudFormation's limit on parameters per template.
pub const CFN_MAX_PARAMETERS: usize = 200;
/// CloudFormation's limit on outputs per template.
pub const CFN_MAX_OUTPUTS: usize = 200;

/// How bad a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Severity {
    /// Printed; does not stop anything.
    Warning,
    /// Stops synth and deploy.
    Error,
}

/// Where a problem is: `stack/resource/property`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Path {
    /// The stack.
    pub stack: String,
    /// The resource, parameter or output id.
    pub resource: Option<String>,
    /// The property, e.g. `Ingress[0].CidrIp`.
    pub property: Option<String>,
}

impl Path {
    /// The stack as a whole.
    pub fn stack(stack: &str) -> Self {
        Self { stack: stack.to_owned(), resource: None, property: None }
    }
    /// One resource.
    #[must_use]
    pub fn resource(mut self, id: &str) -> Self {
        self.resource = Some(id.to_owned());
        self
    }
    /// One property of the resource.
    #[must_use]
    pub fn property(mut self, property: impl Into<String>) -> Self {
        self.property = Some(property.into());
        self
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.stack)?;
        if let Some(r) = &self.resource {
            write!(f, "/{r}")?;
        }
        if let Some(p) = &self.property {
            write!(f, "/{p}")?;
        }
        Ok(())
    }
}

/// One problem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// Stable code, e.g. `IAC010`.
    pub code: &'static str,
    /// Where.
    pub path: Path,
    /// What is wrong.
    pub message: String,
    /// What to do.
    pub hint: String,
}

impl Diagnostic {
    /// An error.
    pub fn error(code: &'static str, path: Path, message: impl Into<String>, hint: impl Into<String>) -> Self {
        Self { severity: Severity::Error, code, path, message: message.into(), hint: hint.into() }
    }
    /// A warning.
    pub fn warning(code: &'static str, path: Path, message: impl Into<String>, hint: impl Into<String>) -> Self {
        Self { severity: Severity::Warning, code, path, message: message.into(), hint: hint.into() }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{sev}[{}] {}: {}\n  hint: {}", self.code, self.path, self.message, self.hint)
    }
}

/// Every problem of `stack`, errors first, each group in resource order.
pub fn validate(stack: &Stack) -> Vec<Diagnostic> {
    let mut v = Validator { stack, out: Vec::new() };
    v.references();
    v.network_exposure();
    for entry in stack.resources() {
        v.resource(entry);
    }
    v.limits();
    v.bakes();
    if let Some(plan) = stack.rollout() {
        v.out.extend(plan.validate(stack.name()));
        v.out.extend(plan.validate_resources(stack));
    }
    if let Err(e) = crate::graph::Graph::new(stack) {
        v.out.push(Diagnostic::error(
            "IAC003",
            Path::stack(stack.name()),
            e.to_string(),
            "remove one reference of the cycle",
        ));
    }
    v.out.sort_by_key(|d| std::cmp::Reverse(d.severity));
    v.out
}

/// True when some diagnostic is an error.
pub fn has_errors(diagnostics: &[Diagnostic]) -> bool {
    diagnostics.iter().any(|d| d.severity == Severity::Error)
}

struct Validator<'a> {
    stack: &'a Stack,
    out: Vec<Diagnostic>,
}

impl Validator<'_> {
    fn at(&self, entry: &ResourceEntry, property: impl Into<String>) -> Path {
        Path::stack(self.stack.name()).resource(entry.id.as_str()).property(property)
    }

    fn error(&mut self, code: &'static str, path: Path, message: impl Into<String>, hint: impl Into<String>) {
        self.out.push(Diagnostic::error(code, path, message, hint));
    }

    fn references(&mut self) {
        let stack = self.stack;
        for entry in stack.resources() {
            let refs = entry.resource.refs();
            for r in refs.attrs {
                match stack.resource(&r.id) {
                    None => self.error(
                        "IAC004",
                        self.at(entry, format!("{:?}", r.attr)),
                        format!("refers to `{}`, which is not in the stack", r.id),
                        "add the resource or fix the id",
                    ),
                    Some(target) if !target.resource.supports(r.attr) => self.error(
                        "IAC005",
                        self.at(entry, format!("{:?}", r.attr)),
                        format!(
                            "refers to {:?} of `{}`, but a {} has no such attribute (it has: {:?})",
                            r.attr,
                            r.id,
                            target.resource.kind_name(),
                            target.resource.attrs()
                        ),
                        "use one of the listed attributes",
                    ),
                    Some(_) => {}
                }
            }
            for p in refs.params {
                if !stack.parameters().contains_key(&p) {
                    self.error(
                        "IAC006",
                        self.at(entry, "parameter"),
                        format!("uses parameter `{p}`, which the stack does not declare"),
                        "declare it with StackBuilder::parameter",
                    );
                }
            }
            for d in &entry.depends_on {
                if stack.resource(d).is_none() {
                    self.error(
                        "IAC004",
                        self.at(entry, "DependsOn"),
                        format!("depends on unknown `{d}`"),
                        "fix the id",
                    );
                }
            }
        }
    }

    /// Security groups may be open to the world only on 80/443 and only when attached to an
    /// internet-facing load balancer. Groups of databases admit only other groups.
    fn network_exposure(&mut self) {
        let stack = self.stack;
        let groups_of = |pred: &dyn Fn(&Resource) -> Option<Vec<Value<String>>>| -> BTreeSet<String> {
            stack
                .resources()
                .filter_map(|e| pred(&e.resource))
                .flatten()
                .filter_map(|v| match v {
                    Value::Attr(r) if r.attr == Attr::Id => Some(r.id.as_str().to_owned()),
                    _ => None,
                })
                .collect()
        };
        let public_lb_groups = groups_of(&|r| match r {
            Resource::LoadBalancer(lb) if lb.scheme == Scheme::InternetFacing => Some(lb.security_group_ids.clone()),
            _ => None,
        });
        let data_groups = groups_of(&|r| match r {
            Resource::DbInstance(db) => Some(db.security_group_ids.clone()),
            _ => None,
        });
        for entry in stack.resources() {
            let (id, rules): (String, Vec<(String, &crate::model::Rule)>) = match &entry.resource {
                Resource::SecurityGroup(sg) => (
                    entry.id.as_str().to_owned(),
                    sg.ingress.iter().enumerate().map(|(i, r)| (format!("Ingress[{i}]"), r)).collect(),
                ),
                Resource::SecurityGroupIngress(rule) => match &rule.group_id {
                    Value::Attr(r) => (r.id.as_str().to_owned(), vec![("Rule".to_owned(), &rule.rule)]),
                    _ => (String::new(), vec![("Rule".to_owned(), &rule.rule)]),
                },
                _ => continue,
            };
            let id = id.as_str();
            for (prop, rule) in rules {
                if rule.peer.is_world() {
                    let web_ports = rule.protocol == crate::model::Protocol::Tcp
                        && rule.from_port == rule.to_port
                        && (rule.from_port == 80 || rule.from_port == 443);
                    if !(web_ports && public_lb_groups.contains(id)) {
                        self.error(
                            "IAC010",
                            self.at(entry, prop.clone()),
                            format!(
                                "admits the whole internet on {} {}-{}",
                                rule.protocol.as_aws(),
                                rule.from_port,
                                rule.to_port
                            ),
                            "only ports 80/443 of an internet-facing load balancer may be open to 0.0.0.0/0 or ::/0; \
                             admit the load balancer's group, the subnet CIDR or a VPN range instead",
                        );
                    }
                }
                if data_groups.contains(id) && !matches!(rule.peer, Peer::Group(_)) {
                    self.error(
                        "IAC011",
                        self.at(entry, prop),
                        "a database's security group admits an address range",
                        "admit only the security groups of the tiers that use it (Peer::Group)",
                    );
                }
            }
        }
    }

    #[allow(clippy::too_many_lines)] // one arm per resource kind
    fn resource(&mut self, entry: &ResourceEntry) {
        match &entry.resource {
            Resource::DbInstance(db) => self.database(entry, db),
            Resource::LaunchTemplate(lt) => self.machine(entry, &lt.machine),
            Resource::Instance(i) => self.machine(entry, &i.machine),
            Resource::AutoScalingGroup(asg) => {
                if !(asg.min_size <= asg.desired_capacity && asg.desired_capacity <= asg.max_size) {
                    self.error(
                        "IAC030",
                        self.at(entry, "DesiredCapacity"),
                        format!(
                            "min {} <= desired {} <= max {} does not hold",
                            asg.min_size, asg.desired_capacity, asg.max_size
                        ),
                        "fix the sizes in the environment's config",
                    );
                }
                if asg.subnet_ids.is_empty() {
                    self.error("IAC031", self.at(entry, "VPCZoneIdentifier"), "no subnets", "give the private subnets");
                }
            }
            Resource::TargetGroup(tg) => {
                if !tg.health_check.path.starts_with('/') {
                    self.error(
                        "IAC032",
                        self.at(entry, "HealthCheckPath"),
                        format!("health check path `{}` does not start with `/`", tg.health_check.path),
                        "write it as an absolute path, e.g. `/ping`",
                    );
                }
            }
            Resource::Listener(l) => {
                if l.protocol == AppProtocol::Https && l.certificate_arns.is_empty() {
                    self.error(
                        "IAC033",
                        self.at(entry, "Certificates"),
                        "HTTPS listener without a certificate",
                        "add an ACM certificate ARN",
                    );
                }
                if l.protocol == AppProtocol::Http && matches!(l.default_action, ListenerAction::Forward(_)) {
                    self.out.push(Diagnostic::warning(
                        "IAC034",
                        self.at(entry, "DefaultActions"),
                        "plain HTTP is forwarded to the application",
                        "redirect HTTP to HTTPS (ListenerAction::RedirectToHttps)",
                    ));
                }
            }
            Resource::LoadBalancer(lb) => {
                if lb.subnet_ids.len() < 2 {
                    self.error(
                        "IAC035",
                        self.at(entry, "Subnets"),
                        "an application load balancer needs subnets in at least two zones",
                        "give two or more subnets",
                    );
                }
            }
            Resource::DbSubnetGroup(g) => {
                if g.subnet_ids.len() < 2 {
                    self.error(
                        "IAC036",
                        self.at(entry, "SubnetIds"),
                        "a DB subnet group needs subnets in at least two zones",
                        "give two or more private subnets",
                    );
                }
            }
            Resource::Subnet(s) => {
                self.subnet_cidr(entry, s);
                if s.map_public_ip_on_launch {
                    self.out.push(Diagnostic::warning(
                        "IAC037",
                        self.at(entry, "MapPublicIpOnLaunch"),
                        "instances in this subnet get public addresses",
                        "keep instances private; reach them through the load balancer, a bastion or SSM",
                    ));
                }
            }
            Resource::Vpc(_)
            | Resource::InternetGateway(_)
            | Resource::VpcGatewayAttachment(_)
            | Resource::RouteTable(_)
            | Resource::Route(_)
            | Resource::SubnetRouteTableAssociation(_)
            | Resource::Eip(_)
            | Resource::NatGateway(_)
            | Resource::SecurityGroup(_)
            | Resource::SecurityGroupIngress(_)
            | Resource::Role(_)
            | Resource::InstanceProfile(_)
            | Resource::ScalingPolicy(_)
            | Resource::DbParameterGroup(_)
            | Resource::RecordSet(_)
            | Resource::RawResource(_) => {}
        }
        for (i, s) in entry.suppressions.iter().enumerate() {
            if s.reason.trim().len() < 10 {
                self.error(
                    "IAC050",
                    self.at(entry, format!("Suppressions[{i}]")),
                    format!("suppression of {} has no real reason", s.check),
                    "write why the check does not apply; it is rendered into the output for reviewers",
                );
            }
        }
    }

    /// A literal subnet range must be a CIDR block inside its VPC's literal range.
    fn subnet_cidr(&mut self, entry: &ResourceEntry, s: &crate::model::Subnet) {
        let Value::Lit(text) = &s.cidr_block else { return };
        let cidr = match text.parse::<Ipv4Cidr>() {
            Ok(c) => c,
            Err(e) => {
                let msg = if text.is_empty() {
                    "the subnet has no range (the VPC's range is too small for it)".to_owned()
                } else {
                    e
                };
                self.error(
                    "IAC038",
                    self.at(entry, "CidrBlock"),
                    msg,
                    "give the VPC a larger range or fewer, smaller subnets",
                );
                return;
            }
        };
        let vpc_range = match &s.vpc_id {
            Value::Attr(r) => match self.stack.resource(&r.id).map(|e| &e.resource) {
                Some(Resource::Vpc(vpc)) => vpc.cidr_block.as_lit().and_then(|c| c.parse::<Ipv4Cidr>().ok()),
                _ => None,
            },
            _ => None,
        };
        if let Some(vpc) = vpc_range
            && !vpc.contains(cidr)
        {
            self.error(
                "IAC038",
                self.at(entry, "CidrBlock"),
                format!("subnet range {cidr} is outside the VPC's {vpc}"),
                "carve subnets out of the VPC's range",
            );
        }
    }

    fn database(&mut self, entry: &ResourceEntry, db: &DbInstance) {
        if db.publicly_accessible {
            self.error(
                "IAC020",
                self.at(entry, "PubliclyAccessible"),
                "the database is publicly accessible",
                "set publicly_accessible to false; reach it from the named tiers",
            );
        }
        if !db.deletion_protection {
            self.error(
                "IAC021",
                self.at(entry, "DeletionProtection"),
                "a stateful resource without deletion protection",
                "set deletion_protection to true",
            );
        }
        if !db.storage_encrypted {
            self.error(
                "IAC022",
                self.at(entry, "StorageEncrypted"),
                "storage is not encrypted",
                "set storage_encrypted to true",
            );
        }
        if !(1..=35).contains(&db.backup_retention_days) {
            self.error(
                "IAC023",
                self.at(entry, "BackupRetentionPeriod"),
                format!("backup retention of {} days; automated backups need 1 to 35", db.backup_retention_days),
                "keep at least 7 days",
            );
        }
        if db.security_group_ids.is_empty() {
            self.error(
                "IAC024",
                self.at(entry, "VPCSecurityGroups"),
                "no security group: the VPC default group would apply",
                "use the Database pattern or give a group that admits the named tiers",
            );
        }
        if let Some(id) = &db.identifier {
            let ok = id.len() <= 63
                && id.starts_with(|c: char| c.is_ascii_lowercase())
                && id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                && !id.ends_with('-')
                && !id.contains("--");
            if !ok {
                self.error(
                    "IAC025",
                    self.at(entry, "DBInstanceIdentifier"),
                    format!("`{id}` is not a valid identifier"),
                    "1-63 lowercase letters, digits and single hyphens, starting with a letter",
                );
            }
        }
    }

    fn machine(&mut self, entry: &ResourceEntry, m: &MachineSpec) {
        if let Some(v) = &m.root_volume
            && !v.encrypted
        {
            self.error(
                "IAC040",
                self.at(entry, "BlockDeviceMappings[0].Ebs.Encrypted"),
                "the root volume is not encrypted",
                "set encrypted to true",
            );
        }
        if let Some(host) = &m.user_data {
            self.host(entry.id.as_str(), host);
        }
    }

    /// The containers, secrets and cron jobs of a host, reported under `owner` (a resource id or
    /// `bake:<name>`).
    fn host(&mut self, owner: &str, host: &HostConfig) {
        let at = |p: String| Path::stack(self.stack.name()).resource(owner).property(p);
        for (i, c) in host.containers.iter().enumerate() {
            if let Some(problem) = c.image.pin_problem() {
                self.error(
                    "IAC041",
                    at(format!("UserData.Containers[{i}].Image")),
                    problem,
                    "pin the image to a version tag or a digest, e.g. `vpac/aquamark:1.0.1`",
                );
            }
            for e in &c.env {
                let upper = e.name.to_ascii_uppercase();
                let sensitive =
                    ["PASSWORD", "SECRET", "TOKEN", "PRIVATE_KEY", "ACCESS_KEY"].iter().any(|w| upper.contains(w));
                if sensitive && matches!(&e.value, Value::Lit(s) if !s.is_empty()) {
                    self.error(
                        "IAC042",
                        at(format!("UserData.Containers[{i}].Env.{}", e.name)),
                        "a secret is written as a literal",
                        "use a SecretRef (Secrets Manager or SSM SecureString) so the value never appears in templates or logs",
                    );
                }
            }
        }
        for (i, job) in host.cron.iter().enumerate() {
            if job.schedule.split_whitespace().count() != 5 {
                self.error(
                    "IAC043",
                    at(format!("UserData.Cron[{i}].Schedule")),
                    format!("cron schedule `{}` does not have five fields", job.schedule),
                    "write minute hour day-of-month month day-of-week, e.g. `*/5 * * * *`",
                );
            }
        }
    }

    fn bakes(&mut self) {
        for bake in self.stack.bakes() {
            let owner = format!("bake:{}", bake.name);
            let ok = !bake.name.is_empty()
                && bake.name.starts_with(|c: char| c.is_ascii_lowercase())
                && bake.name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
            if !ok {
                self.error(
                    "IAC044",
                    Path::stack(self.stack.name()).resource(&owner),
                    format!("bake name `{}` is not valid", bake.name),
                    "use lowercase letters, digits and `-` (images are named <name>-v<version>-<build>)",
                );
            }
            if !bake.root_volume.encrypted {
                self.error(
                    "IAC040",
                    Path::stack(self.stack.name()).resource(&owner).property("RootVolume.Encrypted"),
                    "the image's root volume is not encrypted",
                    "set encrypted to true",
                );
            }
            self.host(&owner, &bake.host);
        }
    }

    fn limits(&mut self) {
        let s = self.stack;
        let name = s.name();
        let count = s.resources().len();
        if count > CFN_MAX_RESOURCES {
            self.out.push(Diagnostic::warning(
                "IAC060",
                Path::stack(name),
                format!("{count} resources exceed CloudFormation's {CFN_MAX_RESOURCES} per template"),
                "split the stack; Terraform output is unaffected",
            ));
        }
        if s.parameters().len() > CFN_MAX_PARAMETERS {
            self.error(
                "IAC061",
                Path::stack(name),
                format!("{} parameters exceed CloudFormation's {CFN_MAX_PARAMETERS}", s.parameters().len()),
                "use fewer parameters",
            );
        }
        if s.outputs().len() > CFN_MAX_OUTPUTS {
            self.error(
                "IAC062",
                Path::stack(name),
                format!("{} outputs exceed CloudFormation's {CFN_MAX_OUTPUTS}", s.outputs().len()),
                "use fewer outputs",
            );
        }
        let mut labels = std::collections::BTreeMap::new();
        for e in s.resources() {
            if let Some(other) = labels.insert(e.id.snake_case(), e.id.clone()) {
                self.error(
                    "IAC063",
                    Path::stack(name).resource(e.id.as_str()),
                    format!("`{}` and `{other}` give the same Terraform label `{}`", e.id, e.id.snake_case()),
                    "rename one of them",
                );
            }
        }
    }
}
