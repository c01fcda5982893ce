//! Aquamark (survey web app): RDS PostgreSQL, a baked AMI in an ASG behind an application load
//! balancer, a daemons host, and a Route53 alias. From `seeds/002`; where the guide is dated
//! (EC2-Classic ELB, launch configurations, db.t2, Ubuntu 14.04, API keys in the AMI) the stack
//! models the modern equivalent and the config files keep the guide's values as comments.

use iac_core::app::{Bake, BaseImage, Container, CronJob, HostConfig, HostFile, Migration, ServiceType, SystemdUnit};
use iac_core::model::HealthCheck;
use iac_core::model::{Engine, RootVolume, Statement};
use iac_core::net::Ipv4Cidr;
use iac_core::patterns::alarms::{self, Notifications};
use iac_core::patterns::{Database, DatabaseProps, Host, HostProps, WebTier, WebTierProps, alias_record};
use iac_core::rollout::{Arg, Role, RolloutPlan, Step};
use iac_core::stack::{ParamKind, Parameter, Stack, StackBuilder};
use iac_core::value::{Pseudo, Value};
use indexmap::IndexMap;
use serde::Deserialize;

use crate::config::ConfigSource;
use crate::error::StackError;

/// The stack's config, one file per environment.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Where it runs.
    pub network: NetworkConfig,
    /// The application image and its settings.
    pub app: AppConfig,
    /// The web tier.
    pub web: WebConfig,
    /// The database.
    pub database: DatabaseConfig,
    /// The daemons host.
    pub daemons: DaemonsConfig,
    /// DNS.
    pub dns: DnsConfig,
    /// Who the alarms notify, and their thresholds; no alarms without it. The SDK engine has no
    /// SNS, CloudWatch or KMS adapters yet, so a config for `deploy` leaves it out.
    #[serde(default)]
    pub alarms: Option<crate::alarms::AlarmsConfig>,
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
    /// The "local subnet" admitted on HTTP and SSH (the guide's `172.31.0.0/20`).
    pub local_subnet_cidr: Ipv4Cidr,
}

fn two() -> u8 {
    2
}

pub use crate::network::ExistingNetwork;

/// The application.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppConfig {
    /// Pinned image, e.g. `vpac/aquamark:1.0.1`.
    pub image: String,
    /// Google Analytics id (empty: none).
    #[serde(default)]
    pub analytics_id: String,
    /// The S3 bucket the app reads and writes, through the instance role (the guide's
    /// access keys are not needed).
    pub bucket: String,
    /// The AMI baked for this release (default of the `WebImageId` parameter).
    pub ami_id: Option<String>,
    /// Why the image's tag could not be checked against its upstream (synth warns).
    pub image_unverified: Option<String>,
}

/// The web tier.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebConfig {
    /// Instance type.
    pub instance_type: String,
    /// ASG minimum.
    pub min_size: u32,
    /// ASG maximum.
    pub max_size: u32,
    /// ASG desired.
    pub desired_capacity: u32,
    /// CPU percent the scaling policy keeps.
    pub cpu_target: f64,
    /// Root volume (General Purpose SSD), GiB.
    pub root_volume_gib: u32,
    /// ACM certificate (default of the `CertificateArn` parameter).
    pub certificate_arn: Option<String>,
    /// Refuse deletion of the load balancer.
    pub deletion_protection: bool,
}

/// The database.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseConfig {
    /// DB instance identifier.
    pub identifier: String,
    /// Instance class.
    pub instance_class: String,
    /// PostgreSQL version.
    pub engine_version: String,
    /// Parameter group family, e.g. `postgres16`.
    pub family: String,
    /// Storage (GiB SSD).
    pub allocated_storage_gib: u32,
    /// Storage autoscaling ceiling.
    pub max_allocated_storage_gib: Option<u32>,
    /// Days of automated backups.
    pub backup_retention_days: u32,
    /// Standby in a second zone.
    pub multi_az: bool,
    /// Database name.
    pub db_name: String,
    /// Master user.
    pub username: String,
}

/// The daemons host.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DaemonsConfig {
    /// Instance type.
    pub instance_type: String,
}

