//! Validation: every problem of a stack in one pass, as [`Diagnostic`]s with a
//! stack/resource/property path, a code and a hint.
//!
//! Covers references (unknown ids, attributes a kind does not have, unknown parameters), the
//! security and safety rules of the project (no world-open ingress except 80/443 on a public load
//! balancer, private databases admitting only named tiers, stateful resources protected and
//! encrypted, pinned images, secrets never literal) and the backends' limits.

use std::collections::BTreeSet;

use crate::app::HostConfig;
use crate::diag::{Code, Diagnostic, Path};
use crate::model::{
    AppProtocol, CacheReplicationGroup, DbInstance, ListenerAction, LoadBalancer, MachineSpec, MountTarget, Peer,
    Resource, ResourceEntry, Scheme, SecurityGroup, SecurityGroupIngress,
};
use crate::model::{Bucket, BucketPolicy, Distribution, Principal, ScheduleTarget, ScheduledAction, ViewerCertificate};
use crate::net::{Ipv4Cidr, cidr_problem};
use crate::stack::Stack;
use crate::value::{Attr, Value};

mod monitoring;

/// CloudFormation's limit on resources per template.
pub const CFN_MAX_RESOURCES: usize = 500;
/// CloudFormation's limit on parameters per template.
pub const CFN_MAX_PARAMETERS: usize = 200;
/// CloudFormation's limit on outputs per template.
pub const CFN_MAX_OUTPUTS: usize = 200;

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
    for app in stack.apps() {
        v.out.extend(crate::workload::validate_app(stack.name(), app, &|id| stack.resource(id).is_some()));
    }
    if let Some(plan) = stack.rollout() {
        v.out.extend(plan.validate(stack.name()));
        v.out.extend(plan.validate_resources(stack));
    }
    if let Err(e) = crate::graph::Graph::new(stack) {
        v.out.push(Diagnostic::new(
            Code::DependencyCycle,
            Path::stack(stack.name()),
            e.to_string(),
            "remove one reference of the cycle",
        ));
    }
    v.out.sort_by_key(|d| std::cmp::Reverse(d.severity));
    v.out
}

struct Validator<'a> {
    stack: &'a Stack,
    out: Vec<Diagnostic>,
}

