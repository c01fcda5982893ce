//! Targets and the files each one produces. [`render_into`] hands each file to a [`FileSink`]
//! as soon as it is made, written straight into the sink's writer (a template is serialized into
//! its file, never held whole), so memory does not grow with the output; [`render_target`]
//! collects the same files as data. Either way the caller decides where they go.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use iac_core::Stack;
use iac_core::diag::{self, Diagnostic};
use iac_core::validate;
use iac_core::workload::Platform;

use crate::cloudformation::{self, Format};
use crate::error::RenderError;
use crate::userdata::UserData;
use crate::{nested, terraform, userdata};

/// What to render.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// `cloudformation/<stack>.template.json` (or `.yaml`), plus
    /// `cloudformation/<stack>/<Child>.template.json` when it is split into nested stacks.
    CloudFormation,
    /// `terraform/main.tf`, `variables.tf`, `outputs.tf`.
    Terraform,
    /// `userdata/<host>.yaml`, the `#cloud-config` of each launch template, instance or droplet.
    UserData,
    /// `packer/<bake>.pkr.hcl` and `packer/<bake>.sh`, one pair per AMI bake.
    Packer,
    /// All of the above that apply to the stack ([`Target::applies_to`]).
    All,
    /// `compose/<app>/compose.yaml`, one per app.
    Compose,
    /// `k8s/<app>.yaml`, one per app.
    Kubernetes,
    /// `graph/<stack>.dot`, the dependency graph ([`crate::graph`]). Not part of `All`: it is a
    /// picture of the stack, not something to deploy.
    Graph,
}

impl Target {
    /// Every target `All` writes (when it applies), in output order.
    pub const CONCRETE: [Target; 6] = [
        Target::CloudFormation,
        Target::Terraform,
        Target::UserData,
        Target::Packer,
        Target::Compose,
        Target::Kubernetes,
    ];

    /// True when the stack has something this target renders: AWS resources for CloudFormation
    /// and Terraform, hosts with user data, AMI bakes for Packer, apps that target compose or
    /// Kubernetes ([`iac_core::workload::App::platforms`]). `All` always applies.
    pub fn applies_to(self, stack: &Stack) -> bool {
        match self {
            // CloudFormation only describes AWS: a stack with a DigitalOcean resource is left out
            // of `all` and refused by `--target cloudformation`.
            Target::CloudFormation => {
                stack.resources().len() > 0 && !stack.resources().any(|e| e.resource.is_digitalocean())
            }
            Target::Terraform | Target::Graph => stack.resources().len() > 0,
            Target::UserData => userdata::hosts(stack).next().is_some(),
            Target::Packer => !stack.bakes().is_empty(),
            Target::Compose => stack.apps().iter().any(|a| a.targets(Platform::Compose)),
            Target::Kubernetes => stack.apps().iter().any(|a| a.targets(Platform::Kubernetes)),
            Target::All => true,
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Target::CloudFormation => "cloudformation",
            Target::Terraform => "terraform",
            Target::UserData => "userdata",
            Target::Packer => "packer",
            Target::All => "all",
            Target::Compose => "compose",
            Target::Kubernetes => "k8s",
            Target::Graph => "graph",
        })
    }
}

/// One rendered file, its path relative to the output directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputFile {
    /// Relative path, e.g. `terraform/main.tf`.
    pub path: PathBuf,
    /// Contents.
    pub contents: String,
}

/// The files of a target and the validation warnings (errors stop rendering).
#[derive(Debug, Clone)]
pub struct Rendered {
    /// Files in a stable order.
    pub files: Vec<OutputFile>,
    /// Warnings to print.
    pub warnings: Vec<Diagnostic>,
}

/// Writes a file's bytes into the writer it is given.
pub type Contents<'a> = dyn FnMut(&mut dyn io::Write) -> io::Result<()> + 'a;

