//! Packer templates for the stack's AMI bakes, for teams that bake with Packer: one
//! `packer/<bake>.pkr.hcl` (an `amazon-ebs` source from the base image, encrypted, IMDSv2 only,
//! the image named `<name>-v<version>-<build>`) and the bake script `packer/<bake>.sh` it runs,
//! which is the stack's own user-data setup in bake mode. Written with `hcl-rs`, like the
//! Terraform output, with the same helpers.

use hcl::{Body, Expression};
use iac_core::Stack;
use iac_core::app::{Bake, BaseImage};

use crate::error::RenderError;
use crate::files::OutputFile;
use crate::terraform::{Args, func, object, tag_object, traversal};
use crate::userdata;

/// The Amazon plugin Packer needs.
pub const AMAZON_PLUGIN_VERSION: &str = ">= 1.3.0";

/// The files of every bake of `stack`.
pub fn render(stack: &Stack) -> Result<Vec<OutputFile>, RenderError> {
    let mut files = Vec::new();
    for bake in stack.bakes() {
        files.push(OutputFile {
            path: format!("packer/{}.pkr.hcl", bake.name).into(),
            contents: template(stack, bake)?,
        });
        files.push(OutputFile {
            path: format!("packer/{}.sh", bake.name).into(),
            contents: userdata::bake_script(stack, bake)?,
        });
    }
    Ok(files)
}

fn template(stack: &Stack, bake: &Bake) -> Result<String, RenderError> {
    let label = bake.name.replace('-', "_");
    let mut plugin = Args::default();
    plugin.set(
        "amazon",
        object([
            ("version", Expression::from(AMAZON_PLUGIN_VERSION)),
            ("source", Expression::from("github.com/hashicorp/amazon")),
        ]),
    );
    let mut packer = Args::default();
    packer.nested("required_plugins", plugin);

    let variable = |description: &str, default: Option<Expression>| {
        let mut v = Args::default();
        v.set("type", traversal("string", &[])).set("description", description).set_opt("default", default);
        v
    };

    let mut source = Args::default();
    source
        .set(
            "ami_name",
            func(
                "format",
                [
                    Expression::from(format!("{}-v%s-%s", bake.name)),
                    traversal("var", &["version"]),
                    traversal("var", &["build"]),
                ],
            ),
        )
        .set("ami_description", format!("{} image of {} ({}), baked by iac-rs", bake.name, stack.name(), stack.env()))
        .set("instance_type", bake.instance_type.as_str())
        .set("region", traversal("var", &["region"]))
        .set("ssh_username", bake.ssh_username.as_str())
        .set("encrypt_boot", true)
        .set("imds_support", "v2.0");
    match &bake.base {
        BaseImage::Id(id) => {
            source.set("source_ami", id.as_str());
        }
        BaseImage::Lookup { owners, name } => {
            let mut filter = Args::default();
            filter
                .set(
                    "filters",
                    tag_object([("name", name.as_str()), ("virtualization-type", "hvm"), ("root-device-type", "ebs")]),
                )
                .set("owners", Expression::Array(owners.iter().map(|o| Expression::from(o.as_str())).collect()))
                .set("most_recent", true);
            source.nested("source_ami_filter", filter);
        }
    }
    let mut metadata = Args::default();
    metadata.set("http_endpoint", "enabled").set("http_tokens", "required").set("http_put_response_hop_limit", 1u64);
    source.nested("metadata_options", metadata);
    let v = &bake.root_volume;
    let mut disk = Args::default();
    disk.set("device_name", v.device_name.as_str())
        .set("volume_size", u64::from(v.size_gib))
        .set("volume_type", v.volume_type.as_str())
        .set("encrypted", v.encrypted)
        .set("delete_on_termination", true);
    source.nested("launch_block_device_mappings", disk);
    let mut tags: Vec<(&str, Expression)> =
        stack.tags().iter().map(|(k, v)| (k.as_str(), Expression::from(v.as_str()))).collect();
    tags.push(("iac:bake", Expression::from(bake.name.as_str())));
    tags.push(("version", traversal("var", &["version"])));
    tags.push(("build", traversal("var", &["build"])));
    source.set("tags", object(tags.clone())).set("run_tags", object(tags));

    let mut provisioner = Args::default();
    provisioner
        .set("script", func("format", [Expression::from(format!("%s/{}.sh", bake.name)), traversal("path", &["root"])]))
        .set("execute_command", "sudo -E bash '{{ .Path }}'");
    let mut build = Args::default();
    build
        .set("name", bake.name.as_str())
        .set("sources", Expression::Array(vec![Expression::from(format!("source.amazon-ebs.{label}"))]));
    build.nested_labeled("provisioner", &["shell"], provisioner);

    let body = Body::builder()
        .add_block(packer.into_block("packer", &[]))
        .add_block(
            variable("Application version, e.g. 1.0.1 (the image is named <name>-v<version>-<build>)", None)
                .into_block("variable", &["version"]),
        )
        .add_block(
            variable("Build number of this version", Some(Expression::from("1"))).into_block("variable", &["build"]),
        )
        .add_block(
            variable("Region to bake in", Some(func("env", [Expression::from("AWS_REGION")])))
                .into_block("variable", &["region"]),
        )
        .add_block(source.into_block("source", &["amazon-ebs", &label]))
        .add_block(build.into_block("build", &[]))
        .build();
    let text = hcl::format::to_string(&body).map_err(|e| RenderError::Serialize {
        stack: stack.name().to_owned(),
        format: "HCL",
        source: Box::new(e),
    })?;
    Ok(format!(
        "# Packer template of bake `{}` of stack `{}` ({}), generated by iac-rs: do not edit.\n\
         # packer init . && packer build -var version=1.0.1 -var build=1 {}.pkr.hcl\n\n{text}",
        bake.name,
        stack.name(),
        stack.env(),
        bake.name
    ))
}
