//! Concerto (adaptive testing platform): one container as a REPLICA ECS service on Fargate
//! behind an application load balancer that terminates TLS, `/data` shared by every task on EFS
//! through an access point, RDS MySQL, logs in CloudWatch, the two scheduled console commands as
//! scheduled tasks, and a Route53 alias. From `seeds/000`; the guide names no instance sizes or
//! versions, so the config files choose them and say so.
//!
//! [`container`] is the one definition of the Concerto container: the ECS task runs it, and the
//! stack's [`app`] gives the same container to compose (with a MySQL stand-in and a named volume
//! for `/data`) and Kubernetes (Deployment, Service, Ingress, a `ReadWriteMany` claim for `/data`,
//! the password from a Secret, the scheduled commands as `CronJob`s). Only `DB_HOST` differs per
//! platform: the RDS endpoint on AWS, the `mysql` stand-in in compose, the config's host on
//! Kubernetes.

use iac_core::app::{Container, ContainerHealth};
use iac_core::model::{CpuArchitecture, Engine, HealthCheck, PosixUser};
use iac_core::net::Ipv4Cidr;
use iac_core::patterns::{
    ContainerService, ContainerServiceProps, Database, DatabaseProps, ScheduledCommand, SharedVolume, alias_record,
};
use iac_core::rollout;
use iac_core::stack::{ParamKind, Parameter, Stack, StackBuilder};
use iac_core::value::{SecretRef, Value};
use iac_core::workload::{App, Condition, Ingress, Platform, Resources, ScheduledJob, Service, Volume};
use serde::Deserialize;

use crate::config::ConfigSource;
use crate::error::StackError;

/// The stack's config, one file per environment.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Where it runs.
    pub network: NetworkConfig,
    /// The container and its settings.
    pub app: AppConfig,
    /// The ECS service.
    pub service: ServiceConfig,
    /// The shared `/data` directory.
    pub data: DataConfig,
    /// The database.
    pub database: DatabaseConfig,
    /// Console commands run on a schedule.
    #[serde(default)]
    pub schedules: Vec<ScheduleConfig>,
    /// DNS.
    pub dns: DnsConfig,
    /// The Kubernetes rendering (the `k8s` target).
    #[serde(default)]
    pub kubernetes: KubernetesConfig,
}

/// Where the Kubernetes rendering runs; compose needs nothing (its database is the `mysql`
/// stand-in).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct KubernetesConfig {
    /// `DB_HOST` in the cluster: a MySQL Service of the namespace (the guide's MySQL Helm chart),
    /// or an `ExternalName` Service for the RDS endpoint.
    pub db_host: String,
    /// Ingress class (the guide: the NGINX ingress controller); the cluster's default when absent.
    pub ingress_class: Option<String>,
    /// Secret holding the site's TLS certificate (e.g. issued by cert-manager); plain HTTP when
    /// absent.
    pub tls_secret: Option<String>,
    /// Storage class of the `/data` claim; it must support `ReadWriteMany` (NFS, EFS).
    pub storage_class: Option<String>,
    /// Size of the `/data` claim, GiB.
    pub data_size_gib: u32,
}

impl Default for KubernetesConfig {
    fn default() -> Self {
        Self { db_host: "mysql".into(), ingress_class: None, tls_secret: None, storage_class: None, data_size_gib: 20 }
    }
}

/// A new VPC, or an existing one.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkConfig {
    /// Range of a new VPC.
    pub cidr: Option<Ipv4Cidr>,
    /// Zones of a new VPC.
    #[serde(default = "two")]
    pub zones: u8,
    /// One NAT gateway per zone.
    #[serde(default)]
    pub nat_per_zone: bool,
    /// An existing VPC instead of a new one.
    pub existing: Option<ExistingNetwork>,
}

fn two() -> u8 {
    2
}

pub use crate::network::ExistingNetwork;

