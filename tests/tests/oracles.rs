//! External oracles on everything rendered: cfn-lint and checkov on CloudFormation (JSON and
//! YAML), python-hcl2, the AWS provider argument check and checkov on Terraform, shellcheck on
//! user data; the compose-spec schema (and references it cannot express) on compose files and
//! kubernetes-validate (strict) on Kubernetes manifests. Each test renders every stack and
//! environment into a temporary directory.

#![allow(clippy::print_stderr)] // test and example output goes to stderr on purpose

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use tests::{oracle, render_all, run, with_suffix, workspace_root, write_all};

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

#[test]
fn shellcheck_passes_on_user_data() {
    let Some(shellcheck) = oracle("IAC_SHELLCHECK") else { return };
    let (_dir, paths) = rendered_dir();
    let scripts: Vec<&PathBuf> = with_suffix(&paths, ".sh").collect();
    assert!(!scripts.is_empty());
    let out = run(Command::new(shellcheck).args(["--shell=bash", "--severity=style"]).args(&scripts));
    eprintln!("shellcheck: {} scripts", scripts.len());
    assert!(out.status.success(), "shellcheck:\n{}", String::from_utf8_lossy(&out.stdout));
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

/// Nested stacks on disk: `scale` prod with 12 copies of Ichnaea (864 resources: split at CloudFormation's
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
