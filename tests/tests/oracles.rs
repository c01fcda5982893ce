//! External oracles on everything rendered: cfn-lint and checkov on CloudFormation (JSON and
//! YAML), python-hcl2, the AWS provider argument check, `terraform fmt -check` and checkov on
//! Terraform (`terraform fmt` on the Packer templates too); on the hosts' cloud-init user data:
//! cloud-init's own schema check, shellcheck on every shell script it writes (and on the bake scripts), `nginx -t` on every nginx site, `systemd-analyze verify` on
//! every unit; the compose-spec schema (and references it cannot express) on compose files and
//! kubernetes-validate (strict) on Kubernetes manifests. Each test renders every stack and
//! environment into a temporary directory.

#![allow(clippy::print_stderr)] // test and example output goes to stderr on purpose

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use tests::{oracle, render_all, run, with_suffix, workspace_root, write_all, written_files};

/// A temporary directory named so that no 40-character run of `[A-Za-z0-9/]` forms in the
/// paths below it: checkov's `CKV_AWS_46` reads the file path into the user data it scans and
/// takes such a run for an AWS secret key (`.tmpAbC123/scale/dev/cloudformation/scale` did).
fn temp_dir() -> tempfile::TempDir {
    tempfile::Builder::new().prefix("iac-oracles-").tempdir().expect("temp dir")
}

fn rendered_dir() -> (tempfile::TempDir, Vec<PathBuf>) {
    let dir = temp_dir();
    let paths = write_all(dir.path(), &render_all());
    (dir, paths)
}