/// The container: the guide's environment variables, with its defaults.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppConfig {
    /// Pinned image, `campsych/concerto-platform:<version tag>` (never `latest`).
    pub image: String,
    /// `TZ`.
    #[serde(default = "london")]
    pub timezone: String,
    /// PHP-FPM process manager tuning (`PHP_FPM_PM*`).
    #[serde(default)]
    pub php_fpm: PhpFpmConfig,
    /// Why the image's tag could not be checked against its upstream (synth warns).
    pub image_unverified: Option<String>,
}

fn london() -> String {
    "Europe/London".into()
}

/// The `PHP_FPM_PM*` variables of the image, with the guide's defaults.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PhpFpmConfig {
    /// `PHP_FPM_PM`: `dynamic`, `static` or `ondemand`.
    pub pm: String,
    /// `PHP_FPM_PM_MAX_CHILDREN`.
    pub max_children: u32,
    /// `PHP_FPM_PM_START_SERVERS`.
    pub start_servers: u32,
    /// `PHP_FPM_PM_MIN_SPARE_SERVERS`.
    pub min_spare_servers: u32,
    /// `PHP_FPM_PM_MAX_SPARE_SERVERS`.
    pub max_spare_servers: u32,
    /// `PHP_FPM_PM_PROCESS_IDLE_TIMEOUT`, e.g. `10s`.
    pub process_idle_timeout: String,
    /// `PHP_FPM_PM_MAX_REQUESTS`.
    pub max_requests: u32,
}

impl Default for PhpFpmConfig {
    fn default() -> Self {
        Self {
            pm: "dynamic".into(),
            max_children: 30,
            start_servers: 10,
            min_spare_servers: 5,
            max_spare_servers: 15,
            process_idle_timeout: "10s".into(),
            max_requests: 300,
        }
    }
}

/// The ECS service.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceConfig {
    /// Task CPU units.
    pub cpu: u32,
    /// Task memory, MiB.
    pub memory_mib: u32,
    /// Tasks kept running.
    pub desired_count: u32,
    /// Days the container's output is kept in CloudWatch.
    pub log_retention_days: u32,
    /// ACM certificate (default of the `CertificateArn` parameter).
    pub certificate_arn: Option<String>,
    /// Refuse deletion of the load balancer.
    pub deletion_protection: bool,
}

/// The shared `/data` directory (files and sessions) on EFS.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataConfig {
    /// User id files are written as (`www-data` in the image).
    pub uid: u32,
    /// Group id.
    pub gid: u32,
    /// Days without access before files move to Infrequent Access.
    pub transition_to_ia_days: Option<u32>,
}

/// The database.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseConfig {
    /// DB instance identifier.
    pub identifier: String,
    /// Instance class.
    pub instance_class: String,
    /// MySQL version.
    pub engine_version: String,
    /// Parameter group family, e.g. `mysql8.0`.
    pub family: String,
    /// Storage (GiB SSD).
    pub allocated_storage_gib: u32,
    /// Storage autoscaling ceiling.
    pub max_allocated_storage_gib: Option<u32>,
    /// Days of automated backups.
    pub backup_retention_days: u32,
    /// Standby in a second zone.
    pub multi_az: bool,
    /// `DB_NAME`.
    #[serde(default = "concerto")]
    pub db_name: String,
    /// `DB_USER`.
    #[serde(default = "concerto")]
    pub username: String,
}

fn concerto() -> String {
    "concerto".into()
}

/// A console command on a schedule.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleConfig {
    /// Suffix of the logical id, e.g. `ScheduleTick`.
    pub name: String,
    /// What it does.
    pub description: String,
    /// `rate(1 minute)` or `cron(0 3 * * ? *)` (in the app's time zone).
    pub expression: String,
    /// The command, run in the image's working directory.
    pub command: Vec<String>,
}

/// DNS.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DnsConfig {
    /// The hosted zone's id.
    pub hosted_zone_id: String,
    /// The site's name, e.g. `concerto.example.org`.
    pub domain: String,
}

