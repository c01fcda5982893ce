//! The typed SDK adapters and the one dispatch from a resource kind to its adapter.
//!
//! Every kind the engine deploys implements [`Adapter`] on its model type (`impl Adapter for
//! iac_core::model::Subnet`, in the module of its service): its desired properties are a serde
//! struct ([`Adapter::Props`]) that refuses unknown keys, deserialized from the resolved
//! CloudFormation properties ([`crate::desired`]). So a property the CloudFormation renderer
//! emits (or an override adds) that the adapter does not handle is an error naming the stack,
//! resource and property, at `plan` time and in the tests that deserialize every seed stack,
//! never a silent drop.
//!
//! [`SdkKind::of`] is the one `match` over [`Resource`]: it has no wildcard arm, so a new kind is
//! a compile error here until it has an adapter or an explicit [`NotSupported`] reason.
//! [`SdkKind`] then reaches the adapter through `with_adapter!` (a `match` over `SdkKind`,
//! also without wildcard). Deleting a resource discovered from its `iac:*` tags knows only its
//! CloudFormation type: [`SdkKind::from_cfn_type`] maps it back through the kinds' specs.

use std::future::Future;

use iac_core::model::spec::ResourceKind;
use iac_core::model::{Resource, ResourceEntry};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};

use crate::error::AwsError;
use crate::services::Ctx;
use crate::state::{Observed, TAG_HASH, Tags};

/// The SDK adapter of one resource kind.
///
/// `create`, `update` and `delete` get the kind's typed desired properties; discovery stays per
/// service ([`crate::services::discover`]), since several kinds are found through each other.
pub trait Adapter: ResourceKind {
    /// The desired properties, as the CloudFormation renderer writes them (resolved); unknown
    /// keys are refused (`#[serde(deny_unknown_fields)]`).
    type Props: Desired;

    /// A replacement creates the new resource beside the old one, and the engine deletes the old
    /// one only at the end of the apply, once everything that refers to it has moved to the new
    /// one (an ECS task definition: a new revision of the same family, while the service keeps
    /// running the old revision until it is updated). Otherwise the old one is deleted first.
    const REPLACE_BESIDE: bool = false;

    /// Creates the resource with `tags` (which include `iac:hash`) and waits until it is ready.
    fn create(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        props: &Self::Props,
        tags: &Tags,
    ) -> impl Future<Output = Result<Observed, AwsError>> + Send;

    /// Updates `current` in place to `props` and rewrites its tags.
    fn update(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        current: &Observed,
        props: &Self::Props,
        tags: &Tags,
    ) -> impl Future<Output = Result<Observed, AwsError>> + Send;

    /// Deletes `current`; already gone is success. Stateful kinds take a final snapshot (the
    /// engine checks the user allowed the loss).
    fn delete(ctx: &Ctx<'_>, current: &Observed) -> impl Future<Output = Result<(), AwsError>> + Send;
}

/// Desired properties of one kind.
pub trait Desired: DeserializeOwned + Send + Sync {
    /// The `Tags` the template gives the resource: the engine writes its own (the same list,
    /// from [`iac_core::naming::tags`]) and refuses a template whose tags differ (an override).
    fn template_tags(&self) -> Vec<(&str, &str)> {
        Vec::new()
    }
}

/// The `(key, value)` pairs of template tags.
pub fn pairs(tags: &[CfnTag]) -> Vec<(&str, &str)> {
    tags.iter().map(|t| (t.key.as_str(), t.value.as_str())).collect()
}

/// A `{ Key, Value }` tag of a template.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct CfnTag {
    /// The key.
    pub key: String,
    /// The value.
    #[serde(deserialize_with = "de::text")]
    pub value: String,
}

/// Why a kind is not deployed through the SDKs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotSupported(pub &'static str);

