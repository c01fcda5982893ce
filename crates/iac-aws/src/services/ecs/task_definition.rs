//! `AWS::ECS::TaskDefinition`: a revision registered with its tags, never changed in place (only
//! its tags are); a replacement registers a new revision beside it, and the old one is
//! deregistered once what refers to it has moved.

use std::collections::BTreeMap;

use aws_sdk_ecs::types::{
    Compatibility, ContainerDefinition, CpuArchitecture, EfsAuthorizationConfig, EfsAuthorizationConfigIam,
    EfsTransitEncryption, EfsVolumeConfiguration, HealthCheck, KeyValuePair, LogConfiguration, LogDriver, MountPoint,
    NetworkMode, OsFamily, PortMapping, RuntimePlatform, Secret, TaskDefinition, TaskDefinitionFamilyStatus,
    TaskDefinitionField, TaskDefinitionStatus, TransportProtocol, Volume,
};
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use iac_core::LogicalId;
use iac_core::model::{self, Resource, ResourceEntry};
use serde::Deserialize;
use serde_json::{Map, Value as Json, json};

use super::{ecs_tags, family_of, retag, revision_of, tag_pairs};
use crate::adapter::{self, Adapter, CfnTag, Desired, SdkKind, de};
use crate::error::AwsError;
use crate::services::{Ctx, absent, paged_items};
use crate::state::{self, Observed, TAG_ID, Tags};

/// The desired properties of an `AWS::ECS::TaskDefinition` (Fargate).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct TaskDefinitionProps {
    pub(crate) family: String,
    #[serde(default, deserialize_with = "de::opt_text")]
    pub(crate) cpu: Option<String>,
    #[serde(default, deserialize_with = "de::opt_text")]
    pub(crate) memory: Option<String>,
    #[serde(default)]
    pub(crate) network_mode: Option<String>,
    #[serde(default)]
    pub(crate) requires_compatibilities: Vec<String>,
    #[serde(default)]
    pub(crate) runtime_platform: Option<RuntimePlatformProps>,
    #[serde(default)]
    pub(crate) execution_role_arn: Option<String>,
    #[serde(default)]
    pub(crate) task_role_arn: Option<String>,
    pub(crate) container_definitions: Vec<ContainerProps>,
    #[serde(default)]
    pub(crate) volumes: Vec<VolumeProps>,
    #[serde(default)]
    pub(crate) tags: Vec<CfnTag>,
}

/// `RuntimePlatform`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct RuntimePlatformProps {
    #[serde(default)]
    pub(crate) cpu_architecture: Option<String>,
    #[serde(default)]
    pub(crate) operating_system_family: Option<String>,
}

/// One container definition, with the properties the renderer writes.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct ContainerProps {
    pub(crate) name: String,
    pub(crate) image: String,
    #[serde(default, deserialize_with = "de::opt_bool")]
    pub(crate) essential: Option<bool>,
    #[serde(default)]
    pub(crate) command: Option<Vec<String>>,
    #[serde(default, deserialize_with = "de::opt_int")]
    pub(crate) cpu: Option<i32>,
    #[serde(default, deserialize_with = "de::opt_int")]
    pub(crate) memory: Option<i32>,
    #[serde(default)]
    pub(crate) user: Option<String>,
    #[serde(default)]
    pub(crate) working_directory: Option<String>,
    #[serde(default, deserialize_with = "de::opt_int")]
    pub(crate) stop_timeout: Option<i32>,
    #[serde(default)]
    pub(crate) port_mappings: Vec<PortProps>,
    #[serde(default)]
    pub(crate) environment: Vec<EnvProps>,
    #[serde(default)]
    pub(crate) secrets: Vec<SecretProps>,
    #[serde(default)]
    pub(crate) mount_points: Vec<MountProps>,
    #[serde(default)]
    pub(crate) health_check: Option<HealthCheckProps>,
    #[serde(default)]
    pub(crate) log_configuration: Option<LogProps>,
    #[serde(default, deserialize_with = "de::opt_bool")]
    pub(crate) readonly_root_filesystem: Option<bool>,
}

