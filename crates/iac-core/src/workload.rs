//! Applications for container platforms: an [`App`] is the same [`Container`]s a stack runs on
//! ECS or on hosts, described as services, shared volumes and scheduled jobs, so that the
//! renderers can write a compose file and Kubernetes manifests from it.
//!
//! - A [`Service`] is one container with its replicas, ingress, start order and resources. Its
//!   [`Role`] says whether it is part of the system (rendered everywhere) or a local stand-in for
//!   a managed service (a MySQL or Redis container for compose, where the cloud stack uses RDS or
//!   ElastiCache; Kubernetes leaves it out).
//! - Values known only where AWS deploys the stack (a database endpoint, a parameter) have no
//!   meaning in compose or Kubernetes: a service gives a per-platform value with
//!   [`Service::env_for`], and a renderer that meets one without it fails naming the service and
//!   the variable.
//! - Secrets stay references: compose reads them from variables that must be set, Kubernetes
//!   from a Secret the operator creates ([`App::secret_key`] names the key). Neither output ever
//!   holds a value.
//!
//! [`validate_app`] checks an app (pinned images, names, references between services, volumes
//! and jobs, cron syntax), each rule with its own [`crate::diag::Code`].

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::app::{Container, EnvVar, NetworkMode};
use crate::diag::{Code, Diagnostic, Path};
use crate::value::{Refs, SecretRef, Value};

/// Whether a service is part of the system or a local stand-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Refs)]
pub enum Role {
    /// Part of the system: rendered for every platform.
    App,
    /// A local stand-in for a managed service (MySQL for RDS, Redis for ElastiCache): rendered
    /// in compose only.
    Backing,
}

/// A container platform an app is rendered for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Refs)]
pub enum Platform {
    /// The compose spec (`docker compose`).
    Compose,
    /// Kubernetes manifests.
    Kubernetes,
}

impl Platform {
    /// The platform's name in messages.
    pub fn name(self) -> &'static str {
        match self {
            Platform::Compose => "compose",
            Platform::Kubernetes => "Kubernetes",
        }
    }
}

/// When a dependent service may start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Refs)]
pub enum Condition {
    /// Once the dependency has started.
    Started,
    /// Once the dependency's health check passes (it needs one).
    Healthy,
    /// Once the dependency has run to completion with exit code 0 (a migration).
    CompletedSuccessfully,
}

/// A start-order dependency on another service of the app (compose `depends_on`; Kubernetes
/// has no start order, and a service there must retry until its dependencies answer).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Refs)]
pub struct Dependency {
    /// The other service's name.
    pub service: String,
    /// When this one may start.
    pub condition: Condition,
}

/// Routing of outside HTTP(S) traffic to a service (a Kubernetes Ingress; compose publishes the
/// container's ports instead).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Refs)]
pub struct Ingress {
    /// Host names routed to the service.
    pub hosts: Vec<String>,
    /// The container port traffic goes to (one of the container's ports).
    pub port: u16,
    /// Path prefix, `/` for everything.
    pub path: String,
    /// Name of the TLS secret (certificate and key) for the hosts; `None` serves plain HTTP.
    pub tls_secret: Option<String>,
    /// The ingress class (`nginx`, `alb`...); `None` uses the cluster's default class.
    pub class_name: Option<String>,
}

impl Ingress {
    /// Routes `hosts` to `port`, every path, no TLS, the default class.
    pub fn new<I: IntoIterator<Item = S>, S: Into<String>>(hosts: I, port: u16) -> Self {
        Self {
            hosts: hosts.into_iter().map(Into::into).collect(),
            port,
            path: "/".into(),
            tls_secret: None,
            class_name: None,
        }
    }

    /// Terminates TLS with the certificate in secret `name`.
    #[must_use]
    pub fn tls(mut self, name: impl Into<String>) -> Self {
        self.tls_secret = Some(name.into());
        self
    }

    /// Uses ingress class `name`.
    #[must_use]
    pub fn class(mut self, name: impl Into<String>) -> Self {
        self.class_name = Some(name.into());
        self
    }
}

/// CPU and memory a service's container asks for (Kubernetes requests) and may use at most
/// (Kubernetes and compose limits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Refs)]
pub struct Resources {
    /// CPU reserved, in thousandths of a core (`250` is a quarter core).
    pub cpu_millis: u32,
    /// Memory reserved, in MiB.
    pub memory_mib: u32,
    /// CPU limit in thousandths of a core; `None` leaves CPU unlimited (no throttling).
    pub cpu_limit_millis: Option<u32>,
    /// Memory limit in MiB (the container is killed above it).
    pub memory_limit_mib: u32,
}