/// Declares [`SdkKind`] (one variant per deployed kind, named after its model type), its
/// [`SdkKind::ALL`] list and `with_adapter!`, the one `match` from a kind to its adapter, from
/// one list: a new adapter is one line here plus its arm in [`SdkKind::of`].
macro_rules! sdk_kinds {
    ($($(#[$doc:meta])* $kind:ident,)*) => {
        /// Every kind the SDK engine deploys (named after its model type).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum SdkKind {
            $($(#[$doc])* $kind,)*
        }

        impl SdkKind {
            /// Every kind, in declaration order.
            pub const ALL: &[SdkKind] = &[$(SdkKind::$kind,)*];
        }

        /// Runs `$body` with `$a` standing for the adapter type of `$kind` (the one `match` from
        /// a kind to its adapter, without a wildcard arm).
        macro_rules! with_adapter {
            ($which:expr, $a:ident => $body:expr) => {{
                match $which {
                    $($crate::adapter::SdkKind::$kind => {
                        type $a = iac_core::model::$kind;
                        $body
                    })*
                }
            }};
        }
    };
}

sdk_kinds! {
    // EC2 and networking.
    /// `AWS::EC2::VPC`.
    Vpc,
    /// `AWS::EC2::Subnet`.
    Subnet,
    /// `AWS::EC2::InternetGateway`.
    InternetGateway,
    /// `AWS::EC2::VPCGatewayAttachment`.
    VpcGatewayAttachment,
    /// `AWS::EC2::RouteTable`.
    RouteTable,
    /// `AWS::EC2::Route`.
    Route,
    /// `AWS::EC2::SubnetRouteTableAssociation`.
    SubnetRouteTableAssociation,
    /// `AWS::EC2::EIP`.
    Eip,
    /// `AWS::EC2::NatGateway`.
    NatGateway,
    /// `AWS::EC2::SecurityGroup`.
    SecurityGroup,
    /// `AWS::EC2::SecurityGroupIngress`.
    SecurityGroupIngress,
    /// `AWS::EC2::LaunchTemplate`.
    LaunchTemplate,
    /// `AWS::EC2::Instance`.
    Instance,
    // IAM.
    /// `AWS::IAM::Role`.
    Role,
    /// `AWS::IAM::InstanceProfile`.
    InstanceProfile,
    // Auto scaling.
    /// `AWS::AutoScaling::AutoScalingGroup`.
    AutoScalingGroup,
    /// `AWS::AutoScaling::ScalingPolicy`.
    ScalingPolicy,
    // Load balancing.
    /// `AWS::ElasticLoadBalancingV2::LoadBalancer`.
    LoadBalancer,
    /// `AWS::ElasticLoadBalancingV2::TargetGroup`.
    TargetGroup,
    /// `AWS::ElasticLoadBalancingV2::Listener`.
    Listener,
    // RDS.
    /// `AWS::RDS::DBSubnetGroup`.
    DbSubnetGroup,
    /// `AWS::RDS::DBParameterGroup`.
    DbParameterGroup,
    /// `AWS::RDS::DBInstance`: a primary, or a read replica of one (`SourceDBInstanceIdentifier`).
    DbInstance,
    // Route 53.
    /// `AWS::Route53::RecordSet`.
    RecordSet,
    // ECS, CloudWatch Logs, EventBridge Scheduler, scheduled actions.
    /// `AWS::ECS::Cluster`.
    EcsCluster,
    /// `AWS::ECS::TaskDefinition` (revisions: a replacement registers a new one beside the old).
    TaskDefinition,
    /// `AWS::ECS::Service`.
    EcsService,
    /// `AWS::Logs::LogGroup`.
    LogGroup,
    /// `AWS::Scheduler::Schedule`.
    Schedule,
    /// `AWS::AutoScaling::ScheduledAction`.
    ScheduledAction,

    // EFS, ElastiCache, S3, EBS volumes.
    /// `AWS::EFS::FileSystem`.
    FileSystem,
    /// `AWS::EFS::MountTarget`.
    MountTarget,
    /// `AWS::EFS::AccessPoint`.
    AccessPoint,
    /// `AWS::ElastiCache::SubnetGroup`.
    CacheSubnetGroup,
    /// `AWS::ElastiCache::ParameterGroup`.
    CacheParameterGroup,
    /// `AWS::ElastiCache::ReplicationGroup`.
    CacheReplicationGroup,
    /// `AWS::S3::Bucket`.
    Bucket,
    /// `AWS::S3::BucketPolicy`.
    BucketPolicy,
    /// `AWS::EC2::Volume`.
    Volume,
    /// `AWS::EC2::VolumeAttachment`.
    VolumeAttachment,
    // CloudFront, RDS read replicas, KMS, SNS, CloudWatch alarms, Secrets Manager.
    /// `AWS::CloudFront::OriginAccessControl`.
    OriginAccessControl,
    /// `AWS::CloudFront::Distribution`.
    Distribution,
    /// `AWS::KMS::Key`.
    Key,
    /// `AWS::SNS::Topic`.
    Topic,
    /// `AWS::SNS::Subscription`.
    Subscription,
    /// `AWS::CloudWatch::Alarm`.
    Alarm,
    /// `AWS::SecretsManager::Secret`.
    Secret,
}

pub(crate) use with_adapter;

impl SdkKind {
    /// The adapter kind of `resource`, or why the engine does not deploy it. The one `match`
    /// over [`Resource`]: no wildcard arm.
    pub fn of(resource: &Resource) -> Result<SdkKind, NotSupported> {
        Ok(match resource {
            Resource::Vpc(_) => SdkKind::Vpc,
            Resource::Subnet(_) => SdkKind::Subnet,
            Resource::InternetGateway(_) => SdkKind::InternetGateway,
            Resource::VpcGatewayAttachment(_) => SdkKind::VpcGatewayAttachment,
            Resource::RouteTable(_) => SdkKind::RouteTable,
            Resource::Route(_) => SdkKind::Route,
            Resource::SubnetRouteTableAssociation(_) => SdkKind::SubnetRouteTableAssociation,
            Resource::Eip(_) => SdkKind::Eip,
            Resource::NatGateway(_) => SdkKind::NatGateway,
            Resource::SecurityGroup(_) => SdkKind::SecurityGroup,
            Resource::SecurityGroupIngress(_) => SdkKind::SecurityGroupIngress,
            Resource::LaunchTemplate(_) => SdkKind::LaunchTemplate,
            Resource::Instance(_) => SdkKind::Instance,
            Resource::Role(_) => SdkKind::Role,
            Resource::InstanceProfile(_) => SdkKind::InstanceProfile,
            Resource::AutoScalingGroup(_) => SdkKind::AutoScalingGroup,
            Resource::ScalingPolicy(_) => SdkKind::ScalingPolicy,
            Resource::LoadBalancer(_) => SdkKind::LoadBalancer,
            Resource::TargetGroup(_) => SdkKind::TargetGroup,
            Resource::Listener(_) => SdkKind::Listener,
            Resource::DbSubnetGroup(_) => SdkKind::DbSubnetGroup,
            Resource::DbParameterGroup(_) => SdkKind::DbParameterGroup,
            Resource::DbInstance(_) => SdkKind::DbInstance,
            Resource::RecordSet(_) => SdkKind::RecordSet,
            Resource::RawResource(_) => {
                return Err(NotSupported("a raw resource is data for the renderers, with no typed properties"));
            }
            Resource::Droplet(_) | Resource::DoFirewall(_) => {
                return Err(NotSupported("not an AWS resource (render it with the Terraform digitalocean provider)"));
            }
            // ECS, CloudWatch Logs, EventBridge Scheduler, scheduled actions.
            Resource::EcsCluster(_) => SdkKind::EcsCluster,
            Resource::TaskDefinition(_) => SdkKind::TaskDefinition,
            Resource::EcsService(_) => SdkKind::EcsService,
            Resource::LogGroup(_) => SdkKind::LogGroup,
            Resource::Schedule(_) => SdkKind::Schedule,
            Resource::ScheduledAction(_) => SdkKind::ScheduledAction,
            // EFS, ElastiCache, S3, EBS volumes.
            Resource::FileSystem(_) => SdkKind::FileSystem,
            Resource::MountTarget(_) => SdkKind::MountTarget,
            Resource::AccessPoint(_) => SdkKind::AccessPoint,
            Resource::CacheSubnetGroup(_) => SdkKind::CacheSubnetGroup,
            Resource::CacheParameterGroup(_) => SdkKind::CacheParameterGroup,
            Resource::CacheReplicationGroup(_) => SdkKind::CacheReplicationGroup,
            Resource::Bucket(_) => SdkKind::Bucket,
            Resource::BucketPolicy(_) => SdkKind::BucketPolicy,
            Resource::Volume(_) => SdkKind::Volume,
            Resource::VolumeAttachment(_) => SdkKind::VolumeAttachment,
            // CloudFront, KMS, SNS, CloudWatch alarms, Secrets Manager.
            Resource::OriginAccessControl(_) => SdkKind::OriginAccessControl,
            Resource::Distribution(_) => SdkKind::Distribution,
            Resource::Key(_) => SdkKind::Key,
            Resource::Topic(_) => SdkKind::Topic,
            Resource::Subscription(_) => SdkKind::Subscription,
            Resource::Alarm(_) => SdkKind::Alarm,
            Resource::Secret(_) => SdkKind::Secret,
        })
    }

    /// Whether a replacement of this kind creates the new resource before the old one goes
    /// ([`Adapter::REPLACE_BESIDE`]).
    pub fn replaces_beside(self) -> bool {
        with_adapter!(self, A => <A as Adapter>::REPLACE_BESIDE)
    }

    /// The kind's CloudFormation type, from its spec ([`ResourceKind::SPEC`]).
    pub fn cfn_type(self) -> &'static str {
        with_adapter!(self, A => <A as ResourceKind>::SPEC.cloudformation.unwrap_or_default())
    }

    /// The kind's label in plans and errors (`RDS instance`), from its spec.
    pub fn label(self) -> &'static str {
        with_adapter!(self, A => <A as ResourceKind>::SPEC.label)
    }

    /// The kind whose CloudFormation type is `cfn_type`.
    pub fn from_cfn_type(cfn_type: &str) -> Option<SdkKind> {
        SdkKind::ALL.iter().copied().find(|k| k.cfn_type() == cfn_type)
    }
}

/// `props` as `P`; an unknown key or a value of the wrong shape is an error naming the property.
pub fn parse<P: DeserializeOwned>(stack: &str, id: &str, props: &Map<String, Json>) -> Result<P, AwsError> {
    let value = Json::Object(props.clone());
    serde_path_to_error::deserialize(&value).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        let (property, message) = match inner.strip_prefix("unknown field `").and_then(|rest| rest.split_once('`')) {
            Some((field, _)) => {
                let parent = path.trim_end_matches(field).trim_end_matches('.');
                let parent = if parent == "." || parent.is_empty() { String::new() } else { format!("{parent}.") };
                (
                    format!("{parent}{field}"),
                    "the SDK path does not support this property yet (the CloudFormation rendering carries it, \
                     through an override or the renderer); deploy this stack through CloudFormation, or remove the \
                     override"
                        .to_owned(),
                )
            }
            None => (if path == "." { "Properties".to_owned() } else { path }, inner),
        };
        AwsError::Property { stack: stack.to_owned(), id: id.to_owned(), property, message }
    })
}