/// `PortMappings` entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct PortProps {
    #[serde(deserialize_with = "de::int")]
    pub(crate) container_port: i32,
    #[serde(default)]
    pub(crate) protocol: Option<String>,
}

/// `Environment` entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct EnvProps {
    pub(crate) name: String,
    #[serde(deserialize_with = "de::text")]
    pub(crate) value: String,
}

/// `Secrets` entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct SecretProps {
    pub(crate) name: String,
    pub(crate) value_from: String,
}

/// `MountPoints` entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct MountProps {
    pub(crate) source_volume: String,
    pub(crate) container_path: String,
    #[serde(default, deserialize_with = "de::opt_bool")]
    pub(crate) read_only: Option<bool>,
}

/// `HealthCheck`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct HealthCheckProps {
    pub(crate) command: Vec<String>,
    #[serde(default, deserialize_with = "de::opt_int")]
    pub(crate) interval: Option<i32>,
    #[serde(default, deserialize_with = "de::opt_int")]
    pub(crate) timeout: Option<i32>,
    #[serde(default, deserialize_with = "de::opt_int")]
    pub(crate) retries: Option<i32>,
    #[serde(default, deserialize_with = "de::opt_int")]
    pub(crate) start_period: Option<i32>,
}

/// `LogConfiguration`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct LogProps {
    pub(crate) log_driver: String,
    #[serde(default, deserialize_with = "de::text_map")]
    pub(crate) options: BTreeMap<String, String>,
}

/// `Volumes` entry (EFS).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct VolumeProps {
    pub(crate) name: String,
    #[serde(default, rename = "EFSVolumeConfiguration")]
    pub(crate) efs_volume_configuration: Option<EfsProps>,
}

/// `EFSVolumeConfiguration`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct EfsProps {
    pub(crate) filesystem_id: String,
    #[serde(default)]
    pub(crate) root_directory: Option<String>,
    #[serde(default)]
    pub(crate) transit_encryption: Option<String>,
    #[serde(default)]
    pub(crate) authorization_config: Option<EfsAuthProps>,
}

/// `AuthorizationConfig` of an EFS volume.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct EfsAuthProps {
    #[serde(default)]
    pub(crate) access_point_id: Option<String>,
    #[serde(default, rename = "IAM")]
    pub(crate) iam: Option<String>,
}

impl Desired for TaskDefinitionProps {
    fn template_tags(&self) -> Vec<(&str, &str)> {
        adapter::pairs(&self.tags)
    }
}

impl Adapter for model::TaskDefinition {
    type Props = TaskDefinitionProps;
    const REPLACE_BESIDE: bool = true;

    /// Registers a revision of the family, tagged (hash included) in the same call.
    async fn create(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        props: &TaskDefinitionProps,
        tags: &Tags,
    ) -> Result<Observed, AwsError> {
        register(ctx, &entry.id, props, tags).await
    }

    /// Only the tags change in place (everything else registers a new revision).
    async fn update(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        current: &Observed,
        _props: &TaskDefinitionProps,
        tags: &Tags,
    ) -> Result<Observed, AwsError> {
        let id = entry.id.as_str();
        let arn = current.physical_id.as_str();
        let (def, had) = describe(ctx, id, arn)
            .await?
            .ok_or_else(|| ctx.fail(id, "ecs:DescribeTaskDefinition", format!("`{arn}` is gone")))?;
        retag(ctx, id, arn, &had, tags).await?;
        let mut o = observe(entry.id.clone(), &def);
        o.hash = state::hash_of(tags);
        Ok(o)
    }