#[test]
fn cfn_lint_finds_nothing() {
    let Some(cfn_lint) = oracle("IAC_CFN_LINT") else { return };
    let (_dir, paths) = rendered_dir();
    let templates: Vec<&PathBuf> =
        with_suffix(&paths, ".template.json").chain(with_suffix(&paths, ".template.yaml")).collect();
    assert!(templates.len() >= 4, "{templates:?}");
    let out = run(Command::new(cfn_lint).args(["--format", "json", "--"]).args(&templates));
    let findings: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("cfn-lint output is not JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)));
    let findings = findings.as_array().expect("a list");
    eprintln!("cfn-lint: {} templates, {} findings", templates.len(), findings.len());
    assert!(findings.is_empty(), "cfn-lint findings:\n{}", serde_json::to_string_pretty(findings).unwrap());
    assert!(out.status.success(), "cfn-lint exit {:?}: {}", out.status, String::from_utf8_lossy(&out.stderr));
}

/// Runs checkov on `dir` for `framework`; every result must pass or be skipped with a reason.
fn checkov(dir: &Path, framework: &str) {
    let Some(checkov) = oracle("IAC_CHECKOV") else { return };
    let out = run(Command::new(checkov)
        .args(["--directory"])
        .arg(dir)
        .args(["--framework", framework, "--output", "json", "--skip-download"])
        .env("BC_SKIP_MAPPING", "TRUE"));
    let report: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("checkov output is not JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)));
    let reports = match report {
        Value::Array(list) => list,
        one => vec![one],
    };
    let mut resources = 0;
    for r in &reports {
        let summary = &r["summary"];
        resources += summary["resource_count"].as_u64().unwrap_or(0);
        eprintln!("checkov {framework}: {summary}");
        assert_eq!(summary["parsing_errors"], 0, "checkov could not parse some files: {summary}");
        let failed = r["results"]["failed_checks"].as_array().cloned().unwrap_or_default();
        let lines: Vec<String> = failed
            .iter()
            .map(|c| format!("{} {} {} ({})", c["check_id"], c["resource"], c["check_name"], c["file_path"]))
            .collect();
        assert!(failed.is_empty(), "checkov {framework} failed checks:\n{}", lines.join("\n"));
        for skipped in r["results"]["skipped_checks"].as_array().into_iter().flatten() {
            let reason = skipped["check_result"]["suppress_comment"].as_str().unwrap_or("");
            assert!(reason.len() >= 10, "a skip without a reason: {skipped}");
        }
    }
    assert!(resources > 0, "checkov {framework} saw no resources");
}

#[test]
fn checkov_passes_on_cloudformation() {
    let (dir, _) = rendered_dir();
    checkov(dir.path(), "cloudformation");
}

#[test]
fn checkov_passes_on_terraform() {
    let (dir, _) = rendered_dir();
    checkov(dir.path(), "terraform");
}

#[test]
fn terraform_parses_and_uses_real_provider_arguments() {
    let Some(python) = oracle("IAC_PYTHON") else { return };
    let (_dir, paths) = rendered_dir();
    let tf: Vec<&PathBuf> = with_suffix(&paths, ".tf").collect();
    assert!(!tf.is_empty());
    let packer: Vec<&PathBuf> = with_suffix(&paths, ".pkr.hcl").collect();
    assert!(!packer.is_empty(), "no Packer template rendered");
    let parse = "import sys, hcl2\nfor p in sys.argv[1:]:\n    with open(p) as f:\n        hcl2.load(f)\nprint('parsed', len(sys.argv) - 1)";
    let out = run(Command::new(&python).arg("-c").arg(parse).args(&tf).args(&packer));
    assert!(out.status.success(), "python-hcl2 failed:\n{}", String::from_utf8_lossy(&out.stderr));
    eprintln!("python-hcl2: {}", String::from_utf8_lossy(&out.stdout).trim());

    let oracles = workspace_root().join("tests/oracles");
    let checker = oracles.join("tf_schema_check.py");
    if checker.exists() {
        let out = run(Command::new(&python).arg(&checker).arg(oracles.join("aws_provider_schema.json")).args(&tf));
        let text = String::from_utf8_lossy(&out.stdout);
        eprintln!("provider arguments: {}", text.lines().last().unwrap_or(""));
        assert!(out.status.success(), "unknown provider arguments:\n{text}{}", String::from_utf8_lossy(&out.stderr));
    }
}

/// `terraform fmt -check` on every Terraform file and Packer template rendered: the layout is
/// Terraform's own (offline: `fmt` needs no provider).
#[test]
fn terraform_fmt_changes_nothing() {
    let Some(terraform) = oracle("IAC_TERRAFORM") else { return };
    let (dir, paths) = rendered_dir();
    let tf_count = with_suffix(&paths, ".tf").count();
    assert!(tf_count > 0);
    let fmt = |cmd: &mut Command| {
        run(cmd.env("CHECKPOINT_DISABLE", "1").env("TF_CLI_CONFIG_FILE", "/dev/null").env("TF_IN_AUTOMATION", "1"))
    };
    let out = fmt(Command::new(&terraform).args(["fmt", "-check", "-diff", "-recursive"]).arg(dir.path()));
    assert!(
        out.status.success(),
        "terraform fmt would change these files:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // Packer templates (`.pkr.hcl`, which `terraform fmt` does not pick up by name) through stdin.
    let packer: Vec<&PathBuf> = with_suffix(&paths, ".pkr.hcl").collect();
    assert!(!packer.is_empty(), "no Packer template rendered");
    for p in &packer {
        let file = std::fs::File::open(p).expect("rendered file");
        let out = fmt(Command::new(&terraform).args(["fmt", "-check", "-diff", "-"]).stdin(file));
        assert!(
            out.status.success(),
            "terraform fmt would change {}:\n{}",
            p.display(),
            String::from_utf8_lossy(&out.stdout)
        );
    }
    eprintln!("terraform fmt -check: {tf_count} Terraform files and {} Packer templates unchanged", packer.len());
}

#[test]
fn shellcheck_passes_on_user_data() {
    let Some(shellcheck) = oracle("IAC_SHELLCHECK") else { return };
    let (dir, paths) = rendered_dir();
    let bake_scripts: Vec<&PathBuf> = with_suffix(&paths, ".sh").collect();
    assert!(!bake_scripts.is_empty());
    let out = run(Command::new(&shellcheck).args(["--shell=bash", "--severity=style"]).args(&bake_scripts));
    assert!(out.status.success(), "shellcheck:\n{}", String::from_utf8_lossy(&out.stdout));

    // Every shell script the user data writes (the boot script, helper scripts), each checked
    // with the shell of its own `#!` line.
    let extracted = dir.path().join("extracted-scripts");
    std::fs::create_dir_all(&extracted).unwrap();
    let mut scripts = Vec::new();
    for (i, f) in written_files(&paths).into_iter().enumerate() {
        if f.content.starts_with("#!/bin/bash") || f.content.starts_with("#!/bin/sh") {
            let name = format!("{i}-{}", f.path.rsplit('/').next().unwrap_or("script"));
            let path = extracted.join(name);
            std::fs::write(&path, &f.content).unwrap();
            scripts.push((path, format!("{} in {}", f.path, f.user_data.display())));
        }
    }
    assert!(scripts.iter().filter(|(_, what)| what.starts_with("/var/lib/iac/boot.sh")).count() >= 4, "boot scripts");
    for (path, what) in &scripts {
        let out = run(Command::new(&shellcheck).arg("--severity=style").arg(path));
        assert!(out.status.success(), "shellcheck on {what}:\n{}", String::from_utf8_lossy(&out.stdout));
    }
    eprintln!("shellcheck: {} bake scripts, {} scripts written by user data", bake_scripts.len(), scripts.len());
}

#[test]
fn cloud_init_accepts_every_user_data() {
    let Some(cloud_init) = oracle("IAC_CLOUD_INIT") else { return };
    let (_dir, paths) = rendered_dir();
    let docs: Vec<&PathBuf> = paths.iter().filter(|p| p.to_string_lossy().contains("/userdata/")).collect();
    assert!(docs.len() >= 6, "{docs:?}");
    for doc in &docs {
        let text = std::fs::read_to_string(doc).unwrap();
        assert!(text.starts_with("#cloud-config\n"), "{}", doc.display());
        let out = run(Command::new(&cloud_init).args(["schema", "--config-file"]).arg(doc));
        let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(
            out.status.success() && said.contains("Valid cloud-config"),
            "cloud-init schema on {}:\n{said}",
            doc.display()
        );
    }
    eprintln!("cloud-init schema: {} user data documents valid", docs.len());
}

#[test]
fn nginx_accepts_every_site() {
    let Some(nginx) = oracle("IAC_NGINX") else { return };
    let (dir, paths) = rendered_dir();
    let mut by_host: std::collections::BTreeMap<PathBuf, Vec<(String, String)>> = std::collections::BTreeMap::new();
    for f in written_files(&paths) {
        if f.path.starts_with("/etc/nginx/sites-enabled/") {
            by_host.entry(f.user_data).or_default().push((f.path, f.content));
        }
    }
    assert!(by_host.len() >= 3, "nginx sites of ViewBovis and Postback (aws, do): {:?}", by_host.keys());
    let mut sites = 0;
    for (i, (user_data, files)) in by_host.iter().enumerate() {
        // A prefix with a minimal nginx.conf that includes the host's sites, as Debian's does.
        let prefix = dir.path().join(format!("nginx-{i}"));
        let site_dir = prefix.join("sites-enabled");
        std::fs::create_dir_all(prefix.join("logs")).unwrap();
        std::fs::create_dir_all(&site_dir).unwrap();
        for (path, content) in files {
            std::fs::write(site_dir.join(path.rsplit('/').next().unwrap()), content).unwrap();
            sites += 1;
        }
        // Sites include `fastcgi_params` from nginx's own configuration directory.
        let params = Path::new(&nginx).parent().and_then(Path::parent).map(|_| Path::new("/etc/nginx/fastcgi_params"));
        if let Some(params) = params.filter(|p| p.exists()) {
            std::fs::copy(params, prefix.join("fastcgi_params")).unwrap();
        }
        let conf = format!(
            "pid {p}/nginx.pid;\nerror_log {p}/logs/error.log;\nevents {{}}\nhttp {{\n  access_log off;\n  include {p}/sites-enabled/*.conf;\n}}\n",
            p = prefix.display()
        );
        std::fs::write(prefix.join("nginx.conf"), conf).unwrap();
        let out = run(Command::new(&nginx).arg("-t").arg("-p").arg(&prefix).arg("-c").arg(prefix.join("nginx.conf")));
        let said = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() && said.contains("test is successful"),
            "nginx -t on the sites of {}:\n{said}",
            user_data.display()
        );
    }
    eprintln!("nginx -t: {sites} sites of {} hosts", by_host.len());
}

/// `systemd-analyze verify` on the units of each host, in a root of their own: the rendered
/// units and timers, the machine's own units (targets, slices), and stand-ins for what only the
/// host's packages bring (the programs the units run, such as `/usr/bin/docker`, and their units,
/// such as `docker.service`); the stand-ins are listed, never silently assumed.
#[test]
fn systemd_verifies_every_unit() {
    let Some(analyze) = oracle("IAC_SYSTEMD_ANALYZE") else { return };
    let system = Path::new("/lib/systemd/system");
    assert!(system.join("multi-user.target").exists(), "this machine has no systemd units to verify against");
    let (dir, paths) = rendered_dir();
    let mut by_host: std::collections::BTreeMap<PathBuf, Vec<(String, String)>> = std::collections::BTreeMap::new();
    for f in written_files(&paths) {
        if f.path.starts_with("/etc/systemd/system/") {
            by_host.entry(f.user_data).or_default().push((f.path, f.content));
        }
    }
    assert!(by_host.len() >= 4, "units of ViewBovis and Postback: {:?}", by_host.keys());
    let mut stubbed_programs = std::collections::BTreeSet::new();
    let mut stubbed_units = std::collections::BTreeSet::new();
    let mut verified = 0;
    for (i, (user_data, units)) in by_host.iter().enumerate() {
        let root = dir.path().join(format!("root-{i}"));
        let etc = root.join("etc/systemd/system");
        std::fs::create_dir_all(&etc).unwrap();
        let lib = root.join("lib/systemd/system");
        std::fs::create_dir_all(root.join("lib/systemd")).unwrap();
        let out = run(Command::new("cp").arg("-a").arg(system).arg(root.join("lib/systemd")));
        assert!(out.status.success(), "copy of {}: {}", system.display(), String::from_utf8_lossy(&out.stderr));
        let names: Vec<String> = units.iter().map(|(p, _)| p.rsplit('/').next().unwrap().to_owned()).collect();
        for (path, content) in units {
            std::fs::write(etc.join(path.rsplit('/').next().unwrap()), content).unwrap();
            for line in content.lines() {
                let Some((key, value)) = line.split_once('=') else { continue };
                if key.starts_with("Exec") {
                    let program =
                        value.split_whitespace().next().unwrap_or("").trim_start_matches(['-', '@', ':', '+', '!']);
                    let stub = root.join(program.trim_start_matches('/'));
                    if !stub.exists() {
                        std::fs::create_dir_all(stub.parent().unwrap()).unwrap();
                        std::fs::write(&stub, "#!/bin/sh\n").unwrap();
                        let mut perms = std::fs::metadata(&stub).unwrap().permissions();
                        std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
                        std::fs::set_permissions(&stub, perms).unwrap();
                        stubbed_programs.insert(program.to_owned());
                    }
                }
                if ["After", "Before", "Wants", "Requires"].contains(&key) {
                    for dep in value.split_whitespace() {
                        if !names.iter().any(|n| n == dep) && !lib.join(dep).exists() {
                            std::fs::write(etc.join(dep), "[Unit]\nDescription=stand-in for a unit a package installs\n[Service]\nExecStart=/bin/true\n").unwrap();
                            stubbed_units.insert(dep.to_owned());
                        }
                    }
                }
            }
        }
        let out = run(Command::new(&analyze).arg("verify").arg(format!("--root={}", root.display())).args(&names));
        let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(
            out.status.success() && said.trim().is_empty(),
            "systemd-analyze verify on the units of {}:\n{said}",
            user_data.display()
        );
        verified += names.len();
    }
    eprintln!(
        "systemd-analyze verify: {verified} units of {} hosts; stand-ins for programs {stubbed_programs:?} and units {stubbed_units:?}",
        by_host.len()
    );
}

/// The validator's `OnCalendar=` check agrees with systemd's own parser.
#[test]
fn on_calendar_check_agrees_with_systemd() {
    let Some(analyze) = oracle("IAC_SYSTEMD_ANALYZE") else { return };
    let cases = [
        "daily",
        "hourly",
        "weekly",
        "*-*-* 22:00:00",
        "*-*-* 22:00:00 Europe/London",
        "Mon..Fri 08:00",
        "Sat,Sun 10:30",
        "*-*-01 00:00:00",
        "2026-12-24 18:00 UTC",
        "*:0/15",
        "22:61",
        "every day",
        "Funday 10:00",
        "*-*-* 25:00",
        "*-13-01 00:00",
        "10:00 nowhere",
    ];
    for expr in cases {
        let ours = iac_core::app::on_calendar_problem(expr).is_none();
        let out = run(Command::new(&analyze).args(["calendar", expr]));
        assert_eq!(
            ours,
            out.status.success(),
            "`{expr}`: validator says {ours}; systemd says {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    eprintln!("OnCalendar: {} expressions agree with systemd-analyze calendar", cases.len());
}

/// The SDK engine's bake builder user data (the bake script plus the self-tagging signal) is
/// no target's file, so it is checked on its own.
#[test]
fn shellcheck_passes_on_bake_builder_scripts() {
    let Some(shellcheck) = oracle("IAC_SHELLCHECK") else { return };
    let dir = tempfile::tempdir().expect("temp dir");
    let registry = stacks::registry();
    let mut scripts = Vec::new();
    for def in registry.stacks() {
        for (env, _) in &def.envs {
            let stack = registry.build(def.name, env, None).unwrap_or_else(|e| panic!("{}/{env}: {e}", def.name));
            for bake in stack.bakes() {
                let text = iac_render::userdata::builder_script(&stack, bake).expect("renders");
                let path = dir.path().join(format!("{}-{env}-{}-builder.sh", def.name, bake.name));
                std::fs::write(&path, text).expect("written");
                scripts.push(path);
            }
        }
    }
    assert!(!scripts.is_empty(), "no stack declares a bake");
    let out = run(Command::new(shellcheck).args(["--shell=bash", "--severity=style"]).args(&scripts));
    eprintln!("shellcheck: {} builder scripts", scripts.len());
    assert!(out.status.success(), "shellcheck:\n{}", String::from_utf8_lossy(&out.stdout));
}

#[test]
fn the_provider_argument_checker_catches_typos() {
    if oracle("IAC_PYTHON").is_none() {
        return;
    }
    let script = workspace_root().join("tests/oracles/test_tf_schema_check.sh");
    let out = run(Command::new("bash").arg(&script));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && text.contains("0 failed"), "{text}{}", String::from_utf8_lossy(&out.stderr));
}

/// The compose and Kubernetes files of every stack with apps, written to a temporary directory.
fn rendered_apps_dir() -> (tempfile::TempDir, Vec<PathBuf>) {
    let dir = tempfile::tempdir().expect("temp dir");
    let paths = write_all(dir.path(), &tests::render_apps());
    (dir, paths)
}

fn compose_check(python: &Path, files: &[&PathBuf]) -> std::process::Output {
    let oracles = workspace_root().join("tests/oracles");
    run(Command::new(python).arg(oracles.join("compose_check.py")).arg(oracles.join("compose-spec.json")).args(files))
}

#[test]
fn compose_files_follow_the_compose_spec() {
    let Some(python) = oracle("IAC_PYTHON") else { return };
    let (dir, paths) = rendered_apps_dir();
    let files: Vec<&PathBuf> = with_suffix(&paths, "compose.yaml").collect();
    assert!(files.len() >= 2, "{files:?}");
    let out = compose_check(&python, &files);
    let text = String::from_utf8_lossy(&out.stdout);
    eprintln!("compose-spec: {}", text.lines().last().unwrap_or(""));
    assert!(out.status.success(), "compose-spec check:\n{text}{}", String::from_utf8_lossy(&out.stderr));

    // The check fails where it should: `no` unquoted is `false` to a YAML 1.1 reader, and an
    // undeclared volume, an unknown dependency and a bare `$` are caught beside the schema.
    let bad = dir.path().join("bad.yaml");
    for (text, expected) in [
        ("name: x\nservices:\n  a:\n    image: a:1\n    restart: no\n", "is not of type 'string'"),
        ("name: x\nservices:\n  a:\n    image: a:1\n    volumes: [\"data:/data\"]\n", "`data` is not declared"),
        (
            "name: x\nservices:\n  a:\n    image: a:1\n    depends_on: {b: {condition: service_started}}\n",
            "unknown service",
        ),
        ("name: x\nservices:\n  a:\n    image: a:1\n    environment: {X: \"a$b\"}\n", "neither `$$`"),
    ] {
        std::fs::write(&bad, text).expect("write");
        let out = compose_check(&python, &[&bad]);
        let found = String::from_utf8_lossy(&out.stdout);
        assert!(!out.status.success() && found.contains(expected), "{text}\n=> {found}");
    }
}

/// The Kubernetes version the manifests are checked against (what EKS, GKE and AKS all run).
const KUBERNETES_VERSION: &str = "1.33.0";

fn kubernetes_validate(tool: &Path, files: &[&PathBuf]) -> std::process::Output {
    run(Command::new(tool).args(["--strict", "--kubernetes-version", KUBERNETES_VERSION]).args(files))
}

#[test]
fn kubernetes_manifests_validate() {
    let Some(tool) = oracle("IAC_KUBERNETES_VALIDATE") else { return };
    let (dir, paths) = rendered_apps_dir();
    let files: Vec<&PathBuf> = paths.iter().filter(|p| p.parent().is_some_and(|d| d.ends_with("k8s"))).collect();
    assert!(files.len() >= 2, "{files:?}");
    let out = kubernetes_validate(&tool, &files);
    let text = String::from_utf8_lossy(&out.stdout);
    let passed = text.lines().filter(|l| l.contains(" passed ")).count();
    eprintln!("kubernetes-validate {KUBERNETES_VERSION} --strict: {} files, {passed} objects passed", files.len());
    assert!(out.status.success(), "kubernetes-validate:\n{text}{}", String::from_utf8_lossy(&out.stderr));
    assert!(passed >= 10, "too few objects checked:\n{text}");

    // Strict mode rejects a field Kubernetes does not have.
    let bad = dir.path().join("bad.yaml");
    std::fs::write(
        &bad,
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: a\nspec:\n  ports:\n    - port: 80\n      targetPorts: 80\n",
    )
    .expect("write");
    let out = kubernetes_validate(&tool, &[&bad]);
    assert!(!out.status.success(), "a misspelt field passed:\n{}", String::from_utf8_lossy(&out.stdout));
}

/// Nested stacks on disk: `scale` prod with 12 copies of Ichnaea (948 resources: split at CloudFormation's
/// own limits, every target) and Aquamark prod forced into parts of 12 resources in YAML (so
/// that references cross every boundary and are wired through outputs and parameters).
fn nested_dir() -> (tempfile::TempDir, Vec<PathBuf>) {
    let dir = temp_dir();
    let registry = stacks::registry();
    let scale =
        registry.build_with("scale", "prod", None, &stacks::BuildOptions { copies: Some(12) }).expect("scale builds");
    let files =
        iac_render::render_target(&scale, iac_render::Target::All, iac_render::Format::Json).expect("renders").files;
    let aquamark = registry.build("aquamark", "prod", None).expect("aquamark builds");
    let limits = iac_render::nested::Limits { resources: 12, ..iac_render::nested::Limits::CLOUDFORMATION };
    let forced = iac_render::files::cloudformation_files(&aquamark, iac_render::Format::Yaml, &limits).expect("splits");
    let rendered = [
        tests::Rendered { stack: "scale".into(), env: "prod-12".into(), files },
        tests::Rendered { stack: "aquamark".into(), env: "prod-forced".into(), files: forced },
    ];
    let paths = write_all(dir.path(), &rendered);
    (dir, paths)
}

#[test]
fn cfn_lint_passes_on_nested_stacks() {
    let Some(cfn_lint) = oracle("IAC_CFN_LINT") else { return };
    let (_dir, paths) = nested_dir();
    let templates: Vec<&PathBuf> =
        with_suffix(&paths, ".template.json").chain(with_suffix(&paths, ".template.yaml")).collect();
    let children = templates.iter().filter(|p| p.parent().is_some_and(|d| !d.ends_with("cloudformation"))).count();
    assert!(children >= 2 + 4, "scale splits in two, Aquamark in four or more: {templates:?}");
    // W3002 says a local TemplateURL needs `aws cloudformation package`: that is the design
    // (see iac_render::nested); E3043 follows those paths and checks the parameters passed.
    let out = run(Command::new(cfn_lint).args(["--format", "json", "--ignore-checks", "W3002", "--"]).args(&templates));
    let findings: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("cfn-lint output is not JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)));
    let findings = findings.as_array().expect("a list");
    eprintln!("cfn-lint: {} templates ({children} nested), {} findings", templates.len(), findings.len());
    assert!(findings.is_empty(), "cfn-lint findings:\n{}", serde_json::to_string_pretty(findings).unwrap());
    assert!(out.status.success(), "cfn-lint exit {:?}: {}", out.status, String::from_utf8_lossy(&out.stderr));
}

#[test]
fn checkov_passes_on_nested_stacks() {
    let (dir, _) = nested_dir();
    checkov(dir.path(), "cloudformation");
}

#[test]
fn terraform_of_a_split_stack_is_one_configuration() {
    let Some(python) = oracle("IAC_PYTHON") else { return };
    let (_dir, paths) = nested_dir();
    let tf: Vec<&PathBuf> = with_suffix(&paths, ".tf").collect();
    assert_eq!(tf.len(), 3, "{tf:?}");
    let count = "import sys, hcl2\nn = 0\nfor p in sys.argv[1:]:\n    with open(p) as f:\n        n += sum(len(b) for r in hcl2.load(f).get('resource', []) for b in r.values())\nprint(n)";
    let out = run(Command::new(&python).arg("-c").arg(count).args(&tf));
    assert!(out.status.success(), "python-hcl2 failed:\n{}", String::from_utf8_lossy(&out.stderr));
    let resources: usize = String::from_utf8_lossy(&out.stdout).trim().parse().expect("a count");
    eprintln!("python-hcl2: {resources} Terraform resources for 12 copies");
    assert!(resources >= 12 * 44, "{resources} resources");
}

/// Viewbovis prod with one Terraform override on its instance (`AppInstance`): a second data
/// disk as an `ebs_block_device`, made by `make`.
fn viewbovis_with_disk(make: impl Fn(Value) -> iac_core::model::Override) -> iac_core::Stack {
    let seed = stacks::registry().build("viewbovis", "prod", None).expect("viewbovis builds");
    let mut b = iac_core::StackBuilder::new(seed.name(), seed.env());
    b.description(seed.description());
    for (k, v) in seed.tags() {
        b.tag(k, v);
    }
    for (id, p) in seed.parameters() {
        b.parameter(id.as_str(), p.clone());
    }
    for entry in seed.resources() {
        let mut entry = entry.clone();
        if entry.id.as_str() == "AppInstance" {
            let disk = serde_json::json!({ "device_name": "/dev/sdg", "volume_size": 50, "volume_type": "gp3", "encrypted": true });
            entry.overrides.push(make(disk));
        }
        b.add_entry(entry);
    }
    b.build().expect("viewbovis rebuilt")
}

/// `stack`'s Terraform written to a temporary directory, and the provider schema check on it.
fn schema_check(python: &Path, stack: &iac_core::Stack) -> (tempfile::TempDir, String, std::process::Output) {
    let oracles = workspace_root().join("tests/oracles");
    let dir = temp_dir();
    let main_tf = iac_render::terraform::render(stack).expect("renders").main_tf;
    let main = dir.path().join("main.tf");
    std::fs::write(&main, &main_tf).expect("write main.tf");
    let out = run(Command::new(python)
        .arg(oracles.join("tf_schema_check.py"))
        .arg(oracles.join("aws_provider_schema.json"))
        .arg(&main));
    (dir, main_tf, out)
}

/// A Terraform override that needs a nested block is written as one: the provider schema check
/// and `terraform fmt` accept it, and the same value as an argument is caught by the check.
#[test]
fn a_block_override_is_a_block_for_the_provider() {
    use iac_core::model::Override;
    let Some(python) = oracle("IAC_PYTHON") else { return };
    let (dir, main_tf, out) =
        schema_check(&python, &viewbovis_with_disk(|v| Override::terraform_block("ebs_block_device", v)));
    assert!(main_tf.contains("\n  ebs_block_device {\n    device_name = \"/dev/sdg\"\n"), "{main_tf}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "the block override:\n{text}{}", String::from_utf8_lossy(&out.stderr));
    eprintln!("block override: {}", text.lines().last().unwrap_or(""));
    if let Some(terraform) = oracle("IAC_TERRAFORM") {
        let out = run(Command::new(terraform)
            .args(["fmt", "-check", "-diff"])
            .arg(dir.path())
            .env("CHECKPOINT_DISABLE", "1")
            .env("TF_CLI_CONFIG_FILE", "/dev/null"));
        assert!(out.status.success(), "terraform fmt:\n{}", String::from_utf8_lossy(&out.stdout));
    }

    let (_dir, main_tf, out) =
        schema_check(&python, &viewbovis_with_disk(|v| Override::terraform("ebs_block_device", v)));
    assert!(main_tf.contains("\n  ebs_block_device = {\n"), "an argument, as asked:\n{main_tf}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success() && text.contains("ebs_block_device"), "the argument form must be caught:\n{text}");
}

/// Graphviz's `dot` draws every stack's dependency graph (`synth --target graph`) as SVG.
#[test]
fn graphviz_draws_every_dependency_graph() {
    let Some(dot) = oracle("IAC_DOT") else { return };
    let registry = stacks::registry();
    let mut drawn = 0;
    for def in registry.stacks() {
        for (env, _) in &def.envs {
            let stack = registry.build(def.name, env, None).expect("builds");
            let text = iac_render::graph::render(&stack).expect("renders");
            let dir = temp_dir();
            let file = dir.path().join("graph.dot");
            std::fs::write(&file, &text).expect("write");
            let out = run(Command::new(&dot).arg("-Tsvg").arg(&file));
            let svg = String::from_utf8_lossy(&out.stdout);
            assert!(
                out.status.success() && out.stderr.is_empty() && svg.contains("<svg"),
                "{}/{env}: dot said:\n{}",
                def.name,
                String::from_utf8_lossy(&out.stderr)
            );
            assert_eq!(svg.matches("class=\"node\"").count(), stack.resources().len(), "{}/{env}", def.name);
            drawn += 1;
        }
    }
    eprintln!("graphviz: {drawn} dependency graphs drawn");
}
