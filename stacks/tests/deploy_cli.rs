//! The `deploy` binary against a local moto server: exit codes, JSON, and the errors users see.
#![cfg(feature = "aws")]

use std::process::Command;

fn deploy(moto: &tests::MotoServer, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_deploy"))
        .args(args)
        .env("AWS_ENDPOINT_URL", moto.endpoint())
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env_remove("AWS_PROFILE")
        .output()
        .expect("deploy runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const PARAMS: [&str; 4] = [
    "--param",
    "WebImageId=ami-0123456789abcdef0",
    "--param",
    "CertificateArn=arn:aws:acm:us-east-1:123456789012:certificate/abc",
];

#[test]
fn plan_exit_codes_json_and_errors() {
    let Some(moto) = tests::MotoServer::start() else { return };
    moto.reset();

    // Nothing exists: everything is to be created, alarms included, exit code 2 (changes pending).
    let config = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/aquamark/dev.toml");
    let config = config.display().to_string();
    let mut args = vec!["plan", "aquamark", "--env", "dev", "--config", config.as_str()];
    args.extend(PARAMS);
    let (code, out, err) = deploy(&moto, &args);
    assert_eq!(code, 2, "{out}{err}");
    assert!(out.contains("+ Vpc") && out.contains("to create, 0 to update"), "{out}");
    assert!(out.contains("+ DatabaseCpuAlarm") && out.contains("+ AlarmsKey"), "{out}");

    args.push("--json");
    let (code, out, err) = deploy(&moto, &args);
    assert_eq!(code, 2, "{err}");
    let plan: serde_json::Value = serde_json::from_str(&out).expect("plan JSON");
    let changes = plan["changes"].as_array().expect("changes");
    assert!(changes.iter().all(|c| c["action"] == "create"), "{out}");
    assert!(changes.iter().any(|c| c["id"] == "DatabaseInstance" && c["cfn_type"] == "AWS::RDS::DBInstance"));

    // Destroy of nothing is a no-op; drift of nothing reports every resource missing (exit 2).
    let (code, _, err) = deploy(&moto, &["destroy", "aquamark", "--env", "dev", "--yes", "--config", &config]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("deleted 0 resources"), "{err}");
    let (code, out, _) = deploy(&moto, &["drift", "aquamark", "--env", "dev", "--config", &config]);
    assert_eq!(code, 2);
    assert!(out.contains("DatabaseInstance: missing"), "{out}");

    // Errors: exit 1 with the whole chain, naming what to do.
    let (code, _, err) = deploy(&moto, &["plan", "aquamark", "--env", "dev", "--config", &config]);
    assert_eq!(code, 1);
    assert!(err.contains("parameter `WebImageId` has no value; pass --param WebImageId=VALUE"), "{err}");
    let (code, _, err) = deploy(&moto, &["plan", "aquamark", "--env", "dev", "--param", "oops"]);
    assert_eq!(code, 1);
    assert!(err.contains("`oops` is not NAME=VALUE"), "{err}");
    let (code, _, err) = deploy(&moto, &["plan", "nope", "--env", "dev"]);
    assert_eq!(code, 1);
    assert!(err.contains("unknown stack `nope`"), "{err}");
}

#[test]
fn help_teaches() {
    let out = Command::new(env!("CARGO_BIN_EXE_deploy")).arg("--help").output().expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("--allow-data-loss") || text.contains("Examples:"), "{text}");
}

/// A certificate and a hosted zone on moto, through raw calls (the test needs no SDK crate).
fn world(moto: &tests::MotoServer) -> (String, String) {
    let auth = "Authorization: AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/acm/aws4_request, SignedHeaders=host, Signature=0\r\n";
    let resp = moto.post(
        "/",
        &format!(
            "Content-Type: application/x-amz-json-1.1\r\nX-Amz-Target: CertificateManager.RequestCertificate\r\n{auth}"
        ),
        r#"{"DomainName":"survey.example.org","ValidationMethod":"DNS"}"#,
    );
    let body = resp.split("\r\n\r\n").nth(1).unwrap_or_default();
    let cert: serde_json::Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("ACM answer {resp}: {e}"));
    let r53 = auth.replace("/acm/", "/route53/");
    let resp = moto.post(
        "/2013-04-01/hostedzone",
        &format!("Content-Type: application/xml\r\n{r53}"),
        r#"<CreateHostedZoneRequest xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><Name>example.org</Name><CallerReference>cli</CallerReference></CreateHostedZoneRequest>"#,
    );
    let zone = resp.split("<Id>/hostedzone/").nth(1).and_then(|s| s.split('<').next()).expect("a zone id").to_owned();
    (cert["CertificateArn"].as_str().expect("an ARN").to_owned(), zone)
}

