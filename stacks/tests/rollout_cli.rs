//! The `rollout` binary against a local moto server: Aquamark prod deployed by the engine, then a
//! dry run (nothing changes), a real blue/green rollout to a second AMI (one web group serves on
//! it afterwards), `--resume` with nothing to resume, and the errors users see (no AMI, a bake
//! whose base image is missing, an unknown tier, a missing `--version`).
#![cfg(feature = "aws")]
#![allow(clippy::print_stderr)] // the outputs and times are printed on purpose (README material)

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use iac_aws::Clients;
use iac_aws::services::Timing;

/// The web role's live group (a green one is named `<BASE>-<rollout>`).
const BASE: &str = "aquamark-prod-web-auto-scaling-group";
const TG: &str = "aquamark-prod-web-target-group";
const LT: &str = "aquamark-prod-web-launch-template";

/// Runs the binary against moto; returns exit code, stdout, stderr and wall time.
fn rollout(moto: &tests::MotoServer, args: &[&str]) -> (i32, String, String, Duration) {
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_rollout"))
        .args(args)
        .env("AWS_ENDPOINT_URL", moto.endpoint())
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env_remove("AWS_PROFILE")
        .output()
        .expect("rollout runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        started.elapsed(),
    )
}

/// What Aquamark needs from outside on moto, and the config file the binary is given.
struct World {
    moto: tests::MotoServer,
    clients: Clients,
    /// Two AL2023 images of moto's: the deployed one and the one rolled out.
    amis: [String; 2],
    cert: String,
    config: PathBuf,
    _dir: tempfile::TempDir,
}

/// Moto with Aquamark prod deployed through the engine (fast timing), as in iac-aws's own
/// rollout tests; `None` (skip) when moto is not installed.
async fn deployed() -> Option<World> {
    let moto = tests::MotoServer::start()?;
    moto.reset();
    let clients = Clients::for_endpoint(&moto.endpoint(), "us-east-1").await;

    let images = clients.ec2.describe_images().owners("amazon").send().await.expect("describe_images");
    let mut al2023: Vec<String> = images
        .images()
        .iter()
        .filter(|i| i.name().is_some_and(|n| n.starts_with("al2023-ami-")))
        .filter_map(|i| i.image_id().map(str::to_owned))
        .collect();
    al2023.sort();
    al2023.dedup();
    assert!(al2023.len() >= 2, "moto has two AL2023 images: {al2023:?}");
    let amis = [al2023[0].clone(), al2023[1].clone()];

    let zone = clients
        .route53
        .create_hosted_zone()
        .name("example.org")
        .caller_reference(format!("{:?}", std::time::SystemTime::now()))
        .send()
        .await
        .expect("create_hosted_zone");
    let zone = zone.hosted_zone().expect("zone").id().trim_start_matches("/hostedzone/").to_owned();
    let cert = acm_certificate(&moto, "survey.example.org");

    let dir = tempfile::tempdir().expect("tempdir");
    let original = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/aquamark/prod.toml");
    let text = std::fs::read_to_string(original).expect("prod config").replace("Z0123456789ABCDEFGHIJ", &zone);
    let config = dir.path().join("prod.toml");
    std::fs::write(&config, &text).expect("config written");

    let source = stacks::ConfigSource { file: config.display().to_string(), text };
    let stack = stacks::registry().build("aquamark", "prod", Some(&source)).expect("aquamark builds");
    let mut params = BTreeMap::new();
    params.insert("WebImageId".to_owned(), amis[0].clone());
    params.insert("CertificateArn".to_owned(), cert.clone());
    let fast = Timing {
        poll: Duration::from_millis(20),
        timeout: Duration::from_secs(20),
        backoff: Duration::from_millis(10),
        attempts: 5,
        ..Timing::default()
    };
    let options = iac_aws::Options { params, timing: fast, ..iac_aws::Options::default() };
    let engine = iac_aws::Engine::new(clients.clone(), stack, options).expect("engine");
    let plan = engine.plan().await.expect("plan");
    engine.apply(&plan, &|_| {}).await.expect("Aquamark v1 deploys");
    Some(World { moto, clients, amis, cert, config, _dir: dir })
}