    /// Deregisters the revision, and the older `ACTIVE` revisions of its family that carry the
    /// same `iac:id` (left by an interrupted replacement).
    async fn delete(ctx: &Ctx<'_>, current: &Observed) -> Result<(), AwsError> {
        let id = current.id.as_str();
        let arn = current.physical_id.as_str();
        let (Some(family), Some(revision)) = (family_of(arn), revision_of(arn)) else {
            return Err(ctx.fail(id, "ecs:DeregisterTaskDefinition", format!("`{arn}` is not a task definition ARN")));
        };
        for older in active_revisions(ctx, id, family).await? {
            if older == arn {
                continue;
            }
            if revision_of(&older).is_none_or(|r| r > revision) {
                continue;
            }
            let same_id = describe(ctx, id, &older)
                .await?
                .is_some_and(|(_, tags)| tags.iter().any(|(k, v)| k == TAG_ID && v == id) && ctx.ours(&tags).is_some());
            if same_id {
                deregister(ctx, id, &older).await?;
            }
        }
        deregister(ctx, id, arn).await
    }
}

/// ECS answers a revision it does not know with a `ClientException` whose message says so.
fn unknown_revision<E: ProvideErrorMetadata>(e: &E) -> bool {
    e.code() == Some("ClientException")
        && e.message().is_some_and(|m| {
            m.contains("does not exist") || m.contains("Unable to describe") || m.contains("is missing")
        })
}

async fn deregister(ctx: &Ctx<'_>, id: &str, arn: &str) -> Result<(), AwsError> {
    let ecs = &ctx.clients.ecs;
    ctx.retry(id, "ecs:DeregisterTaskDefinition", &[], || async {
        absent(ecs.deregister_task_definition().task_definition(arn).send().await, unknown_revision)
    })
    .await?;
    Ok(())
}

async fn register(
    ctx: &Ctx<'_>,
    id: &LogicalId,
    props: &TaskDefinitionProps,
    tags: &Tags,
) -> Result<Observed, AwsError> {
    let ecs = &ctx.clients.ecs;
    let containers =
        props.container_definitions.iter().map(|c| container(ctx, id.as_str(), c)).collect::<Result<Vec<_>, _>>()?;
    let volumes = props.volumes.iter().map(|v| volume(ctx, id.as_str(), v)).collect::<Result<Vec<_>, _>>()?;
    let platform = props.runtime_platform.as_ref().map(|p| {
        RuntimePlatform::builder()
            .set_cpu_architecture(p.cpu_architecture.as_deref().map(CpuArchitecture::from))
            .set_operating_system_family(p.operating_system_family.as_deref().map(OsFamily::from))
            .build()
    });
    let request = ecs
        .register_task_definition()
        .family(&props.family)
        .set_cpu(props.cpu.clone())
        .set_memory(props.memory.clone())
        .set_network_mode(props.network_mode.as_deref().map(NetworkMode::from))
        .set_requires_compatibilities(Some(
            props.requires_compatibilities.iter().map(|c| Compatibility::from(c.as_str())).collect(),
        ))
        .set_runtime_platform(platform)
        .set_execution_role_arn(props.execution_role_arn.clone())
        .set_task_role_arn(props.task_role_arn.clone())
        .set_container_definitions(Some(containers))
        .set_volumes((!volumes.is_empty()).then_some(volumes))
        .set_tags(Some(ecs_tags(tags)));
    // A role made moments ago may not be assumable by ECS yet.
    let out = ctx.retry(id.as_str(), "ecs:RegisterTaskDefinition", &[], || request.clone().send()).await?;
    let def = out
        .task_definition()
        .ok_or_else(|| ctx.fail(id.as_str(), "ecs:RegisterTaskDefinition", "the answer holds no task definition"))?;
    let mut o = observe(id.clone(), def);
    o.hash = state::hash_of(tags);
    Ok(o)
}