/// Checks that the template's `Tags` are the ones the engine writes (`tags`, less `iac:hash`).
pub(crate) fn check_tags(stack: &str, id: &str, template: &[(&str, &str)], tags: &Tags) -> Result<(), AwsError> {
    if template.is_empty() {
        return Ok(());
    }
    let mut want = template.to_vec();
    let mut have: Vec<(&str, &str)> =
        tags.iter().filter(|(k, _)| k != TAG_HASH).map(|(k, v)| (k.as_str(), v.as_str())).collect();
    want.sort_unstable();
    have.sort_unstable();
    if want == have {
        return Ok(());
    }
    Err(AwsError::Property {
        stack: stack.to_owned(),
        id: id.to_owned(),
        property: "Tags".into(),
        message: "the SDK path writes the stack's own tags (Name, the stack's tags, iac:id); a changed tag list \
                  (an override) is not supported there yet: deploy this stack through CloudFormation, or remove \
                  the override"
            .into(),
    })
}

/// Lenient deserializers: CloudFormation writes some numbers and booleans as strings (`MinSize:
/// "1"`), and references resolve to strings.
pub mod de {
    use serde::de::Error as _;
    use serde::{Deserialize, Deserializer};

    /// A scalar as the template may spell it.
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Scalar {
        Bool(bool),
        Int(i64),
        Float(f64),
        Text(String),
    }

