//! Ichnaea (Mozilla Location Service): one image, `mozilla/location`, in three roles — a web
//! ASG behind an application load balancer, a worker ASG and exactly one scheduler — plus an
//! admin node, RDS MySQL Multi-AZ with a read replica for the web role, ElastiCache Redis
//! Multi-AZ, an asset bucket behind CloudFront, a backup bucket and Route53 records. From
//! `seeds/004`; where the guide is dated (MySQL 5.7, Redis 3.2, utf8, an ELB) the stack models
//! the modern equivalent and the config files keep the guide's values as comments.
//!
//! Two choices a reviewer should know:
//!
//! - **The scheduler never runs twice.** It is an ASG of exactly one (min = max = desired = 1)
//!   in a single private subnet. An ASG never exceeds its maximum except while rebalancing
//!   zones (`AZRebalance` may launch the new instance before terminating the old), and a group
//!   in one zone has nothing to rebalance; replacing an unhealthy instance terminates it first.
//!   Launch template changes replace nothing by themselves: a release stops the scheduler
//!   (scale to 0, wait) before starting it on the new image (the rollout plan below, checked by
//!   validation). The price is that a zone outage pauses periodic tasks until the zone is back;
//!   the workers keep draining the queues meanwhile.
//! - **The map job is a cron job on the admin node** (`flock`, so runs never overlap), as the
//!   guide does it: the admin node already has the image, the env file and the `GeoLite2` database,
//!   and an ASG scaled up on a schedule (`ScheduledAction`) would need to scale itself down
//!   again when the job ends, with permissions to match, for a job of minutes a day.
//!
//! The same role containers ([`role_containers`]) make the stack's [`app`]: the compose file is
//! the guide's local development setup (MySQL and Redis stand-ins, the map job on the host's
//! cron); the Kubernetes manifests run the roles against the config's hosts. There the scheduler
//! is a singleton service: a Deployment of one with the `Recreate` strategy, so an update stops
//! the old pod before the new one starts and it never runs twice.

use iac_core::Handle;
use iac_core::app::{Container, ContainerHealth, CronJob, HostConfig, HostFile, Migration, Restart};
use iac_core::model::{
    AutoScalingGroup, Engine, HealthCheck, HealthCheckType, InstanceProfile, LaunchTemplate, LifecycleRule,
    MachineSpec, Peer, PriceClass, RootVolume, Rule, ScalingPolicy, SecurityGroup, Statement, TrackedMetric,
};
use iac_core::model::{Bucket, BucketEncryption, BucketPolicy, ObjectOwnership, PolicyStatement, Secret};
use iac_core::net::Ipv4Cidr;
use iac_core::patterns::alarms::{self, Notifications};
use iac_core::patterns::{
    AssetCdn, AssetCdnProps, Cache, CacheProps, Database, DatabaseProps, Host, HostProps, Network, WebTier,
    WebTierProps, alias_record,
};
use iac_core::rollout::{Arg, Role, RolloutPlan, Step};
use iac_core::stack::{ParamKind, Parameter, Stack, StackBuilder};
use iac_core::value::{Pseudo, SecretRef, Value};
use iac_core::workload::{App, Condition, Ingress, Platform, ScheduledJob, Service, Volume};
use indexmap::IndexMap;
use serde::Deserialize;

use crate::aquamark::NetworkConfig;
use crate::config::ConfigSource;
use crate::error::StackError;

/// The stack's config, one file per environment.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Where it runs.
    pub network: NetworkConfig,
    /// The image and what every role shares.
    pub app: AppConfig,
    /// The web role.
    pub web: WebConfig,
    /// The worker role.
    pub worker: WorkerConfig,
    /// The scheduler role.
    pub scheduler: SchedulerConfig,
    /// The admin node.
    pub admin: AdminConfig,
    /// The database.
    pub database: DatabaseConfig,
    /// The Redis cache.
    pub cache: CacheConfig,
    /// The asset bucket and its CDN.
    pub assets: AssetsConfig,
    /// The backup bucket.
    pub backup: BackupConfig,
    /// DNS.
    pub dns: DnsConfig,
    /// The compose file (local development).
    #[serde(default)]
    pub compose: ComposeConfig,
    /// The Kubernetes manifests.
    #[serde(default)]
    pub kubernetes: KubernetesConfig,
    /// Who the alarms notify, and their thresholds.
    pub alarms: crate::alarms::AlarmsConfig,
}

/// The compose file for local development: the roles with MySQL and Redis stand-ins, no AWS.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ComposeConfig {
    /// Pinned image of the Redis stand-in (`ElastiCache` versions such as 7.1 have no image of
    /// their own). The MySQL stand-in is `mysql:<database.engine_version>`.
    pub redis_image: String,
}

impl Default for ComposeConfig {
    fn default() -> Self {
        Self { redis_image: "redis:7.2.5".into() }
    }
}

/// Where the Kubernetes manifests run: every role reads and writes the database at `db_host`
/// (a Service of the namespace, or an `ExternalName` Service for RDS) and the cache at
/// `redis_host` (plain `redis://`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct KubernetesConfig {
    /// MySQL host of every role.
    pub db_host: String,
    /// Redis host.
    pub redis_host: String,
    /// `ASSET_URL` when the assets have no domain of their own (the CloudFront name is known only
    /// where the stack is deployed); empty when absent.
    pub asset_url: Option<String>,
    /// `AWS_DEFAULT_REGION` of the asset bucket; empty when absent.
    pub aws_region: Option<String>,
    /// Ingress class; the cluster's default when absent.
    pub ingress_class: Option<String>,
    /// Secret holding the TLS certificate of the ingress; plain HTTP when absent.
    pub tls_secret: Option<String>,
    /// Storage class of the `GeoLite2` claim, which every role mounts (`ReadWriteMany`).
    pub storage_class: Option<String>,
}

