//! Per-environment config files (TOML, read with serde). Unknown fields are errors, and every
//! error names the file, the line and the field.

use serde::de::DeserializeOwned;

use crate::error::StackError;

/// One value a release changed in a config: `(dotted key, old, new)`.
pub type ValueChange = (String, String, String);

/// A config file: its name (for messages) and its text.
#[derive(Debug, Clone)]
pub struct ConfigSource {
    /// The file's path as the user knows it, e.g. `stacks/config/aquamark/prod.toml`.
    pub file: String,
    /// Its contents.
    pub text: String,
}

impl ConfigSource {
    /// Reads a file from disk.
    pub fn read(path: &std::path::Path) -> Result<Self, StackError> {
        let text = std::fs::read_to_string(path).map_err(|source| StackError::Io {
            action: "cannot read config file",
            path: path.to_owned(),
            source,
        })?;
        Ok(Self { file: path.display().to_string(), text })
    }

    /// Parses the file into `T`, with file, line, column and field in the error.
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, StackError> {
        toml::from_str(&self.text).map_err(|e| {
            let (line, column) = e.span().map_or((1, 1), |span| line_col(&self.text, span.start));
            StackError::Config { file: self.file.clone(), line, column, message: e.message().trim().to_owned() }
        })
    }

    /// The same config with every container image of `repository` (a string value anywhere in
    /// the file that parses as `repository:tag` or `repository@digest`) set to
    /// `repository:version`: a release's stack is the stack built for the new version. Returns
    /// the new source and each change as `(dotted key, old, new)`; comments are not kept.
    pub fn with_image_version(
        &self,
        repository: &str,
        version: &str,
    ) -> Result<(ConfigSource, Vec<ValueChange>), StackError> {
        let mut table: toml::Table = toml::from_str(&self.text).map_err(|e| {
            let (line, column) = e.span().map_or((1, 1), |span| line_col(&self.text, span.start));
            StackError::Config { file: self.file.clone(), line, column, message: e.message().trim().to_owned() }
        })?;
        let mut changes = Vec::new();
        set_image_tags(&mut table, "", repository, version, &mut changes);
        let text = toml::to_string(&table).map_err(|e| self.value_error("-", e.to_string()))?;
        Ok((ConfigSource { file: format!("{} (image set to {repository}:{version})", self.file), text }, changes))
    }

    /// An error about a field whose value is not acceptable.
    pub fn value_error(&self, field: &str, message: impl Into<String>) -> StackError {
        StackError::ConfigValue { file: self.file.clone(), field: field.to_owned(), message: message.into() }
    }
}

fn set_image_tags(
    table: &mut toml::Table,
    prefix: &str,
    repository: &str,
    version: &str,
    changes: &mut Vec<ValueChange>,
) {
    for (k, v) in table.iter_mut() {
        let key = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
        set_image_tag(v, key, repository, version, changes);
    }
}

fn set_image_tag(
    value: &mut toml::Value,
    key: String,
    repository: &str,
    version: &str,
    changes: &mut Vec<ValueChange>,
) {
    match value {
        toml::Value::String(s) => {
            let image = iac_core::app::Image::parse(s);
            let new = format!("{repository}:{version}");
            if image.repository == repository && image.reference != iac_core::app::ImageRef::Unpinned && *s != new {
                changes.push((key, s.clone(), new.clone()));
                *s = new;
            }
        }
        toml::Value::Table(t) => set_image_tags(t, &key, repository, version, changes),
        toml::Value::Array(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                set_image_tag(item, format!("{key}[{i}]"), repository, version, changes);
            }
        }
        _ => {}
    }
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rfind('\n').map_or(before.len(), |i| before.len() - i - 1) + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Demo {
        name: String,
        size: u32,
    }

    #[test]
    fn errors_name_file_line_and_field() {
        let src = ConfigSource { file: "demo.toml".into(), text: "name = \"x\"\nsiez = 3\n".into() };
        let err = src.parse::<Demo>().unwrap_err().to_string();
        assert!(err.starts_with("demo.toml:2:1:"), "{err}");
        assert!(err.contains("siez"), "{err}");

        let src = ConfigSource { file: "demo.toml".into(), text: "name = \"x\"\n".into() };
        let err = src.parse::<Demo>().unwrap_err().to_string();
        assert!(err.contains("demo.toml") && err.contains("size"), "{err}");

        let src = ConfigSource { file: "demo.toml".into(), text: "name = \"x\"\nsize = \"big\"\n".into() };
        let err = src.parse::<Demo>().unwrap_err().to_string();
        assert!(err.starts_with("demo.toml:2:"), "{err}");
    }
}
