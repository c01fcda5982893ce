//! Shared helpers of the cross-crate tests: every registered stack and environment rendered to
//! a directory, and the external oracles (cfn-lint, checkov, python-hcl2, shellcheck) found
//! through `tools.env`, which `scripts/install-tools.sh` writes.

#![allow(clippy::print_stderr)] // test and example output goes to stderr on purpose

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use iac_render::{Format, OutputFile, Target};

/// One rendered stack environment.
pub struct Rendered {
    /// Stack name.
    pub stack: String,
    /// Environment.
    pub env: String,
    /// Its files (paths relative to the stack-env directory).
    pub files: Vec<OutputFile>,
}

/// Renders every stack of the seed registry, every environment, every target (CloudFormation
/// in JSON and YAML).
pub fn render_all() -> Vec<Rendered> {
    let registry = stacks::registry();
    let mut out = Vec::new();
    for def in registry.stacks() {
        for (env, _) in &def.envs {
            let stack = registry.build(def.name, env, None).unwrap_or_else(|e| panic!("{}/{env}: {e}", def.name));
            let mut files = iac_render::render_target(&stack, Target::All, Format::Json)
                .unwrap_or_else(|e| panic!("{}/{env}: {e}", def.name))
                .files;
            files.extend(
                iac_render::render_target(&stack, Target::CloudFormation, Format::Yaml)
                    .unwrap_or_else(|e| panic!("{}/{env}: {e}", def.name))
                    .files,
            );
            out.push(Rendered { stack: def.name.to_owned(), env: (*env).to_owned(), files });
        }
    }
    out
}

/// Writes everything under `dir/<stack>/<env>/`.
pub fn write_all(dir: &Path, rendered: &[Rendered]) -> Vec<PathBuf> {
    let mut paths = Vec::new();
    for r in rendered {
        let base = dir.join(&r.stack).join(&r.env);
        stacks::synth::write_all(&base, &r.files).expect("write rendered files");
        paths.extend(r.files.iter().map(|f| base.join(&f.path)));
    }
    paths
}

/// The files under `paths` whose name ends with `suffix`.
pub fn with_suffix<'a>(paths: &'a [PathBuf], suffix: &'a str) -> impl Iterator<Item = &'a PathBuf> + 'a {
    paths.iter().filter(move |p| p.to_string_lossy().ends_with(suffix))
}

fn tools_env() -> Vec<(String, String)> {
    let dir = std::env::var_os("IAC_CACHE_DIR").map_or_else(
        || {
            let home = std::env::var_os("XDG_CACHE_HOME").map_or_else(
                || PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache"),
                PathBuf::from,
            );
            home.join("iac-rs")
        },
        PathBuf::from,
    );
    std::fs::read_to_string(dir.join("tools.env"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect()
}

/// The path of an oracle tool (`IAC_CFN_LINT`, `IAC_CHECKOV`, `IAC_PYTHON`, `IAC_SHELLCHECK`),
/// from the environment or `tools.env`. When it is missing: a failure when `CI=true`, otherwise
/// a printed skip (`None`).
pub fn oracle(var: &str) -> Option<PathBuf> {
    let path = std::env::var(var)
        .ok()
        .filter(|v| !v.is_empty())
        .or_else(|| tools_env().into_iter().find(|(k, _)| k == var).map(|(_, v)| v))
        .map(PathBuf::from)
        .filter(|p| p.exists());
    if path.is_none() {
        let msg = format!("oracle {var} is not installed: run scripts/install-tools.sh (scripts/test.sh does)");
        assert!(std::env::var("CI").as_deref() != Ok("true"), "{msg}; CI=true makes a missing oracle a failure");
        eprintln!("SKIPPED: {msg}");
    }
    path
}

/// Runs a command and returns its output, panicking with its stderr if it cannot start.
pub fn run(cmd: &mut Command) -> Output {
    cmd.output().unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"))
}

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ is in the workspace").to_owned()
}