/// DNS.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DnsConfig {
    /// The hosted zone's id.
    pub hosted_zone_id: String,
    /// The site's name, e.g. `survey.example.org`.
    pub domain: String,
}

/// Where the app's config is mounted in the daemon containers.
const CONFIG_DIR: &str = "/etc/aquamark/config";

/// The guide's watchdog: checks `/ping` and restarts the container when the answer is wrong.
const WATCHDOG: &str = r#"#!/bin/sh
# Restarts the aquamark container when /ping does not answer "Web services are UP".
if ! curl -fsS --max-time 10 http://127.0.0.1/ping | grep -q 'Web services are UP'; then
  logger -t aquamark-watchdog "ping failed; restarting the aquamark container"
  systemctl restart aquamark.service
fi
"#;

/// The schema migration by hand or from a rollout (`aquamark-migrate [image]`, through SSM after
/// the switch): the image defaulting to the deployed version, under the same lock as the
/// migration every host runs at boot, with its env file.
fn migrate_script(image: &str, lock: &str) -> String {
    format!(
        r#"#!/bin/sh
# One-off schema migration: alembic upgrade head with the given (or deployed) image.
set -eu
image="${{1:-{image}}}"
docker pull "$image"
exec /usr/local/sbin/iac-lock {lock} docker run --rm --env-file=/etc/iac/{MIGRATE}.env "$image" alembic upgrade head
"#
    )
}

/// Fills the daemons' config directory with the image's own config files the first time (the
/// guide copies `src/app/config` and edits its mail settings there); later edits are kept.
const CONFIG_SCRIPT: &str = r#"#!/bin/sh
# aquamark-config IMAGE: copies IMAGE's config directory to /etc/aquamark/config when that is
# empty, so that the daemons, which mount it over the image's, keep their settings. Edit the mail
# settings there (as the guide does), then restart recalc and notify.
set -eu
dir=/etc/aquamark/config
image="$1"
if [ -n "$(ls -A "$dir" 2>/dev/null)" ]; then exit 0; fi
install -d -m 0755 "$dir"
id=$(docker create "$image")
trap 'docker rm "$id" >/dev/null 2>&1' EXIT
docker cp "$id:/usr/share/aquamark/app/config/." "$dir/"
"#;

/// The migration's name: its container, unit and lock.
const MIGRATE: &str = "aquamark-migrate";

/// The unit that fills the daemons' config directory before they start.
fn config_unit(image: &str) -> SystemdUnit {
    let mut unit =
        SystemdUnit::new("aquamark-config.service", "Fill /etc/aquamark/config from the image the first time")
            .of_type(ServiceType::Oneshot)
            .exec(["/usr/local/bin/aquamark-config", image])
            .after_unit("docker.service", false);
    unit.requires = vec!["docker.service".into()];
    unit.exec_start_pre = vec![vec!["/usr/local/sbin/iac-image".into(), image.into()]];
    unit.remain_after_exit = true;
    unit.before = vec!["recalc.service".into(), "notify.service".into()];
    unit
}