#[test]
fn cloudformation_engine_end_to_end() {
    let Some(moto) = tests::MotoServer::start() else { return };
    moto.reset();
    let (cert, zone) = world(&moto);
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("dev.toml");
    let text =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/aquamark/dev.toml"))
            .expect("dev config")
            .replace("Z0123456789ABCDEFGHIJ", &zone);
    std::fs::write(&config, text).expect("written");
    let config = config.display().to_string();
    let cert_param = format!("CertificateArn={cert}");
    let args = |cmd: &'static str| -> Vec<String> {
        [
            "--engine",
            "cloudformation",
            cmd,
            "aquamark",
            "--env",
            "dev",
            "--config",
            &config,
            "--poll",
            "50ms",
            "--param",
            "WebImageId=ami-0123456789abcdef0",
            "--param",
            &cert_param,
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect()
    };
    let run = |a: &[String]| deploy(&moto, &a.iter().map(String::as_str).collect::<Vec<_>>());

    // Plan from nothing: exit 2, every resource created, in the SDK engine's format; JSON too.
    let (code, out, err) = run(&args("plan"));
    assert_eq!(code, 2, "{out}{err}");
    assert!(out.contains("+ Vpc") && out.contains("47 to create, 0 to update"), "{out}");
    assert!(err.contains("change set iac-") && err.contains("(CREATE) made on aquamark-dev"), "{err}");
    let mut json = args("plan");
    json.push("--json".into());
    let (code, out, _) = run(&json);
    assert_eq!(code, 2);
    let plan: serde_json::Value = serde_json::from_str(&out).expect("plan JSON");
    assert!(plan["changes"].as_array().expect("changes").iter().all(|c| c["action"] == "create"), "{out}");

    // Apply, then nothing to do (exit 0).
    let mut apply = args("apply");
    apply.push("--yes".into());
    let (code, out, err) = run(&apply);
    assert_eq!(code, 0, "{out}{err}");
    assert!(err.contains("applied 47 changes to aquamark-dev") && err.contains("CREATE_COMPLETE"), "{err}");
    let (code, out, err) = run(&args("plan"));
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("0 to create, 0 to update, 0 to replace, 0 to delete, 47 unchanged"), "{out}");

    // A database replacement: shown, refused without the flag (exit 1).
    let moved = std::fs::read_to_string(&config)
        .expect("config")
        .replace("identifier = \"aquamark-dev\"", "identifier = \"aquamark-dev2\"");
    std::fs::write(&config, moved).expect("written");
    let (code, out, err) = run(&apply);
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains("-/+ DatabaseInstance") && err.contains("!! DATA LOSS"), "{err}");
    assert!(err.contains("error: stack `aquamark`: refusing to replace or delete DatabaseInstance"), "{err}");

    // Drift: moto has no drift detection; a clean error, exit 1.
    let (code, _, err) = run(&args("drift"));
    assert_eq!(code, 1);
    assert!(err.contains("cloudformation DetectStackDrift"), "{err}");
}

#[test]
fn cloudformation_engine_plans_scale_as_nested_stacks() {
    let Some(moto) = tests::MotoServer::start() else { return };
    moto.reset();
    let (code, out, err) = deploy(
        &moto,
        &[
            "--engine",
            "cloudformation",
            "plan",
            "scale",
            "--env",
            "dev",
            "--copies",
            "12",
            "--poll",
            "50ms",
            "--param",
            "ImageId=ami-0123456789abcdef0",
            "--param",
            "CertificateArn=arn:aws:acm:us-east-1:123456789012:certificate/abc",
        ],
    );
    assert_eq!(code, 2, "{out}{err}");
    assert!(out.contains("+ Nested01/C001Vpc"), "{out}");
    assert_eq!(err.matches(": uploaded (").count(), 3, "three nested templates uploaded: {err}");
    let (code, _, err) = deploy(
        &moto,
        &[
            "--engine",
            "cloudformation",
            "plan",
            "scale",
            "--env",
            "dev",
            "--copies",
            "12",
            "--poll",
            "50ms",
            "--param",
            "ImageId=ami-0123456789abcdef0",
            "--param",
            "CertificateArn=arn:aws:acm:us-east-1:123456789012:certificate/abc",
        ],
    );
    assert_eq!(code, 2);
    assert_eq!(err.matches("unchanged, not uploaded").count(), 3, "nothing uploaded twice: {err}");
}
