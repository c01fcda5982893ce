//! EFS kinds (`AWS::EFS::*`): file systems, mount targets and access points.

mod access_point;
mod file_system;
mod mount_target;
