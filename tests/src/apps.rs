//! Two stacks with apps for the compose and Kubernetes renderers, until the seed stacks carry
//! theirs: one shaped like Concerto (an RDS-backed container, so its values need per-platform
//! stand-ins) and one like Ichnaea's local development (no AWS resources at all).

use iac_core::Stack;
use iac_core::app::{Container, ContainerHealth};
use iac_core::model::{Engine, StackBuilder};
use iac_core::patterns::{Database, DatabaseProps, Network, NetworkProps};
use iac_core::value::SecretRef;
use iac_core::workload::{App, Condition, Ingress, Platform, Resources, ScheduledJob, Service, Volume};
use indexmap::IndexMap;

fn health(command: &[&str], interval: u32, start: u32) -> ContainerHealth {
    ContainerHealth {
        command: command.iter().map(|s| (*s).to_owned()).collect(),
        interval_seconds: interval,
        timeout_seconds: 5,
        retries: 3,
        start_period_seconds: start,
    }
}

/// Concerto: `campsych/concerto-platform` with its `/data` shared by every replica, an RDS MySQL
/// database on AWS and a MySQL container in compose, an ingress with TLS, and the two scheduled
/// console commands of the guide.
pub fn concerto() -> Stack {
    let mut stack = StackBuilder::new("concerto", "test");
    stack.description("Concerto: one container on a shared /data volume, MySQL");
    let network = Network::create(
        &mut stack,
        &NetworkProps { cidr: "10.50.0.0/16".parse().expect("cidr"), zones: 2, subnet_prefix: 20, nat_per_zone: false },
    );
    let db = Database::create(
        &mut stack,
        DatabaseProps {
            name: "Db",
            network: &network,
            engine: Engine::Mysql,
            engine_version: "8.0.40".into(),
            family: "mysql8.0".into(),
            parameters: IndexMap::new(),
            instance_class: "db.t4g.small".into(),
            allocated_storage_gib: 20,
            max_allocated_storage_gib: None,
            backup_retention_days: 7,
            multi_az: true,
            identifier: None,
            db_name: "concerto".into(),
            master_username: "concerto".into(),
            monitoring_interval: 60,
        },
    );
    let password = db.master_password();
    // The container as ECS would run it: the database is the RDS instance.
    let concerto = Container::new("concerto", "campsych/concerto-platform:5.0.30")
        .with_port(80, 80)
        .with_env("DB_HOST", db.instance.endpoint_address())
        .with_env("DB_PORT", "3306")
        .with_env("DB_NAME", "concerto")
        .with_env("DB_USER", "concerto")
        .with_env("DB_PASSWORD", password.clone())
        .with_env("TZ", "Europe/London")
        .with_env("PHP_FPM_PM", "dynamic")
        .with_env("PHP_FPM_PM_MAX_CHILDREN", "30")
        .with_env("PHP_FPM_PM_START_SERVERS", "10")
        .with_env("PHP_FPM_PM_MIN_SPARE_SERVERS", "5")
        .with_env("PHP_FPM_PM_MAX_SPARE_SERVERS", "15")
        .with_env("PHP_FPM_PM_PROCESS_IDLE_TIMEOUT", "10s")
        .with_env("PHP_FPM_PM_MAX_REQUESTS", "300")
        .with_mount("data", "/data", false)
        .with_health(health(&["CMD-SHELL", "curl -fsS http://localhost/api/check/health || exit 1"], 30, 60));
    let mysql = Container::new("mysql", "mysql:8.0.40")
        .with_env("MYSQL_DATABASE", "concerto")
        .with_env("MYSQL_USER", "concerto")
        .with_env("MYSQL_PASSWORD", password.clone())
        .with_env("MYSQL_RANDOM_ROOT_PASSWORD", "yes")
        .with_mount("mysql-data", "/var/lib/mysql", false)
        .with_health(health(&["CMD", "mysqladmin", "ping", "--host=127.0.0.1", "--silent"], 10, 30));
    let console = |cmd: &'static str| ["php", "bin/console", cmd, "--env=prod"];
    stack.app(
        App::new("concerto")
            .secret("DB_PASSWORD", password)
            .volume(Volume::shared("data", 20).storage_class("efs-sc"))
            .volume(Volume::new("mysql-data", 20))
            .service(
                Service::new(concerto)
                    .replicas(2)
                    .ingress(Ingress::new(["concerto.example.org"], 80).tls("concerto-tls").class("nginx"))
                    .http_probe("/api/check/health", 80)
                    .resources(Resources {
                        cpu_millis: 500,
                        memory_mib: 1024,
                        cpu_limit_millis: None,
                        memory_limit_mib: 2048,
                    })
                    .depends_on("mysql", Condition::Healthy)
                    .env_for(Platform::Compose, "DB_HOST", "mysql")
                    .env_for(Platform::Kubernetes, "DB_HOST", "mysql.databases.svc.cluster.local"),
            )
            .service(Service::backing(mysql))
            .job(ScheduledJob::new("schedule-tick", "* * * * *", "concerto", console("concerto:schedule:tick")))
            .job(ScheduledJob::new("sessions-clear", "0 3 * * *", "concerto", console("concerto:sessions:clear"))),
    );
    stack.build().expect("the Concerto test stack builds")
}