fn container(ctx: &Ctx<'_>, id: &str, c: &ContainerProps) -> Result<ContainerDefinition, AwsError> {
    let ports = c
        .port_mappings
        .iter()
        .map(|p| {
            PortMapping::builder()
                .container_port(p.container_port)
                .set_protocol(p.protocol.as_deref().map(TransportProtocol::from))
                .build()
        })
        .collect();
    let env = c.environment.iter().map(|e| KeyValuePair::builder().name(&e.name).value(&e.value).build()).collect();
    let secrets = c
        .secrets
        .iter()
        .map(|s| Secret::builder().name(&s.name).value_from(&s.value_from).build())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ctx.fail(id, "ecs:RegisterTaskDefinition", e))?;
    let mounts = c
        .mount_points
        .iter()
        .map(|m| {
            MountPoint::builder()
                .source_volume(&m.source_volume)
                .container_path(&m.container_path)
                .set_read_only(m.read_only)
                .build()
        })
        .collect();
    let health = c
        .health_check
        .as_ref()
        .map(|h| {
            HealthCheck::builder()
                .set_command(Some(h.command.clone()))
                .set_interval(h.interval)
                .set_timeout(h.timeout)
                .set_retries(h.retries)
                .set_start_period(h.start_period)
                .build()
        })
        .transpose()
        .map_err(|e| ctx.fail(id, "ecs:RegisterTaskDefinition", e))?;
    let logs = c
        .log_configuration
        .as_ref()
        .map(|l| {
            LogConfiguration::builder()
                .log_driver(LogDriver::from(l.log_driver.as_str()))
                .set_options(Some(l.options.clone().into_iter().collect()))
                .build()
        })
        .transpose()
        .map_err(|e| ctx.fail(id, "ecs:RegisterTaskDefinition", e))?;
    Ok(ContainerDefinition::builder()
        .name(&c.name)
        .image(&c.image)
        .set_essential(c.essential)
        .set_command(c.command.clone())
        .set_cpu(c.cpu)
        .set_memory(c.memory)
        .set_user(c.user.clone())
        .set_working_directory(c.working_directory.clone())
        .set_stop_timeout(c.stop_timeout)
        .set_port_mappings(Some(ports))
        .set_environment(Some(env))
        .set_secrets(Some(secrets))
        .set_mount_points(Some(mounts))
        .set_health_check(health)
        .set_log_configuration(logs)
        .set_readonly_root_filesystem(c.readonly_root_filesystem)
        .build())
}

fn volume(ctx: &Ctx<'_>, id: &str, v: &VolumeProps) -> Result<Volume, AwsError> {
    let efs = v
        .efs_volume_configuration
        .as_ref()
        .map(|e| {
            let auth = e.authorization_config.as_ref().map(|a| {
                EfsAuthorizationConfig::builder()
                    .set_access_point_id(a.access_point_id.clone())
                    .set_iam(a.iam.as_deref().map(EfsAuthorizationConfigIam::from))
                    .build()
            });
            EfsVolumeConfiguration::builder()
                .file_system_id(&e.filesystem_id)
                .set_root_directory(e.root_directory.clone())
                .set_transit_encryption(e.transit_encryption.as_deref().map(EfsTransitEncryption::from))
                .set_authorization_config(auth)
                .build()
        })
        .transpose()
        .map_err(|e| ctx.fail(id, "ecs:RegisterTaskDefinition", e))?;
    Ok(Volume::builder().name(&v.name).set_efs_volume_configuration(efs).build())
}

/// A revision with its tags; `None` when ECS does not know it.
async fn describe(ctx: &Ctx<'_>, id: &str, arn: &str) -> Result<Option<(TaskDefinition, Tags)>, AwsError> {
    let ecs = &ctx.clients.ecs;
    let out = ctx
        .retry(id, "ecs:DescribeTaskDefinition", &[], || async {
            absent(
                ecs.describe_task_definition().task_definition(arn).include(TaskDefinitionField::Tags).send().await,
                unknown_revision,
            )
        })
        .await?;
    Ok(out.and_then(|o| Some((o.task_definition()?.clone(), tag_pairs(o.tags())))))
}