/// An HTTP health endpoint, used for Kubernetes probes instead of running the container's
/// health command (which needs a client such as curl in the image).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Refs)]
pub struct HttpProbe {
    /// Path, e.g. `/api/check/health`.
    pub path: String,
    /// Container port.
    pub port: u16,
}

/// A value of one variable for one platform, replacing the container's (or adding one).
#[derive(Debug, Clone, Serialize, Refs)]
pub struct PlatformEnv {
    /// The platform.
    pub platform: Platform,
    /// The variable.
    pub var: EnvVar,
}

/// One service of an app: a container and how the platform runs it.
#[derive(Debug, Clone, Serialize, Refs)]
pub struct Service {
    /// The container (its name is the service's name).
    pub container: Container,
    /// Part of the system or a local stand-in.
    pub role: Role,
    /// Copies to run (Kubernetes; compose runs one of each).
    pub replicas: u32,
    /// Outside traffic routed to it.
    pub ingress: Option<Ingress>,
    /// Services that must be up before it starts (compose).
    pub depends_on: Vec<Dependency>,
    /// CPU and memory.
    pub resources: Option<Resources>,
    /// HTTP probe for Kubernetes (else the container's health command is used).
    pub http_probe: Option<HttpProbe>,
    /// User id the container runs as; `Some` also makes Kubernetes require a non-root user and
    /// drop every capability. `None` keeps the image's user (many images start as root to bind
    /// port 80 and then drop privileges).
    pub run_as_user: Option<u32>,
    /// Per-platform values of variables.
    pub env_overrides: Vec<PlatformEnv>,
    /// Must never run twice, not even for a moment during an update (a scheduler): one replica,
    /// and Kubernetes stops the old pod before it starts the new one (`Recreate`).
    pub singleton: bool,
}

impl Service {
    /// A service of the system running `container`, one replica.
    pub fn new(container: Container) -> Self {
        Self {
            container,
            role: Role::App,
            replicas: 1,
            ingress: None,
            depends_on: Vec::new(),
            resources: None,
            http_probe: None,
            run_as_user: None,
            env_overrides: Vec::new(),
            singleton: false,
        }
    }

    /// Never runs twice: one replica, replaced by stopping the old one first.
    #[must_use]
    pub fn singleton(mut self) -> Self {
        self.singleton = true;
        self.replicas = 1;
        self
    }

    /// A local stand-in for a managed service (compose only).
    pub fn backing(container: Container) -> Self {
        Self { role: Role::Backing, ..Self::new(container) }
    }

    /// The service's name.
    pub fn name(&self) -> &str {
        &self.container.name
    }

    /// Runs `n` copies.
    #[must_use]
    pub fn replicas(mut self, n: u32) -> Self {
        self.replicas = n;
        self
    }

    /// Routes outside traffic to it.
    #[must_use]
    pub fn ingress(mut self, ingress: Ingress) -> Self {
        self.ingress = Some(ingress);
        self
    }

    /// Starts after `service` is up with `condition`.
    #[must_use]
    pub fn depends_on(mut self, service: impl Into<String>, condition: Condition) -> Self {
        self.depends_on.push(Dependency { service: service.into(), condition });
        self
    }

    /// Sets CPU and memory.
    #[must_use]
    pub fn resources(mut self, resources: Resources) -> Self {
        self.resources = Some(resources);
        self
    }

    /// Probes Kubernetes health over HTTP.
    #[must_use]
    pub fn http_probe(mut self, path: impl Into<String>, port: u16) -> Self {
        self.http_probe = Some(HttpProbe { path: path.into(), port });
        self
    }

    /// Runs as user `uid` (not root).
    #[must_use]
    pub fn run_as_user(mut self, uid: u32) -> Self {
        self.run_as_user = Some(uid);
        self
    }

    /// Gives variable `name` the value `value` on `platform` (e.g. `DB_HOST` = `mysql` in
    /// compose, where the stack's container refers to the RDS endpoint).
    #[must_use]
    pub fn env_for(mut self, platform: Platform, name: impl Into<String>, value: impl Into<Value<String>>) -> Self {
        self.env_overrides.push(PlatformEnv { platform, var: EnvVar { name: name.into(), value: value.into() } });
        self
    }

