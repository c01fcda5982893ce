//! The resource model: resources in a closed enum, the entry that carries a resource in a stack,
//! and typed handles (the stack and its builder are in [`crate::stack`]).
//!
//! Adding a resource kind means adding it to the `resources!` list below; every renderer and the
//! SDK engine `match` on [`Resource`] without a wildcard arm, so the compiler then lists each place
//! still to write. The renderers generate their one match with [`for_each_kind!`](crate::for_each_kind)
//! and dispatch to a trait each kind implements in its own file (in iac-render,
//! `cloudformation/<service>/<kind>.rs` and `terraform/<service>/<kind>.rs`).

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

use serde::Serialize;

use crate::id::LogicalId;
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

            /// The setup of the host this resource boots (its user data), if it runs a machine.
            pub fn host(&self) -> Option<&crate::app::HostConfig> {
                match self { $( Resource::$kind(r) => r.host(), )* }
            }

            /// The machine this resource boots, for kinds that run one.
            pub fn machine(&self) -> Option<&MachineSpec> {
                match self { $( Resource::$kind(r) => r.machine(), )* }
            }

            /// The resource as kind `K`, if it is one: picks one kind out without a `match`
            /// (and its wildcard arm) at the call site.
            pub fn get<K: FromResource>(&self) -> Option<&K> {
                K::from_resource(self)
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

            impl FromResource for $kind {
                fn from_resource(r: &Resource) -> Option<&Self> {
                    if let Resource::$kind(x) = r { Some(x) } else { None }
                }
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

/// A kind that can be picked out of a [`Resource`] ([`Resource::get`]); every kind is one.
pub trait FromResource: ResourceKind + Sized {
    /// `r` as this kind, if it is one.
    fn from_resource(r: &Resource) -> Option<&Self>;
}
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
///
/// Terraform tells arguments (`name = value`) from nested blocks (`name { ... }`) and refuses
/// one written as the other, so a Terraform override says which it is: [`Override::terraform`]
/// writes an argument, [`Override::terraform_block`] nested blocks.
///
/// ```
/// use iac_core::model::Override;
/// use serde_json::json;
///
/// // ebs_block_device { device_name = "/dev/sdf" ... } on an aws_instance
/// let disk = Override::terraform_block(
///     "ebs_block_device",
///     json!({ "device_name": "/dev/sdf", "volume_size": 100, "encrypted": true }),
/// );
/// // instance_tenancy = "dedicated"
/// let tenancy = Override::terraform("instance_tenancy", json!("dedicated"));
/// // Properties.MetricsCollection in CloudFormation
/// let metrics = Override::cloudformation("MetricsCollection", json!([{ "Granularity": "1Minute" }]));
/// # let _ = (disk, tenancy, metrics);
/// ```
#[derive(Debug, Clone, Serialize)]
pub struct Override {
    /// The backend.
    pub backend: Backend,
    /// Dotted path inside the properties or arguments.
    pub path: String,
    /// The value (JSON; `null` deletes).
    pub value: serde_json::Value,
    /// What the value is written as: an argument or (Terraform) nested blocks.
    pub shape: OverrideShape,
}

/// What an [`Override`]'s value is written as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub enum OverrideShape {
    /// A property or argument, `name = value` (an object is an object value). In Terraform,
    /// where the resource already has blocks of that name, an object (or a list of objects)
    /// replaces them with blocks.
    #[default]
    Value,
    /// Terraform nested blocks: an object is one `name { ... }` block, a list of objects one
    /// block each (members that are objects stay map arguments, e.g. `tags`; a block inside the
    /// block is a second override whose path goes through the first). CloudFormation has no
    /// blocks: its properties take the value as given.
    Block,
}

impl Override {
    /// A CloudFormation property at `path` inside `Properties` (`null` removes it).
    pub fn cloudformation(path: impl Into<String>, value: serde_json::Value) -> Self {
        Self { backend: Backend::CloudFormation, path: path.into(), value, shape: OverrideShape::Value }
    }

    /// A Terraform argument at `path` inside the resource block (`null` removes it).
    pub fn terraform(path: impl Into<String>, value: serde_json::Value) -> Self {
        Self { backend: Backend::Terraform, path: path.into(), value, shape: OverrideShape::Value }
    }

    /// Terraform nested blocks at `path`: `value` is an object (one block) or a list of objects
    /// (one block each), and replaces any blocks or argument of that name (`null` removes them).
    pub fn terraform_block(path: impl Into<String>, value: serde_json::Value) -> Self {
        Self { backend: Backend::Terraform, path: path.into(), value, shape: OverrideShape::Block }
    }
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
    /// The pattern that added it (none for a resource added directly): `synth --target graph`
    /// draws each pattern's resources as one group.
    pub origin: Option<Origin>,
}

/// The pattern call that added a resource: which pattern and the name it was given, e.g. the
/// `WebTier` named `Web`. Set by [`crate::stack::StackBuilder::pattern`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Origin {
    /// The pattern, e.g. `Database`.
    pub pattern: &'static str,
    /// The name it was given (the prefix of its logical ids, e.g. `Database`); empty for a
    /// pattern without one (the `Network`).
    pub name: String,
}

/// `Web (WebTier)`; the pattern alone when the name is empty or the pattern's own.
impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.name.is_empty() || self.name == self.pattern {
            f.write_str(self.pattern)
        } else {
            write!(f, "{} ({})", self.name, self.pattern)
        }
    }
}

/// Resources by logical id, as the modules below the stack (a rollout plan's roles) look their
/// references up; [`crate::stack::Stack`] is the one implementation.
pub trait ResourceLookup {
    /// The name of the stack the resources belong to.
    fn stack_name(&self) -> &str;
    /// The resource `id`, if there is one.
    fn entry(&self, id: &LogicalId) -> Option<&ResourceEntry>;
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
    /// The handle of the resource `id` (the builder checks the kind when it adds it).
    pub(crate) fn new(id: LogicalId) -> Self {
        Self { id, kind: PhantomData }
    }

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