    fn int_of<E: serde::de::Error>(v: Scalar) -> Result<i32, E> {
        match v {
            Scalar::Int(n) => i32::try_from(n).map_err(|_| E::custom(format!("{n} is out of range"))),
            Scalar::Text(s) => s.trim().parse().map_err(|_| E::custom(format!("expected an integer, found `{s}`"))),
            Scalar::Bool(b) => Err(E::custom(format!("expected an integer, found {b}"))),
            Scalar::Float(f) => Err(E::custom(format!("expected an integer, found {f}"))),
        }
    }

    fn bool_of<E: serde::de::Error>(v: Scalar) -> Result<bool, E> {
        match v {
            Scalar::Bool(b) => Ok(b),
            Scalar::Text(s) => s.parse().map_err(|_| E::custom(format!("expected true or false, found `{s}`"))),
            Scalar::Int(n) => Err(E::custom(format!("expected true or false, found {n}"))),
            Scalar::Float(f) => Err(E::custom(format!("expected true or false, found {f}"))),
        }
    }

    fn text_of(v: Scalar) -> String {
        match v {
            Scalar::Bool(b) => b.to_string(),
            Scalar::Int(n) => n.to_string(),
            Scalar::Float(f) => f.to_string(),
            Scalar::Text(s) => s,
        }
    }

