//! The compose and Kubernetes renderers on small apps: secrets only as references, values that
//! only AWS knows refused or replaced per platform, probes, claims, `CronJob`s, escaping, and the
//! targets that apply to a stack.

use iac_core::app::{Container, ContainerHealth};
use iac_core::model::Vpc;
use iac_core::stack::StackBuilder;
use iac_core::value::{Attr, AttrRef, SecretRef, Value};
use iac_core::workload::{App, Condition, Ingress, Platform, Resources, ScheduledJob, Service, Volume};
use iac_core::{LogicalId, Stack};
use iac_render::{Format, RenderError, Target, compose, kubernetes, render_target};
use serde::Deserialize;
use serde_json::{Value as Json, json};

fn health() -> ContainerHealth {
    ContainerHealth {
        command: vec!["CMD-SHELL".into(), "curl -f http://localhost:8080/health || exit 1".into()],
        interval_seconds: 15,
        timeout_seconds: 4,
        retries: 5,
        start_period_seconds: 40,
    }
}

fn web() -> Container {
    Container::new("web", "shop/web:1.4.2")
        .with_command(["serve", "--price=$5", "$(HOME)"])
        .with_port(8080, 8080)
        .with_env("MODE", "production")
        .with_env("DB_PASSWORD", SecretRef::ssm("/shop/db-password"))
        .with_mount("uploads", "/srv/uploads", false)
        .with_health(health())
}

fn app(web: Service) -> App {
    App::new("shop")
        .volume(Volume::shared("uploads", 5).storage_class("nfs"))
        .service(web)
        .service(Service::backing(
            Container::new("db", "postgres:17.2")
                .with_env("POSTGRES_PASSWORD", SecretRef::ssm("/shop/db-password"))
                .with_health(ContainerHealth {
                    command: vec!["CMD".into(), "pg_isready".into()],
                    interval_seconds: 5,
                    timeout_seconds: 3,
                    retries: 10,
                    start_period_seconds: 0,
                }),
        ))
        .secret("DB_PASSWORD", SecretRef::ssm("/shop/db-password"))
        .job(ScheduledJob::new("cleanup", "*/15 * * * *", "web", ["cleanup", "--older-than=7d"]))
}

fn stack_with(app: App) -> Stack {
    let mut s = StackBuilder::new("shop", "dev");
    s.add("Vpc", Vpc { cidr_block: "10.0.0.0/16".into(), enable_dns_hostnames: true, enable_dns_support: true });
    s.app(app);
    s.build().expect("builds")
}

fn shop() -> Stack {
    stack_with(app(Service::new(web())
        .replicas(3)
        .ingress(Ingress::new(["shop.example.org"], 8080).tls("shop-tls").class("nginx"))
        .depends_on("db", Condition::Healthy)
        .resources(Resources {
            cpu_millis: 250,
            memory_mib: 256,
            cpu_limit_millis: Some(1000),
            memory_limit_mib: 512,
        })))
}

fn compose_doc(stack: &Stack) -> Json {
    let text = compose::text(stack, &stack.apps()[0]).expect("renders");
    serde_yaml_ng::from_str(&text).expect("valid YAML")
}

fn k8s_docs(stack: &Stack) -> Vec<Json> {
    let text = kubernetes::text(stack, &stack.apps()[0]).expect("renders");
    serde_yaml_ng::Deserializer::from_str(&text).map(|d| Json::deserialize(d).expect("valid YAML")).collect()
}

fn find<'a>(docs: &'a [Json], kind: &str, name: &str) -> &'a Json {
    docs.iter()
        .find(|d| d["kind"] == kind && d["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {kind} {name}"))
}

#[test]
fn compose_reads_secrets_from_required_variables_and_escapes_dollars() {
    let doc = compose_doc(&shop());
    let web = &doc["services"]["web"];
    assert_eq!(
        web["environment"]["DB_PASSWORD"],
        "${DB_PASSWORD:?set DB_PASSWORD (a secret, see the top of this file)}"
    );
    // The stand-in's password is the same named secret, so one variable sets both.
    assert_eq!(doc["services"]["db"]["environment"]["POSTGRES_PASSWORD"], web["environment"]["DB_PASSWORD"]);
    assert_eq!(web["command"], json!(["serve", "--price=$$5", "$$(HOME)"]));
    assert_eq!(web["depends_on"], json!({ "db": { "condition": "service_healthy" } }));
    assert_eq!(web["healthcheck"]["interval"], "15s");
    assert_eq!(web["healthcheck"]["start_period"], "40s");
    assert_eq!(web["ports"], json!(["8080:8080"]));
    assert_eq!(web["volumes"], json!(["uploads:/srv/uploads"]));
    assert_eq!(web["deploy"]["resources"]["limits"], json!({ "cpus": "1", "memory": "512M" }));
    assert_eq!(doc["volumes"], json!({ "uploads": {} }));
    let job = &doc["services"]["cleanup"];
    assert_eq!(job["profiles"], json!(["jobs"]));
    assert_eq!(job["labels"]["iac.schedule"], "*/15 * * * *");
    assert_eq!(job["restart"], "no");
    assert_eq!(job["command"], json!(["cleanup", "--older-than=7d"]));
    assert!(job.get("ports").is_none() && job.get("healthcheck").is_none());
}

