//! The escape hatch: a resource the model does not know, given as data per backend.

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
