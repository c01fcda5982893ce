//! Targets and the files each one produces, as data: the caller writes them (all or nothing).

use std::fmt;
use std::path::PathBuf;

use iac_core::Stack;
use iac_core::diag::{self, Diagnostic};
use iac_core::model::Resource;
use iac_core::validate;
use iac_core::workload::Platform;

use crate::cloudformation::{self, Format};
use crate::error::RenderError;
use crate::userdata::Cloud;
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
}

impl Target {
    /// Every concrete target, in output order.
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
            Target::Terraform => stack.resources().len() > 0,
            Target::UserData => stack.resources().any(|e| match &e.resource {
                Resource::LaunchTemplate(lt) => lt.machine.user_data.is_some(),
                Resource::Instance(i) => i.machine.user_data.is_some(),
                Resource::Droplet(d) => d.user_data.is_some(),
                _ => false,
            }),
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

/// Validates `stack` and renders `target`. Fails with every validation error at once; nothing is
/// rendered for an invalid stack.
pub fn render_target(stack: &Stack, target: Target, format: Format) -> Result<Rendered, RenderError> {
    let diagnostics = validate::validate(stack);
    if diag::has_errors(&diagnostics) {
        return Err(iac_core::CoreError::Invalid { stack: stack.name().to_owned(), diagnostics }.into());
    }
    let mut files = Vec::new();
    let targets: Vec<Target> = if target == Target::All {
        Target::CONCRETE.into_iter().filter(|t| t.applies_to(stack)).collect()
    } else if target.applies_to(stack) {
        vec![target]
    } else if let Some(other) = stack.resources().find(|e| e.resource.is_digitalocean())
        && target == Target::CloudFormation
    {
        return Err(RenderError::Unsupported {
            stack: stack.name().to_owned(),
            resource: other.id.to_string(),
            property: "Type".into(),
            message: format!(
                "the `{target}` target cannot render this stack (environment `{}`): it has resources outside AWS; \
                 use `--target terraform` or `--target all`",
                stack.env()
            ),
        });
    } else {
        return Err(RenderError::TargetNotApplicable {
            stack: stack.name().to_owned(),
            target: target.to_string(),
            applicable: Target::CONCRETE.iter().filter(|t| t.applies_to(stack)).map(ToString::to_string).collect(),
        });
    };
    for t in &targets {
        match t {
            Target::CloudFormation => {
                files.extend(cloudformation_files(stack, format, &nested::Limits::CLOUDFORMATION)?);
            }
            Target::Terraform => {
                let tf = terraform::render(stack)?;
                files.push(OutputFile { path: "terraform/main.tf".into(), contents: tf.main_tf });
                files.push(OutputFile { path: "terraform/variables.tf".into(), contents: tf.variables_tf });
                files.push(OutputFile { path: "terraform/outputs.tf".into(), contents: tf.outputs_tf });
            }
            Target::UserData => {
                for entry in stack.resources() {
                    let host = match &entry.resource {
                        Resource::LaunchTemplate(lt) => lt.machine.user_data.as_ref().map(|h| (h, Cloud::Aws)),
                        Resource::Instance(i) => i.machine.user_data.as_ref().map(|h| (h, Cloud::Aws)),
                        Resource::Droplet(d) => d.user_data.as_ref().map(|h| (h, Cloud::Generic)),
                        _ => None,
                    };
                    if let Some((host, cloud)) = host {
                        files.push(OutputFile {
                            path: PathBuf::from(format!("userdata/{}.yaml", entry.id.kebab_case())),
                            contents: userdata::render_text_for(stack, host, cloud)?,
                        });
                    }
                }
            }
            Target::Packer => files.extend(crate::packer::render(stack)?),
            Target::Compose => files.extend(crate::compose::render(stack)?),
            Target::Kubernetes => files.extend(crate::kubernetes::render(stack)?),
            Target::All => unreachable!("expanded above"),
        }
    }
    Ok(Rendered { files, warnings: diagnostics })
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
    let doc = cloudformation::template(stack)?;
    let parent = PathBuf::from(format!("cloudformation/{}.template.{}", stack.name(), format.extension()));
    let Some(split) = nested::split(stack.name(), &doc, format, limits)? else {
        return Ok(vec![OutputFile { path: parent, contents: nested::to_text(stack.name(), &doc, format)? }]);
    };
    let mut files = vec![OutputFile { path: parent, contents: nested::to_text(stack.name(), &split.parent, format)? }];
    for (id, child) in &split.children {
        files.push(OutputFile {
            path: PathBuf::from(format!("cloudformation/{}", nested::child_path(stack.name(), id, format))),
            contents: nested::to_text(stack.name(), child, format)?,
        });
    }
    Ok(files)
}
