//! The registry of diagnostic codes: one [`Code`] per check, with its stable `IACnnn` string,
//! its severity, a title, an explanation, an example of what triggers it and the fix.
//!
//! Every check of the crate reports one of these codes and no code serves two checks: the
//! same rule applied to the same kind of thing in several places (a container image pinned in
//! a host's container list or in one of its systemd units, port 0 in a firewall rule or an
//! nginx site) is one check; a different rule, or the same rule on a different thing, gets its
//! own code. Codes are never reused: a retired check keeps its number out of use.
//!
//! Numbers are grouped by area: `IAC001`-`IAC009` the builder, ids and references,
//! `IAC010`-`IAC063` network exposure, databases, compute, hosts and template limits,
//! `IAC070`-`IAC081` rollout plans, `IAC090`-`IAC092` stack copies, `IAC100`-`IAC118` caches,
//! buckets, CloudFront and scheduled actions, `IAC120`-`IAC138` ECS, EFS, logs and schedules,
//! `IAC139`-`IAC159` apps for container platforms, `IAC160`-`IAC179` host setup and
//! DigitalOcean. `IAC180` and later are checks that used to share a code with another check in
//! a full group, or new checks of a full group; each names the group it belongs to.
//!
//! [`reference()`] writes the whole registry as Markdown for the user documentation.

use std::fmt;
use std::fmt::Write as _;

use serde::{Serialize, Serializer};

use super::Severity;

/// What the registry says about one code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeInfo {
    /// The stable code, e.g. `IAC023`.
    pub code: &'static str,
    /// The variant's name, e.g. `BackupRetention`.
    pub name: &'static str,
    /// Whether the problem stops synth and deploy.
    pub severity: Severity,
    /// One line: what is wrong.
    pub title: &'static str,
    /// What the check looks at and why it matters.
    pub explanation: &'static str,
    /// What triggers it.
    pub example: &'static str,
    /// How to fix it.
    pub fix: &'static str,
}

macro_rules! registry {
    ($(
        $name:ident = $code:literal, $severity:ident {
            title: $title:literal,
            explanation: $explanation:literal,
            example: $example:literal,
            fix: $fix:literal $(,)?
        }
    )*) => {
        /// One check of the crate. [`Code::info`] gives its `IACnnn` code, severity, title,
        /// explanation, an example and the fix.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[non_exhaustive]
        pub enum Code {
            $(
                #[doc = concat!("`", $code, "` (", stringify!($severity), "): ", $title, ".")]
                $name,
            )*
        }

        impl Code {
            /// Every code, in the order of the registry (by number).
            pub const ALL: &'static [Code] = &[$(Code::$name),*];

            /// What the registry says about this code.
            pub fn info(self) -> &'static CodeInfo {
                match self {
                    $(
                        Code::$name => &CodeInfo {
                            code: $code,
                            name: stringify!($name),
                            severity: Severity::$severity,
                            title: $title,
                            explanation: $explanation,
                            example: $example,
                            fix: $fix,
                        },
                    )*
                }
            }
        }
    };
}