impl Default for KubernetesConfig {
    fn default() -> Self {
        Self {
            db_host: "mysql".into(),
            redis_host: "redis".into(),
            asset_url: None,
            aws_region: None,
            ingress_class: None,
            tls_secret: None,
            storage_class: None,
        }
    }
}

/// The image and the settings every role shares.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppConfig {
    /// Pinned image, e.g. `mozilla/location:2.2.0`.
    pub image: String,
    /// The EC2 image the hosts boot (any image with cloud-init; Docker is installed at boot).
    /// `SECRET_KEY` is no setting: the stack generates it in Secrets Manager when it is created.
    pub ami_id: Option<String>,
    /// Why the image's tag could not be checked against its upstream (synth warns).
    pub image_unverified: Option<String>,
}

/// The web role.
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
    /// Root volume, GiB.
    pub root_volume_gib: u32,
    /// ACM certificate of the load balancer (default of the `CertificateArn` parameter).
    pub certificate_arn: Option<String>,
    /// Refuse deletion of the load balancer.
    pub deletion_protection: bool,
}

/// The worker role.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkerConfig {
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
}

/// The scheduler role (always exactly one).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchedulerConfig {
    /// Instance type.
    pub instance_type: String,
}

/// The admin node.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdminConfig {
    /// Instance type.
    pub instance_type: String,
    /// Cron schedule of the map tile job (five fields, UTC).
    pub map_schedule: String,
}

/// The database.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseConfig {
    /// DB instance identifier of the primary.
    pub identifier: String,
    /// Instance class of the primary.
    pub instance_class: String,
    /// MySQL version.
    pub engine_version: String,
    /// Parameter group family, e.g. `mysql8.4`.
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
    /// Master user (the app's `DB_USER`).
    pub username: String,
    /// Instance class of the read replica (the primary's when absent).
    pub replica_instance_class: Option<String>,
    /// A standby for the replica too.
    pub replica_multi_az: bool,
    /// Engine parameters (character set, redo log size...).
    pub parameters: IndexMap<String, String>,
}

/// The cache.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CacheConfig {
    /// Node type.
    pub node_type: String,
    /// Redis OSS version.
    pub engine_version: String,
    /// Parameter group family, e.g. `redis7`.
    pub family: String,
    /// Replicas of the primary.
    pub replicas: u32,
    /// Replicas in other zones with automatic failover.
    pub multi_az: bool,
    /// Days of automatic snapshots.
    pub snapshot_retention_days: u32,
}

/// The asset bucket and its CDN.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssetsConfig {
    /// Bucket name (global).
    pub bucket: String,
    /// The CDN's own name, e.g. `assets.location.example.org` (none: `*.cloudfront.net`).
    pub domain: Option<String>,
    /// ACM certificate in us-east-1 for `domain` (default of `AssetsCertificateArn`).
    pub certificate_arn: Option<String>,
    /// `PriceClass_100`, `PriceClass_200` or `PriceClass_All`.
    pub price_class: String,
    /// Days before public exports (`export/`) are deleted.
    pub export_expiration_days: u32,
}

/// The backup bucket.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackupConfig {
    /// Bucket name (global). It also holds the `GeoLite2` database under `geoip/`.
    pub bucket: String,
    /// Days before observation backups (`backups/`) are deleted.
    pub observation_expiration_days: u32,
}

/// DNS.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DnsConfig {
    /// The hosted zone's id.
    pub hosted_zone_id: String,
    /// The service's name, e.g. `location.example.org`.
    pub domain: String,
}

/// Where the `GeoLite2` database lives on every host, mounted into the containers.
const GEOIP_DIR: &str = "/opt/geoip";
/// The migration's name: its container, unit, compose service, Job and lock.
const MIGRATE: &str = "ichnaea-migrate";
/// The env file of the admin node's migration, shared by its one-off commands (the primary).
const ADMIN_ENV: &str = "/etc/iac/ichnaea-migrate.env";
/// The guide's database setup: `alembic stamp base` on a database that has no schema yet (only
/// then: on one that has, it would forget the applied revisions), then `alembic upgrade head`,
/// which "needs to be run whenever you upgrade to a new version".
const MIGRATE_COMMAND: &str = "if ! alembic current 2>/dev/null | grep -Eq '^[0-9a-f]{6,}'; then alembic stamp base; fi \
     && exec alembic upgrade head";

/// Fetches the `GeoLite2` database from the backup bucket when it changed and swaps it in with the
/// given containers stopped: the app does not tolerate the file changing under it (guide).
const GEOIP_SCRIPT: &str = r#"#!/bin/sh
# ichnaea-geoip BUCKET CONTAINER...: installs s3://BUCKET/geoip/GeoLite2-City.mmdb in /opt/geoip
# when its ETag changed, with the containers stopped while the file is replaced.
set -eu
bucket="$1"
shift
key=geoip/GeoLite2-City.mmdb
install -d -m 0755 /opt/geoip
etag=$(aws s3api head-object --bucket "$bucket" --key "$key" --query ETag --output text)
if [ -f /opt/geoip/.etag ] && [ "$(cat /opt/geoip/.etag)" = "$etag" ]; then
  exit 0
fi
tmp=$(mktemp /opt/geoip/.download.XXXXXX)
trap 'rm -f "$tmp"' EXIT
aws s3 cp --only-show-errors "s3://$bucket/$key" "$tmp"
chmod 0644 "$tmp"
for c in "$@"; do systemctl stop "$c.service" || true; done
mv "$tmp" /opt/geoip/GeoLite2-City.mmdb
printf '%s\n' "$etag" > /opt/geoip/.etag
for c in "$@"; do systemctl start "$c.service" || true; done
logger -t ichnaea-geoip "installed GeoLite2-City.mmdb $etag"
"#;

