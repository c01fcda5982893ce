//! Generated Secrets Manager secrets in CloudFormation: `GenerateSecretString`, so the value is
//! made by Secrets Manager when the stack is created and never appears in the template.

use iac_core::model::{ResourceEntry, Secret};
use serde_json::{Value as Json, json};

use super::{Ctx, Renderer};
use crate::error::RenderError;

impl Renderer<'_> {
    pub(super) fn secret(&self, entry: &ResourceEntry, x: &Secret) -> Result<Json, RenderError> {
        let ctx = Ctx { resource: entry.id.as_str(), property: "KmsKeyId".into() };
        let g = &x.generate;
        let mut generate = json!({ "PasswordLength": g.length, "ExcludePunctuation": g.exclude_punctuation });
        if !g.exclude_characters.is_empty() {
            generate["ExcludeCharacters"] = json!(g.exclude_characters);
        }
        let mut p = json!({ "Name": self.name(entry), "Description": x.description, "GenerateSecretString": generate });
        if let Some(key) = &x.kms_key_id {
            p["KmsKeyId"] = self.str_value(key, &ctx)?;
        }
        Ok(p)
    }
}
