//! The `synth` command: render a registered stack for one environment to files.
//!
//! The stack is validated first; a stack with problems writes nothing and every problem is
//! printed. Each file is then written as soon as it is rendered (a template is serialized
//! straight into its file, so memory does not grow with the output), next to its final path;
//! all are renamed into place only when every one is written, so an interrupted or failed run
//! leaves the previous output as it was.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, ValueEnum};
use iac_render::files::Contents;
use iac_render::{FileSink, Format, OutputFile, Target};

use crate::Registry;
use crate::config::ConfigSource;
use crate::error::StackError;

/// Render a stack to CloudFormation, Terraform, cloud-init user data, Packer, compose and
/// Kubernetes, or draw its dependency graph.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "synth",
    version,
    about = "Render an infrastructure stack to CloudFormation, Terraform, cloud-init user data, Packer, compose and Kubernetes, or draw its dependency graph",
    after_help = "Examples:\n  synth --list\n  synth aquamark --env prod --target cloudformation            # template on stdout\n  synth aquamark --env prod --target all --out out/             # out/cloudformation, out/terraform, out/userdata\n  synth aquamark --env dev --target cloudformation --format yaml --out out/\n  synth aquamark --env prod --config my-prod.toml --target terraform --out tf/\n  synth aquamark --env prod --target packer --out bake/             # packer build -var version=1.0.1 bake/packer/aq-web.pkr.hcl\n  synth <stack> --env <env> --target k8s --out out/                 # out/k8s/<app>.yaml for each app of a stack with apps\n  synth aquamark --env prod --target graph --out out/           # out/graph/aquamark.dot, and .svg when Graphviz is installed\n  synth aquamark --env prod --target graph | dot -Tpng > graph.png\n\nA stack that fails validation writes nothing; every problem is printed with its\nstack/resource/property path and a hint. Exit codes: 0 success, 1 error, 2 bad usage."
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
    /// Every target that applies to the stack (all but `graph`).
    All,
    /// `compose/<app>/compose.yaml`, one compose project per app.
    Compose,
    /// `k8s/<app>.yaml`, Kubernetes manifests, one file per app.
    K8s,
    /// `graph/<stack>.dot`, the dependency graph: resources grouped by the pattern that added
    /// them, edges labelled with the attribute referred to; with --out also `graph/<stack>.svg`
    /// when Graphviz's `dot` is on PATH. Not part of `all`.
    Graph,
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
            TargetArg::Graph => Target::Graph,
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
    if let Some(dir) = &args.out {
        let mut sink = DirSink::new(dir);
        let warnings = iac_render::render_into(&stack, args.target.into(), format, &mut sink)?;
        if args.target == TargetArg::Graph {
            write_svg(&stack, &mut sink, stderr)?;
        }
        let written = sink.commit()?;
        for w in &warnings {
            writeln!(stderr, "{w}").map_err(io)?;
        }
        let bytes: u64 = written.iter().map(|(_, n)| n).sum();
        writeln!(
            stderr,
            "synth: {} ({}): {} resources, {} files, {} bytes in {}",
            stack.name(),
            stack.env(),
            stack.resources().len(),
            written.len(),
            bytes,
            dir.display()
        )
        .map_err(io)?;
        for (path, _) in &written {
            writeln!(stderr, "  {}", path.display()).map_err(io)?;
        }
        return Ok(());
    }
    let rendered = iac_render::render_target(&stack, args.target.into(), format)?;
    for w in &rendered.warnings {
        writeln!(stderr, "{w}").map_err(io)?;
    }
    match args.target {
        TargetArg::Terraform => {
            // One HCL document: Terraform reads the three files as if they were one.
            for f in &rendered.files {
                writeln!(stdout, "# ---- {} ----", f.path.display()).map_err(io)?;
                stdout.write_all(f.contents.as_bytes()).map_err(io)?;
            }
        }
        // A split CloudFormation template (nested stacks) is several files.
        TargetArg::Cloudformation | TargetArg::Userdata | TargetArg::Compose | TargetArg::K8s | TargetArg::Graph
            if rendered.files.len() == 1 =>
        {
            stdout.write_all(rendered.files[0].contents.as_bytes()).map_err(io)?;
        }
        TargetArg::Cloudformation
        | TargetArg::Userdata
        | TargetArg::Packer
        | TargetArg::All
        | TargetArg::Compose
        | TargetArg::K8s
        | TargetArg::Graph => {
            return Err(StackError::Io {
                action: "this target writes several files; give an output directory with --out, e.g. --out",
                path: PathBuf::from("out"),
                source: std::io::Error::other(format!("{} files", rendered.files.len())),
            });
        }
    }
    Ok(())
}