    /// The environment on `platform`: the container's variables with the platform's values
    /// in their place, then the platform's added variables, in order.
    pub fn env_on(&self, platform: Platform) -> Vec<EnvVar> {
        let overrides: Vec<&EnvVar> =
            self.env_overrides.iter().filter(|o| o.platform == platform).map(|o| &o.var).collect();
        let mut out: Vec<EnvVar> = self
            .container
            .env
            .iter()
            .map(|e| overrides.iter().rev().find(|o| o.name == e.name).map_or_else(|| e.clone(), |o| (*o).clone()))
            .collect();
        for o in overrides {
            if !out.iter().any(|e| e.name == o.name) {
                out.push(o.clone());
            }
        }
        out
    }
}

/// A volume shared by the services and jobs that mount it (by name, through the container's
/// mounts): a compose named volume, a Kubernetes `PersistentVolumeClaim`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Refs)]
pub struct Volume {
    /// Name, used as a mount's source.
    pub name: String,
    /// Size requested (Kubernetes).
    pub size_gib: u32,
    /// Mounted by several replicas or services at once (`ReadWriteMany`, which needs a storage
    /// class that supports it, such as NFS or EFS); otherwise `ReadWriteOnce`.
    pub shared: bool,
    /// Storage class; `None` uses the cluster's default.
    pub storage_class: Option<String>,
}

impl Volume {
    /// A volume of one writer at a time.
    pub fn new(name: impl Into<String>, size_gib: u32) -> Self {
        Self { name: name.into(), size_gib, shared: false, storage_class: None }
    }

    /// A volume many replicas mount at once (`ReadWriteMany`).
    pub fn shared(name: impl Into<String>, size_gib: u32) -> Self {
        Self { shared: true, ..Self::new(name, size_gib) }
    }

    /// Uses storage class `name`.
    #[must_use]
    pub fn storage_class(mut self, name: impl Into<String>) -> Self {
        self.storage_class = Some(name.into());
        self
    }
}

/// A command run on a schedule in a copy of a service's container (same image, environment and
/// mounts): a Kubernetes `CronJob`; in compose a one-off service under the `jobs` profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Refs)]
pub struct ScheduledJob {
    /// Name.
    pub name: String,
    /// Five-field cron schedule (UTC), e.g. `*/5 * * * *`, or a macro such as `@daily`.
    pub schedule: String,
    /// The service whose container it runs in.
    pub service: String,
    /// The command (replaces the container's).
    pub command: Vec<String>,
}

impl ScheduledJob {
    /// Runs `command` in `service`'s container on `schedule`.
    pub fn new<I: IntoIterator<Item = S>, S: Into<String>>(
        name: impl Into<String>,
        schedule: impl Into<String>,
        service: impl Into<String>,
        command: I,
    ) -> Self {
        Self {
            name: name.into(),
            schedule: schedule.into(),
            service: service.into(),
            command: command.into_iter().map(Into::into).collect(),
        }
    }
}

/// A name for a secret on platforms without AWS: the compose variable that holds it and the
/// key of the Kubernetes Secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Refs)]
pub struct NamedSecret {
    /// Variable and key name, e.g. `DB_PASSWORD`.
    pub name: String,
    /// The secret.
    pub secret: SecretRef,
}

/// An application for container platforms.
#[derive(Debug, Clone, Serialize, Refs)]
pub struct App {
    /// Name (compose project, Kubernetes `app.kubernetes.io/name`).
    pub name: String,
    /// Services, in order.
    pub services: Vec<Service>,
    /// Volumes.
    pub volumes: Vec<Volume>,
    /// Scheduled jobs.
    pub jobs: Vec<ScheduledJob>,
    /// Names of secrets used in more than one place (say the database password of the app and
    /// of its local MySQL); a secret not named here is named after the variable that uses it.
    pub secrets: Vec<NamedSecret>,
    /// The platforms it is rendered for (every platform unless [`App::platforms`] narrows it:
    /// a single-host app has no use for Kubernetes manifests).
    pub platforms: BTreeSet<Platform>,
}