/// The port Concerto serves on in the container.
pub const PORT: u16 = 80;
/// Where Concerto keeps uploaded files (`/data/files`) and sessions (`/data/sessions`).
pub const DATA_DIR: &str = "/data";
/// The volume name of `/data` (an EFS volume on ECS, a named volume in compose, a PVC on Kubernetes).
pub const DATA_VOLUME: &str = "data";
/// Health check path (answers 200).
pub const HEALTH_PATH: &str = "/api/check/health";
/// The server's character set and collation: the RDS parameter group's and the compose MySQL's.
const MYSQL_CHARSET: [(&str, &str); 2] =
    [("character_set_server", "utf8mb4"), ("collation_server", "utf8mb4_unicode_ci")];

/// How the container reaches its database. `password` must be a secret reference (ECS injects
/// it as a `secrets` entry; other runtimes resolve it where the container starts).
#[derive(Debug, Clone)]
pub struct DatabaseEnv {
    /// `DB_HOST`.
    pub host: Value<String>,
    /// `DB_PORT`.
    pub port: u16,
    /// `DB_NAME`.
    pub name: String,
    /// `DB_USER`.
    pub user: String,
    /// `DB_PASSWORD`.
    pub password: Value<String>,
}

/// The Concerto container: the pinned image on port 80, every environment variable the guide
/// names (with its default unless the config overrides it), `/data` on the `data` volume, the
/// health check on `/api/check/health`, and its logs on stdout (the image copies `prod.log` there).
pub fn container(app: &AppConfig, db: &DatabaseEnv) -> Container {
    let fpm = &app.php_fpm;
    let mut c = Container::new("concerto", &app.image)
        .with_unverified_image(app.image_unverified.as_deref())
        .with_port(PORT, PORT)
        .with_env("DB_HOST", db.host.clone())
        .with_env("DB_PORT", db.port.to_string().as_str())
        .with_env("DB_NAME", db.name.as_str())
        .with_env("DB_USER", db.user.as_str())
        .with_env("DB_PASSWORD", db.password.clone())
        .with_env("TZ", app.timezone.as_str())
        .with_env("PHP_FPM_PM", fpm.pm.as_str())
        .with_env("PHP_FPM_PM_MAX_CHILDREN", fpm.max_children.to_string().as_str())
        .with_env("PHP_FPM_PM_START_SERVERS", fpm.start_servers.to_string().as_str())
        .with_env("PHP_FPM_PM_MIN_SPARE_SERVERS", fpm.min_spare_servers.to_string().as_str())
        .with_env("PHP_FPM_PM_MAX_SPARE_SERVERS", fpm.max_spare_servers.to_string().as_str())
        .with_env("PHP_FPM_PM_PROCESS_IDLE_TIMEOUT", fpm.process_idle_timeout.as_str())
        .with_env("PHP_FPM_PM_MAX_REQUESTS", fpm.max_requests.to_string().as_str())
        .with_mount(DATA_VOLUME, DATA_DIR, false)
        .with_health(ContainerHealth {
            command: vec!["CMD-SHELL".into(), format!("curl -fsS http://localhost:{PORT}{HEALTH_PATH} || exit 1")],
            interval_seconds: 30,
            timeout_seconds: 5,
            retries: 3,
            // The first start creates the schema (concerto:setup) before it answers.
            start_period_seconds: 120,
        });
    // The upstream task definition's working directory, where `bin/console` is.
    c.working_dir = Some("/app/concerto".into());
    c
}