/// Ichnaea for local development: one image in three roles (web, worker, scheduler), MySQL and
/// Redis containers, the `GeoIP` database on a read-only volume, map tiles on a schedule. No AWS
/// resources: the stack has only the app.
pub fn ichnaea_local() -> Stack {
    let mut stack = StackBuilder::new("ichnaea", "local");
    stack.description("Ichnaea local development: web, worker, scheduler, MySQL, Redis");
    let db_password = SecretRef::ssm("/ichnaea/local/db-password");
    let role = |name: &str| {
        Container::new(name, "mozilla/location:2.2.0")
            .with_command([name])
            .with_env("DB_HOST", "mysql")
            .with_env("DB_USER", "location")
            .with_env("DB_PASSWORD", db_password.clone())
            .with_env("REDIS_HOST", "redis")
            .with_env("GEOIP_PATH", "/app/geoip/GeoLite2-City.mmdb")
            .with_env("SECRET_KEY", SecretRef::ssm("/ichnaea/local/secret-key"))
            .with_mount("geoip", "/app/geoip", true)
    };
    let deps = |s: Service| s.depends_on("mysql", Condition::Healthy).depends_on("redis", Condition::Healthy);
    let mysql = Container::new("mysql", "mysql:5.7.44")
        .with_env("MYSQL_DATABASE", "location")
        .with_env("MYSQL_USER", "location")
        .with_env("MYSQL_PASSWORD", db_password.clone())
        .with_env("MYSQL_RANDOM_ROOT_PASSWORD", "yes")
        .with_command(["--character-set-server=utf8", "--collation-server=utf8_general_ci"])
        .with_mount("mysql-data", "/var/lib/mysql", false)
        .with_health(health(&["CMD", "mysqladmin", "ping", "--host=127.0.0.1", "--silent"], 10, 30));
    let redis = Container::new("redis", "redis:7.4.1")
        .with_command(["redis-server", "--appendonly", "yes"])
        .with_mount("redis-data", "/data", false)
        .with_health(health(&["CMD", "redis-cli", "ping"], 10, 5));
    stack.app(
        App::new("ichnaea")
            .secret("DB_PASSWORD", db_password.clone())
            .volume(Volume::shared("geoip", 1))
            .volume(Volume::new("mysql-data", 10))
            .volume(Volume::new("redis-data", 1))
            .service(deps(
                Service::new(role("web").with_port(8000, 8000).with_health(health(
                    &["CMD-SHELL", "curl -fsS http://localhost:8000/__lbheartbeat__"],
                    10,
                    20,
                )))
                .replicas(3)
                .http_probe("/__lbheartbeat__", 8000)
                .run_as_user(10001)
                .ingress(Ingress::new(["location.example.org"], 8000)),
            ))
            .service(deps(Service::new(role("worker")).replicas(2).run_as_user(10001)))
            .service(deps(Service::new(role("scheduler")).run_as_user(10001)))
            .service(Service::backing(mysql))
            .service(Service::backing(redis))
            .job(ScheduledJob::new("map", "0 */6 * * *", "worker", ["map"])),
    );
    stack.build().expect("the Ichnaea local stack builds")
}

/// The test stacks with apps.
pub fn stacks() -> Vec<Stack> {
    vec![concerto(), ichnaea_local()]
}