    /// An integer, also from a numeric string.
    pub fn int<'de, D: Deserializer<'de>>(d: D) -> Result<i32, D::Error> {
        int_of(Scalar::deserialize(d)?)
    }

    /// An optional integer, also from a numeric string (with `#[serde(default)]`).
    pub fn opt_int<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i32>, D::Error> {
        Option::<Scalar>::deserialize(d)?.map(int_of).transpose()
    }

    /// A boolean, also from `"true"` / `"false"`.
    pub fn boolean<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
        bool_of(Scalar::deserialize(d)?)
    }

    /// An optional boolean, also from `"true"` / `"false"` (with `#[serde(default)]`).
    pub fn opt_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
        Option::<Scalar>::deserialize(d)?.map(bool_of).transpose()
    }

    /// A number, also from a numeric string.
    pub fn opt_float<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
        Option::<Scalar>::deserialize(d)?
            .map(|v| match v {
                // Template numbers are small (a target value, a percentage).
                #[allow(clippy::cast_precision_loss)]
                Scalar::Int(n) => Ok(n as f64),
                Scalar::Float(f) => Ok(f),
                Scalar::Text(s) => {
                    s.trim().parse().map_err(|_| D::Error::custom(format!("expected a number, found `{s}`")))
                }
                Scalar::Bool(b) => Err(D::Error::custom(format!("expected a number, found {b}"))),
            })
            .transpose()
    }

    /// A string, also from a number or a boolean.
    pub fn text<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
        Ok(text_of(Scalar::deserialize(d)?))
    }

    /// An optional string, also from a number or a boolean (with `#[serde(default)]`).
    pub fn opt_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        Ok(Option::<Scalar>::deserialize(d)?.map(text_of))
    }

    /// A map of strings, values also from numbers or booleans.
    pub fn text_map<'de, D: Deserializer<'de>>(d: D) -> Result<std::collections::BTreeMap<String, String>, D::Error> {
        let raw = std::collections::BTreeMap::<String, Scalar>::deserialize(d)?;
        Ok(raw.into_iter().map(|(k, v)| (k, text_of(v))).collect())
    }
}