/// Builds the stack for `env` from `source`.
#[allow(clippy::too_many_lines)] // the stack, read top to bottom
pub fn build(env: &str, source: &ConfigSource) -> Result<Stack, StackError> {
    let cfg: Config = source.parse()?;
    let mut stack = StackBuilder::new("concerto", env);
    stack.description("Concerto testing platform: ECS Fargate service behind an ALB, /data on EFS, RDS MySQL, DNS");
    stack.tag("app", "concerto");

    let network = crate::network::network(
        &mut stack,
        source,
        cfg.network.cidr,
        cfg.network.existing.as_ref(),
        crate::network::NewVpc { zones: cfg.network.zones, nat_per_zone: cfg.network.nat_per_zone },
    )?;
    let certificate = stack.parameter(
        "CertificateArn",
        Parameter {
            kind: ParamKind::CertificateArn,
            description: format!("ACM certificate for {}", cfg.dns.domain),
            default: cfg.service.certificate_arn.clone(),
        },
    );

    let db = Database::create(
        &mut stack,
        DatabaseProps {
            name: "Database",
            network: &network,
            engine: Engine::Mysql,
            engine_version: cfg.database.engine_version.clone(),
            family: cfg.database.family.clone(),
            parameters: MYSQL_CHARSET.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
            instance_class: cfg.database.instance_class.clone(),
            allocated_storage_gib: cfg.database.allocated_storage_gib,
            max_allocated_storage_gib: cfg.database.max_allocated_storage_gib,
            backup_retention_days: cfg.database.backup_retention_days,
            multi_az: cfg.database.multi_az,
            identifier: Some(cfg.database.identifier.clone()),
            db_name: cfg.database.db_name.clone(),
            master_username: cfg.database.username.clone(),
            monitoring_interval: 60,
        },
    );
    // Concerto's image connects to MySQL without TLS (its Doctrine and R connections set no SSL
    // options), so the server cannot require it; the traffic stays inside the private subnets.
    stack.configure(&db.instance, |e| {
        e.suppressions.push(iac_core::patterns::suppress(
            "CKV2_AWS_69",
            "the Concerto image connects to MySQL without TLS (no SSL options in its Doctrine or R connections); require_secure_transport would lock it out, and the traffic stays between two security groups in private subnets",
        ));
    });
    let app = container(
        &cfg.app,
        &DatabaseEnv {
            host: db.instance.endpoint_address(),
            port: db.port,
            name: db.db_name.clone(),
            user: db.master_username.clone(),
            password: Value::Secret(db.master_password()),
        },
    );
    let platforms = self::app(&cfg, source, app.clone(), db.master_password())?;
    let service = ContainerService::create(
        &mut stack,
        ContainerServiceProps {
            name: "App",
            network: &network,
            container: app,
            cpu: cfg.service.cpu,
            memory_mib: cfg.service.memory_mib,
            // The published image is built for x86_64 only (guide: "Limitations of Docker container").
            cpu_architecture: CpuArchitecture::X86_64,
            desired_count: cfg.service.desired_count,
            health_check: HealthCheck::http(HEALTH_PATH),
            health_check_grace_period_seconds: 300,
            certificate_arn: certificate.value(),
            deletion_protection: cfg.service.deletion_protection,
            log_retention_days: cfg.service.log_retention_days,
            shared_volume: Some(SharedVolume {
                volume: DATA_VOLUME.into(),
                posix_user: PosixUser { uid: cfg.data.uid, gid: cfg.data.gid },
                root_directory: DATA_DIR.into(),
                permissions: "0755".into(),
                transition_to_ia_days: cfg.data.transition_to_ia_days,
            }),
            schedules: cfg
                .schedules
                .iter()
                .map(|s| ScheduledCommand {
                    name: s.name.clone(),
                    description: s.description.clone(),
                    expression: s.expression.clone(),
                    command: s.command.clone(),
                })
                .collect(),
            timezone: cfg.app.timezone.clone(),
            statements: Vec::new(),
            internet_egress_ports: vec![443],
            vpc_egress_ports: vec![db.port],
        },
    );
    db.allow_from(&mut stack, &service);

    // A release (`rollout concerto --version V`): a task definition revision with the new image,
    // deployed on the service and waited for behind the load balancer.
    stack.rollout(rollout::RolloutPlan {
        roles: vec![rollout::Role::service("web", &service.service, &service.task_definition, &service.target_group)],
        steps: vec![rollout::Step::Deploy("web".into())],
    });

    alias_record(
        &mut stack,
        "SiteRecord",
        cfg.dns.hosted_zone_id.as_str(),
        cfg.dns.domain.as_str(),
        &service.load_balancer,
    );

    stack.output("SiteUrl", "The site", Value::from(format!("https://{}", cfg.dns.domain)));
    stack.output("LoadBalancerDnsName", "The load balancer's DNS name", service.load_balancer.dns_name());
    stack.output("ClusterName", "The ECS cluster", service.cluster.name());
    stack.output("ServiceName", "The ECS service", service.service.name());
    stack.output("LogGroupName", "CloudWatch log group of the containers", service.log_group.name());
    stack.output("DatabaseEndpoint", "The database's endpoint", db.instance.endpoint_address());
    stack.output(
        "DatabaseSecretArn",
        "Secrets Manager secret of the master password (managed by RDS)",
        db.instance.master_user_secret_arn(),
    );
    if let Some(fs) = &service.file_system {
        stack.output("FileSystemId", "EFS file system holding /data", fs.file_system_id());
    }
    stack.app(platforms);
    Ok(stack.build()?)
}

