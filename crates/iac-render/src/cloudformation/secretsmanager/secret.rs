//! A generated Secrets Manager secret (`AWS::SecretsManager::Secret`): `GenerateSecretString`, so
//! the value is made by Secrets Manager when the stack is created and never appears in the template.

use iac_core::model::{ResourceEntry, Secret};
use serde_json::{Value as Json, json};

use crate::cloudformation::{CfnContext, ToCloudFormation};
use crate::error::RenderError;

impl ToCloudFormation for Secret {
    fn properties(&self, cx: &mut CfnContext<'_>, entry: &ResourceEntry) -> Result<Json, RenderError> {
        let g = &self.generate;
        let mut generate = json!({ "PasswordLength": g.length, "ExcludePunctuation": g.exclude_punctuation });
        if !g.exclude_characters.is_empty() {
            generate["ExcludeCharacters"] = json!(g.exclude_characters);
        }
        let mut p =
            json!({ "Name": cx.name(entry), "Description": self.description, "GenerateSecretString": generate });
        if let Some(key) = &self.kms_key_id {
            p["KmsKeyId"] = cx.value(key, "KmsKeyId")?;
        }
        Ok(p)
    }
}