/// The schema migration by hand or from a rollout (`ichnaea-migrate [image]`, through SSM with the
/// new image), under the same lock as the migration every host runs at boot.
fn migrate_script(image: &str, lock: &str) -> String {
    format!(
        r#"#!/bin/sh
# One-off schema migration: alembic upgrade head with the given (or deployed) image.
set -eu
image="${{1:-{image}}}"
docker pull "$image"
exec /usr/local/sbin/iac-lock {lock} docker run --rm --env-file={ADMIN_ENV} --volume={GEOIP_DIR}:{GEOIP_MOUNT}:ro "$image" \
  shell sh -c {command}
"#,
        command = iac_render::userdata::shell_quote(MIGRATE_COMMAND),
    )
}

/// The migration container: the guide's commands on the primary, never restarted.
pub fn migrate_container(env: &RoleEnv) -> Container {
    // The image's entrypoint takes a service name; `shell CMD...` runs a command (upstream docs).
    Container {
        restart: Restart::No,
        ..role_container(MIGRATE, &["shell", "sh", "-c", MIGRATE_COMMAND], env.db_primary.clone(), env)
    }
}

/// The map tiles job (`map`), never two runs at once.
fn map_script(image: &str) -> String {
    format!(
        r"#!/bin/sh
# Renders the data map tiles (the `map` command) and uploads them to the asset bucket.
set -eu
exec flock --nonblock /run/ichnaea-map.lock \
  docker run --rm --name=ichnaea-map --env-file={ADMIN_ENV} --volume={GEOIP_DIR}:{GEOIP_MOUNT}:ro {image} map
"
    )
}

/// An interactive shell in the app's environment (the guide's `shell` role).
fn shell_script(image: &str) -> String {
    format!(
        r"#!/bin/sh
# Interactive shell in the app's environment (the `shell` command), on the primary database.
set -eu
exec docker run -it --rm --env-file={ADMIN_ENV} --volume={GEOIP_DIR}:{GEOIP_MOUNT}:ro {image} shell
"
    )
}

/// What a role's container is told: where the database, the cache, the secrets, the assets and
/// the `GeoLite2` database are. The hosts give AWS values; the app gives the same and replaces
/// the AWS-only ones per platform.
#[derive(Debug, Clone)]
pub struct RoleEnv {
    /// The pinned image, `mozilla/location:<version>`.
    pub image: String,
    /// The primary database's host (writes, migrations).
    pub db_primary: Value<String>,
    /// Its port.
    pub db_port: u16,
    /// The database, `location`.
    pub db_name: String,
    /// `DB_USER`.
    pub db_user: String,
    /// `DB_PASSWORD` (a secret; URL-encoded inside the URIs).
    pub db_password: SecretRef,
    /// `REDIS_HOST`.
    pub redis_host: Value<String>,
    /// Its port.
    pub redis_port: u16,
    /// The cache speaks only TLS (`rediss://`).
    pub redis_tls: bool,
    /// `SECRET_KEY` (a secret).
    pub secret_key: SecretRef,
    /// `ASSET_BUCKET`.
    pub asset_bucket: Value<String>,
    /// `ASSET_URL`.
    pub asset_url: Value<String>,
    /// `AWS_DEFAULT_REGION`.
    pub region: Value<String>,
    /// Source of the `GeoLite2` mount at `/mnt/geoip`: a host directory, or an app's volume.
    pub geoip: String,
    /// Why the image's tag could not be checked against its upstream (synth warns).
    pub image_unverified: Option<String>,
}

impl RoleEnv {
    /// `mysql+pymysql://user:password@host:port/db`, the password URL-encoded where the value
    /// is used.
    pub fn mysql_uri(&self, host: Value<String>) -> Value<String> {
        Value::join([
            Value::from(format!("mysql+pymysql://{}:", self.db_user)),
            Value::Secret(self.db_password.clone().url_encoded()),
            Value::from("@"),
            host,
            Value::from(format!(":{}/{}", self.db_port, self.db_name)),
        ])
    }

    /// `redis://host:port/0`, or over TLS `rediss://host:port/0?ssl_cert_reqs=required` (Celery
    /// refuses a `rediss://` result backend that does not say how to check the certificate).
    pub fn redis_uri(&self, host: Value<String>) -> Value<String> {
        if self.redis_tls {
            Value::join([
                Value::from("rediss://"),
                host,
                Value::from(format!(":{}/0?ssl_cert_reqs=required", self.redis_port)),
            ])
        } else {
            Value::join([Value::from("redis://"), host, Value::from(format!(":{}/0", self.redis_port))])
        }
    }
}

/// Where the containers see the `GeoLite2` directory (upstream's `docs/deploy.rst`).
const GEOIP_MOUNT: &str = "/mnt/geoip";

/// The container of role `name` (`web`, `worker`, `scheduler`; the migration too): the one
/// image with the role's command and the settings that image reads (`ichnaea/conf.py` and
/// `docs/deploy.rst` of the pinned release, see the config files): `DB_READONLY_URI` on the host
/// the role reads from, `DB_READWRITE_URI` and `SQLALCHEMY_URL` (alembic's) on the primary,
/// `REDIS_URI`, `SECRET_KEY`, the assets, and the `GeoLite2` directory read-only at `/mnt/geoip`.
/// The guide's `DB_HOST`, `DB_USER`, `DB_PASSWORD` and `REDIS_HOST` are what its 2.x images
/// read; no release that reads them also speaks TLS to Redis or IMDSv2, so they are not set.
pub fn role_container(name: &str, command: &[&str], reads_from: Value<String>, env: &RoleEnv) -> Container {
    Container::new(name, &env.image)
        .with_unverified_image(env.image_unverified.as_deref())
        .with_command(command.iter().copied())
        .with_env("DB_READONLY_URI", env.mysql_uri(reads_from))
        .with_env("DB_READWRITE_URI", env.mysql_uri(env.db_primary.clone()))
        .with_env("SQLALCHEMY_URL", env.mysql_uri(env.db_primary.clone()))
        .with_env("GEOIP_PATH", format!("{GEOIP_MOUNT}/GeoLite2-City.mmdb"))
        .with_env("REDIS_URI", env.redis_uri(env.redis_host.clone()))
        .with_env("SECRET_KEY", Value::Secret(env.secret_key.clone()))
        .with_env("ASSET_BUCKET", env.asset_bucket.clone())
        .with_env("ASSET_URL", env.asset_url.clone())
        .with_env("AWS_DEFAULT_REGION", env.region.clone())
        .with_mount(env.geoip.as_str(), GEOIP_MOUNT, true)
}