/// Requests an ACM certificate through a raw JSON-protocol call (stacks has no ACM client).
fn acm_certificate(moto: &tests::MotoServer, domain: &str) -> String {
    let body = format!(r#"{{"DomainName":"{domain}","ValidationMethod":"DNS"}}"#);
    let resp = moto.post(
        "/",
        "Content-Type: application/x-amz-json-1.1\r\nX-Amz-Target: CertificateManager.RequestCertificate\r\n\
         Authorization: AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/acm/aws4_request, SignedHeaders=host, Signature=0\r\n",
        &body,
    );
    let json = resp.split("\r\n\r\n").nth(1).unwrap_or_default();
    let v: serde_json::Value = serde_json::from_str(json).unwrap_or_else(|e| panic!("ACM answer {resp}: {e}"));
    v["CertificateArn"].as_str().expect("a certificate ARN").to_owned()
}

/// One web group as it is now: name, desired capacity, launch template version, instances in
/// service, and their images.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Group {
    name: String,
    desired: i32,
    template_version: Option<String>,
    in_service: Vec<String>,
    amis: Vec<String>,
}

/// The web role's groups (blue, and green during a switch), the launch template's default and
/// latest versions, and the ids registered in the target group.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Web {
    groups: Vec<Group>,
    template: (i64, i64),
    registered: Vec<String>,
}

async fn web(clients: &Clients) -> Web {
    let out = clients.autoscaling.describe_auto_scaling_groups().send().await.expect("groups");
    let mut groups = Vec::new();
    for g in out.auto_scaling_groups() {
        let name = g.auto_scaling_group_name().unwrap_or_default();
        if !name.starts_with(BASE) {
            continue;
        }
        let mut in_service: Vec<String> = g
            .instances()
            .iter()
            .filter(|i| i.lifecycle_state().is_some_and(|s| s.as_str() == "InService"))
            .filter_map(|i| i.instance_id().map(str::to_owned))
            .collect();
        in_service.sort();
        let mut amis = Vec::new();
        if !in_service.is_empty() {
            let d = clients.ec2.describe_instances().set_instance_ids(Some(in_service.clone())).send().await.unwrap();
            amis = d
                .reservations()
                .iter()
                .flat_map(|r| r.instances().iter())
                .filter_map(|i| i.image_id().map(str::to_owned))
                .collect();
            amis.sort();
            amis.dedup();
        }
        groups.push(Group {
            name: name.to_owned(),
            desired: g.desired_capacity().unwrap_or(0),
            template_version: g.launch_template().and_then(|lt| lt.version()).map(str::to_owned),
            in_service,
            amis,
        });
    }
    groups.sort_by(|a, b| a.name.cmp(&b.name));
    let lts = clients.ec2.describe_launch_templates().launch_template_names(LT).send().await.expect("template");
    let lt = &lts.launch_templates()[0];
    let template = (lt.default_version_number().unwrap_or(0), lt.latest_version_number().unwrap_or(0));
    let tgs = clients.elbv2.describe_target_groups().names(TG).send().await.expect("target group");
    let arn = tgs.target_groups()[0].target_group_arn().expect("arn");
    let health = clients.elbv2.describe_target_health().target_group_arn(arn).send().await.expect("health");
    let mut registered: Vec<String> = health
        .target_health_descriptions()
        .iter()
        .filter_map(|d| d.target().and_then(|t| t.id()).map(str::to_owned))
        .collect();
    registered.sort();
    Web { groups, template, registered }
}