/// The ARNs of the `ACTIVE` revisions of `family`.
async fn active_revisions(ctx: &Ctx<'_>, id: &str, family: &str) -> Result<Vec<String>, AwsError> {
    let ecs = &ctx.clients.ecs;
    paged_items(
        ctx,
        id,
        "ecs:ListTaskDefinitions",
        |t| {
            ecs.list_task_definitions()
                .family_prefix(family)
                .status(TaskDefinitionStatus::Active)
                .set_next_token(t)
                .send()
        },
        |o| (o.task_definition_arns(), o.next_token()),
    )
    .await
}

/// A revision read back, in the template's shape.
fn observe(id: LogicalId, d: &TaskDefinition) -> Observed {
    let arn = d.task_definition_arn().unwrap_or_default();
    let mut o = Observed::new(id, SdkKind::TaskDefinition.cfn_type(), arn)
        .prop("Family", d.family().unwrap_or_default())
        .prop(
            "RequiresCompatibilities",
            d.requires_compatibilities().iter().map(Compatibility::as_str).collect::<Vec<_>>(),
        )
        .prop("ContainerDefinitions", d.container_definitions().iter().map(container_json).collect::<Vec<_>>());
    let text = [
        ("Cpu", d.cpu()),
        ("Memory", d.memory()),
        ("NetworkMode", d.network_mode().map(NetworkMode::as_str)),
        ("ExecutionRoleArn", d.execution_role_arn()),
        ("TaskRoleArn", d.task_role_arn()),
    ];
    for (key, value) in text {
        if let Some(v) = value {
            o = o.prop(key, v);
        }
    }
    if let Some(p) = d.runtime_platform() {
        let mut m = Map::new();
        if let Some(a) = p.cpu_architecture() {
            m.insert("CpuArchitecture".into(), json!(a.as_str()));
        }
        if let Some(f) = p.operating_system_family() {
            m.insert("OperatingSystemFamily".into(), json!(f.as_str()));
        }
        o = o.prop("RuntimePlatform", m);
    }
    if !d.volumes().is_empty() {
        o = o.prop("Volumes", d.volumes().iter().map(volume_json).collect::<Vec<_>>());
    }
    o
}

/// A container definition read back, in the template's (capitalised) shape.
fn container_json(c: &ContainerDefinition) -> Json {
    let mut m = Map::new();
    m.insert("Name".into(), json!(c.name().unwrap_or_default()));
    m.insert("Image".into(), json!(c.image().unwrap_or_default()));
    let opt = [
        ("Essential", c.essential().map(Json::from)),
        ("Cpu", Some(json!(c.cpu()))),
        ("Memory", c.memory().map(Json::from)),
        ("User", c.user().map(Json::from)),
        ("WorkingDirectory", c.working_directory().map(Json::from)),
        ("StopTimeout", c.stop_timeout().map(Json::from)),
        ("ReadonlyRootFilesystem", c.readonly_root_filesystem().map(Json::from)),
    ];
    for (key, value) in opt {
        if let Some(v) = value {
            m.insert(key.into(), v);
        }
    }
    if !c.command().is_empty() {
        m.insert("Command".into(), json!(c.command()));
    }
    m.insert(
        "PortMappings".into(),
        c.port_mappings()
            .iter()
            .map(|p| {
                let mut port = json!({ "ContainerPort": p.container_port() });
                if let Some(proto) = p.protocol() {
                    port["Protocol"] = json!(proto.as_str());
                }
                port
            })
            .collect(),
    );
    m.insert(
        "Environment".into(),
        c.environment()
            .iter()
            .map(|e| json!({ "Name": e.name().unwrap_or_default(), "Value": e.value().unwrap_or_default() }))
            .collect(),
    );
    m.insert(
        "Secrets".into(),
        c.secrets().iter().map(|s| json!({ "Name": s.name(), "ValueFrom": s.value_from() })).collect(),
    );
    m.insert(
        "MountPoints".into(),
        c.mount_points()
            .iter()
            .map(|p| {
                json!({
                    "SourceVolume": p.source_volume().unwrap_or_default(),
                    "ContainerPath": p.container_path().unwrap_or_default(),
                    "ReadOnly": p.read_only().unwrap_or(false),
                })
            })
            .collect(),
    );
    if let Some(h) = c.health_check() {
        m.insert(
            "HealthCheck".into(),
            json!({
                "Command": h.command(),
                "Interval": h.interval(),
                "Timeout": h.timeout(),
                "Retries": h.retries(),
                "StartPeriod": h.start_period(),
            }),
        );
    }
    if let Some(l) = c.log_configuration() {
        let options: BTreeMap<&str, &str> =
            l.options().into_iter().flatten().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        m.insert("LogConfiguration".into(), json!({ "LogDriver": l.log_driver().as_str(), "Options": options }));
    }
    Json::Object(m)
}