/// The three roles' containers: web (publishing port 8000, reading from `replica`), worker and
/// scheduler (on the primary). The hosts run them; the app runs them too.
pub fn role_containers(env: &RoleEnv, replica: Value<String>) -> [Container; 3] {
    [
        role_container("web", &["web"], replica, env).with_port(WEB_PORT, WEB_PORT),
        role_container("worker", &["worker"], env.db_primary.clone(), env),
        role_container("scheduler", &["scheduler"], env.db_primary.clone(), env),
    ]
}

/// The web role's port.
const WEB_PORT: u16 = 8000;
/// The load balancer's health check path (no backend checks: `/__heartbeat__` has them).
const LB_HEARTBEAT: &str = "/__lbheartbeat__";
/// The app's volume of the `GeoLite2` database (the hosts' `/opt/geoip`).
const GEOIP_VOLUME: &str = "geoip";
/// The user the image runs as (`app`).
const APP_UID: u32 = 10001;

/// Ichnaea for compose (local development) and Kubernetes: the three role containers the hosts
/// run, from the same function with `GeoLite2` on the `geoip` volume; MySQL (the RDS version and
/// character set) and Redis stand-ins in compose; the map tiles as a scheduled job. Values only
/// AWS knows (the RDS and `ElastiCache` endpoints, the region, the CDN's name) are replaced per
/// platform: compose points every role at its stand-ins and has no asset bucket; Kubernetes
/// uses the config's hosts. There is no read replica outside AWS, so every role's URIs are the
/// same.
pub fn app(cfg: &Config, env: &RoleEnv, replica: Value<String>) -> App {
    let env = RoleEnv { geoip: GEOIP_VOLUME.into(), ..env.clone() };
    let k8s = &cfg.kubernetes;
    let local = RoleEnv {
        db_primary: Value::from("mysql"),
        redis_host: Value::from("redis"),
        redis_tls: false,
        asset_bucket: Value::from(""),
        asset_url: Value::from(""),
        region: Value::from(""),
        ..env.clone()
    };
    let cluster = RoleEnv {
        db_primary: Value::from(k8s.db_host.as_str()),
        redis_host: Value::from(k8s.redis_host.as_str()),
        redis_tls: false,
        asset_url: Value::from(match &cfg.assets.domain {
            Some(d) => format!("https://{d}/"),
            None => k8s.asset_url.clone().unwrap_or_default(),
        }),
        region: Value::from(k8s.aws_region.clone().unwrap_or_default()),
        ..env.clone()
    };
    let platform_values = |mut s: Service| {
        for (platform, e) in [(Platform::Compose, &local), (Platform::Kubernetes, &cluster)] {
            let db = e.db_primary.clone();
            s = s
                .env_for(platform, "DB_READONLY_URI", e.mysql_uri(db.clone()))
                .env_for(platform, "DB_READWRITE_URI", e.mysql_uri(db.clone()))
                .env_for(platform, "SQLALCHEMY_URL", e.mysql_uri(db))
                .env_for(platform, "REDIS_URI", e.redis_uri(e.redis_host.clone()))
                .env_for(platform, "ASSET_BUCKET", e.asset_bucket.clone())
                .env_for(platform, "ASSET_URL", e.asset_url.clone())
                .env_for(platform, "AWS_DEFAULT_REGION", e.region.clone());
        }
        s.depends_on("mysql", Condition::Healthy).depends_on("redis", Condition::Healthy).run_as_user(APP_UID)
    };
    let [web, worker, scheduler] = role_containers(&env, replica);
    let migrate = migrate_container(&env);
    let mut ingress = Ingress::new([cfg.dns.domain.as_str()], WEB_PORT);
    if let Some(class) = &k8s.ingress_class {
        ingress = ingress.class(class.as_str());
    }
    if let Some(tls) = &k8s.tls_secret {
        ingress = ingress.tls(tls.as_str());
    }
    let mut geoip = Volume::shared(GEOIP_VOLUME, 1);
    if let Some(class) = &k8s.storage_class {
        geoip = geoip.storage_class(class.as_str());
    }
    let health = |command: &[&str], start: u32| ContainerHealth {
        command: command.iter().map(|s| (*s).to_owned()).collect(),
        interval_seconds: 10,
        timeout_seconds: 5,
        retries: 3,
        start_period_seconds: start,
    };
    // The RDS parameter group's character set and collation (its redo log size would take
    // 4 GiB of a laptop's disk).
    let charset = cfg
        .database
        .parameters
        .iter()
        .filter(|(k, _)| ["character_set_server", "collation_server"].contains(&k.as_str()))
        .map(|(k, v)| format!("--{}={v}", k.replace('_', "-")));
    let mysql = Container::new("mysql", &format!("mysql:{}", cfg.database.engine_version))
        .with_command(charset)
        .with_env("MYSQL_DATABASE", env.db_name.as_str())
        .with_env("MYSQL_USER", env.db_user.as_str())
        .with_env("MYSQL_PASSWORD", Value::Secret(env.db_password.clone()))
        .with_env("MYSQL_RANDOM_ROOT_PASSWORD", "yes")
        .with_mount("mysql-data", "/var/lib/mysql", false)
        .with_health(health(&["CMD", "mysqladmin", "ping", "--host=127.0.0.1", "--silent"], 30));
    let redis = Container::new("redis", &cfg.compose.redis_image)
        .with_command(["redis-server", "--appendonly", "yes"])
        .with_mount("redis-data", "/data", false)
        .with_health(health(&["CMD", "redis-cli", "ping"], 5));
    App::new("ichnaea")
        .secret("DB_PASSWORD", env.db_password.clone())
        .volume(geoip)
        .volume(Volume::new("mysql-data", 10))
        .volume(Volume::new("redis-data", 1))
        // The migration first: compose starts the roles once it has succeeded; on Kubernetes it is
        // a Job to apply and wait for before the Deployments.
        .service(platform_values(Service::new(migrate)))
        .service(
            platform_values(Service::new(web))
                .replicas(cfg.web.desired_capacity)
                .http_probe(LB_HEARTBEAT, WEB_PORT)
                .ingress(ingress)
                .depends_on(MIGRATE, Condition::CompletedSuccessfully),
        )
        .service(
            platform_values(Service::new(worker))
                .replicas(cfg.worker.desired_capacity)
                .depends_on(MIGRATE, Condition::CompletedSuccessfully),
        )
        .service(
            platform_values(Service::new(scheduler).singleton()).depends_on(MIGRATE, Condition::CompletedSuccessfully),
        )
        .service(Service::backing(mysql))
        .service(Service::backing(redis))
        .job(ScheduledJob::new("map", cfg.admin.map_schedule.as_str(), "worker", ["map"]))
}

