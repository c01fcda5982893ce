//! `scale`: N copies of another stack's environment in one stack (`synth scale --env prod
//! --copies 100`), to see how the generator and the templates behave at size. Past 500
//! resources or 1 MB its CloudFormation is split into nested stacks
//! ([`iac_render::nested`]); its Terraform stays one configuration.
//!
//! Each copy is the [`BASE`] stack built once for the environment (with the same config file),
//! added under the prefix `C001`, `C002`, ... by [`iac_core::merge::add_copy`]: logical ids,
//! references and explicit names become the copy's own, parameters (image, certificate) are
//! shared. Only the first copy keeps its outputs: CloudFormation takes at most 200 per stack.

use iac_core::Stack;
use iac_core::merge::{CopyOptions, add_copy};
use iac_core::stack::StackBuilder;

use crate::config::ConfigSource;
use crate::error::StackError;
use crate::{BuildOptions, Registry, StackDef};

/// The stack copied (any registered stack works).
pub const BASE: &str = "ichnaea";

/// The most copies. Prefixes have at least three digits (`C001` ... `C999`, then `C1000`); a
/// base id never starts with a digit, so no two copies' ids meet.
pub const MAX_COPIES: u32 = 9999;

/// The registry entry: the environments (and config files) of [`BASE`] in `seeds`.
pub fn def(seeds: &Registry) -> StackDef {
    let base = seeds.get(BASE).expect("scale::BASE is a registered stack");
    StackDef {
        name: "scale",
        description: "N copies (--copies N, default 1) of a seed stack's environment: nested CloudFormation past 500 resources",
        envs: base.envs.clone(),
        build: |env, config| build(env, config, &BuildOptions::default()),
    }
}

/// Builds `options.copies` (default 1) copies of [`BASE`] for `env` from `config`.
pub fn build(env: &str, config: &ConfigSource, options: &BuildOptions) -> Result<Stack, StackError> {
    let copies = options.copies.unwrap_or(1);
    if !(1..=MAX_COPIES).contains(&copies) {
        return Err(StackError::Usage(format!(
            "stack `scale`: --copies {copies} is out of range; give 1 to {MAX_COPIES}"
        )));
    }
    let base = crate::registry().build(BASE, env, Some(config))?;
    let mut stack = StackBuilder::new("scale", env);
    let plural = if copies == 1 { "copy" } else { "copies" };
    stack.description(format!("{copies} {plural} of {BASE} ({env})"));
    for i in 1..=copies {
        add_copy(&mut stack, &base, &CopyOptions { prefix: format!("C{i:03}"), outputs: i == 1 });
    }
    Ok(stack.build()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_multiply_resources_and_share_parameters() {
        let registry = crate::registry();
        let one = registry.build_with("scale", "prod", None, &BuildOptions { copies: Some(1) }).unwrap();
        let three = registry.build_with("scale", "prod", None, &BuildOptions { copies: Some(3) }).unwrap();
        let base = registry.build(BASE, "prod", None).unwrap();
        assert_eq!(one.resources().len(), base.resources().len());
        assert_eq!(three.resources().len(), 3 * base.resources().len());
        assert_eq!(three.parameters().len(), base.parameters().len());
        assert_eq!(three.outputs().len(), base.outputs().len());
        assert!(iac_core::validate::validate(&three).iter().all(|d| d.severity != iac_core::diag::Severity::Error));
    }

    #[test]
    fn copies_out_of_range_and_on_other_stacks_are_refused() {
        let registry = crate::registry();
        let err = registry.build_with("scale", "prod", None, &BuildOptions { copies: Some(0) }).unwrap_err();
        assert!(err.to_string().contains("give 1 to 9999"), "{err}");
        let err = registry.build_with(BASE, "prod", None, &BuildOptions { copies: Some(2) }).unwrap_err();
        assert_eq!(err.to_string(), format!("stack `{BASE}` takes no --copies; only scale does"));
    }
}
