//! Targets and the files each one produces, as data: the caller writes them (all or nothing).

use std::fmt;
use std::path::PathBuf;

use iac_core::Stack;
use iac_core::model::Resource;
use iac_core::validate::{self, Diagnostic};

use crate::cloudformation::{self, Format};
use crate::error::RenderError;
use crate::userdata::Cloud;
use crate::{terraform, userdata};

/// What to render.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// `cloudformation/<stack>.template.json` (or `.yaml`).
    CloudFormation,
    /// `terraform/main.tf`, `variables.tf`, `outputs.tf`.
    Terraform,
    /// `userdata/<host>.yaml`, the `#cloud-config` of each launch template, instance or droplet.
    UserData,
    /// `packer/<bake>.pkr.hcl` and `packer/<bake>.sh`, one pair per AMI bake.
    Packer,
    /// All of the above.
    All,
}

impl Target {
    /// Every concrete target, in output order.
    pub const CONCRETE: [Target; 4] = [Target::CloudFormation, Target::Terraform, Target::UserData, Target::Packer];
}

impl Target {
    /// True when this target can render `stack`: CloudFormation only describes AWS, so a stack
    /// with a DigitalOcean resource is left out of `--target all` and refused by
    /// `--target cloudformation`. [`Target::All`] applies to every stack.
    pub fn applies_to(self, stack: &Stack) -> bool {
        match self {
            Target::CloudFormation => !stack.resources().any(|e| e.resource.is_digitalocean()),
            Target::Terraform | Target::UserData | Target::Packer | Target::All => true,
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
    if validate::has_errors(&diagnostics) {
        return Err(iac_core::CoreError::Invalid { stack: stack.name().to_owned(), diagnostics }.into());
    }
    let mut files = Vec::new();
    let targets: &[Target] = if target == Target::All { &Target::CONCRETE } else { std::slice::from_ref(&target) };
    if !target.applies_to(stack) {
        let other =
            stack.resources().find(|e| e.resource.is_digitalocean()).map(|e| e.id.to_string()).unwrap_or_default();
        return Err(RenderError::Unsupported {
            stack: stack.name().to_owned(),
            resource: other,
            property: "Type".into(),
            message: format!(
                "the `{target}` target cannot render this stack (environment `{}`): it has resources outside AWS; \
                 use `--target terraform` or `--target all`",
                stack.env()
            ),
        });
    }
    for t in targets.iter().filter(|t| t.applies_to(stack)) {
        match t {
            Target::CloudFormation => files.push(OutputFile {
                path: PathBuf::from(format!("cloudformation/{}.template.{}", stack.name(), format.extension())),
                contents: cloudformation::render(stack, format)?,
            }),
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
            Target::All => unreachable!("expanded above"),
        }
    }
    Ok(Rendered { files, warnings: diagnostics })
}