#[test]
fn kubernetes_reads_secrets_from_a_secret_and_leaves_stand_ins_out() {
    let stack = shop();
    let docs = k8s_docs(&stack);
    let kinds: Vec<String> = docs
        .iter()
        .map(|d| format!("{}/{}", d["kind"].as_str().unwrap(), d["metadata"]["name"].as_str().unwrap()))
        .collect();
    assert_eq!(
        kinds,
        ["PersistentVolumeClaim/uploads", "Deployment/web", "Service/web", "Ingress/web", "CronJob/cleanup"],
        "the stand-in `db` is compose-only"
    );
    let container = &find(&docs, "Deployment", "web")["spec"]["template"]["spec"]["containers"][0];
    let env = container["env"].as_array().unwrap();
    let password = env.iter().find(|e| e["name"] == "DB_PASSWORD").unwrap();
    assert_eq!(
        password,
        &json!({ "name": "DB_PASSWORD", "valueFrom": { "secretKeyRef": { "name": "shop-secrets", "key": "DB_PASSWORD" } } })
    );
    assert!(password.get("value").is_none());
    assert_eq!(container["args"], json!(["serve", "--price=$5", "$$(HOME)"]), "args keep the ENTRYPOINT; $( escaped");
    let text = kubernetes::text(&stack, &stack.apps()[0]).unwrap();
    assert!(text.contains("kubectl create secret generic shop-secrets"), "{text}");
    assert!(text.contains("DB_PASSWORD: SSM parameter `/shop/db-password`"), "{text}");
}

