//! A raw resource: the Terraform type and arguments the user gave, emitted as given (names checked).

use hcl::Identifier;
use iac_core::model::{RawResource, ResourceEntry};

use crate::error::RenderError;
use crate::terraform::{Args, TfContext, ToTerraform, json_expr};

impl ToTerraform for RawResource {
    fn arguments(&self, cx: &mut TfContext<'_>, _: &ResourceEntry) -> Result<Args, RenderError> {
        let Some((ty, args)) = &self.terraform else {
            return Err(cx.unsupported(
                "terraform",
                "this raw resource has no Terraform form; set `RawResource::terraform` to its type and arguments",
            ));
        };
        if Identifier::new(ty.as_str()).is_err() {
            return Err(cx.unsupported("terraform", format!("`{ty}` is not a valid Terraform resource type")));
        }
        let serde_json::Value::Object(map) = args else {
            return Err(cx.unsupported("terraform", "the Terraform arguments must be a JSON object"));
        };
        let mut a = Args::default();
        for (key, value) in map {
            if Identifier::new(key.as_str()).is_err() {
                return Err(cx.unsupported(key, "not a valid Terraform argument name"));
            }
            a.set(key, json_expr(value));
        }
        Ok(a)
    }
}
