//! Shared helpers of the cross-crate tests: every registered stack and environment rendered to
//! a directory, the files their cloud-init user data writes, and the external oracles (cfn-lint,
//! checkov, python-hcl2, shellcheck, nginx, cloud-init, systemd-analyze, terraform, Graphviz)
//! found through `tools.env`, which `scripts/install-tools.sh` writes.

#![allow(clippy::print_stderr)] // test and example output goes to stderr on purpose

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use iac_render::{Format, OutputFile, Target};

pub mod apps;
pub mod boot;

/// One rendered stack environment.
pub struct Rendered {
    /// Stack name.
    pub stack: String,
    /// Environment.
    pub env: String,
    /// Its files (paths relative to the stack-env directory).
    pub files: Vec<OutputFile>,
}

/// Renders every stack of the seed registry, every environment, every target that applies to it
/// (CloudFormation in JSON and YAML, where the stack is all AWS).
pub fn render_all() -> Vec<Rendered> {
    let registry = stacks::registry();
    let mut out = Vec::new();
    for def in registry.stacks() {
        for (env, _) in &def.envs {
            let stack = registry.build(def.name, env, None).unwrap_or_else(|e| panic!("{}/{env}: {e}", def.name));
            let mut files = iac_render::render_target(&stack, Target::All, Format::Json)
                .unwrap_or_else(|e| panic!("{}/{env}: {e}", def.name))
                .files;
            if Target::CloudFormation.applies_to(&stack) {
                files.extend(
                    iac_render::render_target(&stack, Target::CloudFormation, Format::Yaml)
                        .unwrap_or_else(|e| panic!("{}/{env}: {e}", def.name))
                        .files,
                );
            }
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

/// The path of an oracle tool (`IAC_CFN_LINT`, `IAC_CHECKOV`, `IAC_PYTHON`, `IAC_SHELLCHECK`,
/// `IAC_KUBERNETES_VALIDATE`, `IAC_TERRAFORM`, `IAC_DOT`),
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

/// One file a rendered `#cloud-config` writes (`write_files`), and the user data it is in.
pub struct WrittenFile {
    /// The user data file, e.g. `.../userdata/app-instance.yaml`.
    pub user_data: PathBuf,
    /// The path on the host.
    pub path: String,
    /// The content.
    pub content: String,
}

/// Every `write_files` entry of the rendered user data among `paths` (`userdata/*.yaml`),
/// parsed as YAML: what the oracles check is exactly what cloud-init would write.
pub fn written_files(paths: &[PathBuf]) -> Vec<WrittenFile> {
    let mut out = Vec::new();
    for p in paths
        .iter()
        .filter(|p| p.to_string_lossy().contains("/userdata/") && p.extension().is_some_and(|e| e == "yaml"))
    {
        let text = std::fs::read_to_string(p).expect("user data readable");
        let doc: serde_yaml_ng::Value =
            serde_yaml_ng::from_str(&text).unwrap_or_else(|e| panic!("{}: not YAML: {e}", p.display()));
        for f in doc["write_files"].as_sequence().into_iter().flatten() {
            let path = f["path"].as_str().expect("a path").to_owned();
            let content = match f["encoding"].as_str() {
                None => f["content"].as_str().unwrap_or("").to_owned(),
                Some(other) => panic!("{}: {path} is {other}-encoded; the oracles read plain text", p.display()),
            };
            out.push(WrittenFile { user_data: p.clone(), path, content });
        }
    }
    out
}

/// Runs a command and returns its output, panicking with its stderr if it cannot start.
pub fn run(cmd: &mut Command) -> Output {
    cmd.output().unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"))
}

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ is in the workspace").to_owned()
}

/// A local moto server on 127.0.0.1 and a free port, killed when dropped.
pub struct MotoServer {
    child: std::process::Child,
    /// The port.
    pub port: u16,
}

impl MotoServer {
    /// Starts moto (managed IAM policies loaded, ACM certificates valid at once), or `None`
    /// (skip) when it is not installed and `CI` is not `true`.
    pub fn start() -> Option<Self> {
        let server = oracle("IAC_MOTO_SERVER")?;
        // A port found free can be taken by a parallel test before moto binds it; then this
        // child exits (address in use) while the port answers: check the child, and retry.
        for _ in 0..10 {
            let port =
                std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port();
            let mut child = Command::new(&server)
                .args(["-H", "127.0.0.1", "-p", &port.to_string()])
                .env("MOTO_ALLOW_NONEXISTENT_REGION", "false")
                .env("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
                .env("MOTO_ACM_VALIDATION_WAIT", "0")
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .expect("moto_server starts");
            let start = std::time::Instant::now();
            let mut exited = false;
            while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
                if child.try_wait().ok().flatten().is_some() {
                    exited = true;
                    break;
                }
                assert!(
                    start.elapsed() < std::time::Duration::from_secs(30),
                    "moto_server did not listen on {port} in 30 s"
                );
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
            std::thread::sleep(std::time::Duration::from_millis(200));
            if exited || child.try_wait().ok().flatten().is_some() {
                continue;
            }
            return Some(Self { child, port });
        }
        panic!("moto_server could not get a port in 10 attempts");
    }

    /// `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// A raw HTTP/1.1 POST to moto; returns the whole response.
    pub fn post(&self, path: &str, headers: &str, body: &str) -> String {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(("127.0.0.1", self.port)).expect("moto answers");
        let req = format!(
            "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        s.write_all(req.as_bytes()).expect("request written");
        let mut resp = String::new();
        let _ = s.read_to_string(&mut resp);
        resp
    }

    /// `POST /moto-api/<path>`; panics unless moto answers 200.
    pub fn api(&self, path: &str, body: &str) {
        let resp = self.post(&format!("/moto-api/{path}"), "Content-Type: text/plain\r\n", body);
        assert!(resp.starts_with("HTTP/1.1 200") || resp.starts_with("HTTP/1.0 200"), "moto-api/{path}: {resp}");
    }

    /// Clears every service, then seeds ids so runs are repeatable.
    pub fn reset(&self) {
        self.api("reset", "");
        self.api("seed?a=42", "");
    }
}

impl Drop for MotoServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The compose and Kubernetes files of every stack with apps: the registry's (every environment)
/// and the test stacks of [`apps`].
pub fn render_apps() -> Vec<Rendered> {
    let registry = stacks::registry();
    let mut stacks = Vec::new();
    for def in registry.stacks() {
        for (env, _) in &def.envs {
            stacks.push(registry.build(def.name, env, None).unwrap_or_else(|e| panic!("{}/{env}: {e}", def.name)));
        }
    }
    stacks.extend(apps::stacks());
    let mut out = Vec::new();
    for stack in stacks.iter().filter(|s| !s.apps().is_empty()) {
        let mut files = Vec::new();
        for target in [Target::Compose, Target::Kubernetes].into_iter().filter(|t| t.applies_to(stack)) {
            files.extend(
                iac_render::render_target(stack, target, Format::Json)
                    .unwrap_or_else(|e| panic!("{}/{} {target}: {e}", stack.name(), stack.env()))
                    .files,
            );
        }
        out.push(Rendered { stack: stack.name().to_owned(), env: stack.env().to_owned(), files });
    }
    out
}
