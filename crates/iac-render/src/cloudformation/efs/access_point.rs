//! An access point of a file system (`AWS::EFS::AccessPoint`).

use iac_core::model::{AccessPoint, ResourceEntry};
use serde_json::{Value as Json, json};

use crate::cloudformation::{CfnContext, ToCloudFormation};
use crate::error::RenderError;

impl ToCloudFormation for AccessPoint {
    fn properties(&self, cx: &mut CfnContext<'_>, _: &ResourceEntry) -> Result<Json, RenderError> {
        let (uid, gid) = (self.posix_user.uid.to_string(), self.posix_user.gid.to_string());
        Ok(json!({
            "FileSystemId": cx.value(&self.file_system_id, "")?,
            "PosixUser": { "Uid": uid, "Gid": gid },
            "RootDirectory": {
                "Path": self.root_directory,
                "CreationInfo": { "OwnerUid": uid, "OwnerGid": gid, "Permissions": self.permissions },
            },
        }))
    }
}