/// Adds `graph/<stack>.svg`, drawn by Graphviz's `dot` from the graph, when `dot` is on PATH;
/// says so on `stderr` when it is not.
fn write_svg(stack: &iac_core::Stack, sink: &mut DirSink, stderr: &mut dyn Write) -> Result<(), StackError> {
    let dot = iac_render::graph::render(stack)?;
    let path = iac_render::graph::path(stack).with_extension("svg");
    let svg = match run_dot(&dot) {
        Ok(svg) => svg,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            writeln!(
                stderr,
                "synth: Graphviz's `dot` is not on PATH: wrote the DOT file only (install graphviz for the SVG)"
            )
            .map_err(|source| StackError::Io {
                action: "cannot write to the terminal",
                path: PathBuf::from("-"),
                source,
            })?;
            return Ok(());
        }
        Err(source) => return Err(StackError::Io { action: "Graphviz's `dot -Tsvg` failed to draw", path, source }),
    };
    sink.file(&path, &mut |w| w.write_all(&svg)).map_err(|source| StackError::Io {
        action: "cannot write",
        path: path.clone(),
        source,
    })
}

/// `dot -Tsvg` on `text`: the SVG, or why not (`NotFound` when `dot` is not installed).
fn run_dot(text: &str) -> io::Result<Vec<u8>> {
    use std::process::{Command, Stdio};
    let mut child =
        Command::new("dot").arg("-Tsvg").stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn()?;
    let mut stdin = child.stdin.take().ok_or_else(|| io::Error::other("no stdin for dot"))?;
    let input = text.to_owned();
    let feeder = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output()?;
    feeder.join().map_err(|_| io::Error::other("writing to dot panicked"))??;
    if out.status.success() {
        Ok(out.stdout)
    } else {
        Err(io::Error::other(format!("{}: {}", out.status, String::from_utf8_lossy(&out.stderr).trim())))
    }
}

/// Writes every file as `<path>.iac-tmp`, then renames them all into place. On any failure the
/// temporary files are removed and the previous output stays as it was.
pub fn write_all(dir: &Path, files: &[OutputFile]) -> Result<(), StackError> {
    let mut sink = DirSink::new(dir);
    for f in files {
        sink.file(&f.path, &mut |w| w.write_all(f.contents.as_bytes())).map_err(|source| StackError::Io {
            action: "cannot write",
            path: dir.join(&f.path),
            source,
        })?;
    }
    sink.commit().map(drop)
}

/// A [`FileSink`] that writes each file under a directory as it comes, as `<path>.iac-tmp`
/// through a buffer; [`DirSink::commit`] renames them all into place. Dropped without a commit
/// (a render or write failed), it removes what it wrote, so the previous output stays whole.
#[derive(Debug)]
pub struct DirSink {
    dir: PathBuf,
    /// Each file written: where it is now, where it goes, its size.
    written: Vec<(PathBuf, PathBuf, u64)>,
}

impl DirSink {
    /// A sink writing under `dir` (created as needed).
    pub fn new(dir: &Path) -> Self {
        Self { dir: dir.to_owned(), written: Vec::new() }
    }

    /// Moves every file into place; returns their paths and sizes in the order written.
    pub fn commit(mut self) -> Result<Vec<(PathBuf, u64)>, StackError> {
        let mut out = Vec::with_capacity(self.written.len());
        for (tmp, path, bytes) in std::mem::take(&mut self.written) {
            if let Err(source) = std::fs::rename(&tmp, &path) {
                let _ = std::fs::remove_file(&tmp);
                return Err(StackError::Io { action: "cannot move into place", path, source });
            }
            out.push((path, bytes));
        }
        Ok(out)
    }
}

impl FileSink for DirSink {
    fn file(&mut self, path: &Path, contents: &mut Contents<'_>) -> io::Result<()> {
        let context =
            |what: &str, p: &Path, e: io::Error| io::Error::new(e.kind(), format!("{what} {}: {e}", p.display()));
        let path = self.dir.join(path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| context("cannot create directory", parent, e))?;
        }
        let mut tmp = path.clone().into_os_string();
        tmp.push(".iac-tmp");
        let tmp = PathBuf::from(tmp);
        let file = File::create(&tmp).map_err(|e| context("cannot write", &tmp, e))?;
        self.written.push((tmp.clone(), path, 0));
        let mut out = Counted { inner: BufWriter::with_capacity(1 << 16, file), bytes: 0 };
        contents(&mut out).and_then(|()| out.flush()).map_err(|e| context("cannot write", &tmp, e))?;
        if let Some(last) = self.written.last_mut() {
            last.2 = out.bytes;
        }
        Ok(())
    }
}

impl Drop for DirSink {
    fn drop(&mut self) {
        for (tmp, _, _) in &self.written {
            let _ = std::fs::remove_file(tmp);
        }
    }
}

/// A writer that counts what passes through it.
struct Counted<W> {
    inner: W,
    bytes: u64,
}

impl<W: Write> Write for Counted<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.inner.write_all(buf)?;
        self.bytes += buf.len() as u64;
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
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