/// Where rendered files go, one at a time and in a stable order, as they are produced: a
/// directory (the `synth` command writes each file as it comes), or memory
/// (`Vec<OutputFile>`, as [`render_target`] returns them).
pub trait FileSink {
    /// Takes the file at `path` (relative to the output directory): `contents` writes its bytes
    /// into the writer this gives it, once.
    fn file(&mut self, path: &Path, contents: &mut Contents<'_>) -> io::Result<()>;
}

impl FileSink for Vec<OutputFile> {
    fn file(&mut self, path: &Path, contents: &mut Contents<'_>) -> io::Result<()> {
        let mut bytes = Vec::new();
        contents(&mut bytes)?;
        let contents = String::from_utf8(bytes).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        self.push(OutputFile { path: path.to_owned(), contents });
        Ok(())
    }
}

/// Hands `contents` to `sink` as the file `path`.
pub(crate) fn put(sink: &mut dyn FileSink, path: &Path, contents: &mut Contents<'_>) -> Result<(), RenderError> {
    sink.file(path, contents).map_err(|source| RenderError::Output { path: path.to_owned(), source })
}

/// Hands the text `text` to `sink` as the file `path`.
fn put_text(sink: &mut dyn FileSink, path: &Path, text: &str) -> Result<(), RenderError> {
    put(sink, path, &mut |w| w.write_all(text.as_bytes()))
}

/// Validates `stack` and renders `target`: the files, in memory, and the warnings. Fails with
/// every validation error at once; nothing is rendered for an invalid stack.
pub fn render_target(stack: &Stack, target: Target, format: Format) -> Result<Rendered, RenderError> {
    let mut files = Vec::new();
    let warnings = render_into(stack, target, format, &mut files)?;
    Ok(Rendered { files, warnings })
}

/// Validates `stack` and renders `target` into `sink`, each file as it is made; returns the
/// validation warnings. Fails with every validation error at once, before any file reaches
/// the sink. The hosts' user data is rendered once and shared by the targets that use it.
pub fn render_into(
    stack: &Stack,
    target: Target,
    format: Format,
    sink: &mut dyn FileSink,
) -> Result<Vec<Diagnostic>, RenderError> {
    let diagnostics = validate::validate(stack);
    if diag::has_errors(&diagnostics) {
        return Err(iac_core::CoreError::Invalid { stack: stack.name().to_owned(), diagnostics }.into());
    }
    let targets = targets(stack, target)?;
    let needs_user_data =
        targets.iter().any(|t| matches!(t, Target::CloudFormation | Target::Terraform | Target::UserData));
    let user_data = if needs_user_data { UserData::render(stack)? } else { UserData::default() };
    for t in &targets {
        match t {
            Target::CloudFormation => {
                write_cloudformation(stack, format, &nested::Limits::CLOUDFORMATION, &user_data, sink)?;
            }
            Target::Terraform => {
                let tf = terraform::render_parts(stack, &user_data)?;
                put(sink, Path::new("terraform/main.tf"), &mut |w| {
                    tf.main_tf.iter().try_for_each(|piece| w.write_all(piece.as_bytes()))
                })?;
                put_text(sink, Path::new("terraform/variables.tf"), &tf.variables_tf)?;
                put_text(sink, Path::new("terraform/outputs.tf"), &tf.outputs_tf)?;
            }
            Target::UserData => {
                for (entry, _, _) in userdata::hosts(stack) {
                    let text = user_data
                        .text(&entry.id)
                        .ok_or_else(|| UserData::missing(stack, entry.id.as_str(), "UserData"))?;
                    put_text(sink, &PathBuf::from(format!("userdata/{}.yaml", entry.id.kebab_case())), &text)?;
                }
            }
            Target::Packer => put_files(sink, &crate::packer::render(stack)?)?,
            Target::Compose => put_files(sink, &crate::compose::render(stack)?)?,
            Target::Kubernetes => put_files(sink, &crate::kubernetes::render(stack)?)?,
            Target::Graph => put_text(sink, &crate::graph::path(stack), &crate::graph::render(stack)?)?,
            Target::All => unreachable!("expanded by `targets`"),
        }
    }
    Ok(diagnostics)
}

fn put_files(sink: &mut dyn FileSink, files: &[OutputFile]) -> Result<(), RenderError> {
    files.iter().try_for_each(|f| put_text(sink, &f.path, &f.contents))
}

/// The concrete targets `target` stands for on `stack`, or why it cannot be rendered.
fn targets(stack: &Stack, target: Target) -> Result<Vec<Target>, RenderError> {
    if target == Target::All {
        Ok(Target::CONCRETE.into_iter().filter(|t| t.applies_to(stack)).collect())
    } else if target.applies_to(stack) {
        Ok(vec![target])
    } else if let Some(other) = stack.resources().find(|e| e.resource.is_digitalocean())
        && target == Target::CloudFormation
    {
        Err(RenderError::Unsupported {
            stack: stack.name().to_owned(),
            resource: other.id.to_string(),
            property: "Type".into(),
            message: format!(
                "the `{target}` target cannot render this stack (environment `{}`): it has resources outside AWS; \
                 use `--target terraform` or `--target all`",
                stack.env()
            ),
        })
    } else {
        Err(RenderError::TargetNotApplicable {
            stack: stack.name().to_owned(),
            target: target.to_string(),
            applicable: Target::CONCRETE.iter().filter(|t| t.applies_to(stack)).map(ToString::to_string).collect(),
        })
    }
}

/// `cloudformation/<stack>.template.<ext>`, and when the template is over `limits`, its nested
/// stacks as `cloudformation/<stack>/<Child>.template.<ext>` (the parent refers to them by these
/// relative paths; see [`crate::nested`]). [`render_target`] uses CloudFormation's own limits;
/// smaller ones force a split (tests, or a team that wants smaller stacks). Does not validate.
pub fn cloudformation_files(
    stack: &Stack,
    format: Format,
    limits: &nested::Limits,
) -> Result<Vec<OutputFile>, RenderError> {
    let mut files = Vec::new();
    write_cloudformation(stack, format, limits, &UserData::render(stack)?, &mut files)?;
    Ok(files)
}

/// [`cloudformation_files`] into `sink`, with the stack's user data already rendered: each
/// template is serialized once, straight into its file.
pub fn write_cloudformation(
    stack: &Stack,
    format: Format,
    limits: &nested::Limits,
    user_data: &UserData,
    sink: &mut dyn FileSink,
) -> Result<(), RenderError> {
    let pieces = cloudformation::pieces(stack, user_data);
    nested::write(stack.name(), pieces, format, limits, Path::new("cloudformation"), sink)
}
