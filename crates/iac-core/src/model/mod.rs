//! The stack model: resources in a closed enum, parameters, outputs, and the builder that makes
//! an immutable [`Stack`].
//!
//! Adding a resource kind means adding it to the `resources!` list below; every renderer and the
//! SDK engine `match` on [`Resource`], so the compiler then lists each place still to write.

pub mod cloudfront;
pub mod cloudwatch;
pub mod compute;
pub mod digitalocean;
pub mod dns;
pub mod ebs;
pub mod ecs;
pub mod efs;
pub mod elasticache;
pub mod elb;
pub mod events;
pub mod iam;
pub mod kms;
pub mod logs;
pub mod network;
pub mod raw;
pub mod rds;
pub mod s3;
pub mod schedule;
pub mod secretsmanager;
pub mod sns;
pub mod spec;

use std::marker::PhantomData;

use indexmap::IndexMap;
use serde::Serialize;

use crate::error::CoreError;
use crate::id::LogicalId;
use crate::validate::{Diagnostic, Path};
use crate::value::{Attr, AttrRef, HasRefs, RefMut, Refs, Value};

pub use cloudfront::*;
pub use cloudwatch::*;
pub use compute::*;
pub use digitalocean::*;
pub use dns::*;
pub use ebs::*;
pub use ecs::*;
pub use efs::*;
pub use elasticache::*;
pub use elb::*;
pub use events::*;
pub use iam::*;
pub use kms::*;
pub use logs::*;
pub use network::*;
pub use raw::*;
pub use rds::*;
pub use s3::*;
pub use schedule::*;
pub use secretsmanager::*;
pub use sns::*;
pub use spec::{KindSpec, Provider, ResourceKind};

macro_rules! resources {
    ($( $kind:ident ; )*) => {
        /// Every resource kind the model knows. Each variant's type implements
        /// [`ResourceKind`], which holds the kind's facts ([`KindSpec`]).
        #[derive(Debug, Clone, Serialize)]
        ///
        /// Deliberately not `#[non_exhaustive]`: backends in other crates match it without a
        /// wildcard arm, so a new kind makes the compiler list every place still to write.
        #[allow(clippy::large_enum_variant)]
        pub enum Resource {
            $(
                #[doc = concat!("See [`", stringify!($kind), "`].")]
                $kind($kind),
            )*
        }

        /// The facts of every kind, in the order of [`Resource`]'s variants.
        pub const KINDS: &[&KindSpec] = &[$( <$kind as ResourceKind>::SPEC, )*];

        impl Resource {
            /// The kind's facts.
            pub fn spec(&self) -> &'static KindSpec {
                match self { $( Resource::$kind(_) => <$kind as ResourceKind>::SPEC, )* }
            }

            /// The physical name the user set, if the kind takes one.
            pub fn explicit_name(&self) -> Option<&str> {
                match self { $( Resource::$kind(r) => r.explicit_name(), )* }
            }

            /// The same name, to change.
            pub fn explicit_name_mut(&mut self) -> Option<&mut String> {
                match self { $( Resource::$kind(r) => r.explicit_name_mut(), )* }
            }

            /// Literal DNS names that must be unique besides the physical name.
            pub fn unique_dns_names_mut(&mut self) -> Vec<&mut String> {
                match self { $( Resource::$kind(r) => r.unique_dns_names_mut(), )* }
            }

            /// Resources that hold data: deletion protection, snapshot/retain policies and the
            /// SDK engine's refusal to replace or delete them apply.
            pub fn is_stateful(&self) -> bool {
                match self { $( Resource::$kind(r) => r.holds_data(), )* }
            }

            /// The CloudFormation type (a raw resource's own, if it has one).
            pub fn cloudformation_type(&self) -> Option<&str> {
                match self { $( Resource::$kind(r) => r.cloudformation_type(), )* }
            }

            /// The Terraform type (a raw resource's own, if it has one).
            pub fn terraform_type(&self) -> Option<&str> {
                match self { $( Resource::$kind(r) => r.terraform_type(), )* }
            }
        }

        impl HasRefs for Resource {
            fn collect_refs(&self, out: &mut Refs) {
                match self { $( Resource::$kind(r) => r.collect_refs(out), )* }
            }
            fn rewrite_refs(&mut self, f: &mut dyn FnMut(RefMut<'_>)) {
                match self { $( Resource::$kind(r) => r.rewrite_refs(f), )* }
            }
        }

        $(
            impl From<$kind> for Resource {
                fn from(r: $kind) -> Self { Resource::$kind(r) }
            }
        )*

        /// Calls the macro `$callback` with the list of every kind, so that a backend can write
        /// an exhaustive `match` over [`Resource`] without listing the kinds itself:
        /// `iac_core::for_each_kind!(my_macro)` expands to `my_macro! { Vpc, Subnet, ... }`.
        #[macro_export]
        macro_rules! for_each_kind {
            ($callback:ident) => { $callback! { $( $kind, )* } };
        }
    };
}