impl Code {
    /// The stable code, e.g. `IAC023`.
    pub fn as_str(self) -> &'static str {
        self.info().code
    }

    /// The severity every problem of this check has.
    pub fn severity(self) -> Severity {
        self.info().severity
    }

    /// One line: what is wrong.
    pub fn title(self) -> &'static str {
        self.info().title
    }

    /// The code whose string is `code` (e.g. `IAC023`), if there is one.
    pub fn find(code: &str) -> Option<Code> {
        Code::ALL.iter().copied().find(|c| c.as_str() == code)
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Code {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl PartialEq<str> for Code {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Code {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<Code> for &str {
    fn eq(&self, other: &Code) -> bool {
        *self == other.as_str()
    }
}

/// Every code, for documentation: the same as [`Code::ALL`].
pub fn all() -> &'static [Code] {
    Code::ALL
}

/// The registry as Markdown: one section per code with its severity, explanation, example and
/// fix, in the order of the codes.
pub fn reference() -> String {
    let mut out = String::from("# Diagnostic codes\n");
    for code in Code::ALL {
        let i = code.info();
        let _ = write!(
            out,
            "\n## {} {}\n\n{} ({}). {}\n\n- Example: {}\n- Fix: {}\n",
            i.code, i.name, i.title, i.severity, i.explanation, i.example, i.fix
        );
    }
    out
}

registry! {
    // IAC001-IAC009: the builder, logical ids and references.
    InvalidLogicalId = "IAC001", Error {
        title: "a logical id is not valid",
        explanation: "Resource, parameter and output ids follow CloudFormation's rule (ASCII letters and digits, a letter first, at most 255 characters), the strictest of the backends, so each backend can derive its own names from them.",
        example: "`stack.add(\"web-server\", ...)`",
        fix: "use letters and digits, e.g. `WebServer`",
    }
    DuplicateLogicalId = "IAC002", Error {
        title: "a logical id is used twice",
        explanation: "Resources and parameters share one namespace in a stack; a second resource or parameter with the same id is dropped.",
        example: "adding two resources called `Vpc`, or a copy of a stack under a prefix already used",
        fix: "give each resource and parameter its own id",
    }
    DependencyCycle = "IAC003", Error {
        title: "resources depend on each other in a circle",
        explanation: "The references and explicit dependencies of the stack must form a graph without cycles, or no backend can order the resources.",
        example: "two security groups whose inline rules admit each other",
        fix: "remove one reference of the cycle, e.g. move one rule into a separate SecurityGroupIngress",
    }
    UnknownResource = "IAC004", Error {
        title: "a reference or dependency names a resource that is not in the stack",
        explanation: "Every typed reference (`AttrRef`) and every `depends_on` entry must name a resource of the same stack.",
        example: "a value referring to `Db` after the database was renamed `Database`",
        fix: "add the resource or fix the id",
    }
    UnknownAttribute = "IAC005", Error {
        title: "a reference asks for an attribute the resource kind does not have",
        explanation: "Each kind exposes a closed set of attributes (`Id`, `Arn`, `EndpointAddress`, ...); a reference to any other cannot be rendered.",
        example: "`Attr::EndpointAddress` of a VPC",
        fix: "use one of the attributes listed in the message",
    }
    UnknownParameter = "IAC006", Error {
        title: "a value uses a parameter the stack does not declare",
        explanation: "`Value::Param` must name a parameter added with `StackBuilder::parameter`.",
        example: "`Value::Param(\"ImageId\")` in a stack without an `ImageId` parameter",
        fix: "declare it with `StackBuilder::parameter`",
    }
    InvalidStackName = "IAC007", Error {
        title: "a stack name or environment is not valid",
        explanation: "The stack name and environment prefix every physical name (`<stack>-<env>-<id>`), so they must be 1-32 lowercase letters, digits and `-`, starting with a letter.",
        example: "`StackBuilder::new(\"Demo\", \"dev\")`",
        fix: "use lowercase, e.g. `demo`",
    }
    DuplicateBake = "IAC008", Error {
        title: "two AMI bakes have the same name",
        explanation: "Images are named `<bake>-v<version>-<build>`, so a second bake with the same name would overwrite the first one's images.",
        example: "calling `StackBuilder::bake` twice with bakes named `aq-web`",
        fix: "give each bake its own name",
    }
    DuplicateApp = "IAC009", Error {
        title: "two apps have the same name",
        explanation: "An app names its compose project and labels its Kubernetes objects; two apps with one name would overwrite each other.",
        example: "calling `StackBuilder::app` twice with apps named `concerto`",
        fix: "give each app its own name",
    }

    // IAC010-IAC019: network exposure.
    WorldOpenIngress = "IAC010", Error {
        title: "a security group admits the whole internet",
        explanation: "Only ports 80 and 443 of an internet-facing load balancer may be open to 0.0.0.0/0 or ::/0; everything else is reached through the load balancer, a VPN or SSM.",
        example: "an ingress rule for port 22 from `Peer::World`",
        fix: "admit the load balancer's group, the subnet range or a VPN range instead",
    }
    DataStoreOpenToRange = "IAC011", Error {
        title: "a database's or cache's security group admits an address range",
        explanation: "Databases and caches are reachable only from the tiers that use them, named by their security groups.",
        example: "a rule on the database's group from `10.0.0.0/16`",
        fix: "admit only the security groups of the tiers that use it (`Peer::Group`)",
    }

    // IAC020-IAC029: databases.
    PublicDatabase = "IAC020", Error {
        title: "a database is publicly accessible",
        explanation: "A publicly accessible RDS instance gets a public address; databases are never reachable from the internet.",
        example: "`DbInstance { publicly_accessible: true, .. }`",
        fix: "set `publicly_accessible` to false and reach it from the named tiers",
    }
    DatabaseWithoutDeletionProtection = "IAC021", Error {
        title: "a database has no deletion protection",
        explanation: "Stateful resources carry deletion protection so that a mistaken delete or replacement cannot drop the data (read replicas are exempt).",
        example: "`DbInstance { deletion_protection: false, .. }`",
        fix: "set `deletion_protection` to true",
    }
    DatabaseNotEncrypted = "IAC022", Error {
        title: "a database's storage is not encrypted",
        explanation: "Storage is encrypted at rest; RDS cannot switch encryption on for an existing instance.",
        example: "`DbInstance { storage_encrypted: false, .. }`",
        fix: "set `storage_encrypted` to true",
    }
    BackupRetention = "IAC023", Error {
        title: "a database keeps automated backups for too few or too many days",
        explanation: "RDS keeps automated backups for 1 to 35 days; 0 switches them off and point-in-time recovery with them (a read replica may keep 0).",
        example: "`DbInstance { backup_retention_days: 0, .. }` on a primary",
        fix: "keep at least 7 days",
    }
    DatabaseWithoutSecurityGroup = "IAC024", Error {
        title: "a database has no security group",
        explanation: "Without a group the VPC's default group applies, which admits everything in that group.",
        example: "`DbInstance { security_group_ids: vec![], .. }`",
        fix: "use the Database pattern or give a group that admits the named tiers",
    }
    InvalidDbIdentifier = "IAC025", Error {
        title: "a database identifier is not valid",
        explanation: "RDS identifiers are 1-63 lowercase letters, digits and single hyphens, starting with a letter and not ending with a hyphen.",
        example: "`identifier: Some(\"Shop_DB\".into())`",
        fix: "write it in lowercase with single hyphens, e.g. `shop-db`",
    }

    // IAC030-IAC039: compute, load balancers and subnets.
    GroupSizes = "IAC030", Error {
        title: "an auto scaling group's sizes do not hold min <= desired <= max",
        explanation: "EC2 Auto Scaling rejects a desired capacity outside the group's minimum and maximum.",
        example: "`AutoScalingGroup { min_size: 2, desired_capacity: 1, max_size: 4, .. }`",
        fix: "make min_size <= desired_capacity <= max_size",
    }
    GroupWithoutSubnets = "IAC031", Error {
        title: "an auto scaling group has no subnets",
        explanation: "A group launches its instances into the subnets it is given; without any it cannot launch.",
        example: "`AutoScalingGroup { subnet_ids: vec![], .. }`",
        fix: "give the private subnets",
    }
    HealthCheckPath = "IAC032", Error {
        title: "a target group's health check path is not absolute",
        explanation: "The load balancer requests the path on each target; it must start with `/`.",
        example: "`HealthCheck { path: \"ping\".into(), .. }`",
        fix: "write it as an absolute path, e.g. `/ping`",
    }
    HttpsWithoutCertificate = "IAC033", Error {
        title: "an HTTPS listener has no certificate",
        explanation: "An HTTPS listener needs at least one ACM certificate to terminate TLS.",
        example: "`Listener { protocol: AppProtocol::Https, certificate_arns: vec![], .. }`",
        fix: "add an ACM certificate ARN (usually a parameter)",
    }
    PlainHttpForwarded = "IAC034", Warning {
        title: "plain HTTP is forwarded to the application",
        explanation: "An HTTP listener that forwards to the targets serves the application without TLS.",
        example: "`Listener { protocol: AppProtocol::Http, default_action: ListenerAction::Forward(..), .. }`",
        fix: "redirect HTTP to HTTPS (`ListenerAction::RedirectToHttps`)",
    }
    LoadBalancerOneZone = "IAC035", Error {
        title: "an application load balancer has subnets in fewer than two zones",
        explanation: "AWS requires an application load balancer to span at least two availability zones.",
        example: "`LoadBalancer { subnet_ids: vec![public_a], .. }`",
        fix: "give two or more subnets in different zones",
    }
    DbSubnetGroupOneZone = "IAC036", Error {
        title: "a DB subnet group has subnets in fewer than two zones",
        explanation: "RDS requires a DB subnet group to cover at least two availability zones, even for a single-AZ instance.",
        example: "`DbSubnetGroup { subnet_ids: vec![private_a], .. }`",
        fix: "give two or more private subnets",
    }
    PublicIpOnLaunch = "IAC037", Warning {
        title: "a subnet gives its instances public addresses",
        explanation: "Instances are kept private and reached through the load balancer, a bastion or SSM; a subnet that maps public addresses exposes everything launched into it.",
        example: "`Subnet { map_public_ip_on_launch: true, .. }`",
        fix: "keep instances private; reach them through the load balancer, a bastion or SSM",
    }
    InvalidSubnetRange = "IAC038", Error {
        title: "a subnet's range is missing or not a CIDR block",
        explanation: "A literal subnet range must be a network address with its prefix length; the Network pattern leaves it empty when the VPC's range has no room for the subnet.",
        example: "`cidr_block: \"10.0.0.1/20\".into()` (host bits set), or a /17 VPC asked for six /18 subnets",
        fix: "give the VPC a larger range or fewer, smaller subnets",
    }
    SubnetOutsideVpc = "IAC039", Error {
        title: "a subnet's range is outside its VPC's range",
        explanation: "A subnet is carved out of its VPC's range; EC2 rejects a range the VPC does not contain.",
        example: "a `10.1.0.0/20` subnet in a `10.0.0.0/16` VPC",
        fix: "carve subnets out of the VPC's range",
    }

    // IAC040-IAC049: hosts and AMI bakes.
    RootVolumeNotEncrypted = "IAC040", Error {
        title: "a root volume is not encrypted",
        explanation: "The root volume of a launch template, an instance or a baked image is encrypted at rest.",
        example: "`RootVolume { encrypted: false, .. }`",
        fix: "set `encrypted` to true (`RootVolume::gp3` does)",
    }
    UnpinnedHostImage = "IAC041", Error {
        title: "a host's container image is not pinned",
        explanation: "Images run on hosts (in the container list or a systemd unit) are pinned to a version tag or a digest so that a release runs what was tested; `latest` or no tag moves under it.",
        example: "`Container::new(\"app\", \"vpac/aquamark:latest\")` in a host's setup",
        fix: "pin the image to a version tag or a digest, e.g. `vpac/aquamark:1.0.1`",
    }
    LiteralSecretOnHost = "IAC042", Error {
        title: "a host container's secret is written as a literal",
        explanation: "A variable whose name suggests a secret (PASSWORD, SECRET, TOKEN, PRIVATE_KEY, ACCESS_KEY) must come from a secret reference, so the value never appears in templates, user data or logs.",
        example: "`.env(\"DB_PASSWORD\", \"hunter2\")` on a host container",
        fix: "use a `SecretRef` (Secrets Manager or SSM SecureString)",
    }
    HostCronSchedule = "IAC043", Error {
        title: "a host cron job's schedule does not have five fields",
        explanation: "Host cron jobs are written to `/etc/cron.d`, whose schedules have minute, hour, day of month, month and day of week.",
        example: "`CronJob { schedule: \"*/5 * * *\".into(), .. }`",
        fix: "write five fields, e.g. `*/5 * * * *`",
    }
    InvalidBakeName = "IAC044", Error {
        title: "an AMI bake's name is not valid",
        explanation: "Baked images are named `<name>-v<version>-<build>`, so the name is lowercase letters, digits and `-`, starting with a letter.",
        example: "`Bake { name: \"Web_Image\".into(), .. }`",
        fix: "use lowercase letters, digits and `-`, e.g. `aq-web`",
    }

    // IAC050: suppressions.
    SuppressionWithoutReason = "IAC050", Error {
        title: "a policy suppression has no real reason",
        explanation: "A suppressed checkov check is rendered with its reason into the output for reviewers; an empty or placeholder reason tells them nothing.",
        example: "`Suppression { check: \"CKV_AWS_91\".into(), reason: \"\".into() }`",
        fix: "write why the check does not apply here",
    }

    // IAC060-IAC069: template limits.
    TooManyResources = "IAC060", Warning {
        title: "the stack has more resources than one CloudFormation template takes",
        explanation: "CloudFormation accepts at most 500 resources per template; the CloudFormation output is then split into nested stacks, which must be packaged before deploying.",
        example: "a stack with 504 resources",
        fix: "deploy it with `aws cloudformation package` and `aws cloudformation deploy`, or split the stack",
    }
    TooManyParameters = "IAC061", Error {
        title: "the stack has more parameters than CloudFormation takes",
        explanation: "CloudFormation accepts at most 200 parameters per template.",
        example: "a stack with 201 parameters",
        fix: "use fewer parameters",
    }
    TooManyOutputs = "IAC062", Error {
        title: "the stack has more outputs than CloudFormation takes",
        explanation: "CloudFormation accepts at most 200 outputs per template.",
        example: "a stack with 201 outputs",
        fix: "use fewer outputs",
    }
    TerraformLabelClash = "IAC063", Error {
        title: "two logical ids give the same Terraform label",
        explanation: "Terraform labels are the snake_case form of the logical ids, so ids that differ only in case or word breaks collide.",
        example: "resources `WebSg` and `WEBSg`",
        fix: "rename one of them",
    }

    // IAC070-IAC089: rollout plans.
    StepUnknownRole = "IAC070", Error {
        title: "a rollout step names no role of the plan",
        explanation: "Every step runs on one of the plan's roles, named by its role name.",
        example: "`Step::Stop(\"worker\")` in a plan whose roles are `web` and `workers`",
        fix: "use one of the role names listed in the hint",
    }
    StepDoesNotFitRole = "IAC071", Error {
        title: "a rollout step does not fit its role's kind",
        explanation: "Web roles switch, workers and singletons stop and start, and hosts are updated in place.",
        example: "`Step::Switch(\"workers\")` on a workers role",
        fix: "use the step that fits the role",
    }
    StartWithoutStop = "IAC072", Error {
        title: "a role is started without being stopped first",
        explanation: "Starting a role that still runs would run old and new side by side, which a singleton must never do.",
        example: "`start workers` with no `stop workers` before it",
        fix: "add `stop <role>` before the start",
    }
    RoleLeftStopped = "IAC073", Error {
        title: "a role is stopped and never started again",
        explanation: "A release that stops a role must start it again, or the release leaves it down.",
        example: "`stop workers`, `run migrations` and no `start workers`",
        fix: "add `start <role>` after the migration",
    }
    RoleKeepsOldImage = "IAC074", Warning {
        title: "a role is never upgraded by the plan",
        explanation: "A role that no step switches, starts or updates keeps running the old image after the release.",
        example: "a `workers` role with no step on it",
        fix: "add a step that upgrades it, or remove the role",
    }
    RoleResourceKind = "IAC075", Error {
        title: "a role names a resource that is not in the stack or is of the wrong kind",
        explanation: "A role runs on resources of the stack (a group, its launch template and target group, or an instance), given by their handles.",
        example: "`Role::workers(\"workers\", &launch_template_handle_as_group, ..)`, or an id that is not in the stack",
        fix: "pass the handles of the role's resources, as returned by the pattern that added them",
    }
    RoleRunsOnWrongKind = "IAC076", Error {
        title: "a role's kind does not fit where it runs",
        explanation: "Web roles run on a group behind a target group, workers and singletons on a group, hosts on one instance.",
        example: "a web role built on a group with no target group",
        fix: "build roles with `Role::web`, `Role::workers`, `Role::singleton` or `Role::host`",
    }
    GroupNotFromLaunchTemplate = "IAC077", Error {
        title: "a role's group is not launched from the role's launch template",
        explanation: "A rollout writes a new version of the role's launch template; a group launched from another template would never run it.",
        example: "a role naming `WorkerLt` for a group whose `launch_template_id` is `WebLt`",
        fix: "pass the launch template the group's LaunchTemplate refers to",
    }
    SingletonGroupTooLarge = "IAC078", Error {
        title: "a singleton role's group may run more than one instance",
        explanation: "A singleton runs exactly one copy; a group with a maximum size above 1 could run two.",
        example: "`Role::singleton` on a group with `max_size: 2`",
        fix: "set the group's max_size to 1",
    }
    CommandOnStoppedRole = "IAC079", Error {
        title: "a one-off command runs on a role while it is stopped",
        explanation: "A command runs in the role's containers; while the role is stopped nothing of it runs to take the command.",
        example: "`stop workers`, then `run workers rake db:migrate`",
        fix: "run it on a role that is up at that point (a host, or the web role), or before the stop",
    }
    StepNeedsContainer = "IAC080", Error {
        title: "a step needs the role's image or containers, but the role runs none",
        explanation: "Commands and image arguments use the role's first container; a role whose host runs no container has none to give.",
        example: "`run host migrate` on a role whose instance's user data has no container",
        fix: "give the role's host config a container, or drop the step",
    }
    GroupNotInTargetGroup = "IAC081", Error {
        title: "a web role's group does not register in the role's target group",
        explanation: "The green group of a blue/green rollout joins the role's target group; the blue group must be in it too, or the switch moves no traffic.",
        example: "a web role naming target group `WebTg` for a group whose `target_group_arns` are empty",
        fix: "pass the target group in the group's target groups",
    }
    ServiceNotOnTaskDefinition = "IAC082", Error {
        title: "a service role's service does not run the role's task definition or target group",
        explanation: "A rollout registers a new revision of the role's task definition and moves the role's service to it, then waits for its tasks to be healthy in the role's target group; a service on another task definition or target group would never run or show it.",
        example: "`Role::service(\"web\", &service, &other_task_definition, &target_group)`",
        fix: "pass the task definition and target group the service's TaskDefinition and LoadBalancers refer to",
    }

    // IAC090-IAC099: copies of stacks.
    InvalidCopyPrefix = "IAC090", Error {
        title: "a stack copy's prefix is not valid",
        explanation: "The prefix starts every copied logical id, so it is letters and digits starting with an upper-case letter.",
        example: "`CopyOptions { prefix: \"c-2\".into(), .. }`",
        fix: "use letters and digits starting with an upper-case letter, e.g. `C002`",
    }
    CopyParameterDiffers = "IAC091", Error {
        title: "a copied parameter differs from the one already in the stack",
        explanation: "Copies share parameters by id, so a parameter must be declared the same way in every copy.",
        example: "two copies whose `ImageId` parameters have different defaults",
        fix: "make them equal or rename one",
    }
    CopyBakeDiffers = "IAC092", Error {
        title: "a copied bake differs from the one already in the stack",
        explanation: "Copies share bakes by name, so a bake must be the same in every copy.",
        example: "two copies whose `aq-web` bakes install different packages",
        fix: "make them equal or rename one",
    }

    // IAC100-IAC119: caches, buckets, CloudFront, scheduled actions and replicas.
    CacheNotEncryptedAtRest = "IAC100", Error {
        title: "a cache is not encrypted at rest",
        explanation: "ElastiCache encryption at rest can only be chosen when the replication group is created.",
        example: "`CacheReplicationGroup { at_rest_encryption: false, .. }`",
        fix: "set `at_rest_encryption` to true",
    }
    CacheWithoutTls = "IAC101", Error {
        title: "clients reach a cache without TLS",
        explanation: "Traffic to the cache is encrypted in transit.",
        example: "`CacheReplicationGroup { transit_encryption: false, .. }`",
        fix: "set `transit_encryption` to true and connect with TLS (`rediss://`)",
    }
    CacheMultiAzWithoutFailover = "IAC102", Error {
        title: "a Multi-AZ cache has no automatic failover or no replica",
        explanation: "ElastiCache Multi-AZ needs automatic failover and at least two nodes.",
        example: "`CacheReplicationGroup { multi_az: true, num_cache_clusters: 1, .. }`",
        fix: "switch `automatic_failover` on and use `num_cache_clusters` of 2 or more",
    }
    CacheWithoutSecurityGroup = "IAC103", Error {
        title: "a cache has no security group",
        explanation: "Without a group the VPC's default group applies, which admits everything in that group.",
        example: "`CacheReplicationGroup { security_group_ids: vec![], .. }`",
        fix: "use the Cache pattern or give a group that admits the named tiers",
    }
    CacheSnapshotRetention = "IAC104", Error {
        title: "a cache keeps snapshots for more than 35 days",
        explanation: "ElastiCache keeps automatic snapshots for at most 35 days.",
        example: "`CacheReplicationGroup { snapshot_retention_days: 90, .. }`",
        fix: "keep 1 to 35 days",
    }
    InvalidReplicationGroupId = "IAC105", Error {
        title: "a cache's replication group id is not valid",
        explanation: "Replication group ids are 1-40 lowercase letters, digits and single hyphens, starting with a letter and not ending with a hyphen.",
        example: "`replication_group_id: Some(\"Shop--Cache\".into())`",
        fix: "write it in lowercase with single hyphens, e.g. `shop-cache`",
    }
    CacheSubnetGroupOneZone = "IAC106", Warning {
        title: "a cache subnet group is in one zone",
        explanation: "Multi-AZ failover moves the primary to another zone; with subnets in one zone it has nowhere to go.",
        example: "`CacheSubnetGroup { subnet_ids: vec![private_a], .. }`",
        fix: "give private subnets in two or more zones",
    }
    BucketNotBlockingPublicAccess = "IAC107", Error {
        title: "a bucket does not block public access",
        explanation: "Buckets block public access; public files are served through CloudFront with origin access control.",
        example: "`Bucket { block_public_access: false, .. }`",
        fix: "set `block_public_access` to true",
    }
    InvalidBucketName = "IAC108", Error {
        title: "a bucket name is not valid",
        explanation: "S3 bucket names are 3-63 lowercase letters, digits, `-` and `.`, starting and ending with a letter or digit, without `..`.",
        example: "`name: Some(\"My_Assets\".into())`",
        fix: "write it in lowercase, e.g. `my-assets`",
    }
    LifecycleRuleWithoutPeriod = "IAC109", Error {
        title: "a bucket lifecycle rule has no period or a period of 0 days",
        explanation: "A lifecycle rule expires objects, noncurrent versions or incomplete uploads after one day or more; a rule with none of them does nothing.",
        example: "`LifecycleRule { expiration_days: None, noncurrent_expiration_days: None, abort_incomplete_upload_days: None, .. }`",
        fix: "give it an expiration of 1 day or more",
    }
    BucketPolicyAllowsEveryone = "IAC110", Error {
        title: "a bucket policy allows everyone",
        explanation: "No statement of a bucket policy may allow `*`; CloudFront reads through a service principal with an `AWS:SourceArn` condition.",
        example: "a statement with `Principal::Any` and `allow: true`",
        fix: "allow a service with a source condition (e.g. `PolicyStatement::cloudfront_read`) or a role",
    }
    AliasesWithoutCertificate = "IAC111", Error {
        title: "a distribution has aliases but no certificate that covers them",
        explanation: "CloudFront serves an alias over HTTPS only with an ACM certificate (from us-east-1) that covers it.",
        example: "`Distribution { aliases: vec![\"assets.example.org\".into()], certificate: ViewerCertificate::CloudFrontDefault, .. }`",
        fix: "give an ACM certificate from us-east-1 (`ViewerCertificate::Acm`)",
    }
    ScheduledActionRecurrence = "IAC112", Error {
        title: "a scheduled action's recurrence does not have five fields",
        explanation: "Auto Scaling recurrences are cron expressions with minute, hour, day of month, month and day of week.",
        example: "`ScheduledAction { recurrence: \"0 8 * *\".into(), .. }`",
        fix: "write five fields, e.g. `0 8 * * *`",
    }
    ReplicaSource = "IAC113", Error {
        title: "a read replica's source is not a primary of the same engine",
        explanation: "A read replica replicates an RDS instance of the same engine that is not itself a replica (the patterns do not chain replicas).",
        example: "a PostgreSQL replica of a MySQL instance, or a replica of a replica",
        fix: "replicate the primary (`Database::add_read_replica`)",
    }
    CacheWithoutSnapshots = "IAC114", Warning {
        title: "a cache takes no automatic snapshots",
        explanation: "Without snapshots the cache's data is lost with the group; that is fine only for disposable data.",
        example: "`CacheReplicationGroup { snapshot_retention_days: 0, .. }`",
        fix: "keep at least one day of snapshots unless the data is disposable",
    }
    DuplicateLifecycleRuleId = "IAC115", Error {
        title: "two lifecycle rules of a bucket have the same id",
        explanation: "S3 rejects a lifecycle configuration whose rule ids are not unique.",
        example: "two rules with id `expire-logs`",
        fix: "give each rule its own id",
    }
    OutdatedViewerTls = "IAC116", Error {
        title: "a distribution accepts TLS older than 1.2",
        explanation: "Viewers connect with TLS 1.2 or later; older protocols have known weaknesses.",
        example: "`ViewerCertificate::Acm { minimum_protocol_version: \"TLSv1\".into(), .. }`",
        fix: "accept TLS 1.2 or later (`TLSv1.2_2021`)",
    }
    ScheduledActionChangesNothing = "IAC117", Error {
        title: "a scheduled action changes no size",
        explanation: "A scheduled action sets at least one of the group's minimum, maximum and desired capacity.",
        example: "`ScheduledAction { min_size: None, max_size: None, desired_capacity: None, .. }`",
        fix: "set at least one of `min_size`, `max_size`, `desired_capacity`",
    }
    ScheduledActionSizes = "IAC118", Error {
        title: "a scheduled action's minimum is above its maximum",
        explanation: "Auto Scaling rejects a scheduled minimum size larger than the maximum.",
        example: "`ScheduledAction { min_size: Some(4), max_size: Some(2), .. }`",
        fix: "make min_size <= max_size",
    }

    // IAC120-IAC138: ECS, EFS, logs and schedules.
    UnpinnedTaskImage = "IAC120", Error {
        title: "an ECS container's image is not pinned",
        explanation: "Task definitions pin their images to a version tag or a digest so a deployment runs what was tested.",
        example: "an ECS container with image `campsych/concerto-platform:latest`",
        fix: "pin the image to a version tag or a digest, e.g. `campsych/concerto-platform:5.0.28`",
    }
    LiteralSecretInTask = "IAC121", Error {
        title: "an ECS container's secret is written as a literal",
        explanation: "A variable whose name suggests a secret must be a secret reference, which ECS injects as a `secrets` entry, so the value never appears in the task definition.",
        example: "`.env(\"DB_PASSWORD\", \"hunter2\")` on an ECS container",
        fix: "use a `SecretRef` (Secrets Manager or SSM SecureString)",
    }
    SecretInsideTaskValue = "IAC122", Error {
        title: "an ECS variable embeds a secret in a larger value",
        explanation: "ECS injects secrets only as whole variables; it cannot build a value such as a URL around one.",
        example: "`DATABASE_URL` joined from a host name and a password secret",
        fix: "give the secret its own variable (e.g. `DB_PASSWORD`) and the rest as plain ones",
    }
    TaskMountWithoutVolume = "IAC123", Error {
        title: "an ECS container mounts a volume the task does not have",
        explanation: "Each mount point names one of the task definition's volumes.",
        example: "a mount of `data` in a task whose only volume is `uploads`",
        fix: "name one of the task's volumes (listed in the hint)",
    }
    FargateSize = "IAC124", Error {
        title: "a task's CPU and memory are not a Fargate size",
        explanation: "Fargate runs only certain CPU and memory combinations.",
        example: "256 CPU units with 4096 MiB",
        fix: "pick a valid pair, e.g. 256 CPU with 512-2048 MiB, or 512 with 1024-4096",
    }
    TaskWithoutContainers = "IAC125", Error {
        title: "a task definition has no containers",
        explanation: "A task runs at least one container.",
        example: "`TaskDefinition { containers: vec![], .. }`",
        fix: "add the container",
    }
    FileSystemOpenToRange = "IAC126", Error {
        title: "a file system's security group admits an address range",
        explanation: "EFS mount targets admit NFS only from the security groups of the tiers that mount them.",
        example: "a rule on the mount targets' group from `10.0.0.0/16`",
        fix: "admit port 2049 only from the tiers' security groups (`Peer::Group`)",
    }
    AwsvpcPortMapping = "IAC127", Error {
        title: "an awsvpc container publishes a port under another number",
        explanation: "With awsvpc networking a task publishes the container port itself; the target group chooses the outside port.",
        example: "`.with_port(80, 8080)` on an ECS container",
        fix: "map the port to itself",
    }
    AccessPointRoot = "IAC128", Error {
        title: "an EFS access point's root is not an absolute sub-directory",
        explanation: "Each access point confines its clients to their own tree, so its root is an absolute directory other than `/`.",
        example: "`AccessPoint { root_directory: \"/\".into(), .. }`",
        fix: "give the directory clients see as `/`, e.g. `/data`",
    }
    ScheduleExpression = "IAC129", Error {
        title: "an EventBridge schedule expression is not valid",
        explanation: "EventBridge Scheduler takes `rate(...)`, `at(...)` or a six-field `cron(...)` (minutes, hours, day of month, month, day of week, year).",
        example: "`Schedule { expression: \"cron(0 3 * * *)\".into(), .. }` (five fields)",
        fix: "write e.g. `rate(1 minute)`, `cron(0 3 * * ? *)` or `at(2030-01-01T00:00:00)`",
    }
    ScheduledTaskWithoutCommand = "IAC130", Error {
        title: "a scheduled task has no command",
        explanation: "A schedule that runs an ECS task overrides the container's command with the job to run.",
        example: "a `ScheduleTarget::RunTask` with an empty command",
        fix: "give the command the container runs on schedule",
    }
    TaskPublicIp = "IAC131", Error {
        title: "an ECS service gives its tasks public addresses",
        explanation: "Tasks run in private subnets without public addresses; traffic comes through the load balancer.",
        example: "`EcsService { network: AwsvpcConfig { assign_public_ip: true, .. }, .. }`",
        fix: "switch `assign_public_ip` off and use the private subnets",
    }
    LogRetention = "IAC132", Error {
        title: "a log group's retention is not one CloudWatch Logs accepts",
        explanation: "CloudWatch Logs accepts only a fixed list of retention periods (1, 3, 5, 7, 14, 30, ... days).",
        example: "`LogGroup { retention_days: 10, .. }`",
        fix: "use one of the periods listed in the hint",
    }
    ServiceCapacityDrops = "IAC133", Warning {
        title: "an ECS service's deployments may drop below the desired count",
        explanation: "A minimum healthy percent below 100 lets ECS stop tasks before their replacements are healthy.",
        example: "`EcsService { minimum_healthy_percent: 50, .. }`",
        fix: "keep 100 (and a maximum of 200) so capacity never drops during a deployment",
    }
    LoadBalancerUnknownContainerPort = "IAC134", Error {
        title: "an ECS service's load balancer targets a container or port the task does not have",
        explanation: "The service registers one container port of its task definition with the target group.",
        example: "`ServiceLoadBalancer { container_name: \"web\", container_port: 8080, .. }` for a task whose `web` publishes 80",
        fix: "name a container of the task and one of its ports",
    }
    FileSystemNotEncrypted = "IAC135", Error {
        title: "a file system is not encrypted",
        explanation: "EFS encryption at rest can only be chosen when the file system is created.",
        example: "`FileSystem { encrypted: false, .. }`",
        fix: "set `encrypted` to true",
    }
    FileSystemWithoutBackups = "IAC136", Warning {
        title: "a file system has no automatic backups",
        explanation: "A file system holds the application's shared data; AWS Backup's automatic backups keep it recoverable.",
        example: "`FileSystem { backups: false, .. }`",
        fix: "switch backups on",
    }
    MountTargetInPublicSubnet = "IAC137", Error {
        title: "a file system's mount target is in a public subnet",
        explanation: "Mount targets sit in the private subnets, next to the tasks that mount them.",
        example: "a `MountTarget` in a subnet routed to the internet gateway",
        fix: "put mount targets in the private subnets",
    }
    TaskInPublicSubnet = "IAC138", Error {
        title: "an ECS service places tasks in a public subnet",
        explanation: "Tasks run in the private subnets; the load balancer in the public ones reaches them.",
        example: "an `EcsService` whose subnets include a public one",
        fix: "place tasks in the private subnets",
    }

    // IAC139-IAC159: apps for container platforms (compose, Kubernetes).
    SingletonReplicas = "IAC139", Error {
        title: "a singleton service has more than one replica",
        explanation: "A singleton runs exactly one copy (a scheduler, a single writer).",
        example: "`Service::new(..).singleton().replicas(2)`",
        fix: "set replicas to 1 or drop `singleton()`",
    }
    InvalidAppName = "IAC140", Error {
        title: "an app's name is not valid",
        explanation: "The app name names the compose project and labels Kubernetes objects: 1-40 lowercase letters, digits and `-`, starting with a letter.",
        example: "`App::new(\"Concerto\")`",
        fix: "write it in lowercase, e.g. `concerto`",
    }
    AppWithoutServices = "IAC141", Error {
        title: "an app has no service of its own",
        explanation: "Backing services are local stand-ins for managed ones; an app needs at least one service of its own to run.",
        example: "an app with only a `Service::backing` database",
        fix: "add the application's services with `Service::new`",
    }
    InvalidVolumeName = "IAC142", Error {
        title: "an app volume's name is not valid or used twice",
        explanation: "Volume names are DNS labels (lowercase letters, digits and `-`), unique in the app.",
        example: "two volumes named `data`, or one named `Data_1`",
        fix: "give each volume its own name of lowercase letters, digits and `-`",
    }
    InvalidServiceName = "IAC143", Error {
        title: "a service's name is not valid or used twice",
        explanation: "Service names are DNS labels (lowercase letters, digits and `-`, starting with a letter), unique in the app.",
        example: "two services named `web`",
        fix: "give each service its own name",
    }
    UnpinnedServiceImage = "IAC144", Error {
        title: "a service's image is not pinned",
        explanation: "App services pin their images to a version tag or a digest so that each platform runs what was tested.",
        example: "a service running `mysql:latest`",
        fix: "pin the image to a version tag or a digest, e.g. `mysql:8.4.3`",
    }
    LiteralSecretInService = "IAC145", Error {
        title: "a service's secret is written as a literal",
        explanation: "A variable whose name suggests a secret must be a secret reference: compose reads it from a variable that must be set, Kubernetes from a Secret.",
        example: "`.env(\"DB_PASSWORD\", \"hunter2\")` on a service",
        fix: "use a `SecretRef`",
    }
    ServiceUnknownResource = "IAC146", Error {
        title: "a service's variable refers to a resource that is not in the stack",
        explanation: "A service may take values from the stack's resources (an endpoint, a bucket name); each reference must name one of them.",
        example: "`.env(\"DB_HOST\", db.endpoint_address())` with `db` from another stack",
        fix: "add the resource or fix the id",
    }
    HostNetworkInApp = "IAC147", Error {
        title: "a service uses host networking",
        explanation: "Container platforms give each service its own network; host networking does not translate to Kubernetes.",
        example: "a service whose container has `NetworkMode::Host`",
        fix: "use `NetworkMode::Bridge` and ports",
    }
    HealthCheckNotExecForm = "IAC148", Error {
        title: "a service's health command is not in exec form",
        explanation: "Health commands start with `CMD` (program and arguments) or `CMD-SHELL` (one shell line), as compose and Kubernetes need.",
        example: "`HealthCheck { command: vec![\"curl -f localhost\".into()], .. }`",
        fix: "write `[\"CMD\", \"prog\", \"arg\"...]` or `[\"CMD-SHELL\", \"command\"]`",
    }
    MountUnknownVolume = "IAC149", Error {
        title: "a service mounts a volume the app does not declare",
        explanation: "Apps use named volumes declared with `App::volume`, not host paths.",
        example: "a mount of `uploads` in an app without an `uploads` volume",
        fix: "declare it with `App::volume`",
    }
    SingleWriterVolumeReplicas = "IAC150", Error {
        title: "several replicas mount a volume that one writer at a time may use",
        explanation: "A volume that is not shared is mounted read-write by one pod at a time.",
        example: "a service with 2 replicas mounting a volume without `shared`",
        fix: "run one replica, or make the volume shared",
    }
    ServiceNeverRuns = "IAC151", Warning {
        title: "a service has 0 replicas",
        explanation: "A service of the app with no replica never runs.",
        example: "`Service::new(..).replicas(0)`",
        fix: "run at least one replica",
    }
    UnknownServiceDependency = "IAC152", Error {
        title: "a service depends on itself or on a service the app does not have",
        explanation: "`depends_on` names another service of the same app.",
        example: "`web` depending on `database` in an app whose database service is `db`",
        fix: "name another service of the app",
    }
    HealthyWithoutHealthCheck = "IAC153", Error {
        title: "a service waits until another is healthy, but that one has no health check",
        explanation: "`Condition::Healthy` waits for the other service's health check, which must exist.",
        example: "`web` waiting for `db` to be healthy when `db` has no health check",
        fix: "give that container a health check or wait for `Condition::Started`",
    }
    IngressPortNotPublished = "IAC154", Error {
        title: "an ingress routes to a port the container does not publish",
        explanation: "The ingress sends outside traffic to one of the service's container ports.",
        example: "an ingress to port 8080 on a container that publishes 80",
        fix: "route to one of the container's ports",
    }
    HttpProbe = "IAC155", Error {
        title: "an HTTP probe is not an absolute path on a published port",
        explanation: "Kubernetes probes request a path on one of the container's ports.",
        example: "a probe of `health` on port 9999",
        fix: "probe a path such as `/health` on one of the container's ports",
    }
    LimitBelowRequest = "IAC156", Error {
        title: "a service's resource limit is below its request",
        explanation: "Kubernetes rejects a limit smaller than the request.",
        example: "a CPU request of 500m with a limit of 250m",
        fix: "make every limit at least the request",
    }
    ServiceDependencyCycle = "IAC157", Error {
        title: "services wait for each other in a circle",
        explanation: "Services start in the order of their dependencies, which must not form a cycle.",
        example: "`web` depends on `db` and `db` on `web`",
        fix: "remove one of the dependencies",
    }
    InvalidJobName = "IAC158", Error {
        title: "a job's name is not valid or clashes with another job or service",
        explanation: "Job names are at most 52 lowercase letters, digits and `-` (a CronJob's limit), unique among the app's jobs and services.",
        example: "a job named `web` in an app with a `web` service",
        fix: "give the job its own name",
    }
    JobSchedule = "IAC159", Error {
        title: "a job's schedule is not a valid cron expression",
        explanation: "Jobs run on a five-field cron schedule (minute, hour, day of month, month, day of week) within each field's range.",
        example: "`ScheduledJob::new(\"tock\", \"61 * * * *\", ..)`",
        fix: "write five fields, e.g. `*/5 * * * *`",
    }

    // IAC160-IAC179: host setup (systemd, supervisor, nginx, firewall) and DigitalOcean.
    InvalidUnitName = "IAC160", Error {
        title: "a systemd unit name is not valid",
        explanation: "Unit names (of services, timers, dependencies and units a program replaces) use letters, digits and `:_.-@` and end in their type's suffix.",
        example: "a unit named `viewbovis` (no `.service`), or a dependency `network online`",
        fix: "write the full unit name, e.g. `viewbovis.service` or `network-online.target`",
    }
    InvalidCommand = "IAC161", Error {
        title: "a command is empty, relative or spans lines",
        explanation: "Unit and supervisor commands name their program by its absolute path, so they do not depend on PATH, and pass one line per argument.",
        example: "`exec_start: vec![vec![\"docker\".into(), \"run\".into()]]`",
        fix: "write the program's absolute path, e.g. `/usr/bin/docker`",
    }
    UnitContainerOrCommands = "IAC162", Error {
        title: "a unit runs both a container and commands, or neither",
        explanation: "A systemd unit runs either a container (its docker run is the command) or its own ExecStart commands.",
        example: "`SystemdUnit::container(..)` with an `exec_start` added, or a unit with neither",
        fix: "leave `exec_start` and `exec_stop` empty for a container unit, or give a command",
    }
    TimerSchedule = "IAC163", Error {
        title: "a timer has no valid OnCalendar= time",
        explanation: "A timer fires at the calendar times of its OnCalendar= expressions (see systemd.time(7)).",
        example: "`SystemdTimer { on_calendar: vec![], .. }`, or `every day`",
        fix: "write e.g. `daily`, `Mon..Fri 08:00` or `*-*-* 22:00:00 Europe/London`",
    }
    TimerUnknownUnit = "IAC164", Error {
        title: "a timer starts a unit the host does not define",
        explanation: "A timer activates one of the host's own units.",
        example: "`report.timer` starting `report.service` when the host has no such unit",
        fix: "add that unit (with empty `wanted_by` if only the timer starts it)",
    }
    RelativeSetupPath = "IAC165", Error {
        title: "a path in a host's setup is not absolute",
        explanation: "Files, swap files and sockets are written from the root, without `..` or line breaks.",
        example: "`File { path: \"etc/app.conf\".into(), .. }`",
        fix: "write it from the root, e.g. `/etc/app/app.conf`",
    }
    PortZero = "IAC166", Error {
        title: "a port in a host's setup is 0",
        explanation: "Firewall rules, nginx listeners and proxied services need a real port.",
        example: "`FirewallRule::tcp(0, ..)` or `NginxSite { listen: 0, .. }`",
        fix: "give the port",
    }
    WorldOpenHostPort = "IAC167", Error {
        title: "a host firewall opens a port other than 22, 80 or 443 to everyone",
        explanation: "A host's firewall admits everyone only on SSH and the web ports; other ports admit an admin range.",
        example: "`FirewallRule::tcp(8086, Vec::<String>::new(), \"influx\")`",
        fix: "give the admin range in `sources`",
    }
    WorldOpenSsh = "IAC168", Warning {
        title: "a host firewall opens SSH to everyone",
        explanation: "SSH open to the internet draws constant login attempts.",
        example: "`FirewallRule::tcp(22, Vec::<String>::new(), \"ssh\")`",
        fix: "admit an admin range or a VPN instead, or use a provider console or SSM",
    }
    InvalidCidr = "IAC169", Error {
        title: "an address range is not an IPv4 or IPv6 CIDR",
        explanation: "Firewall sources (a host's or a DigitalOcean firewall's) are CIDR blocks: an address and a prefix length.",
        example: "`203.0.113.0` (no length) or `10.0.0.0/33`",
        fix: "write e.g. `203.0.113.0/24`",
    }
    InvalidProgramName = "IAC170", Error {
        title: "a supervisor program's name is not valid",
        explanation: "Program names become supervisor section names: letters, digits, `-` and `_`.",
        example: "`SupervisorProgram { name: \"queue worker\".into(), .. }`",
        fix: "use letters, digits, `-` and `_`",
    }
    InvalidSiteName = "IAC171", Error {
        title: "an nginx site's name is not valid",
        explanation: "The site name names its configuration file: letters, digits, `-` and `_`.",
        example: "`NginxSite { name: \"my site\".into(), .. }`",
        fix: "use letters, digits, `-` and `_`",
    }
    InvalidSysctl = "IAC172", Error {
        title: "a kernel setting is not a dotted key with a one-line value",
        explanation: "Kernel settings are written to `/etc/sysctl.d` as `key = value` lines.",
        example: "`(\"vm swappiness\", \"10\")`",
        fix: "write a dotted key such as `vm.swappiness` and a one-line value",
    }
    SwapSize = "IAC173", Error {
        title: "a swap file of 0 MiB",
        explanation: "A swap file needs a size.",
        example: "`Swap { size_mib: 0, .. }`",
        fix: "give a size, e.g. 4096 (4 GiB)",
    }
    DuplicateSetupName = "IAC174", Error {
        title: "a host's setup defines a file, unit, timer, program or site twice",
        explanation: "Each file path and each unit, timer, program and site name appears once in a host's setup, or one would overwrite the other.",
        example: "two files at `/etc/app/app.conf`",
        fix: "give each its own name",
    }
    BakeWithBootSetup = "IAC175", Error {
        title: "an AMI bake carries setup that only runs at boot",
        explanation: "A bake carries packages, Docker, files, container images and cron; swap, firewall, sysctl, units, timers, supervisor programs and nginx sites are set up at boot.",
        example: "a bake whose host config has a systemd unit",
        fix: "move them to the instance's HostConfig (its cloud-init user data)",
    }
    DropletAwsSecret = "IAC176", Error {
        title: "a container on a DigitalOcean droplet reads an AWS secret",
        explanation: "Secrets are read at boot with the instance's AWS role, which a droplet does not have.",
        example: "a droplet container with a `SecretRef` variable",
        fix: "give the container its value another way (a file provisioned out of band), or run it on an EC2 host",
    }
    DropletWorldOpenPort = "IAC177", Error {
        title: "a DigitalOcean firewall opens a port other than 22, 80 or 443 to everyone",
        explanation: "Only SSH and the web ports may be open to everyone; other ports admit an admin range.",
        example: "an inbound rule for port 5432 from `0.0.0.0/0`",
        fix: "admit an admin range for the rest",
    }
    ScheduleWithoutTimezone = "IAC178", Error {
        title: "a schedule has no time zone",
        explanation: "Without a time zone the schedule runs in UTC and drifts by an hour with daylight saving.",
        example: "`Schedule { timezone: \"\".into(), .. }`",
        fix: "give an IANA zone, e.g. `Europe/London`",
    }
    UnitWithoutDescription = "IAC179", Error {
        title: "a systemd unit has no one-line description",
        explanation: "The description is what `systemctl status` shows; it is one line.",
        example: "`SystemdUnit { description: \"\".into(), .. }`",
        fix: "say what the unit is for",
    }

    // IAC180 and later: checks that shared a code with another check of a full group.
    EncodedTaskSecret = "IAC180", Error {
        title: "an ECS secret is encoded before it is injected (ECS, IAC120-IAC138)",
        explanation: "ECS injects a secret's raw value; it cannot URL-encode or otherwise transform it first.",
        example: "an ECS variable taking a `SecretRef` with `SecretEncoding::Url`",
        fix: "pass the raw secret and let the application build what it needs (e.g. a URL) from it",
    }
    VolumeSize = "IAC181", Error {
        title: "an app volume has a size of 0 GiB (apps, IAC139-IAC159)",
        explanation: "Kubernetes claims a volume of the given size.",
        example: "`Volume { size_gib: 0, .. }`",
        fix: "give its size in GiB",
    }
    IngressHosts = "IAC182", Error {
        title: "an ingress has no host names or one that is not valid (apps, IAC139-IAC159)",
        explanation: "An ingress routes the requests for its lowercase DNS host names.",
        example: "an ingress with no hosts, or with `Concerto.Example.org`",
        fix: "give lowercase DNS names such as `concerto.example.org`",
    }
    IngressOnStandIn = "IAC183", Error {
        title: "a local stand-in has an ingress (apps, IAC139-IAC159)",
        explanation: "Backing services stand in for managed services on local platforms; outside traffic goes to the app's own services.",
        example: "`Service::backing(..)` with an ingress",
        fix: "route outside traffic to the app's own services",
    }
    JobService = "IAC184", Error {
        title: "a job runs in a service that is not one of the app's own (apps, IAC139-IAC159)",
        explanation: "A job runs the image of one of the app's own services, not a stand-in's.",
        example: "a job running in `db`, a backing service",
        fix: "name a service added with `Service::new`",
    }
    JobWithoutCommand = "IAC185", Error {
        title: "a job has no command (apps, IAC139-IAC159)",
        explanation: "A job runs a command in its service's image.",
        example: "`ScheduledJob::new(\"report\", \"0 3 * * *\", \"web\", Vec::<String>::new())`",
        fix: "give the command the job runs",
    }
    SeveralExecStart = "IAC186", Error {
        title: "a unit that is not oneshot has several ExecStart= lines (host setup, IAC160-IAC179)",
        explanation: "systemd accepts several ExecStart= lines only in a oneshot unit.",
        example: "a simple service with two `exec_start` commands",
        fix: "make it `ServiceType::Oneshot` or use one command",
    }
    OneshotRestartAlways = "IAC187", Error {
        title: "a oneshot unit has Restart=always (host setup, IAC160-IAC179)",
        explanation: "systemd rejects Restart=always on a oneshot unit.",
        example: "`SystemdUnit { service_type: ServiceType::Oneshot, restart: UnitRestart::Always, .. }`",
        fix: "use `UnitRestart::OnFailure` or `No`",
    }
    PercentInSupervisorCommand = "IAC188", Error {
        title: "a supervisor command contains `%` (host setup, IAC160-IAC179)",
        explanation: "Supervisor expands `%(name)s` in commands, so a bare `%` breaks the program's configuration.",
        example: "`date +%F` in a supervisor command",
        fix: "write `%%` for a literal percent sign",
    }
    Swappiness = "IAC189", Error {
        title: "vm.swappiness is above 100 (host setup, IAC160-IAC179)",
        explanation: "The kernel takes a swappiness from 0 to 100.",
        example: "`Swap { swappiness: Some(150), .. }`",
        fix: "use 0-100 (the guide uses 10)",
    }
    SiteServerNames = "IAC190", Error {
        title: "an nginx site has no server name or one that is not a host name (host setup, IAC160-IAC179)",
        explanation: "A site answers for its server names unless it is the default server.",
        example: "a site with no server names that is not the default, or a name `my site`",
        fix: "give its host names, e.g. `viewbovis.example.org`, or make it the default server",
    }
    DuplicateDefaultServer = "IAC191", Error {
        title: "two nginx sites are the default server on one port (host setup, IAC160-IAC179)",
        explanation: "nginx allows one default server per listening port.",
        example: "two sites with `default_server: true` listening on 80",
        fix: "make only one site the default",
    }
    SiteWithoutLocation = "IAC192", Error {
        title: "an nginx site has no location (host setup, IAC160-IAC179)",
        explanation: "A site serves its requests through its locations; without one it serves nothing.",
        example: "`NginxSite { locations: vec![], .. }`",
        fix: "add at least `location /`",
    }
    InvalidLocationMatch = "IAC193", Error {
        title: "an nginx location's match is not valid (host setup, IAC160-IAC179)",
        explanation: "A location match is a prefix, `= path` or a `~` regular expression, without braces, semicolons or line breaks.",
        example: "a location `/ {`",
        fix: "write e.g. `/`, `= /nginx_status` or `~ \\.php$`",
    }
    TryFilesWithoutRoot = "IAC194", Error {
        title: "an nginx try_files location has no root or no files (host setup, IAC160-IAC179)",
        explanation: "try_files looks for files under the site's root, so it needs a root and at least one file.",
        example: "`LocationAction::TryFiles(vec![])`, or a site without a root",
        fix: "set the site's root and list the files, e.g. `$uri`, `/index.php?$query_string`",
    }
    LiteralSecretValue = "IAC195", Error {
        title: "a literal value is a secret: a password in a URL or connection string, a private key or a token (host setup and apps, IAC139-IAC179)",
        explanation: "Secrets are recognised by their value as well as by the variable's name: a password inside a literal URL (`postgres://user:hunter2@host/db`), a `password=` pair of a connection string, a private key or a token of a well-known shape (AWS access keys, GitHub, Slack, Stripe) would be written into every output. Only literal text counts: a URL whose password is a `SecretRef` part of a join is fine.",
        example: "a container variable `DATABASE_URL=postgres://user:hunter2@db/app`",
        fix: "read it from a `SecretRef` (Secrets Manager or SSM SecureString); in a URL, join the password in as one (`Value::join`, or a database handle's `url()`)",
    }
    UncheckedImageTag = "IAC196", Warning {
        title: "a container image's tag is not checked against its upstream (host setup and apps, IAC139-IAC179)",
        explanation: "The stack says why the image's tag could not be checked where the image is published (its registry, changelog or Dockerfile); synth warns so that the tag is checked before a deploy.",
        example: "`Container::new(..).with_unverified_image(Some(\"the registry could not be reached\"))`",
        fix: "check the tag where the image is published, then remove the note from the config",
    }
    // IAC200-IAC212: notifications, alarms, data volumes and generated secrets.
    TopicNotEncrypted = "IAC200", Error {
        title: "an SNS topic is not encrypted at rest",
        explanation: "Topics hold the notifications they deliver; they are encrypted with a KMS key.",
        example: "a `Topic` with an empty `kms_master_key_id`",
        fix: "give a KMS key, e.g. `Topic::encrypted` or a key of your own",
    }
    TopicDisplayNameTooLong = "IAC201", Error {
        title: "an SNS topic's display name is over 100 characters",
        explanation: "SNS takes at most 100 characters; email notifications show it as the sender.",
        example: "a display name of 120 characters",
        fix: "shorten it",
    }
    SubscriptionEmailInvalid = "IAC202", Error {
        title: "an email subscription's endpoint is not an email address",
        explanation: "An email subscription delivers to one address.",
        example: "an endpoint `ops at example`",
        fix: "write an address such as `ops@example.org`",
    }
    AlarmPeriod = "IAC203", Error {
        title: "an alarm's period is not one CloudWatch takes",
        explanation: "CloudWatch evaluates periods of 10, 20 or 30 seconds (high-resolution metrics) or multiples of 60.",
        example: "a period of 45 s",
        fix: "use 10, 20, 30 or a multiple of 60 seconds",
    }
    AlarmDatapoints = "IAC204", Error {
        title: "an alarm's breaching data points do not fit its evaluation periods",
        explanation: "An alarm evaluates one or more periods and alarms on at most that many breaching data points.",
        example: "3 data points out of 2 periods",
        fix: "evaluate one or more periods and alarm on at most that many",
    }
    AlarmTooLong = "IAC205", Error {
        title: "an alarm looks at more than a day of data",
        explanation: "CloudWatch evaluates at most 24 hours of data per alarm.",
        example: "25 periods of one hour",
        fix: "use fewer or shorter periods",
    }
    AlarmNotifiesNoOne = "IAC206", Warning {
        title: "an alarm notifies no one",
        explanation: "An alarm without actions changes state where no one sees it.",
        example: "an `Alarm` with no alarm actions",
        fix: "give it a topic's ARN (see `patterns::alarms::Notifications`)",
    }
    VolumeNotEncrypted = "IAC207", Error {
        title: "an EBS volume is not encrypted",
        explanation: "Storage is encrypted at rest (security rules).",
        example: "a `Volume` with `encrypted: false`",
        fix: "set `encrypted` (`Volume::gp3` does)",
    }
    EbsVolumeSize = "IAC208", Error {
        title: "an EBS volume's size is not one EBS makes",
        explanation: "gp3 volumes are 1 to 16384 GiB.",
        example: "a volume of 0 GiB",
        fix: "give 1 to 16384 GiB",
    }
    VolumeDevice = "IAC209", Error {
        title: "a data volume's device name is not one EC2 recommends",
        explanation: "EC2 recommends /dev/sdf to /dev/sdp for data volumes on Linux.",
        example: "a device `/dev/sda1`",
        fix: "use /dev/sdf to /dev/sdp",
    }
    DropletDataMount = "IAC210", Error {
        title: "a DigitalOcean droplet is given an EBS data volume to mount",
        explanation: "EBS volumes attach only to EC2 instances.",
        example: "a droplet whose host setup has data mounts",
        fix: "run the host on EC2 (`patterns::Host` with a data volume) or attach a DigitalOcean volume out of band",
    }
    DataVolumeZoneUnknown = "IAC211", Error {
        title: "the zone of a host's data volume is not known",
        explanation: "A volume lives in one zone and must be in its host's; the zone is known when the host's subnet is one of the stack's.",
        example: "a host whose subnet is given by id",
        fix: "set `DataVolumeProps::availability_zone` to the subnet's zone",
    }
    SecretLength = "IAC212", Error {
        title: "a generated secret's length cannot be made",
        explanation: "Secrets Manager generates 1 to 4096 characters.",
        example: "a generated length of 0",
        fix: "give 1 to 4096 characters (64 is plenty for a signing key)",
    }
}
