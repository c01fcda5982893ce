//! External oracles on everything rendered: cfn-lint and checkov on CloudFormation (JSON and
//! YAML), python-hcl2, the AWS provider argument check and checkov on Terraform, shellcheck on
//! user data. Each test renders every stack and environment into a temporary directory.

#![allow(clippy::print_stderr)] // test and example output goes to stderr on purpose

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use tests::{oracle, render_all, run, with_suffix, workspace_root, write_all};

fn rendered_dir() -> (tempfile::TempDir, Vec<PathBuf>) {
    let dir = tempfile::tempdir().expect("temp dir");
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