resources! {
    Vpc;
    Subnet;
    InternetGateway;
    VpcGatewayAttachment;
    RouteTable;
    Route;
    SubnetRouteTableAssociation;
    Eip;
    NatGateway;
    SecurityGroup;
    SecurityGroupIngress;
    Role;
    InstanceProfile;
    LaunchTemplate;
    Instance;
    AutoScalingGroup;
    ScalingPolicy;
    LoadBalancer;
    TargetGroup;
    Listener;
    DbSubnetGroup;
    DbParameterGroup;
    DbInstance;
    RecordSet;
    RawResource;
    EcsCluster;
    TaskDefinition;
    EcsService;
    LogGroup;
    FileSystem;
    MountTarget;
    AccessPoint;
    Schedule;
    CacheSubnetGroup;
    CacheParameterGroup;
    CacheReplicationGroup;
    Bucket;
    BucketPolicy;
    OriginAccessControl;
    Distribution;
    ScheduledAction;
    Droplet;
    DoFirewall;
    Topic;
    Subscription;
    Alarm;
    Volume;
    VolumeAttachment;
    Secret;
    Key;
}

/// Marker for resource structs that can be added to a stack.
pub trait Kind: ResourceKind {}
impl<K: ResourceKind> Kind for K {}

impl Resource {
    /// A short human name of the kind, used in messages.
    pub fn kind_name(&self) -> &'static str {
        self.spec().label
    }

    /// The attributes this kind exposes to references.
    pub fn attrs(&self) -> impl Iterator<Item = Attr> {
        self.spec().attrs.iter().map(|a| a.attr)
    }

    /// True when the kind exposes `attr`.
    pub fn supports(&self, attr: Attr) -> bool {
        self.spec().attr(attr).is_some()
    }

    /// True for kinds that live outside AWS (DigitalOcean): CloudFormation and the SDK engine
    /// cannot create them, Terraform does with their own provider.
    pub fn is_digitalocean(&self) -> bool {
        self.spec().provider == Provider::DigitalOcean
    }

    /// The references this resource makes.
    pub fn refs(&self) -> Refs {
        let mut out = Refs::default();
        self.collect_refs(&mut out);
        out
    }
}

/// A reason to suppress one policy check (checkov id) on one resource. Rendered into the output
/// (CloudFormation `Metadata`, a Terraform comment) so reviewers see it where it applies.
#[derive(Debug, Clone, Serialize)]
pub struct Suppression {
    /// The check's id, e.g. `CKV_AWS_91`.
    pub check: String,
    /// Why it does not apply here.
    pub reason: String,
}

/// Which backend an override is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Backend {
    /// CloudFormation (path inside `Properties`).
    CloudFormation,
    /// Terraform (argument path inside the resource block).
    Terraform,
}

/// A property the model lacks, set as data on one backend's output. Path segments are separated
/// by `.`, e.g. `Tags` or `MetadataOptions.HttpPutResponseHopLimit`.
#[derive(Debug, Clone, Serialize)]
pub struct Override {
    /// The backend.
    pub backend: Backend,
    /// Dotted path inside the properties or arguments.
    pub path: String,
    /// The value (JSON; `null` deletes).
    pub value: serde_json::Value,
}

/// A resource with its id and the options every kind shares.
#[derive(Debug, Clone, Serialize)]
pub struct ResourceEntry {
    /// The logical id.
    pub id: LogicalId,
    /// The resource.
    pub resource: Resource,
    /// Extra ordering dependencies on top of the references.
    pub depends_on: Vec<LogicalId>,
    /// Policy checks that do not apply, with reasons.
    pub suppressions: Vec<Suppression>,
    /// Per-backend property overrides.
    pub overrides: Vec<Override>,
}