impl App {
    /// An empty app.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            services: Vec::new(),
            volumes: Vec::new(),
            jobs: Vec::new(),
            secrets: Vec::new(),
            platforms: [Platform::Compose, Platform::Kubernetes].into(),
        }
    }

    /// Renders the app for `platforms` only (e.g. `&[Platform::Compose]`).
    #[must_use]
    pub fn platforms(mut self, platforms: &[Platform]) -> Self {
        self.platforms = platforms.iter().copied().collect();
        self
    }

    /// True when the app is rendered for `platform`.
    pub fn targets(&self, platform: Platform) -> bool {
        self.platforms.contains(&platform)
    }

    /// Adds a service.
    #[must_use]
    pub fn service(mut self, service: Service) -> Self {
        self.services.push(service);
        self
    }

    /// Adds a volume.
    #[must_use]
    pub fn volume(mut self, volume: Volume) -> Self {
        self.volumes.push(volume);
        self
    }

    /// Adds a scheduled job.
    #[must_use]
    pub fn job(mut self, job: ScheduledJob) -> Self {
        self.jobs.push(job);
        self
    }

    /// Names a secret.
    #[must_use]
    pub fn secret(mut self, name: impl Into<String>, secret: SecretRef) -> Self {
        self.secrets.push(NamedSecret { name: name.into(), secret });
        self
    }

    /// A service by name.
    pub fn find_service(&self, name: &str) -> Option<&Service> {
        self.services.iter().find(|s| s.name() == name)
    }

    /// The services rendered on `platform` (Kubernetes leaves out the local stand-ins).
    pub fn services_on(&self, platform: Platform) -> impl Iterator<Item = &Service> {
        self.services.iter().filter(move |s| platform == Platform::Compose || s.role == Role::App)
    }

    /// The variable (compose) or Secret key (Kubernetes) that carries variable `var` whose value
    /// is or contains a secret: the secret's declared name when the whole value is one named
    /// secret, else the variable's own name (the operator provides the whole value, e.g. a
    /// complete `DATABASE_URL`).
    pub fn secret_key<'a>(&'a self, var: &'a EnvVar) -> &'a str {
        if let Value::Secret(s) = &var.value
            && let Some(named) = self.secrets.iter().find(|n| &n.secret == s)
        {
            return &named.name;
        }
        &var.name
    }
}