/// Builds the stack for `env` from `source`.
#[allow(clippy::too_many_lines)] // the stack, read top to bottom
pub fn build(env: &str, source: &ConfigSource) -> Result<Stack, StackError> {
    let cfg: Config = source.parse()?;
    let mut stack = StackBuilder::new("aquamark", env);
    stack.description("Aquamark survey app: RDS PostgreSQL, web ASG behind an ALB, daemons host, DNS");
    stack.tag("app", "aquamark");

    let network = crate::network::network(
        &mut stack,
        source,
        cfg.network.cidr,
        cfg.network.existing.as_ref(),
        crate::network::NewVpc { zones: cfg.network.zones, nat_per_zone: cfg.network.nat_per_zone },
    )?;

    let ami = stack.parameter(
        "WebImageId",
        Parameter {
            kind: ParamKind::ImageId,
            description: "AMI baked for this release (aq-web-v<version>-<build>); the rollout command replaces it"
                .into(),
            default: cfg.app.ami_id.clone(),
        },
    );
    let certificate = stack.parameter(
        "CertificateArn",
        Parameter {
            kind: ParamKind::CertificateArn,
            description: format!("ACM certificate for {}", cfg.dns.domain),
            default: cfg.web.certificate_arn.clone(),
        },
    );

    // The database comes first so that the web tier's env can refer to it; its security group
    // admits the tiers afterwards (allow_from), without a cycle.
    let db = Database::create(
        &mut stack,
        DatabaseProps {
            name: "Database",
            network: &network,
            engine: Engine::Postgres,
            engine_version: cfg.database.engine_version.clone(),
            family: cfg.database.family.clone(),
            parameters: IndexMap::from([("rds.force_ssl".to_owned(), "1".to_owned())]),
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
    let database_url = db.url("postgresql");
    let bucket_statement = Statement {
        allow: true,
        actions: vec!["s3:GetObject".into(), "s3:PutObject".into(), "s3:DeleteObject".into(), "s3:ListBucket".into()],
        resources: vec![
            Value::from(format!("arn:aws:s3:::{}", cfg.app.bucket)),
            Value::from(format!("arn:aws:s3:::{}/*", cfg.app.bucket)),
        ],
    };
    let app_env = |c: Container| {
        c.with_env("DATABASE_URL", database_url.clone())
            .with_env("AWS_DEFAULT_REGION", Value::Pseudo(Pseudo::Region))
            .with_unverified_image(cfg.app.image_unverified.as_deref())
    };

    let web_container =
        app_env(Container::new("aquamark", &cfg.app.image).with_env("ANALYTICS_ID", cfg.app.analytics_id.as_str()))
            .with_port(80, 8000);
    // Seed: "Schema migration as a one-off: vpac/aquamark alembic upgrade head". Every host runs
    // it at boot under the stack's lock before its containers start, so a first deploy has a
    // schema before the web tier takes traffic, and a green web group of a release migrates
    // before it is healthy.
    let migration = |before: &[&str]| {
        Migration::new(
            app_env(Container::new(MIGRATE, &cfg.app.image).with_command(["alembic", "upgrade", "head"])),
            before.iter().copied(),
        )
    };
    let lock = crate::migration::lock_statement("aquamark", env);
    let local = cfg.network.local_subnet_cidr.to_string();
    let watchdog = HostFile { path: "/usr/local/bin/aquamark-watchdog".into(), mode: 0o755, content: WATCHDOG.into() };
    let watchdog_cron = CronJob {
        name: "aquamark-watchdog".into(),
        schedule: "*/5 * * * *".into(),
        user: "root".into(),
        command: "/usr/local/bin/aquamark-watchdog".into(),
    };
    // The guide's build instance, as a bake: Ubuntu (24.04 instead of 14.04), the tools, Docker,
    // the app image at this version and the watchdog. The env file and the container start come
    // from each instance's own user data at boot, so no secret is ever in the image.
    stack.bake(Bake {
        name: "aq-web".into(),
        base: BaseImage::Lookup {
            owners: vec!["099720109477".into()],
            name: "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-*".into(),
        },
        instance_type: "t3.small".into(),
        ssh_username: "ubuntu".into(),
        root_volume: RootVolume::gp3("/dev/sda1", cfg.web.root_volume_gib),
        host: HostConfig {
            name: "aq-web".into(),
            packages: vec!["git".into(), "make".into(), "curl".into(), "python3-pip".into()],
            docker: true,
            files: vec![watchdog.clone()],
            containers: vec![web_container.clone()],
            cron: vec![watchdog_cron.clone()],
            ..HostConfig::default()
        },
    });
    let web = WebTier::create(
        &mut stack,
        WebTierProps {
            name: "Web",
            network: &network,
            image_id: ami.value(),
            instance_type: cfg.web.instance_type.clone(),
            host: HostConfig {
                name: "aquamark-web".into(),
                packages: vec!["curl".into()],
                docker: true,
                files: vec![watchdog],
                containers: vec![web_container],
                cron: vec![watchdog_cron],
                migration: Some(migration(&["aquamark"])),
                ..HostConfig::default()
            },
            instance_port: 80,
            health_check: HealthCheck::http("/ping"),
            certificate_arn: certificate.value(),
            min_size: cfg.web.min_size,
            max_size: cfg.web.max_size,
            desired_capacity: cfg.web.desired_capacity,
            cpu_target: cfg.web.cpu_target,
            admin_cidrs: vec![local.clone()],
            root_volume: RootVolume::gp3("/dev/sda1", cfg.web.root_volume_gib),
            statements: vec![db.read_secret_statement(), bucket_statement.clone(), lock.clone()],
            internet_egress_ports: vec![80, 443],
            vpc_egress_ports: vec![db.port],
            deletion_protection: cfg.web.deletion_protection,
        },
    );
    db.allow_from(&mut stack, &web);

    let daemon = |name: &str, script: &str| {
        app_env(Container::new(name, &cfg.app.image).with_command(["python3", script])).with_mount(
            CONFIG_DIR,
            "/usr/share/aquamark/app/config",
            false,
        )
    };
    let daemons = Host::create(
        &mut stack,
        HostProps {
            name: "Daemons",
            network: &network,
            image_id: ami.value(),
            instance_type: cfg.daemons.instance_type.clone(),
            host: HostConfig {
                name: "aquamark-daemons".into(),
                packages: Vec::new(),
                docker: true,
                files: vec![
                    HostFile {
                        path: "/usr/local/bin/aquamark-migrate".into(),
                        mode: 0o755,
                        content: migrate_script(&cfg.app.image, &format!("/iac/aquamark/{env}/lock/{MIGRATE}")),
                    },
                    HostFile {
                        path: "/usr/local/bin/aquamark-config".into(),
                        mode: 0o755,
                        content: CONFIG_SCRIPT.into(),
                    },
                ],
                units: vec![config_unit(&cfg.app.image)],
                containers: vec![
                    daemon("recalc", "./server/recalculate.py"),
                    daemon("notify", "./server/notifications.py"),
                ],
                cron: Vec::new(),
                migration: Some(migration(&["recalc", "notify"])),
                ..HostConfig::default()
            },
            admin_cidrs: vec![local],
            root_volume: RootVolume::gp3("/dev/sda1", cfg.web.root_volume_gib),
            statements: vec![db.read_secret_statement(), bucket_statement, lock],
            internet_egress_ports: vec![80, 443, 587],
            vpc_egress_ports: vec![db.port],
            data_volume: None,
        },
    );
    db.allow_from(&mut stack, &daemons);

    if let Some(a) = &cfg.alarms {
        let notifications = Notifications::create(&mut stack, "Alarms", &a.emails);
        notifications.alarm(&mut stack, "DatabaseCpuAlarm", alarms::rds_cpu(&db.instance, a.db_cpu_percent));
    }

    // The guide's upgrade: new ASG on the same load balancer, healthy, old one deleted; then
    // the migration with the new image on the daemons host; then the daemons on that image.
    stack.rollout(RolloutPlan {
        roles: vec![
            Role::web("web", &web.auto_scaling_group, &web.launch_template, &web.target_group),
            Role::host("daemons", &daemons.instance),
        ],
        steps: vec![
            Step::Switch("web".into()),
            Step::RunOnce {
                role: "daemons".into(),
                command: vec![Arg::from("/usr/local/bin/aquamark-migrate"), Arg::Image],
            },
            Step::UpdateHost("daemons".into()),
        ],
    });

    alias_record(
        &mut stack,
        "SiteRecord",
        cfg.dns.hosted_zone_id.as_str(),
        cfg.dns.domain.as_str(),
        &web.load_balancer,
    );

    stack.output("SiteUrl", "The site", Value::from(format!("https://{}", cfg.dns.domain)));
    stack.output("LoadBalancerDnsName", "The load balancer's DNS name", web.load_balancer.dns_name());
    stack.output("DatabaseEndpoint", "The database's endpoint", db.instance.endpoint_address());
    stack.output(
        "DatabaseSecretArn",
        "Secrets Manager secret of the master password (managed by RDS)",
        db.instance.master_user_secret_arn(),
    );
    stack.output(
        "WebAutoScalingGroupName",
        "The web tier's ASG (the blue one during a rollout)",
        web.auto_scaling_group.name(),
    );
    stack.output("DaemonsInstanceId", "The daemons host", daemons.instance.instance_id());
    Ok(stack.build()?)
}
