//! `synth --target compose|k8s`: on a stack with apps (a registry of the test stacks, as a user's
//! own crate would build one) and on Aquamark, which has none.

use std::process::Command;

use clap::Parser;
use stacks::synth::{SynthArgs, run};
use stacks::{ConfigSource, Registry, StackDef, StackError};

#[allow(clippy::unnecessary_wraps)] // the signature of stacks::BuildFn
fn ichnaea(_env: &str, _config: &ConfigSource) -> Result<iac_core::Stack, StackError> {
    Ok(tests::apps::ichnaea_local())
}

fn registry() -> Registry {
    Registry::new().with(StackDef {
        name: "ichnaea",
        description: "Ichnaea local development",
        envs: vec![("local", ConfigSource { file: "none".into(), text: String::new() })],
        build: ichnaea,
    })
}

fn synth(args: &[&str]) -> (Result<(), StackError>, String, String) {
    let args =
        SynthArgs::try_parse_from(std::iter::once("synth").chain(args.iter().copied())).expect("arguments parse");
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let result = run(&registry(), &args, &mut out, &mut err);
    (result, String::from_utf8(out).unwrap(), String::from_utf8(err).unwrap())
}

#[test]
fn one_app_prints_to_stdout() {
    let (result, out, err) = synth(&["ichnaea", "--env", "local", "--target", "compose"]);
    result.expect("renders");
    assert!(out.starts_with("# Compose file of app `ichnaea`") && out.contains("\nservices:\n  web:\n"), "{out}{err}");
    let (result, out, _) = synth(&["ichnaea", "--env", "local", "--target", "k8s"]);
    result.expect("renders");
    assert!(out.contains("kind: Deployment") && out.contains("kind: CronJob"), "{out}");
}

#[test]
fn all_writes_only_the_targets_that_apply() {
    let dir = tempfile::tempdir().unwrap();
    let (result, _, err) = synth(&["ichnaea", "--env", "local", "--out", dir.path().to_str().unwrap()]);
    result.expect("renders");
    assert!(err.contains("2 files"), "{err}");
    assert!(dir.path().join("compose/ichnaea/compose.yaml").is_file());
    assert!(dir.path().join("k8s/ichnaea.yaml").is_file());
    assert!(!dir.path().join("cloudformation").exists(), "an app-only stack has no template");
}

#[test]
fn a_target_without_anything_to_render_is_an_error() {
    let (result, _, _) = synth(&["ichnaea", "--env", "local", "--target", "terraform"]);
    let err = result.expect_err("no AWS resources");
    assert_eq!(err.to_string(), "stack `ichnaea` has nothing to render as terraform; its targets are: compose, k8s");

    let out = Command::new(env!("CARGO_BIN_EXE_synth"))
        .args(["aquamark", "--env", "prod", "--target", "k8s"])
        .output()
        .expect("synth runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains(
            "stack `aquamark` has nothing to render as k8s; its targets are: cloudformation, terraform, userdata, packer"
        ),
        "{stderr}"
    );
}