#[test]
#[allow(clippy::too_many_lines)] // one deployment, then every run of the binary against it
fn dry_run_rollout_resume_and_errors() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let started = Instant::now();
    let Some(w) = runtime.block_on(deployed()) else { return };
    eprintln!("Aquamark prod deployed on moto: {:.1} s", started.elapsed().as_secs_f64());
    let config = w.config.to_str().expect("utf-8 path");
    let cert = format!("CertificateArn={}", w.cert);
    let [old_ami, new_ami] = &w.amis;
    let base = |extra: &[&'static str]| -> Vec<String> {
        let mut args: Vec<String> = ["aquamark", "--env", "prod", "--config", config, "--param", &cert]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        args.extend(extra.iter().map(|s| (*s).to_owned()));
        args
    };
    let run = |args: &[String]| {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        rollout(&w.moto, &args)
    };

    let v1 = runtime.block_on(web(&w.clients));
    assert_eq!(v1.groups.len(), 1, "{v1:?}");
    assert_eq!((v1.groups[0].name.as_str(), v1.groups[0].desired), (BASE, 2), "{v1:?}");
    assert_eq!(v1.groups[0].amis, std::slice::from_ref(old_ami), "{v1:?}");
    assert_eq!(v1.registered, v1.groups[0].in_service, "{v1:?}");

    // (a) The dry run: the steps and what they touch; nothing changes.
    let mut args = base(&["--version", "1.0.2", "--dry-run"]);
    args.extend(["--ami".to_owned(), new_ami.clone()]);
    let (code, out, err, took) = run(&args);
    eprintln!("--- dry run ({:.2} s), stdout:\n{out}--- stderr:\n{err}", took.as_secs_f64());
    assert_eq!(code, 0, "{out}{err}");
    assert!(err.contains("release: app.image = vpac/aquamark:1.0.1 -> vpac/aquamark:1.0.2"), "{err}");
    assert!(out.contains(&format!("aquamark (prod): would roll out version 1.0.2 ({old_ami} -> {new_ami})")), "{out}");
    for needle in [
        format!("1. switch web blue/green: {BASE} -> {BASE}-"),
        "aquamark-migrate vpac/aquamark:1.0.2".to_owned(),
        "wait-healthy".to_owned(),
        "nothing changed (".to_owned(),
    ] {
        assert!(out.contains(&needle), "the dry run says `{needle}`:\n{out}");
    }
    assert_eq!(runtime.block_on(web(&w.clients)), v1, "the dry run changed nothing");

    // (c) Errors, before the real run: each exits 1, says what to do and changes nothing.
    let (code, out, err, _) = run(&base(&["--version", "1.0.2"]));
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        err.contains("error: give the AMI to roll out with --ami ami-..., or --bake to bake it first (or --resume)"),
        "{err}"
    );
    let (code, out, err, took) = run(&base(&["--version", "1.0.2", "--bake"]));
    eprintln!("--- --bake without a base image ({:.2} s):\n{err}", took.as_secs_f64());
    assert_eq!(code, 1, "{out}{err}");
    for needle in [
        "error: stack `aquamark` bake `aq-web` base image: no available image",
        "099720109477",
        "ubuntu-noble-24.04-amd64-server-*",
        "or give an image id",
    ] {
        assert!(err.contains(needle), "the bake error says `{needle}`: {err}");
    }
    let (code, _, err, _) = run(&base(&["--version", "1.0.2", "--bake", "aq-api"]));
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("stack `aquamark` has no bake `aq-api`; its bakes: aq-web"), "{err}");
    // An unknown tier is refused before anything, a bake included.
    for extra in [["--ami", new_ami.as_str()], ["--bake", "aq-web"]] {
        let mut args = base(&["--version", "1.0.2", "--tier", "api"]);
        args.extend(extra.iter().map(|s| (*s).to_owned()));
        let (code, out, err, _) = run(&args);
        assert_eq!(code, 1, "{out}{err}");
        assert!(err.contains("stack `aquamark` has no rollout role `api` (--tier); its roles: web, daemons"), "{err}");
        assert!(!err.contains("base image"), "no bake was tried: {err}");
    }
    // Argument errors are clap's: exit 2.
    let (code, _, err, _) = run(&base(&["--ami", "ami-0123456789abcdef0"]));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--version <VERSION>"), "{err}");
    assert_eq!(runtime.block_on(web(&w.clients)), v1, "the errors changed nothing");

    // (b) The rollout, with short waits for moto.
    let mut args = base(&[
        "--version",
        "1.0.2",
        "--health-timeout",
        "10s",
        "--drain-timeout",
        "200ms",
        "--command-timeout",
        "10s",
        "--poll",
        "50ms",
    ]);
    args.extend(["--ami".to_owned(), new_ami.clone()]);
    let (code, out, err, took) = run(&args);
    eprintln!("--- rollout ({:.2} s), stdout:\n{out}--- stderr:\n{err}", took.as_secs_f64());
    assert_eq!(
        code, 0,
        "{out}{err}\n(a 500 from CreateAutoScalingGroup means IAC_MOTO_SERVER is moto's own server, not \
         moto_server_iac with its launch template fix: run scripts/install-tools.sh)"
    );
    assert!(out.contains(&format!("aquamark (prod): rolled out version 1.0.2 ({old_ami} -> {new_ami}), rollout ")));
    for phase in [
        "prepare",
        "launch-template",
        "create-green",
        "wait-healthy",
        "cutover",
        "drain",
        "retire-blue",
        "run-once",
        "update-host",
    ] {
        let line = out.lines().find(|l| l.trim_start().starts_with(&format!("{phase} "))).unwrap_or_else(|| {
            panic!("the summary has phase `{phase}`:\n{out}");
        });
        let seconds: f64 = line.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(-1.0);
        assert!(seconds >= 0.0 && line.contains(" s "), "phase `{phase}` is timed: {line}");
    }
    assert!(out.trim_end().ends_with("SDK calls"), "{out}");
    for needle in ["starting rollout", "step 1/3: switch web blue/green", "2/2 healthy", "step 3/3"] {
        assert!(err.contains(needle), "the progress says `{needle}`:\n{err}");
    }
    let after = runtime.block_on(web(&w.clients));
    assert_eq!(after.groups.len(), 1, "exactly one web group: {after:?}");
    let green = &after.groups[0];
    assert!(green.name.starts_with(&format!("{BASE}-")), "{after:?}");
    assert!(out.contains(&format!("{BASE} -> {}", green.name)), "the summary names the green group:\n{out}");
    assert_eq!((green.desired, green.in_service.len()), (2, 2), "{after:?}");
    assert_eq!(green.amis, std::slice::from_ref(new_ami), "serves on the new AMI: {after:?}");
    assert!(green.in_service.iter().all(|id| !v1.groups[0].in_service.contains(id)), "new instances: {after:?}");
    assert_eq!(after.registered, green.in_service, "the target group holds only green: {after:?}");
    assert_eq!(after.template, (2, 2), "a new launch template version, the default: {after:?}");

    // Nothing left to resume.
    let (code, out, err, _) = run(&base(&["--resume"]));
    eprintln!("--- --resume after the rollout:\n{err}");
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains("nothing to resume") && err.contains("finished"), "{err}");
    assert_eq!(runtime.block_on(web(&w.clients)), after, "--resume changed nothing");
    eprintln!("whole test: {:.1} s", started.elapsed().as_secs_f64());
}