impl Validator<'_> {
    fn at(&self, entry: &ResourceEntry, property: impl Into<String>) -> Path {
        Path::stack(self.stack.name()).resource(entry.id.as_str()).property(property)
    }

    fn report(&mut self, code: Code, path: Path, message: impl Into<String>, hint: impl Into<String>) {
        self.out.push(Diagnostic::new(code, path, message, hint));
    }

    fn references(&mut self) {
        let stack = self.stack;
        for entry in stack.resources() {
            let refs = entry.resource.refs();
            for r in refs.attrs {
                match stack.resource(&r.id) {
                    None => self.report(
                        Code::UnknownResource,
                        self.at(entry, format!("{:?}", r.attr)),
                        format!("refers to `{}`, which is not in the stack", r.id),
                        "add the resource or fix the id",
                    ),
                    Some(target) if !target.resource.supports(r.attr) => self.report(
                        Code::UnknownAttribute,
                        self.at(entry, format!("{:?}", r.attr)),
                        format!(
                            "refers to {:?} of `{}`, but a {} has no such attribute (it has: {:?})",
                            r.attr,
                            r.id,
                            target.resource.kind_name(),
                            target.resource.attrs().collect::<Vec<_>>()
                        ),
                        "use one of the listed attributes",
                    ),
                    Some(_) => {}
                }
            }
            for p in refs.params {
                if !stack.parameters().contains_key(&p) {
                    self.report(
                        Code::UnknownParameter,
                        self.at(entry, "parameter"),
                        format!("uses parameter `{p}`, which the stack does not declare"),
                        "declare it with StackBuilder::parameter",
                    );
                }
            }
            for d in &entry.depends_on {
                if stack.resource(d).is_none() {
                    self.report(
                        Code::UnknownResource,
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
        let public_lb_groups = groups_of(&|r| {
            r.get::<LoadBalancer>()
                .filter(|lb| lb.scheme == Scheme::InternetFacing)
                .map(|lb| lb.security_group_ids.clone())
        });
        let data_groups = groups_of(&|r| {
            r.get::<DbInstance>()
                .map(|db| db.security_group_ids.clone())
                .or_else(|| r.get::<CacheReplicationGroup>().map(|c| c.security_group_ids.clone()))
        });
        let file_system_groups = groups_of(&|r| r.get::<MountTarget>().map(|m| m.security_group_ids.clone()));
        for entry in stack.resources() {
            let (id, rules): (String, Vec<(String, &crate::model::Rule)>) =
                if let Some(sg) = entry.resource.get::<SecurityGroup>() {
                    (
                        entry.id.as_str().to_owned(),
                        sg.ingress.iter().enumerate().map(|(i, r)| (format!("Ingress[{i}]"), r)).collect(),
                    )
                } else if let Some(rule) = entry.resource.get::<SecurityGroupIngress>() {
                    let group = match &rule.group_id {
                        Value::Attr(r) => r.id.as_str().to_owned(),
                        _ => String::new(),
                    };
                    (group, vec![("Rule".to_owned(), &rule.rule)])
                } else {
                    continue;
                };
            let id = id.as_str();
            for (prop, rule) in rules {
                if rule.peer.is_world() {
                    let web_ports = rule.protocol == crate::model::Protocol::Tcp
                        && rule.from_port == rule.to_port
                        && (rule.from_port == 80 || rule.from_port == 443);
                    if !(web_ports && public_lb_groups.contains(id)) {
                        self.report(
                            Code::WorldOpenIngress,
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
                if file_system_groups.contains(id) && !matches!(rule.peer, Peer::Group(_)) {
                    self.report(
                        Code::FileSystemOpenToRange,
                        self.at(entry, prop.clone()),
                        "a file system's security group admits an address range",
                        "admit NFS (2049) only from the security groups of the tiers that mount it (Peer::Group)",
                    );
                }
                if data_groups.contains(id) && !matches!(rule.peer, Peer::Group(_)) {
                    self.report(
                        Code::DataStoreOpenToRange,
                        self.at(entry, prop),
                        "a database's or cache's security group admits an address range",
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
            Resource::LaunchTemplate(lt) => {
                if let Some(m) = &lt.machine {
                    self.machine(entry, m);
                }
            }
            Resource::Instance(i) => self.machine(entry, &i.machine),
            Resource::AutoScalingGroup(asg) => {
                if !(asg.min_size <= asg.desired_capacity && asg.desired_capacity <= asg.max_size) {
                    self.report(
                        Code::GroupSizes,
                        self.at(entry, "DesiredCapacity"),
                        format!(
                            "min {} <= desired {} <= max {} does not hold",
                            asg.min_size, asg.desired_capacity, asg.max_size
                        ),
                        "fix the sizes in the environment's config",
                    );
                }
                if asg.subnet_ids.is_empty() {
                    self.report(
                        Code::GroupWithoutSubnets,
                        self.at(entry, "VPCZoneIdentifier"),
                        "no subnets",
                        "give the private subnets",
                    );
                }
            }
            Resource::TargetGroup(tg) => {
                if !tg.health_check.path.starts_with('/') {
                    self.report(
                        Code::HealthCheckPath,
                        self.at(entry, "HealthCheckPath"),
                        format!("health check path `{}` does not start with `/`", tg.health_check.path),
                        "write it as an absolute path, e.g. `/ping`",
                    );
                }
            }
            Resource::Listener(l) => {
                if l.protocol == AppProtocol::Https && l.certificate_arns.is_empty() {
                    self.report(
                        Code::HttpsWithoutCertificate,
                        self.at(entry, "Certificates"),
                        "HTTPS listener without a certificate",
                        "add an ACM certificate ARN",
                    );
                }
                if l.protocol == AppProtocol::Http && matches!(l.default_action, ListenerAction::Forward(_)) {
                    self.report(
                        Code::PlainHttpForwarded,
                        self.at(entry, "DefaultActions"),
                        "plain HTTP is forwarded to the application",
                        "redirect HTTP to HTTPS (ListenerAction::RedirectToHttps)",
                    );
                }
            }
            Resource::LoadBalancer(lb) => {
                if lb.subnet_ids.len() < 2 {
                    self.report(
                        Code::LoadBalancerOneZone,
                        self.at(entry, "Subnets"),
                        "an application load balancer needs subnets in at least two zones",
                        "give two or more subnets",
                    );
                }
            }
            Resource::DbSubnetGroup(g) => {
                if g.subnet_ids.len() < 2 {
                    self.report(
                        Code::DbSubnetGroupOneZone,
                        self.at(entry, "SubnetIds"),
                        "a DB subnet group needs subnets in at least two zones",
                        "give two or more private subnets",
                    );
                }
            }
            Resource::Subnet(s) => {
                self.subnet_cidr(entry, s);
                if s.map_public_ip_on_launch {
                    self.report(
                        Code::PublicIpOnLaunch,
                        self.at(entry, "MapPublicIpOnLaunch"),
                        "instances in this subnet get public addresses",
                        "keep instances private; reach them through the load balancer, a bastion or SSM",
                    );
                }
            }
            Resource::TaskDefinition(t) => self.task_definition(entry, t),
            Resource::EcsService(svc) => self.ecs_service(entry, svc),
            Resource::FileSystem(fs) => self.file_system(entry, fs),
            Resource::LogGroup(g) => {
                if !crate::model::LOG_RETENTION_DAYS.contains(&g.retention_days) {
                    self.report(
                        Code::LogRetention,
                        self.at(entry, "RetentionInDays"),
                        format!("CloudWatch Logs does not accept a retention of {} days", g.retention_days),
                        format!("use one of {:?}", crate::model::LOG_RETENTION_DAYS),
                    );
                }
            }
            Resource::Schedule(sch) => self.schedule(entry, sch),
            Resource::MountTarget(mt) => {
                if self.is_public_subnet(&mt.subnet_id) {
                    self.report(
                        Code::MountTargetInPublicSubnet,
                        self.at(entry, "SubnetId"),
                        "a file system's mount target is in a public subnet",
                        "put mount targets in the private subnets, next to the tasks that mount them",
                    );
                }
            }
            Resource::AccessPoint(ap) => {
                if !ap.root_directory.starts_with('/') || ap.root_directory == "/" {
                    self.report(
                        Code::AccessPointRoot,
                        self.at(entry, "RootDirectory.Path"),
                        format!("root directory `{}` is not an absolute sub-directory", ap.root_directory),
                        "give the directory clients see as `/`, e.g. `/data`, so each access point stays inside its own tree",
                    );
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
            | Resource::EcsCluster(_)
            | Resource::RawResource(_)
            | Resource::CacheParameterGroup(_)
            | Resource::OriginAccessControl(_)
            | Resource::Key(_) => {}
            Resource::CacheReplicationGroup(c) => self.cache(entry, c),
            Resource::CacheSubnetGroup(g) => {
                if g.subnet_ids.len() < 2 {
                    self.report(
                        Code::CacheSubnetGroupOneZone,
                        self.at(entry, "SubnetIds"),
                        "a cache subnet group in one zone: Multi-AZ failover has nowhere to go",
                        "give private subnets in two or more zones",
                    );
                }
            }
            Resource::Bucket(b) => self.bucket(entry, b),
            Resource::BucketPolicy(p) => self.bucket_policy(entry, p),
            Resource::Distribution(d) => self.distribution(entry, d),
            Resource::ScheduledAction(a) => self.scheduled_action(entry, a),
            Resource::Topic(t) => self.topic(entry, t),
            Resource::Subscription(s) => self.subscription(entry, s),
            Resource::Alarm(a) => self.alarm(entry, a),
            Resource::Volume(v) => self.volume(entry, v),
            Resource::VolumeAttachment(a) => self.volume_attachment(entry, a),
            Resource::Secret(s) => self.secret(entry, s),
            Resource::Droplet(d) => {
                if let Some(host) = &d.user_data {
                    self.host(entry.id.as_str(), host);
                    self.droplet_data_mounts(entry, host);
                    if host.needs_secrets() {
                        self.report(
                            Code::DropletAwsSecret,
                            self.at(entry, "UserData.Containers"),
                            "a container on a DigitalOcean droplet reads an AWS secret at boot, but the droplet has no AWS role",
                            "give the container its value another way (a file provisioned out of band), or run it on an EC2 host",
                        );
                    }
                }
            }
            Resource::DoFirewall(fw) => {
                for (i, rule) in fw.inbound.iter().enumerate() {
                    let world =
                        rule.addresses.is_empty() || rule.addresses.iter().any(|a| a == "0.0.0.0/0" || a == "::/0");
                    let port = rule.ports.parse::<u16>().ok();
                    if world && !matches!(port, Some(22 | 80 | 443)) {
                        self.report(
                            Code::DropletWorldOpenPort,
                            self.at(entry, format!("InboundRules[{i}]")),
                            format!("admits the whole internet on {} {}", rule.protocol.as_str(), rule.ports),
                            "only 22, 80 and 443 may be open to everyone; admit an admin range for the rest",
                        );
                    }
                    for a in &rule.addresses {
                        if let Some(problem) = cidr_problem(a) {
                            self.report(
                                Code::InvalidCidr,
                                self.at(entry, format!("InboundRules[{i}].Addresses")),
                                problem,
                                "write an IPv4 or IPv6 CIDR, e.g. 203.0.113.0/24",
                            );
                        }
                    }
                }
            }
        }
        for (i, s) in entry.suppressions.iter().enumerate() {
            if s.reason.trim().len() < 10 {
                self.report(
                    Code::SuppressionWithoutReason,
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
                self.report(
                    Code::InvalidSubnetRange,
                    self.at(entry, "CidrBlock"),
                    msg,
                    "give the VPC a larger range or fewer, smaller subnets",
                );
                return;
            }
        };
        let vpc_range = match &s.vpc_id {
            Value::Attr(r) => self
                .stack
                .resource(&r.id)
                .and_then(|e| e.resource.get::<crate::model::Vpc>())
                .and_then(|vpc| vpc.cidr_block.as_lit())
                .and_then(|c| c.parse::<Ipv4Cidr>().ok()),
            _ => None,
        };
        if let Some(vpc) = vpc_range
            && !vpc.contains(cidr)
        {
            self.report(
                Code::SubnetOutsideVpc,
                self.at(entry, "CidrBlock"),
                format!("subnet range {cidr} is outside the VPC's {vpc}"),
                "carve subnets out of the VPC's range",
            );
        }
    }

    fn database(&mut self, entry: &ResourceEntry, db: &DbInstance) {
        if db.publicly_accessible {
            self.report(
                Code::PublicDatabase,
                self.at(entry, "PubliclyAccessible"),
                "the database is publicly accessible",
                "set publicly_accessible to false; reach it from the named tiers",
            );
        }
        if !db.deletion_protection && !db.is_replica() {
            self.report(
                Code::DatabaseWithoutDeletionProtection,
                self.at(entry, "DeletionProtection"),
                "a stateful resource without deletion protection",
                "set deletion_protection to true",
            );
        }
        if !db.storage_encrypted {
            self.report(
                Code::DatabaseNotEncrypted,
                self.at(entry, "StorageEncrypted"),
                "storage is not encrypted",
                "set storage_encrypted to true",
            );
        }
        let replica_without_backups = db.is_replica() && db.backup_retention_days == 0;
        if !(1..=35).contains(&db.backup_retention_days) && !replica_without_backups {
            self.report(
                Code::BackupRetention,
                self.at(entry, "BackupRetentionPeriod"),
                format!("backup retention of {} days; automated backups need 1 to 35", db.backup_retention_days),
                "keep at least 7 days",
            );
        }
        if db.security_group_ids.is_empty() {
            self.report(
                Code::DatabaseWithoutSecurityGroup,
                self.at(entry, "VPCSecurityGroups"),
                "no security group: the VPC default group would apply",
                "use the Database pattern or give a group that admits the named tiers",
            );
        }
        if let Some(source) = &db.source_db_instance {
            self.replica_source(entry, db, source);
        }
        if let Some(id) = &db.identifier {
            let ok = id.len() <= 63
                && id.starts_with(|c: char| c.is_ascii_lowercase())
                && id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                && !id.ends_with('-')
                && !id.contains("--");
            if !ok {
                self.report(
                    Code::InvalidDbIdentifier,
                    self.at(entry, "DBInstanceIdentifier"),
                    format!("`{id}` is not a valid identifier"),
                    "1-63 lowercase letters, digits and single hyphens, starting with a letter",
                );
            }
        }
    }

    /// A read replica's source is another RDS instance of the same engine, which is not itself
    /// a replica being replicated here (RDS allows chains, this project's patterns do not).
    fn replica_source(&mut self, entry: &ResourceEntry, db: &DbInstance, source: &Value<String>) {
        let Value::Attr(r) = source else { return };
        let problem = match self.stack.resource(&r.id).map(|e| &e.resource) {
            Some(Resource::DbInstance(primary)) if primary.engine != db.engine => Some(format!(
                "the replica runs {} but its source `{}` runs {}",
                db.engine.as_aws(),
                r.id,
                primary.engine.as_aws()
            )),
            Some(Resource::DbInstance(primary)) if primary.is_replica() => {
                Some(format!("the source `{}` is itself a replica", r.id))
            }
            Some(Resource::DbInstance(_)) | None => None,
            Some(other) => Some(format!("the source `{}` is a {}, not an RDS instance", r.id, other.kind_name())),
        };
        if let Some(problem) = problem {
            self.report(
                Code::ReplicaSource,
                self.at(entry, "SourceDBInstanceIdentifier"),
                problem,
                "replicate the primary (Database::add_read_replica)",
            );
        }
    }

    /// Caches are private (see `network_exposure`), encrypted at rest and in transit, and fail
    /// over within the group when Multi-AZ.
    fn cache(&mut self, entry: &ResourceEntry, c: &CacheReplicationGroup) {
        if !c.at_rest_encryption {
            self.report(
                Code::CacheNotEncryptedAtRest,
                self.at(entry, "AtRestEncryptionEnabled"),
                "the cache is not encrypted at rest",
                "set at_rest_encryption to true (it cannot be switched on later without a new group)",
            );
        }
        if !c.transit_encryption {
            self.report(
                Code::CacheWithoutTls,
                self.at(entry, "TransitEncryptionEnabled"),
                "clients reach the cache without TLS",
                "set transit_encryption to true and connect with TLS (`rediss://`)",
            );
        }
        if c.multi_az && !(c.automatic_failover && c.num_cache_clusters >= 2) {
            self.report(
                Code::CacheMultiAzWithoutFailover,
                self.at(entry, "MultiAZEnabled"),
                format!(
                    "Multi-AZ needs automatic failover and a replica (failover {}, {} node(s))",
                    c.automatic_failover, c.num_cache_clusters
                ),
                "switch automatic_failover on and use num_cache_clusters of 2 or more",
            );
        }
        if c.security_group_ids.is_empty() {
            self.report(
                Code::CacheWithoutSecurityGroup,
                self.at(entry, "SecurityGroupIds"),
                "no security group: the VPC default group would apply",
                "use the Cache pattern or give a group that admits the named tiers",
            );
        }
        if c.snapshot_retention_days > 35 {
            self.report(
                Code::CacheSnapshotRetention,
                self.at(entry, "SnapshotRetentionLimit"),
                format!("snapshot retention of {} days; ElastiCache keeps at most 35", c.snapshot_retention_days),
                "keep 1 to 35 days",
            );
        } else if c.snapshot_retention_days == 0 {
            self.report(
                Code::CacheWithoutSnapshots,
                self.at(entry, "SnapshotRetentionLimit"),
                "the cache takes no automatic snapshots",
                "keep at least one day of snapshots unless the data is disposable",
            );
        }
        if let Some(id) = &c.replication_group_id {
            let ok = !id.is_empty()
                && id.len() <= 40
                && id.starts_with(|ch: char| ch.is_ascii_lowercase())
                && id.chars().all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-')
                && !id.ends_with('-')
                && !id.contains("--");
            if !ok {
                self.report(
                    Code::InvalidReplicationGroupId,
                    self.at(entry, "ReplicationGroupId"),
                    format!("`{id}` is not a valid replication group id"),
                    "1-40 lowercase letters, digits and single hyphens, starting with a letter",
                );
            }
        }
    }

    /// Buckets block public access and have unique, meaningful lifecycle rules.
    fn bucket(&mut self, entry: &ResourceEntry, b: &Bucket) {
        if !b.block_public_access {
            self.report(
                Code::BucketNotBlockingPublicAccess,
                self.at(entry, "PublicAccessBlockConfiguration"),
                "the bucket does not block public access",
                "set block_public_access to true; serve public files through CloudFront with origin access control",
            );
        }
        if let Some(name) = &b.name {
            let ok = (3..=63).contains(&name.len())
                && name.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
                && name.ends_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
                && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
                && !name.contains("..");
            if !ok {
                self.report(
                    Code::InvalidBucketName,
                    self.at(entry, "BucketName"),
                    format!("`{name}` is not a valid bucket name"),
                    "3-63 lowercase letters, digits, `-` and `.`, starting and ending with a letter or digit",
                );
            }
        }
        let mut ids = BTreeSet::new();
        for (i, r) in b.lifecycle_rules.iter().enumerate() {
            let path = self.at(entry, format!("LifecycleConfiguration.Rules[{i}]"));
            if !ids.insert(r.id.as_str()) {
                self.report(
                    Code::DuplicateLifecycleRuleId,
                    path,
                    format!("lifecycle rule id `{}` is used twice", r.id),
                    "give each rule its own id",
                );
            } else if r.expiration_days.is_none()
                && r.noncurrent_expiration_days.is_none()
                && r.abort_incomplete_upload_days.is_none()
            {
                self.report(
                    Code::LifecycleRuleWithoutPeriod,
                    path,
                    format!("lifecycle rule `{}` does nothing", r.id),
                    "give it an expiration",
                );
            } else if [r.expiration_days, r.noncurrent_expiration_days, r.abort_incomplete_upload_days]
                .contains(&Some(0))
            {
                self.report(
                    Code::LifecycleRuleWithoutPeriod,
                    path,
                    format!("lifecycle rule `{}` has a period of 0 days", r.id),
                    "use 1 day or more",
                );
            }
        }
    }

    /// Nothing in a bucket policy may be allowed to everyone.
    fn bucket_policy(&mut self, entry: &ResourceEntry, p: &BucketPolicy) {
        for (i, st) in p.statements.iter().enumerate() {
            if st.allow && matches!(st.principal, Principal::Any) {
                self.report(
                    Code::BucketPolicyAllowsEveryone,
                    self.at(entry, format!("PolicyDocument.Statement[{i}].Principal")),
                    format!("statement `{}` allows everyone ({})", st.sid, st.actions.join(", ")),
                    "allow a service with an `AWS:SourceArn` condition (e.g. PolicyStatement::cloudfront_read) or a role",
                );
            }
        }
    }

    /// Aliases need a certificate, and viewers get TLS 1.2 or later.
    fn distribution(&mut self, entry: &ResourceEntry, d: &Distribution) {
        match &d.certificate {
            ViewerCertificate::CloudFrontDefault if !d.aliases.is_empty() => self.report(
                Code::AliasesWithoutCertificate,
                self.at(entry, "DistributionConfig.ViewerCertificate"),
                format!("aliases {:?} without a certificate that covers them", d.aliases),
                "give an ACM certificate from us-east-1 (ViewerCertificate::Acm)",
            ),
            ViewerCertificate::Acm { minimum_protocol_version, .. }
                if !minimum_protocol_version.starts_with("TLSv1.2")
                    && !minimum_protocol_version.starts_with("TLSv1.3") =>
            {
                self.report(
                    Code::OutdatedViewerTls,
                    self.at(entry, "DistributionConfig.ViewerCertificate.MinimumProtocolVersion"),
                    format!("viewers may use {minimum_protocol_version}"),
                    "accept TLS 1.2 or later (`TLSv1.2_2021`)",
                );
            }
            _ => {}
        }
    }

    fn scheduled_action(&mut self, entry: &ResourceEntry, a: &ScheduledAction) {
        if a.recurrence.split_whitespace().count() != 5 {
            self.report(
                Code::ScheduledActionRecurrence,
                self.at(entry, "Recurrence"),
                format!("recurrence `{}` does not have five fields", a.recurrence),
                "write minute hour day-of-month month day-of-week, e.g. `0 8 * * *`",
            );
        }
        if a.min_size.is_none() && a.max_size.is_none() && a.desired_capacity.is_none() {
            self.report(
                Code::ScheduledActionChangesNothing,
                self.at(entry, "DesiredCapacity"),
                "the action changes no size",
                "set at least one of min_size, max_size, desired_capacity",
            );
        }
        if let (Some(min), Some(max)) = (a.min_size, a.max_size)
            && min > max
        {
            self.report(
                Code::ScheduledActionSizes,
                self.at(entry, "MinSize"),
                format!("min {min} > max {max}"),
                "fix the sizes",
            );
        }
    }

    fn machine(&mut self, entry: &ResourceEntry, m: &MachineSpec) {
        if let Some(v) = &m.root_volume
            && !v.encrypted
        {
            self.report(
                Code::RootVolumeNotEncrypted,
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
                self.report(
                    Code::UnpinnedHostImage,
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
                    self.report(
                        Code::LiteralSecretOnHost,
                        at(format!("UserData.Containers[{i}].Env.{}", e.name)),
                        "a secret is written as a literal",
                        "use a SecretRef (Secrets Manager or SSM SecureString) so the value never appears in templates or logs",
                    );
                }
            }
        }
        for (i, job) in host.cron.iter().enumerate() {
            if job.schedule.split_whitespace().count() != 5 {
                self.report(
                    Code::HostCronSchedule,
                    at(format!("UserData.Cron[{i}].Schedule")),
                    format!("cron schedule `{}` does not have five fields", job.schedule),
                    "write minute hour day-of-month month day-of-week, e.g. `*/5 * * * *`",
                );
            }
        }
        let found = crate::app::setup_problems(host);
        for p in found {
            let path = at(p.property);
            self.report(p.code, path, p.message, p.hint);
        }
    }

    /// ECS containers: pinned images, secrets only as whole references (the agent injects them
    /// as `secrets`), mounts on the task's volumes, awsvpc ports, and a Fargate size.
    fn task_definition(&mut self, entry: &ResourceEntry, t: &crate::model::TaskDefinition) {
        if t.containers.is_empty() {
            self.report(
                Code::TaskWithoutContainers,
                self.at(entry, "ContainerDefinitions"),
                "a task without containers",
                "add the container",
            );
        }
        for (i, c) in t.containers.iter().enumerate() {
            let at = |p: &str| format!("ContainerDefinitions[{i}].{p}");
            if let Some(problem) = c.image.pin_problem() {
                self.report(
                    Code::UnpinnedTaskImage,
                    self.at(entry, at("Image")),
                    problem,
                    "pin the image to a version tag or a digest, e.g. `campsych/concerto-platform:5.0.28`",
                );
            }
            for e in &c.env {
                match &e.value {
                    Value::Lit(v) if !v.is_empty() && looks_secret(&e.name) => self.report(
                        Code::LiteralSecretInTask,
                        self.at(entry, at(&format!("Environment.{}", e.name))),
                        "a secret is written as a literal",
                        "use a SecretRef (Secrets Manager or SSM SecureString): ECS injects it as a `secrets` entry",
                    ),
                    Value::Secret(s) if s.encoding != crate::value::SecretEncoding::Raw => self.report(
                        Code::EncodedTaskSecret,
                        self.at(entry, at(&format!("Secrets.{}", e.name))),
                        "ECS cannot encode a secret before it injects it",
                        "pass the raw secret and let the application build what it needs (e.g. a URL) from it",
                    ),
                    v if !matches!(v, Value::Secret(_)) && v.contains_secret() => self.report(
                        Code::SecretInsideTaskValue,
                        self.at(entry, at(&format!("Environment.{}", e.name))),
                        "a secret is part of a larger value; ECS injects secrets only as whole variables",
                        "give the secret its own variable (e.g. DB_PASSWORD) and the rest as plain ones",
                    ),
                    _ => {}
                }
            }
            for m in &c.mounts {
                if !t.volumes.iter().any(|v| v.name == m.source) {
                    self.report(
                        Code::TaskMountWithoutVolume,
                        self.at(entry, at("MountPoints")),
                        format!("mount `{}` -> `{}` names no volume of the task", m.source, m.target),
                        format!(
                            "name one of the task's volumes ({})",
                            t.volumes.iter().map(|v| v.name.as_str()).collect::<Vec<_>>().join(", ")
                        ),
                    );
                }
            }
            for p in &c.ports {
                if p.host != p.container {
                    self.report(
                        Code::AwsvpcPortMapping,
                        self.at(entry, at("PortMappings")),
                        format!(
                            "port {} is published as {}; awsvpc tasks publish the container port itself",
                            p.container, p.host
                        ),
                        "map the port to itself (the load balancer's target group chooses the outside port)",
                    );
                }
            }
        }
        if !fargate_size_ok(t.cpu, t.memory_mib) {
            self.report(
                Code::FargateSize,
                self.at(entry, "Memory"),
                format!("{} CPU units with {} MiB is not a Fargate task size", t.cpu, t.memory_mib),
                "e.g. 256 CPU with 512-2048 MiB, 512 with 1024-4096, 1024 with 2048-8192 (steps of 1024)",
            );
        }
    }

    fn ecs_service(&mut self, entry: &ResourceEntry, svc: &crate::model::EcsService) {
        if svc.network.assign_public_ip {
            self.report(
                Code::TaskPublicIp,
                self.at(entry, "NetworkConfiguration.AwsvpcConfiguration.AssignPublicIp"),
                "tasks get public addresses",
                "run tasks in private subnets without public addresses; traffic comes through the load balancer",
            );
        }
        if let Some(i) = svc.network.subnet_ids.iter().position(|s| self.is_public_subnet(s)) {
            self.report(
                Code::TaskInPublicSubnet,
                self.at(entry, format!("NetworkConfiguration.AwsvpcConfiguration.Subnets[{i}]")),
                "tasks are placed in a public subnet",
                "place tasks in the private subnets; the load balancer in the public ones reaches them",
            );
        }
        if svc.minimum_healthy_percent < 100 {
            self.report(
                Code::ServiceCapacityDrops,
                self.at(entry, "DeploymentConfiguration.MinimumHealthyPercent"),
                format!("deployments may drop to {}% of the desired tasks", svc.minimum_healthy_percent),
                "keep 100 (and a maximum of 200) so capacity never drops during a deployment",
            );
        }
        if let (Some(lb), Value::Attr(r)) = (&svc.load_balancer, &svc.task_definition)
            && let Some(Resource::TaskDefinition(t)) = self.stack.resource(&r.id).map(|e| &e.resource)
        {
            let serves = t
                .containers
                .iter()
                .any(|c| c.name == lb.container_name && c.ports.iter().any(|p| p.container == lb.container_port));
            if !serves {
                self.report(
                    Code::LoadBalancerUnknownContainerPort,
                    self.at(entry, "LoadBalancers[0]"),
                    format!(
                        "the load balancer sends traffic to container `{}` port {}, which task `{}` does not have",
                        lb.container_name, lb.container_port, r.id
                    ),
                    "name a container of the task and one of its ports",
                );
            }
        }
    }

    /// True when `subnet` is a subnet of the stack that gives public addresses or whose route
    /// table sends traffic to an internet gateway.
    fn is_public_subnet(&self, subnet: &Value<String>) -> bool {
        let Value::Attr(r) = subnet else { return false };
        let Some(Resource::Subnet(s)) = self.stack.resource(&r.id).map(|e| &e.resource) else { return false };
        if s.map_public_ip_on_launch {
            return true;
        }
        let tables: Vec<&Value<String>> = self
            .stack
            .resources()
            .filter_map(|e| e.resource.get::<crate::model::SubnetRouteTableAssociation>())
            .filter(|a| a.subnet_id == *subnet)
            .map(|a| &a.route_table_id)
            .collect();
        self.stack.resources().any(|e| {
            matches!(&e.resource, Resource::Route(route)
                if tables.contains(&&route.route_table_id)
                    && matches!(route.target, crate::model::RouteTarget::InternetGateway(_)))
        })
    }

    fn file_system(&mut self, entry: &ResourceEntry, fs: &crate::model::FileSystem) {
        if !fs.encrypted {
            self.report(
                Code::FileSystemNotEncrypted,
                self.at(entry, "Encrypted"),
                "the file system is not encrypted",
                "set encrypted to true (it cannot be changed after creation)",
            );
        }
        if !fs.backups {
            self.report(
                Code::FileSystemWithoutBackups,
                self.at(entry, "BackupPolicy"),
                "the file system has no automatic backups",
                "switch backups on: it holds the application's shared data",
            );
        }
    }

    fn schedule(&mut self, entry: &ResourceEntry, s: &crate::model::Schedule) {
        let e = s.expression.as_str();
        let ok = ["rate(", "cron(", "at("].iter().any(|p| e.starts_with(p)) && e.ends_with(')');
        if !ok {
            self.report(
                Code::ScheduleExpression,
                self.at(entry, "ScheduleExpression"),
                format!("`{e}` is not a schedule expression"),
                "write `rate(1 minute)`, `cron(0 3 * * ? *)` (six fields) or `at(2030-01-01T00:00:00)`",
            );
        } else if let Some(fields) = e.strip_prefix("cron(").and_then(|x| x.strip_suffix(')'))
            && fields.split_whitespace().count() != 6
        {
            self.report(
                Code::ScheduleExpression,
                self.at(entry, "ScheduleExpression"),
                format!("`{e}` does not have six fields"),
                "EventBridge cron has minutes hours day-of-month month day-of-week year, e.g. `cron(0 3 * * ? *)`",
            );
        }
        if s.timezone.trim().is_empty() {
            self.report(
                Code::ScheduleWithoutTimezone,
                self.at(entry, "ScheduleExpressionTimezone"),
                "no time zone: the schedule would run in UTC and drift by an hour with daylight saving",
                "give an IANA zone, e.g. `Europe/London`",
            );
        }
        if let ScheduleTarget::RunTask(t) = &s.target
            && t.command.is_empty()
        {
            self.report(
                Code::ScheduledTaskWithoutCommand,
                self.at(entry, "Target.Input"),
                "the scheduled task has no command",
                "give the command the container runs on schedule",
            );
        }
    }

    fn bakes(&mut self) {
        for bake in self.stack.bakes() {
            let owner = format!("bake:{}", bake.name);
            let ok = !bake.name.is_empty()
                && bake.name.starts_with(|c: char| c.is_ascii_lowercase())
                && bake.name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
            if !ok {
                self.report(
                    Code::InvalidBakeName,
                    Path::stack(self.stack.name()).resource(&owner),
                    format!("bake name `{}` is not valid", bake.name),
                    "use lowercase letters, digits and `-` (images are named <name>-v<version>-<build>)",
                );
            }
            if !bake.root_volume.encrypted {
                self.report(
                    Code::RootVolumeNotEncrypted,
                    Path::stack(self.stack.name()).resource(&owner).property("RootVolume.Encrypted"),
                    "the image's root volume is not encrypted",
                    "set encrypted to true",
                );
            }
            self.host(&owner, &bake.host);
            if bake.host.uses_declarative_setup() {
                self.report(
                    Code::BakeWithBootSetup,
                    Path::stack(self.stack.name()).resource(&owner).property("Host"),
                    "an AMI bake carries packages, Docker, files, container images and cron only; \
                     swap, firewall, sysctl, units, timers, supervisor programs, nginx sites and data volumes are set up at boot",
                    "move them to the instance's HostConfig (its cloud-init user data)",
                );
            }
        }
    }

    fn limits(&mut self) {
        let s = self.stack;
        let name = s.name();
        let count = s.resources().len();
        if count > CFN_MAX_RESOURCES {
            self.report(
                Code::TooManyResources,
                Path::stack(name),
                format!(
                    "{count} resources exceed CloudFormation's {CFN_MAX_RESOURCES} per template: the CloudFormation output is split into nested stacks"
                ),
                "deploy it with `aws cloudformation package` (it uploads the nested templates) and `aws cloudformation deploy`; Terraform output is not split",
            );
        }
        if s.parameters().len() > CFN_MAX_PARAMETERS {
            self.report(
                Code::TooManyParameters,
                Path::stack(name),
                format!("{} parameters exceed CloudFormation's {CFN_MAX_PARAMETERS}", s.parameters().len()),
                "use fewer parameters",
            );
        }
        if s.outputs().len() > CFN_MAX_OUTPUTS {
            self.report(
                Code::TooManyOutputs,
                Path::stack(name),
                format!("{} outputs exceed CloudFormation's {CFN_MAX_OUTPUTS}", s.outputs().len()),
                "use fewer outputs",
            );
        }
        let mut labels = std::collections::BTreeMap::new();
        for e in s.resources() {
            if let Some(other) = labels.insert(e.id.snake_case(), e.id.clone()) {
                self.report(
                    Code::TerraformLabelClash,
                    Path::stack(name).resource(e.id.as_str()),
                    format!("`{}` and `{other}` give the same Terraform label `{}`", e.id, e.id.snake_case()),
                    "rename one of them",
                );
            }
        }
    }
}

/// Names that suggest a secret value.
fn looks_secret(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    ["PASSWORD", "SECRET", "TOKEN", "PRIVATE_KEY", "ACCESS_KEY"].iter().any(|w| upper.contains(w))
}

/// Fargate's CPU and memory combinations.
fn fargate_size_ok(cpu: u32, memory_mib: u32) -> bool {
    let (min, max, step) = match cpu {
        256 => return matches!(memory_mib, 512 | 1024 | 2048),
        512 => (1024, 4096, 1024),
        1024 => (2048, 8192, 1024),
        2048 => (4096, 16384, 1024),
        4096 => (8192, 30720, 1024),
        8192 => (16384, 61440, 4096),
        16384 => (32768, 122_880, 8192),
        _ => return false,
    };
    (min..=max).contains(&memory_mib) && memory_mib.is_multiple_of(step)
}