/// What kind of value a parameter takes. Backends render a typed parameter or variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ParamKind {
    /// Free text.
    String,
    /// An EC2 image id (`ami-...`).
    ImageId,
    /// An ACM certificate ARN.
    CertificateArn,
}

/// A stack input, given at deploy time.
#[derive(Debug, Clone, Serialize)]
pub struct Parameter {
    /// The kind.
    pub kind: ParamKind,
    /// What it is for.
    pub description: String,
    /// Default value.
    pub default: Option<String>,
}

/// A stack output.
#[derive(Debug, Clone, Serialize)]
pub struct Output {
    /// What it is.
    pub description: String,
    /// The value.
    pub value: Value<String>,
}

/// An immutable stack: build it with [`StackBuilder`]; every later phase is a function over it.
#[derive(Debug, Clone, Serialize)]
pub struct Stack {
    name: String,
    env: String,
    description: String,
    resources: IndexMap<LogicalId, ResourceEntry>,
    parameters: IndexMap<LogicalId, Parameter>,
    outputs: IndexMap<LogicalId, Output>,
    tags: IndexMap<String, String>,
    bakes: Vec<crate::app::Bake>,
    rollout: Option<crate::rollout::RolloutPlan>,
    apps: Vec<crate::workload::App>,
}

impl Stack {
    /// The stack's name, e.g. `aquamark`.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The environment, e.g. `prod`.
    pub fn env(&self) -> &str {
        &self.env
    }
    /// One line about the stack.
    pub fn description(&self) -> &str {
        &self.description
    }
    /// Resources in insertion order.
    pub fn resources(&self) -> impl ExactSizeIterator<Item = &ResourceEntry> {
        self.resources.values()
    }
    /// One resource.
    pub fn resource(&self, id: &LogicalId) -> Option<&ResourceEntry> {
        self.resources.get(id)
    }
    /// Parameters in insertion order.
    pub fn parameters(&self) -> &IndexMap<LogicalId, Parameter> {
        &self.parameters
    }
    /// Outputs in insertion order.
    pub fn outputs(&self) -> &IndexMap<LogicalId, Output> {
        &self.outputs
    }
    /// The order of a release, if the stack declares one.
    pub fn rollout(&self) -> Option<&crate::rollout::RolloutPlan> {
        self.rollout.as_ref()
    }
    /// The AMI bakes of the stack's images.
    pub fn bakes(&self) -> &[crate::app::Bake] {
        &self.bakes
    }
    /// The applications for container platforms (compose, Kubernetes).
    pub fn apps(&self) -> &[crate::workload::App] {
        &self.apps
    }
    /// Tags applied to every taggable resource (including `iac:stack` and `iac:env`).
    pub fn tags(&self) -> &IndexMap<String, String> {
        &self.tags
    }
    /// `<stack>-<env>-<id in kebab case>`, the physical name prefix used for resources the
    /// model names itself; truncated to `max` characters with a stable hash suffix.
    pub fn physical_name(&self, id: &LogicalId, max: usize) -> String {
        let full = format!("{}-{}-{}", self.name, self.env, id.kebab_case());
        crate::naming::fit(&full, max)
    }
}

/// A typed handle to a resource in a stack; the accessors give [`Value`]s that refer to it.
#[derive(Debug)]
pub struct Handle<K> {
    id: LogicalId,
    kind: PhantomData<fn() -> K>,
}

impl<K> Clone for Handle<K> {
    fn clone(&self) -> Self {
        Self { id: self.id.clone(), kind: PhantomData }
    }
}

impl<K> Handle<K> {
    /// The logical id.
    pub fn id(&self) -> &LogicalId {
        &self.id
    }

    fn attr<T>(&self, attr: Attr) -> Value<T> {
        Value::Attr(AttrRef { id: self.id.clone(), attr })
    }
}