/// True when `s` is a DNS-1123 label that starts with a letter (what Kubernetes requires of
/// Service names and compose accepts as a service name), of at most `max` characters.
pub fn is_dns_label(s: &str, max: usize) -> bool {
    !s.is_empty()
        && s.len() <= max
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && !s.ends_with('-')
        && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// Why `schedule` is not a valid five-field cron schedule (or one of the `@` macros), if it is
/// not.
pub fn cron_problem(schedule: &str) -> Option<String> {
    const MACROS: [&str; 7] = ["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"];
    const FIELDS: [(&str, u32, u32, &[&str]); 5] = [
        ("minute", 0, 59, &[]),
        ("hour", 0, 23, &[]),
        ("day of month", 1, 31, &[]),
        ("month", 1, 12, &["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]),
        ("day of week", 0, 7, &["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]),
    ];
    if schedule.starts_with('@') {
        return (!MACROS.contains(&schedule)).then(|| format!("`{schedule}` is not a cron macro"));
    }
    let fields: Vec<&str> = schedule.split_whitespace().collect();
    if fields.len() != 5 {
        return Some(format!("cron schedule `{schedule}` has {} fields, not five", fields.len()));
    }
    for (text, (what, lo, hi, names)) in fields.iter().zip(FIELDS) {
        let number = |s: &str| -> Option<u32> {
            let base = u32::from(what == "month");
            s.parse::<u32>().ok().or_else(|| {
                names
                    .iter()
                    .position(|n| n.eq_ignore_ascii_case(s))
                    .and_then(|i| u32::try_from(i).ok())
                    .map(|i| i + base)
            })
        };
        for item in text.split(',') {
            let (range, step) = match item.split_once('/') {
                Some((r, s)) => (r, Some(s)),
                None => (item, None),
            };
            let step_ok = step.is_none_or(|s| s.parse::<u32>().is_ok_and(|n| n > 0));
            let range_ok = range == "*"
                || match range.split_once('-') {
                    Some((a, b)) => {
                        matches!((number(a), number(b)), (Some(a), Some(b)) if lo <= a && a <= b && b <= hi)
                    }
                    None => number(range).is_some_and(|n| (lo..=hi).contains(&n)),
                };
            if !(step_ok && range_ok) {
                return Some(format!("`{item}` is not a valid {what} ({lo}-{hi}) in cron schedule `{schedule}`"));
            }
        }
    }
    None
}

/// Every problem of `app` in stack `stack`. `resource_exists` says
/// whether a logical id is a resource of the stack (for references in the environment).
#[allow(clippy::too_many_lines)] // one check after the other, in the order of the model
pub fn validate_app(stack: &str, app: &App, resource_exists: &dyn Fn(&crate::LogicalId) -> bool) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut warnings = Vec::new();
    let owner = format!("app:{}", app.name);
    let at = |p: String| Path::stack(stack).resource(&owner).property(p);
    let mut report = |code: Code, p: String, msg: String, hint: &str| {
        out.push(Diagnostic::new(code, at(p), msg, hint));
    };
    if !is_dns_label(&app.name, 40) {
        report(
            Code::InvalidAppName,
            "Name".into(),
            format!("app name `{}` is not valid", app.name),
            "use 1-40 lowercase letters, digits and `-`, starting with a letter (it names the compose project and labels Kubernetes objects)",
        );
    }
    if app.services.iter().all(|s| s.role == Role::Backing) {
        report(
            Code::AppWithoutServices,
            "Services".into(),
            "the app has no service of its own (only local stand-ins)".into(),
            "add the application's services with Service::new",
        );
    }
    let volumes: BTreeSet<&str> = app.volumes.iter().map(|v| v.name.as_str()).collect();
    let mut seen = BTreeSet::new();
    for (i, v) in app.volumes.iter().enumerate() {
        if !is_dns_label(&v.name, 63) || !seen.insert(v.name.as_str()) {
            report(
                Code::InvalidVolumeName,
                format!("Volumes[{i}].Name"),
                format!("volume name `{}` is not valid or used twice", v.name),
                "give each volume its own name of lowercase letters, digits and `-`",
            );
        }
        if v.size_gib == 0 {
            report(
                Code::VolumeSize,
                format!("Volumes[{i}].SizeGiB"),
                "a volume of 0 GiB".into(),
                "give its size in GiB",
            );
        }
    }
    let mut names = BTreeSet::new();
    for s in &app.services {
        let name = s.name();
        let p = |prop: &str| format!("Services.{name}.{prop}");
        if !is_dns_label(name, 63) || !names.insert(name) {
            report(
                Code::InvalidServiceName,
                p("Name"),
                format!("service name `{name}` is not valid or used twice"),
                "give each container its own name of lowercase letters, digits and `-`, starting with a letter",
            );
        }
        if s.singleton && s.replicas != 1 {
            report(
                Code::SingletonReplicas,
                p("Replicas"),
                format!("singleton `{name}` has {} replicas", s.replicas),
                "a singleton runs exactly one copy: set replicas to 1 or drop `singleton()`",
            );
        }
        if let Some(problem) = s.container.image.pin_problem() {
            report(
                Code::UnpinnedServiceImage,
                p("Image"),
                problem,
                "pin the image to a version tag or a digest, e.g. `mysql:8.4.3`",
            );
        }
        for e in s.container.env.iter().chain(s.env_overrides.iter().map(|o| &o.var)) {
            let upper = e.name.to_ascii_uppercase();
            let sensitive =
                ["PASSWORD", "SECRET", "TOKEN", "PRIVATE_KEY", "ACCESS_KEY"].iter().any(|w| upper.contains(w));
            // A flag such as MYSQL_RANDOM_ROOT_PASSWORD=yes is not a secret.
            let flag = |v: &str| ["yes", "no", "true", "false", "1", "0"].contains(&v.to_ascii_lowercase().as_str());
            if sensitive && matches!(&e.value, Value::Lit(v) if !v.is_empty() && !flag(v)) {
                report(
                    Code::LiteralSecretInService,
                    p(&format!("Env.{}", e.name)),
                    "a secret is written as a literal".into(),
                    "use a SecretRef: compose reads it from a variable that must be set, Kubernetes from a Secret",
                );
            }
            if let Some(why) = crate::app::literal_secret(&e.value) {
                report(
                    Code::LiteralSecretValue,
                    p(&format!("Env.{}", e.name)),
                    format!("{why}; it would be written into the compose file and the manifests"),
                    "use a SecretRef, joined into the URL where it is part of one (Value::join)",
                );
            }
            let mut refs = Refs::default();
            e.value.collect_refs(&mut refs);
            for r in refs.attrs.iter().filter(|r| !resource_exists(&r.id)) {
                report(
                    Code::ServiceUnknownResource,
                    p(&format!("Env.{}", e.name)),
                    format!("refers to `{}`, which is not in the stack", r.id),
                    "add the resource or fix the id",
                );
            }
        }
        if let Some(why) = &s.container.unverified_image {
            warnings.push(Diagnostic::new(
                Code::UncheckedImageTag,
                at(p("Image")),
                format!("image `{}` is not checked against its upstream: {why}", s.container.image),
                "check the tag where the image is published, then remove the note from the config",
            ));
        }
        if s.container.network == NetworkMode::Host {
            report(
                Code::HostNetworkInApp,
                p("Network"),
                "host networking in an app".into(),
                "container platforms give each service its own network; use NetworkMode::Bridge and ports",
            );
        }
        if let Some(h) = &s.container.health {
            let ok = matches!(h.command.first().map(String::as_str), Some("CMD" | "CMD-SHELL")) && h.command.len() > 1;
            if !ok {
                report(
                    Code::HealthCheckNotExecForm,
                    p("HealthCheck"),
                    format!("health command {:?} is not in exec form", h.command),
                    "write [\"CMD\", \"prog\", \"arg\"...] or [\"CMD-SHELL\", \"command\"]",
                );
            }
        }
        for (i, m) in s.container.mounts.iter().enumerate() {
            if !volumes.contains(m.source.as_str()) {
                report(
                    Code::MountUnknownVolume,
                    p(&format!("Mounts[{i}]")),
                    format!("mounts `{}`, which is not a volume of the app", m.source),
                    "declare it with App::volume (apps use named volumes, not host paths)",
                );
            }
        }
        if s.role == Role::App {
            for m in &s.container.mounts {
                let single = app.volumes.iter().any(|v| v.name == m.source && !v.shared);
                if single && s.replicas > 1 {
                    report(
                        Code::SingleWriterVolumeReplicas,
                        p("Replicas"),
                        format!(
                            "{} replicas mount volume `{}`, which one writer at a time may use",
                            s.replicas, m.source
                        ),
                        "make the volume shared (ReadWriteMany, Volume::shared) or run one replica",
                    );
                }
            }
        }
        if s.replicas == 0 && s.role == Role::App {
            warnings.push(Diagnostic::new(
                Code::ServiceNeverRuns,
                at(p("Replicas")),
                "0 replicas: the service never runs",
                "run at least one replica",
            ));
        }
        for d in &s.depends_on {
            match app.find_service(&d.service) {
                None => report(
                    Code::UnknownServiceDependency,
                    p("DependsOn"),
                    format!("depends on `{}`, which is not a service of the app", d.service),
                    "fix the name",
                ),
                Some(other) if other.name() == name => {
                    report(
                        Code::UnknownServiceDependency,
                        p("DependsOn"),
                        "depends on itself".into(),
                        "remove the dependency",
                    );
                }
                Some(other) if d.condition == Condition::Healthy && other.container.health.is_none() => report(
                    Code::HealthyWithoutHealthCheck,
                    p("DependsOn"),
                    format!("waits until `{}` is healthy, but it has no health check", d.service),
                    "give that container a health check or wait for Condition::Started",
                ),
                Some(_) => {}
            }
        }
        if let Some(ing) = &s.ingress {
            if !s.container.ports.iter().any(|pm| pm.container == ing.port) {
                report(
                    Code::IngressPortNotPublished,
                    p("Ingress.Port"),
                    format!("ingress to port {}, which the container does not publish", ing.port),
                    "route to one of the container's ports",
                );
            }
            if ing.hosts.is_empty() || ing.hosts.iter().any(|h| !is_host_name(h)) {
                report(
                    Code::IngressHosts,
                    p("Ingress.Hosts"),
                    format!("ingress host names {:?} are missing or not valid", ing.hosts),
                    "give lowercase DNS names such as `concerto.example.org`",
                );
            }
            if s.role == Role::Backing {
                report(
                    Code::IngressOnStandIn,
                    p("Ingress"),
                    "a local stand-in has an ingress".into(),
                    "route outside traffic to the app's own services",
                );
            }
        }
        if let Some(probe) = &s.http_probe
            && (!probe.path.starts_with('/') || !s.container.ports.iter().any(|pm| pm.container == probe.port))
        {
            report(
                Code::HttpProbe,
                p("HttpProbe"),
                format!("probe {}:{} is not an absolute path on a published port", probe.port, probe.path),
                "probe a path such as `/health` on one of the container's ports",
            );
        }
        if let Some(r) = &s.resources
            && (r.memory_mib > r.memory_limit_mib || r.cpu_limit_millis.is_some_and(|l| l < r.cpu_millis))
        {
            report(
                Code::LimitBelowRequest,
                p("Resources"),
                "a limit is below what the service asks for".into(),
                "make every limit at least the request",
            );
        }
    }
    if let Some(cycle) = dependency_cycle(app) {
        report(
            Code::ServiceDependencyCycle,
            "Services".into(),
            format!("services wait for each other in a circle: {}", cycle.join(" -> ")),
            "remove one of the dependencies",
        );
    }
    let mut jobs = BTreeSet::new();
    for j in &app.jobs {
        let p = |prop: &str| format!("Jobs.{}.{prop}", j.name);
        if !is_dns_label(&j.name, 52) || !jobs.insert(j.name.as_str()) || names.contains(j.name.as_str()) {
            report(
                Code::InvalidJobName,
                p("Name"),
                format!("job name `{}` is not valid or clashes with another job or service", j.name),
                "use at most 52 lowercase letters, digits and `-` (a CronJob's limit), unique in the app",
            );
        }
        match app.find_service(&j.service) {
            Some(s) if s.role == Role::App => {}
            _ => report(
                Code::JobService,
                p("Service"),
                format!("runs in `{}`, which is not one of the app's own services", j.service),
                "name a service added with Service::new",
            ),
        }
        if j.command.is_empty() {
            report(Code::JobWithoutCommand, p("Command"), "no command".into(), "give the command the job runs");
        }
        if let Some(problem) = cron_problem(&j.schedule) {
            report(
                Code::JobSchedule,
                p("Schedule"),
                problem,
                "write minute hour day-of-month month day-of-week, e.g. `*/5 * * * *`",
            );
        }
    }
    out.extend(warnings);
    out
}

/// A DNS name: labels of lowercase letters, digits and `-`, at least two of them.
fn is_host_name(h: &str) -> bool {
    let labels: Vec<&str> = h.split('.').collect();
    labels.len() >= 2
        && h.len() <= 253
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        })
}

/// The first circle of start-order dependencies, as names with the first repeated at the end.
fn dependency_cycle(app: &App) -> Option<Vec<String>> {
    let edges: BTreeMap<&str, Vec<&str>> =
        app.services.iter().map(|s| (s.name(), s.depends_on.iter().map(|d| d.service.as_str()).collect())).collect();
    let mut done = BTreeSet::new();
    for s in &app.services {
        let mut path = Vec::new();
        if let Some(c) = visit(s.name(), &edges, &mut path, &mut done) {
            return Some(c);
        }
    }
    None
}

/// Depth-first search from `n`; the first circle found, or `None`.
fn visit<'a>(
    n: &'a str,
    edges: &BTreeMap<&'a str, Vec<&'a str>>,
    path: &mut Vec<&'a str>,
    done: &mut BTreeSet<&'a str>,
) -> Option<Vec<String>> {
    if let Some(i) = path.iter().position(|p| *p == n) {
        let mut cycle: Vec<String> = path[i..].iter().map(|s| (*s).to_owned()).collect();
        cycle.push(n.to_owned());
        return Some(cycle);
    }
    if !done.insert(n) {
        return None;
    }
    path.push(n);
    for next in edges.get(n).into_iter().flatten() {
        if let Some(c) = visit(next, edges, path, done) {
            return Some(c);
        }
    }
    path.pop();
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::ContainerHealth;

    fn codes(app: &App) -> Vec<Code> {
        validate_app("demo", app, &|_| true).iter().map(|d| d.code).collect()
    }

    fn health() -> ContainerHealth {
        ContainerHealth {
            command: vec!["CMD".into(), "true".into()],
            interval_seconds: 10,
            timeout_seconds: 5,
            retries: 3,
            start_period_seconds: 0,
        }
    }

    fn good() -> App {
        App::new("shop")
            .volume(Volume::shared("data", 10))
            .service(
                Service::new(
                    Container::new("web", "shop/web:1.2.3").with_port(8080, 80).with_mount("data", "/data", false),
                )
                .replicas(3)
                .ingress(Ingress::new(["shop.example.org"], 80))
                .depends_on("db", Condition::Healthy),
            )
            .service(Service::backing(Container::new("db", "mysql:8.4.3").with_health(health())))
            .job(ScheduledJob::new("tick", "* * * * *", "web", ["php", "tick"]))
    }

    #[test]
    fn apps_target_every_platform_unless_narrowed() {
        assert!(good().targets(Platform::Compose) && good().targets(Platform::Kubernetes));
        let one = good().platforms(&[Platform::Compose]);
        assert!(one.targets(Platform::Compose) && !one.targets(Platform::Kubernetes));
    }

    #[test]
    fn a_good_app_has_no_problems() {
        assert_eq!(codes(&good()), Vec::<&str>::new());
    }

    #[test]
    fn each_rule_reports_its_code() {
        let mut app = good();
        app.name = "Shop".into();
        app.volumes.push(Volume::new("logs", 0));
        app.services[0].container.mounts.push(crate::app::Mount {
            source: "/var/log".into(),
            target: "/logs".into(),
            read_only: false,
        });
        app.services[0].depends_on.push(Dependency { service: "cache".into(), condition: Condition::Started });
        app.services[1].container.health = None;
        app.services[1].container.image = crate::app::Image::parse("mysql:latest");
        app.services[1].container = app.services[1].container.clone().with_env("MYSQL_PASSWORD", "hunter2");
        app.jobs.push(ScheduledJob::new("tock", "61 * * * *", "db", ["x"]));
        let found = codes(&app);
        for code in [
            Code::InvalidAppName,
            Code::VolumeSize,
            Code::UnpinnedServiceImage,
            Code::LiteralSecretInService,
            Code::MountUnknownVolume,
            Code::UnknownServiceDependency,
            Code::HealthyWithoutHealthCheck,
            Code::JobService,
            Code::JobSchedule,
        ] {
            assert!(found.contains(&code), "{code} missing from {found:?}");
        }
    }

    #[test]
    fn single_writer_volumes_allow_one_replica() {
        let mut app = good();
        app.volumes[0].shared = false;
        assert_eq!(codes(&app), vec![Code::SingleWriterVolumeReplicas]);
        app.services[0].replicas = 1;
        assert_eq!(codes(&app), Vec::<Code>::new());
    }

    #[test]
    fn dependency_cycles_are_named() {
        let mut app = good();
        app.services[1].depends_on.push(Dependency { service: "web".into(), condition: Condition::Started });
        let d = validate_app("demo", &app, &|_| true);
        let cycle = d.iter().find(|d| d.code == Code::ServiceDependencyCycle).expect("cycle found");
        assert!(cycle.message.contains("web -> db -> web"), "{}", cycle.message);
    }

    #[test]
    fn cron_schedules() {
        for ok in ["* * * * *", "*/5 * * * *", "0 3 * * *", "0 0 1 1 0", "15,45 8-18/2 * JAN-MAR mon", "@daily"] {
            assert_eq!(cron_problem(ok), None, "{ok}");
        }
        for bad in
            ["* * * *", "60 * * * *", "* 24 * * *", "* * 0 * *", "*/0 * * * *", "5-1 * * * *", "@often", "a * * * *"]
        {
            assert!(cron_problem(bad).is_some(), "{bad}");
        }
    }

    #[test]
    fn platform_values_replace_and_add_variables() {
        let s = Service::new(Container::new("web", "x:1").with_env("A", "1").with_env("B", "2"))
            .env_for(Platform::Compose, "B", "local")
            .env_for(Platform::Compose, "C", "3")
            .env_for(Platform::Kubernetes, "A", "k");
        let show = |p| s.env_on(p).iter().map(|e| format!("{}={:?}", e.name, e.value.as_lit())).collect::<Vec<_>>();
        assert_eq!(show(Platform::Compose), ["A=Some(\"1\")", "B=Some(\"local\")", "C=Some(\"3\")"]);
        assert_eq!(show(Platform::Kubernetes), ["A=Some(\"k\")", "B=Some(\"2\")"]);
    }

    #[test]
    fn secret_keys_use_declared_names() {
        let pw = SecretRef::ssm("/shop/db-password");
        let app = good().secret("DB_PASSWORD", pw.clone());
        let named = EnvVar { name: "MYSQL_PASSWORD".into(), value: Value::Secret(pw) };
        assert_eq!(app.secret_key(&named), "DB_PASSWORD");
        let other = EnvVar { name: "API_TOKEN".into(), value: Value::Secret(SecretRef::ssm("/shop/token")) };
        assert_eq!(app.secret_key(&other), "API_TOKEN");
    }
}

#[cfg(test)]
mod singleton_tests {
    use super::*;
    use crate::app::Container;

    #[test]
    fn a_singleton_runs_exactly_one_copy() {
        let one = Service::new(Container::new("scheduler", "mozilla/location:2.2.0")).singleton();
        assert!(one.singleton && one.replicas == 1);
        let app = App::new("ichnaea").service(one.replicas(2));
        let d = validate_app("ichnaea", &app, &|_| true);
        assert!(d.iter().any(|d| d.code == Code::SingletonReplicas), "{d:?}");
    }
}