#[test]
fn probes_come_from_the_health_check_or_the_http_probe() {
    let docs = k8s_docs(&shop());
    let c = &find(&docs, "Deployment", "web")["spec"]["template"]["spec"]["containers"][0];
    let exec = json!({ "command": ["sh", "-c", "curl -f http://localhost:8080/health || exit 1"] });
    assert_eq!(
        c["readinessProbe"],
        json!({ "exec": exec, "periodSeconds": 15, "timeoutSeconds": 4, "failureThreshold": 5 })
    );
    assert_eq!(c["livenessProbe"]["initialDelaySeconds"], 40);
    assert_eq!(c["livenessProbe"]["exec"], exec);

    let http = stack_with(app(Service::new(web()).http_probe("/health", 8080)));
    let docs = k8s_docs(&http);
    let c = &find(&docs, "Deployment", "web")["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(c["readinessProbe"]["httpGet"], json!({ "path": "/health", "port": 8080 }));
    assert_eq!(c["livenessProbe"]["httpGet"], json!({ "path": "/health", "port": 8080 }));
}

#[test]
fn claims_deployments_and_cron_jobs() {
    let docs = k8s_docs(&shop());
    let pvc = find(&docs, "PersistentVolumeClaim", "uploads");
    assert_eq!(pvc["spec"]["accessModes"], json!(["ReadWriteMany"]));
    assert_eq!(pvc["spec"]["storageClassName"], "nfs");
    assert_eq!(pvc["spec"]["resources"]["requests"]["storage"], "5Gi");
    let d = find(&docs, "Deployment", "web");
    assert_eq!(d["spec"]["replicas"], 3);
    assert!(d["spec"].get("strategy").is_none(), "a shared volume allows rolling updates");
    assert_eq!(d["spec"]["selector"]["matchLabels"], d["spec"]["template"]["metadata"]["labels"]
        .as_object()
        .map(|l| json!({ "app.kubernetes.io/name": l["app.kubernetes.io/name"], "app.kubernetes.io/component": l["app.kubernetes.io/component"] }))
        .unwrap());
    assert_eq!(d["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/version"], "1.4.2");
    let c = &d["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(
        c["resources"],
        json!({ "requests": { "cpu": "250m", "memory": "256Mi" }, "limits": { "cpu": "1000m", "memory": "512Mi" } })
    );
    assert_eq!(c["securityContext"]["allowPrivilegeEscalation"], false);
    let ing = find(&docs, "Ingress", "web");
    assert_eq!(ing["spec"]["tls"], json!([{ "hosts": ["shop.example.org"], "secretName": "shop-tls" }]));
    assert_eq!(ing["spec"]["ingressClassName"], "nginx");
    assert_eq!(
        ing["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"],
        json!({ "name": "web", "port": { "number": 8080 } })
    );
    let cron = find(&docs, "CronJob", "cleanup");
    assert_eq!(cron["spec"]["schedule"], "*/15 * * * *");
    assert_eq!(cron["spec"]["concurrencyPolicy"], "Forbid");
    let pod = &cron["spec"]["jobTemplate"]["spec"]["template"]["spec"];
    assert_eq!(pod["restartPolicy"], "Never");
    assert_eq!(pod["containers"][0]["args"], json!(["cleanup", "--older-than=7d"]));
    assert_eq!(pod["containers"][0]["image"], "shop/web:1.4.2");
    assert!(pod["containers"][0].get("readinessProbe").is_none() && pod["containers"][0].get("ports").is_none());
    assert_eq!(pod["volumes"][0]["persistentVolumeClaim"]["claimName"], "uploads");

    // One writer at a time: ReadWriteOnce, and the old pod goes before the new one comes.
    let mut single = app(Service::new(web()));
    single.volumes[0] = Volume::new("uploads", 5);
    let docs = k8s_docs(&stack_with(single));
    assert_eq!(find(&docs, "PersistentVolumeClaim", "uploads")["spec"]["accessModes"], json!(["ReadWriteOnce"]));
    assert_eq!(find(&docs, "Deployment", "web")["spec"]["strategy"], json!({ "type": "Recreate" }));
}

#[test]
fn non_root_services_drop_every_capability() {
    let docs = k8s_docs(&stack_with(app(Service::new(web()).run_as_user(10001))));
    let pod = &find(&docs, "Deployment", "web")["spec"]["template"]["spec"];
    assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
    assert_eq!(pod["securityContext"]["runAsUser"], 10001);
    assert_eq!(pod["containers"][0]["securityContext"]["capabilities"], json!({ "drop": ["ALL"] }));
}

#[test]
fn values_only_aws_knows_need_a_platform_value() {
    let endpoint = Value::Attr(AttrRef { id: LogicalId::new("Vpc").unwrap(), attr: Attr::CidrBlock });
    let stack = stack_with(app(Service::new(web().with_env("ALLOWED", endpoint.clone()))));
    for target in [Target::Compose, Target::Kubernetes] {
        let err = render_target(&stack, target, Format::Json).expect_err("an AWS value cannot be rendered here");
        let text = err.to_string();
        assert!(matches!(err, RenderError::Unsupported { .. }), "{text}");
        for part in ["shop", "app:shop/web", "Env.ALLOWED", "<Vpc.CidrBlock>", "Service::env_for"] {
            assert!(text.contains(part), "`{part}` missing from: {text}");
        }
    }
    let fixed = stack_with(app(Service::new(web().with_env("ALLOWED", endpoint))
        .env_for(Platform::Compose, "ALLOWED", "10.0.0.0/8")
        .env_for(Platform::Kubernetes, "ALLOWED", "10.1.0.0/16")));
    assert_eq!(compose_doc(&fixed)["services"]["web"]["environment"]["ALLOWED"], "10.0.0.0/8");
    let docs = k8s_docs(&fixed);
    let env = &find(&docs, "Deployment", "web")["spec"]["template"]["spec"]["containers"][0]["env"];
    assert!(env.as_array().unwrap().contains(&json!({ "name": "ALLOWED", "value": "10.1.0.0/16" })));
}

#[test]
fn a_value_made_with_a_secret_is_provided_whole() {
    let url = Value::join([
        Value::from("postgres://shop:"),
        Value::Secret(SecretRef::ssm("/shop/db-password")),
        Value::from("@db/shop"),
    ]);
    let stack = stack_with(app(Service::new(web().with_env("DATABASE_URL", url))));
    let doc = compose_doc(&stack);
    assert_eq!(
        doc["services"]["web"]["environment"]["DATABASE_URL"],
        "${DATABASE_URL:?set DATABASE_URL (a secret, see the top of this file)}"
    );
    let text = compose::text(&stack, &stack.apps()[0]).unwrap();
    assert!(
        text.contains("DATABASE_URL  (the whole value of DATABASE_URL: postgres://shop:<secret>@db/shop)"),
        "{text}"
    );
    assert!(!text.contains("postgres://shop:@"), "no half-written URL");
}

#[test]
fn one_key_for_two_different_secrets_is_refused() {
    let other = web().with_env("API_TOKEN", SecretRef::ssm("/shop/a"));
    let mut app = app(Service::new(other));
    app.services[1].container = app.services[1].container.clone().with_env("API_TOKEN", SecretRef::ssm("/shop/b"));
    let stack = stack_with(app);
    let err = compose::text(&stack, &stack.apps()[0]).expect_err("two secrets, one variable");
    assert!(err.to_string().contains("`API_TOKEN` means one value in `web` and another here"), "{err}");
}

#[test]
fn output_is_deterministic() {
    let (a, b) = (shop(), shop());
    for t in [Target::Compose, Target::Kubernetes] {
        assert_eq!(
            render_target(&a, t, Format::Json).unwrap().files,
            render_target(&b, t, Format::Json).unwrap().files
        );
    }
}

#[test]
fn targets_apply_only_to_stacks_that_have_something_for_them() {
    let mut s = StackBuilder::new("infra", "dev");
    s.add("Vpc", Vpc { cidr_block: "10.0.0.0/16".into(), enable_dns_hostnames: true, enable_dns_support: true });
    let infra = s.build().unwrap();
    let all: Vec<String> = render_target(&infra, Target::All, Format::Json)
        .unwrap()
        .files
        .iter()
        .map(|f| f.path.display().to_string())
        .collect();
    assert_eq!(
        all,
        ["cloudformation/infra.template.json", "terraform/main.tf", "terraform/variables.tf", "terraform/outputs.tf"]
    );
    let err = render_target(&infra, Target::Kubernetes, Format::Json).expect_err("no apps");
    assert_eq!(
        err.to_string(),
        "stack `infra` has nothing to render as k8s; its targets are: cloudformation, terraform"
    );

    let mut s = StackBuilder::new("local", "dev");
    s.app(app(Service::new(web())));
    let local = s.build().unwrap();
    let all: Vec<String> = render_target(&local, Target::All, Format::Json)
        .unwrap()
        .files
        .iter()
        .map(|f| f.path.display().to_string())
        .collect();
    assert_eq!(all, ["compose/shop/compose.yaml", "k8s/shop.yaml"]);
    let err = render_target(&local, Target::CloudFormation, Format::Json).expect_err("no resources");
    assert!(err.to_string().contains("its targets are: compose, k8s"), "{err}");
}

fn metrics() -> App {
    App::new("metrics").service(Service::new(
        Container::new("influxdb", "influxdb:1.11.8").with_port(8086, 8086).with_udp_port(25826, 25826),
    ))
}

#[test]
fn udp_ports_keep_their_protocol_in_compose_and_kubernetes() {
    let stack = stack_with(metrics());
    assert_eq!(compose_doc(&stack)["services"]["influxdb"]["ports"], json!(["8086:8086", "25826:25826/udp"]));
    let docs = k8s_docs(&stack);
    let pod = &find(&docs, "Deployment", "influxdb")["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(
        pod["ports"],
        json!([{ "containerPort": 8086, "protocol": "TCP" }, { "containerPort": 25826, "protocol": "UDP" }])
    );
    let svc = &find(&docs, "Service", "influxdb")["spec"]["ports"];
    assert_eq!(svc[1], json!({ "name": "udp-25826", "port": 25826, "targetPort": 25826, "protocol": "UDP" }));
}

#[test]
fn an_app_for_compose_only_gets_no_manifests() {
    let stack = stack_with(metrics().platforms(&[Platform::Compose]));
    assert!(Target::Compose.applies_to(&stack));
    assert!(!Target::Kubernetes.applies_to(&stack));
    assert!(kubernetes::render(&stack).unwrap().is_empty());
    let all = render_target(&stack, Target::All, Format::Json).unwrap().files;
    assert!(all.iter().any(|f| f.path.starts_with("compose/metrics")));
    assert!(!all.iter().any(|f| f.path.starts_with("k8s")), "{:?}", all.iter().map(|f| &f.path).collect::<Vec<_>>());
    assert!(render_target(&stack, Target::Kubernetes, Format::Json).is_err());
}