/// Concerto for compose and Kubernetes: `container` (the one the ECS task runs) as the service
/// `concerto`, with as many replicas as the ECS service, the task's CPU and memory, the health
/// check as HTTP probes, an ingress for the site's domain, `/data` on a shared volume, and the
/// config's schedules as jobs. Compose adds a MySQL stand-in of the RDS version, character set
/// and names, which the service waits for. `password` is the database password (`DB_PASSWORD`
/// everywhere: the compose variable, the key of the Kubernetes Secret).
pub fn app(cfg: &Config, source: &ConfigSource, container: Container, password: SecretRef) -> Result<App, StackError> {
    let k8s = &cfg.kubernetes;
    let mut ingress = Ingress::new([cfg.dns.domain.as_str()], PORT);
    if let Some(class) = &k8s.ingress_class {
        ingress = ingress.class(class.as_str());
    }
    if let Some(tls) = &k8s.tls_secret {
        ingress = ingress.tls(tls.as_str());
    }
    let mut data = Volume::shared(DATA_VOLUME, k8s.data_size_gib);
    if let Some(class) = &k8s.storage_class {
        data = data.storage_class(class.as_str());
    }
    let concerto = Service::new(container)
        .replicas(cfg.service.desired_count)
        .ingress(ingress)
        .http_probe(HEALTH_PATH, PORT)
        .resources(Resources {
            // ECS CPU units: 1024 to a vCPU.
            cpu_millis: cfg.service.cpu * 1000 / 1024,
            memory_mib: cfg.service.memory_mib,
            cpu_limit_millis: None,
            memory_limit_mib: cfg.service.memory_mib,
        })
        .depends_on("mysql", Condition::Healthy)
        .env_for(Platform::Compose, "DB_HOST", "mysql")
        .env_for(Platform::Kubernetes, "DB_HOST", k8s.db_host.as_str());
    let mysql = Container::new("mysql", &format!("mysql:{}", cfg.database.engine_version))
        .with_command(MYSQL_CHARSET.iter().map(|(k, v)| format!("--{}={v}", k.replace('_', "-"))))
        .with_env("MYSQL_DATABASE", cfg.database.db_name.as_str())
        .with_env("MYSQL_USER", cfg.database.username.as_str())
        .with_env("MYSQL_PASSWORD", Value::Secret(password.clone()))
        .with_env("MYSQL_RANDOM_ROOT_PASSWORD", "yes")
        .with_mount("mysql-data", "/var/lib/mysql", false)
        .with_health(ContainerHealth {
            command: ["CMD", "mysqladmin", "ping", "--host=127.0.0.1", "--silent"].map(String::from).to_vec(),
            interval_seconds: 10,
            timeout_seconds: 5,
            retries: 3,
            start_period_seconds: 30,
        });
    let mut app = App::new("concerto")
        .secret("DB_PASSWORD", password)
        .volume(data)
        .volume(Volume::new("mysql-data", cfg.database.allocated_storage_gib))
        .service(concerto)
        .service(Service::backing(mysql));
    for (i, s) in cfg.schedules.iter().enumerate() {
        let schedule = five_field_cron(&s.expression).ok_or_else(|| {
            source.value_error(
                &format!("schedules[{i}].expression"),
                format!(
                    "`{}` has no five-field cron equivalent for compose and Kubernetes; write `rate(N minutes|hours)` \
                     with N dividing 60 or 24, `rate(1 day)`, or `cron(...)` with day names (MON) rather than numbers \
                     and `*` as the year",
                    s.expression
                ),
            )
        })?;
        app = app.job(ScheduledJob::new(kebab(&s.name), schedule, "concerto", s.command.iter().cloned()));
    }
    Ok(app)
}