/// A volume read back, in the template's shape.
fn volume_json(v: &Volume) -> Json {
    let mut out = json!({ "Name": v.name().unwrap_or_default() });
    if let Some(e) = v.efs_volume_configuration() {
        let mut efs = json!({ "FilesystemId": e.file_system_id() });
        if let Some(r) = e.root_directory() {
            efs["RootDirectory"] = json!(r);
        }
        if let Some(t) = e.transit_encryption() {
            efs["TransitEncryption"] = json!(t.as_str());
        }
        if let Some(a) = e.authorization_config() {
            let mut auth = Map::new();
            if let Some(ap) = a.access_point_id() {
                auth.insert("AccessPointId".into(), json!(ap));
            }
            if let Some(iam) = a.iam() {
                auth.insert("IAM".into(), json!(iam.as_str()));
            }
            efs["AuthorizationConfig"] = Json::Object(auth);
        }
        out["EFSVolumeConfiguration"] = efs;
    }
    out
}

/// The task definition families to look at: those of the stack's task definitions, and any
/// named with this stack's `<stack>-<env>-` prefix (a task definition that left the stack).
async fn families(ctx: &Ctx<'_>) -> Result<Vec<String>, AwsError> {
    let ecs = &ctx.clients.ecs;
    let wanted: Vec<String> = ctx
        .stack
        .resources()
        .filter(|e| matches!(e.resource, Resource::TaskDefinition(_)))
        .filter_map(|e| iac_core::naming::physical_name(ctx.stack, e))
        .collect();
    let prefix = format!("{}-{}-", ctx.stack.name(), ctx.stack.env());
    let all = paged_items(
        ctx,
        "-",
        "ecs:ListTaskDefinitionFamilies",
        |t| ecs.list_task_definition_families().status(TaskDefinitionFamilyStatus::Active).set_next_token(t).send(),
        |o| (o.families(), o.next_token()),
    )
    .await?;
    Ok(all.into_iter().filter(|f| wanted.contains(f) || f.starts_with(&prefix)).collect())
}

/// The newest `ACTIVE` revision of each family tagged as this stack's.
pub(super) async fn discover_task_definitions(ctx: &Ctx<'_>) -> Result<Vec<Observed>, AwsError> {
    let mut out = Vec::new();
    for family in families(ctx).await? {
        let arns = active_revisions(ctx, "-", &family).await?;
        let Some(newest) = arns.iter().max_by_key(|a| revision_of(a).unwrap_or(0)) else { continue };
        let Some((def, tags)) = describe(ctx, "-", newest).await? else { continue };
        if let Some((id, hash)) = ctx.ours(&tags) {
            let mut o = observe(id, &def);
            o.hash = hash;
            out.push(o);
        }
    }
    Ok(out)
}