macro_rules! accessors {
    ($kind:ty { $( $(#[$doc:meta])* $name:ident -> $t:ty = $attr:ident ),* $(,)? }) => {
        impl Handle<$kind> {
            $( $(#[$doc])* pub fn $name(&self) -> Value<$t> { self.attr(Attr::$attr) } )*
        }
    };
}

accessors!(Vpc { /** VPC id. */ vpc_id -> String = Id, /** Primary CIDR. */ cidr_block -> String = CidrBlock });
accessors!(Subnet {
    /** Subnet id. */ subnet_id -> String = Id,
    /** Its availability zone. */ availability_zone -> String = AvailabilityZone,
});
accessors!(InternetGateway { /** Gateway id. */ gateway_id -> String = Id });
accessors!(RouteTable { /** Table id. */ route_table_id -> String = Id });
accessors!(Eip { /** Allocation id. */ allocation_id -> String = AllocationId });
accessors!(NatGateway { /** Gateway id. */ nat_gateway_id -> String = Id });
accessors!(SecurityGroup { /** Group id. */ group_id -> String = Id });
accessors!(Role { /** Role name. */ name -> String = Name, /** Role ARN. */ arn -> String = Arn });
accessors!(InstanceProfile { /** Profile name. */ name -> String = Name, /** Profile ARN. */ arn -> String = Arn });
accessors!(LaunchTemplate {
    /** Template id. */ template_id -> String = Id,
    /** Latest version number. */ latest_version -> String = LatestVersionNumber,
});
accessors!(Instance { /** Instance id. */ instance_id -> String = Id, /** Private IP. */ private_ip -> String = PrivateIp });
accessors!(AutoScalingGroup { /** Group name. */ name -> String = Name });
accessors!(LoadBalancer {
    /** ARN. */ arn -> String = Arn,
    /** Public DNS name. */ dns_name -> String = DnsName,
    /** Route53 zone for alias records. */ canonical_hosted_zone_id -> String = CanonicalHostedZoneId,
});
accessors!(TargetGroup { /** ARN. */ arn -> String = Arn });
accessors!(Listener { /** ARN. */ arn -> String = Arn });
accessors!(DbSubnetGroup { /** Group name. */ name -> String = Name });
accessors!(DbParameterGroup { /** Group name. */ name -> String = Name });
accessors!(DbInstance {
    /** Endpoint host name. */ endpoint_address -> String = EndpointAddress,
    /** Endpoint port. */ endpoint_port -> String = EndpointPort,
    /** ARN of the RDS-managed master secret. */ master_user_secret_arn -> String = MasterUserSecretArn,
    /** Instance ARN. */ arn -> String = Arn,
    /** Instance identifier (what a read replica's source takes). */ identifier -> String = Id,
});
accessors!(CacheSubnetGroup { /** Group name. */ name -> String = Name });
accessors!(CacheParameterGroup { /** Group name. */ name -> String = Name });
accessors!(CacheReplicationGroup {
    /** Replication group id. */ group_id -> String = Id,
    /** Primary endpoint host name (reads and writes). */ primary_endpoint_address -> String = EndpointAddress,
    /** Port. */ port -> String = EndpointPort,
    /** Reader endpoint host name (reads spread over the replicas). */ reader_endpoint_address -> String = ReaderEndpointAddress,
});
accessors!(Bucket {
    /** Bucket name. */ name -> String = Name,
    /** Bucket ARN. */ arn -> String = Arn,
    /** Regional domain name (a CloudFront origin). */ regional_domain_name -> String = RegionalDomainName,
});
accessors!(OriginAccessControl { /** Control id. */ control_id -> String = Id });
accessors!(Distribution {
    /** Distribution id. */ distribution_id -> String = Id,
    /** Distribution ARN. */ arn -> String = Arn,
    /** `*.cloudfront.net` domain name. */ domain_name -> String = DnsName,
    /** Route53 zone for alias records. */ hosted_zone_id -> String = CanonicalHostedZoneId,
});
accessors!(EcsCluster { /** Cluster name. */ name -> String = Name, /** Cluster ARN. */ arn -> String = Arn });
accessors!(TaskDefinition { /** ARN (with the revision). */ arn -> String = Arn });
accessors!(EcsService { /** Service name. */ name -> String = Name });
accessors!(LogGroup { /** Group name. */ name -> String = Name, /** Group ARN. */ arn -> String = Arn });
accessors!(FileSystem { /** File system id. */ file_system_id -> String = Id, /** File system ARN. */ arn -> String = Arn });
accessors!(AccessPoint { /** Access point id. */ access_point_id -> String = Id, /** Access point ARN. */ arn -> String = Arn });

accessors!(Schedule { /** Schedule ARN. */ arn -> String = Arn });
accessors!(Topic { /** Topic ARN (what alarm actions and subscriptions take). */ arn -> String = Arn, /** Topic name. */ name -> String = Name });
accessors!(Alarm { /** Alarm name. */ name -> String = Name, /** Alarm ARN. */ arn -> String = Arn });
accessors!(Volume { /** Volume id (`vol-...`). */ volume_id -> String = Id });
accessors!(Key { /** Key id. */ key_id -> String = Id, /** Key ARN. */ arn -> String = Arn });
accessors!(Droplet { /** Droplet id. */ droplet_id -> String = Id });
accessors!(DoFirewall { /** Firewall id. */ firewall_id -> String = Id });

/// A handle to a parameter.
#[derive(Debug, Clone)]
pub struct ParamHandle {
    id: LogicalId,
}

impl ParamHandle {
    /// The parameter's value.
    pub fn value(&self) -> Value<String> {
        Value::Param(self.id.clone())
    }
    /// The parameter's id.
    pub fn id(&self) -> &LogicalId {
        &self.id
    }
}

/// Builds a [`Stack`]. Problems (bad or duplicate ids) are collected and reported together by
/// [`StackBuilder::build`], so a stack definition reads straight through without `?` on each line.
#[derive(Debug)]
pub struct StackBuilder {
    stack: Stack,
    problems: Vec<Diagnostic>,
}

impl StackBuilder {
    /// A new stack named `name` (lowercase letters, digits and `-`) for environment `env`.
    pub fn new(name: impl Into<String>, env: impl Into<String>) -> Self {
        let name = name.into();
        let env = env.into();
        let mut problems = Vec::new();
        for (what, v) in [("stack name", &name), ("environment", &env)] {
            let ok = !v.is_empty()
                && v.len() <= 32
                && v.starts_with(|c: char| c.is_ascii_lowercase())
                && v.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
            if !ok {
                problems.push(Diagnostic::error(
                    "IAC001",
                    Path::stack(&name),
                    format!("{what} `{v}` is not valid"),
                    "use 1-32 lowercase letters, digits and `-`, starting with a letter (it prefixes physical names)",
                ));
            }
        }
        let mut tags = IndexMap::new();
        tags.insert("iac:stack".to_owned(), name.clone());
        tags.insert("iac:env".to_owned(), env.clone());
        Self {
            stack: Stack {
                name,
                env,
                description: String::new(),
                resources: IndexMap::new(),
                parameters: IndexMap::new(),
                outputs: IndexMap::new(),
                tags,
                bakes: Vec::new(),
                rollout: None,
                apps: Vec::new(),
            },
            problems,
        }
    }

    /// The stack's name.
    pub fn name(&self) -> &str {
        &self.stack.name
    }

    /// The environment.
    pub fn env(&self) -> &str {
        &self.stack.env
    }

    /// Sets the description.
    pub fn description(&mut self, text: impl Into<String>) -> &mut Self {
        self.stack.description = text.into();
        self
    }

    /// Adds a tag applied to every taggable resource.
    pub fn tag(&mut self, key: impl Into<String>, value: impl Into<String>) -> &mut Self {
        self.stack.tags.insert(key.into(), value.into());
        self
    }

    fn checked_id(&mut self, id: &str, what: &str) -> LogicalId {
        match LogicalId::new(id) {
            Ok(id) => id,
            Err(e) => {
                self.problems.push(Diagnostic::error(
                    "IAC001",
                    Path::stack(&self.stack.name).resource(id),
                    format!("{what}: {e}"),
                    "rename it",
                ));
                // A stand-in that keeps the builder going; build() fails anyway.
                LogicalId::new(format!("Invalid{}", self.problems.len())).expect("alphanumeric")
            }
        }
    }

    /// True when no resource or parameter has `id` yet; otherwise records the clash.
    fn is_unused(&mut self, id: &LogicalId) -> bool {
        let used = self.stack.resources.contains_key(id) || self.stack.parameters.contains_key(id);
        if used {
            self.problems.push(Diagnostic::error(
                "IAC002",
                Path::stack(&self.stack.name).resource(id.as_str()),
                format!("logical id `{id}` is used twice"),
                "give each resource and parameter its own id",
            ));
        }
        !used
    }

    /// Adds a resource and returns its handle.
    pub fn add<K: Kind>(&mut self, id: &str, resource: K) -> Handle<K> {
        self.add_with(id, resource, |_| {})
    }

    /// Adds a resource and lets `configure` set its shared options (dependencies,
    /// suppressions, overrides).
    pub fn add_with<K: Kind>(
        &mut self,
        id: &str,
        resource: K,
        configure: impl FnOnce(&mut ResourceEntry),
    ) -> Handle<K> {
        let id = self.checked_id(id, "resource id");
        let mut entry = ResourceEntry {
            id: id.clone(),
            resource: resource.into(),
            depends_on: Vec::new(),
            suppressions: Vec::new(),
            overrides: Vec::new(),
        };
        configure(&mut entry);
        if self.is_unused(&id) {
            self.stack.resources.insert(id.clone(), entry);
        }
        Handle { id, kind: PhantomData }
    }

    /// Adds a resource entry as it is, its id checked like any other: for helpers that copy
    /// resources from another stack, such as [`crate::merge`].
    pub fn add_entry(&mut self, entry: ResourceEntry) {
        let id = self.checked_id(entry.id.as_str(), "resource id");
        if self.is_unused(&id) {
            self.stack.resources.insert(id, entry);
        }
    }

    /// Records a problem, reported by [`StackBuilder::build`].
    pub(crate) fn problem(&mut self, diagnostic: Diagnostic) {
        self.problems.push(diagnostic);
    }

    /// The parameters added so far.
    pub(crate) fn parameters_so_far(&self) -> &IndexMap<LogicalId, Parameter> {
        &self.stack.parameters
    }

    /// The stack tags set so far.
    pub(crate) fn tags_so_far(&self) -> &IndexMap<String, String> {
        &self.stack.tags
    }

    /// The bakes added so far.
    pub(crate) fn bakes_so_far(&self) -> &[crate::app::Bake] {
        &self.stack.bakes
    }

    /// Changes an already added resource's shared options.
    pub fn configure<K>(&mut self, handle: &Handle<K>, configure: impl FnOnce(&mut ResourceEntry)) {
        if let Some(entry) = self.stack.resources.get_mut(&handle.id) {
            configure(entry);
        }
    }

    /// Adds a parameter and returns its handle.
    pub fn parameter(&mut self, id: &str, parameter: Parameter) -> ParamHandle {
        let id = self.checked_id(id, "parameter id");
        if self.is_unused(&id) {
            self.stack.parameters.insert(id.clone(), parameter);
        }
        ParamHandle { id }
    }

    /// Adds an AMI bake (rendered by the `packer` target; run by the SDK engine's bake).
    pub fn bake(&mut self, bake: crate::app::Bake) -> &mut Self {
        if self.stack.bakes.iter().any(|b| b.name == bake.name) {
            self.problems.push(Diagnostic::error(
                "IAC002",
                Path::stack(&self.stack.name).resource(&bake.name),
                format!("bake `{}` is defined twice", bake.name),
                "give each bake its own name",
            ));
        } else {
            self.stack.bakes.push(bake);
        }
        self
    }

    /// Adds an application for container platforms (rendered by the `compose` and `k8s`
    /// targets; checked by validation).
    pub fn app(&mut self, app: crate::workload::App) -> &mut Self {
        if self.stack.apps.iter().any(|a| a.name == app.name) {
            self.problems.push(Diagnostic::error(
                "IAC140",
                Path::stack(&self.stack.name).resource(&format!("app:{}", app.name)),
                format!("app `{}` is defined twice", app.name),
                "give each app its own name",
            ));
        } else {
            self.stack.apps.push(app);
        }
        self
    }

    /// Declares the order of a release (checked by validation, carried out by `rollout`).
    pub fn rollout(&mut self, plan: crate::rollout::RolloutPlan) -> &mut Self {
        self.stack.rollout = Some(plan);
        self
    }

    /// Adds an output.
    pub fn output(&mut self, id: &str, description: impl Into<String>, value: impl Into<Value<String>>) -> &mut Self {
        let id = self.checked_id(id, "output id");
        self.stack.outputs.insert(id, Output { description: description.into(), value: value.into() });
        self
    }

    /// Finishes the stack. Fails with every problem found while building; run
    /// [`crate::validate::validate`] afterwards for the semantic rules.
    pub fn build(self) -> Result<Stack, CoreError> {
        if self.problems.is_empty() {
            Ok(self.stack)
        } else {
            Err(CoreError::Invalid { stack: self.stack.name, diagnostics: self.problems })
        }
    }
}
