//! The `synth` command: render a registered stack for one environment to files.
//!
//! Everything is rendered in memory and validated first; a stack with problems writes nothing
//! and every problem is printed. Files are written next to their final path and renamed into
//! place only when all of them are written, so an interrupted run leaves the previous output.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, ValueEnum};
use iac_render::{Format, OutputFile, Target};

use crate::Registry;
use crate::config::ConfigSource;
use crate::error::StackError;

/// Render a stack to CloudFormation, Terraform, cloud-init user data, Packer, compose and Kubernetes.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "synth",
    version,
    about = "Render an infrastructure stack to CloudFormation, Terraform, cloud-init user data, Packer, compose and Kubernetes",
    after_help = "Examples:\n  synth --list\n  synth aquamark --env prod --target cloudformation            # template on stdout\n  synth aquamark --env prod --target all --out out/             # out/cloudformation, out/terraform, out/userdata\n  synth aquamark --env dev --target cloudformation --format yaml --out out/\n  synth aquamark --env prod --config my-prod.toml --target terraform --out tf/\n  synth aquamark --env prod --target packer --out bake/             # packer build -var version=1.0.1 bake/packer/aq-web.pkr.hcl\n  synth <stack> --env <env> --target k8s --out out/                 # out/k8s/<app>.yaml for each app of a stack with apps\n\nA stack that fails validation writes nothing; every problem is printed with its\nstack/resource/property path and a hint. Exit codes: 0 success, 1 error, 2 bad usage."
)]
pub struct SynthArgs {
    /// The stack to render (see --list).
    #[arg(required_unless_present = "list")]
    pub stack: Option<String>,
    /// The environment (see --list).
    #[arg(long, short, required_unless_present = "list")]
    pub env: Option<String>,
    /// What to render.
    #[arg(long, short, value_enum, default_value_t = TargetArg::All)]
    pub target: TargetArg,
    /// CloudFormation format.
    #[arg(long, short, value_enum, default_value_t = FormatArg::Json)]
    pub format: FormatArg,
    /// Output directory; without it a single-file target prints to stdout.
    #[arg(long, short)]
    pub out: Option<PathBuf>,
    /// Use this config file instead of the stack's built-in one for --env.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Copies of the environment in one stack, for stacks that take it (`scale`).
    #[arg(long, value_name = "N")]
    pub copies: Option<u32>,
    /// List the stacks and their environments.
    #[arg(long)]
    pub list: bool,
}

/// `--target`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TargetArg {
    /// `cloudformation/<stack>.template.json|yaml`.
    Cloudformation,
    /// `terraform/{main,variables,outputs}.tf`.
    Terraform,
    /// `userdata/<host>.yaml` (the `#cloud-config` of each host).
    Userdata,
    /// `packer/<bake>.pkr.hcl` and its bake script.
    Packer,
    /// Every target that applies to the stack.
    All,
    /// `compose/<app>/compose.yaml`, one compose project per app.
    Compose,
    /// `k8s/<app>.yaml`, Kubernetes manifests, one file per app.
    K8s,
}

/// `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// JSON.
    Json,
    /// YAML.
    Yaml,
}

impl From<TargetArg> for Target {
    fn from(t: TargetArg) -> Self {
        match t {
            TargetArg::Cloudformation => Target::CloudFormation,
            TargetArg::Terraform => Target::Terraform,
            TargetArg::Userdata => Target::UserData,
            TargetArg::Packer => Target::Packer,
            TargetArg::All => Target::All,
            TargetArg::Compose => Target::Compose,
            TargetArg::K8s => Target::Kubernetes,
        }
    }
}