#[test]
fn help_names_the_flags_moto_needs() {
    let out = Command::new(env!("CARGO_BIN_EXE_rollout")).arg("--help").output().expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    for needle in ["--ami <ID>", "--bake [<BAKE>]", "--resume", "--dry-run", "--poll <POLL>", "Examples:"] {
        assert!(text.contains(needle), "--help has `{needle}`:\n{text}");
    }
}

/// Concerto rolls out on ECS: no AMI is asked for, `--version` sets the task definition's image,
/// and the steps read the live service (which an empty account lacks: Concerto's deploy waits
/// for a steady state that moto's services never reach, so its release is tested in iac-aws's
/// `ecs_rollout` test with the tasks stood in for).
#[test]
fn concerto_needs_no_ami_and_its_version_sets_the_task_image() {
    let Some(moto) = tests::MotoServer::start() else {
        eprintln!("moto_server not found: skipped");
        return;
    };
    moto.reset();
    let (code, out, err, _) =
        rollout(&moto, &["concerto", "-e", "dev", "--version", "5.0.28", "--dry-run", "--poll", "50ms"]);
    assert_eq!(code, 1, "stdout: {out}\nstderr: {err}");
    assert!(
        err.contains("release: app.image = campsych/concerto-platform:5.0.27 -> campsych/concerto-platform:5.0.28"),
        "the release's image: {err}"
    );
    assert!(!err.contains("--ami"), "an ECS rollout needs no AMI: {err}");
    assert!(err.contains("ECS service `AppService` does not exist; deploy the stack first"), "{err}");
}