/// What every role's host runs besides its container (none on the admin node): the `GeoLite2`
/// refresh, and the migration before the container starts.
fn role_host(
    name: &str,
    container: Option<Container>,
    migration: &Container,
    backup_bucket: &str,
    cron: Vec<CronJob>,
) -> HostConfig {
    let names: Vec<String> = container.iter().map(|c| c.name.clone()).collect();
    let refresh = CronJob {
        name: "ichnaea-geoip".into(),
        schedule: "*/10 * * * *".into(),
        user: "root".into(),
        command: std::iter::once(format!("/usr/local/bin/ichnaea-geoip {backup_bucket}"))
            .chain(names.iter().cloned())
            .collect::<Vec<_>>()
            .join(" "),
    };
    let mut jobs = vec![refresh];
    jobs.extend(cron);
    HostConfig {
        name: name.into(),
        packages: vec!["curl".into()],
        docker: true,
        files: vec![HostFile {
            path: "/usr/local/bin/ichnaea-geoip".into(),
            mode: 0o755,
            content: GEOIP_SCRIPT.into(),
        }],
        containers: container.into_iter().collect(),
        cron: jobs,
        migration: Some(Migration::new(migration.clone(), names)),
        ..HostConfig::default()
    }
}

/// An ASG of one role without a load balancer: security group (SSH from the local subnet),
/// role, profile, launch template and group; returns the group, its security group and the
/// launch template.
struct RoleGroupProps<'a> {
    name: &'a str,
    network: &'a Network,
    subnets: Vec<Value<String>>,
    image_id: Value<String>,
    instance_type: String,
    host: HostConfig,
    local_cidr: String,
    statements: Vec<Statement>,
    vpc_egress_ports: Vec<u16>,
    sizes: (u32, u32, u32),
}

struct RoleGroup {
    group: Handle<AutoScalingGroup>,
    launch_template: Handle<LaunchTemplate>,
    security_group: Handle<SecurityGroup>,
}

fn role_group(stack: &mut StackBuilder, p: RoleGroupProps<'_>) -> RoleGroup {
    let n = p.name;
    let mut egress: Vec<Rule> = [80, 443]
        .iter()
        .map(|port| Rule::tcp(*port, Peer::Cidr("0.0.0.0/0".into()), "images, packages and AWS APIs"))
        .collect();
    egress.extend(
        p.vpc_egress_ports
            .iter()
            .map(|port| Rule::tcp(*port, Peer::Cidr(p.network.cidr.clone()), "services inside the VPC")),
    );
    let sg = stack.add(
        &format!("{n}InstanceSecurityGroup"),
        SecurityGroup {
            description: format!("{} {} {n} instances", stack.name(), stack.env()),
            vpc_id: p.network.vpc_id.clone(),
            ingress: vec![Rule::tcp(
                22,
                Peer::Cidr(p.local_cidr.as_str().into()),
                "SSH from the local subnet (bastion hop)",
            )],
            egress,
        },
    );
    let role = stack.add(
        &format!("{n}InstanceRole"),
        iac_core::model::Role {
            description: format!("{} {} {n} instances", stack.name(), stack.env()),
            assumed_by: vec!["ec2.amazonaws.com".into()],
            managed_policy_arns: vec![Value::from(iac_core::patterns::SSM_MANAGED_POLICY)],
            policies: vec![iac_core::model::Policy { name: "app".into(), statements: p.statements }],
        },
    );
    let profile = stack.add(&format!("{n}InstanceProfile"), InstanceProfile { role: role.name() });
    let lt = stack.add_with(
        &format!("{n}LaunchTemplate"),
        LaunchTemplate {
            name: None,
            machine: MachineSpec {
                image_id: p.image_id,
                instance_type: p.instance_type.into(),
                security_group_ids: vec![sg.group_id()],
                instance_profile: Some(profile.name()),
                root_volume: Some(RootVolume::gp3("/dev/sda1", 20)),
                user_data: Some(p.host),
                key_name: None,
                detailed_monitoring: true,
            },
        },
        |e| {
            e.suppressions.push(iac_core::patterns::suppress(
                "CKV_AWS_341",
                "hop limit 2 lets containers on the Docker bridge reach IMDSv2 for the instance role's credentials",
            ));
        },
    );
    let (min_size, max_size, desired_capacity) = p.sizes;
    let group = stack.add(
        &format!("{n}AutoScalingGroup"),
        AutoScalingGroup {
            name: None,
            launch_template_id: lt.template_id(),
            launch_template_version: lt.latest_version(),
            min_size,
            max_size,
            desired_capacity,
            subnet_ids: p.subnets,
            target_group_arns: Vec::new(),
            health_check_type: HealthCheckType::Ec2,
            health_check_grace_period: 300,
        },
    );
    RoleGroup { group, launch_template: lt, security_group: sg }
}