/// Runs the command, writing results to `stdout` and warnings and progress to `stderr`.
pub fn run(
    registry: &Registry,
    args: &SynthArgs,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Result<(), StackError> {
    let io = |e| StackError::Io { action: "cannot write to the terminal", path: PathBuf::from("-"), source: e };
    if args.list {
        for def in registry.stacks() {
            let envs: Vec<&str> = def.envs.iter().map(|(e, _)| *e).collect();
            writeln!(stdout, "{:<12} envs: {:<16} {}", def.name, envs.join(", "), def.description).map_err(io)?;
        }
        return Ok(());
    }
    let (Some(name), Some(env)) = (&args.stack, &args.env) else {
        unreachable!("clap requires stack and env without --list")
    };
    let config = args.config.as_deref().map(ConfigSource::read).transpose()?;
    let options = crate::BuildOptions { copies: args.copies };
    let stack = registry.build_with(name, env, config.as_ref(), &options)?;
    let format = match args.format {
        FormatArg::Json => Format::Json,
        FormatArg::Yaml => Format::Yaml,
    };
    let rendered = iac_render::render_target(&stack, args.target.into(), format)?;
    for w in &rendered.warnings {
        writeln!(stderr, "{w}").map_err(io)?;
    }
    match &args.out {
        Some(dir) => {
            write_all(dir, &rendered.files)?;
            let bytes: usize = rendered.files.iter().map(|f| f.contents.len()).sum();
            writeln!(
                stderr,
                "synth: {} ({}): {} resources, {} files, {} bytes in {}",
                stack.name(),
                stack.env(),
                stack.resources().len(),
                rendered.files.len(),
                bytes,
                dir.display()
            )
            .map_err(io)?;
            for f in &rendered.files {
                writeln!(stderr, "  {}", dir.join(&f.path).display()).map_err(io)?;
            }
        }
        None => match args.target {
            TargetArg::Terraform => {
                // One HCL document: Terraform reads the three files as if they were one.
                for f in &rendered.files {
                    writeln!(stdout, "# ---- {} ----", f.path.display()).map_err(io)?;
                    stdout.write_all(f.contents.as_bytes()).map_err(io)?;
                }
            }
            // A split CloudFormation template (nested stacks) is several files.
            TargetArg::Cloudformation | TargetArg::Userdata | TargetArg::Compose | TargetArg::K8s
                if rendered.files.len() == 1 =>
            {
                stdout.write_all(rendered.files[0].contents.as_bytes()).map_err(io)?;
            }
            TargetArg::Cloudformation
            | TargetArg::Userdata
            | TargetArg::Packer
            | TargetArg::All
            | TargetArg::Compose
            | TargetArg::K8s => {
                return Err(StackError::Io {
                    action: "this target writes several files; give an output directory with --out, e.g. --out",
                    path: PathBuf::from("out"),
                    source: std::io::Error::other(format!("{} files", rendered.files.len())),
                });
            }
        },
    }
    Ok(())
}

/// Writes every file as `<path>.iac-tmp`, then renames them all into place. On any failure the
/// temporary files are removed and the previous output stays as it was.
pub fn write_all(dir: &Path, files: &[OutputFile]) -> Result<(), StackError> {
    let mut written: Vec<(PathBuf, PathBuf)> = Vec::new();
    let result = (|| {
        for f in files {
            let path = dir.join(&f.path);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(|source| StackError::Io {
                    action: "cannot create directory",
                    path: parent.to_owned(),
                    source,
                })?;
            }
            let mut tmp = path.clone().into_os_string();
            tmp.push(".iac-tmp");
            let tmp = PathBuf::from(tmp);
            std::fs::write(&tmp, &f.contents).map_err(|source| StackError::Io {
                action: "cannot write",
                path: tmp.clone(),
                source,
            })?;
            written.push((tmp, path));
        }
        Ok(())
    })();
    if let Err(e) = result {
        for (tmp, _) in &written {
            let _ = std::fs::remove_file(tmp);
        }
        return Err(e);
    }
    for (tmp, path) in &written {
        std::fs::rename(tmp, path).map_err(|source| StackError::Io {
            action: "cannot move into place",
            path: path.clone(),
            source,
        })?;
    }
    Ok(())
}

/// The whole command for a binary: run, print the error chain once, map to an exit code.
pub fn main(registry: &Registry, args: &SynthArgs) -> ExitCode {
    let mut stdout = std::io::stdout().lock();
    let mut stderr = std::io::stderr().lock();
    match run(registry, args, &mut stdout, &mut stderr) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let _ = writeln!(stderr, "error: {}", error_chain(&e));
            ExitCode::FAILURE
        }
    }
}

/// `error: cause: cause: ...`, each message once. The chain stops at an SDK call's failure,
/// whose message already says the service's code and message (below it are the SDK's own
/// layers: `service error`, `unhandled error (Code)`, the raw error metadata).
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let msg = s.to_string();
        if !out.contains(&msg) {
            out.push_str(": ");
            out.push_str(&msg);
        }
        #[cfg(feature = "aws")]
        if s.is::<iac_aws::SdkFailure>() {
            break;
        }
        source = s.source();
    }
    out
}
