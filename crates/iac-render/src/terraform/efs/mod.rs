//! EFS kinds (`aws_efs_*`): file systems, mount targets and access points.

mod access_point;
mod file_system;
mod mount_target;
