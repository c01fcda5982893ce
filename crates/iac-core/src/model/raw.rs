//! The escape hatch: a resource the model does not know, given as data per backend.

use crate::model::spec::prelude::*;
use crate::value::Refs;
use serde::Serialize;

/// A resource emitted as given. Renderers copy it; the SDK engine refuses it with an error.
#[derive(Debug, Clone, Serialize, Refs)]
pub struct RawResource {
    /// CloudFormation type and properties, e.g. `("AWS::SNS::Topic", {...})`.
    pub cloudformation: Option<(String, serde_json::Value)>,
    /// Terraform type and arguments, e.g. `("aws_sns_topic", {...})`.
    pub terraform: Option<(String, serde_json::Value)>,
}

impl ResourceKind for RawResource {
    const SPEC: &'static KindSpec = &KindSpec {
        kind: "RawResource",
        label: "raw resource",
        provider: Provider::Raw,
        cloudformation: None,
        terraform: None,
        attrs: &[],
        naming: Naming::Unnamed,
        tagging: Tagging::OwnRendering("Tags"),
        data: Data::None,
        replacement: crate::replace![],
        replacement_notes: &[],
        teardown: 0,
    };
    fn cloudformation_type(&self) -> Option<&str> {
        self.cloudformation.as_ref().map(|(ty, _)| ty.as_str())
    }
    fn terraform_type(&self) -> Option<&str> {
        self.terraform.as_ref().map(|(ty, _)| ty.as_str())
    }
}