/// The whole-bucket rule: old versions go after a week, unfinished uploads after a week.
fn housekeeping() -> LifecycleRule {
    LifecycleRule {
        id: "housekeeping".into(),
        prefix: String::new(),
        expiration_days: None,
        noncurrent_expiration_days: Some(7),
        abort_incomplete_upload_days: Some(7),
    }
}

fn price_class(source: &ConfigSource, text: &str) -> Result<PriceClass, StackError> {
    match text {
        "PriceClass_100" => Ok(PriceClass::PriceClass100),
        "PriceClass_200" => Ok(PriceClass::PriceClass200),
        "PriceClass_All" => Ok(PriceClass::All),
        other => Err(source.value_error(
            "assets.price_class",
            format!("`{other}` is not a price class; use PriceClass_100, PriceClass_200 or PriceClass_All"),
        )),
    }
}

/// Builds the stack for `env` from `source`.
#[allow(clippy::too_many_lines)] // the stack, read top to bottom
pub fn build(env: &str, source: &ConfigSource) -> Result<Stack, StackError> {
    let cfg: Config = source.parse()?;
    let mut stack = StackBuilder::new("ichnaea", env);
    stack.description(
        "Ichnaea location service: web, worker and scheduler roles of one image, RDS MySQL with a read replica, \
         ElastiCache Redis, S3 and CloudFront, admin node, DNS",
    );
    stack.tag("app", "ichnaea");
    let price_class = price_class(source, &cfg.assets.price_class)?;

    let network = crate::network::network(
        &mut stack,
        source,
        cfg.network.cidr,
        cfg.network.existing.as_ref(),
        crate::network::NewVpc { zones: cfg.network.zones, nat_per_zone: cfg.network.nat_per_zone },
    )?;
    let local: Ipv4Cidr = cfg.network.local_subnet_cidr;
    let local = local.to_string();

    let ami = stack.parameter(
        "ImageId",
        Parameter {
            kind: ParamKind::ImageId,
            description: "EC2 image of every Ichnaea host (cloud-init; Docker is installed at boot)".into(),
            default: cfg.app.ami_id.clone(),
        },
    );
    let certificate = stack.parameter(
        "CertificateArn",
        Parameter {
            kind: ParamKind::CertificateArn,
            description: format!("ACM certificate for {} (the load balancer's region)", cfg.dns.domain),
            default: cfg.web.certificate_arn.clone(),
        },
    );
    let assets_certificate = cfg.assets.domain.as_ref().map(|domain| {
        stack.parameter(
            "AssetsCertificateArn",
            Parameter {
                kind: ParamKind::CertificateArn,
                description: format!("ACM certificate for {domain}, in us-east-1 (CloudFront)"),
                default: cfg.assets.certificate_arn.clone(),
            },
        )
    });

    // Data first, so that the roles' environments can refer to it; the security groups admit
    // the roles afterwards (allow_from), without a cycle.
    let db = Database::create(
        &mut stack,
        DatabaseProps {
            name: "Database",
            network: &network,
            engine: Engine::Mysql,
            engine_version: cfg.database.engine_version.clone(),
            family: cfg.database.family.clone(),
            parameters: cfg.database.parameters.clone(),
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
    // Ichnaea's default driver (PyMySQL) connects without TLS unless it is given the RDS CA
    // bundle; traffic stays in the VPC and the database admits only the four roles' groups.
    let no_tls = iac_core::patterns::suppress(
        "CKV2_AWS_69",
        "the app's MySQL driver (PyMySQL) has no TLS without the RDS CA bundle; only the role groups reach the database",
    );
    stack.configure(&db.instance, |e| e.suppressions.push(no_tls.clone()));
    // The web role never writes: it reads from a replica of its own.
    let replica = db.add_read_replica(
        &mut stack,
        "1",
        cfg.database.replica_instance_class.as_deref(),
        cfg.database.replica_multi_az,
    );
    stack.configure(&replica, |e| e.suppressions.push(no_tls));
    // The guide's two database problems, replica lag and the transaction (binary) logs' disk
    // space, and the primary's CPU (see `patterns::alarms` for why `BinLogDiskUsage`).
    let notifications = Notifications::create(&mut stack, "Alarms", &cfg.alarms.emails);
    notifications.alarm(&mut stack, "DatabaseCpuAlarm", alarms::rds_cpu(&db.instance, cfg.alarms.db_cpu_percent));
    notifications.alarm(
        &mut stack,
        "ReplicaLagAlarm",
        alarms::rds_replica_lag(&replica, cfg.alarms.replica_lag_seconds),
    );
    notifications.alarm(
        &mut stack,
        "BinLogDiskUsageAlarm",
        alarms::rds_binlog_disk_usage(&db.instance, cfg.alarms.binlog_disk_usage_gib * crate::alarms::GIB),
    );
    let cache = Cache::create(
        &mut stack,
        CacheProps {
            name: "Cache",
            network: &network,
            engine_version: cfg.cache.engine_version.clone(),
            family: cfg.cache.family.clone(),
            parameters: IndexMap::new(),
            node_type: cfg.cache.node_type.clone(),
            replicas: cfg.cache.replicas,
            multi_az: cfg.cache.multi_az,
            snapshot_retention_days: cfg.cache.snapshot_retention_days,
            auth_token: None,
        },
    );
    let assets = AssetCdn::create(
        &mut stack,
        AssetCdnProps {
            name: "Assets",
            bucket_name: Some(cfg.assets.bucket.clone()),
            lifecycle_rules: vec![
                LifecycleRule {
                    id: "exports".into(),
                    prefix: "export/".into(),
                    expiration_days: Some(cfg.assets.export_expiration_days),
                    noncurrent_expiration_days: Some(1),
                    abort_incomplete_upload_days: None,
                },
                housekeeping(),
            ],
            aliases: cfg.assets.domain.iter().cloned().collect(),
            certificate_arn: assets_certificate.as_ref().map(iac_core::stack::ParamHandle::value),
            price_class,
            default_root_object: None,
        },
    );
    let backup = stack.add_with(
        "BackupBucket",
        Bucket {
            name: Some(cfg.backup.bucket.clone()),
            encryption: BucketEncryption::Kms { key_id: None },
            block_public_access: true,
            versioning: true,
            object_ownership: ObjectOwnership::BucketOwnerEnforced,
            lifecycle_rules: vec![
                LifecycleRule {
                    id: "observations".into(),
                    prefix: "backups/".into(),
                    expiration_days: Some(cfg.backup.observation_expiration_days),
                    noncurrent_expiration_days: Some(1),
                    abort_incomplete_upload_days: None,
                },
                housekeeping(),
            ],
        },
        |e| iac_core::patterns::cdn::bucket_suppressions(e, false),
    );
    stack.add(
        "BackupBucketPolicy",
        BucketPolicy {
            bucket: backup.name(),
            statements: vec![PolicyStatement::deny_insecure_transport(backup.arn())],
        },
    );

    // SECRET_KEY, generated in Secrets Manager when the stack is created (no parameter to fill
    // in); the hosts read it at boot through their role. Losing it logs every user out.
    let secret_key = stack.add_with(
        "SecretKey",
        Secret::generated("Ichnaea SECRET_KEY: signs the web app's sessions; generated once, kept", 64),
        |e| {
            e.suppressions.push(iac_core::patterns::suppress(
                "CKV_AWS_149",
                "encrypted with the AWS-managed Secrets Manager key; the stack holds no customer-managed KMS key",
            ));
            e.suppressions.push(iac_core::patterns::suppress(
                "CKV2_AWS_57",
                "a session signing key is not rotated on a schedule: a new one logs every user out",
            ));
        },
    );

    // What the roles may do: read the database password and SECRET_KEY, fetch the GeoIP
    // database; the workers and the admin node also write the buckets.
    let read_secret_key = secret_key.read_statement();
    let read_geoip = Statement {
        allow: true,
        actions: vec!["s3:GetObject".into()],
        resources: vec![Value::join([backup.arn(), Value::from("/geoip/*")])],
    };
    let write_buckets = Statement {
        allow: true,
        actions: vec!["s3:GetObject".into(), "s3:PutObject".into(), "s3:DeleteObject".into(), "s3:ListBucket".into()],
        resources: vec![
            assets.bucket.arn(),
            Value::join([assets.bucket.arn(), Value::from("/*")]),
            backup.arn(),
            Value::join([backup.arn(), Value::from("/*")]),
        ],
    };
    let lock = crate::migration::lock_statement("ichnaea", stack.env());
    let reader = vec![db.read_secret_statement(), read_secret_key.clone(), read_geoip.clone(), lock.clone()];
    let writer = vec![db.read_secret_statement(), read_secret_key, read_geoip, write_buckets, lock];

    // One image, three roles: the role is the command; the env differs only in DB_HOST.
    let assets_url = match &cfg.assets.domain {
        Some(d) => Value::from(format!("https://{d}/")),
        None => Value::join([Value::from("https://"), assets.distribution.domain_name(), Value::from("/")]),
    };
    let env = RoleEnv {
        image: cfg.app.image.clone(),
        db_primary: db.instance.endpoint_address(),
        db_port: db.port,
        db_name: db.db_name.clone(),
        db_user: cfg.database.username.clone(),
        db_password: db.master_password(),
        redis_host: cache.primary_endpoint(),
        redis_port: cache.port,
        redis_tls: true,
        secret_key: secret_key.value(),
        asset_bucket: cfg.assets.bucket.as_str().into(),
        asset_url: assets_url,
        region: Value::Pseudo(Pseudo::Region),
        geoip: GEOIP_DIR.into(),
        image_unverified: cfg.app.image_unverified.clone(),
    };
    let [web_container, worker_container, scheduler_container] = role_containers(&env, replica.endpoint_address());
    let migrate = migrate_container(&env);
    let migrate_lock = format!("/iac/ichnaea/{}/lock/{MIGRATE}", stack.env());
    let data_ports = vec![db.port, cache.port];
    let backup_bucket = cfg.backup.bucket.as_str();

    let web = WebTier::create(
        &mut stack,
        WebTierProps {
            name: "Web",
            network: &network,
            image_id: ami.value(),
            instance_type: cfg.web.instance_type.clone(),
            host: role_host("ichnaea-web", Some(web_container), &migrate, backup_bucket, Vec::new()),
            instance_port: WEB_PORT,
            health_check: HealthCheck::http(LB_HEARTBEAT),
            certificate_arn: certificate.value(),
            min_size: cfg.web.min_size,
            max_size: cfg.web.max_size,
            desired_capacity: cfg.web.desired_capacity,
            cpu_target: cfg.web.cpu_target,
            admin_cidrs: vec![local.clone()],
            root_volume: RootVolume::gp3("/dev/sda1", cfg.web.root_volume_gib),
            statements: reader,
            internet_egress_ports: vec![80, 443],
            vpc_egress_ports: data_ports.clone(),
            deletion_protection: cfg.web.deletion_protection,
        },
    );

    let worker = role_group(
        &mut stack,
        RoleGroupProps {
            name: "Worker",
            network: &network,
            subnets: network.private_subnets.clone(),
            image_id: ami.value(),
            instance_type: cfg.worker.instance_type.clone(),
            host: role_host("ichnaea-worker", Some(worker_container), &migrate, backup_bucket, Vec::new()),
            local_cidr: local.clone(),
            statements: writer.clone(),
            vpc_egress_ports: data_ports.clone(),
            sizes: (cfg.worker.min_size, cfg.worker.max_size, cfg.worker.desired_capacity),
        },
    );
    stack.add(
        "WorkerCpuScalingPolicy",
        ScalingPolicy {
            auto_scaling_group_name: worker.group.name(),
            metric: TrackedMetric::AverageCpu,
            target_value: cfg.worker.cpu_target,
        },
    );

    // Exactly one scheduler, in one zone (see the module docs for why this never runs two).
    let scheduler = role_group(
        &mut stack,
        RoleGroupProps {
            name: "Scheduler",
            network: &network,
            subnets: network.private_subnets.iter().take(1).cloned().collect(),
            image_id: ami.value(),
            instance_type: cfg.scheduler.instance_type.clone(),
            host: role_host("ichnaea-scheduler", Some(scheduler_container), &migrate, backup_bucket, Vec::new()),
            local_cidr: local.clone(),
            statements: writer.clone(),
            vpc_egress_ports: data_ports.clone(),
            sizes: (1, 1, 1),
        },
    );

    // The admin node: interactive access, migrations and the map job. It runs the migration at
    // every boot (and leaves the env file its one-off commands use), and no long-running role.
    let admin = Host::create(
        &mut stack,
        HostProps {
            name: "Admin",
            network: &network,
            image_id: ami.value(),
            instance_type: cfg.admin.instance_type.clone(),
            host: {
                let mut host = role_host(
                    "ichnaea-admin",
                    None,
                    &migrate,
                    backup_bucket,
                    vec![CronJob {
                        name: "ichnaea-map".into(),
                        schedule: cfg.admin.map_schedule.clone(),
                        user: "root".into(),
                        command: "/usr/local/bin/ichnaea-map".into(),
                    }],
                );
                host.files.push(HostFile {
                    path: "/usr/local/bin/ichnaea-migrate".into(),
                    mode: 0o755,
                    content: migrate_script(&cfg.app.image, &migrate_lock),
                });
                host.files.push(HostFile {
                    path: "/usr/local/bin/ichnaea-shell".into(),
                    mode: 0o755,
                    content: shell_script(&cfg.app.image),
                });
                host.files.push(HostFile {
                    path: "/usr/local/bin/ichnaea-map".into(),
                    mode: 0o755,
                    content: map_script(&cfg.app.image),
                });
                host
            },
            admin_cidrs: vec![local],
            root_volume: RootVolume::gp3("/dev/sda1", 30),
            statements: writer,
            internet_egress_ports: vec![80, 443],
            vpc_egress_ports: data_ports,
            data_volume: None,
        },
    );

    for tier in [
        ("Web", &web.instance_security_group),
        ("Worker", &worker.security_group),
        ("Scheduler", &scheduler.security_group),
        ("Admin", &admin.security_group),
    ] {
        db.allow_from(&mut stack, &tier);
        cache.allow_from(&mut stack, &tier);
    }

    // The guide's upgrade order.
    stack.rollout(RolloutPlan {
        roles: vec![
            Role::web("web", &web.auto_scaling_group, &web.launch_template, &web.target_group),
            Role::workers("worker", &worker.group, &worker.launch_template),
            Role::singleton("scheduler", &scheduler.group, &scheduler.launch_template),
            Role::host("admin", &admin.instance),
        ],
        steps: vec![
            Step::Stop("scheduler".into()),
            Step::Stop("worker".into()),
            Step::RunOnce {
                role: "admin".into(),
                command: vec![Arg::from("/usr/local/bin/ichnaea-migrate"), Arg::Image],
            },
            Step::Start("scheduler".into()),
            Step::Start("worker".into()),
            Step::Switch("web".into()),
            Step::UpdateHost("admin".into()),
        ],
    });

    alias_record(
        &mut stack,
        "SiteRecord",
        cfg.dns.hosted_zone_id.as_str(),
        cfg.dns.domain.as_str(),
        &web.load_balancer,
    );
    if let Some(domain) = &cfg.assets.domain {
        assets.alias_record(&mut stack, "AssetsRecord", cfg.dns.hosted_zone_id.as_str(), domain.as_str());
    }

    stack.output("SiteUrl", "The service", Value::from(format!("https://{}", cfg.dns.domain)));
    stack.output("LoadBalancerDnsName", "The load balancer's DNS name", web.load_balancer.dns_name());
    stack.output("DatabaseEndpoint", "The primary (workers, scheduler, admin)", db.instance.endpoint_address());
    stack.output("ReplicaEndpoint", "The read replica (web)", replica.endpoint_address());
    stack.output(
        "DatabaseSecretArn",
        "Secrets Manager secret of the master password (managed by RDS)",
        db.instance.master_user_secret_arn(),
    );
    stack.output("CacheEndpoint", "Redis primary endpoint (TLS)", cache.primary_endpoint());
    stack.output("AssetsDomainName", "The CDN's domain name", assets.distribution.domain_name());
    stack.output("AssetBucketName", "The asset bucket", assets.bucket.name());
    stack.output("BackupBucketName", "The backup bucket", backup.name());
    stack.output(
        "SchedulerAutoScalingGroupName",
        "The scheduler's group (always one instance)",
        scheduler.group.name(),
    );
    stack.output("WorkerAutoScalingGroupName", "The workers' group", worker.group.name());
    stack.output(
        "WebAutoScalingGroupName",
        "The web role's group (the blue one during a rollout)",
        web.auto_scaling_group.name(),
    );
    stack.output("AdminInstanceId", "The admin node", admin.instance.instance_id());
    stack.app(app(&cfg, &env, replica.endpoint_address()));
    Ok(stack.build()?)
}