/// An `EventBridge` schedule expression (`rate(...)` or six-field `cron(...)`) as a five-field
/// cron schedule, when it has one. Numeric days of the week are refused: `EventBridge` counts
/// them from 1 (Sunday), cron from 0.
fn five_field_cron(expression: &str) -> Option<String> {
    if let Some(rate) = expression.strip_prefix("rate(").and_then(|r| r.strip_suffix(')')) {
        let (n, unit) = rate.trim().split_once(' ')?;
        let n: u32 = n.parse().ok()?;
        return match (unit.trim_end_matches('s'), n) {
            ("minute", 1) => Some("* * * * *".into()),
            ("minute", n) if n < 60 && 60 % n == 0 => Some(format!("*/{n} * * * *")),
            ("hour", 1) => Some("0 * * * *".into()),
            ("hour", n) if n < 24 && 24 % n == 0 => Some(format!("0 */{n} * * *")),
            ("day", 1) => Some("0 0 * * *".into()),
            _ => None,
        };
    }
    let cron = expression.strip_prefix("cron(")?.strip_suffix(')')?;
    let fields: Vec<&str> = cron.split_whitespace().collect();
    let [minute, hour, day, month, weekday, year] = fields[..] else { return None };
    // `L` (last), `W` (weekday) and `#` (nth weekday) have no cron equivalent.
    if year != "*"
        || [minute, hour, day].iter().any(|f| f.contains(['L', 'W', '#']))
        || weekday == "L"
        || weekday.contains(|c: char| c.is_ascii_digit() || c == '#')
    {
        return None;
    }
    let any = |f: &str| if f == "?" { "*".to_owned() } else { f.to_owned() };
    Some(format!("{} {} {} {} {}", minute, hour, any(day), month, any(weekday)))
}

/// `ScheduleTick` -> `schedule-tick`.
fn kebab(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('-');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_become_five_field_cron() {
        for (expression, cron) in [
            ("rate(1 minute)", Some("* * * * *")),
            ("rate(15 minutes)", Some("*/15 * * * *")),
            ("rate(7 minutes)", None),
            ("rate(6 hours)", Some("0 */6 * * *")),
            ("rate(1 day)", Some("0 0 * * *")),
            ("rate(2 days)", None),
            ("cron(0 3 * * ? *)", Some("0 3 * * *")),
            ("cron(0 8 ? * MON-FRI *)", Some("0 8 * * MON-FRI")),
            ("cron(0 8 ? * 2 *)", None),
            ("cron(0 8 L * ? *)", None),
            ("cron(0 8 * * ? 2027)", None),
            ("cron(0 8 * *)", None),
            ("at(2027-01-01T00:00:00)", None),
        ] {
            assert_eq!(five_field_cron(expression).as_deref(), cron, "{expression}");
        }
    }

    #[test]
    fn job_names_are_kebab_case() {
        assert_eq!(kebab("ScheduleTick"), "schedule-tick");
        assert_eq!(kebab("SessionsClear"), "sessions-clear");
    }
}
